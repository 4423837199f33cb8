"""Benchmark the stage-1 solver on the reference shapes and generated ones, beside an older
engine in the same run, and FET on a fixed-length instance both can solve.

Run ``.venv/bin/python -m bench.run [--shapes S,M,L,C5] [--seeds 5] [--limit 10]
[--baseline REV | --no-baseline] [--generated N --gen-seed K] [--fet/--no-fet]``; see
``bench/README.md`` for what each table and column means.

Every solve runs in a child process so that its peak memory can be measured (the child's
``ru_maxrss`` from ``wait4`` minus its resident size when it starts: OR-Tools allocates in C++,
which ``tracemalloc`` cannot see) and so that a solver that overruns its limit can be killed: a
fork for the current engine, a fresh interpreter with the old revision on ``PYTHONPATH`` for the
baseline engine (``bench/baseline.py``). Each schedule is judged by the current
``scheduling.solver.validate.validate`` in the parent process.
"""

from __future__ import annotations

import argparse
import json
import math
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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from scheduling.solver.problem import GradeTemplate, Infeasible, PlacedBlock, Problem, Solution
from scheduling.solver.stage1 import SolveOptions, solve
from scheduling.solver.validate import validate

from . import baseline as old_engine
from . import fet, shapes

VARIANTS = ("baseline", "lab_short", "teacher_absent", "tight_specials")
ENGINES = ("current", "baseline")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
MEMORY_METHOD = (
    "peak RSS growth of the child running solve() (a fork; for the baseline engine a fresh "
    "interpreter): ru_maxrss (wait4) minus the child's VmRSS when the solve starts; includes "
    "OR-Tools' C++ memory"
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
    bound: float | None = None
    moved: int | None = None
    code: str | None = None  # first reason's code
    message: str | None = None
    blocks: tuple[PlacedBlock, ...] = ()
    violations: int | None = None  # the current validator's
    first_violation: str | None = None
    own_violations: int | None = None  # the engine's own validator's (baseline: its revision's)
    dropped: list[str] = field(default_factory=list)  # fields the engine did not know
    peak_mb: float | None = None

    def record(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "blocks"}
        out["seconds"] = round(self.seconds, 4)
        if self.peak_mb is not None:
            out["peak_mb"] = round(self.peak_mb, 1)
        return out

    @property
    def valid(self) -> bool:
        """A schedule its own engine's rules accept (the current rules for the current engine)."""
        return self.kind == "schedule" and self.own_violations == 0


def _judge(problem: Problem, result: Attempt) -> Attempt:
    if result.kind == "schedule":
        violations = validate(problem, result.blocks)
        result.violations = len(violations)
        result.first_violation = violations[0].message if violations else None
        if result.own_violations is None:
            result.own_violations = result.violations
    return result


def attempt(problem: Problem, options: SolveOptions) -> Attempt:
    """One solve by the current engine, in a forked child."""

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
                bound=answer.stats.bound,
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
    return _judge(problem, result)


def attempt_baseline(directory: Path, problem: Problem, options: SolveOptions) -> Attempt:
    """One solve by the baseline engine extracted in ``directory``, in a fresh interpreter."""
    answer = old_engine.solve(
        directory, problem, asdict(options), deadline=options.time_limit * 3 + 60
    )
    if answer["kind"] == "error":
        return Attempt("error", options.time_limit, message=answer["message"])
    blocks = tuple(
        PlacedBlock(**{**b, "staff": tuple(b["staff"])}) for b in answer.get("blocks", ())
    )
    result = Attempt(
        answer["kind"],
        answer["seconds"],
        status=answer.get("status"),
        gap=answer.get("gap"),
        objective=answer.get("objective"),
        bound=answer.get("bound"),
        moved=answer.get("moved"),
        code=answer.get("code"),
        message=answer.get("message"),
        blocks=blocks,
        own_violations=answer.get("own_violations"),
        dropped=answer.get("dropped", []),
        peak_mb=answer.get("peak_mb"),
    )
    return _judge(problem, result)


# --- the benchmark -------------------------------------------------------------------------------


@dataclass
class Cell:
    """All seeds of one shape x variant x worker count x engine."""

    shape: str
    variant: str
    workers: int
    engine: str = "current"
    first: list[Attempt] = field(default_factory=list)
    best: list[Attempt | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def problem_for(shape: str, variant: str, previous: tuple[PlacedBlock, ...] = ()) -> Problem:
    """``shape`` is a reference name (S, M, L) or a generated one (``C5``, ``gen:...``)."""
    return shapes.problem_for(shape, variant, previous)


def bench_cpsat(
    shape_names: dict[str, str],
    seeds: int,
    limit: float,
    workers_list: list[int],
    variants: list[str],
    baseline_dir: Path | None,
    log: Callable[[str], None],
) -> list[Cell]:
    """Every shape x worker count x seed x engine x variant: a first-valid solve, and when it
    found a day, an optimising one with the same limit."""
    engines = ["current"] + (["baseline"] if baseline_dir is not None else [])
    cells: list[Cell] = []
    for label, name in shape_names.items():
        for workers in workers_list:
            row = {(v, e): Cell(label, v, workers, e) for e in engines for v in variants}
            cells.extend(row.values())
            for seed in range(seeds):
                for engine in engines:

                    def run(
                        problem: Problem, options: SolveOptions, engine: str = engine
                    ) -> Attempt:
                        if engine == "current":
                            return attempt(problem, options)
                        assert baseline_dir is not None
                        return attempt_baseline(baseline_dir, problem, options)

                    baseline_blocks: tuple[PlacedBlock, ...] = ()
                    for variant in variants:
                        cell = row[(variant, engine)]
                        previous: tuple[PlacedBlock, ...] = ()
                        if variant == "teacher_absent":
                            previous = baseline_blocks
                            if not previous and "no baseline schedule" not in " ".join(cell.notes):
                                cell.notes.append("no baseline schedule: solved without previous")
                        problem = problem_for(name, variant, previous)
                        options = SolveOptions(
                            time_limit=limit, workers=workers, seed=seed, first_solution_only=True
                        )
                        first = run(problem, options)
                        cell.first.append(first)
                        for dropped in first.dropped:
                            note = f"baseline engine ignores {dropped}"
                            if note not in cell.notes:
                                cell.notes.append(note)
                        best = None
                        if first.kind == "schedule":
                            best = run(problem, replace(options, first_solution_only=False))
                        cell.best.append(best)
                        if variant == "baseline":
                            chosen = best if best and best.kind == "schedule" else first
                            baseline_blocks = chosen.blocks if chosen.kind == "schedule" else ()
                        log(
                            f"  {label} {variant:<15} w={workers} seed={seed} {engine:<8}: "
                            f"{describe_attempt(first, limit)}"
                            + (f" | optimise: {describe_best(best, limit)}" if best else "")
                        )
    return cells


def describe_attempt(a: Attempt, limit: float) -> str:
    if a.kind == "schedule":
        if a.own_violations == 0 and a.violations == 0:
            verdict = "valid"
        elif a.own_violations == 0:
            verdict = f"valid by its own rules, {a.violations} current ({a.first_violation})"
        else:
            verdict = f"INVALID ({a.violations}: {a.first_violation})"
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
    out += f", objective {a.objective} bound {a.bound}, moved {a.moved}"
    return out + ("" if a.own_violations == 0 else f", INVALID ({a.own_violations})")


# --- summaries -----------------------------------------------------------------------------------


def med_max(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))}/{fmt.format(max(values))}"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(cell: Cell, limit: float) -> dict[str, Any]:
    n = len(cell.first)
    schedules = [a for a in cell.first if a.kind == "schedule"]
    explained = [a for a in cell.first if a.kind == "explained"]
    timeouts = [a for a in cell.first if a.kind == "timeout"]
    errors = [a for a in cell.first if a.kind == "error"]
    bests = [b for b in cell.best if b is not None and b.kind == "schedule"]
    optimal = [b for b in bests if b.status == "OPTIMAL"]
    gaps = [b.gap for b in bests if b.status != "OPTIMAL" and b.gap is not None]
    judged = [a for a in [*schedules, *bests] if a.own_violations is not None]
    invalid = [a for a in judged if a.own_violations]
    now_invalid = [a for a in judged if a.violations]
    codes = sorted({a.code for a in explained if a.code})
    peaks = [a.peak_mb for a in [*cell.first, *bests] if a.peak_mb is not None]
    moved = [b.moved for b in bests if b.moved is not None and cell.variant == "teacher_absent"]
    if judged:
        verdict = f"{len(judged) - len(invalid)}/{len(judged)} valid"
        if cell.engine != "current":
            verdict += f" ({len(judged) - len(now_invalid)} by current rules)"
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
        "engine": cell.engine,
        "seeds": n,
        "first_valid_s": first,
        "first_valid_seconds": [a.seconds for a in schedules if a.valid],
        "timeouts": len(timeouts),
        "optimum": best,
        "objective": _median([b.objective for b in bests if b.objective is not None]),
        "bound": _median([b.bound for b in bests if b.bound is not None]),
        "gap": _median([b.gap for b in bests if b.gap is not None]),
        "optimal": len(optimal),
        "moved": med_max([float(m) for m in moved], "{:.0f}") if moved else "-",
        "explanation": (
            f"{med_max([a.seconds * 1000 for a in explained], '{:.1f}')} ms {','.join(codes)}"
            if explained
            else "-"
        ),
        "peak_mb": med_max(peaks, "{:.0f}"),
        "verdict": verdict + (f"; {len(errors)} errors" if errors else ""),
        "errors": len(errors),
        "notes": [*cell.notes, f"first error: {errors[0].message}"] if errors else cell.notes,
    }


