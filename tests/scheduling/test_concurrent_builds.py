"""One version for one input: builds of the same date running at once store it once.

Every build checks "same inputs as a stored version" before it solves and again under the
school's build lock before it stores; these tests hold every build after its solve until all
have solved, so each one's first check found nothing and only the second can keep them apart.
"""

import threading
from unittest import mock

import pytest
from django.db import connection

from scheduling.models import BuildJob, BuildState, NightlyRun, RunState, Schedule, ScheduleStatus
from scheduling.services import builds, nightly
from scheduling.services.builds import build_job_run, schedule_build

from ..solver_limits import work_limited
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db(transaction=True)  # each thread commits on its own connection
FAST = work_limited(workers=1, seed=3)
LEADER_BUILDS = 5


def run_all_at_once(calls: list, *, barrier: threading.Barrier) -> list[BaseException]:
    """Run each call in its own thread (and database connection); return what they raised."""
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            call()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
            barrier.abort()  # the others must not wait for this one
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a build hung"
    return errors


def solved_together(barrier: threading.Barrier):
    """``day_solve``, returning only once every build has solved (passed its first check)."""
    real = builds.day_solve

    def solve(**kwargs):
        solved = real(**kwargs)
        barrier.wait(timeout=60)
        return solved

    return solve


def test_five_leader_builds_and_the_nightly_at_once_store_one_version(monkeypatch):
    k = kindergarten()
    first = schedule_build(school=k.school, date=DATE, publish=True, options=FAST).schedule
    k.school.cohorts.filter(pk=k.howard.pk).update(name="K Howard-Ruiz")  # a roster change
    jobs = [BuildJob.objects.create(school=k.school, date=DATE) for _ in range(LEADER_BUILDS)]
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)
    barrier = threading.Barrier(LEADER_BUILDS + 1)
    solve = solved_together(barrier)

    with (
        mock.patch.object(builds, "day_solve", solve),
        mock.patch.object(nightly, "day_solve", solve),
    ):
        errors = run_all_at_once(
            [lambda job=job: build_job_run(job_id=job.pk, options=FAST) for job in jobs]
            + [lambda: nightly.nightly_rebuild(run_id=run.pk, options=FAST)],
            barrier=barrier,
        )

    assert errors == []
    versions = list(Schedule.objects.filter(school=k.school, date=DATE).order_by("version"))
    assert [(s.version, s.status) for s in versions] == [
        (first.version, ScheduleStatus.SUPERSEDED),
        (first.version + 1, ScheduleStatus.PUBLISHED),
    ]
    new = versions[1]
    run.refresh_from_db()
    assert run.state == RunState.PUBLISHED and run.schedule == new
    finished = BuildJob.objects.filter(pk__in=[job.pk for job in jobs])
    assert {(job.state, job.schedule_id) for job in finished} == {(BuildState.SUCCEEDED, new.pk)}
    # Each job says what it did: at most one stored the version (unless the nightly did), the
    # others found it stored from the same inputs, and their page shows no storing step done.
    assert finished.filter(unchanged=True).count() >= LEADER_BUILDS - 1
    for job in finished.filter(unchanged=True):
        assert dict(job.phases)["Storing"] == "skipped", job.phases


def test_concurrent_leader_builds_store_one_draft(monkeypatch):
    k = kindergarten()
    barrier = threading.Barrier(3)

    with mock.patch.object(builds, "day_solve", solved_together(barrier)):
        results: list = []
        errors = run_all_at_once(
            [
                lambda: results.append(schedule_build(school=k.school, date=DATE, options=FAST))
                for _ in range(3)
            ],
            barrier=barrier,
        )

    assert errors == []
    (only,) = Schedule.objects.filter(school=k.school, date=DATE)
    assert only.status == ScheduleStatus.DRAFT
    assert {r.schedule.pk for r in results} == {only.pk}
    assert sorted(r.unchanged for r in results) == [False, True, True]
