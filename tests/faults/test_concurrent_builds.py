"""One version for one input, with real workers: five leader builds of a date and the nightly
rebuild of the same date, sent at once to two workers, store one new version and publish it
once.

Every build checks "same inputs as a stored version" again under the school's build lock before it
stores (``scheduling.services.builds.schedule_build``, ``scheduling.services.nightly``): the builds
that solved in parallel find the version the first one stored and report it, storing nothing.
"""

import time

import pytest

from scheduling.models import BuildJob, BuildState, NightlyRun, RunState, ScheduleStatus

from .harness import wait_until

pytestmark = pytest.mark.celery_worker

LEADER_BUILDS = 5
BUILD_TIMEOUT = 240  # six builds of a shape-S school on two cores, on a busy machine


def test_five_leader_builds_and_the_nightly_at_once_publish_one_version(faults, busy_day):
    # Two pool processes each: four of the six builds solve side by side, the other two start
    # as the first finish. Each stops at a work limit, not seconds: a busy machine makes them
    # slower, never short of a schedule.
    workers = [faults.worker(name, concurrency=2) for name in ("one", "two")]
    for worker in workers:
        worker.wait_ready()
    # Rows made directly: build_job_start would return the first job to the next four
    # requests; these are five builds from paths that do not share a job (pages, API clients).
    jobs = [
        BuildJob.objects.create(school=busy_day.school, date=busy_day.date)
        for _ in range(LEADER_BUILDS)
    ]
    run = busy_day.run()
    began = time.monotonic()
    faults.send_rebuild(run)
    for job in jobs:
        faults.client.send_task("scheduling.tasks.build_job_run", args=[job.pk], queue=faults.queue)

    def all_finished() -> bool:
        run.refresh_from_db()
        open_jobs = BuildJob.objects.filter(pk__in=[j.pk for j in jobs], finished_at=None)
        return not run.active and not open_jobs.exists()

    wait_until(all_finished, timeout=BUILD_TIMEOUT, what="the six builds", every=0.5)
    print(f"six builds finished {time.monotonic() - began:.1f} s after they were queued")

    assert busy_day.versions() == [(1, ScheduleStatus.SUPERSEDED), (2, ScheduleStatus.PUBLISHED)]
    (published,) = busy_day.published()
    assert busy_day.read_published() == 2
    assert run.state == RunState.PUBLISHED and run.schedule_id == published.pk, run.error
    finished = BuildJob.objects.filter(pk__in=[j.pk for j in jobs])
    assert {(j.state, j.schedule_id) for j in finished} == {(BuildState.SUCCEEDED, published.pk)}
    # What each job reports is what it did: one stored version 2 (or the nightly did), the
    # others found it built from the same inputs and stored nothing.
    assert finished.filter(unchanged=False).count() <= 1
    assert NightlyRun.objects.filter(school=busy_day.school).count() == 1
