"""Building, storing and publishing schedules: atomic, versioned, validated, never half-done."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from scheduling.models import Schedule, ScheduleStatus, SchoolSchedulingSettings, StaffAbsence
from scheduling.selectors.problem import problem_for
from scheduling.services.builds import ScheduleRejected, schedule_build, schedule_publish
from scheduling.services.day_builds import SOLVER_SAFETY_SECONDS, stored_blocks
from scheduling.services.day_builds import work_limited as work_limited_by_setting
from scheduling.solver.stage1 import SolveOptions
from scheduling.solver.validate import validate

from ..factories import SchoolFactory
from ..solver_limits import work_limited
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db
FAST = work_limited(workers=1, seed=3)


def build_and_publish(school, *options: str) -> str:
    """Runs ``build_schedules --publish`` for ``school`` on ``DATE``; returns what it printed."""
    out = StringIO()
    call_command(
        "build_schedules",
        "--date",
        DATE.isoformat(),
        "--school",
        school.slug,
        "--publish",
        *options,
        stdout=out,
    )
    return out.getvalue()


def statuses(school):
    return list(
        Schedule.objects.filter(school=school).order_by("version").values_list("version", "status")
    )


def test_a_work_limit_setting_makes_seconds_only_a_safety_net(settings):
    settings.SOLVER_WORK_LIMIT = 0.7

    bound = work_limited_by_setting(SolveOptions(time_limit=10, workers=1, seed=3))

    assert (bound.work_limit, bound.time_limit, bound.seed) == (0.7, SOLVER_SAFETY_SECONDS, 3)
    assert work_limited_by_setting(FAST) == FAST  # a test's own work limit stands


def test_without_a_work_limit_setting_builds_run_on_the_configured_seconds(settings):
    settings.SOLVER_WORK_LIMIT = None
    options = SolveOptions(time_limit=20, workers=2)

    assert work_limited_by_setting(options) == options


def test_a_build_stores_a_valid_draft_with_its_stats():
    k = kindergarten()

    result = schedule_build(school=k.school, date=DATE, options=FAST)

    schedule = result.schedule
    assert schedule is not None and schedule.status == ScheduleStatus.DRAFT
    assert schedule.version == 1
    assert schedule.solver_stats["status"] in {"OPTIMAL", "FEASIBLE"}
    assert validate(problem_for(school=k.school, date=DATE), stored_blocks(schedule)) == ()
    assert len(stored_blocks(schedule)) >= 8  # two cohorts, four stations each


def test_publishing_supersedes_the_previous_version():
    k = kindergarten()
    first = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule
    SchoolSchedulingSettings.objects.filter(school=k.school).update(transitions_weight=50)

    second = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule

    assert (first.version, second.version) == (1, 2)
    assert statuses(k.school) == [(1, ScheduleStatus.SUPERSEDED), (2, ScheduleStatus.PUBLISHED)]


def test_an_unchanged_input_makes_no_new_version():
    k = kindergarten()
    first = schedule_build(school=k.school, date=DATE, options=FAST)

    again = schedule_build(school=k.school, date=DATE, options=FAST)

    assert again.unchanged and again.schedule.pk == first.schedule.pk
    assert Schedule.objects.filter(school=k.school).count() == 1


def test_an_impossible_configuration_stores_nothing_and_keeps_the_published_day(monkeypatch):
    k = kindergarten()
    schedule_build(school=k.school, date=DATE, publish=True, options=FAST)
    StaffAbsence.objects.create(school=k.school, staff=k.rivera, date=DATE)  # all day, no cover
    # No absence recovery option either (they have their own tests: test_absence_recovery).
    monkeypatch.setattr("scheduling.services.day_builds.options_for", lambda **kwargs: ())

    result = schedule_build(school=k.school, date=DATE, publish=True, options=FAST)

    assert result.schedule is None
    assert {r.code for r in result.reasons} == {"staff-absent"}
    assert statuses(k.school) == [(1, ScheduleStatus.PUBLISHED)]


def test_a_draft_that_no_longer_fits_is_refused_at_publish():
    k = kindergarten()
    draft = schedule_build(school=k.school, date=DATE, options=FAST).schedule
    StaffAbsence.objects.create(school=k.school, staff=k.rivera, date=DATE)

    with pytest.raises(ScheduleRejected, match="no longer fits the configuration"):
        schedule_publish(schedule=draft)

    assert statuses(k.school) == [(1, ScheduleStatus.DRAFT)]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_leave_exactly_one_published():
    k = kindergarten()
    v1 = schedule_build(school=k.school, date=DATE, options=FAST).schedule
    SchoolSchedulingSettings.objects.filter(school=k.school).update(transitions_weight=50)
    v2 = schedule_build(school=k.school, date=DATE, options=FAST).schedule
    barrier, errors = threading.Barrier(2), []

    def publish(schedule):
        try:
            barrier.wait()
            schedule_publish(schedule=schedule)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(s,)) for s in (v1, v2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [s for _, s in statuses(k.school)].count(ScheduleStatus.PUBLISHED) == 1


def test_the_command_builds_publishes_and_prints_a_summary():
    k = kindergarten()

    printed = build_and_publish(k.school, "--time-limit", "10")

    assert statuses(k.school) == [(1, ScheduleStatus.PUBLISHED)]
    lines = printed.splitlines()
    assert lines[-3].split() == [
        "school",
        "status",
        "objective",
        "gap",
        "moved",
        "lab",
        "plan",
        "seconds",
    ]
    assert lines[-1].split()[:3] == [k.school.name, "v1", "published"]
    assert "every service minute met" in lines[-1]


def test_the_command_exits_1_after_printing_every_school_when_one_got_no_schedule():
    k = kindergarten()
    unplanned = SchoolFactory(network=k.school.network, name="Zeta Prep", slug="zeta")  # no days
    out = StringIO()

    with pytest.raises(CommandError, match="no schedule for 1 of 2 schools: Zeta Prep") as failed:
        call_command("build_schedules", "--date", DATE.isoformat(), "--all", stdout=out)

    assert failed.value.returncode == 1
    table = {line.split("  ")[0]: line for line in out.getvalue().splitlines()}
    assert "not built" in table[unplanned.name]
    assert "v1 draft" in table[k.school.name]  # the other school was still built and listed
