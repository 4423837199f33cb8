"""Pages that show student ids write audit events: the admin's lists and forms of students and
of rows naming a student (progress records, goals), and the import status pages whose errors
and diffs name students. A leader could otherwise read every id of a school unrecorded."""

import datetime

import pytest
from django.urls import reverse

from learninglabs.models import (
    ImportState,
    Program,
    ProgramKind,
    ProgressImport,
    ProgressRecord,
    StudentGoal,
    Subject,
    VendorMapping,
)
from students.models import AuditAction, AuditEvent, RosterImport, RosterImportState

from ..conftest import client_for
from ..factories import StudentFactory

pytestmark = pytest.mark.django_db


def events_of(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(user=user).order_by("id"))


@pytest.fixture
def program(school_a) -> Program:
    return Program.objects.create(
        school=school_a.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )


@pytest.fixture
def two_students_progress(school_a, program) -> list[ProgressRecord]:
    second = StudentFactory.create(school=school_a.school, cohort=school_a.student.cohort)
    day = datetime.date(2026, 11, 2)
    return [
        ProgressRecord.objects.create(
            student=student,
            program=program,
            date=day + datetime.timedelta(days=offset),
            minutes=30,
            source="csv:vendor",
        )
        for student in (school_a.student, second)
        for offset in (0, 1)
    ]


def test_the_admin_student_list_records_each_student_shown(school_a):
    leader = school_a.leader.user
    other = StudentFactory.create(school=school_a.school, cohort=school_a.student.cohort)

    response = client_for(leader).get(reverse("admin:students_student_changelist"))

    assert response.status_code == 200
    listed = {(e.action, e.model, e.object_id) for e in events_of(leader)}
    assert listed == {
        (AuditAction.LIST, "students.student", str(school_a.student.pk)),
        (AuditAction.LIST, "students.student", str(other.pk)),
    }


def test_the_admin_progress_list_records_each_student_its_rows_name(
    school_a, two_students_progress
):
    leader = school_a.leader.user

    response = client_for(leader).get(reverse("admin:learninglabs_progressrecord_changelist"))

    assert response.status_code == 200
    events = events_of(leader)
    students = {record.student_id for record in two_students_progress}
    # One event per student shown (each has two rows on the page), naming the list's model.
    assert sorted(int(e.object_id) for e in events) == sorted(students)
    assert {(e.action, e.model, e.school_id) for e in events} == {
        (AuditAction.LIST, "students.student", school_a.school.pk)
    }
    assert all(e.detail == {"shown_in": "learninglabs.progressrecord"} for e in events)
    assert all(e.via.startswith("admin GET /admin/learninglabs/progressrecord/") for e in events)
    flagged = {int(e.object_id): e.special_education for e in events}
    assert flagged[school_a.student.pk] is True  # the school's student has an IEP


def test_the_admin_progress_form_records_its_student(school_a, two_students_progress):
    leader = school_a.leader.user
    record = two_students_progress[0]

    response = client_for(leader).get(
        reverse("admin:learninglabs_progressrecord_change", args=[record.pk])
    )

    assert response.status_code == 200
    [event] = events_of(leader)
    assert (event.action, event.model, event.object_id) == (
        AuditAction.VIEW,
        "students.student",
        str(record.student_id),
    )


def test_the_admin_goal_list_records_its_students(school_a, program):
    leader = school_a.leader.user
    StudentGoal.objects.create(
        student=school_a.student, program=program, weekly_minutes=60, reason="Catching up"
    )

    response = client_for(leader).get(reverse("admin:learninglabs_studentgoal_changelist"))

    assert response.status_code == 200
    [event] = events_of(leader)
    assert (event.action, event.model, event.object_id) == (
        AuditAction.LIST,
        "students.student",
        str(school_a.student.pk),
    )
    assert event.detail == {"shown_in": "learninglabs.studentgoal"}


def test_an_empty_admin_list_records_nothing(school_a):
    leader = school_a.leader.user

    client_for(leader).get(reverse("admin:learninglabs_progressrecord_changelist"))

    assert events_of(leader) == []


