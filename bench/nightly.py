"""Benchmark of one night's rebuild of a 25-school network on Celery workers.

    .venv/bin/python -m bench.nightly                       # 8 S, 12 M, 5 L; 1 then 2 workers
    .venv/bin/python -m bench.nightly --network 1,1,1 --solve-seconds 10   # a quick look

What it does, in order (see bench/README.md):

1. (Re)creates the PostgreSQL database ``--database-url`` (``rocketship_nightly_bench``, user
   ``postgres`` on 127.0.0.1:5432, trust auth) and migrates it; starts a Redis of its own on a
   free port, the broker and result backend (``--redis-url`` names one to use and empty instead).
2. Seeds the network of domain.md, 8 S, 12 M and 5 L schools (``rocketship.demo.seed_school``),
   shapes interleaved in a fixed order, as the beat's fan-out meets schools in id order.
3. Fixes "now" for the whole run; each school's night and target date are read from it as the
   nightly run does. Builds and publishes the instructional day before the target, of the same
   day type, for each school (CP-SAT, 2 workers, 120 s, first schedule; seeds 2, 0, 1, ... until
   one builds): the night is then a real rebuild, as every night after a school's first, with
   the last published day to start from (the solver's previous-day fast path and stability).
4. Night-to-night change: in every third school (3 S, 4 M, 2 L) grade 3's first STEM teacher is
   absent all day on the target date and a substitute with the same hours and room covers their
   cohorts (the ``teacher_absent`` variant of bench/run.py, in the database). Every school builds:
   the target is a new date, so no school's inputs match a published version of it (what a real
   weekday night is; "unchanged" only happens when a date is rebuilt twice).
5. For each worker count (1, then 2): starts ``celery -A rocketship worker --pool=prefork
   --concurrency=N -Ofair``, queues all schools' runs with ``nightly_runs_start`` (the
   management command's path) and polls the ``NightlyRun`` rows until the last one finishes. The
   rounds do identical work: before each, runs and schedules made after setup are deleted and
   the setup's published versions restored.
6. Prints the table and the targets, writes ``bench/results/nightly_latest.json``, drops the
   database (``--keep-db`` keeps it) and stops its Redis.

Mail goes to Django's dummy backend in the workers: the notify tasks run, nothing is printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .harness import (
    ROOT,
    BenchDatabase,
    BenchRedis,
    add_database_option,
    add_redis_option,
    stop_process,
    write_results,
)

DB_NAME = "rocketship_nightly_bench"
SETUP_SEEDS = (2, 0, 1, 3, 4, 5)
TARGET_WALL_SECONDS = 120.0  # the whole network, 2 workers
TARGET_SPEEDUP = 1.8  # 1-worker wall / 2-worker wall, on 2 cores
CHANGED_EVERY = 3  # every third school has a teacher out tonight

# Invented Californian place names; S schools are elementaries, M academies, L preps.
PLACES = (
    "Redwood", "Cypress", "Madrone", "Buckeye", "Manzanita", "Sycamore", "Juniper", "Tanoak",
    "Laurel", "Willow", "Toyon", "Sequoia", "Chaparral", "Poppy", "Lupine", "Yarrow",
    "Sagebrush", "Coyote Creek", "Live Oak", "Blue Oak", "Valley Oak", "Canyon", "Mesa",
    "Foothill", "Ridgeline", "Arroyo", "Tule", "Buttonwillow",
)  # fmt: skip
KIND = {"S": "Elementary", "M": "Academy", "L": "Prep"}


# --- setup (Django in this process) ---------------------------------------------------------------


def patience() -> int:
    """The workers' NIGHTLY_SOLVE_PATIENCE: the product's, unless the environment sets it."""
    from django.conf import settings

    return settings.NIGHTLY_SOLVE_PATIENCE


def env(*, solve_seconds: int, database: BenchDatabase, redis: BenchRedis) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "DATABASE_URL": database.url,
        "REDIS_URL": redis.url,
        "NIGHTLY_SOLVE_SECONDS": str(solve_seconds),
        "NIGHTLY_SOLVE_WORKERS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "PYTHONPATH": str(ROOT),
    }


def network_plan(counts: tuple[int, int, int]) -> list[tuple[str, str, str]]:
    """(name, slug, shape) of each school, shapes interleaved in a fixed order."""
    shapes = ["S"] * counts[0] + ["M"] * counts[1] + ["L"] * counts[2]
    random.Random(6).shuffle(shapes)  # issue 6; any fixed order would do
    if len(shapes) > len(PLACES):
        raise SystemExit(f"at most {len(PLACES)} schools")
    plan = []
    for place, shape in zip(PLACES, shapes, strict=False):
        name = f"{place} {KIND[shape]}"
        plan.append((name, name.lower().replace(" ", "-"), shape))
    return plan


@dataclass
class Bench:
    """What setup leaves for the rounds: the schools in queueing order, the moment, the snapshot,
    and the bench's database and Redis."""

    database: BenchDatabase
    redis: BenchRedis
    schools: list[Any]
    now: datetime.datetime
    shapes: dict[int, str]
    changed: set[int]
    dates: dict[int, str]
    setup: dict[int, dict[str, Any]]
    max_schedule_id: int
    published_ids: list[int]


