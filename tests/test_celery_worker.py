"""A real Celery worker on Redis runs our tasks against the test database."""

import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("ROCKETSHIP_TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("the worker test needs the PostgreSQL test database (run bin/test)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue(transactional_db):
    """A worker process on its own queues, pointed at this test's database. What the app sends
    by its routes (the sweep a starting worker queues, a nightly rebuild) goes to these queues
    too, never to the shared Redis's default ones, where nothing would take it."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": database_url(),
        "CELERY_DEFAULT_QUEUE": queue,
        "NIGHTLY_QUEUE": f"{queue}-nightly",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "rocketship",
            "worker",
            "--pool=solo",
            "-Q",
            f"{queue},{queue}-nightly",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.celery_worker
def test_a_worker_clears_expired_sessions_and_keeps_live_ones(worker_queue):
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - datetime.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="live", session_data="", expire_date=now + datetime.timedelta(hours=1)
    )
    client = Celery("rocketship-test", broker=REDIS_URL, backend=REDIS_URL)

    result = client.send_task("students.tasks.sessions_clear_expired", queue=worker_queue)

    assert result.get(timeout=90) == {"forgotten": 0}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


@pytest.mark.celery_worker
def test_a_worker_runs_a_leaders_build_and_records_its_progress_and_draft(worker_queue):
    from scheduling.models import BuildJob, BuildState, ScheduleStatus

    from .scheduling.test_selectors import DATE, kindergarten

    k = kindergarten()
    job = BuildJob.objects.create(school=k.school, date=DATE)
    client = Celery("rocketship-test", broker=REDIS_URL, backend=REDIS_URL)

    result = client.send_task("scheduling.tasks.build_job_run", args=[job.pk], queue=worker_queue)

    assert result.get(timeout=120) == BuildState.SUCCEEDED
    job.refresh_from_db()
    assert job.percent == 100 and job.finished_at is not None
    assert job.schedule is not None and job.schedule.status == ScheduleStatus.DRAFT
    assert job.schedule.blocks.count() > 0
    # Delivered twice (a redelivered message), the finished job is left as it was.
    again = client.send_task("scheduling.tasks.build_job_run", args=[job.pk], queue=worker_queue)
    assert again.get(timeout=60) == BuildState.SUCCEEDED
    assert BuildJob.objects.get(pk=job.pk).schedule_id == job.schedule_id
