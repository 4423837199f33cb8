"""A OneRoster export rosters a network: schools, cohorts, students and staff appear, a second
import of the same export changes nothing, leavers are ended (never deleted) and come back."""

import datetime
from pathlib import Path

import pytest

from students.models import Cohort, Grade, Role, School, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.plan import roster_plan

from ..factories import NetworkFactory, StaffFactory, StudentFactory, UserFactory
from .oneroster_files import OneRosterExport, small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)


def imported(network, export: OneRosterExport, tmp_path: Path, *, today=TODAY):
    folder = export.write_folder(tmp_path / f"export-{len(list(tmp_path.iterdir()))}")
    plan = roster_plan(network=network, export=read_export(folder), today=today)
    if plan.ok:
        roster_apply(plan)
    return plan


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_an_export_builds_the_school_its_cohorts_students_and_staff(version, tmp_path):
    network = NetworkFactory()

    plan = imported(network, small_school(version), tmp_path)

    assert plan.ok, plan.errors
    school = School.objects.get(network=network)
    assert school.sourced_id
    cohorts = {c.name: c.grade.level for c in Cohort.objects.filter(school=school)}
    assert sorted(cohorts.values()) == [0, 1]
    students = Student.objects.filter(school=school)
    assert students.count() == 10
    assert all(s.cohort is not None and s.cohort.grade_id == s.grade_id for s in students)
    assert all(s.enrollment_end is None for s in students)
    staff = Staff.objects.filter(school=school)
    assert staff.count() == 2
    assert all(member.cohorts.count() == 1 for member in staff)
    assert plan.counts()["student"] == {"create": 10}


def test_the_same_export_twice_changes_nothing_the_second_time(tmp_path):
    network = NetworkFactory()
    imported(network, small_school(), tmp_path)

    second = imported(network, small_school(), tmp_path)

    assert second.ok and second.changes == []


def test_a_student_left_out_of_a_bulk_export_is_ended_and_restored_when_back(tmp_path):
    network = NetworkFactory()
    export = small_school()
    imported(network, export, tmp_path)
    leaver_id = next(u["sourcedId"] for u in export.rows("users.csv") if u["role"] == "student")
    without = export.copy()
    without.tables["users.csv"] = [
        u for u in without.rows("users.csv") if u["sourcedId"] != leaver_id
    ]
    without.tables["enrollments.csv"] = [
        e for e in without.rows("enrollments.csv") if e["userSourcedId"] != leaver_id
    ]
    without.tables["demographics.csv"] = [
        d for d in without.rows("demographics.csv") if d["sourcedId"] != leaver_id
    ]

    ended = imported(network, without, tmp_path)
    leaver = Student.objects.get(sourced_id=leaver_id)
    assert [(c.kind, c.action) for c in ended.changes] == [("student", "end")]
    assert leaver.enrollment_end == TODAY - datetime.timedelta(days=1)

    back = imported(network, export, tmp_path, today=TODAY + datetime.timedelta(days=7))
    leaver.refresh_from_db()
    assert [(c.kind, c.action) for c in back.changes] == [("student", "restore")]
    assert leaver.enrollment_end is None
    assert Student.objects.filter(sourced_id=leaver_id).count() == 1


def test_a_broken_export_changes_nothing(tmp_path):
    network = NetworkFactory()
    export = small_school()
    export.rows("users.csv")[3]["grades"] = "Grade 7"  # not a CEDS code
    export.rows("enrollments.csv")[0]["classSourcedId"] = "no-such-class"

    plan = imported(network, export, tmp_path)

    assert not plan.ok
    assert {(e.file, e.column) for e in plan.errors} >= {
        ("users.csv", "grades"),
        ("enrollments.csv", "classSourcedId"),
    }
    assert not School.objects.filter(network=network).exists()


def test_a_school_created_by_hand_is_adopted_by_name(tmp_path):
    network = NetworkFactory()
    export = small_school()
    name = next(o["name"] for o in export.rows("orgs.csv") if o["type"] == "school")
    by_hand = School.objects.create(network=network, name=name, slug="by-hand")

    imported(network, export, tmp_path)

    by_hand.refresh_from_db()
    assert by_hand.sourced_id and School.objects.filter(network=network).count() == 1


