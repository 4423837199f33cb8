"""Benchmark the home-visit planner: a season of first visits for a generated network, and one
pair's afternoon route, beside the greedy first plan alone (the baseline) in the same run.

Run ``.venv/bin/python -m bench.visits [--households 600] [--educators 60] [--weeks 6]
[--seeds 3] [--work 3]``. Per seed: seconds to a plan, share of households placed, visits
before the target day, the most visits any educator makes, and the checker's findings (must
be none); then the longest pair-day of the plan is routed 20 times and its median time taken.
Targets: a plan in under 10 s on 2 cores; one pair's day in under 1 s. The share placed is
reported beside the households that could be placed at all (each left out of those has a reason
decided from the rules alone), the bound no plan can pass.
Results go to ``bench/results/visits_latest.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from families.visits.planner import PlanOptions, _Season, plan_visits
from families.visits.problem import Unplaced, VisitPlan, VisitProblem
from families.visits.routes import order_day
from families.visits.validate import plan_problems

from .visit_shapes import visit_network

RESULTS = Path(__file__).with_name("results") / "visits_latest.json"


def _figures(problem: VisitProblem, plan: VisitPlan, seconds: float) -> dict[str, object]:
    load: Counter[int] = Counter()
    for v in plan.visits:
        load[v.lead] += 1
        load[v.partner] += 1
    return {
        "seconds": round(seconds, 3),
        "placed_share": round(plan.placed_share, 4),
        # Households with at least one visit the rules allow: no plan places more.
        "placeable": plan.placeable,
        "placed_of_placeable": round(len(plan.visits) / plan.placeable, 4) if plan.placeable else 1,
        "before_target": sum(v.day <= problem.target for v in plan.visits),
        "most_visits_per_educator": max(load.values(), default=0),
        "problems": len(plan_problems(problem, plan)),
        "reasons": dict(Counter(u.reason.value for u in plan.unplaced)),
    }


def _greedy_only(problem: VisitProblem) -> tuple[VisitPlan, float]:
    started = time.perf_counter()
    season = _Season(problem)
    visits, _ = season.routes([season.candidates[i] for i in season.greedy()])
    placed = {v.household for v in visits}
    unplaced = tuple(
        Unplaced(h.id, season.reason(h)) for h in problem.households if h.id not in placed
    )
    placeable = len({c.household for c in season.candidates})
    plan = VisitPlan(tuple(visits), unplaced, placeable=placeable)
    return plan, time.perf_counter() - started


def _route_seconds(problem: VisitProblem, plan: VisitPlan) -> tuple[int, float]:
    days: dict[tuple, list] = {}
    for v in plan.visits:
        days.setdefault((v.lead, v.partner, v.day), []).append(v)
    longest = max(days.values(), key=len)
    households = {h.id: h for h in problem.households}
    stops = [households[v.household] for v in longest]
    start, end = min(v.start for v in longest), max(v.end for v in longest) + 60
    times = []
    for _ in range(20):
        began = time.perf_counter()
        order_day(stops, start, end, problem, longest[0].day)
        times.append(time.perf_counter() - began)
    return len(stops), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=600)
    parser.add_argument("--educators", type=int, default=60)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--work", type=float, default=3.0)
    args = parser.parse_args()
    rows = []
    for seed in range(args.seeds):
        problem = visit_network(
            households=args.households, educators=args.educators, weeks=args.weeks, seed=seed
        )
        baseline, baseline_seconds = _greedy_only(problem)
        started = time.perf_counter()
        plan = plan_visits(problem, PlanOptions(work_limit=args.work, seed=seed))
        seconds = time.perf_counter() - started
        stops, route = _route_seconds(problem, plan)
        row = {
            "seed": seed,
            "planner": _figures(problem, plan, seconds),
            "baseline_greedy": _figures(problem, baseline, baseline_seconds),
            "route_stops": stops,
            "route_seconds_median": round(route, 4),
        }
        rows.append(row)
        print(json.dumps(row))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
