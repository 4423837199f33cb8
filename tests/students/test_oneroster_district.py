"""A district's export as an SIS writes it holds more than a K-5 network runs: a middle school,
TK children and 6th graders, academic sessions and demographics the import never uses, and
homeroom enrollments with dates (a mid-year move, a move that takes effect later). What the
network does not serve is left out with a warning that counts it and names the first rows; the
rest imports. Two homerooms at once stay an error, naming both rows."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from students.cohort_moves import cohort_moves_make
from students.models import Cohort, CohortMove, School, Staff, Student
from students.oneroster.records import ExportError

from ..conftest import client_for
from ..factories import NetworkFactory, UserFactory
from .oneroster_files import MODIFIED, SCHOOL, OneRosterExport, small_school
from .test_oneroster_sync import imported as import_export

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 11, 15)
MIDDLE = "s-middle"


def imported(network, export: OneRosterExport, tmp_path: Path, *, today=TODAY):
    return import_export(network, export, tmp_path, today=today)


def user(user_id: str, role: str, grade: str, school: str = SCHOOL) -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": user_id,
        "enabledUser": "true",
        "orgSourcedIds": school,
        "role": role,
        "username": f"{user_id}@example.org",
        "givenName": f"Given{user_id}",
        "familyName": f"Family{user_id}",
        "identifier": user_id.upper(),
        "grades": grade,
    }


def homeroom(class_id: str, grade: str, school: str = SCHOOL) -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": class_id,
        "title": f"Homeroom {class_id}",
        "grades": grade,
        "courseSourcedId": "c-homeroom",
        "classCode": class_id.upper(),
        "classType": "homeroom",
        "schoolSourcedId": school,
        "termSourcedIds": "y2025",
    }


def enrollment(
    enrollment_id: str,
    user_id: str,
    class_id: str,
    begin: str = "2024-08-12",
    end: str = "2025-06-13",
    school: str = SCHOOL,
    role: str = "student",
) -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": enrollment_id,
        "classSourcedId": class_id,
        "schoolSourcedId": school,
        "userSourcedId": user_id,
        "role": role,
        "primary": "false",
        "beginDate": begin,
        "endDate": end,
    }


def district() -> OneRosterExport:
    """The small school plus: a middle school (a 6th grade homeroom, its students and its
    teacher), a TK homeroom with two TK children, a 6th grader and a pre-K child at the K-5
    school, a second kindergarten homeroom, a mid-year move (st01 left hr-k on 31 October for
    hr-k2) and a student who left in October."""
    export = small_school("1.1")
    export.tables["orgs.csv"].append(
        {
            "status": "active",
            "dateLastModified": MODIFIED,
            "sourcedId": MIDDLE,
            "name": "Discovery Middle School",
            "type": "school",
            "parentSourcedId": "d1",
        }
    )
    classes = export.rows("classes.csv")
    classes += [
        homeroom("hr-k2", "KG"),
        homeroom("hr-tk", "TK"),
        homeroom("hr-6", "06", MIDDLE),
        homeroom("hr-7", "07", MIDDLE),
    ]
    users = export.rows("users.csv")
    users += [
        user("tk1", "student", "TK"),
        user("tk2", "student", "TK"),
        user("g6", "student", "06"),  # a 6th grader the K-5 school still lists
        user("pk1", "student", "PK"),
        user("m1", "student", "06", MIDDLE),
        user("m2", "student", "07", MIDDLE),
        user("tm", "teacher", "", MIDDLE),
        user("gone", "student", "02"),  # left in October, never imported
        user("tk3", "student", ""),  # no grade of their own: their homeroom's is TK
    ]
    enrollments = export.rows("enrollments.csv")
    enrollments += [
        enrollment("e-tk1", "tk1", "hr-tk"),
        enrollment("e-tk2", "tk2", "hr-tk"),
        enrollment("e-g6", "g6", "hr-1"),
        enrollment("e-m1", "m1", "hr-6", school=MIDDLE),
        enrollment("e-m2", "m2", "hr-7", school=MIDDLE),
        enrollment("e-tm", "tm", "hr-6", school=MIDDLE, role="teacher"),
        # st01 moved from hr-k to hr-k2 mid-year: the old enrollment ended, a new one began.
        enrollment("e-st01-new", "st01", "hr-k2", begin="2024-11-01"),
        enrollment("e-gone", "gone", "hr-1", end="2024-10-15"),
        enrollment("e-tk3", "tk3", "hr-tk"),
    ]
    export.row("enrollments.csv", "e-st01")["endDate"] = "2024-10-31"
    return export


def row_of(export: OneRosterExport, file: str, sourced_id: str) -> int:
    """The spreadsheet row (header 1) of ``sourced_id`` in ``file``."""
    ids = [r["sourcedId"] for r in export.rows(file)]
    return ids.index(sourced_id) + 2


def warning_with(plan, text: str) -> ExportError:
    found = [w for w in plan.warnings if text in w.reason]
    assert len(found) == 1, [str(w) for w in plan.warnings]
    return found[0]


def test_a_district_export_imports_what_the_network_serves_and_warns_about_the_rest(tmp_path):
    network = NetworkFactory()
    export = district()

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    # The middle school and everything in it are left out; the K-5 school imports.
    assert list(School.objects.filter(network=network).values_list("sourced_id", flat=True)) == [
        SCHOOL
    ]
    middle = warning_with(plan, "Discovery Middle School")
    assert (middle.file, middle.row) == ("orgs.csv", row_of(export, "orgs.csv", MIDDLE))
    assert "06, 07" in middle.reason and "2 classes" in middle.reason
    assert not Staff.objects.filter(sourced_id="tm").exists()
    # TK, 6th grade and pre-K children at the K-5 school: counted, first rows named.
    students = warning_with(plan, "students are in grades this network does not serve")
    first = row_of(export, "users.csv", "tk1")
    assert (students.file, students.row) == ("users.csv", first)
    assert students.reason.startswith("5 students")
    assert "06: 1, PK: 1, TK: 3" in students.reason
    tk3 = row_of(export, "users.csv", "tk3")
    assert f"{first}, {first + 1}, {first + 2}, {first + 3}, {tk3}." in students.reason
    rooms = warning_with(plan, "homerooms are of grades this network does not serve")
    assert (rooms.file, rooms.row) == ("classes.csv", row_of(export, "classes.csv", "hr-tk"))
    assert rooms.reason.startswith("1 homerooms") and "TK: 1" in rooms.reason
    assert set(Student.objects.values_list("sourced_id", flat=True)) == {
        f"st{n:02d}" for n in range(1, 11)
    }
    assert set(Cohort.objects.values_list("sourced_id", flat=True)) == {"hr-k", "hr-1", "hr-k2"}
    # The mid-year move: the ended enrollment is history, not a second homeroom.
    assert Student.objects.get(sourced_id="st01").cohort.sourced_id == "hr-k2"
    assert Student.objects.get(sourced_id="st02").cohort.sourced_id == "hr-k"
    # A new student whose only homeroom enrollment ended is not created just to be ended.
    gone = warning_with(plan, "new students are in no homeroom")
    assert (gone.file, gone.row) == ("users.csv", row_of(export, "users.csv", "gone"))
    assert gone.reason.startswith("1 new students")


def test_a_teacher_whose_homeroom_ended_no_longer_teaches_it(tmp_path):
    network = NetworkFactory()
    export = small_school("1.1")
    export.row("enrollments.csv", "e-t1")["endDate"] = "2024-10-31"
    export.rows("enrollments.csv").append(
        enrollment("e-t2-k", "t2", "hr-k", begin="2024-11-01", role="teacher")
    )

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    cohorts = {
        member.sourced_id: sorted(c.sourced_id for c in member.cohorts.all())
        for member in Staff.objects.filter(school__network=network)
    }
    assert cohorts == {"t1": [], "t2": ["hr-1", "hr-k"]}


def test_tk_is_kindergarten_where_the_network_says_so(tmp_path):
    network = NetworkFactory(tk_as_kindergarten=True)

    plan = imported(network, district(), tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    tk = Cohort.objects.get(sourced_id="hr-tk")
    assert tk.grade.level == 0
    assert {s.sourced_id: s.grade.level for s in Student.objects.filter(cohort=tk)} == {
        "tk1": 0,
        "tk2": 0,
        "tk3": 0,
    }
    students = warning_with(plan, "students are in grades this network does not serve")
    assert students.reason.startswith("2 students") and "TK" not in students.reason
    assert not [w for w in plan.warnings if "homerooms are of grades" in w.reason]


def test_the_tk_setting_is_on_the_networks_admin_page():
    network = NetworkFactory()
    client = client_for(UserFactory(is_superuser=True, is_staff=True))
    page = reverse("admin:students_network_change", args=[network.pk])

    response = client.post(
        page, {"name": network.name, "slug": network.slug, "tk_as_kindergarten": "on"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    network.refresh_from_db()
    assert network.tk_as_kindergarten


def test_a_move_that_begins_later_waits_for_its_day(tmp_path):
    network = NetworkFactory()
    export = small_school("1.1")
    export.row("enrollments.csv", "e-st02")["endDate"] = "2024-11-29"
    export.rows("classes.csv").append(homeroom("hr-k2", "KG"))
    export.rows("enrollments.csv").append(
        enrollment("e-st02-new", "st02", "hr-k2", begin="2024-12-02")
    )
    # A new kindergartner whose homeroom begins later is enrolled from that day.
    export.rows("users.csv").append(user("st11", "student", "KG"))
    export.rows("enrollments.csv").append(enrollment("e-st11", "st11", "hr-k", begin="2024-12-02"))

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    assert Student.objects.get(sourced_id="st02").cohort.sourced_id == "hr-k"
    later = warning_with(plan, "begins later")
    assert (later.file, later.row) == (
        "enrollments.csv",
        row_of(export, "enrollments.csv", "e-st02-new"),
    )
    assert later.reason.startswith("1 students") and "Dec. 2, 2024: 1" in later.reason
    newcomer = Student.objects.get(sourced_id="st11")
    assert newcomer.cohort.sourced_id == "hr-k"
    assert newcomer.enrollment_start == datetime.date(2024, 12, 2)
    assert not Student.objects.enrolled_on(TODAY).filter(pk=newcomer.pk).exists()

    # The move is kept for the nightly; the same export again changes nothing.
    move = CohortMove.objects.get()
    assert (move.student.sourced_id, move.cohort.sourced_id, move.starts, move.sourced_id) == (
        "st02",
        "hr-k2",
        datetime.date(2024, 12, 2),
        "e-st02-new",
    )
    assert imported(network, export, tmp_path).changes == []

    # The nightly rebuild of 2 December makes it, once.
    school = School.objects.get(sourced_id=SCHOOL)
    assert cohort_moves_make(school=school, day=datetime.date(2024, 11, 29)) == 0
    assert cohort_moves_make(school=school, day=datetime.date(2024, 12, 2)) == 1
    st02 = Student.objects.get(sourced_id="st02")
    assert (st02.cohort.sourced_id, st02.grade.level) == ("hr-k2", 0)
    assert not CohortMove.objects.exists()

    # Imported on the day, the export agrees.
    moved = imported(network, export, tmp_path, today=datetime.date(2024, 12, 2))

    assert moved.ok, [str(e) for e in moved.errors]
    assert [c.sourced_id for c in moved.changes if c.kind == "student"] == []
    assert not [w for w in moved.warnings if "begins later" in w.reason]


def test_two_homerooms_at_once_are_an_error_naming_both_rows(tmp_path):
    network = NetworkFactory()
    export = small_school("1.1")
    export.rows("classes.csv").append(homeroom("hr-k2", "KG"))
    export.row("enrollments.csv", "e-st03")["endDate"] = ""  # never ended
    export.rows("enrollments.csv").append(
        enrollment("e-st03-new", "st03", "hr-k2", begin="2024-11-01")
    )

    plan = imported(network, export, tmp_path)

    assert not plan.ok
    assert not Student.objects.exists()
    [error] = plan.errors
    old, new = (row_of(export, "enrollments.csv", e) for e in ("e-st03", "e-st03-new"))
    assert (error.file, error.row, error.column) == ("enrollments.csv", new, "beginDate")
    assert f"'hr-k' (row {old})" in error.reason
    assert f"'hr-k2' (row {new})" in error.reason
    assert "from Nov. 1, 2024" in error.reason


def test_problems_in_files_the_import_does_not_use_are_warnings(tmp_path):
    network = NetworkFactory()
    export = small_school("1.1")
    export.row("academicSessions.csv", "y2025")["startDate"] = "12/08/24"  # two-digit year
    export.rows("demographics.csv")[2]["birthDate"] = "2018-02-30"
    export.rows("demographics.csv")[4]["birthDate"] = "someday"
    export.row("classes.csv", "hr-k")["termSourcedIds"] = "y1999"  # names no session
    export.modes["demographics.csv"] = "sometimes"  # the manifest row of an unused file

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    assert Student.objects.count() == 10
    demographics = warning_with(plan, "demographics.csv, row 4")
    assert (demographics.file, demographics.row) == ("demographics.csv", 4)
    assert demographics.reason.startswith("2 problems")
    assert "row 6" in demographics.reason
    sessions = warning_with(plan, "academicSessions.csv, row 2")
    assert sessions.reason.startswith("1 problem")
    assert warning_with(plan, "termSourcedIds").file == "classes.csv"
    manifest = warning_with(plan, "file.demographics")
    assert manifest.file == "manifest.csv"
    assert manifest.reason.startswith("1 problem")


def test_an_error_where_data_would_be_wrong_still_stops_the_import(tmp_path):
    network = NetworkFactory()
    export = small_school("1.1")
    export.row("academicSessions.csv", "y2025")["startDate"] = "someday"
    export.row("users.csv", "st01")["grades"] = "Kinder"  # not a grade code at all

    plan = imported(network, export, tmp_path)

    assert not plan.ok
    assert [(e.file, e.column) for e in plan.errors] == [("users.csv", "grades")]
    assert not Student.objects.exists()


def delta_of(full: OneRosterExport, enrollments: list[dict[str, str]]) -> OneRosterExport:
    """A delta export of ``full``'s school changing ``enrollments`` only."""
    delta = full.copy()
    delta.modes = {name: "delta" for name in ("orgs.csv", "classes.csv", "users.csv")}
    delta.modes["enrollments.csv"] = "delta"
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        delta.modes[name] = "absent"
        del delta.tables[name]
    delta.tables.update({"orgs.csv": [], "classes.csv": [], "users.csv": []})
    delta.tables["enrollments.csv"] = enrollments
    return delta


