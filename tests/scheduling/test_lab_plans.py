"""Every build plans the Learning Lab (stage 2) inside the rotations it builds, stores the plan
with the version, and publishing checks it again. The school is ``lab_world``'s kindergarten."""

import datetime
import math

import pytest

from learninglabs.models import ProgressRecord
from scheduling.models import (
    ActivityKind,
    LabSegment,
    NightlyRun,
    RunState,
    Schedule,
    ScheduleStatus,
)
from scheduling.selectors.lab_plans import plan_inputs_for, stored_plan
from scheduling.selectors.problem import problem_for
from scheduling.services import nightly
from scheduling.services.builds import ScheduleRejected, schedule_build, schedule_publish
from scheduling.services.day_builds import stored_blocks
from scheduling.solver.plan_inputs import plan_problem
from scheduling.solver.validate_stage2 import validate_plan
from students.models import ServiceNeed

from .factories import StaffAbsenceFactory
from .lab_world import FAST, WEEKLY_SERVICE_MINUTES, built_lab_world, lab_world
from .test_selectors import DATE

pytestmark = pytest.mark.django_db

WEDNESDAY = DATE + datetime.timedelta(days=1)
SESSION = 30  # every service need of lab_world meets in 30-minute sessions
DAILY_SHARE = WEEKLY_SERVICE_MINUTES / 5  # 24 minutes a day


def independent_check(schedule: Schedule) -> tuple:
    """The stored plan against the problem rebuilt from the database, by the validator."""
    problem = problem_for(school=schedule.school, date=schedule.date)
    inputs = plan_inputs_for(
        school_id=schedule.school_id, date=schedule.date, day_type_id=schedule.day_type_id
    )
    plan_problem_ = plan_problem(inputs, problem, stored_blocks(schedule))
    return validate_plan(plan_problem_, stored_plan(schedule.lab_plan))


def service_minutes(schedule: Schedule) -> dict[int, int]:
    minutes: dict[int, int] = {}
    for seg in LabSegment.objects.filter(plan__schedule=schedule, service__isnull=False):
        length = (seg.end.hour * 60 + seg.end.minute) - (seg.start.hour * 60 + seg.start.minute)
        assert seg.service_id is not None  # read with a service
        minutes[seg.service_id] = minutes.get(seg.service_id, 0) + length
    return minutes


def test_a_published_day_has_a_lab_plan_that_meets_every_service_minute():
    world = built_lab_world()
    schedule = world.schedule

    assert schedule.status == ScheduleStatus.PUBLISHED
    assert schedule.lab_plan.complete
    assert independent_check(schedule) == ()
    delivered = service_minutes(schedule)
    for need in ServiceNeed.objects.filter(student__school=world.school):
        assert delivered[need.pk] >= SESSION  # a fifth of 120 minutes, to the nearest session


def test_every_present_student_has_the_whole_lab_and_flexible_time_planned():
    world = built_lab_world()
    schedule = world.schedule

    lab_minutes = sum(
        (b.end.hour * 60 + b.end.minute) - (b.start.hour * 60 + b.start.minute)
        for b in schedule.blocks.filter(cohort=world.k.stanford, station__in=["lab", "flex"])
    )
    segments = LabSegment.objects.filter(plan__schedule=schedule, student=world.learner)
    planned = sum(
        (s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute) for s in segments
    )
    assert lab_minutes == 60 + 30 and planned == 60 + 30
    assert {s.kind for s in segments} >= {ActivityKind.SERVICE, ActivityKind.PROGRAM}


def test_services_are_delivered_by_the_role_the_need_names():
    world = built_lab_world()

    groups = {
        seg.student_id: seg.group.staff_id
        for seg in LabSegment.objects.filter(
            plan__schedule=world.schedule, kind=ActivityKind.SERVICE
        ).select_related("group")
    }
    assert groups[world.iep[0].pk] == world.chen.pk
    assert groups[world.iep[1].pk] == world.chen.pk
    assert groups[world.learner.pk] == world.diaz.pk


