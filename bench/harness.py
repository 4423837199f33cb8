"""What the benchmarks that run the product as servers or child processes share: their own
PostgreSQL database, their own Redis database, the child's environment and its measured run,
stopping the processes they start, and writing their results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def database_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def _admin_sql(*statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def recreate_database(name: str) -> None:
    """An empty database ``name`` (dropped first, with anything still connected to it)."""
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


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


def django_env(database: str) -> dict[str, str]:
    """The environment of a child process running the product against ``database``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "DATABASE_URL": database,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


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