@pytest.fixture
def rejected_progress_import(school_a, program) -> ProgressImport:
    mapping = VendorMapping.objects.create(
        school=school_a.school,
        name="Vendor export",
        source="csv:vendor",
        program=program,
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
    )
    return ProgressImport.objects.create(
        school=school_a.school,
        mapping=mapping,
        file_name="export.csv",
        state=ImportState.REJECTED,
        errors=[
            {"row": 2, "column": "Student ID", "reason": "No student with id 'S-9' at Alder."},
            {"row": 3, "column": "Minutes", "reason": "Give 0 to 600 minutes."},
        ],
        error_count=2,
        message="2 errors in 2 rows; nothing was stored.",
    )


def progress_status_url(record: ProgressImport) -> str:
    return reverse(
        "progress-import-status",
        kwargs={"school_id": record.school_id, "import_id": record.pk},
    )


def test_the_progress_import_page_records_who_saw_its_errors(school_a, rejected_progress_import):
    leader = school_a.leader.user

    response = client_for(leader).get(progress_status_url(rejected_progress_import))

    assert response.status_code == 200
    assert "S-9" in response.content.decode()
    [event] = events_of(leader)
    assert (event.action, event.model, event.object_id, event.school_id) == (
        AuditAction.VIEW,
        "learninglabs.progressimport",
        str(rejected_progress_import.pk),
        school_a.school.pk,
    )
    assert event.detail == {"errors_shown": 2}
    assert event.via == f"page {progress_status_url(rejected_progress_import)}"


def test_a_progress_import_without_bad_rows_and_an_unchanged_poll_record_nothing(
    school_a, rejected_progress_import
):
    leader = school_a.leader.user
    client = client_for(leader)
    clean = ProgressImport.objects.create(
        school=school_a.school,
        mapping=rejected_progress_import.mapping,
        file_name="clean.csv",
        state=ImportState.SUCCEEDED,
        message="2 rows imported.",
    )

    assert client.get(progress_status_url(clean)).status_code == 200
    seen = client.get(
        progress_status_url(rejected_progress_import),
        {"seen": rejected_progress_import.progress_key},
        headers={"HX-Request": "true"},
    )

    assert seen.status_code == 204
    assert events_of(leader) == []


def test_the_progress_import_admin_form_records_who_saw_its_errors(
    school_a, rejected_progress_import
):
    leader = school_a.leader.user

    response = client_for(leader).get(
        reverse("admin:learninglabs_progressimport_change", args=[rejected_progress_import.pk])
    )

    assert response.status_code == 200
    [event] = events_of(leader)
    assert (event.action, event.model, event.object_id) == (
        AuditAction.VIEW,
        "learninglabs.progressimport",
        str(rejected_progress_import.pk),
    )


def test_the_roster_import_page_records_who_saw_its_diff(school_a, network_admin):
    record = RosterImport.objects.create(
        network=school_a.school.network,
        file_name="export.zip",
        dry_run=True,
        state=RosterImportState.REVIEWED,
        changes=[
            {
                "kind": "student",
                "action": "create",
                "sourced_id": "stu-1",
                "label": "Ada L.",
                "fields": [],
            },
            {
                "kind": "student",
                "action": "update",
                "sourced_id": "stu-2",
                "label": "Bo K.",
                "fields": ["grade"],
            },
            {"kind": "school", "action": "create", "sourced_id": "sch-1", "label": "Elm"},
        ],
        warnings=[{"file": "users.csv", "row": 4, "column": "", "reason": "No email."}],
        message="Dry run done.",
    )
    url = reverse("roster-import", args=[record.network_id, record.pk])

    response = client_for(network_admin).get(url)

    assert response.status_code == 200
    assert "stu-2" in response.content.decode()
    [event] = events_of(network_admin)
    assert (event.action, event.model, event.object_id) == (
        AuditAction.VIEW,
        "students.rosterimport",
        str(record.pk),
    )
    assert event.detail == {
        "student_changes": 2,
        "changes_shown": 3,
        "errors_shown": 0,
        "warnings_shown": 1,
    }
    assert event.via == f"page {url}"


def test_a_queued_roster_import_shows_no_ids_and_records_nothing(school_a, network_admin):
    record = RosterImport.objects.create(network=school_a.school.network, file_name="r.zip")

    response = client_for(network_admin).get(
        reverse("roster-import", args=[record.network_id, record.pk])
    )

    assert response.status_code == 200
    assert events_of(network_admin) == []
