"""The demo network's published days come with lab plans that meet every service minute through
a whole week, Friday included (the week's last day owes every minute still due), as the
independent stage-2 validator checks them against the database, with the rules of plans people
can run: sessions long enough, groups of one grade with a place."""

import datetime

import pytest

from rocketship import demo
from rocketship.demo.scheduling import build_day
from scheduling.models import Schedule, ScheduleStatus
from scheduling.selectors.lab_plans import plan_inputs_for, stored_plan
from scheduling.selectors.problem import problem_for
from scheduling.services.day_builds import stored_blocks
from scheduling.solver.plan_inputs import plan_problem
from scheduling.solver.validate_stage2 import validate_plan
from students.models import School, ServiceNeed, Student

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 12, 7)  # seeding builds Monday and Tuesday; the test the rest
WEEK = [MONDAY + datetime.timedelta(days=n) for n in range(5)]


def test_every_published_demo_day_of_a_week_meets_every_service_minute():
    demo.seed_demo_network(today=MONDAY)
    for school in School.objects.order_by("pk"):
        for day in WEEK[2:]:
            assert build_day(school=school, day=day).schedule is not None, (school.slug, day)

    published = Schedule.objects.filter(
        status=ScheduleStatus.PUBLISHED, date__in=WEEK
    ).select_related("school", "lab_plan")
    assert sorted({s.date for s in published}) == WEEK
    delivered: dict[int, int] = {}
    for schedule in published.order_by("date", "school_id"):
        problem = problem_for(school=schedule.school, date=schedule.date)
        inputs = plan_inputs_for(
            school_id=schedule.school_id, date=schedule.date, day_type_id=schedule.day_type_id
        )
        plan_problem_ = plan_problem(inputs, problem, stored_blocks(schedule))
        plan = stored_plan(schedule.lab_plan)

        where = f"{schedule.school.slug} {schedule.date:%a}"
        assert validate_plan(plan_problem_, plan) == (), where
        assert plan.complete, f"{where}: {plan.shortfalls}"
        assert inputs.services and inputs.students
        assert any(g.kind == "tutoring" for g in plan.groups), where
        assert all(g.place is not None for g in plan.groups), where
        for segment in plan.segments:
            if segment.service is not None:
                delivered[segment.service] = delivered.get(segment.service, 0) + segment.minutes

    # By Friday the weekly minutes of every student enrolled all week are delivered in full.
    all_week = Student.objects.enrolled_on(WEEK[0]) & Student.objects.enrolled_on(WEEK[-1])
    needs = ServiceNeed.objects.filter(student__in=all_week.filter(cohort__isnull=False))
    assert needs.exists()
    for need in needs:
        assert delivered.get(need.pk, 0) >= need.minutes_per_week, need.pk
