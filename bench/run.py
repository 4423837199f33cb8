"""Benchmark the stage-1 solver on the reference shapes, and FET on the same problems.

Run ``.venv/bin/python -m bench.run [--shapes S,M,L] [--seeds 5] [--limit 10] [--fet/--no-fet]
[--fet-limit 60]``; see ``bench/README.md`` for what each column means.

Every solve runs in a forked child process so that its peak memory can be measured (the child's
``ru_maxrss`` from ``wait4`` minus its resident size when it starts: OR-Tools allocates in C++,
which ``tracemalloc`` cannot see) and so that a solver that overruns its limit can be killed.
Each schedule is judged by ``scheduling.solver.validate.validate`` in the parent process.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import select
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduling.solver.problem import Infeasible, PlacedBlock, Problem, Solution
from scheduling.solver.reference import reference_problem
from scheduling.solver.stage1 import SolveOptions, solve
from scheduling.solver.validate import validate

from . import fet

VARIANTS = ("baseline", "lab_short", "teacher_absent", "tight_specials")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
MEMORY_METHOD = (
    "peak RSS growth of a forked child running solve(): ru_maxrss (wait4) minus the child's VmRSS "
    "at start; includes OR-Tools' C++ memory"
)


# --- running one solve in a child process ---------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def in_child(work: Callable[[], Any], deadline: float) -> tuple[Any, float | None, str | None]:
    """``work()`` in a forked child: (its picklable result, peak RSS growth in MB, error)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        code = 0
        try:
            start_rss = _rss_kb()
            payload = pickle.dumps(("ok", work(), start_rss))
        except BaseException as error:  # report anything, never return into the parent's code
            payload = pickle.dumps(("error", f"{type(error).__name__}: {error}", 0))
            code = 1
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(code)
    os.close(write_end)
    chunks, killed = [], False
    with os.fdopen(read_end, "rb") as source:
        end = time.monotonic() + deadline
        while True:
            left = end - time.monotonic()
            ready, _, _ = select.select([source], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            chunk = os.read(source.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _pid, _status, usage = os.wait4(pid, 0)
    if killed:
        return None, None, f"killed after {deadline:.0f} s"
    try:
        kind, value, start_rss = pickle.loads(b"".join(chunks))
    except Exception as error:
        return None, None, f"child died: {error}"
    if kind == "error":
        return None, None, value
    return value, max(usage.ru_maxrss - start_rss, 0) / 1024, None


@dataclass
class Attempt:
    """One solve(): what came back, in plain data."""

    kind: str  # "schedule", "explained" (Infeasible with a reason), "timeout", "error"
    seconds: float  # wall time of the whole solve() call (precheck, model, search)
    status: str | None = None
    gap: float | None = None
    objective: float | None = None
    moved: int | None = None
    code: str | None = None  # first reason's code
    message: str | None = None
    blocks: tuple[PlacedBlock, ...] = ()
    violations: int | None = None
    first_violation: str | None = None
    peak_mb: float | None = None

    def record(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "blocks"}
        out["seconds"] = round(self.seconds, 4)
        if self.peak_mb is not None:
            out["peak_mb"] = round(self.peak_mb, 1)
        return out


def attempt(problem: Problem, options: SolveOptions) -> Attempt:
    def work() -> Attempt:
        began = time.perf_counter()
        answer = solve(problem, options)
        seconds = time.perf_counter() - began
        if isinstance(answer, Solution):
            return Attempt(
                "schedule",
                seconds,
                status=answer.stats.status,
                gap=answer.stats.gap,
                objective=answer.stats.objective,
                moved=answer.moved_blocks,
                blocks=answer.blocks,
            )
        assert isinstance(answer, Infeasible)
        first = answer.reasons[0] if answer.reasons else None
        timed_out = first is not None and first.code == "time-limit"
        return Attempt(
            "timeout" if timed_out else "explained",
            seconds,
            status=answer.stats.status if answer.stats else "PRECHECK",
            code=first.code if first else None,
            message=first.message if first else None,
        )

    result, peak, error = in_child(work, deadline=options.time_limit * 3 + 60)
    if error is not None:
        return Attempt("error", options.time_limit, message=error)
    assert isinstance(result, Attempt)
    result.peak_mb = peak
    if result.kind == "schedule":
        violations = validate(problem, result.blocks)
        result.violations = len(violations)
        result.first_violation = violations[0].message if violations else None
    return result


# --- the benchmark -------------------------------------------------------------------------------


@dataclass
class Cell:
    """All seeds of one shape x variant x worker count."""

    shape: str
    variant: str
    workers: int
    first: list[Attempt] = field(default_factory=list)
    best: list[Attempt | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def problem_for(shape: str, variant: str, previous: tuple[PlacedBlock, ...] = ()) -> Problem:
    return reference_problem(
        shape, variant=None if variant == "baseline" else variant, previous=previous
    )


def bench_cpsat(
    shapes: list[str], seeds: int, limit: float, workers_list: list[int], log: Callable[[str], None]
) -> list[Cell]:
    cells: list[Cell] = []
    for shape in shapes:
        for workers in workers_list:
            row = {v: Cell(shape, v, workers) for v in VARIANTS}
            cells.extend(row.values())
            for seed in range(seeds):
                baseline_blocks: tuple[PlacedBlock, ...] = ()
                for variant in VARIANTS:
                    cell = row[variant]
                    previous: tuple[PlacedBlock, ...] = ()
                    if variant == "teacher_absent":
                        previous = baseline_blocks
                        if not previous and "no baseline schedule" not in " ".join(cell.notes):
                            cell.notes.append("no baseline schedule: solved without previous")
                    problem = problem_for(shape, variant, previous)
                    options = SolveOptions(
                        time_limit=limit, workers=workers, seed=seed, first_solution_only=True
                    )
                    first = attempt(problem, options)
                    cell.first.append(first)
                    best = None
                    if first.kind == "schedule":
                        best = attempt(
                            problem,
                            SolveOptions(
                                time_limit=limit,
                                workers=workers,
                                seed=seed,
                                first_solution_only=False,
                            ),
                        )
                    cell.best.append(best)
                    if variant == "baseline":
                        chosen = best if best and best.kind == "schedule" else first
                        baseline_blocks = chosen.blocks if chosen.kind == "schedule" else ()
                    log(
                        f"  {shape} {variant:<15} w={workers} seed={seed}: "
                        f"{describe_attempt(first, limit)}"
                        + (f" | optimise: {describe_best(best, limit)}" if best else "")
                    )
    return cells


def describe_attempt(a: Attempt, limit: float) -> str:
    if a.kind == "schedule":
        verdict = "valid" if a.violations == 0 else f"INVALID ({a.violations}: {a.first_violation})"
        return f"schedule in {a.seconds:.2f} s, {verdict}"
    if a.kind == "explained":
        return f"explained in {a.seconds:.3f} s: {a.code}"
    if a.kind == "timeout":
        return f"no schedule in {limit:g} s"
    return f"error: {a.message}"


def describe_best(a: Attempt, limit: float) -> str:
    if a.kind != "schedule":
        return describe_attempt(a, limit)
    if a.status == "OPTIMAL":
        out = f"optimal in {a.seconds:.2f} s"
    else:
        gap = "?" if a.gap is None else f"{a.gap:.1%}"
        out = f"{a.status} gap {gap} at {limit:g} s"
    out += f", objective {a.objective}, moved {a.moved}"
    return out + ("" if a.violations == 0 else f", INVALID ({a.violations})")


# --- summaries -----------------------------------------------------------------------------------


def med_max(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))}/{fmt.format(max(values))}"


def summarise(cell: Cell, limit: float) -> dict[str, Any]:
    n = len(cell.first)
    schedules = [a for a in cell.first if a.kind == "schedule"]
    explained = [a for a in cell.first if a.kind == "explained"]
    timeouts = [a for a in cell.first if a.kind == "timeout"]
    errors = [a for a in cell.first if a.kind == "error"]
    bests = [b for b in cell.best if b is not None and b.kind == "schedule"]
    optimal = [b for b in bests if b.status == "OPTIMAL"]
    gaps = [b.gap for b in bests if b.status != "OPTIMAL" and b.gap is not None]
    judged = [a for a in [*schedules, *bests] if a.violations is not None]
    invalid = [a for a in judged if a.violations]
    codes = sorted({a.code for a in explained if a.code})
    peaks = [a.peak_mb for a in [*cell.first, *bests] if a.peak_mb is not None]
    moved = [b.moved for b in bests if b.moved is not None and cell.variant == "teacher_absent"]
    if judged:
        verdict = f"{len(judged) - len(invalid)}/{len(judged)} valid"
    elif explained:
        verdict = "explained"
    else:
        verdict = "-"
    if schedules:
        first = med_max([a.seconds for a in schedules])
        if timeouts:
            first += f" ({len(timeouts)}/{n} none in {limit:g}s)"
    elif timeouts:
        first = f"no schedule in {limit:g} s ({len(timeouts)}/{n})"
    else:
        first = "-"
    lost = [b for b in cell.best if b is not None and b.kind != "schedule"]
    parts = []
    if optimal:
        parts.append(f"opt {med_max([b.seconds for b in optimal])} ({len(optimal)}/{n})")
    if gaps:
        parts.append(f"gap {med_max([g * 100 for g in gaps], '{:.1f}')}% at {limit:g}s")
    if lost:
        parts.append(f"none in {limit:g}s ({len(lost)}/{n})")
    best = "; ".join(parts) or "-"
    return {
        "shape": cell.shape,
        "variant": cell.variant,
        "workers": cell.workers,
        "seeds": n,
        "first_valid_s": first,
        "first_valid_seconds": [a.seconds for a in schedules if a.violations == 0],
        "optimum": best,
        "moved": med_max([float(m) for m in moved], "{:.0f}") if moved else "-",
        "explanation": (
            f"{med_max([a.seconds * 1000 for a in explained], '{:.1f}')} ms {','.join(codes)}"
            if explained
            else "-"
        ),
        "peak_mb": med_max(peaks, "{:.0f}"),
        "verdict": verdict + (f"; {len(errors)} errors" if errors else ""),
        "notes": cell.notes,
    }


COLUMNS = (
    ("shape", "shape", 5),
    ("variant", "variant", 14),
    ("workers", "w", 2),
    ("first_valid_s", "first valid s med/max", 27),
    ("optimum", "optimum s med/max | gap", 44),
    ("moved", "moved", 6),
    ("explanation", "explanation ms med/max", 36),
    ("peak_mb", "peak MB", 8),
    ("verdict", "validator", 12),
)


def table(rows: list[dict[str, Any]]) -> str:
    header = " | ".join(title.ljust(width) for _, title, width in COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(" | ".join(str(row[key]).ljust(width) for key, _, width in COLUMNS).rstrip())
    return "\n".join(lines)


# --- FET -----------------------------------------------------------------------------------------


def bench_fet(
    shapes: list[str],
    variants: list[str],
    seeds: int,
    limit: int,
    workdir: Path | None,
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    results = []
    base = workdir or Path(tempfile.mkdtemp(prefix="bench-fet-"))
    try:
        for shape in shapes:
            for variant in variants:
                problem = problem_for(shape, variant)
                for seed in range(seeds):
                    name = f"{shape}_{variant}_{seed}"
                    outcome = fet.run(problem, base, time_limit=limit, seed=seed, name=name)
                    if workdir is None:
                        shutil.rmtree(base / f"{name}-out", ignore_errors=True)
                    record = {
                        "shape": shape,
                        "variant": variant,
                        "seed": seed,
                        "status": outcome.status,
                        "seconds": round(outcome.seconds, 2),
                        "placed": outcome.placed,
                        "activities": outcome.activities,
                        "violations": outcome.violations,
                        "first_violation": outcome.first_violation,
                        "peak_mb": None
                        if outcome.peak_rss_mb is None
                        else round(outcome.peak_rss_mb),
                        "notes": outcome.notes,
                    }
                    results.append(record)
                    log(f"  FET {name}: {describe_fet(record, limit)}")
    finally:
        if workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    return results


def describe_fet(r: dict[str, Any], limit: int) -> str:
    if r["status"] == "valid":
        return f"valid schedule in {r['seconds']:.1f} s"
    if r["status"] == "invalid":
        return (
            f"schedule in {r['seconds']:.1f} s, INVALID ({r['violations']}: {r['first_violation']})"
        )
    if r["status"] == "timeout":
        return (
            f"no schedule in {limit} s (best try placed {r['placed']}/{r['activities']} "
            "activities; FET cannot prove there is none)"
        )
    return f"{r['status']}: {r['first_violation']}"


def ratio(
    cpsat: list[float],
    fet_runs: list[dict[str, Any]],
    limit: int,
    cp_limit: float,
) -> str:
    """CP-SAT median time to a valid schedule over FET's, with bounds when one side found none."""
    fet_times = [r["seconds"] for r in fet_runs if r["status"] == "valid"]
    if cpsat and fet_times:
        return f"{statistics.median(cpsat) / statistics.median(fet_times):.3f}"
    if cpsat and not fet_times:
        return f"<{statistics.median(cpsat) / limit:.3f}"
    if fet_times and not cpsat:
        return f">{cp_limit / statistics.median(fet_times):.3f}"
    return "n/a (none)"


def fet_table(
    fet_results: list[dict[str, Any]], summaries: list[dict[str, Any]], fet_limit: int, limit: float
) -> str:
    lines = [
        "shape | variant        | CP-SAT(1w)/FET | CP-SAT(2w)/FET | FET: time to valid / outcome",
        "-" * 130,
    ]
    keys = sorted(
        {(r["shape"], r["variant"]) for r in fet_results},
        key=lambda k: (k[0], VARIANTS.index(k[1])),
    )
    for shape, variant in keys:
        runs = [r for r in fet_results if (r["shape"], r["variant"]) == (shape, variant)]
        valid = [r["seconds"] for r in runs if r["status"] == "valid"]
        if valid:
            outcome = f"valid {len(valid)}/{len(runs)}, {med_max(valid)} s med/max"
        else:
            outcome = "; ".join(sorted({describe_fet(r, fet_limit) for r in runs}))
        ratios = []
        for workers in (1, 2):
            summary = next(
                (
                    s
                    for s in summaries
                    if (s["shape"], s["variant"], s["workers"]) == (shape, variant, workers)
                ),
                None,
            )
            if summary is None:
                ratios.append("-")
            elif summary["explanation"] != "-":
                ratios.append("n/a (infeasible)")
            else:
                ratios.append(ratio(summary["first_valid_seconds"], runs, fet_limit, limit))
        lines.append(f"{shape:<5} | {variant:<14} | {ratios[0]:<14} | {ratios[1]:<14} | {outcome}")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def cells_from_json(record: dict[str, Any]) -> list[Cell]:
    """The cells of a saved run, to print its tables again (``--from-json``)."""
    cells: dict[tuple[str, str, int], Cell] = {}
    fields = set(Attempt.__dataclass_fields__)

    def load(data: dict[str, Any] | None) -> Attempt | None:
        return None if data is None else Attempt(**{k: v for k, v in data.items() if k in fields})

    for run in record["runs"]:
        key = (run["shape"], run["variant"], run["workers"])
        cell = cells.setdefault(key, Cell(*key))
        first = load(run["first"])
        assert first is not None
        cell.first.append(first)
        cell.best.append(load(run["optimise"]))
    for summary in record["summary"]:
        key = (summary["shape"], summary["variant"], summary["workers"])
        if key in cells:
            cells[key].notes = summary["notes"]
    return list(cells.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--shapes", default="S,M,L", help="comma-separated shapes (S,M,L)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per cell (default 5)")
    parser.add_argument("--limit", type=float, default=10.0, help="CP-SAT limit per solve, s")
    parser.add_argument("--workers", default="2,1", help="CP-SAT worker counts (default 2,1)")
    parser.add_argument("--fet", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fet-limit", type=int, default=60, help="FET limit per run, s")
    parser.add_argument("--fet-seeds", type=int, default=1, help="FET seeds per problem")
    parser.add_argument(
        "--fet-variants",
        default="baseline,teacher_absent",
        help="variants FET runs on (default: the feasible ones; on an infeasible one FET only "
        "runs out its time, it never proves there is no timetable)",
    )
    parser.add_argument("--fet-workdir", type=Path, help="keep FET's input and output files here")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--from-json", type=Path, help="print the tables of a saved run")
    args = parser.parse_args(argv)
    if args.from_json:
        return reprint(json.loads(args.from_json.read_text()))

    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    workers_list = [int(w) for w in args.workers.split(",")]
    fet_variants = [v.strip() for v in args.fet_variants.split(",") if v.strip()]

    def log(line: str) -> None:
        print(line, flush=True)

    began = time.perf_counter()
    log(
        f"CP-SAT: shapes {','.join(shapes)}, {args.seeds} seeds, {args.limit:g} s per solve, "
        f"workers {','.join(map(str, workers_list))}, on {os.cpu_count()} CPUs"
    )
    cells = bench_cpsat(shapes, args.seeds, args.limit, workers_list, log)
    summaries = [summarise(c, args.limit) for c in cells]
    summaries.sort(key=lambda s: (s["shape"], VARIANTS.index(s["variant"]), -s["workers"]))

    fet_results: list[dict[str, Any]] = []
    if args.fet:
        log(f"FET: {','.join(fet_variants)}, {args.fet_seeds} seed(s), {args.fet_limit} s per run")
        fet_results = bench_fet(
            shapes, fet_variants, args.fet_seeds, args.fet_limit, args.fet_workdir, log
        )
    elapsed = time.perf_counter() - began

    print_tables(summaries, fet_results, args.limit, args.fet_limit)
    print(f"\ntotal wall time {elapsed:.0f} s")

    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:] if argv is None else argv,
        "cpus": os.cpu_count(),
        "limit_s": args.limit,
        "fet_limit_s": args.fet_limit if args.fet else None,
        "memory": MEMORY_METHOD,
        "stage1_sha256": _sha256(Path(solve.__code__.co_filename)),
        "wall_s": round(elapsed),
        "summary": [
            {k: v for k, v in s.items() if k != "first_valid_seconds"}
            | {"first_valid_seconds": [round(x, 3) for x in s["first_valid_seconds"]]}
            for s in summaries
        ],
        "runs": [
            {
                "shape": c.shape,
                "variant": c.variant,
                "workers": c.workers,
                "seed": seed,
                "first": first.record(),
                "optimise": best.record() if best else None,
            }
            for c in cells
            for seed, (first, best) in enumerate(zip(c.first, c.best, strict=True))
        ],
        "fet": fet_results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"results written to {args.output}")
    return 0


def reprint(record: dict[str, Any]) -> int:
    limit = record["limit_s"]
    summaries = [summarise(c, limit) for c in cells_from_json(record)]
    summaries.sort(key=lambda s: (s["shape"], VARIANTS.index(s["variant"]), -s["workers"]))
    print_tables(summaries, record["fet"], limit, record["fet_limit_s"] or 0)
    sha = record.get("stage1_sha256")
    print(f"\ntotal wall time {record['wall_s']} s (solver stage1.py {sha})")
    return 0


def print_tables(
    summaries: list[dict[str, Any]], fet_results: list[dict[str, Any]], limit: float, fet_limit: int
) -> None:
    print()
    print("CP-SAT stage 1: median/max over seeds (times in s unless marked)")
    print(table(summaries))
    for s in summaries:
        for note in s["notes"]:
            print(f"  note {s['shape']} {s['variant']} w={s['workers']}: {note}")
    print(f"peak MB: {MEMORY_METHOD}")
    if fet_results:
        print()
        print(f"FET {fet_version()} (fixed block lengths, limit {fet_limit} s)")
        print(fet_table(fet_results, summaries, fet_limit, limit))
        notes = sorted({n for r in fet_results for n in r["notes"]})
        print("  FET model: " + "; ".join(notes))
        print(
            "  FET block lengths: one block per station at its full minutes "
            "(literacy 120, math 90, lab 100, ...); FET cannot choose lengths"
        )
        print("  ratio < 1: CP-SAT faster; '<x'/'>x': one side found nothing (bound by its limit)")


def _sha256(path: Path) -> str:
    """Which solver was measured: the stage-1 module changes while it is being tuned."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def fet_version() -> str:
    import subprocess

    try:
        out = subprocess.run(
            [fet.FET_BINARY, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "(not installed)"
    first = out.splitlines()[0] if out else ""
    return first.replace("FET version ", "")


if __name__ == "__main__":
    raise SystemExit(main())
