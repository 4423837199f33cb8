"""Exports without homeroom classes: the network admin chooses the courses (or class codes)
whose classes are cohorts, seeing how many students each places; the network keeps the choice
for later imports, and the command and the API take it as an option."""

import datetime
import html
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from students.models import Cohort, Network, Role, RosterImport, RosterImportState, Staff, Student
from students.oneroster import read_export
from students.oneroster.cohort_sources import (
    CODES,
    COURSES,
    CohortSource,
    CohortSourceError,
    cohort_preview,
)
from students.oneroster.imports import roster_import_run

from ..conftest import client_for
from ..factories import NetworkAdminFactory, NetworkFactory, UserFactory
from .oneroster_files import MODIFIED, SCHOOL, OneRosterExport, small_school
from .test_oneroster_sync import imported

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
HOMEROOM_COURSE = "c-homeroom"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path


def course(course_id: str, title: str) -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": course_id,
        "schoolYearSourcedId": "y2025",
        "title": title,
        "orgSourcedId": SCHOOL,
    }


def section(class_id: str, course_id: str, grade: str, title: str) -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": class_id,
        "title": title,
        "grades": grade,
        "courseSourcedId": course_id,
        "classCode": class_id.upper(),
        "classType": "scheduled",
        "schoolSourcedId": SCHOOL,
        "termSourcedIds": "y2025",
    }


def enrolled(user_id: str, class_id: str, role: str = "student") -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": f"e-{user_id}-{class_id}",
        "classSourcedId": class_id,
        "schoolSourcedId": SCHOOL,
        "userSourcedId": user_id,
        "role": role,
        "primary": "false",
        "beginDate": "2024-08-12",
        "endDate": "",
    }


def scheduled_homerooms() -> OneRosterExport:
    """The small school as PowerSchool writes it: its "Homeroom" course's sections (hr-k,
    hr-1) are scheduled classes like any other. Every student also takes math (a section per
    grade); st01-st03 take art."""
    export = small_school("1.1")
    for cls in export.rows("classes.csv"):
        cls["classType"] = "scheduled"
    export.rows("courses.csv").extend([course("c-math", "Math"), course("c-art", "Art")])
    export.rows("classes.csv").extend(
        [
            section("math-k", "c-math", "KG", "Math K"),
            section("math-1", "c-math", "01", "Math 1"),
            section("art", "c-art", "KG", "Art"),
        ]
    )
    for n in range(1, 11):
        student = f"st{n:02d}"
        export.rows("enrollments.csv").append(enrolled(student, "math-k" if n <= 5 else "math-1"))
        if n <= 3:
            export.rows("enrollments.csv").append(enrolled(student, "art"))
    return export


def choose(network: Network, source: CohortSource) -> None:
    source.store(network)
    network.refresh_from_db()


def warning_with(plan, text: str) -> str:
    found = [w.reason for w in plan.warnings if text in w.reason]
    assert len(found) == 1, [str(w) for w in plan.warnings]
    return found[0]


def test_an_export_without_homerooms_places_no_one_and_says_how_to_choose(tmp_path):
    network = NetworkFactory()

    plan = imported(network, scheduled_homerooms(), tmp_path, today=TODAY)

    assert plan.ok, [str(e) for e in plan.errors]
    assert not Cohort.objects.filter(school__network=network).exists()
    assert not Student.objects.filter(school__network=network).exists()
    reason = warning_with(plan, "No class of this export defines a cohort")
    assert "homeroom classes" in reason and "--cohorts-from" in reason
    assert warning_with(plan, "new students are in no homeroom").startswith("10 new students")


def test_once_the_homeroom_course_is_chosen_its_scheduled_sections_are_cohorts(tmp_path):
    network = NetworkFactory()
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE,)))

    plan = imported(network, scheduled_homerooms(), tmp_path, today=TODAY)

    assert plan.ok, [str(e) for e in plan.errors]
    assert not [w for w in plan.warnings if "defines a cohort" in w.reason]
    cohorts = Cohort.objects.filter(school__network=network)
    assert sorted(cohorts.values_list("sourced_id", "grade__level")) == [("hr-1", 1), ("hr-k", 0)]
    placed = Student.objects.filter(school__network=network)
    assert placed.count() == 10
    assert {s.sourced_id: s.cohort.sourced_id for s in placed if s.sourced_id <= "st05"} == {
        f"st0{n}": "hr-k" for n in range(1, 6)
    }
    # The teachers teach those cohorts; a section's title is its cohort's name, no subject.
    t1 = Staff.objects.get(sourced_id="t1")
    assert [c.sourced_id for c in t1.cohorts.all()] == ["hr-k"]
    assert Role.SPECIALS not in t1.role_codes
    # The network keeps the choice: the next import uses it and finds nothing to change.
    again = imported(
        Network.objects.get(pk=network.pk), scheduled_homerooms(), tmp_path, today=TODAY
    )
    assert again.ok and again.changes == []


