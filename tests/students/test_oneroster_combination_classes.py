"""A homeroom of several grades (a 4/5 combination class) imports as one cohort: its students
keep their own grades, the cohort follows the grade most of them are in (or the one a leader
chose in Setup, which later imports keep), and one warning names each such homeroom."""

import datetime
from pathlib import Path

import pytest

from scheduling.services.configuration import cohort_save
from students.models import Cohort, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.plan import roster_plan

from ..factories import NetworkFactory
from .oneroster_files import OneRosterExport, small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
# small_school's second homeroom (classes.csv row 3) made a 4/5 class; st06..st10 are its students.
COMBINED = "hr-1"
ITS_STUDENTS = ("st06", "st07", "st08", "st09", "st10")


def combination_school(grades=("04", "04", "05", "05", "05"), version="1.1") -> OneRosterExport:
    export = small_school(version)
    room = export.row("classes.csv", COMBINED)
    room["grades"], room["title"] = "04,05", "4/5 Combo"
    for user_id, grade in zip(ITS_STUDENTS, grades, strict=True):
        export.row("users.csv", user_id)["grades"] = grade
    return export


def imported(network, export: OneRosterExport, tmp_path: Path, *, today=TODAY):
    folder = export.write_folder(tmp_path / f"export-{len(list(tmp_path.iterdir()))}")
    plan = roster_plan(network=network, export=read_export(folder), today=today)
    if plan.ok:
        roster_apply(plan)
    return plan


def combination_warnings(plan) -> list[str]:
    return [str(w) for w in plan.warnings if "several grades" in w.reason]


def grades_of(*user_ids: str) -> dict[str, int]:
    students = Student.objects.filter(sourced_id__in=user_ids).select_related("grade")
    return {s.sourced_id: s.grade.level for s in students}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_4_5_homeroom_is_one_cohort_of_the_majority_grade_whose_students_keep_theirs(
    version, tmp_path
):
    network = NetworkFactory()

    plan = imported(network, combination_school(version=version), tmp_path)

    assert plan.ok, plan.errors
    assert plan.counts()["cohort"] == {"create": 2}
    assert plan.counts()["student"] == {"create": 10}
    combo = Cohort.objects.get(school__network=network, sourced_id=COMBINED)
    assert combo.grade.level == 5 and not combo.grade_chosen
    assert set(combo.students.values_list("sourced_id", flat=True)) == set(ITS_STUDENTS)
    assert grades_of(*ITS_STUDENTS) == {"st06": 4, "st07": 4, "st08": 5, "st09": 5, "st10": 5}
    assert combination_warnings(plan) == [
        "classes.csv, row 3, column grades: 1 homeroom holds several grades (a combination "
        "class): it is one cohort whose students keep their own grades, and its day follows "
        "one grade's rotation template: '4/5 Combo' (row 3) follows grade 5 (most of its "
        "students). A leader can change that grade in Setup > Cohorts; later imports keep the "
        "choice."
    ]


def test_on_a_tie_the_cohort_follows_the_lower_grade_and_an_ungraded_student_takes_it(tmp_path):
    network = NetworkFactory()

    plan = imported(network, combination_school(("04", "05", "04", "05", "UG")), tmp_path)

    assert plan.ok, plan.errors
    assert Cohort.objects.get(sourced_id=COMBINED).grade.level == 4
    assert grades_of(*ITS_STUDENTS) == {"st06": 4, "st07": 5, "st08": 4, "st09": 5, "st10": 4}
    [warning] = combination_warnings(plan)
    assert "'4/5 Combo' (row 3) follows grade 4 (a tie: the lowest of the tied grades)" in warning