def prepare(
    *, counts: tuple[int, int, int], database: BenchDatabase, redis: BenchRedis, log: Any
) -> Bench:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Max
    from django.utils import timezone

    from rocketship.demo import DemoSchool, seed_school
    from rocketship.demo.plan import SHAPE_L, SHAPE_M, SHAPE_S, local_today
    from scheduling.models import Schedule, ScheduleStatus
    from scheduling.services.nightly import local_night, next_day_to_rebuild

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - began:.1f} s")

    now = timezone.now()
    today = local_today()
    shape_of = {"S": SHAPE_S, "M": SHAPE_M, "L": SHAPE_L}
    schools, shapes = [], {}
    began = time.perf_counter()
    for index, (name, slug, shape) in enumerate(network_plan(counts)):
        spec = DemoSchool(name, slug, f"N{index:02d}", shape_of[shape], seed=81_3000 + index)
        school, summary = seed_school(school=spec, today=today)
        schools.append(school)
        shapes[school.pk] = shape
        log(f"  seeded {shape} {summary.cohorts} cohorts, {summary.students} students: {name}")
    students = sum(s.students.count() for s in schools)
    log(
        f"seeded {len(schools)} schools, {students} students in {time.perf_counter() - began:.1f} s"
    )

    dates, setup, changed = {}, {}, set()
    for index, school in enumerate(schools):
        date = next_day_to_rebuild(school, local_night(school, now))
        if date is None:
            raise SystemExit(f"{school.name}: no instructional day ahead of {now:%Y-%m-%d}")
        dates[school.pk] = date.isoformat()
        setup[school.pk] = publish_day_before(school=school, date=date, log=log)
        if index % CHANGED_EVERY == 0:
            setup[school.pk]["change"] = teacher_out_with_substitute(school=school, date=date)
            changed.add(school.pk)
    return Bench(
        database=database,
        redis=redis,
        schools=schools,
        now=now,
        shapes=shapes,
        changed=changed,
        dates=dates,
        setup=setup,
        max_schedule_id=Schedule.objects.aggregate(m=Max("pk"))["m"] or 0,
        published_ids=list(
            Schedule.objects.filter(status=ScheduleStatus.PUBLISHED).values_list("pk", flat=True)
        ),
    )