def test_chosen_sections_that_list_no_grade_take_their_students_grades(tmp_path):
    network = NetworkFactory()
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE,)))
    export = scheduled_homerooms()
    for cls in export.rows("classes.csv"):
        if cls["courseSourcedId"] == HOMEROOM_COURSE:
            cls["grades"] = ""

    plan = imported(network, export, tmp_path, today=TODAY)

    assert plan.ok, [str(e) for e in plan.errors]
    cohorts = Cohort.objects.filter(school__network=network)
    assert sorted(cohorts.values_list("sourced_id", "grade__level")) == [("hr-1", 1), ("hr-k", 0)]


def test_the_preview_counts_the_classes_and_students_each_course_places(tmp_path):
    network = NetworkFactory()
    export = scheduled_homerooms()
    # A pre-K child in a homeroom section is no student of a grade the network serves, and
    # st04 is in both homeroom sections at once (an error if the course is chosen).
    export.rows("users.csv")[-1]["grades"] = "PK"
    export.rows("enrollments.csv").append(enrolled("st04", "hr-1"))

    preview = cohort_preview(
        export=read_export(export.write_folder(tmp_path / "x")), network=network, today=TODAY
    )

    assert (preview.source, preview.classes, preview.students, preview.homerooms) == (
        "homerooms",
        0,
        0,
        0,
    )
    counts = {c.value: (c.label, c.classes, c.students, c.overlaps) for c in preview.courses}
    assert counts == {
        HOMEROOM_COURSE: ("Homeroom", 2, 9, 1),
        "c-math": ("Math", 2, 9, 0),
        "c-art": ("Art", 1, 3, 0),
    }
    assert preview.codes == []  # the classes name their courses: codes are not offered
    assert preview.missing == []


def test_the_preview_counts_what_the_chosen_course_places(tmp_path):
    network = NetworkFactory()
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE, "c-gone")))

    preview = cohort_preview(
        export=read_export(scheduled_homerooms().write_folder(tmp_path / "x")),
        network=network,
        today=TODAY,
    )

    assert (preview.source, preview.classes, preview.students) == (
        "courses:c-gone,c-homeroom",
        2,
        10,
    )
    assert [c.value for c in preview.courses if c.chosen] == [HOMEROOM_COURSE]
    assert preview.missing == ["c-gone"]


def test_a_chosen_course_the_export_does_not_have_is_kept_and_named(tmp_path):
    network = NetworkFactory()
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE, "c-gone")))

    plan = imported(network, scheduled_homerooms(), tmp_path, today=TODAY)

    assert plan.ok
    assert "c-gone" in warning_with(plan, "chosen to define cohorts")
    assert Student.objects.filter(school__network=network).count() == 10
    network.refresh_from_db()
    assert network.cohort_classes == ["c-gone", HOMEROOM_COURSE]


def test_exports_without_courses_choose_class_codes(tmp_path):
    network = NetworkFactory()
    export = scheduled_homerooms()
    del export.tables["courses.csv"]
    for cls in export.rows("classes.csv"):
        cls["courseSourcedId"] = ""
    folder = export.write_folder(tmp_path / "codes")

    preview = cohort_preview(export=read_export(folder), network=network, today=TODAY)
    choose(network, CohortSource(CODES, ("HR-K", "HR-1")))
    plan = imported(network, export, tmp_path, today=TODAY)

    assert preview.courses == []
    codes = {c.value: (c.classes, c.students) for c in preview.codes}
    assert codes == {
        "HR-K": (1, 5),
        "HR-1": (1, 5),
        "MATH-K": (1, 5),
        "MATH-1": (1, 5),
        "ART": (1, 3),
    }
    assert plan.ok, [str(e) for e in plan.errors]
    assert Student.objects.filter(school__network=network, cohort__isnull=False).count() == 10


