"""Lost work comes back in minutes, and first: real workers on the rebuilds' own queue, killed
whole or in part, and a Redis that keeps nothing restarted with runs queued and in flight.

The workers run with the production mechanisms, their limits shrunk through the environment:
the rebuild's hard limit (``NIGHTLY_TIME_LIMIT``) to 30 s, and with it the nightly visibility
timeout (``NIGHTLY_VISIBILITY_TIMEOUT``, 45 s) and the sweeper's stale limit (twice the hard
limit, 60 s). Each test asserts one published version per school and date, and states and
counts rather than durations; the recovery times it saw are printed (``pytest -s``).
"""

import datetime
import time
from collections.abc import Callable

import pytest
from django.utils import timezone

from rocketship.broker import nightly_unacked_keys
from rocketship.demo import seed_school
from rocketship.demo.plan import SHAPE_S, DemoSchool
from scheduling.models import NightlyRun, RunState, ScheduleStatus

from ..scheduling.test_selectors import kindergarten
from .conftest import Faults, PublishedDay, published_day
from .harness import Worker, wait_until
from .test_nightly_faults import (
    BUILD_TIMEOUT,
    assert_published_once,
    finished,
    in_the_solve,
    old_version_stays_readable,
    state_of,
)

pytestmark = pytest.mark.celery_worker

TIME_LIMIT = 30  # NIGHTLY_TIME_LIMIT: above a rebuild's solve (SOLVE_WORK) on a busy machine
VISIBILITY_TIMEOUT = 45  # NIGHTLY_VISIBILITY_TIMEOUT: outlasts the hard limit
SHRUNK = {
    "NIGHTLY_TIME_LIMIT": str(TIME_LIMIT),
    "NIGHTLY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
}


def nightly_worker(faults: Faults, name: str) -> Worker:
    """A worker of the nightly queue alone, as production runs them."""
    return faults.worker(name, queues=[faults.nightly_queue], env=SHRUNK)


def fresh_runs(count: int) -> list[NightlyRun]:
    """Runs of ``count`` small schools with nothing published yet: each publishes version 1."""
    runs = []
    for _ in range(count):
        school = kindergarten().school
        date = school.calendar_days.get().date
        runs.append(NightlyRun.objects.create(school=school, night=date, date=date))
    return runs


def took_a_rebuild(worker: Worker) -> bool:
    return "scheduling.tasks.nightly_rebuild[" in worker.log()


def published_versions(run: NightlyRun) -> list[int]:
    return list(
        run.school.schedules.filter(date=run.date, status=ScheduleStatus.PUBLISHED).values_list(
            "version", flat=True
        )
    )


def test_a_whole_worker_killed_mid_rebuild_comes_back_on_the_other_worker_and_reads_lost(
    faults, busy_day: PublishedDay, settings
):
    settings.NIGHTLY_TIME_LIMIT = TIME_LIMIT  # this process reads the run's state as pages do
    settings.JOBS_LOST_GRACE_SECONDS = 2
    workers = [nightly_worker(faults, "one"), nightly_worker(faults, "two")]
    for worker in workers:
        worker.wait_ready()
    run = busy_day.run()
    faults.send_rebuild(run)
    readable = old_version_stays_readable(busy_day)
    in_the_solve(run, readable)
    (first,) = [worker for worker in workers if took_a_rebuild(worker)]
    (second,) = [worker for worker in workers if worker is not first]

    first.kill()  # kill -9 the main process and its pool: nothing is handed back
    killed_at = time.monotonic()

    # The delivery is held under the nightly workers' own keys, with their own timeout: the
    # shared index (and its 40-minute timeout) never sees it.
    client = faults.redis.client()
    assert client.zcard(nightly_unacked_keys(faults.nightly_queue)["unacked_index_key"]) == 1
    assert client.zcard("unacked_index") == 0
    assert faults.queued() == 0

    # Past the rebuild's hard limit no worker can still be at it: it reads "lost, running
    # again" (not "running") until the surviving worker takes it up again.
    def lost() -> bool:
        run.refresh_from_db()
        return run.lost

    wait_until(lost, timeout=VISIBILITY_TIMEOUT + 30, what="the run to read lost", every=0.5)
    shown_lost_after = time.monotonic() - killed_at
    assert run.state == RunState.RUNNING and run.attempts == 1
    page = busy_day.leader.get(f"/schools/{busy_day.school.pk}/nights/").content.decode()
    assert "Lost, running again" in page
    api = busy_day.leader.get("/api/v1/nightly-runs/").json()["results"]
    assert [(r["id"], r["lost"]) for r in api] == [(run.pk, True)]

    run = wait_until_finished(run, readable)
    recovered_after = time.monotonic() - killed_at
    assert_published_once(busy_day, run)
    # Redelivered by the broker (its nightly visibility timeout) to the surviving worker: one
    # more attempt, never queued again by the sweeper, and it no longer reads lost.
    assert run.attempts == 2 and not run.requeued and not run.lost
    assert took_a_rebuild(second)
    assert faults.unacknowledged() == {} and faults.queued() == 0
    print(
        f"\nwhole worker killed: shown lost after {shown_lost_after:.0f} s, published after "
        f"{recovered_after:.0f} s (hard limit {TIME_LIMIT} s, visibility {VISIBILITY_TIMEOUT} s)"
    )