def publish_day_before(*, school: Any, date: datetime.date, log: Any) -> dict[str, Any]:
    """Build and publish the school's last instructional day of the target's day type before
    it, as the night before would have; generous limits, a few seeds."""
    from scheduling.models import CalendarDay
    from scheduling.services.builds import schedule_build
    from scheduling.solver.stage1 import SolveOptions

    target = CalendarDay.objects.get(school=school, date=date)
    earlier = (
        CalendarDay.objects.filter(
            school=school, date__lt=date, instructional=True, day_type=target.day_type_id
        )
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    record: dict[str, Any] = {"previous_date": None, "attempts": [], "published": False}
    if earlier is None:
        log(f"  {school.name}: no earlier day of its type; its night builds from nothing")
        return record
    record["previous_date"] = earlier.isoformat()
    for seed in SETUP_SEEDS:
        options = SolveOptions(time_limit=120, workers=2, seed=seed, first_solution_only=True)
        began = time.perf_counter()
        result = schedule_build(school=school, date=earlier, publish=True, options=options)
        seconds = round(time.perf_counter() - began, 1)
        outcome = "built" if result.ok else "; ".join(r.code for r in result.reasons)
        record["attempts"].append({"seed": seed, "seconds": seconds, "outcome": outcome})
        if result.ok:
            record["published"] = True
            log(f"  {school.name}: {earlier} published (seed {seed}, {seconds} s)")
            break
        log(f"  {school.name}: {earlier} seed {seed}: {outcome} in {seconds} s")
    return record


def teacher_out_with_substitute(*, school: Any, date: datetime.date) -> str:
    """Grade 3's first STEM teacher away all day on ``date``; a substitute with the same hours
    and room takes their cohorts (what a school office enters on a sick morning)."""
    from django.contrib.auth import get_user_model

    from scheduling.models import (
        AbsenceReason,
        StaffAbsence,
        StaffingAssignment,
        TeachingRoom,
    )
    from students.models import Role, Staff, StaffRole

    absent = (
        Staff.objects.filter(school=school, role_grants__role=Role.STEM, grades__level=3)
        .order_by("user__username")
        .first()
    )
    if absent is None:
        raise SystemExit(f"{school.name}: no STEM teacher of grade 3 to be absent")
    user = get_user_model().objects.create(
        username=f"substitute.{school.slug}", first_name="Sam", last_name="Substitute"
    )
    substitute = Staff.objects.create(
        user=user, school=school, work_start=absent.work_start, work_end=absent.work_end
    )
    substitute.grades.set(absent.grades.all())
    substitute.cohorts.set(absent.cohorts.all())
    StaffRole.objects.create(staff=substitute, role=Role.STEM)
    TeachingRoom.objects.create(school=school, staff=substitute, room=absent.teaching_room.room)
    for assignment in StaffingAssignment.objects.filter(school=school, staff=absent):
        assignment.staff.add(substitute)
    StaffAbsence.objects.create(school=school, staff=absent, date=date, reason=AbsenceReason.SICK)
    return f"grade 3 STEM teacher out, substitute covers {absent.cohorts.count()} cohorts"


def reset(bench: Bench) -> None:
    """Back to the state after setup: no runs, no schedules made since, the same published."""
    from scheduling.models import NightlyRun, Schedule, ScheduleStatus

    NightlyRun.objects.all().delete()
    Schedule.objects.filter(pk__gt=bench.max_schedule_id).delete()
    Schedule.objects.filter(pk__in=bench.published_ids).update(status=ScheduleStatus.PUBLISHED)
    bench.redis.flush()


# --- one round -----------------------------------------------------------------------------------


def start_worker(
    bench: Bench, *, concurrency: int, solve_seconds: int, log_path: Path
) -> subprocess.Popen:
    from rocketship.celery import app

    # Every queue the product sends to: the default one and those its routes name (the
    # rebuilds' own queue), as a production worker that builds consumes them.
    routes = app.conf.task_routes or {}
    queues = dict.fromkeys([app.conf.task_default_queue, *(r["queue"] for r in routes.values())])
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "rocketship",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "-Ofair",
        "-Q",
        ",".join(queues),
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
        "--hostname",
        f"nightly-bench-{concurrency}@%h",
    ]
    log_file = log_path.open("w")
    worker = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env(solve_seconds=solve_seconds, database=bench.database, redis=bench.redis),
        stdout=log_file,
        stderr=log_file,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with {worker.returncode}; see {log_path}")
        if app.control.ping(timeout=0.5):
            return worker
    stop_process(worker, grace=60)  # warm shutdown: finishes what it holds
    raise SystemExit(f"the worker did not answer within 60 s; see {log_path}")


