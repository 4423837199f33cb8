"""The progress pages: who may read them, what they show, and the audit of the reads."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from learninglabs.models import Program, ProgramGoal, ProgressRecord, StudentGoal, Subject
from students.models import AuditAction, AuditEvent, Role

from ..conftest import client_for
from ..factories import CohortFactory, StaffFactory, StudentFactory

pytestmark = pytest.mark.django_db


def today_at(world) -> datetime.date:
    return timezone.now().astimezone(world.school.zone).date()


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@pytest.fixture
def alder(school_a):
    """School A's student works 120 minutes a week in ST Math, mastery rising 5 a week; a
    classmate has done nothing. The grade's goal: 100 minutes, 80 mastery."""
    world = school_a
    world.student.enrollment_start = datetime.date(2025, 8, 1)
    world.student.save()
    math = Program.objects.create(
        school=world.school, name="ST Math", code="st-math", subject=Subject.MATH, kind="adaptive"
    )
    ProgramGoal.objects.create(
        school=world.school,
        program=math,
        grade=world.student.grade.level,
        weekly_minutes=100,
        lessons_per_week=0,
        mastery_target=80,
    )
    today = today_at(world)
    for week in range(8):
        ProgressRecord.objects.create(
            student=world.student,
            program=math,
            date=monday_of(today) - datetime.timedelta(weeks=week),
            minutes=120,
            mastery_level=Decimal(70 - 5 * week),
        )
    StudentFactory(
        school=world.school,
        cohort=world.student.cohort,
        last_name="Idle",
        enrollment_start=datetime.date(2025, 8, 1),
    )
    return world


def cohort_url(world) -> str:
    return f"/cohorts/{world.student.cohort_id}/progress/"


def student_url(world) -> str:
    return f"/students/{world.student.pk}/progress/"


def test_a_leader_sees_the_cohort_ranked_with_the_idle_student_first(alder):
    response = client_for(alder.leader.user).get(cohort_url(alder))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.student.last_name for r in rows] == ["Idle", alder.student.last_name]
    assert rows[0].pace.status == "behind"
    assert rows[0].pace.minutes_this_week == 0
    assert rows[1].pace.minutes_this_week == 120
    assert "Behind" in response.content.decode()
    listed = AuditEvent.objects.filter(action=AuditAction.LIST, model="students.student")
    assert {e.object_id for e in listed} == {str(r.student.pk) for r in rows}


def test_a_teacher_of_the_cohort_sees_a_students_charts_and_the_read_is_audited(alder):
    response = client_for(alder.teacher.user).get(student_url(alder))
    assert response.status_code == 200
    [chart] = response.context["programs"]
    assert len(chart.minutes.bars) == 8
    assert [w.minutes for w in chart.weeks] == [120] * 8
    assert chart.row.pace.mastery == 70.0
    # Five points a week: from 70 on this Monday, 80 two weeks later.
    monday = monday_of(today_at(alder))
    assert chart.row.pace.projected_date == monday + datetime.timedelta(days=14)
    page = response.content.decode()
    assert page.count("<svg") == 2
    assert "Minutes by week as a table" in page
    assert "Mastery as a table" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, model="students.student", object_id=str(alder.student.pk)
    ).exists()


def test_a_students_own_goal_replaces_the_grades(alder):
    math = Program.objects.get(school=alder.school)
    StudentGoal.objects.create(student=alder.student, program=math, weekly_minutes=200)
    response = client_for(alder.leader.user).get(student_url(alder))
    [chart] = response.context["programs"]
    assert chart.row.pace.goal.weekly_minutes == 200
    assert chart.row.pace.goal.mastery_target == 80


def test_a_network_admin_sees_the_pages(alder, network_admin):
    client = client_for(network_admin)
    assert client.get(cohort_url(alder)).status_code == 200
    assert client.get(student_url(alder)).status_code == 200


def test_staff_of_the_school_who_do_not_teach_the_cohort_are_refused(alder):
    other_cohort = CohortFactory(school=alder.school)
    outsider = StaffFactory(school=alder.school, roles=[Role.HUMANITIES], cohorts=[other_cohort])
    client = client_for(outsider.user)
    assert client.get(cohort_url(alder)).status_code == 403
    assert client.get(student_url(alder)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_another_schools_cohort_and_student_answer_404(alder, school_b):
    client = client_for(school_b.leader.user)
    assert client.get(cohort_url(alder)).status_code == 404
    assert client.get(student_url(alder)).status_code == 404
    assert client.get(f"/schools/{alder.school.pk}/progress/").status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, user_id=school_b.leader.user.pk)
    assert denied.count() == 3


def test_the_school_page_lists_what_each_user_may_open(alder):
    other_cohort = CohortFactory(school=alder.school, name="3 Other")
    url = f"/schools/{alder.school.pk}/progress/"
    leader_page = client_for(alder.leader.user).get(url)
    assert set(leader_page.context["cohorts"]) == {alder.student.cohort, other_cohort}
    teacher_page = client_for(alder.teacher.user).get(url)
    assert list(teacher_page.context["cohorts"]) == [alder.student.cohort]
    assert f'href="{url}"' in teacher_page.content.decode()  # the "Progress" link of the bar


def test_a_leader_lists_the_goals_in_the_admin(alder):
    client = client_for(alder.leader.user)
    goals = client.get("/admin/learninglabs/programgoal/")
    assert goals.status_code == 200
    assert [str(g) for g in goals.context["cl"].result_list] == ["ST Math goal for grade 3"]
    assert client.get("/admin/learninglabs/studentgoal/").status_code == 200
