"""A night survives a PostgreSQL outage longer than any retry schedule of a few attempts:
workers stop taking tasks while the database is down, and every school publishes once it is back.

Real processes (``harness``): two workers reach PostgreSQL through a proxy that refuses
connections, or stalls them, for a minute while five schools wait for their nightly rebuild.
The workers run production's mechanism (``rocketship.outages``) with its waits shrunk through
the environment (retries 1 s doubling to 5 s, a question to the database every second): eight
retries, the old policy's count, would be spent in 32 s at most, well inside the outage.
"""

import time
from collections.abc import Callable

import pytest

from scheduling.models import NightlyRun, RunState, ScheduleStatus

from ..security.test_killed_import import KINDS, finished, imports  # noqa: F401 (fixture)
from .conftest import Faults, PublishedDay
from .harness import DatabaseProxy, Worker, wait_until

pytestmark = pytest.mark.celery_worker

OUTAGE_SECONDS = 60  # longer than 8 retries at most 1, 2, 4, 5, 5... s apart (32 s)
RECOVERY_TIMEOUT = 180  # only bounds a hang: two workers, five small builds, a busy machine
WORKERS = 2


def retries(workers: list[Worker]) -> int:
    """Task deliveries that met the outage and were sent back to wait (workers' logs)."""
    return sum(worker.log().count("retry: Retry in") for worker in workers)


def queues_empty(faults: Faults) -> Callable[[], bool]:
    return lambda: faults.queued() == 0 and not faults.unacknowledged()


def runs_of(days: list[PublishedDay]) -> list[NightlyRun]:
    return [day.run() for day in days]


def states(runs: list[NightlyRun]) -> list[str]:
    return list(
        NightlyRun.objects.filter(pk__in=[run.pk for run in runs])
        .order_by("pk")
        .values_list("state", flat=True)
    )


def night_through_an_outage(
    faults: Faults,
    days: list[PublishedDay],
    *,
    break_database: Callable[[DatabaseProxy], None],
    mend_database: Callable[[DatabaseProxy], None],
) -> float:
    """Queue every school's rebuild with the database broken, keep it broken for
    OUTAGE_SECONDS, mend it, and wait for the night to finish. Returns the seconds from the
    mend to the last school published."""
    proxy = faults.proxy()
    workers = [faults.worker(f"outage-{n}", database=proxy.address) for n in range(WORKERS)]
    for worker in workers:
        worker.wait_ready()
    wait_until(queues_empty(faults), timeout=60, what="the workers' start-up sweeps", every=0.2)

    break_database(proxy)
    broken_at = time.monotonic()
    runs = runs_of(days)
    for run in runs:
        faults.send_rebuild(run)

    # Each worker takes one task, finds the database gone, sends the task back to wait for its
    # retry and stops taking tasks: every message is back in the queue, none held.
    def all_paused() -> bool:
        paused = all("worker paused" in worker.log() for worker in workers)
        return paused and faults.queued() == len(runs) and not faults.unacknowledged()

    wait_until(all_paused, timeout=90, what="both workers to pause", every=0.2)
    taken = retries(workers)
    assert 1 <= taken <= WORKERS, taken

    # For the rest of the outage nothing moves: no task is taken, none retried, none failed.
    def nothing_moves() -> None:
        assert faults.queued() == len(runs) and not faults.unacknowledged()
        assert retries(workers) == taken

    wait_until(
        lambda: time.monotonic() > broken_at + OUTAGE_SECONDS,
        timeout=OUTAGE_SECONDS + 5,
        what="the outage to last",
        every=0.5,
        while_waiting=nothing_moves,
    )
    assert set(states(runs)) == {RunState.QUEUED}  # no run claimed, none failed

    mend_database(proxy)
    mended_at = time.monotonic()
    wait_until(
        lambda: RunState.QUEUED not in (found := states(runs)) and RunState.RUNNING not in found,
        timeout=RECOVERY_TIMEOUT,
        what="every school's rebuild",
        every=0.2,
    )
    recovery = time.monotonic() - mended_at

    for day, run in zip(days, runs, strict=True):
        run.refresh_from_db()
        assert run.state == RunState.PUBLISHED, (run.state, run.error)
        assert run.attempts == 1  # claimed once, after the database came back
        assert run.schedule is not None and run.schedule.version == 2
        assert day.versions() == [(1, ScheduleStatus.SUPERSEDED), (2, ScheduleStatus.PUBLISHED)]
    assert all("worker resumed" in worker.log() for worker in workers)
    assert retries(workers) == taken  # the tasks sent back ran once each when due
    # Nothing left behind (the runs' notifications, queued as they finished, run meanwhile).
    wait_until(queues_empty(faults), timeout=60, what="the notifications", every=0.2)
    print(f"\nrecovery: {recovery:.1f} s from the database's return to {len(runs)} published")
    return recovery


def test_a_refused_database_for_a_minute_pauses_the_workers_and_every_school_publishes(
    faults, small_days
):
    night_through_an_outage(
        faults,
        small_days,
        break_database=DatabaseProxy.refuse,
        mend_database=DatabaseProxy.forward,
    )


def test_a_stalled_database_for_a_minute_pauses_the_workers_and_every_school_publishes(
    faults, small_days
):
    night_through_an_outage(
        faults,
        small_days,
        break_database=DatabaseProxy.stall,
        mend_database=DatabaseProxy.flow,
    )


# --- an import that loses the database under it ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_import_that_loses_the_database_mid_import_is_retried_and_finished_once(
    imports,  # noqa: F811
    school_a,
    kind,
):
    """The retry takes back the import its delivery claimed (``job_claim``'s ``reclaim``): the
    import neither stays "running" until the sweeper nor runs twice."""
    proxy = imports.faults.proxy()
    worker = imports.faults.worker(
        "import-outage",
        database=proxy.address,
        env={
            "ROCKETSHIP_VAR_DIR": str(imports.var_dir),
            "JOBS_TEST_GATE_DIR": str(imports.gate.folder),
        },
    )
    worker.wait_ready()
    wait_until(queues_empty(imports.faults), timeout=60, what="the start-up sweep", every=0.2)
    job = kind.make(school_a)
    imports.send(kind, job)
    wait_until(lambda: imports.gate.attempt_started(job) == 1, timeout=120, what="the import")

    proxy.refuse()  # drops the import's connection and refuses new ones
    imports.gate.open(job)  # the import goes on, and finds the database gone
    wait_until(lambda: "worker paused" in worker.log(), timeout=60, what="the worker to pause")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.finished_at) == ("running", 1, None)
    assert kind.stored() == 0

    proxy.forward()
    job = wait_until(lambda: finished(job), timeout=120, what="the import retried")

    assert job.state == kind.done, (job.failure_message, worker.log())
    # Its own retry took it back: one more attempt, no other delivery's.
    assert (job.attempts, imports.gate.attempt_started(job)) == (2, 2), worker.log()
    assert retries([worker]) == 1, worker.log()
    assert kind.stored() > 0
    # Its upload is deleted just after the finish commits.
    wait_until(lambda: not type(job).objects.get(pk=job.pk).file, timeout=30, what="the file")