def run_round(bench: Bench, *, concurrency: int, solve_seconds: int, log: Any) -> dict[str, Any]:
    from scheduling.models import FINISHED_RUN_STATES, NightlyRun
    from scheduling.services.nightly import nightly_runs_start

    reset(bench)
    log_path = Path(tempfile.gettempdir()) / f"rocketship-nightly-bench-worker-{concurrency}.log"
    worker = start_worker(
        bench, concurrency=concurrency, solve_seconds=solve_seconds, log_path=log_path
    )
    # Every run takes at most the solve limit and some seconds; a stuck round must still end.
    limit = len(bench.schools) * (solve_seconds + 30) / concurrency + 120
    try:
        began = time.perf_counter()
        started = nightly_runs_start(schools=bench.schools, now=bench.now)
        ids = [run.pk for run in started.runs]
        log(f"round {concurrency} worker(s): {len(ids)} runs queued")
        done = 0
        while time.perf_counter() - began < limit:
            finished = NightlyRun.objects.filter(pk__in=ids, state__in=FINISHED_RUN_STATES).count()
            if finished != done:
                done = finished
                log(f"  {done}/{len(ids)} finished at {time.perf_counter() - began:.1f} s")
            if done == len(ids):
                break
            time.sleep(0.5)
        polled = time.perf_counter() - began
    finally:
        stop_process(worker, grace=60)  # warm shutdown: finishes what it holds
    runs = list(NightlyRun.objects.filter(pk__in=ids).select_related("school", "schedule"))
    finished_at = [r.finished_at for r in runs if r.finished_at is not None]
    first_queued = min(r.queued_at for r in runs)
    wall = (max(finished_at) - first_queued).total_seconds() if finished_at else None
    return {
        "concurrency": concurrency,
        "complete": done == len(ids),
        # From the first run's row to the last one's finish, as the rows record it; the poll
        # sees the end up to half a second later.
        "wall_seconds": round(wall, 1) if done == len(ids) and wall is not None else None,
        "polled_seconds": round(polled, 1),
        "worker_log": str(log_path),
        "runs": {r.school_id: describe_run(r) for r in runs},
    }


def describe_run(run: Any) -> dict[str, Any]:
    waited = (run.started_at - run.queued_at).total_seconds() if run.started_at else None
    schedule = run.schedule
    # An unchanged or kept version's stats are those of the build that made it, not this run's.
    stats = (schedule.solver_stats or {}) if schedule is not None and run.solve_seconds else {}
    return {
        "state": run.state,
        "duration_seconds": run.duration_seconds,
        "solve_seconds": run.solve_seconds,
        "queued_seconds": round(waited, 1) if waited is not None else None,
        "attempts": run.attempts,
        "version": schedule.version if schedule is not None else None,
        "moved_blocks": schedule.moved_blocks if schedule is not None else None,
        # The solver's last status (OPTIMAL: optimisation proved; FEASIBLE: stopped at the limit).
        "solver_status": stats.get("status"),
        "objective": stats.get("objective"),
        "gap": stats.get("gap"),
        "why_not": run.why_not,
        "fallback": run.fallback,
    }