COLUMNS = (
    ("shape", "shape", 5),
    ("variant", "variant", 14),
    ("workers", "w", 2),
    ("engine", "engine", 8),
    ("first_valid_s", "first valid s med/max", 27),
    ("optimum", "optimum s med/max | gap", 44),
    ("moved", "moved", 6),
    ("explanation", "explanation ms med/max", 36),
    ("peak_mb", "peak MB", 8),
    ("verdict", "validator", 12),
)


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str, int], ...] = COLUMNS) -> str:
    header = " | ".join(title.ljust(width) for _, title, width in columns)
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(" | ".join(str(row[key]).ljust(width) for key, _, width in columns).rstrip())
    return "\n".join(lines)


def _objective(s: dict[str, Any]) -> str:
    """``objective/bound gap`` of a cell's optimising solves (medians), or why there is none."""
    if s["objective"] is None:
        return "-"
    bound = "?" if s["bound"] is None else f"{s['bound']:.0f}"
    gap = "?" if s["gap"] is None else f"{s['gap']:.0%}"
    proven = f", opt {s['optimal']}/{s['seeds']}" if s["optimal"] else ""
    return f"{s['objective']:.0f}/{bound} gap {gap}{proven}"


def _first(s: dict[str, Any], limit: float) -> str:
    if s["explanation"] != "-" and not s["first_valid_seconds"]:
        return "explained " + s["explanation"].split(" ms")[0] + " ms"
    times = s["first_valid_seconds"]
    if not times:
        if s.get("errors"):
            return f"error ({s['errors']}/{s['seeds']})"
        return f"none in {limit:g}s" if s["timeouts"] else "-"
    out = med_max(times)
    return out if len(times) == s["seeds"] else f"{out} ({len(times)}/{s['seeds']})"


