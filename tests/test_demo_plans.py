"""The demo network's published days come with lab plans that meet every service minute, as the
independent stage-2 validator checks them against the database."""

import datetime

import pytest

from rocketship import demo
from scheduling.day_builds import stored_blocks
from scheduling.lab_plans import plan_inputs_for, stored_plan
from scheduling.models import Schedule, ScheduleStatus
from scheduling.selectors import problem_for
from scheduling.solver.plan_inputs import plan_problem
from scheduling.solver.validate_stage2 import validate_plan

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)  # a Tuesday: today and Wednesday are built


def test_every_published_demo_day_meets_every_service_minute():
    demo.seed_demo_network(today=TODAY)

    published = Schedule.objects.filter(status=ScheduleStatus.PUBLISHED).select_related(
        "school", "lab_plan"
    )
    assert published.count() == 4  # two schools, two days
    for schedule in published:
        problem = problem_for(school=schedule.school, date=schedule.date)
        inputs = plan_inputs_for(
            school_id=schedule.school_id, date=schedule.date, day_type_id=schedule.day_type_id
        )
        plan_problem_ = plan_problem(inputs, problem, stored_blocks(schedule))
        plan = stored_plan(schedule.lab_plan)

        assert validate_plan(plan_problem_, plan) == ()
        assert plan.complete, f"{schedule.school.slug} {schedule.date}: {plan.shortfalls}"
        assert inputs.services and inputs.students
        assert any(g.kind == "tutoring" for g in plan.groups)
