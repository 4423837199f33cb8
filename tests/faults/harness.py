"""Real processes for the fault tests: a Redis server, Celery workers and a database proxy that
the tests start, break and restart themselves.

Everything here belongs to the test that started it and is killed by the fixtures in
``conftest.py`` whatever happens. A test gets its own Redis server on a free port (no other
test's queues or unacknowledged messages, and a Redis it may restart), its own queue name, and
workers pointed at the PostgreSQL test database, directly or through ``DatabaseProxy``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Short enough for a test to wait out, longer than any build the tests run (SOLVE_WORK).
VISIBILITY_TIMEOUT = 15
# The workers' builds stop at this much CP-SAT deterministic work (SOLVER_WORK_LIMIT), not at
# wall seconds, so a busy machine changes how long a build takes, never what it finds: the small
# reference school's solve takes about 2-3 s of it on the idle 2-core reference machine (5 s
# with the machine loaded), long enough to kill a worker in the middle and well inside
# VISIBILITY_TIMEOUT; seconds (NIGHTLY_SOLVE_SECONDS) are only the safety net.
SOLVE_WORK = 2.0


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    every: float = 0.1,
    while_waiting: Callable[[], None] | None = None,
) -> object:
    """Poll ``condition`` until it is truthy (its value is returned); fail naming ``what``.
    ``while_waiting`` runs on each poll, for checks that must hold throughout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if while_waiting is not None:
            while_waiting()
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_address() -> tuple[str, int]:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("the fault tests need the PostgreSQL test database (run bin/test)")
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)


def database_url(*, address: tuple[str, int] | None = None) -> str:
    """The test database's URL, at ``address`` (a proxy) instead of the server if given."""
    host, port = address or database_address()
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


# --- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, persisting to an append-only file in ``directory`` as
    production must (the machine's shared Redis keeps nothing on disk); ``appendonly=False``:
    one that keeps nothing, and loses everything on a restart."""

    def __init__(self, directory: Path, *, appendonly: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("the fault tests start their own Redis: apt-get install redis-server")
        self.binary = binary
        self.directory = directory
        self.appendonly = appendonly
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.directory),
                "--appendonly", "yes" if self.appendonly else "no",
                "--save", "",
                "--logfile", str(self.directory / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_until(self._answers, timeout=20, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = self.directory / "redis.log"
            pytest.fail(f"redis-server exited: {log.read_text() if log.exists() else ''}")
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def restart(self) -> None:
        """Stop the server as a service manager would (SIGTERM: it finishes writing its
        append-only file and exits), then start it again on the same port and files."""
        self.stop(signal.SIGTERM)
        self.start()

    def stop(self, how: signal.Signals = signal.SIGKILL) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=30)
        self.process = None


def celery_client(broker_url: str) -> Celery:
    """A bare Celery app that only sends tasks by name, as another service would."""
    return Celery("rocketship-faults", broker=broker_url, set_as_current=False)


# --- Workers --------------------------------------------------------------------------------------


class Worker:
    """``celery worker`` in its own process group: a main process and its prefork pool."""

    def __init__(
        self,
        *,
        name: str,
        queue: str | list[str],
        env: dict[str, str],
        log_dir: Path,
        concurrency: int = 1,
    ) -> None:
        self.name = f"{name}-{uuid.uuid4().hex[:6]}"
        self.log_path = log_dir / f"worker-{self.name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "rocketship", "worker",
                    "--pool=prefork", f"--concurrency={concurrency}",
                    "-Q", queue if isinstance(queue, str) else ",".join(queue),
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "--loglevel=INFO",
                    "--hostname", f"{self.name}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: kill -9 takes the pool with it
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited early:\n{self.log()}")
            return " ready." in self.log()

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready", every=0.2)

    def pool_pids(self) -> list[int]:
        """The pool processes (the main process's children) that run the tasks."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def kill_pool_process(self) -> int:
        """kill -9 the one pool process (concurrency 1) while the main process lives on."""
        (pid,) = self.pool_pids()
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """kill -9 the whole worker: main process and pool, no chance to hand anything back."""
        # The group, even when the main process is gone already: its pool may have outlived it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        # The orphaned pool processes die with the group; wait until they are gone.
        wait_until(lambda: not _group_alive(self.process.pid), timeout=10, what="the pool")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- The database proxy ---------------------------------------------------------------------------


class DatabaseProxy:
    """A TCP proxy in front of PostgreSQL that can refuse connections, or stall them, for a while.

    ``refuse()`` closes the listening socket (new connections get ECONNREFUSED, like a server that
    is down) and drops every open connection (like a server that went away); ``forward()`` listens
    on the same port again. ``stall()`` keeps every socket open but moves no byte (like a server
    or a network that hangs: connects complete, queries never answer); ``flow()`` moves them
    again, the held bytes first."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self.forwarded = 0  # connections forwarded so far
        self.forward()

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def forward(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # the accept loop notices the close within this
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _drop(listener)  # shut down first: an accept() waiting on it lets go at once
        with self._lock:
            dropped, self._open = self._open, set()
        for sock in dropped:
            _drop(sock)

    def stall(self) -> None:
        self._flowing.clear()

    def flow(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self.flow()  # let the pumps and the accept loop see their sockets closed
        self.refuse()

    def _wait_flowing(self, still: Callable[[], bool]) -> bool:
        """Block while stalled; False once ``still()`` stops holding (the proxy moved on)."""
        while not self._flowing.wait(0.1):
            if not still():
                return False
        return still()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Stalled: the client's connect completed (the kernel's backlog) but nothing answers.
            if not self._wait_flowing(lambda: self._listener is listener):
                _drop(client)
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                _drop(client)
                continue
            for sock in (client, server):
                sock.settimeout(None)
            with self._lock:
                self._open.update((client, server))
                self.forwarded += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                self._flowing.wait()
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with self._lock:
                    self._open.discard(sock)
                _drop(sock)


def _drop(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already shut down by the other side's pump
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv or accept on it
    sock.close()
