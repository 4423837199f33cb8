"""The nightly rebuild's service: who is due, one run a night, publish once, keep what works."""

import datetime
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from scheduling.models import (
    Fallback,
    NightlyRun,
    RunState,
    RunTrigger,
    Schedule,
    ScheduleStatus,
    StaffAbsence,
)
from scheduling.selectors.problem import problem_for
from scheduling.services import day_builds, nightly
from scheduling.services.builds import schedule_build
from scheduling.services.day_builds import stored_blocks
from scheduling.solver.validate import validate

from ..factories import SchoolFactory
from ..solver_limits import work_limited
from .factories import CalendarDayFactory
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db

FAST = work_limited(workers=1, seed=3)
# 02:30 in Los Angeles (the factories' zone) on the night before DATE, a Tuesday.
NIGHT_LA = datetime.datetime(2026, 9, 1, 9, 30, tzinfo=datetime.UTC)


def rebuild(run: NightlyRun) -> NightlyRun:
    rebuilt = nightly.nightly_rebuild(run_id=run.pk, options=FAST)
    assert rebuilt is not None
    return rebuilt


def queued_run(school, date=DATE, **fields) -> NightlyRun:
    return NightlyRun.objects.create(school=school, night=date, date=date, **fields)


@pytest.fixture(autouse=True)
def no_queueing(monkeypatch):
    """The tests call the service directly; what it would queue is recorded, not run."""
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(nightly, "_queue", lambda run_id: queued.append(("rebuild", run_id)))
    monkeypatch.setattr(nightly, "_notify", lambda run_id: queued.append(("notify", run_id)))
    return queued


# --- who is due -----------------------------------------------------------------------------------


def test_a_school_is_due_from_two_in_its_own_night_and_rebuilds_its_next_school_day():
    k = kindergarten()  # Los Angeles; DATE is instructional
    berlin = SchoolFactory(time_zone="Europe/Berlin")
    CalendarDayFactory(school=berlin, date=DATE, day_type__school=berlin)

    due = nightly.nightly_due(now=NIGHT_LA)

    # 02:30 in Los Angeles, 11:30 in Berlin: only Los Angeles is in its night.
    assert [(d.school, d.night, d.date) for d in due] == [(k.school, DATE, DATE)]
    before_two = NIGHT_LA - datetime.timedelta(hours=1)  # 01:30 local
    assert nightly.nightly_due(now=before_two) == []
    assert nightly.nightly_due(now=NIGHT_LA + datetime.timedelta(hours=4)) == []  # window over


def test_holidays_and_weekends_are_skipped_to_the_next_instructional_day():
    k = kindergarten()
    saturday = datetime.datetime(2026, 8, 29, 9, 30, tzinfo=datetime.UTC)
    CalendarDayFactory(school=k.school, date=datetime.date(2026, 8, 31), instructional=False)

    (due,) = nightly.nightly_due(now=saturday)

    assert (due.night, due.date) == (datetime.date(2026, 8, 29), DATE)


def test_a_school_with_no_school_day_ahead_is_not_due():
    k = kindergarten()
    far = datetime.datetime(2026, 6, 1, 9, 30, tzinfo=datetime.UTC)
    assert nightly.nightly_due(now=far) == []
    assert nightly.nightly_runs_start(schools=[k.school], now=far).skipped[0][0] == k.school


def test_the_fan_out_makes_one_run_a_night_however_often_it_fires(
    no_queueing, django_capture_on_commit_callbacks
):
    k = kindergarten()

    with django_capture_on_commit_callbacks(execute=True):
        first = nightly.nightly_fan_out(now=NIGHT_LA)
        again = nightly.nightly_fan_out(now=NIGHT_LA + datetime.timedelta(minutes=5))

    assert len(first) == 1 and again == []
    run = NightlyRun.objects.get()
    assert (run.school, run.night, run.date, run.state) == (k.school, DATE, DATE, RunState.QUEUED)
    assert no_queueing == [("rebuild", run.pk)]


# --- one school's rebuild ----------------------------------------------------------------------


def test_a_rebuild_publishes_a_version_the_validator_accepts_and_records_it(
    no_queueing, django_capture_on_commit_callbacks
):
    k = kindergarten()
    run = queued_run(k.school)

    with django_capture_on_commit_callbacks(execute=True):
        run = rebuild(run)

    assert run.state == RunState.PUBLISHED and run.attempts == 1
    assert run.schedule.status == ScheduleStatus.PUBLISHED
    assert run.finished_at >= run.started_at and run.solve_seconds is not None
    assert validate(problem_for(school=k.school, date=DATE), stored_blocks(run.schedule)) == ()
    assert ("notify", run.pk) in no_queueing


def test_unchanged_inputs_publish_nothing_new():
    k = kindergarten()
    published = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule

    run = rebuild(queued_run(k.school))

    assert run.state == RunState.UNCHANGED and run.schedule == published
    assert Schedule.objects.filter(school=k.school).count() == 1


def test_changed_inputs_publish_a_new_version_and_supersede_the_old():
    k = kindergarten()
    old = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule
    k.school.cohorts.filter(pk=k.howard.pk).update(name="K Howard-Ruiz")  # a roster change

    run = rebuild(queued_run(k.school))

    assert run.state == RunState.PUBLISHED and run.schedule.version == 2
    assert run.baseline == old
    old.refresh_from_db()
    assert old.status == ScheduleStatus.SUPERSEDED
    assert Schedule.objects.filter(school=k.school, status=ScheduleStatus.PUBLISHED).count() == 1


