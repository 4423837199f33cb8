"""Benchmark of a network's OneRoster import: 20 schools, 12,000 students, on PostgreSQL.

    .venv/bin/python -m bench.oneroster                              # 20 schools x 600 students
    .venv/bin/python -m bench.oneroster --schools 4 --students 300   # a quick look

What it does, in order:

1. (Re)creates the PostgreSQL database ``--database-url`` (``rocketship_roster_bench``, user
   ``postgres`` on 127.0.0.1:5432, trust auth), migrates it and creates the network (nothing
   else: the first import creates every school, cohort, student and staff member).
2. Generates the export with the tests' writer (``tests.students.oneroster_files.network``: per
   school a homeroom and two scheduled classes for each grade KG-05, a teacher per homeroom, each
   student enrolled in three classes) and writes it as a zip; then a second zip with 1% of the
   students changed: 0.5% dropped (gone from users.csv and enrollments.csv, so a bulk export
   ends their enrollment), 0.25% renamed and 0.25% moved to the next grade's homeroom (grade
   code and all three enrollments).
3. Measures, each in the same run, each in a child process (wall time inside it, Django start-up
   excluded, and its peak RSS: ``ru_maxrss`` from ``wait4``):
   - ``read_export``: reading and validating the zip alone (no database): the baseline;
   - ``import``: the import into the empty network, as ``manage.py import_roster`` runs it
     (``roster_import_start(queue=False)`` then ``roster_import_run``), with the time of each
     step (reading, checking = planning, applying + recording);
   - ``re-import (same)``: the same zip again, which must change nothing;
   - ``re-import (1%)``: the changed zip, whose counts must be exactly the changes made.
   And, as a second floor, a plain ``COPY`` of as many student rows into a bare table (text and
   date columns, no keys, no indexes).
4. Prints the table and the targets of issue 8 (full import under 60 s, the 1% re-import under
   10 s), writes ``bench/results/oneroster_latest.json`` and drops the database (``--keep-db``
   keeps it).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from .harness import (
    ROOT,
    BenchDatabase,
    add_database_option,
    django_env,
    enter_django_env,
    run_measured_child,
    write_results,
)

DB_NAME = "rocketship_roster_bench"
RESULTS = ROOT / "bench" / "results" / "oneroster_latest.json"
NETWORK_SLUG = "bench-roster"
TARGET_IMPORT_SECONDS = 60
TARGET_REIMPORT_SECONDS = 10
CLASS_KINDS = ("homeroom", "math", "ela")  # as tests.students.oneroster_files.network


# --- the exports ----------------------------------------------------------------------------------


def exports(*, schools: int, students: int, workdir: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The full export's zip, the changed one's, and what was changed (with the counts the
    re-import must report)."""
    # tests/ is a package (tests/__init__.py, tests/students/__init__.py): the bench uses the
    # tests' writer rather than a copy of it, so both describe the same export.
    from tests.students.oneroster_files import network

    export = network(schools=schools, students_per_school=students)
    full = export.write_zip(workdir / "roster.zip")

    changed = export.copy()
    users = changed.rows("users.csv")
    pupils = [u for u in users if u["role"] == "student"]
    picked = random.Random(8).sample(pupils, max(4, len(pupils) // 100))
    half, quarter = len(picked) // 2, len(picked) // 4
    dropped = {u["sourcedId"] for u in picked[:half]}
    renamed = picked[half : half + quarter]
    moved = picked[half + quarter :]
    for user in renamed:
        user["givenName"] = f"Renamed{user['sourcedId']}"
    grades = ["KG", "01", "02", "03", "04", "05"]
    moves: dict[str, tuple[str, str]] = {}
    for user in moved:
        old = user["grades"]
        new = grades[(grades.index(old) + 1) % len(grades)]
        user["grades"] = new
        moves[user["sourcedId"]] = (old, new)
    changed.tables["users.csv"] = [u for u in users if u["sourcedId"] not in dropped]
    enrollments = []
    for row in changed.rows("enrollments.csv"):
        user_id = row["userSourcedId"]
        if user_id in dropped:
            continue
        if user_id in moves:
            old, new = moves[user_id]
            row["classSourcedId"] = row["classSourcedId"].removesuffix(f"-{old}") + f"-{new}"
        enrollments.append(row)
    changed.tables["enrollments.csv"] = enrollments
    changed_zip = changed.write_zip(workdir / "roster-changed.zip")
    what = {
        "students_changed": len(picked),
        "dropped": len(dropped),
        "renamed": len(renamed),
        "moved": len(moved),
        "expected_counts": {"student": {"end": len(dropped), "update": len(renamed) + len(moved)}},
    }
    return full, changed_zip, what


def plain_copy(rows: int, database: BenchDatabase) -> float:
    """Seconds to COPY ``rows`` student-like rows into a bare table: a floor for writing them."""
    from rocketship.db_timeouts import without_deadline

    buffer = io.StringIO()
    for n in range(rows):
        buffer.write(
            f"s{n % 20}\ts{n % 20}-st{n}\tST{n}\tGivenst{n}\tFamilyst{n}\t{n % 6}\t"
            f"s{n % 20}-homeroom-{n % 6}\t2024-08-12\n"
        )
    conn = database.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_bare_students (school text, sourced_id text, local_id text, "
                "first_name text, last_name text, grade integer, cohort text, start date)"
            )
            conn.commit()
            buffer.seek(0)
            began = time.perf_counter()
            with without_deadline():  # psycopg2 refuses COPY under a wait callback
                cursor.copy_expert("COPY bench_bare_students FROM STDIN", buffer)
            conn.commit()
            seconds = time.perf_counter() - began
            cursor.execute("SELECT count(*) FROM bench_bare_students")
            (count,) = cursor.fetchone()
            cursor.execute("DROP TABLE bench_bare_students")
            conn.commit()
    finally:
        conn.close()
    return seconds if count == rows else float("nan")


# --- the children ---------------------------------------------------------------------------------


def child_read(path: str) -> None:
    """``read_export`` on ``path`` alone; one JSON line."""
    import django

    django.setup()
    from students.oneroster import read_export

    began = time.perf_counter()
    export = read_export(path)
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "seconds": seconds,
                "users": len(export.users),
                "enrollments": len(export.enrollments),
                "errors": len(export.errors),
            }
        )
    )


