"""A combination cohort (a homeroom of students of two grades) on the pages and the API: each
student shows, and is measured on, their own grade; the cohort keeps the grade whose rotation
template its day follows."""

import datetime

import pytest
from django.urls import reverse

from learninglabs.models import Program, ProgramGoal, Subject

from ..conftest import client_for
from ..factories import GradeFactory, StudentFactory

pytestmark = pytest.mark.django_db

ENROLLED = datetime.date(2025, 8, 1)  # before any date the pages may be read on


@pytest.fixture
def combination(school_a):
    """School A's grade-3 cohort with a 4th grader in it too."""
    school, third = school_a.school, school_a.student
    third.enrollment_start = ENROLLED
    third.save(update_fields=["enrollment_start"])
    fourth = StudentFactory(
        school=school,
        cohort=third.cohort,
        grade=GradeFactory(school=school, level=4),
        enrollment_start=ENROLLED,
    )
    return school_a, third, fourth


def test_the_cohort_roster_shows_each_students_own_grade(combination):
    world, third, fourth = combination

    response = client_for(world.leader.user).get(reverse("cohort-roster", args=[third.cohort.pk]))

    page = response.content.decode()
    assert {s.pk: s.grade.level for s in response.context["students"]} == {
        third.pk: 3,
        fourth.pk: 4,
    }
    assert "<td>3</td>" in page and "<td>4</td>" in page
    assert (
        "A combination class: each student keeps their own grade; the cohort's day follows "
        "the Grade 3 rotation template." in page
    )


def test_the_api_gives_students_their_own_grade_and_the_cohort_the_one_it_follows(combination):
    world, third, fourth = combination
    client = client_for(world.leader.user)

    students = client.get("/api/v1/students/", {"cohort": third.cohort.pk}).json()["results"]
    cohort = client.get(f"/api/v1/cohorts/{third.cohort.pk}/").json()

    assert {s["id"]: s["grade"] for s in students} == {third.pk: "3", fourth.pk: "4"}
    assert cohort["grade"] == "3"


def test_progress_measures_each_student_against_their_own_grades_goal(combination):
    world, third, fourth = combination
    math = Program.objects.create(
        school=world.school, name="ST Math", code="st-math", subject=Subject.MATH, kind="adaptive"
    )
    for grade, minutes in ((3, 100), (4, 150)):
        ProgramGoal.objects.create(
            school=world.school, program=math, grade=grade, weekly_minutes=minutes
        )

    response = client_for(world.leader.user).get(reverse("progress-cohort", args=[third.cohort.pk]))

    goals = {r.student.pk: r.pace.goal.weekly_minutes for r in response.context["rows"]}
    assert goals == {third.pk: 100, fourth.pk: 150}
    assert "<td>4</td>" in response.content.decode()