def test_a_student_in_two_chosen_classes_at_once_is_the_overlap_error(tmp_path):
    network = NetworkFactory()
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE,)))
    export = scheduled_homerooms()
    export.rows("enrollments.csv").append(enrolled("st04", "hr-1"))

    plan = imported(network, export, tmp_path, today=TODAY)

    assert not plan.ok
    [error] = plan.errors
    assert "'st04'" in error.reason and "'hr-k'" in error.reason and "'hr-1'" in error.reason


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("homerooms", CohortSource()),
        (" Homerooms ", CohortSource()),
        ("courses:c-hr", CohortSource(COURSES, ("c-hr",))),
        ("courses: b , a ,a", CohortSource(COURSES, ("a", "b"))),
        ("codes:HR-K,HR-1", CohortSource(CODES, ("HR-1", "HR-K"))),
    ],
)
def test_a_choice_reads_as_the_command_writes_it(text, source):
    assert CohortSource.parse(text) == source
    assert CohortSource.parse(source.option()) == source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a cohort source: write homerooms, courses:ID,ID"),
        ("sections:a", "is not a cohort source"),
        ("homerooms:a", "is not a cohort source"),
        ("courses", "is not a cohort source"),
        ("courses:", "names no course sourcedId; write courses:ID,ID"),
        ("codes: , ", "names no class code; write codes:CODE,CODE"),
    ],
)
def test_a_bad_choice_says_what_to_write(text, message):
    with pytest.raises(CohortSourceError, match=message):
        CohortSource.parse(text)


# --- the import page -------------------------------------------------------------------------


def upload(client, network, export: OneRosterExport):
    data = SimpleUploadedFile("roster.zip", export.zip_bytes(), content_type="application/zip")
    response = client.post(
        reverse("roster-imports", args=[network.pk]), {"file": data, "dry_run": "on"}
    )
    assert response.status_code == 302
    record = RosterImport.objects.order_by("-pk").first()
    assert record is not None
    ran = roster_import_run(import_id=record.pk, today=TODAY)
    assert ran is not None
    return ran


