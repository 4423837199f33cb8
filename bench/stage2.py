"""Benchmark the stage-2 planner on reference shapes M (600 students) and L (1,200), beside the
planner of revision ``c803719`` (15-minute segments) in the same run.

Run ``.venv/bin/python -m bench.stage2 [--shapes M,L] [--seeds 5] [--baseline c803719]
[--blocks synthetic,stage1]``. For each shape and seed it builds
``reference_plan_problem(shape, seed=...)`` (synthesised blocks; ``stage1``: the blocks of a
first stage-1 solution of the shape, solved once and not timed), solves it with
``scheduling.solver.stage2.solve`` and judges the plan with the independent ``validate_plan``;
the old planner solves the same problem in a child process (``bench.baseline``,
``bench/baseline_stage2_child.py``: the fields it does not know are dropped) and its plan,
consecutive identical segments merged into sessions, is measured the same way. Per plan:
seconds, share of service minutes met, activity changes per student and block (mean, max),
sessions shorter than their minimum, groups mixing grades, students tutored, and violations
(the old plan: the current validator's on the merged sessions; its own in the JSON).
Targets: M under 2 s, L under 5 s. Results go to ``bench/results/stage2_latest.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import baseline
from bench.reference import reference_problem
from bench.reference_stage2 import reference_plan_problem
from scheduling.solver import stage2
from scheduling.solver.plans import (
    DEFAULT_PROGRAM_MINUTES,
    ActivityKind,
    LabPlan,
    PlanGroup,
    PlanProblem,
    PlanSegment,
    Shortfall,
)
from scheduling.solver.problem import PlacedBlock, Solution
from scheduling.solver.stage1 import SolveOptions
from scheduling.solver.stage1 import solve as solve_stage1
from scheduling.solver.validate_stage2 import validate_plan

RESULTS = Path(__file__).resolve().parent / "results" / "stage2_latest.json"
BASELINE_CHILD = Path(__file__).resolve().parent / "baseline_stage2_child.py"
BASELINE_REV = "c803719"
TARGET_SECONDS = {"M": 2.0, "L": 5.0, "M/s1": 2.0, "L/s1": 5.0}


def stage1_blocks(shape: str) -> tuple[PlacedBlock, ...]:
    result = solve_stage1(
        reference_problem(shape), SolveOptions(first_solution_only=True, time_limit=120)
    )
    if not isinstance(result, Solution):
        raise SystemExit(f"stage 1 found no schedule for {shape}: {result}")
    return result.blocks


def sessions_of(segments: tuple[PlanSegment, ...]) -> dict[int, list[PlanSegment]]:
    """Each student's sessions in time order, consecutive identical activities merged (the old
    planner's 15-minute segments of one program or one provider's service become one)."""
    mine: dict[int, list[PlanSegment]] = defaultdict(list)
    for seg in sorted(segments, key=lambda s: (s.student, s.start)):
        runs = mine[seg.student]
        if runs and runs[-1].end == seg.start and _activity(runs[-1]) == _activity(seg):
            last = runs[-1]
            runs[-1] = PlanSegment(
                last.student,
                last.start,
                seg.end,
                last.kind,
                last.program,
                last.tutor,
                last.provider,
                last.service,
                last.subject,
                last.group,
                last.place,
            )
        else:
            runs.append(seg)
    return mine


def _activity(seg: PlanSegment) -> tuple[Any, ...]:
    return (seg.kind, seg.program, seg.tutor, seg.provider, seg.service, seg.subject, seg.place)


def measure(problem: PlanProblem, plan: LabPlan) -> dict[str, Any]:
    """Changes per student and block, short sessions and mixed-grade groups of ``plan``."""
    grade = {s.id: s.grade for s in problem.students}
    cohort = {s.id: s.cohort for s in problem.students}
    programs = {p.id: p.min_minutes for p in problem.programs}
    services = {s.id: s.session_minutes for s in problem.services}
    blocks = defaultdict(list)
    for block in problem.blocks:
        blocks[block.cohort].append(block)
    changes: list[int] = []
    short = 0
    for student, runs in sessions_of(plan.segments).items():
        for block in blocks[cohort[student]]:
            inside = [r for r in runs if block.start <= r.start < block.end]
            changes.append(max(len(inside) - 1, 0))
            for run in inside:
                if run.kind == ActivityKind.PROGRAM:
                    least = DEFAULT_PROGRAM_MINUTES
                    if run.program is not None:
                        least = programs.get(run.program, least)
                    if run.minutes == block.minutes and block.minutes < least:
                        continue  # a block shorter than every minimum is one session
                elif run.kind == ActivityKind.SERVICE:
                    least = services.get(run.service or 0, 0)
                else:
                    least = problem.tutoring_session_minutes
                short += run.minutes < least
    mixed = sum(1 for g in plan.groups if len({grade[m] for m in g.members}) > 1)
    tutored = {s.student for s in plan.segments if s.kind == ActivityKind.TUTORING}
    due = sum(s.minutes for s in problem.services)
    missing = sum(s.missing for s in plan.shortfalls)
    return {
        "service_met_share": round(1 - missing / due, 4) if due else 1.0,
        "service_minutes_missing": missing,
        "changes_mean": round(statistics.mean(changes), 3) if changes else 0.0,
        "changes_max": max(changes, default=0),
        "short_sessions": short,
        "mixed_grade_groups": mixed,
        "groups": len(plan.groups),
        "tutored_students": len(tutored),
        "tutoring_minutes": sum(
            s.minutes for s in plan.segments if s.kind == ActivityKind.TUTORING
        ),
    }


def run_new(problem: PlanProblem, seed: int) -> dict[str, Any]:
    began = time.perf_counter()
    plan = stage2.solve(problem, stage2.PlanOptions(seed=seed))
    seconds = time.perf_counter() - began
    violations = validate_plan(problem, plan)
    return {
        "seconds": round(seconds, 3),
        **measure(problem, plan),
        "violations": len(violations),
        "first_violations": [v.message for v in violations[:5]],
        "shortfalls": [s.message for s in plan.shortfalls],
        "status": plan.stats.status if plan.stats else "",
    }


def run_old(directory: Path, problem: PlanProblem, seed: int) -> dict[str, Any]:
    answer = baseline.solve(directory, problem, {"seed": seed}, deadline=120, child=BASELINE_CHILD)
    if answer.get("kind") == "error":
        return {"error": answer["message"]}
    segments = tuple(
        PlanSegment(**{**s, "kind": ActivityKind(s["kind"])}) for s in answer["segments"]
    )
    groups = tuple(PlanGroup(**{**g, "kind": ActivityKind(g["kind"])}) for g in answer["groups"])
    met: dict[int, int] = defaultdict(int)
    for seg in segments:
        if seg.service is not None:
            met[seg.service] += seg.minutes
    shortfalls = tuple(
        Shortfall(s.student, s.id, s.kind, (), s.minutes, met[s.id])
        for s in problem.services
        if met[s.id] < s.minutes
    )
    # The old plan as sessions, judged by today's validator (places and lengths it never knew).
    merged = tuple(run for runs in sessions_of(segments).values() for run in runs)
    current = validate_plan(problem, LabPlan(merged, groups, shortfalls))
    return {
        "seconds": round(answer["seconds"], 3),
        **measure(problem, LabPlan(segments, groups, shortfalls)),
        "own_violations": answer["own_violations"],
        "violations": len(current),
        "first_violations": [v.message for v in current[:5]],
        "status": answer["status"],
        "dropped": answer["dropped"],
    }


def ratio(new: float, old: float) -> str:
    if old == 0:
        return "-" if new == 0 else "inf"
    return f"{new / old:.2f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'shape':<5} {'seed':>4} {'planner':<7} {'time s':>7} {'met':>6} {'chg mean':>8} "
        f"{'chg max':>7} {'short':>6} {'mixed':>5} {'groups':>6} {'tutored':>7} {'viol':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        for name in ("new", "old"):
            m = r[name]
            if "error" in m:
                print(f"{r['shape']:<5} {r['seed']:>4} {name:<7} error: {m['error']}")
                continue
            print(
                f"{r['shape']:<5} {r['seed']:>4} {name:<7} {m['seconds']:>7.2f} "
                f"{m['service_met_share']:>6.3f} {m['changes_mean']:>8.2f} {m['changes_max']:>7} "
                f"{m['short_sessions']:>6} {m['mixed_grade_groups']:>5} {m['groups']:>6} "
                f"{m['tutored_students']:>7} {m['violations']:>6}"
            )
        for message in r["new"].get("shortfalls", []):
            print(f"      short: {message}")
    print()
    for shape in sorted({r["shape"] for r in rows}):
        mine = [r for r in rows if r["shape"] == shape and "error" not in r["old"]]
        if not mine:
            continue

        def mean(name: str, key: str, rows: list[dict[str, Any]] = mine) -> float:
            return statistics.mean(r[name][key] for r in rows)

        def versus(key: str) -> str:
            return ratio(mean("new", key), mean("old", key))

        print(
            f"{shape}: new/old  time {versus('seconds')}, service met "
            f"{versus('service_met_share')}, changes {versus('changes_mean')}, short sessions "
            f"{mean('new', 'short_sessions'):.0f} vs {mean('old', 'short_sessions'):.0f}, "
            f"mixed-grade groups {mean('new', 'mixed_grade_groups'):.0f} vs "
            f"{mean('old', 'mixed_grade_groups'):.0f}; new max time "
            f"{max(r['new']['seconds'] for r in mine):.2f} s (target < {TARGET_SECONDS[shape]:g} s)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="M,L")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision; '' for none")
    parser.add_argument(
        "--blocks",
        default="synthetic",
        help="synthetic,stage1: stage1 takes the blocks of a stage-1 solution (first found)",
    )
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    directory = baseline.prepare(args.baseline) if args.baseline else None
    kinds = [k.strip() for k in args.blocks.split(",") if k.strip()]
    rows = []
    for shape, kind in ((s, k) for s in shapes for k in kinds):
        placed = stage1_blocks(shape) if kind == "stage1" else None
        for seed in range(args.seeds):
            problem = reference_plan_problem(shape, seed=seed, placed=placed)
            row: dict[str, Any] = {
                "shape": shape if kind == "synthetic" else f"{shape}/s1",
                "blocks": kind,
                "seed": seed,
                "students": len(problem.students),
            }
            row["new"] = run_new(problem, seed)
            row["old"] = (
                run_old(directory, problem, seed) if directory else {"error": "no baseline"}
            )
            rows.append(row)
    print_table(rows)
    source = Path(stage2.__file__).read_bytes()
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:] if argv is None else argv,
        "cpus": os.cpu_count(),
        "stage2_sha256": hashlib.sha256(source).hexdigest()[:16],
        "baseline": args.baseline,
        "targets_s": TARGET_SECONDS,
        "runs": rows,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {output}")
    return 0 if all(r["new"]["violations"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