def test_a_combination_homeroom_with_no_students_follows_its_lowest_grade(tmp_path):
    network = NetworkFactory()
    export = combination_school()
    export.tables["enrollments.csv"] = [
        e for e in export.rows("enrollments.csv") if e["userSourcedId"] not in ITS_STUDENTS
    ]
    export.tables["users.csv"] = [
        u for u in export.rows("users.csv") if u["sourcedId"] not in ITS_STUDENTS
    ]

    plan = imported(network, export, tmp_path)

    assert plan.ok, plan.errors
    assert Cohort.objects.get(sourced_id=COMBINED).grade.level == 4
    [warning] = combination_warnings(plan)
    assert "follows grade 4 (no students yet: its lowest grade)" in warning


def test_a_student_of_a_grade_their_combination_homeroom_does_not_hold_is_an_error(tmp_path):
    network = NetworkFactory()
    export = combination_school(("03", "04", "05", "05", "05"))

    plan = imported(network, export, tmp_path)

    [error] = plan.errors
    assert (error.file, error.column) == ("users.csv", "grades")
    assert error.reason == (
        "User 'st06' is in grade 03 but their homeroom 'hr-1' is of grade 4, 5."
    )
    assert not Student.objects.exists()


def test_a_grade_chosen_in_setup_survives_a_re_import(tmp_path):
    network = NetworkFactory()
    export = combination_school()
    imported(network, export, tmp_path)
    combo = Cohort.objects.get(sourced_id=COMBINED)

    cohort_save(school=combo.school, cohort=combo, name=combo.name, grade_level=4)
    again = imported(network, export, tmp_path)

    combo.refresh_from_db()
    assert again.ok and again.changes == []
    assert combo.grade.level == 4 and combo.grade_chosen
    assert grades_of(*ITS_STUDENTS) == {"st06": 4, "st07": 4, "st08": 5, "st09": 5, "st10": 5}
    [warning] = combination_warnings(again)
    assert "'4/5 Combo' (row 3) follows grade 4 (chosen in Setup)" in warning


def test_a_chosen_grade_the_class_no_longer_holds_gives_way_to_the_majority(tmp_path):
    network = NetworkFactory()
    imported(network, combination_school(), tmp_path)
    combo = Cohort.objects.get(sourced_id=COMBINED)
    cohort_save(school=combo.school, cohort=combo, name=combo.name, grade_level=4)
    now_3_5 = combination_school(("03", "03", "05", "05", "05"))
    now_3_5.row("classes.csv", COMBINED)["grades"] = "03,05"

    plan = imported(network, now_3_5, tmp_path)

    assert plan.ok, plan.errors
    [change] = [c for c in plan.changes if c.kind == "cohort"]
    assert change.fields == ("grade", "grade_chosen")
    combo.refresh_from_db()
    assert combo.grade.level == 5 and not combo.grade_chosen


def test_a_delta_enrolls_a_new_student_in_a_stored_combination_homeroom_in_their_grade(tmp_path):
    network = NetworkFactory()
    full = combination_school()
    imported(network, full, tmp_path)
    delta = full.copy()
    delta.modes = {
        name: "delta" for name in ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv")
    }
    delta.modes.update(
        {name: "absent" for name in ("academicSessions.csv", "courses.csv", "demographics.csv")}
    )
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        del delta.tables[name]
    delta.tables["orgs.csv"] = []
    delta.tables["classes.csv"] = []  # the homeroom is stored, not listed
    newcomer = {**full.row("users.csv", "st06"), "sourcedId": "st11", "identifier": "ST11"}
    newcomer["username"] = "st11@example.org"
    delta.tables["users.csv"] = [newcomer]
    delta.tables["enrollments.csv"] = [
        {**full.row("enrollments.csv", "e-st06"), "sourcedId": "e-st11", "userSourcedId": "st11"}
    ]

    plan = imported(network, delta, tmp_path)

    assert plan.ok, plan.errors
    st11 = Student.objects.select_related("grade", "cohort").get(sourced_id="st11")
    assert st11.grade.level == 4 and st11.cohort.sourced_id == COMBINED
    assert Cohort.objects.get(sourced_id=COMBINED).grade.level == 5