def page(client, record: RosterImport) -> str:
    response = client.get(reverse("roster-import", args=[record.network_id, record.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def cohorts_url(record: RosterImport) -> str:
    return reverse("roster-import-cohorts", args=[record.network_id, record.pk])


def test_a_dry_run_without_homerooms_offers_the_courses_with_their_counts(school_a, network_admin):
    client = client_for(network_admin)

    record = upload(client, school_a.school.network, scheduled_homerooms())
    content = page(client, record)

    assert record.state == RosterImportState.REVIEWED
    assert '<details id="cohort-source" class="card cohort-source" open>' in content
    assert "No student is placed in a cohort by homeroom classes" in content
    assert '<input type="checkbox" name="courses" value="c-homeroom" id="course-1">' in content
    assert "Homeroom <code>c-homeroom</code></label></td>\n" in content
    assert "<td>2</td><td>0</td><td>10</td><td>0</td>" in content  # classes, homerooms, placed


def test_ticking_the_homeroom_course_stores_it_and_checks_the_export_again(
    school_a, network_admin, django_capture_on_commit_callbacks
):
    client = client_for(network_admin)
    network = school_a.school.network
    first = upload(client, network, scheduled_homerooms())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(cohorts_url(first), {"courses": [HOMEROOM_COURSE]})

    again = RosterImport.objects.order_by("-pk").first()
    assert again.pk != first.pk and again.dry_run and again.requested_by == network_admin
    assert response.status_code == 302
    assert response["Location"] == reverse("roster-import", args=[network.pk, again.pk])
    network.refresh_from_db()
    assert CohortSource.of(network) == CohortSource(COURSES, (HOMEROOM_COURSE,))
    again = roster_import_run(import_id=again.pk, today=TODAY)
    assert again.counts["student"] == {"create": 10} and again.counts["cohort"] == {"create": 2}
    content = page(client, again)
    assert "took cohorts from the classes of the courses c-homeroom: 2 classes, placing 10" in (
        content
    )
    assert 'value="c-homeroom" id="course-1" checked>' in content
    first.refresh_from_db()
    assert not first.file  # the replaced dry run's copy of the export is gone


def test_homeroom_classes_can_be_chosen_again(school_a, network_admin):
    client = client_for(network_admin)
    network = school_a.school.network
    choose(network, CohortSource(COURSES, (HOMEROOM_COURSE,)))
    record = upload(client, network, scheduled_homerooms())

    response = client.post(cohorts_url(record), {"homerooms": "1", "courses": ["c-math"]})

    assert response.status_code == 302
    network.refresh_from_db()
    assert (network.cohorts_from, network.cohort_classes) == ("homerooms", [])


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Tick at least one course or class code, or choose homeroom classes."),
        ({"courses": ["c-nowhere"]}, "Select a valid choice. c-nowhere is not one"),
        ({"courses": ["c-math"], "codes": ["HR-K"]}, "Select a valid choice. HR-K"),
    ],
)
def test_a_choice_that_is_not_offered_is_a_form_error(school_a, network_admin, form, message):
    client = client_for(network_admin)
    network = school_a.school.network
    record = upload(client, network, scheduled_homerooms())

    response = client.post(cohorts_url(record), form)

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    network.refresh_from_db()
    assert network.cohorts_from == "homerooms"
    assert RosterImport.objects.count() == 1


def test_a_school_leader_cannot_change_the_choice(school_a, network_admin, school_other_network):
    record = upload(client_for(network_admin), school_a.school.network, scheduled_homerooms())
    outsider = NetworkAdminFactory(
        network=school_other_network.school.network, user=UserFactory()
    ).user

    refused = [
        client_for(school_a.leader.user).post(cohorts_url(record), {"courses": [HOMEROOM_COURSE]}),
        client_for(school_a.teacher.user).post(cohorts_url(record), {"courses": [HOMEROOM_COURSE]}),
        client_for(outsider).post(cohorts_url(record), {"courses": [HOMEROOM_COURSE]}),
    ]

    assert [r.status_code for r in refused] == [403, 403, 404]
    network = Network.objects.get(pk=school_a.school.network_id)
    assert network.cohorts_from == "homerooms" and network.cohort_classes == []
    assert RosterImport.objects.count() == 1


# --- the command and the API ------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command(
        "import_roster", *args, "--today", TODAY.isoformat(), stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def test_the_command_lists_the_candidates_when_no_student_is_placed(tmp_path):
    network = NetworkFactory()
    export = scheduled_homerooms().write_zip(tmp_path / "export.zip")

    out = run("--network", network.slug, str(export), "--dry-run")

    assert "No student is placed by homerooms" in out
    assert "courses:c-homeroom 'Homeroom': 2 classes, 10 students" in out
    assert "courses:c-art 'Art': 1 classes, 3 students" in out


def test_the_command_takes_the_choice_and_the_network_keeps_it(tmp_path):
    network = NetworkFactory()
    export = scheduled_homerooms().write_zip(tmp_path / "export.zip")

    out = run(
        "--network", network.slug, str(export), "--cohorts-from", f"courses:{HOMEROOM_COURSE}"
    )
    again = run("--network", network.slug, str(export))

    assert "Cohorts now come from the classes of the courses c-homeroom." in out
    assert "student: create 10" in out
    assert Student.objects.filter(school__network=network, cohort__isnull=False).count() == 10
    assert "nothing to change" in again


def test_a_bad_cohorts_option_is_a_clear_error_that_changes_nothing(tmp_path):
    network = NetworkFactory()
    export = scheduled_homerooms().write_zip(tmp_path / "export.zip")

    with pytest.raises(CommandError, match="--cohorts-from: 'course:c-homeroom' is not a cohort"):
        run("--network", network.slug, str(export), "--cohorts-from", "course:c-homeroom")

    network.refresh_from_db()
    assert network.cohorts_from == "homerooms"
    assert not RosterImport.objects.exists()


def test_the_api_takes_the_choice_as_an_optional_field(school_a, network_admin):
    api = client_for(network_admin)
    network = school_a.school.network
    path = f"/api/v1/networks/{network.pk}/roster-imports/"
    data = scheduled_homerooms().zip_bytes()

    bad = api.post(path, {"file": SimpleUploadedFile("r.zip", data), "cohorts_from": "courses:"})
    good = api.post(
        path,
        {"file": SimpleUploadedFile("r.zip", data), "cohorts_from": f"courses:{HOMEROOM_COURSE}"},
    )

    assert bad.status_code == 400
    assert "names no course sourcedId" in json.dumps(json.loads(bad.content)["errors"])
    assert good.status_code == 202
    network.refresh_from_db()
    assert CohortSource.of(network).option() == f"courses:{HOMEROOM_COURSE}"
    record = roster_import_run(import_id=json.loads(good.content)["id"], today=TODAY)
    shown = json.loads(api.get(f"{path}{record.pk}/").content)["cohort_preview"]
    assert (shown["source"], shown["classes"], shown["students"]) == (
        f"courses:{HOMEROOM_COURSE}",
        2,
        10,
    )