def test_a_delta_moves_ends_and_waits_by_the_enrollments_dates(tmp_path):
    network = NetworkFactory()
    full = small_school("1.1")
    imported(network, full, tmp_path)
    delta = delta_of(
        full,
        [
            {**full.row("enrollments.csv", "e-st06"), "endDate": "2024-10-31"},
            enrollment("e-st06-k", "st06", "hr-k", begin="2024-11-01"),
            enrollment("e-st07-k", "st07", "hr-k", begin="2024-12-02"),  # later
            {**full.row("enrollments.csv", "e-st08"), "endDate": "2024-10-15"},  # left
        ],
    )

    plan = imported(network, delta, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    assert {(c.sourced_id, c.action, c.fields) for c in plan.changes} == {
        ("st06", "update", ("cohort", "grade")),
        ("st07", "update", ("move",)),
        ("st08", "end", ("enrollment_end",)),
    }
    assert Student.objects.get(sourced_id="st06").cohort.sourced_id == "hr-k"
    st07 = Student.objects.get(sourced_id="st07")
    assert st07.cohort.sourced_id == "hr-1" and st07.enrollment_end is None
    assert warning_with(plan, "begins later").row == 4
    assert CohortMove.objects.get().student == st07  # made by the nightly of 2 December

    overlapping = delta_of(full, [enrollment("e-st09-k", "st09", "hr-k", begin="2024-11-01")])
    overlapping.tables["enrollments.csv"].insert(0, full.row("enrollments.csv", "e-st09"))

    plan = imported(network, overlapping, tmp_path)

    assert [(e.row, e.column) for e in plan.errors] == [(3, "beginDate")]
    assert "(row 2) and 'hr-k' (row 3)" in plan.errors[0].reason