def child_import(path: str) -> None:
    """What ``manage.py import_roster --network SLUG PATH`` does, timing each step; one JSON
    line of the record's outcome."""
    import django

    django.setup()
    from students.models import Network, Staff, Student
    from students.oneroster.imports import roster_import_run, roster_import_start

    steps: dict[str, float] = {}
    last = [time.perf_counter(), "storing"]

    def progress(step: str) -> None:
        now = time.perf_counter()
        steps[last[1]] = steps.get(last[1], 0.0) + now - last[0]
        last[:] = [now, step]

    began = time.perf_counter()
    record = roster_import_start(
        network=Network.objects.get(slug=NETWORK_SLUG),
        file=Path(path).read_bytes(),
        file_name=Path(path).name,
        dry_run=False,
        queue=False,
    )
    record = roster_import_run(import_id=record.pk, progress=progress)
    seconds = time.perf_counter() - began
    assert record is not None
    steps.pop("done", None)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "steps": {k: round(v, 3) for k, v in steps.items()},
                "state": record.state,
                "counts": record.counts,
                "changes": sum(n for actions in record.counts.values() for n in actions.values()),
                "errors": record.error_count,
                "warnings": len(record.warnings),
                "students": Student.objects.count(),
                "enrolled": Student.objects.filter(enrollment_end__isnull=True).count(),
                "staff": Staff.objects.count(),
            }
        )
    )


def measured(mode: str, path: Path, database: BenchDatabase) -> dict[str, Any]:
    return run_measured_child(
        ["-m", "bench.oneroster", f"--child-{mode}", str(path)],
        django_env(database.url),
        what=f"{mode} child",
    )


# --- the report -----------------------------------------------------------------------------------


def _changes(run: dict[str, Any]) -> str:
    if not run["counts"]:
        return "none"
    return "; ".join(
        f"{kind} " + ", ".join(f"{action} {n:,}" for action, n in sorted(actions.items()))
        for kind, actions in run["counts"].items()
    )


