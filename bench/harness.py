"""What the benchmarks that run the product as servers or child processes share: their own
PostgreSQL database (``--database-url``, a name with "bench" in it), their own Redis
(``--redis-url``, by default a redis-server they start and stop), the child's environment and
its measured run, stopping the processes they start, and writing their results."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from kombu.utils.url import maybe_sanitize_url

ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL server the benches use unless --database-url names another (trust auth).
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432"


# --- the bench's database -------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """A PostgreSQL database a bench creates, fills and drops: its name must say "bench", so a
    mistyped ``--database-url`` cannot drop an application's database. The server is reached
    through its ``postgres`` database, with the URL's user (one allowed to create databases)."""

    url: str

    def __post_init__(self) -> None:
        if "bench" not in self.name:
            raise argparse.ArgumentTypeError(
                f"{self.url}: the bench drops and creates this database; name one whose name "
                "contains 'bench'"
            )

    @property
    def _parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def name(self) -> str:
        return unquote(self._parts.path.lstrip("/"))

    def connect_kwargs(self) -> dict[str, Any]:
        parts = self._parts
        kwargs = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432}
        if parts.username:
            kwargs["user"] = unquote(parts.username)
        if parts.password:
            kwargs["password"] = unquote(parts.password)
        return kwargs

    def connect(self, *, dbname: str | None = None) -> Any:
        """A psycopg2 connection to the bench's database (or to ``dbname`` on its server)."""
        import psycopg2

        return psycopg2.connect(dbname=dbname or self.name, **self.connect_kwargs())

    def url_as(self, role: str) -> str:
        """The database's URL for ``role`` (no password: the server trusts local roles)."""
        parts = self._parts
        return f"postgres://{role}@{parts.hostname}:{parts.port or 5432}/{self.name}"

    def admin_sql(self, *statements: str) -> None:
        """Run ``statements`` on the server's ``postgres`` database, outside a transaction."""
        conn = self.connect(dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        conn.close()

    def recreate(self) -> None:
        """An empty database (dropped first, with anything still connected to it)."""
        self.admin_sql(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"'
        )

    def drop(self) -> None:
        self.admin_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def add_database_option(parser: argparse.ArgumentParser, name: str) -> None:
    default = f"{LOCAL_SERVER}/{name}"
    parser.add_argument(
        "--database-url",
        type=BenchDatabase,
        default=BenchDatabase(default),
        metavar="URL",
        help="the PostgreSQL database the bench creates, fills and drops; its name must "
        f"contain 'bench' (default: {default})",
    )


# --- the bench's Redis ----------------------------------------------------------------------------


class BenchRedis:
    """The Redis a bench uses as broker or cache, and empties between its steps.

    By default a ``redis-server`` of the bench's own on a free port (keeping nothing on disk),
    stopped at the end: no other Redis is touched. ``--redis-url`` names another instead; its
    database is then emptied (FLUSHDB) at the start, between rounds and at the end, which the
    bench says before it starts."""

    def __init__(self, url: str | None) -> None:
        self.owned = url is None
        self._process: subprocess.Popen[bytes] | None = None
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        if url is None:
            url = self._start()
        else:
            print(
                f"WARNING: --redis-url {maybe_sanitize_url(url)}: the bench empties this Redis "
                "database (FLUSHDB) at its start, between rounds and at its end; everything "
                "else in it is lost",
                flush=True,
            )
        self.url = url

    def _start(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit(
                "the bench starts a Redis of its own: apt-get install redis-server, or name "
                "one to empty with --redis-url"
            )
        self._directory = tempfile.TemporaryDirectory(prefix="rocketship-bench-redis-")
        port = free_port()
        self._process = subprocess.Popen(
            [
                binary, "--bind", "127.0.0.1", "--port", str(port),
                "--dir", self._directory.name, "--save", "", "--appendonly", "no",
                "--logfile", str(Path(self._directory.name) / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = self._client(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return url
            except redis_errors() as error:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise SystemExit(
                        f"the bench's own redis-server did not start: {error}"
                    ) from error
                time.sleep(0.1)

    @staticmethod
    def _client(url: str) -> Any:
        import redis

        return redis.Redis.from_url(url, socket_timeout=10)

    def flush(self) -> None:
        self._client(self.url).flushdb()

    def close(self) -> None:
        """Stop the bench's own server (an explicitly named one is left running)."""
        if self._process is not None:
            stop_process(self._process, grace=10)
            self._process = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def __enter__(self) -> BenchRedis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        where = "its own" if self.owned else "named by --redis-url"
        return f"Redis {maybe_sanitize_url(self.url)} ({where})"


def add_redis_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help="a Redis database to use and EMPTY (FLUSHDB) at the start, between rounds and "
        "at the end (default: a redis-server the bench starts on a free port and stops)",
    )


def redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process(process: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM (a server's or worker's warm shutdown), then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_results(path: str | Path, results: dict[str, Any]) -> Path:
    output = Path(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {output}")
    return output


def django_env(database: str, *, redis_url: str | None = None) -> dict[str, str]:
    """The environment of a child process running the product against ``database``, and the
    bench's Redis if given; never a ``REDIS_URL`` inherited from the shell (another Redis)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "DATABASE_URL": database,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def enter_django_env(database: str, *, redis_url: str | None = None) -> None:
    """Make this process's environment ``django_env``'s, before ``django.setup()``."""
    os.environ.update(django_env(database, redis_url=redis_url))
    if redis_url is None:
        os.environ.pop("REDIS_URL", None)


def run_measured_child(args: list[str], env: dict[str, str], *, what: str) -> dict[str, Any]:
    """Run ``python args`` and return the JSON its last stdout line reports, with its peak RSS
    (``peak_mb``): ``wait4`` reaps the child, so Popen must not."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,  # a file, not a pipe: a long traceback cannot block the child
        )
        assert process.stdout is not None
        out = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise SystemExit(f"the {what} failed:\n{errors.read().decode()[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result
