"""``manage.py rebuild_nights``: the night's rebuild run by hand, followed to the end, summed up.

Without REDIS_URL the rebuilds run in-process as each run commits (Celery's eager mode), so the
tests use real transactions: a run only starts once its row is committed, as on a worker.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scheduling.models import NightlyRun, RunState, RunTrigger, ScheduleStatus, StaffAbsence
from scheduling.services import nightly

from ..factories import SchoolFactory
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db(transaction=True)

# 02:30 in Los Angeles (the kindergarten's zone) on DATE, a school day.
NIGHT = "2026-09-01T02:30-07:00"


@pytest.fixture(autouse=True)
def quick_solves(settings):
    settings.NIGHTLY_SOLVE_SECONDS = 10


def rebuild_nights(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rebuild_nights", *args, "--at", NIGHT, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_all_schools_are_rebuilt_published_and_summed_up_and_one_without_a_school_day_is_skipped():
    k = kindergarten()
    summer = SchoolFactory(name="Summer Camp")  # no calendar: nothing to rebuild

    out, _ = rebuild_nights("--all")

    run = NightlyRun.objects.get()
    assert (run.school, run.date, run.state) == (k.school, DATE, RunState.PUBLISHED)
    assert run.trigger == RunTrigger.MANUAL
    assert run.schedule.status == ScheduleStatus.PUBLISHED
    alder = next(line for line in out.splitlines() if line.startswith("Alder"))
    assert "2026-09-01" in alder and "published" in alder and "v1 published" in alder
    camp = next(line for line in out.splitlines() if line.startswith(summer.name))
    assert "skipped" in camp and "no instructional day in the 7 days from 2026-09-01" in camp
    assert "1 published, 0 unchanged, 0 not published, 0 still running, 1 skipped" in out


def test_a_second_run_with_the_same_inputs_keeps_the_published_version():
    k = kindergarten()
    rebuild_nights("--school", k.school.slug)

    out, _ = rebuild_nights("--school", str(k.school.pk))  # by id this time

    first, second = NightlyRun.objects.order_by("pk")
    assert second.state == RunState.UNCHANGED and second.schedule == first.schedule
    assert "inputs unchanged: v1 stays published" in out
    assert "0 published, 1 unchanged" in out


def test_an_unknown_school_is_named_and_nothing_is_started():
    k = kindergarten()

    with pytest.raises(CommandError, match="no school with slug or id 'nowhere'"):
        rebuild_nights("--school", k.school.slug, "--school", "nowhere")

    assert not NightlyRun.objects.exists()


def test_it_needs_schools_to_rebuild():
    with pytest.raises(CommandError, match="--school --all"):
        call_command("rebuild_nights")


def test_a_moment_without_a_utc_offset_is_refused():
    with pytest.raises(CommandError, match="--at '2026-09-01T02:30': give a UTC offset"):
        call_command("rebuild_nights", "--all", "--at", "2026-09-01T02:30")


def test_a_school_that_cannot_be_rebuilt_fails_the_command_with_its_reasons():
    k = kindergarten()
    for staff in k.school.staff.all():
        StaffAbsence.objects.create(school=k.school, staff=staff, date=DATE)
    out = StringIO()

    with pytest.raises(CommandError, match="1 not published"):
        call_command("rebuild_nights", "--all", "--at", NIGHT, stdout=out, stderr=StringIO())

    run = NightlyRun.objects.get()
    assert run.state == RunState.FAILED and run.why_not
    alder = next(line for line in out.getvalue().splitlines() if line.startswith("Alder"))
    assert "not published" in alder and run.why_not in alder
    assert "no schedule for the date" in alder  # nothing published before, nothing to carry
    assert "0 published, 0 unchanged, 1 not published" in out.getvalue()


def test_runs_no_worker_takes_are_reported_still_queued_after_the_timeout(monkeypatch):
    k = kindergarten()
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)  # a broker with no worker

    out = StringIO()
    with pytest.raises(CommandError, match=r"1 still running after \d+ s"):
        call_command(
            "rebuild_nights",
            "--school",
            k.school.slug,
            "--timeout",
            "0.6",
            "--at",
            NIGHT,
            stdout=out,
            stderr=StringIO(),
        )

    assert NightlyRun.objects.get().state == RunState.QUEUED
    assert "still queued" in out.getvalue()


def test_without_waiting_it_lists_the_runs_and_succeeds(monkeypatch):
    k = kindergarten()
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)

    out, _ = rebuild_nights("--school", k.school.slug, "--no-wait")

    assert NightlyRun.objects.get().state == RunState.QUEUED
    assert "still queued" in out and "Not waiting" in out
