"""Staff linked to the district, not a school: an itinerant music teacher works at each school
whose classes they teach; a district administrator who teaches nowhere is left out with a
counted warning. Students linked to the district are placed at their homeroom's school."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from students.models import Role, Staff, Student
from students.oneroster.records import ExportError

from ..factories import NetworkFactory
from .oneroster_files import DISTRICT, MODIFIED, SCHOOL, OneRosterExport, small_school
from .test_oneroster_sync import imported as import_export

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 11, 15)
SECOND = "s2"


def imported(network, export: OneRosterExport, tmp_path: Path):
    return import_export(network, export, tmp_path, today=TODAY)


def person(user_id: str, role: str, org: str, grade: str = "") -> dict[str, str]:
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": user_id,
        "enabledUser": "true",
        "orgSourcedIds": org,
        "role": role,
        "username": f"{user_id}@example.org",
        "givenName": f"Given{user_id}",
        "familyName": f"Family{user_id}",
        "identifier": user_id.upper(),
        "grades": grade,
    }


def school_class(class_id: str, school: str, grade: str, kind: str, course: str, title: str):
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": class_id,
        "title": title,
        "grades": grade,
        "courseSourcedId": course,
        "classCode": class_id.upper(),
        "classType": kind,
        "schoolSourcedId": school,
        "termSourcedIds": "y2025",
    }


def enrollment(user_id: str, class_id: str, school: str, role: str, end: str = ""):
    return {
        "status": "active",
        "dateLastModified": MODIFIED,
        "sourcedId": f"e-{user_id}-{class_id}",
        "classSourcedId": class_id,
        "schoolSourcedId": school,
        "userSourcedId": user_id,
        "role": role,
        "primary": "false",
        "beginDate": "2024-08-12",
        "endDate": end,
    }


def two_schools() -> OneRosterExport:
    """The small school and a second one (a kindergarten homeroom, two students, a teacher);
    a music teacher linked to the district only, teaching a music section at each school; a
    district administrator with no classes; a student linked to the district only, in the
    second school's homeroom."""
    export = small_school("1.1")
    export.rows("orgs.csv").append(
        {
            "status": "active",
            "dateLastModified": MODIFIED,
            "sourcedId": SECOND,
            "name": "Rocketship Second Prep",
            "type": "school",
            "parentSourcedId": DISTRICT,
        }
    )
    export.rows("courses.csv").append(
        {
            "status": "active",
            "dateLastModified": MODIFIED,
            "sourcedId": "c-music",
            "schoolYearSourcedId": "y2025",
            "title": "General Music",
            "orgSourcedId": DISTRICT,
        }
    )
    export.rows("classes.csv").extend(
        [
            school_class("hr2-k", SECOND, "KG", "homeroom", "c-homeroom", "K Berkeley"),
            school_class("music-1", SCHOOL, "KG", "scheduled", "c-music", "Music K"),
            school_class("music-2", SECOND, "KG", "scheduled", "c-music", "Music K"),
        ]
    )
    export.rows("users.csv").extend(
        [
            person("t3", "teacher", SECOND),
            person("s2-a", "student", SECOND, "KG"),
            person("s2-b", "student", SECOND, "KG"),
            person("d-student", "student", DISTRICT, "KG"),
            person("music", "teacher", DISTRICT),
            person("supt", "administrator", DISTRICT),
        ]
    )
    export.rows("enrollments.csv").extend(
        [
            enrollment("t3", "hr2-k", SECOND, "teacher"),
            enrollment("s2-a", "hr2-k", SECOND, "student"),
            enrollment("s2-b", "hr2-k", SECOND, "student"),
            enrollment("d-student", "hr2-k", SECOND, "student"),
            enrollment("music", "music-1", SCHOOL, "teacher"),
            enrollment("music", "music-2", SECOND, "teacher"),
        ]
    )
    return export


def row_of(export: OneRosterExport, file: str, sourced_id: str) -> int:
    return [r["sourcedId"] for r in export.rows(file)].index(sourced_id) + 2


def warning_with(plan, text: str) -> ExportError:
    found = [w for w in plan.warnings if text in w.reason]
    assert len(found) == 1, [str(w) for w in plan.warnings]
    return found[0]


def test_a_music_teacher_linked_to_the_district_works_at_both_schools_they_teach_at(tmp_path):
    network = NetworkFactory()

    plan = imported(network, two_schools(), tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    rows = Staff.objects.filter(sourced_id="music").select_related("school", "user")
    assert sorted(m.school.sourced_id for m in rows) == [SCHOOL, SECOND]
    assert len({m.user_id for m in rows}) == 1  # one login, two schools
    assert all(m.role_codes == {Role.SPECIALS} and m.active for m in rows)
    assert all([g.level for g in m.grades.all()] == [0] for m in rows)
    # The same export again changes nothing.
    assert imported(network, two_schools(), tmp_path).changes == []


def test_a_district_administrator_who_teaches_nowhere_is_a_counted_warning(tmp_path):
    network = NetworkFactory()
    export = two_schools()
    export.rows("users.csv").append(person("coach", "teacher", DISTRICT))

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    warning = warning_with(plan, "linked only to the district")
    first = row_of(export, "users.csv", "supt")
    assert (warning.file, warning.row) == ("users.csv", first)
    assert warning.reason.startswith("2 staff")
    assert "administrator: 1, teacher: 1" in warning.reason
    assert f"{first}, {first + 1}." in warning.reason
    assert not Staff.objects.filter(sourced_id__in=["supt", "coach"]).exists()
    assert not any(c.sourced_id in ("supt", "coach") for c in plan.changes)


def test_a_student_linked_to_the_district_is_placed_by_their_homeroom(tmp_path):
    network = NetworkFactory()
    export = two_schools()
    export.rows("users.csv").append(person("d-none", "student", DISTRICT, "KG"))

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    student = Student.objects.get(sourced_id="d-student")
    assert (student.school.sourced_id, student.cohort.sourced_id) == (SECOND, "hr2-k")
    # One in no homeroom of an imported school is a new student in no homeroom.
    unplaced = warning_with(plan, "new students are in no homeroom")
    assert unplaced.row == row_of(export, "users.csv", "d-none")
    assert not Student.objects.filter(sourced_id="d-none").exists()


def test_a_teacher_who_stops_teaching_at_a_school_leaves_it(tmp_path):
    network = NetworkFactory()
    imported(network, two_schools(), tmp_path)
    export = two_schools()
    export.row("enrollments.csv", "e-music-music-2")["endDate"] = "2024-10-31"

    plan = imported(network, export, tmp_path)

    assert plan.ok, [str(e) for e in plan.errors]
    at = {m.school.sourced_id: m.active for m in Staff.objects.filter(sourced_id="music")}
    assert at == {SCHOOL: True, SECOND: False}


def test_the_dry_run_lists_them(tmp_path):
    network = NetworkFactory()
    out = StringIO()

    call_command(
        "import_roster",
        "--network",
        network.slug,
        str(two_schools().write_zip(tmp_path / "export.zip")),
        "--dry-run",
        "--today",
        TODAY.isoformat(),
        stdout=out,
        stderr=StringIO(),
    )

    lines = out.getvalue().splitlines()
    assert lines.count("  create staff music@example.org") == 2
    assert not [line for line in lines if "supt@example.org" in line]
    assert any(
        "warning: users.csv, row" in line and "1 staff are linked only to the district" in line
        for line in lines
    )
    assert not Staff.objects.filter(sourced_id="music").exists()