def _ratio(current: list[float], baseline: list[float], limit: float) -> str:
    """Current median time to a valid day over the baseline's; bounds when one found none."""
    if current and baseline:
        return f"{statistics.median(current) / statistics.median(baseline):.2f}x"
    if current:
        return f"<{statistics.median(current) / limit:.2f}x"
    if baseline:
        return f">{limit / statistics.median(baseline):.2f}x"
    return "-"


def compare_rows(summaries: list[dict[str, Any]], limit: float) -> list[dict[str, Any]]:
    """One row per shape x variant x workers with both engines."""
    by_key = {(s["shape"], s["variant"], s["workers"], s["engine"]): s for s in summaries}
    rows = []
    for s in summaries:
        if s["engine"] != "current":
            continue
        old = by_key.get((s["shape"], s["variant"], s["workers"], "baseline"))
        if old is None:
            continue
        rows.append(
            {
                "shape": s["shape"],
                "variant": s["variant"],
                "workers": s["workers"],
                "base_first": _first(old, limit),
                "first": _first(s, limit),
                "ratio": _ratio(s["first_valid_seconds"], old["first_valid_seconds"], limit),
                "base_objective": _objective(old),
                "objective": _objective(s),
            }
        )
    return rows


COMPARE_COLUMNS = (
    ("shape", "shape", 5),
    ("variant", "variant", 14),
    ("workers", "w", 2),
    ("base_first", "baseline first s med/max", 26),
    ("first", "current first s med/max", 26),
    ("ratio", "now/base", 8),
    ("base_objective", "baseline obj/bound gap", 28),
    ("objective", "current obj/bound gap", 28),
)


