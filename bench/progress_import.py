"""Benchmark of a 1,000,000-row CSV progress import against a plain ``COPY`` of the same file.

    .venv/bin/python -m bench.progress_import                 # 1,000,000 rows
    .venv/bin/python -m bench.progress_import --rows 100000   # a quick look

What it does, in order:

1. (Re)creates the PostgreSQL database ``--database-url`` (``rocketship_progress_bench``, user
   ``postgres`` on 127.0.0.1:5432, trust auth) and migrates it.
2. Seeds one school with ``--students`` students (600) and ``--programs`` programs (4), and a
   vendor mapping reading a program-code column, ISO dates, minutes, lessons and mastery.
3. Writes a CSV of ``--rows`` rows: every student in every program on each weekday going back
   from yesterday (2,400 rows a day), random minutes, lessons and mastery.
4. Measures, each in the same run on the same file:
   - ``plain COPY``: ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the file into a bare table of
     the file's columns (text ids, no keys, no constraints, no indexes): the floor;
   - ``import``: ``manage.py import_progress`` into the empty ``ProgressRecord`` table, in a
     child process: its wall time inside the command (Django start-up excluded) and its peak
     RSS (``ru_maxrss`` from ``wait4``, the whole process: Django, the parsed caches, psycopg2);
   - ``re-import``: the same file again, which must add nothing (all rows unchanged).

   The database is migrated as ``postgres`` (the owner); the import connects as the app's role,
   ``rocketship_bench_app``: a login role made here, not a superuser, given only what
   ``manage.py grant_app_role`` gives (README, "Security"): it cannot set
   ``session_replication_role``, so the foreign keys' triggers check each row as in production.
   The plain COPY runs as ``postgres`` (its bare table needs CREATE on the schema; COPY's cost
   does not depend on the role).
5. Prints the table and the targets (import at least 50,000 rows/s, peak memory under 300 MB),
   writes ``bench/results/progress_import_latest.json`` and drops the database and the role
   (``--keep-db`` keeps both).
"""

from __future__ import annotations

import argparse
import csv
import datetime
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

DB_NAME = "rocketship_progress_bench"
APP_ROLE = "rocketship_bench_app"
RESULTS = ROOT / "bench" / "results" / "progress_import_latest.json"
TARGET_ROWS_PER_SECOND = 50_000
TARGET_PEAK_MB = 300
SCHOOL_SLUG = "bench-progress"
MAPPING_NAME = "Vendor export"
HEADER = ["Student ID", "Program", "Date", "Minutes", "Lessons Completed", "Mastery"]


def app_env(database: BenchDatabase) -> dict[str, str]:
    """The import's environment: the app's role, as web servers and workers connect."""
    return django_env(database.url_as(APP_ROLE))


def create_app_role() -> None:
    """The login role the import runs as, with the app's grants (as the owner, ``postgres``)."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")
        cursor.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER")
    call_command("grant_app_role", role=APP_ROLE, stdout=open(os.devnull, "w"))  # noqa: SIM115


def drop_app_role(database: BenchDatabase) -> None:
    """After the database is dropped, the role owns and holds nothing."""
    database.admin_sql(f"DROP ROLE IF EXISTS {APP_ROLE}")


# --- setup (Django in this process) ---------------------------------------------------------------


def seed(*, students: int, programs: int) -> tuple[list[str], list[str], datetime.date]:
    """One school, its students and programs, and the mapping; (local ids, codes, today)."""
    from django.utils import timezone

    from learninglabs.models import Program, ProgramKind, Subject, VendorMapping
    from students.models import Grade, Network, School, Student

    network = Network.objects.create(name="Bench network", slug="bench")
    school = School.objects.create(network=network, name="Bench Academy", slug=SCHOOL_SLUG)
    grades = [Grade.objects.create(school=school, level=level) for level in range(6)]
    today = timezone.now().astimezone(school.zone).date()
    started = today - datetime.timedelta(days=3 * 365)
    Student.objects.bulk_create(
        Student(
            school=school,
            local_id=f"{100000 + n}",
            first_name=f"First{n}",
            last_name=f"Last{n}",
            grade=grades[n % len(grades)],
            enrollment_start=started,
        )
        for n in range(students)
    )
    codes = [f"program-{n}" for n in range(programs)]
    for n, code in enumerate(codes):
        Program.objects.create(
            school=school,
            name=f"Program {n}",
            code=code,
            subject=Subject.MATH if n % 2 else Subject.LITERACY,
            kind=ProgramKind.ADAPTIVE,
            vendor="Bench",
        )
    VendorMapping.objects.create(
        school=school,
        name=MAPPING_NAME,
        source="csv:bench",
        program_column="Program",
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
        lessons_column="Lessons Completed",
        mastery_column="Mastery",
    )
    local_ids = list(Student.objects.filter(school=school).values_list("local_id", flat=True))
    return local_ids, codes, today


def write_csv(
    path: Path, *, rows: int, local_ids: list[str], codes: list[str], today: datetime.date
) -> int:
    """Every student in every program on each weekday back from yesterday, until ``rows``."""
    rng = random.Random(7)
    written = 0
    day = today
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        while written < rows:
            day -= datetime.timedelta(days=1)
            if day.weekday() >= 5:
                continue
            iso = day.isoformat()
            for local_id in local_ids:
                for code in codes:
                    mastery = f"{rng.randint(0, 1000) / 10:.1f}" if rng.random() < 0.9 else ""
                    out.writerow(
                        [local_id, code, iso, rng.randint(0, 90), rng.randint(0, 5), mastery]
                    )
                    written += 1
                    if written == rows:
                        return written
    return written


def plain_copy(path: Path, database: BenchDatabase) -> float:
    """Seconds to COPY the file into a bare table of its columns."""
    from rocketship.db_timeouts import without_deadline

    conn = database.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_bare_progress")
            cursor.execute(
                "CREATE TABLE bench_bare_progress (student text, program text, date date, "
                "minutes integer, lessons integer, mastery numeric(5, 2))"
            )
            conn.commit()
            began = time.perf_counter()
            # psycopg2 refuses COPY under a wait callback (rocketship.db_timeouts)
            with path.open("rb") as file, without_deadline():
                cursor.copy_expert(
                    "COPY bench_bare_progress FROM STDIN WITH (FORMAT csv, HEADER true)", file
                )
            conn.commit()
            seconds = time.perf_counter() - began
            cursor.execute("SELECT count(*) FROM bench_bare_progress")
            (count,) = cursor.fetchone()
            cursor.execute("DROP TABLE bench_bare_progress")
            conn.commit()
    finally:
        conn.close()
    return seconds if count else float("nan")


# --- the import, in a child process -----------------------------------------------------------


def child_import(path: str) -> None:
    """Run ``manage.py import_progress`` on ``path``; print one JSON line of what it did."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from learninglabs.models import ProgressImport

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('is_superuser') = 'on'")
        role, superuser = cursor.fetchone()
    began = time.perf_counter()
    call_command(
        "import_progress",
        path,
        school=SCHOOL_SLUG,
        mapping=MAPPING_NAME,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    seconds = time.perf_counter() - began
    record = ProgressImport.objects.order_by("-pk").first()
    assert record is not None
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": record.rows_done,
                "created": record.created,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "state": record.state,
                "role": role,
                "superuser": superuser,
            }
        )
    )