def test_teachers_get_a_role_from_what_they_teach(tmp_path):
    network = NetworkFactory()
    export = small_school()
    for course in export.rows("courses.csv"):
        course["title"] = "Kindergarten and Grade 1 Math"

    imported(network, export, tmp_path)

    assert all(Role.STEM in member.role_codes for member in Staff.objects.all())


def test_a_school_and_its_students_created_by_hand_are_adopted(tmp_path):
    network = NetworkFactory()
    export = small_school()
    name = next(o["name"] for o in export.rows("orgs.csv") if o["type"] == "school")
    school = School.objects.create(network=network, name=name, slug="by-hand")
    user = next(u for u in export.rows("users.csv") if u["role"] == "student")
    grade = Grade.objects.create(school=school, level=0 if user["grades"] == "KG" else 1)
    by_hand = StudentFactory(school=school, cohort=None, grade=grade, local_id=user["identifier"])

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    by_hand.refresh_from_db()
    assert by_hand.sourced_id == user["sourcedId"] and by_hand.cohort is not None
    assert Student.objects.filter(school=school).count() == 10


def test_a_delta_export_ends_moves_and_leaves_the_rest_alone(tmp_path):
    network = NetworkFactory()
    full = small_school()
    imported(network, full, tmp_path)
    delta = full.copy()
    delta.modes = {
        name: "delta" for name in ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv")
    }
    delta.modes.update(
        {"academicSessions.csv": "absent", "courses.csv": "absent", "demographics.csv": "absent"}
    )
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        del delta.tables[name]
    delta.tables["orgs.csv"] = []
    delta.tables["classes.csv"] = []
    leaver = {**full.row("users.csv", "st01"), "status": "tobedeleted"}
    delta.tables["users.csv"] = [leaver]
    dropped = {**full.row("enrollments.csv", "e-st07"), "status": "tobedeleted"}
    moved_out = {**full.row("enrollments.csv", "e-st06"), "status": "tobedeleted"}
    moved_in = {
        **full.row("enrollments.csv", "e-st06"),
        "sourcedId": "e-st06-k",
        "classSourcedId": "hr-k",
    }
    delta.tables["enrollments.csv"] = [dropped, moved_out, moved_in]

    plan = imported(network, delta, tmp_path)

    assert plan.ok, plan.errors
    actions = {(c.sourced_id, c.action) for c in plan.changes}
    assert actions == {("st01", "end"), ("st07", "end"), ("st06", "update")}
    assert Student.objects.get(sourced_id="st06").cohort.sourced_id == "hr-k"
    assert Student.objects.get(sourced_id="st06").grade.level == 0
    assert Student.objects.filter(enrollment_end__isnull=True).count() == 8


def test_an_account_that_also_works_in_another_network_keeps_its_names_and_email(tmp_path):
    network = NetworkFactory()
    export = small_school()
    imported(network, export, tmp_path)
    account = Staff.objects.get(school__network=network, sourced_id="t1").user
    StaffFactory(user=account)  # a school of another network
    export.row("users.csv", "t1")["email"] = "new@example.org"
    export.row("users.csv", "t1")["familyName"] = "Renamed"

    plan = imported(network, export, tmp_path)

    account.refresh_from_db()
    assert plan.ok and plan.changes == []
    assert (account.email, account.last_name) == ("t1@example.org", "Familyt1")
    assert [w.row for w in plan.warnings if w.column == "username"] == [2]  # t1's row


def test_a_renamed_username_taken_by_another_account_keeps_the_one_it_has(tmp_path):
    network = NetworkFactory()
    export = small_school()
    imported(network, export, tmp_path)
    UserFactory(username="taken")
    export.row("users.csv", "t1")["username"] = "taken"
    export.row("users.csv", "t2")["username"] = "t2-renamed"

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    usernames = dict(
        Staff.objects.filter(school__network=network).values_list("sourced_id", "user__username")
    )
    assert usernames == {"t1": "t1@example.org", "t2": "t2-renamed"}
    assert [(c.kind, c.action, c.sourced_id, c.fields) for c in plan.changes] == [
        ("account", "update", "t2", ("username",))
    ]
