"""Benchmark the stage-2 solver on reference shape M (24 cohorts x 25 students).

Run ``.venv/bin/python -m bench.stage2 [--seeds 5] [--blocks synthetic,stage1]``. For each seed
it builds ``reference_plan_problem("M", seed=...)`` (10% IEP students, 20% English learners,
3 tutors), solves it with ``scheduling.solver.stage2.solve`` and judges the plan with the
independent ``validate_plan``. ``--blocks stage1`` takes the lab and flexible blocks from a
stage-1 solution of ``reference_problem("M")`` (solved once, first schedule, not timed here)
instead of the synthesised waves. Target: stage 2 under 2 s with every service minute met.
Results go to ``bench/results/stage2_latest.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from scheduling.solver import stage2
from scheduling.solver.plans import ActivityKind, PlanProblem
from scheduling.solver.problem import PlacedBlock, Solution
from scheduling.solver.reference import reference_problem
from scheduling.solver.reference_stage2 import reference_plan_problem
from scheduling.solver.stage1 import SolveOptions
from scheduling.solver.stage1 import solve as solve_stage1
from scheduling.solver.validate_stage2 import validate_plan

RESULTS = Path(__file__).resolve().parent / "results" / "stage2_latest.json"
TARGET_SECONDS = 2.0


def stage1_blocks(seed: int) -> tuple[PlacedBlock, ...]:
    result = solve_stage1(reference_problem("M"), SolveOptions(seed=seed, first_solution_only=True))
    if not isinstance(result, Solution):
        raise SystemExit(f"stage 1 found no schedule for M (seed {seed}): {result}")
    return result.blocks


def run_one(problem: PlanProblem, seed: int, blocks: str) -> dict[str, Any]:
    began = time.perf_counter()
    plan = stage2.solve(problem, stage2.PlanOptions(seed=seed))
    seconds = time.perf_counter() - began
    checked = time.perf_counter()
    violations = validate_plan(problem, plan)
    validate_ms = (time.perf_counter() - checked) * 1000
    due = sum(s.minutes for s in problem.services)
    missing = sum(s.missing for s in plan.shortfalls)
    return {
        "seed": seed,
        "blocks": blocks,
        "students": len(problem.students),
        "services": len(problem.services),
        "service_minutes_due": due,
        "service_minutes_missing": missing,
        "all_minutes_met": not plan.shortfalls and not violations,
        "shortfalls": [s.message for s in plan.shortfalls],
        "seconds": round(seconds, 3),
        "validate_ms": round(validate_ms, 1),
        "violations": [v.message for v in violations[:20]],
        "violation_count": len(violations),
        "service_groups": sum(1 for g in plan.groups if g.kind == ActivityKind.SERVICE),
        "tutoring_groups": sum(1 for g in plan.groups if g.kind == ActivityKind.TUTORING),
        "tutored_students": len(
            {s.student for s in plan.segments if s.kind == ActivityKind.TUTORING}
        ),
        "status": plan.stats.status if plan.stats else "",
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'blocks':<9} {'seed':>4} {'time s':>7} {'<2s':>4} {'services':>8} "
        f"{'min due':>7} {'missing':>7} {'validator':>10} {'svc grp':>7} {'tut grp':>7} "
        f"{'tutored':>7}  status"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        verdict = "valid" if r["violation_count"] == 0 else f"{r['violation_count']} viol"
        print(
            f"{r['blocks']:<9} {r['seed']:>4} {r['seconds']:>7.2f} "
            f"{'yes' if r['seconds'] < TARGET_SECONDS else 'NO':>4} {r['services']:>8} "
            f"{r['service_minutes_due']:>7} {r['service_minutes_missing']:>7} {verdict:>10} "
            f"{r['service_groups']:>7} {r['tutoring_groups']:>7} {r['tutored_students']:>7}  "
            f"{r['status']}"
        )
        for message in r["shortfalls"]:
            print(f"      short: {message}")
    times = [r["seconds"] for r in rows]
    met = sum(1 for r in rows if r["all_minutes_met"])
    print(
        f"\nM, {len(rows)} solves: time median {statistics.median(times):.2f} s, max "
        f"{max(times):.2f} s (target < {TARGET_SECONDS:g} s); every service minute met and "
        f"validated in {met}/{len(rows)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--blocks", default="synthetic,stage1")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.blocks.split(",") if k.strip()]
    rows = []
    placed = stage1_blocks(0) if "stage1" in kinds else None
    for kind in kinds:
        for seed in range(args.seeds):
            problem = reference_plan_problem(
                "M", seed=seed, placed=placed if kind == "stage1" else None
            )
            rows.append(run_one(problem, seed, kind))
    print_table(rows)
    source = Path(stage2.__file__).read_bytes()
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:] if argv is None else argv,
        "cpus": os.cpu_count(),
        "stage2_sha256": hashlib.sha256(source).hexdigest()[:16],
        "target_s": TARGET_SECONDS,
        "runs": rows,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {output}")
    return 0 if all(r["violation_count"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