def test_a_rebuild_whose_pool_process_is_killed_is_redone_before_the_rest_of_the_queue(
    faults, busy_day: PublishedDay
):
    worker = nightly_worker(faults, "order")
    worker.wait_ready()
    killed = busy_day.run()
    faults.send_rebuild(killed)
    waiting = fresh_runs(3)
    for run in waiting:
        faults.send_rebuild(run)
    readable = old_version_stays_readable(busy_day)
    in_the_solve(killed, readable)
    assert faults.queued() == 3  # one worker, one process: the others wait in Redis

    worker.kill_pool_process()
    killed_at = time.monotonic()

    killed = wait_until_finished(killed, readable)
    redone_after = time.monotonic() - killed_at
    waiting = [wait_until_finished(run) for run in waiting]

    assert_published_once(busy_day, killed)
    assert killed.attempts == 2 and not killed.requeued
    # Redone next: its second start came before any of the runs queued behind it started.
    started = [run.started_at for run in waiting if run.started_at is not None]
    assert killed.started_at is not None and len(started) == len(waiting)
    assert killed.started_at < min(started)
    for run in waiting:
        assert (run.state, run.attempts) == (RunState.PUBLISHED, 1), run.error
        assert published_versions(run) == [1]
    assert faults.unacknowledged() == {} and faults.queued() == 0
    print(f"\npool process killed: the run redone and published after {redone_after:.0f} s")


def wait_until_finished(run: NightlyRun, readable: Callable[[], None] | None = None) -> NightlyRun:
    done = wait_until(
        lambda: finished(run), timeout=BUILD_TIMEOUT, what="the run", while_waiting=readable
    )
    assert isinstance(done, NightlyRun)  # finished() gives the run once it is finished
    return done


@pytest.fixture
def busy_volatile_day(volatile_faults: Faults) -> PublishedDay:
    """``busy_day`` beside a Redis that keeps nothing."""
    school, _ = seed_school(school=DemoSchool("Fault Street", "fault-street", "F", SHAPE_S, 6001))
    return published_day(school)


def test_runs_lost_with_a_redis_that_keeps_nothing_come_back_through_the_sweeper(
    volatile_faults: Faults, busy_volatile_day: PublishedDay
):
    faults, busy = volatile_faults, busy_volatile_day
    nightly = nightly_worker(faults, "nightly")
    nightly.wait_ready()
    in_flight = busy.run()
    faults.send_rebuild(in_flight)
    queued = fresh_runs(4)
    for run in queued:
        faults.send_rebuild(run)
    readable = old_version_stays_readable(busy)
    in_the_solve(in_flight, readable)
    assert faults.queued() == 4
    assert faults.redis.client().config_get("appendonly") == {"appendonly": "no"}

    faults.redis.restart()  # comes back empty: the queue, the unacknowledged delivery, all gone
    restarted_at = time.monotonic()

    # The rebuild in flight finishes (its worker kept it); the queued ones vanished with Redis:
    # nothing is queued, and they stay queued in the database with no task to run them.
    in_flight = wait_until_finished(in_flight, readable)
    assert_published_once(busy, in_flight)
    assert in_flight.attempts == 1
    assert faults.queued() == 0 and faults.unacknowledged() == {}
    assert [state_of(run) for run in queued] == [RunState.QUEUED] * 4

    # Once they are stale (twice the hard limit after they were queued), a worker that starts
    # has them swept at once (worker_ready), and the beat's sweep would do the same.
    stale_at = max(run.queued_at for run in queued) + datetime.timedelta(seconds=2 * TIME_LIMIT)
    wait_until(
        lambda: timezone.now() > stale_at,
        timeout=2 * TIME_LIMIT + 10,
        what="the runs to be stale",
        every=0.5,
    )
    default = faults.worker("default", queues=[faults.default_queue], env=SHRUNK)

    queued = [wait_until_finished(run) for run in queued]
    recovered_after = time.monotonic() - restarted_at
    for run in queued:
        assert (run.state, run.attempts) == (RunState.PUBLISHED, 1), run.error
        assert run.requeued and run.first_queued_at is not None
        assert run.first_queued_at < run.queued_at
        assert published_versions(run) == [1]
    assert busy.versions() == [(1, ScheduleStatus.SUPERSEDED), (2, ScheduleStatus.PUBLISHED)]
    assert "students.tasks.jobs_sweep[" in default.log()  # the sweep it queued as it started
    print(
        f"\nredis restarted empty: {len(queued)} vanished runs published {recovered_after:.0f} s "
        f"after the restart (stale after {2 * TIME_LIMIT} s)"
    )