# --- the report ----------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def table(bench: Bench, rounds: list[dict[str, Any]]) -> list[str]:
    header = ["school", "shape", "change"]
    for r in rounds:
        n = r["concurrency"]
        header += [f"w{n} state", f"w{n} run s", f"w{n} solve s", f"w{n} search", f"w{n} moved"]
    lines = [header]
    for school in bench.schools:
        row = [
            school.name,
            bench.shapes[school.pk],
            "teacher out" if school.pk in bench.changed else "-",
        ]
        for r in rounds:
            run = r["runs"].get(school.pk, {})
            row += [
                str(run.get("state", "-")),
                fmt(run.get("duration_seconds")),
                fmt(run.get("solve_seconds")),
                str(run.get("solver_status") or "-").lower(),
                fmt(run.get("moved_blocks"), "d"),
            ]
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def aligned(line: list[str]) -> str:
        cells = zip(line, widths, strict=True)
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(cells))

    out = [aligned(line) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def shape_summary(bench: Bench, round_: dict[str, Any]) -> list[str]:
    lines = []
    for shape in ("S", "M", "L"):
        runs = [round_["runs"][s.pk] for s in bench.schools if bench.shapes[s.pk] == shape]
        runs = [r for r in runs if r.get("duration_seconds") is not None]
        if not runs:
            continue
        durations = sorted(r["duration_seconds"] for r in runs)
        lines.append(
            f"  {shape}: {len(runs)} runs, run s median {durations[len(durations) // 2]:.1f} "
            f"max {durations[-1]:.1f}, sum {sum(durations):.1f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", default="8,12,5", help="S,M,L school counts (8,12,5)")
    parser.add_argument("--concurrency", default="1,2", help="worker processes per round (1,2)")
    parser.add_argument(
        "--solve-seconds", type=int, default=20, help="NIGHTLY_SOLVE_SECONDS (product: 20)"
    )
    parser.add_argument("--output", default=str(ROOT / "bench/results/nightly_latest.json"))
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    add_database_option(parser, DB_NAME)
    add_redis_option(parser)
    args = parser.parse_args(argv)
    database: BenchDatabase = args.database_url
    counts = tuple(int(c) for c in args.network.split(","))
    if len(counts) != 3:
        raise SystemExit("--network: give three counts, S,M,L (e.g. 8,12,5)")
    concurrencies = [int(c) for c in args.concurrency.split(",")]

    def log(line: str) -> None:
        print(line, flush=True)

    began = time.perf_counter()
    with BenchRedis(args.redis_url) as redis:
        os.environ.update(env(solve_seconds=args.solve_seconds, database=database, redis=redis))
        database.recreate()
        redis.flush()
        log(f"database {database.name} created; {redis.describe()} empty")
        try:
            bench = prepare(counts=counts, database=database, redis=redis, log=log)  # type: ignore[arg-type]
            setup_seconds = round(time.perf_counter() - began, 1)
            rounds = [
                run_round(bench, concurrency=n, solve_seconds=args.solve_seconds, log=log)
                for n in concurrencies
            ]
        finally:
            from django.db import connections

            connections.close_all()
            if not args.keep_db:
                database.drop()
            redis.flush()

    by_n = {r["concurrency"]: r for r in rounds}
    targets = []
    if 2 in by_n:
        wall2 = by_n[2]["wall_seconds"]
        targets.append(
            {
                "target": f"network under {TARGET_WALL_SECONDS:g} s with 2 workers",
                "value": wall2,
                "met": wall2 is not None and wall2 < TARGET_WALL_SECONDS,
            }
        )
    if 1 in by_n and 2 in by_n and by_n[1]["wall_seconds"] and by_n[2]["wall_seconds"]:
        speedup = round(by_n[1]["wall_seconds"] / by_n[2]["wall_seconds"], 2)
        targets.append(
            {
                "target": f"speed-up 1 -> 2 workers >= {TARGET_SPEEDUP}",
                "value": speedup,
                "met": speedup >= TARGET_SPEEDUP,
            }
        )

    print()
    shape_counts = "/".join(f"{n} {s}" for n, s in zip(counts, "SML", strict=True))
    print(
        f"One night's rebuild of {len(bench.schools)} schools ({shape_counts}), "
        f"NIGHTLY_SOLVE_SECONDS={args.solve_seconds}, NIGHTLY_SOLVE_PATIENCE={patience()}, "
        "1 CP-SAT worker per build, "
        f"{len(bench.changed)} schools with a teacher out; {os.cpu_count()} cores"
    )
    unbuilt = [s.name for s in bench.schools if not bench.setup[s.pk]["published"]]
    print(
        "setup: previous day published for "
        f"{len(bench.schools) - len(unbuilt)}/{len(bench.schools)} schools"
        + (f" (none for {', '.join(unbuilt)})" if unbuilt else "")
    )
    for line in table(bench, rounds):
        print(line)
    print()
    for r in rounds:
        states: dict[str, int] = {}
        for run in r["runs"].values():
            states[run["state"]] = states.get(run["state"], 0) + 1
        solve = sum(run["solve_seconds"] or 0 for run in r["runs"].values())
        busy = sum(run["duration_seconds"] or 0 for run in r["runs"].values())
        print(
            f"{r['concurrency']} worker(s): wall {fmt(r['wall_seconds'])} s "
            f"(polled {r['polled_seconds']:.1f} s), "
            + ", ".join(f"{v} {k}" for k, v in sorted(states.items()))
            + f"; run time summed {busy:.1f} s, solve time summed {solve:.1f} s"
            + ("" if r["complete"] else "; INCOMPLETE: the round hit its time limit")
        )
        for line in shape_summary(bench, r):
            print(line)
    print()
    for target in targets:
        print(f"  {'met' if target['met'] else 'NOT met'}: {target['target']} ({target['value']})")

    write_results(
        args.output,
        {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "now": bench.now.isoformat(),
            "solve_seconds": args.solve_seconds,
            "solve_patience": patience(),
            "solve_workers": 1,
            "network": dict(zip("SML", counts, strict=True)),
            "schools": [
                {
                    "id": s.pk,
                    "name": s.name,
                    "shape": bench.shapes[s.pk],
                    "date": bench.dates[s.pk],
                    "changed": s.pk in bench.changed,
                    "setup": bench.setup[s.pk],
                }
                for s in bench.schools
            ],
            "rounds": [{**r, "runs": {str(k): v for k, v in r["runs"].items()}} for r in rounds],
            "targets": targets,
            "setup_seconds": setup_seconds,
            "total_seconds": round(time.perf_counter() - began, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