def test_a_run_delivered_twice_publishes_once():
    k = kindergarten()
    run = queued_run(k.school)

    first = rebuild(run)
    second = rebuild(run)

    assert first.state == second.state == RunState.PUBLISHED
    assert second.attempts == 1  # the finished run was not claimed again
    assert Schedule.objects.filter(school=k.school).count() == 1


def test_two_deliveries_running_at_once_publish_once():
    """The second delivery claims the run while the first solves; the first to publish wins and
    the other finds the run finished under the school's lock."""
    k = kindergarten()
    run = queued_run(k.school)
    real_solve = day_builds.solve
    inner: list[NightlyRun] = []
    calls = iter([True])  # only the first (outer) solve lets the other delivery run

    def solve_while_another_delivery_runs(problem, options):
        if next(calls, False):
            inner.append(rebuild(run))  # the redelivered task, start to finish
        return real_solve(problem, options)

    with mock.patch.object(day_builds, "solve", solve_while_another_delivery_runs):
        outer = rebuild(run)

    assert inner[0].state == RunState.PUBLISHED
    assert outer.state == RunState.PUBLISHED and outer.schedule == inner[0].schedule
    assert Schedule.objects.filter(school=k.school).count() == 1


def test_an_impossible_day_keeps_the_published_version_and_says_why():
    k = kindergarten()
    published = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule
    for staff in k.school.staff.all():
        StaffAbsence.objects.create(school=k.school, staff=staff, date=DATE)

    run = rebuild(queued_run(k.school))

    assert run.state == RunState.FAILED and run.fallback == Fallback.KEPT
    assert run.schedule == published and run.reasons and run.why_not
    published.refresh_from_db()
    assert published.status == ScheduleStatus.PUBLISHED


def test_with_nothing_published_the_last_day_of_its_kind_is_carried_forward_as_a_draft():
    k = kindergarten()
    earlier = DATE - datetime.timedelta(days=7)
    day_type = k.school.calendar_days.get(date=DATE).day_type
    CalendarDayFactory(school=k.school, date=earlier, day_type=day_type)
    source = schedule_build(school=k.school, date=earlier, publish=True, options=FAST).schedule
    for staff in k.school.staff.all():
        StaffAbsence.objects.create(school=k.school, staff=staff, date=DATE)

    run = rebuild(queued_run(k.school))
    again = rebuild(queued_run(k.school, trigger=RunTrigger.MANUAL))

    assert run.fallback == Fallback.CARRIED_FORWARD
    draft = run.schedule
    assert draft.status == ScheduleStatus.DRAFT and draft.carried_forward_from == source
    assert draft.date == DATE and draft.blocks.count() == source.blocks.count()
    assert again.schedule == draft  # carried forward once, not once per run


def test_a_database_outage_is_raised_for_the_task_to_retry_and_the_run_stays_open():
    k = kindergarten()
    run = queued_run(k.school)

    refused = OperationalError("connection refused")
    with (
        mock.patch.object(day_builds, "problem_for", side_effect=refused),
        pytest.raises(OperationalError),
    ):
        rebuild(run)

    run.refresh_from_db()
    assert run.state == RunState.RUNNING and run.finished_at is None
    assert rebuild(run).state == RunState.PUBLISHED and run.attempts == 1


def test_an_unexpected_error_is_recorded_without_publishing():
    k = kindergarten()
    with mock.patch.object(day_builds, "solve", side_effect=RuntimeError("bug")):
        run = rebuild(queued_run(k.school))
    assert run.state == RunState.FAILED and "unexpected" in run.error
    assert run.fallback == Fallback.NOTHING


def test_a_manual_run_now_starts_one_run_per_school(
    no_queueing, django_capture_on_commit_callbacks
):
    k = kindergarten()
    with django_capture_on_commit_callbacks(execute=True):
        started = nightly.nightly_runs_start(schools=[k.school], now=NIGHT_LA)
        again = nightly.nightly_runs_start(schools=[k.school], now=NIGHT_LA)
    assert [r.trigger for r in started.runs + again.runs] == [RunTrigger.MANUAL] * 2
    assert [kind for kind, _ in no_queueing] == ["rebuild", "rebuild"]


# --- the sweeper -------------------------------------------------------------------------------


def test_the_sweeper_requeues_lost_runs_and_gives_up_after_the_last_attempt(settings, no_queueing):
    settings.NIGHTLY_STALE_SECONDS = 600
    settings.NIGHTLY_MAX_ATTEMPTS = 3
    k = kindergarten()
    now = timezone.now()
    long_ago = now - datetime.timedelta(hours=1)
    lost = queued_run(k.school, queued_at=long_ago)
    died = queued_run(
        k.school,
        trigger=RunTrigger.MANUAL,
        state=RunState.RUNNING,
        queued_at=long_ago,
        started_at=long_ago,
        attempts=1,
    )
    busy = queued_run(
        k.school,
        trigger=RunTrigger.MANUAL,
        state=RunState.RUNNING,
        queued_at=long_ago,
        started_at=now,
        attempts=1,
    )
    spent = queued_run(
        k.school, trigger=RunTrigger.MANUAL, state=RunState.RUNNING, queued_at=long_ago,
        started_at=long_ago, attempts=3,
    )  # fmt: skip

    requeued = nightly.nightly_sweep(now=now)

    assert sorted(requeued) == sorted([lost.pk, died.pk])
    assert NightlyRun.objects.get(pk=died.pk).state == RunState.QUEUED
    assert NightlyRun.objects.get(pk=busy.pk).state == RunState.RUNNING
    gave_up = NightlyRun.objects.get(pk=spent.pk)
    assert gave_up.state == RunState.FAILED and "3 attempts" in gave_up.error