def measured_import(path: Path, database: BenchDatabase) -> dict[str, Any]:
    return run_measured_child(
        ["-m", "bench.progress_import", "--child-import", str(path)],
        app_env(database),
        what="import",
    )


# --- the report ---------------------------------------------------------------------------------


def table(rows: int, copy_seconds: float, first: dict[str, Any], again: dict[str, Any]) -> str:
    lines = [
        "| run | rows | seconds | rows/s | x COPY time | peak MB | created | updated | unchanged |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| plain COPY (bare table) | {rows:,} | {copy_seconds:.2f} | "
        f"{rows / copy_seconds:,.0f} | 1.0 | - | - | - | - |",
    ]
    for name, run in (("import (empty table)", first), ("re-import (same file)", again)):
        lines.append(
            f"| {name} | {run['rows']:,} | {run['seconds']:.2f} | "
            f"{run['rows'] / run['seconds']:,.0f} | {run['seconds'] / copy_seconds:.1f} | "
            f"{run['peak_mb']:.0f} | {run['created']:,} | {run['updated']:,} | "
            f"{run['unchanged']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--programs", type=int, default=4)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--output", default=str(RESULTS))
    add_database_option(parser, DB_NAME)
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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

    call_command("migrate", verbosity=0)
    create_app_role()
    local_ids, codes, today = seed(students=args.students, programs=args.programs)
    connection.close()  # the children and COPY use their own connections

    try:
        with tempfile.TemporaryDirectory(prefix="progress-bench-") as workdir:
            path = Path(workdir) / "progress.csv"
            began = time.perf_counter()
            rows = write_csv(path, rows=args.rows, local_ids=local_ids, codes=codes, today=today)
            size_mb = path.stat().st_size / 1e6
            print(
                f"wrote {rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
            print("plain COPY ...", flush=True)
            copy_seconds = plain_copy(path, database)
            print("import ...", flush=True)
            first = measured_import(path, database)
            print("re-import ...", flush=True)
            again = measured_import(path, database)
    finally:
        if not args.keep_db:
            database.drop()
            drop_app_role(database)

    rate = first["rows"] / first["seconds"]
    peak = max(first["peak_mb"], again["peak_mb"])
    print()
    print(table(rows, copy_seconds, first, again))
    print()
    print(
        f"target: import ≥ {TARGET_ROWS_PER_SECOND:,} rows/s on PostgreSQL: {rate:,.0f} rows/s "
        f"{'PASS' if rate >= TARGET_ROWS_PER_SECOND else 'FAIL'}"
    )
    print(
        f"target: peak memory < {TARGET_PEAK_MB} MB: {peak:.0f} MB "
        f"{'PASS' if peak < TARGET_PEAK_MB else 'FAIL'}"
    )
    idempotent = again["created"] == 0 and again["updated"] == 0
    print(f"re-import adds nothing: {'PASS' if idempotent else 'FAIL'}")
    print(
        f"the import ran as {first['role']!r}, "
        f"{'a superuser: FAIL' if first['superuser'] else 'not a superuser: PASS'}"
    )
    write_results(
        args.output,
        {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "rows": rows,
            "file_mb": round(size_mb, 1),
            "students": args.students,
            "programs": args.programs,
            "plain_copy_seconds": round(copy_seconds, 3),
            "import": first,
            "reimport": again,
            "import_role": {"name": first["role"], "superuser": first["superuser"]},
            "import_rows_per_second": round(rate),
            "import_to_copy_time": round(first["seconds"] / copy_seconds, 1),
            "peak_mb": round(peak, 1),
            "targets": {
                "rows_per_second": TARGET_ROWS_PER_SECOND,
                "peak_mb": TARGET_PEAK_MB,
                "rows_per_second_met": rate >= TARGET_ROWS_PER_SECOND,
                "peak_mb_met": peak < TARGET_PEAK_MB,
                "reimport_adds_nothing": idempotent,
            },
            "memory_method": "ru_maxrss (wait4) of the child process running the command",
        },
    )


if __name__ == "__main__":
    main()
