"""Lost work comes back in minutes, and says so: a job whose worker died reads "lost, running
again" until it runs again; the sweeper takes it after twice its task's hard limit, queues it
once however many sweeps run at once, and keeps when it was first queued beside the re-queue."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from scheduling.models import BuildJob, NightlyRun, RunState, RunTrigger
from scheduling.services import nightly
from students.jobs import job_claim, job_is_lost, job_kind, jobs_sweep

from ..conftest import SchoolWorld, client_for
from ..scheduling.api.test_nightly_api import token_for
from ..scheduling.test_selectors import DATE, kindergarten

ONE_SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def no_queueing(monkeypatch):
    """What the sweeper would queue is recorded, not run (tests run tasks in-process)."""
    queued: list[int] = []
    monkeypatch.setattr(nightly, "_queue", queued.append)
    return queued


def run_of(school, **fields) -> NightlyRun:
    return NightlyRun.objects.create(school=school, night=DATE, date=DATE, **fields)


def test_the_stale_limit_is_twice_the_tasks_hard_limit(settings):
    settings.NIGHTLY_TIME_LIMIT = 360
    settings.NIGHTLY_STALE_SECONDS = 2 * 360
    kind = job_kind(NightlyRun)
    assert kind.hard_limit() == datetime.timedelta(minutes=6)
    assert kind.stale_after() == 2 * kind.hard_limit()
    # Kinds without a stale setting: twice their task's own hard limit (30 min by default).
    build = job_kind(BuildJob)
    assert build.stale_after() == 2 * build.hard_limit() == datetime.timedelta(hours=1)


@pytest.mark.django_db
def test_a_job_keeps_its_first_queue_time_through_a_requeue(
    settings, no_queueing, django_capture_on_commit_callbacks
):
    settings.NIGHTLY_STALE_SECONDS = 600
    school = kindergarten().school
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    run = run_of(school, queued_at=long_ago)
    assert run.first_queued_at == long_ago and not run.requeued

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep(now=now, models=[NightlyRun])
    assert swept.ids(NightlyRun) == ([run.pk], [])

    run.refresh_from_db()
    assert (run.first_queued_at, run.queued_at, run.state) == (long_ago, now, RunState.QUEUED)
    assert run.requeued and no_queueing == [run.pk]
    # Staleness counts from the re-queue: the next sweep leaves it to its new task.
    assert jobs_sweep(now=now + ONE_SECOND, models=[NightlyRun]).ids(NightlyRun) == ([], [])


@pytest.mark.django_db
def test_a_run_whose_worker_died_reads_lost_until_it_runs_again(settings, no_queueing):
    settings.NIGHTLY_TIME_LIMIT = 360
    settings.NIGHTLY_STALE_SECONDS = 720
    settings.JOBS_LOST_GRACE_SECONDS = 30
    school = kindergarten().school
    now = timezone.now()
    started = now - datetime.timedelta(minutes=5)
    run = run_of(school, state=RunState.RUNNING, started_at=started, attempts=1)

    # Within its hard limit, a live worker may still be at it.
    assert not job_is_lost(run, now) and run.state_label == "Running"
    # Past its hard limit (and the grace), no worker can be: its worker died.
    later = started + datetime.timedelta(seconds=360 + 31)
    assert job_is_lost(run, later)

    # Swept (twice the hard limit), it waits in the queue again: still lost, running again.
    swept_at = started + datetime.timedelta(seconds=721)
    assert jobs_sweep(now=swept_at, models=[NightlyRun]).ids(NightlyRun) == ([run.pk], [])
    run.refresh_from_db()
    assert run.state == RunState.QUEUED and run.lost and run.state_label == "Lost, running again"

    # Taken up again by a worker: running, no longer lost.
    assert job_claim(NightlyRun, run.pk)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING and run.attempts == 2 and not run.lost


@pytest.mark.django_db
def test_the_leaders_page_and_the_api_say_lost_running_again(
    settings, no_queueing, school_a: SchoolWorld
):
    settings.NIGHTLY_STALE_SECONDS = 600
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    run = run_of(school_a.school, queued_at=long_ago)
    jobs_sweep(models=[NightlyRun])

    page = client_for(school_a.leader.user).get(f"/schools/{school_a.school.pk}/nights/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lost, running again" in text and "Under way" not in text
    assert "again" in text  # first queued, and queued again

    (row,) = token_for(school_a.school).get("/api/v1/nightly-runs/").json()["results"]
    assert row["id"] == run.pk and row["state"] == "queued" and row["lost"] is True
    assert row["first_queued_at"] != row["queued_at"]


@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_queue_a_lost_run_once(settings, monkeypatch):
    """A beat's sweep and the sweeps of workers starting together: one re-queue, one task."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.NIGHTLY_STALE_SECONDS = 600
    sent: list[int] = []
    lock = threading.Lock()

    def send(run_id: int) -> None:
        with lock:
            sent.append(run_id)

    monkeypatch.setattr(nightly, "_queue", send)
    school = kindergarten().school
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    runs = [run_of(school, queued_at=long_ago, trigger=RunTrigger.MANUAL) for _ in range(5)]
    start = threading.Barrier(4)
    requeued: list[list[int]] = []

    def sweep() -> None:
        try:
            start.wait()
            ids, _ = jobs_sweep(models=[NightlyRun]).ids(NightlyRun)
            with lock:
                requeued.append(ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(requeued) == 4
    assert sorted(i for ids in requeued for i in ids) == sorted(r.pk for r in runs)
    assert sorted(sent) == sorted(r.pk for r in runs)