def test_tutoring_goes_to_the_students_furthest_behind():
    world = built_lab_world()

    tutored = set(
        LabSegment.objects.filter(
            plan__schedule=world.schedule, kind=ActivityKind.TUTORING
        ).values_list("student_id", flat=True)
    )
    assert tutored and tutored <= {s.pk for s in world.behind}


def test_new_progress_replans_the_lab_and_keeps_the_rotations():
    world = built_lab_world()
    first = world.schedule
    assert schedule_build(school=world.school, date=DATE, options=FAST).unchanged

    student = world.behind[0]
    ProgressRecord.objects.filter(student=student).update(minutes=40)
    second = schedule_build(school=world.school, date=DATE, options=FAST).schedule

    assert second.version == first.version + 1
    assert second.solver_stats["kept_from_version"] == first.version
    assert stored_blocks(second) == stored_blocks(first)
    assert second.lab_plan.input_fingerprint != first.lab_plan.input_fingerprint


def test_each_day_owes_a_fifth_of_the_week_less_what_earlier_days_delivered():
    world = built_lab_world()
    tuesday = service_minutes(world.schedule)
    assert len(tuesday) == 3  # each of the three needs had its session on Tuesday

    inputs = plan_inputs_for(
        school_id=world.school.pk, date=WEDNESDAY, day_type_id=world.schedule.day_type_id
    )

    due = {s.id: s.minutes for s in inputs.services}
    for need_id, minutes in tuesday.items():
        owed = 2 * DAILY_SHARE - minutes  # two planned days' share of 120 minutes a week
        nearest_session = SESSION * math.floor(owed / SESSION + 0.5)
        assert due.get(need_id, 0) == max(nearest_session, 0)


def test_the_weeks_last_school_day_owes_every_minute_left():
    world = lab_world()
    friday = DATE + datetime.timedelta(days=3)

    inputs = plan_inputs_for(
        school_id=world.school.pk, date=friday, day_type_id=world.schedule_day_type
    )

    assert {s.minutes for s in inputs.services} == {24}  # not rounded to a 30-minute session


def test_a_day_short_of_minutes_makes_them_up_the_next_day():
    world = lab_world()
    StaffAbsenceFactory(school=world.school, staff=world.chen, date=DATE)
    schedule_build(school=world.school, date=DATE, publish=True, options=FAST)

    inputs = plan_inputs_for(
        school_id=world.school.pk, date=WEDNESDAY, day_type_id=world.schedule_day_type
    )

    due = {s.student: s.minutes for s in inputs.services if s.kind == "iep"}
    assert due == {world.iep[0].pk: 60, world.iep[1].pk: 60}  # 48 owed: two sessions


def test_publishing_a_plan_that_no_longer_meets_a_service_is_refused():
    world = lab_world()
    draft = schedule_build(school=world.school, date=DATE, options=FAST).schedule
    ServiceNeed.objects.filter(student=world.learner).update(
        minutes_per_week=2 * WEEKLY_SERVICE_MINUTES
    )

    with pytest.raises(ScheduleRejected) as refused:
        schedule_publish(schedule=draft)

    assert any("Lab plan" in v for v in refused.value.errors["violations"])
    draft.refresh_from_db()
    assert draft.status == ScheduleStatus.DRAFT


def test_service_minutes_that_cannot_be_met_are_reported_by_student_and_provider():
    world = lab_world()
    StaffAbsenceFactory(school=world.school, staff=world.chen, date=DATE)

    schedule = schedule_build(school=world.school, date=DATE, options=FAST).schedule

    short = {row["student"]: row for row in schedule.lab_plan.shortfalls}
    assert set(short) == {s.pk for s in world.iep}
    assert all(row["due"] == SESSION and row["met"] == 0 for row in short.values())
    assert schedule.lab_plan.missing_minutes == 2 * SESSION
    assert independent_check(schedule) == ()


def test_the_nightly_rebuild_publishes_a_lab_plan(monkeypatch):
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    world = lab_world()
    run = NightlyRun.objects.create(school=world.school, night=DATE, date=DATE)

    run = nightly.nightly_rebuild(run_id=run.pk, options=FAST)

    assert run.state == RunState.PUBLISHED
    assert run.schedule.lab_plan.complete
    assert independent_check(run.schedule) == ()
