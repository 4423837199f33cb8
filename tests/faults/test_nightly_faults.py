"""The nightly rebuild survives real faults: killed workers, a restarted Redis, a database that
refuses connections, and the same school rebuilt three times at once.

Real processes throughout: each test starts its own Redis (append-only, as production must run
it), Celery workers with a prefork pool on the PostgreSQL test database, and kills or restarts
them mid-build. In every case nothing is lost, exactly one new version is published, the run's
row is finished, and the old version stays readable until the new one replaces it.
"""

import time
from collections.abc import Callable

import pytest

from scheduling.models import NightlyRun, RunState, RunTrigger, ScheduleStatus

from ..scheduling.test_selectors import kindergarten
from .conftest import PublishedDay, published_day
from .harness import VISIBILITY_TIMEOUT, wait_until

pytestmark = pytest.mark.celery_worker

BUILD_TIMEOUT = 120  # a worker's start and a build or two, on a busy two-core machine


def state_of(run: NightlyRun) -> str:
    return NightlyRun.objects.values_list("state", flat=True).get(pk=run.pk)


def finished(run: NightlyRun) -> NightlyRun | None:
    run.refresh_from_db()
    return None if run.active else run


def old_version_stays_readable(day: PublishedDay) -> Callable[[], None]:
    """A check for every poll: exactly one version is published, and a leader reads it."""

    def check() -> None:
        (published,) = day.published()
        assert day.read_published() in (1, 2) and published.version in (1, 2)

    return check


def in_the_solve(run: NightlyRun, readable: Callable[[], None]) -> None:
    """Wait until the worker has claimed the run and is a second into its solve (which takes
    the workers' SOLVE_WORK, 2-3 s): the moment to kill it."""
    wait_until(
        lambda: state_of(run) == RunState.RUNNING,
        timeout=BUILD_TIMEOUT,
        what="the build to start",
        while_waiting=readable,
    )
    time.sleep(1)
    assert state_of(run) == RunState.RUNNING


def assert_published_once(day: PublishedDay, run: NightlyRun) -> None:
    assert run.state == RunState.PUBLISHED and run.finished_at is not None, run.error
    assert run.schedule is not None
    assert run.schedule.version == 2 and run.baseline == day.first
    # The killed build stored nothing: version 1 superseded by version 2, nothing half-built.
    assert day.versions() == [(1, ScheduleStatus.SUPERSEDED), (2, ScheduleStatus.PUBLISHED)]
    assert day.read_published() == 2


def test_a_build_whose_pool_process_is_killed_is_redelivered_and_published_once(faults, busy_day):
    worker = faults.worker("pool-kill")
    run = busy_day.run()
    faults.send_rebuild(run)
    readable = old_version_stays_readable(busy_day)
    in_the_solve(run, readable)

    killed = worker.kill_pool_process()

    assert busy_day.versions() == [(1, ScheduleStatus.PUBLISHED)]
    run = wait_until(
        lambda: finished(run), timeout=BUILD_TIMEOUT, what="the run", while_waiting=readable
    )
    assert_published_once(busy_day, run)
    assert run.attempts == 2  # the killed delivery and the redelivered one
    assert worker.process.poll() is None and killed not in worker.pool_pids()
    assert "SIGKILL" in worker.log()  # the main process saw its pool process die


def test_a_build_whose_whole_worker_is_killed_is_redelivered_to_a_new_worker_once(faults, busy_day):
    first = faults.worker("whole-kill")
    run = busy_day.run()
    faults.send_rebuild(run)
    readable = old_version_stays_readable(busy_day)
    in_the_solve(run, readable)

    first.kill()  # kill -9 the main process and its pool: nothing is handed back

    # The message is neither lost nor acknowledged: Redis holds it as delivered, and gives it
    # out again once the visibility timeout has passed. A worker looks for such messages when
    # it starts (and every 100 s after), so the replacement starts once the timeout is over.
    assert busy_day.versions() == [(1, ScheduleStatus.PUBLISHED)]
    ((_, delivered_at),) = faults.unacknowledged().items()
    assert faults.queued() == 0
    wait_until(
        lambda: time.time() > delivered_at + VISIBILITY_TIMEOUT + 1,
        timeout=VISIBILITY_TIMEOUT + 5,
        what="the visibility timeout",
        every=0.5,
        while_waiting=readable,
    )
    faults.worker("replacement")
    run = wait_until(
        lambda: finished(run), timeout=BUILD_TIMEOUT, what="the run", while_waiting=readable
    )
    assert_published_once(busy_day, run)
    assert run.attempts == 2
    assert faults.unacknowledged() == {} and faults.queued() == 0


