"""The run command's setup (migrate, static files, demo network) works on a fresh SQLite file,
and running it again changes nothing; it serves on the port ``PORT`` names and says so."""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "students_network",
    "students_school",
    "students_grade",
    "students_cohort",
    "students_student",
    "students_staff",
    "students_staffrole",
    "students_serviceneed",
    "students_networkadmin",
    "scheduling_room",
    "auth_user",
    "scheduling_calendarday",
    "scheduling_templatestation",
    "scheduling_schedule",
    "scheduling_scheduledblock",
]


def setup_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HTTPS"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "ROCKETSHIP_VAR_DIR": str(tmp_path),
        # Not the checkout's staticfiles/: collectstatic rewrites files there while other tests'
        # servers start up and WhiteNoise scans them.
        "ROCKETSHIP_STATIC_ROOT": str(tmp_path / "staticfiles"),
    }


def run_setup(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bin/run", "--setup-only"],
        cwd=ROOT,
        env=setup_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_port(port: str | None) -> subprocess.CompletedProcess[str]:
    """What bin/run's ``server_port`` step makes of ``PORT`` (unset when None)."""
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    if port is not None:
        env["PORT"] = port
    return subprocess.run(
        ["bash", "-c", "source bin/lib/common.sh && server_port"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_server_port_is_port_or_8000():
    assert server_port("8100").stdout == "8100\n"
    assert server_port(None).stdout == "8000\n"


@pytest.mark.parametrize("bad", ["abc", "80 81", "0", "70000", "-1"])
def test_a_port_that_is_not_a_port_number_stops_the_run_before_any_setup(bad, tmp_path):
    result = subprocess.run(
        ["bin/run", "--setup-only"],
        cwd=ROOT,
        env={**setup_env(tmp_path), "PORT": bad},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode != 0
    assert f"PORT must be a port number from 1 to 65535, not '{bad}'" in result.stderr
    assert result.stdout == "" and not (tmp_path / "demo.sqlite3").exists()


def serve(tmp_path: Path, port: int) -> tuple[list[str], int]:
    """Run bin/run with ``PORT`` until its server answers; its output and the answer's status."""
    # Unbuffered, so runserver's lines reach the pipe as it prints them.
    env = {**setup_env(tmp_path), "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("SITE_URL", None)
    server = subprocess.Popen(
        ["bin/run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        # Waits on the server's own words, not on a clock: bin/run's line, then runserver's
        # "Quit the server with ...", printed as it binds the port.
        assert server.stdout is not None  # started with stdout=PIPE
        for line in server.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Quit the server with"):
                break
        while server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as answer:
                    return lines, answer.status
            except (urllib.error.URLError, ConnectionError):
                # The line comes just before the bind: wait for the server, which returns at
                # once if it exits.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=0.05)
        return lines, 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def table_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.mark.slow
def test_run_setup_builds_the_demo_network_on_sqlite_and_is_idempotent(tmp_path):
    first = run_setup(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    counts = table_counts(tmp_path / "demo.sqlite3")
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()  # its own, not the checkout's

    second = run_setup(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr

    again = table_counts(tmp_path / "demo.sqlite3")
    # A school whose build found no schedule in its time budget tries again on the next run;
    # everything else must be exactly as the first run left it.
    schedules = ("scheduling_schedule", "scheduling_scheduledblock")
    assert {t: n for t, n in again.items() if t not in schedules} == {
        t: n for t, n in counts.items() if t not in schedules
    }
    assert counts["students_school"] == 2
    assert counts["students_cohort"] == 6 * 2 + 6 * 4
    assert counts["students_student"] == 300 + 600
    # Alder Street (shape S) always builds; shape M may not yet within the demo's budget.
    assert counts["scheduling_schedule"] >= 1
    assert "Alder Street Elementary: schedule for" in first.stdout
    assert "Mission Heights Academy: " in first.stdout
    for login in ("network.admin", "leader", "humanities", "ils", "sped", "rocketship-demo"):
        assert login in first.stdout

    walk = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.demo_walk"],
        cwd=ROOT,
        env=setup_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert walk.returncode == 0, walk.stdout + walk.stderr

    port = free_port()
    output, status = serve(tmp_path, port)
    assert status == 200, "\n".join(output)
    assert (
        f"rocketship: starting the server on http://127.0.0.1:{port}/ (Ctrl-C stops it)" in output
    )
    assert f"Open http://127.0.0.1:{port}/ (admin site: http://127.0.0.1:{port}/admin/)" in output
    assert not any(":8000" in line for line in output)