def shape_rows(
    summaries: list[dict[str, Any]], shape_names: dict[str, str], workers: int, limit: float
) -> list[dict[str, Any]]:
    """Per shape, its baseline variant at ``workers``: how often each engine found a valid day,
    and how fast."""
    rows = []
    for label, name in shape_names.items():
        parsed = shapes.parse(name)
        row = {
            "shape": label,
            "parameters": (parsed or shapes.REFERENCE_SPECS[name]).describe(),
        }
        for engine in ENGINES:
            s = next(
                (
                    s
                    for s in summaries
                    if (s["shape"], s["variant"], s["workers"], s["engine"])
                    == (label, "baseline", workers, engine)
                ),
                None,
            )
            if s is None:
                row[engine] = "-"
                continue
            times = s["first_valid_seconds"]
            row[engine] = f"valid {len(times)}/{s['seeds']}" + (
                f", {med_max(times)} s" if times else ""
            )
            if not times and s["explanation"] != "-":
                row[engine] = "explained " + s["explanation"].split(" ", 2)[-1]
            elif s["timeouts"] or s.get("errors"):
                row[engine] += f" ({s['timeouts']} none in {limit:g}s, {s.get('errors', 0)} errors)"

        rows.append(row)
    return rows


SHAPE_COLUMNS = (
    ("shape", "shape", 5),
    ("parameters", "parameters", 92),
    ("current", "current: valid, s med/max", 28),
    ("baseline", "baseline: valid, s med/max", 28),
)


# --- FET on a fixed-length instance --------------------------------------------------------------


def _partitions(minutes: int, allowed: list[int], most: int) -> set[tuple[int, ...]]:
    """Every multiset of at most ``most`` lengths from ``allowed`` that sums to ``minutes``."""
    out: set[tuple[int, ...]] = set()

    def extend(left: int, parts: tuple[int, ...]) -> None:
        if left == 0:
            out.add(parts)
            return
        if len(parts) == most:
            return
        for length in allowed:
            if length <= left and (not parts or length >= parts[-1]):
                extend(left - length, (*parts, length))

    extend(minutes, ())
    return out


def fixed_length_instance(
    problem: Problem, day: tuple[PlacedBlock, ...]
) -> tuple[Problem, dict[tuple[int, str], list[int]], list[str]]:
    """``problem`` with each cohort's block lengths those of ``day`` (a day an engine found).

    FET gets exactly those lengths. Our engine gets them through cohort templates
    (``GradeTemplate.cohorts``): equal lengths exactly (``block_min = block_max``), unequal ones
    as the range between them in steps of their gcd, which may allow another split (said in the
    notes): the engine's instance then holds FET's and more. Staff well-being rules, which the
    FET export cannot state, are off for both."""
    lengths: dict[tuple[int, str], list[int]] = {}
    for block in sorted(day, key=lambda b: b.start):
        lengths.setdefault((block.cohort, block.station), []).append(block.minutes)
    groups: dict[tuple[int, tuple[Any, ...]], list[int]] = {}
    loose: set[str] = set()
    for cohort in problem.cohorts:
        stations = []
        for station in problem.template_of(cohort).stations:
            parts = lengths.get((cohort.id, station.code))
            if parts:
                step = math.gcd(*parts)
                station = replace(
                    station,
                    block_min=min(parts),
                    block_max=max(parts),
                    max_blocks=len(parts),
                    step=step,
                )
                allowed = list(range(min(parts), max(parts) + 1, step))
                if _partitions(station.minutes, allowed, len(parts)) != {tuple(sorted(parts))}:
                    loose.add(station.code)
            stations.append(station)
        groups.setdefault((cohort.grade, tuple(stations)), []).append(cohort.id)
    templates = tuple(t for t in problem.templates if not t.cohorts) + tuple(
        GradeTemplate(grade, stations, frozenset(ids)) for (grade, stations), ids in groups.items()
    )
    notes = [
        f"{len(groups)} cohort templates with the found day's block lengths",
        "exact for both sides"
        if not loose
        else f"CP-SAT may also split {', '.join(sorted(loose))} otherwise (FET may not)",
    ]
    fixed = replace(problem, templates=templates)
    if getattr(problem, "wellbeing", None) is not None:
        # FET's export has no staff lunch or breaks: neither side gets them on this instance.
        fixed = replace(fixed, wellbeing=None)
        notes.append("staff well-being rules off for both (the FET export cannot state them)")
    return fixed, lengths, notes