def table(rows: int, read: dict[str, Any], copy_seconds: float, runs: list[tuple]) -> str:
    base = read["seconds"]
    lines = [
        "| run | students | seconds | x read_export | steps (s) | changes | peak MB |",
        "|---|---:|---:|---:|---|---|---:|",
        f"| read_export alone (baseline) | {rows:,} | {base:.2f} | 1.0 | - | - | "
        f"{read['peak_mb']:.0f} |",
        f"| plain COPY of {rows:,} student rows | {rows:,} | {copy_seconds:.2f} | "
        f"{copy_seconds / base:.2f} | - | - | - |",
    ]
    for name, run in runs:
        steps = ", ".join(f"{k} {v:.2f}" for k, v in run["steps"].items())
        lines.append(
            f"| {name} | {rows:,} | {run['seconds']:.2f} | {run['seconds'] / base:.1f} | "
            f"{steps} | {_changes(run)} | {run['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--students", type=int, default=600, help="students per school")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--output", default=str(RESULTS))
    add_database_option(parser, DB_NAME)
    parser.add_argument("--child-read", help=argparse.SUPPRESS)
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_read:
        child_read(args.child_read)
        return
    if args.child_import:
        child_import(args.child_import)
        return

    database: BenchDatabase = args.database_url
    enter_django_env(database.url)
    print(f"database {database.name}: recreating and migrating ...", flush=True)
    database.recreate()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from students.models import Network

    call_command("migrate", verbosity=0)
    Network.objects.create(name="Bench roster network", slug=NETWORK_SLUG)
    connection.close()  # the children and COPY use their own connections
    rows = args.schools * args.students

    try:
        with tempfile.TemporaryDirectory(prefix="roster-bench-") as workdir:
            began = time.perf_counter()
            full, changed, what = exports(
                schools=args.schools, students=args.students, workdir=Path(workdir)
            )
            print(
                f"wrote {rows:,} students in {args.schools} schools "
                f"({full.stat().st_size / 1e6:.1f} MB zip) and the 1% change "
                f"in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
            print("read_export ...", flush=True)
            read = measured("read", full, database)
            print("plain COPY ...", flush=True)
            copy_seconds = plain_copy(rows, database)
            print("import ...", flush=True)
            first = measured("import", full, database)
            print("re-import (same export) ...", flush=True)
            same = measured("import", full, database)
            print("re-import (1% changed) ...", flush=True)
            delta = measured("import", changed, database)
    finally:
        if not args.keep_db:
            database.drop()

    runs = [
        ("import (empty network)", first),
        ("re-import (same export)", same),
        ("re-import (1% changed)", delta),
    ]
    print()
    print(table(rows, read, copy_seconds, runs))
    print()
    created_all = (
        first["state"] == "applied"
        and first["counts"].get("student", {}).get("create") == rows
        and first["students"] == rows
    )
    import_met = first["seconds"] < TARGET_IMPORT_SECONDS and created_all
    unchanged = same["state"] == "unchanged" and same["changes"] == 0
    counts_right = delta["state"] == "applied" and delta["counts"] == what["expected_counts"]
    enrolled_right = delta["enrolled"] == rows - what["dropped"]
    reimport_met = delta["seconds"] < TARGET_REIMPORT_SECONDS and counts_right
    print(
        f"target: full import < {TARGET_IMPORT_SECONDS} s on PostgreSQL: "
        f"{first['seconds']:.1f} s, {first['students']:,} students "
        f"{'PASS' if import_met else 'FAIL'}"
    )
    print(
        f"target: re-import with 1% changes < {TARGET_REIMPORT_SECONDS} s: "
        f"{delta['seconds']:.1f} s {'PASS' if reimport_met else 'FAIL'}"
    )
    print(f"same export again changes nothing: {'PASS' if unchanged else 'FAIL'}")
    print(
        f"1% re-import reports {_changes(delta)} (expected "
        f"{_changes({'counts': what['expected_counts']})}), {delta['enrolled']:,} still "
        f"enrolled: {'PASS' if counts_right and enrolled_right else 'FAIL'}"
    )
    write_results(
        args.output,
        {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "schools": args.schools,
            "students": rows,
            "change": what,
            "baseline": "read_export alone (reading and validating the zip, no database)",
            "read_export": read,
            "plain_copy_seconds": round(copy_seconds, 3),
            "import": first,
            "reimport_same": same,
            "reimport_changed": delta,
            "targets": {
                "import_seconds": TARGET_IMPORT_SECONDS,
                "reimport_seconds": TARGET_REIMPORT_SECONDS,
                "import_met": import_met,
                "reimport_met": reimport_met,
                "same_export_unchanged": unchanged,
                "changed_counts_right": counts_right and enrolled_right,
            },
            "memory_method": "ru_maxrss (wait4) of the child process",
        },
    )


if __name__ == "__main__":
    main()