def test_tasks_queued_before_a_redis_restart_survive_it_and_run(faults):
    schools = [kindergarten().school, kindergarten().school]
    runs = [
        NightlyRun.objects.create(school=s, night=d, date=d)
        for s, d in ((s, s.calendar_days.get().date) for s in schools)
    ]
    for run in runs:
        faults.send_rebuild(run)  # no worker yet: the tasks wait in Redis
    assert faults.queued() == 2
    assert faults.redis.client().config_get("appendonly") == {"appendonly": "yes"}

    before = faults.redis.process.pid
    faults.redis.restart()

    assert faults.redis.process.pid != before  # a new server, which read the append-only file
    assert faults.queued() == 2
    faults.worker("after-restart")
    for run in runs:
        run = wait_until(lambda r=run: finished(r), timeout=BUILD_TIMEOUT, what="the runs")
        assert run.state == RunState.PUBLISHED and run.attempts == 1, run.error
        assert run.schedule.version == 1
    assert faults.queued() == 0 and faults.unacknowledged() == {}


def test_while_postgresql_refuses_connections_the_rebuild_retries_then_publishes_once(faults):
    day = published_day(kindergarten().school)
    proxy = faults.proxy()
    worker = faults.worker("db-outage", database=proxy.address)
    worker.wait_ready()

    proxy.refuse()  # the database is down: connections are refused
    run = day.run()
    faults.send_rebuild(run)

    # The task fails to reach the database and is retried later (rocketship.outages), never
    # recording the outage as the run's outcome: the run stays queued, untouched. The worker
    # stops taking tasks meanwhile: the retry waits in the queue.
    wait_until(
        lambda: "worker paused" in worker.log() and faults.queued() == 1,
        timeout=60,
        what="the worker to pause, the retry back in the queue",
        every=0.2,
    )
    assert worker.log().count("retry: Retry in") == 1
    run.refresh_from_db()
    assert (run.state, run.attempts, run.finished_at) == (RunState.QUEUED, 0, None)
    assert "OperationalError" in worker.log()
    assert day.versions() == [(1, ScheduleStatus.PUBLISHED)]

    proxy.forward()  # the database is back

    run = wait_until(lambda: finished(run), timeout=BUILD_TIMEOUT, what="the run")
    assert_published_once(day, run)
    assert run.attempts == 1  # no retry ever claimed it before the database came back


def test_three_rebuilds_of_one_school_at_once_publish_one_version(faults, busy_day):
    # Three solves share two cores here: a work limit, not seconds, so each still finds its day.
    faults.worker("three-at-once", concurrency=3)
    runs = [busy_day.run(trigger=RunTrigger.MANUAL) for _ in range(3)]
    for run in runs:
        faults.send_rebuild(run)

    runs = [
        wait_until(lambda r=run: finished(r), timeout=BUILD_TIMEOUT, what="the runs")
        for run in runs
    ]

    # They ran at the same time: each started before any finished.
    assert max(r.started_at for r in runs) < min(r.finished_at for r in runs)
    states = sorted(r.state for r in runs)
    assert states == [RunState.PUBLISHED, RunState.UNCHANGED, RunState.UNCHANGED], [
        (r.state, r.error, r.reasons, r.solve_seconds) for r in runs
    ]
    (winner,) = [r for r in runs if r.state == RunState.PUBLISHED]
    assert_published_once(busy_day, winner)
    assert all(r.schedule == winner.schedule and not r.error for r in runs)
    assert "IntegrityError" not in "".join(w.log() for w in faults.workers)