def bench_fet(
    shape_names: dict[str, str],
    variants: list[str],
    seeds: int,
    limit: int,
    cells: list[Cell],
    workers_list: list[int],
    cp_limit: float,
    workdir: Path | None,
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """FET and the current engine on the same feasible instance: each cohort's blocks fixed to
    the lengths of a day the engine found (the first valid one of the first seed that found one,
    at the first worker count), on the 5-minute grid.

    Feasibility is checked first: the found day must pass ``validate()`` on the fixed-length
    instance, and FET must accept it when every block is locked where the engine put it (that
    checks the export, not only our model). Then FET (its seeds, ``limit``) and the engine (each
    worker count and seed, ``cp_limit``, first valid day) solve the instance from scratch."""
    results = []
    base = workdir or Path(tempfile.mkdtemp(prefix="bench-fet-"))
    installed = shutil.which(fet.FET_BINARY) is not None
    try:
        for label, name in shape_names.items():
            for variant in variants:
                record: dict[str, Any] = {"shape": label, "variant": variant, "notes": []}
                results.append(record)
                source = next(
                    (
                        (seed, a)
                        for c in cells
                        if (c.shape, c.variant, c.workers, c.engine)
                        == (label, variant, workers_list[0], "current")
                        for seed, a in enumerate(c.first)
                        if a.kind == "schedule" and a.violations == 0
                    ),
                    None,
                )
                if source is None:
                    record["status"] = "no engine day to take block lengths from"
                    log(f"  FET {label} {variant}: {record['status']}")
                    continue
                problem, lengths, notes = fixed_length_instance(
                    problem_for(name, variant), source[1].blocks
                )
                record["notes"] = notes
                record["from_seed"] = source[0]
                staffing = {(b.cohort, b.station): b.staff[0] for b in source[1].blocks if b.staff}
                violations = validate(problem, source[1].blocks)
                record["check_validator"] = len(violations)
                if violations:
                    record["status"] = f"found day fails its instance: {violations[0].message}"
                    log(f"  FET {label} {variant}: {record['status']}")
                    continue
                if installed:
                    witness = fet.run(
                        problem,
                        base,
                        time_limit=min(limit, 60),
                        seed=0,
                        name=f"{label}_{variant}_locked",
                        lengths=lengths,
                        locked=source[1].blocks,
                    )
                    record["check_fet"] = witness.status
                    record["check_fet_seconds"] = round(witness.seconds, 2)
                    log(f"  FET {label} {variant} locked to the engine's day: {witness.status}")
                    if witness.status not in ("valid", "invalid"):
                        record["check_fet_message"] = witness.first_violation
                else:
                    record["check_fet"] = "fet-cl not installed"
                record["status"] = "compared"
                record["fet"] = []
                for seed in range(seeds if installed else 0):
                    run_name = f"{label}_{variant}_{seed}"
                    outcome = fet.run(
                        problem,
                        base,
                        time_limit=limit,
                        seed=seed,
                        name=run_name,
                        lengths=lengths,
                        staffing=staffing,
                    )
                    if workdir is None:
                        shutil.rmtree(base / f"{run_name}-out", ignore_errors=True)
                    entry = {
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
                    record["fet"].append(entry)
                    log(f"  FET {run_name}: {describe_fet(entry, limit)}")
                record["cpsat"] = {}
                for workers in workers_list:
                    runs = []
                    for seed in range(seeds):
                        a = attempt(
                            problem,
                            SolveOptions(
                                time_limit=cp_limit,
                                workers=workers,
                                seed=seed,
                                first_solution_only=True,
                            ),
                        )
                        runs.append(
                            {
                                "seed": seed,
                                "kind": a.kind,
                                "seconds": round(a.seconds, 3),
                                "violations": a.violations,
                                "code": a.code,
                            }
                        )
                        log(
                            f"  CP-SAT on {label} {variant} fixed lengths w={workers} "
                            f"seed={seed}: {describe_attempt(a, cp_limit)}"
                        )
                    record["cpsat"][str(workers)] = runs
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


def _valid_times(
    runs: list[dict[str, Any]], key: str = "kind", ok: str = "schedule"
) -> list[float]:
    return [r["seconds"] for r in runs if r[key] == ok and not r.get("violations")]


def fet_table(fet_results: list[dict[str, Any]], fet_limit: int, limit: float) -> str:
    lines = [
        "shape | variant        | check (validator; FET locked) | CP-SAT 1w s     "
        "| CP-SAT 2w s     | FET s                      | 1w/FET   | 2w/FET",
        "-" * 140,
    ]
    for r in fet_results:
        if "seconds" in r:  # a run saved before the fixed-length instance
            lines.append(
                f"{r['shape']:<5} | {r['variant']:<14} | full station lengths (no check): "
                f"{r['status']} in {r['seconds']} s"
            )
            continue
        if r.get("status") != "compared":
            lines.append(f"{r['shape']:<5} | {r['variant']:<14} | {r.get('status')}")
            continue
        check = f"{'ok' if r['check_validator'] == 0 else 'FAILS'}; {r['check_fet']}"
        fet_times = _valid_times(r["fet"], "status", "valid")
        cells = []
        ratios = []
        for workers in ("1", "2"):
            runs = r["cpsat"].get(workers)
            if runs is None:
                cells.append("-")
                ratios.append("-")
                continue
            times = _valid_times(runs)
            cells.append(
                f"{med_max(times)} ({len(times)}/{len(runs)})" if times else f"none in {limit:g}s"
            )
            if times and fet_times:
                ratios.append(f"{statistics.median(times) / statistics.median(fet_times):.3f}")
            elif times and r["fet"]:
                ratios.append(f"<{statistics.median(times) / fet_limit:.3f}")
            elif fet_times:
                ratios.append(f">{limit / statistics.median(fet_times):.3f}")
            else:
                ratios.append("n/a")
        if fet_times:
            fet_cell = f"{med_max(fet_times)} ({len(fet_times)}/{len(r['fet'])})"
        elif r["fet"]:
            placed = max((f["placed"] or 0 for f in r["fet"]), default=0)
            fet_cell = f"none in {fet_limit}s, best {placed}/{r['fet'][0]['activities']}"
        else:
            fet_cell = "not run"
        lines.append(
            f"{r['shape']:<5} | {r['variant']:<14} | {check:<29} | {cells[0]:<15} | "
            f"{cells[1]:<15} | {fet_cell:<26} | {ratios[0]:<8} | {ratios[1]}"
        )
    for r in fet_results:
        fet_notes = dict.fromkeys(n for f in r.get("fet", []) for n in f["notes"])
        if r.get("notes") or fet_notes:
            lines.append(f"  {r['shape']} {r['variant']}: " + "; ".join([*r["notes"], *fet_notes]))
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def cells_from_json(record: dict[str, Any]) -> list[Cell]:
    """The cells of a saved run, to print its tables again (``--from-json``)."""
    cells: dict[tuple[str, str, int, str], Cell] = {}
    fields = set(Attempt.__dataclass_fields__)

    def load(data: dict[str, Any] | None) -> Attempt | None:
        if data is None:
            return None
        loaded = Attempt(**{k: v for k, v in data.items() if k in fields})
        if loaded.own_violations is None:  # a run saved before the baseline engine
            loaded.own_violations = loaded.violations
        return loaded

    for run in record["runs"]:
        key = (run["shape"], run["variant"], run["workers"], run.get("engine", "current"))
        cell = cells.setdefault(key, Cell(*key))
        first = load(run["first"])
        assert first is not None
        cell.first.append(first)
        cell.best.append(load(run["optimise"]))
    for summary in record["summary"]:
        key = (
            summary["shape"],
            summary["variant"],
            summary["workers"],
            summary.get("engine", "current"),
        )
        if key in cells:  # summarise() adds the first error again
            cells[key].notes = [n for n in summary["notes"] if not n.startswith("first error:")]
    return list(cells.values())


def _order(summaries: list[dict[str, Any]], shape_names: dict[str, str]) -> None:
    order = list(shape_names)
    summaries.sort(
        key=lambda s: (
            order.index(s["shape"]) if s["shape"] in order else len(order),
            VARIANTS.index(s["variant"]),
            -s["workers"],
            ENGINES.index(s["engine"]),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--shapes",
        default="S,M,L,C5",
        help="comma-separated shapes: S, M, L, C2-C8 (N cohorts per grade), "
        "gen:cpg=N,students=..,... (see bench/shapes.py); default S,M,L,C5",
    )
    parser.add_argument(
        "--generated", type=int, default=0, help="add N shapes drawn from the parameter ranges"
    )
    parser.add_argument("--gen-seed", type=int, default=0, help="seed of --generated's draw")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated variants (default {','.join(VARIANTS)})",
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds per cell (default 5)")
    parser.add_argument("--limit", type=float, default=10.0, help="CP-SAT limit per solve, s")
    parser.add_argument("--workers", default="2,1", help="CP-SAT worker counts (default 2,1)")
    parser.add_argument(
        "--baseline",
        default=old_engine.DEFAULT_REV,
        metavar="REV",
        help="git revision of the engine to run beside the current one, in the same run "
        f"(default {old_engine.DEFAULT_REV}: the engine before issue 18)",
    )
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_const", const=None, help="current only"
    )
    parser.add_argument("--fet", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fet-limit", type=int, default=60, help="FET limit per run, s")
    parser.add_argument("--fet-seeds", type=int, default=1, help="FET (and CP-SAT) seeds there")
    parser.add_argument(
        "--fet-variants",
        default="baseline,teacher_absent",
        help="variants FET runs on (default: the feasible ones; FET gets the block lengths of "
        "a day the current engine found, so only variants with a found day)",
    )
    parser.add_argument("--fet-workdir", type=Path, help="keep FET's input and output files here")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--from-json", type=Path, help="print the tables of a saved run")
    args = parser.parse_args(argv)
    if args.from_json:
        return reprint(json.loads(args.from_json.read_text()))

    shape_names: dict[str, str] = {}
    for n, name in enumerate(shapes.split_shapes(args.shapes), start=1):
        shape_names[name if not name.startswith("gen:") else f"g{n}"] = name
    for n, drawn in enumerate(shapes.random_specs(args.generated, args.gen_seed), start=1):
        shape_names[f"G{n}"] = drawn.text()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    variants.sort(key=VARIANTS.index)  # teacher_absent starts from baseline's day
    workers_list = [int(w) for w in args.workers.split(",")]
    fet_variants = [v.strip() for v in args.fet_variants.split(",") if v.strip()]
    baseline_dir = old_engine.prepare(args.baseline) if args.baseline else None
    baseline_commit = old_engine.commit_of(args.baseline) if args.baseline else None

    def log(line: str) -> None:
        print(line, flush=True)

    began = time.perf_counter()
    log(
        f"CP-SAT: shapes {','.join(shape_names)}, variants {','.join(variants)}, {args.seeds} "
        f"seeds, {args.limit:g} s per solve, workers {','.join(map(str, workers_list))}, on "
        f"{os.cpu_count()} CPUs; baseline engine "
        + (f"{args.baseline} ({baseline_commit})" if baseline_dir else "off")
    )
    for label, name in shape_names.items():
        if label != name:
            log(f"  {label} = {name}")
    cells = bench_cpsat(
        shape_names, args.seeds, args.limit, workers_list, variants, baseline_dir, log
    )
    summaries = [summarise(c, args.limit) for c in cells]
    _order(summaries, shape_names)

    fet_results: list[dict[str, Any]] = []
    if args.fet:
        log(
            f"FET: {','.join(fet_variants)} on fixed-length instances, {args.fet_seeds} seed(s), "
            f"{args.fet_limit} s per run"
        )
        fet_results = bench_fet(
            shape_names,
            [v for v in fet_variants if v in variants],
            args.fet_seeds,
            args.fet_limit,
            cells,
            workers_list,
            args.limit,
            args.fet_workdir,
            log,
        )
    elapsed = time.perf_counter() - began

    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:] if argv is None else argv,
        "cpus": os.cpu_count(),
        "limit_s": args.limit,
        "fet_limit_s": args.fet_limit if args.fet else None,
        "memory": MEMORY_METHOD,
        "stage1_sha256": _sha256(Path(solve.__code__.co_filename).parent),
        "baseline": {"rev": args.baseline, "commit": baseline_commit} if baseline_dir else None,
        "shapes": shape_names,
        "workers": workers_list,
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
                "engine": c.engine,
                "seed": seed,
                "first": first.record(),
                "optimise": best.record() if best else None,
            }
            for c in cells
            for seed, (first, best) in enumerate(zip(c.first, c.best, strict=True))
        ],
        "fet": fet_results,
        "fet_version": fet_version() if args.fet else None,
    }
    print_tables(record, summaries)
    print(f"\ntotal wall time {elapsed:.0f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"results written to {args.output}")
    return 0


def reprint(record: dict[str, Any]) -> int:
    limit = record["limit_s"]
    shape_names = record.get("shapes") or {s["shape"]: s["shape"] for s in record["summary"]}
    summaries = [summarise(c, limit) for c in cells_from_json(record)]
    _order(summaries, shape_names)
    print_tables(record | {"shapes": shape_names}, summaries)
    sha = record.get("stage1_sha256")
    print(f"\ntotal wall time {record['wall_s']} s (solver stage1 {sha})")
    return 0


def print_tables(record: dict[str, Any], summaries: list[dict[str, Any]]) -> None:
    limit = record["limit_s"]
    shape_names = record["shapes"]
    print()
    print("CP-SAT stage 1: median/max over seeds (times in s unless marked)")
    print(table(summaries))
    for s in summaries:
        for note in s["notes"]:
            print(f"  note {s['shape']} {s['variant']} w={s['workers']} {s['engine']}: {note}")
    print(f"peak MB: {MEMORY_METHOD}")
    compared = compare_rows(summaries, limit)
    if compared:
        base = record.get("baseline") or {}
        print()
        print(
            f"Baseline engine {base.get('rev')} ({str(base.get('commit'))[:12]}) vs current, "
            f"same run, same problems (built by the current code); first valid day med/max over "
            f"seeds, the count when only some seeds found one; objective/bound/gap: medians of "
            f"the optimising solve at {limit:g} s"
        )
        print(table(compared, COMPARE_COLUMNS))
        print(
            "  the baseline engine does not know the newer rules (fields it ignores are noted "
            "above); its days are judged valid by its own validator, the current validator's "
            "count is in the first table. Objectives are each engine's own: comparable only "
            "where the objective did not change."
        )
    workers = (record.get("workers") or [2])[0]
    print()
    print(f"Shapes: the baseline variant at {workers} worker(s), valid first days / seeds")
    print(table(shape_rows(summaries, shape_names, workers, limit), SHAPE_COLUMNS))
    for label, name in shape_names.items():
        if label != name:
            print(f"  {label} = {name}")
    fet_results = record.get("fet") or []
    if fet_results:
        print()
        print(
            f"FET {record.get('fet_version') or ''} vs CP-SAT on a fixed-length instance: each "
            "cohort's blocks fixed to the lengths of a day the current engine found; FET limit "
            f"{record['fet_limit_s']} s, CP-SAT {limit:g} s (first valid day)"
        )
        print(fet_table(fet_results, record["fet_limit_s"] or 0, limit))
        print(
            "  check: the found day passes validate() on the instance; FET accepts it locked "
            "('valid': FET can represent it). ratio < 1: CP-SAT faster; '<x'/'>x': one side "
            "found nothing (bound by its limit)"
        )


def _sha256(package: Path) -> str:
    """Which solver was measured: the stage-1 package (its model and search) changes while it is
    being tuned. Its modules in name order, each name hashed with its bytes."""
    import hashlib

    digest = hashlib.sha256()
    for module in sorted(package.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:16]


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
