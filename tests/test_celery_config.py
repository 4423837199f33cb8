"""Celery as production runs it: its settings, and one beat at a time."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from rocketship.celery import app
from rocketship.outages import OutageTask
from scheduling import tasks

ROOT = Path(__file__).resolve().parent.parent
REDIS_BASE = os.environ.get("ROCKETSHIP_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def test_tasks_travel_as_json_and_survive_a_lost_worker():
    conf = app.conf
    assert (conf.task_serializer, conf.result_serializer, conf.accept_content) == (
        "json",
        "json",
        ["json"],
    )
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    # Redis gives an unacknowledged task to another worker only once the longest task is over.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    # RedBeat's scheduler, taking its lock again when a Redis restart loses it (rocketship.beat).
    assert conf.beat_scheduler == "rocketship.beat.LockKeepingRedBeatScheduler"
    scheduled = {entry["task"] for entry in conf.beat_schedule.values()}
    # One sweeper for every kind of job (builds, nightly runs, imports) lost with its worker.
    assert {"scheduling.tasks.nightly_fan_out", "students.tasks.jobs_sweep"} <= scheduled


def test_the_nightly_rebuild_retries_outages_with_backoff_but_not_unschedulable_schools():
    rebuild = app.tasks[tasks.nightly_rebuild_task.name]  # another test's app may be current
    assert isinstance(rebuild, OutageTask)  # the outage policy (tests/test_outages.py)
    # Outages of the database or the broker are retried; a school that cannot be scheduled is
    # recorded on its run by the service and never raised, so it is never retried.
    names = {error.__name__ for error in rebuild.autoretry_for}
    assert {"OperationalError", "InterfaceError", "ConnectionError"} <= names
    assert not any(issubclass(ValueError, error) for error in rebuild.autoretry_for)


def _beat(url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "REDIS_URL": url,
        "CELERY_REDBEAT_LOCK_TIMEOUT": "6",
        "CELERY_BEAT_MAX_LOOP_INTERVAL": "2",
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
    }
    env.pop("DATABASE_URL", None)  # beat never touches the database
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "rocketship", "beat", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(log: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.celery_worker
def test_a_second_beat_waits_for_the_first_ones_lock_and_takes_over_when_it_dies(tmp_path):
    url = f"{REDIS_BASE}/12"
    server = redis.Redis.from_url(url)
    server.ping()
    server.flushdb()  # this test's own database: no lock or schedule left from a previous run
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _beat(url, first_log)
    second = None
    try:
        assert _wait_for(first_log, "beat: Acquired lock", 60), first_log.read_text()
        # Its schedule lives in Redis, where whichever beat holds the lock reads it.
        assert server.keys("rocketship:redbeat*nightly-fan-out*")
        second = _beat(url, second_log)
        assert _wait_for(second_log, "Configuration", 30), second_log.read_text()  # started
        time.sleep(4)
        assert second.poll() is None  # alive, waiting
        assert "beat: Acquired lock" not in second_log.read_text()  # one beat at a time

        first.kill()  # no chance to release: the lock must expire (6 s)
        first.wait(timeout=10)
        assert _wait_for(second_log, "beat: Acquired lock", 30), second_log.read_text()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        server.flushdb()
