"""The beat survives a Redis that does not persist: restarted empty, it loses the beat's lock and
schedule, and the beat takes the lock again, installs the schedule again and goes on sending the
sweep and the fan-out (rocketship.beat). The broker that keeps nothing is named when the beat
and a worker start (rocketship.redis_persistence).

A real ``celery -A rocketship beat`` with a 6-second lock and a 1-second loop, on a Redis of the
test's own without an append-only file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from .harness import ROOT, RedisServer, Worker, database_url, wait_until

pytestmark = pytest.mark.celery_worker

LOCK_KEY = "rocketship:redbeat:lock"
SCHEDULE_KEY = "rocketship:redbeat:schedule"
# The entries the sweeper and the nightly depend on (settings.CELERY_BEAT_SCHEDULE).
ENTRIES = ("jobs-sweep", "nightly-fan-out")
START_TIMEOUT = 90  # Django and Celery imported on a busy two-core machine


class Beat:
    """``celery beat`` in its own process group, logging to a file."""

    def __init__(self, *, env: dict[str, str], directory: Path) -> None:
        self.log_path = directory / "beat.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "rocketship", "beat",
                    "--loglevel=INFO",
                    "--schedule", str(directory / "beat-schedule"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent(self, entry: str) -> int:
        """How many times the beat has sent ``entry``'s task."""
        return self.log().count(f"Sending due task {entry} ")

    def alive(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the beat exited with {self.process.returncode}:\n{self.log()}")
        return True

    def wait_for(self, condition: Callable[[], bool] | str, *, what: str, timeout: float) -> None:
        """Wait until ``condition`` holds (a string: the log says it); fail if the beat exits."""
        check = (lambda: condition in self.log()) if isinstance(condition, str) else condition
        wait_until(lambda: self.alive() and check(), timeout=timeout, what=what, every=0.2)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis that keeps nothing on disk, as the issue's operator ran it."""
    server = RedisServer(tmp_path, appendonly=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def queued_messages(client: redis.Redis) -> int:
    """Messages waiting in any queue (Celery's queues are Redis lists)."""
    return sum(int(client.llen(key)) for key in client.scan_iter() if client.type(key) == b"list")


def test_the_beat_takes_its_lock_again_after_redis_restarts_empty(
    volatile_redis, tmp_path, transactional_db
):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "REDIS_URL": volatile_redis.url(),
        "DATABASE_URL": database_url(),
        "CELERY_REDBEAT_LOCK_TIMEOUT": "6",
        "CELERY_BEAT_MAX_LOOP_INTERVAL": "1",
        "PYTHONUNBUFFERED": "1",
    }
    beat = Beat(env=env, directory=tmp_path)
    # A worker on a queue of its own: it only starts (and warns), it takes none of the beat's.
    worker = Worker(name="warns", queue="faults-beat-unused", env=env, log_dir=tmp_path)
    client = volatile_redis.client()
    try:
        # Installed as RedBeat does at a start: the entries first fire one interval later.
        beat.wait_for(
            lambda: client.zcard(SCHEDULE_KEY) >= len(ENTRIES),
            what="the beat to install its schedule",
            timeout=START_TIMEOUT,
        )
        # Held by the beat: on a busy machine its short test lock (6 s) may lapse before the
        # first tick renews it, and the beat takes it again; wait for that, not race it.
        beat.wait_for(
            lambda: client.get(LOCK_KEY) is not None,
            what="the beat to hold its lock",
            timeout=START_TIMEOUT,
        )
        # Named once at the start, in the log the operator reads: the beat's and the worker's.
        assert beat.log().count("rocketship.W001") == 1 and "appendonly yes" in beat.log()
        worker.wait_ready(timeout=START_TIMEOUT)
        assert worker.log().count("rocketship.W001") == 1

        # Redis restarts without an append-only file: the queue, the lock, the schedule are gone.
        sent_before = {entry: beat.sent(entry) for entry in ENTRIES}
        taken_before = beat.log().count("took the lock")
        stopped_at = time.monotonic()
        volatile_redis.stop(signal.SIGTERM)  # as a service manager stops it
        beat.wait_for("Redis unreachable", what="the beat to notice Redis is gone", timeout=30)
        volatile_redis.start()  # same port, nothing kept

        beat.wait_for(
            lambda: beat.log().count("took the lock") > taken_before,
            what="the beat to take its lock again",
            timeout=60,
        )
        beat.wait_for(
            lambda: (
                all(beat.sent(entry) > sent_before[entry] for entry in ENTRIES)
                and queued_messages(client) >= len(ENTRIES)
            ),
            what="the beat to send the sweep and the fan-out again",
            timeout=60,
        )
        recovered = time.monotonic() - stopped_at
        print(f"beat sending again {recovered:.1f} s after Redis stopped (restarted empty)")
        assert client.get(LOCK_KEY) is not None

        # Another beat holds the lock (this one stalled past its timeout, say): this one sends
        # nothing, and takes the lock over once the other lets it go.
        client.flushdb()
        client.set(LOCK_KEY, "another-beat", px=60_000)
        beat.wait_for("another beat holds the lock", what="the beat to stand by", timeout=30)
        time.sleep(3)  # three loops: a beat that ignored the other's lock would send again
        assert queued_messages(client) == 0 and beat.alive()
        assert client.get(LOCK_KEY) == b"another-beat"

        client.delete(LOCK_KEY)
        beat.wait_for("over from another beat", what="the beat to take the lock over", timeout=30)
        beat.wait_for(
            lambda: queued_messages(client) >= len(ENTRIES),
            what="the beat to send again",
            timeout=30,
        )
        assert "Traceback" not in beat.log()
    finally:
        beat.kill()
        worker.kill()
