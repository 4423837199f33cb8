"""The run command's setup (migrate, static files, demo network) works on a fresh SQLite file,
and running it again changes nothing."""

import os
import sqlite3
import subprocess
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


def table_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.mark.slow
def test_run_setup_builds_the_demo_network_on_sqlite_and_is_idempotent(tmp_path):
    first = run_setup(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    counts = table_counts(tmp_path / "demo.sqlite3")

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
