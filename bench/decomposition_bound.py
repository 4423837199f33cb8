"""How strong a bound over the teams together could be (bench/FINDINGS.md, 2026-12-07).

Dantzig-Wolfe column generation on a reference shape, outside the engine but on its own pieces
(``decompose.teams``, ``decompose.team_relaxation``, ``DayModel``). The master is a GLOP LP:
each team takes a convex mix of its days (columns), priced by the team's own objective terms.
Per slot, the columns together keep each lab to its lanes, specials to the specials teachers
and lunch to the cafeteria's places. Overuse is allowed at a penalty until columns remove it.
Pricing is the team's relaxation in CP-SAT, with the master's duals as prices on each slot that
a lab, specials or lunch block covers.

Each iteration prints two figures for the teams' part of the objective:
- the master's value: once no overuse is left, an upper end of the decomposition bound;
- the Lagrangian bound: the pricing runs' proven bounds less the capacities' prices, a valid
  lower bound at any prices.

This is an experiment, not an engine phase: it takes minutes where a solve has seconds.

    .venv/bin/python -m bench.decomposition_bound --shape M --iterations 40 --price-seconds 6
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from bench.reference import SHAPES, reference_problem
from scheduling.solver.decompose import cohorts_that_fit, team_relaxation, teams
from scheduling.solver.problem import Cohort, Problem, RoomKind
from scheduling.solver.stage1.model import Block, DayModel

# A shared resource at one slot: ("lab", room id, slot), ("specials", slot), ("lunch", slot).
Resource = tuple[str | int, ...]
# Prices are integers in CP-SAT: hundredths of an objective point.
PRICE_SCALE = 100
# Overuse of a resource costs this much a slot in the master. Above any slot's real worth, so the
# master drops overuse as soon as columns allow; the Lagrangian bound holds at any prices.
OVERUSE_PENALTY = 30.0
PRICED_STATIONS = {"lab": "lab", "specials": "specials", "lunch": "lunch"}


@dataclass(frozen=True)
class Column:
    cost: int  # the team's own terms on this day
    use: dict[Resource, int]


@dataclass(frozen=True)
class Priced:
    column: Column
    bound: float  # CP-SAT's proven bound on the priced objective
    proven: bool


def capacities(problem: Problem) -> dict[Resource, int]:
    """Per slot of the day: lab lanes per lab, specials teachers, cafeteria places."""
    unit = problem.granularity
    specials = sum(1 for s in problem.staff if "specials" in s.roles and s.available)
    cafeteria = next(r for r in problem.rooms if r.kind == RoomKind.CAFETERIA)
    labs = [r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB]
    sizes = [c.students for c in problem.cohorts]
    caps: dict[Resource, int] = {}
    for slot in range(problem.day.start // unit, problem.day.end // unit):
        caps["specials", slot] = specials
        caps["lunch", slot] = cafeteria.capacity
        for lab in labs:
            caps["lab", lab.id, slot] = cohorts_that_fit(lab.capacity, sizes)
    return caps


class TeamPricing:
    """One team's relaxation, solved with prices on the shared resources' slots."""

    def __init__(self, problem: Problem, cohorts: list[Cohort], own: frozenset[int]) -> None:
        self.cohorts, self.own = cohorts, own
        self.relaxed = team_relaxation(problem, cohorts, own)
        self.first = problem.day.start // problem.granularity
        self.last = problem.day.end // problem.granularity

    def solve(self, prices: dict[Resource, float], seconds: float, workers: int) -> Priced:
        day = DayModel(self.relaxed)
        day.build()
        model = day.model
        terms = day.team_terms([c.id for c in self.cohorts], self.own)
        if not isinstance(terms, cp_model.LinearExpr):
            raise RuntimeError("the team has no terms of its own to bound")
        charged: list[cp_model.IntVar] = []
        covered = []
        # One resource's prefix sums serve every block on it (a lab's cohorts, all lunches).
        prefixes: dict[tuple[str, int | None], list[int]] = {}
        for cohort in self.cohorts:
            for station, kind in PRICED_STATIONS.items():
                for block in day.by_cohort_station.get((cohort.id, station), []):
                    room = block.staffings[0][3]
                    resource = self.resource(kind, room)
                    covered.append((block, resource))
                    if (kind, room) not in prefixes:
                        prefixes[kind, room] = self.prefix_sums(resource, prices)
                    charge = self.charge(model, block, prefixes[kind, room])
                    if charge is not None:
                        charged.append(charge)
        model.minimize(PRICE_SCALE * terms + cp_model.LinearExpr.sum(charged))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = workers
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"a team's priced relaxation ended {solver.status_name(status)}")
        use: dict[Resource, int] = defaultdict(int)
        for block, resource in covered:
            if isinstance(block.present, int) or solver.value(block.present):
                for slot in range(solver.value(block.start), solver.value(block.end)):
                    use[resource(slot)] += 1
        return Priced(
            Column(int(solver.value(terms)), dict(use)),
            solver.best_objective_bound / PRICE_SCALE,
            status == cp_model.OPTIMAL,
        )

    @staticmethod
    def resource(kind: str, room: int | None) -> Callable[[int], Resource]:
        if kind == "lab":
            return lambda slot: ("lab", room or 0, slot)
        return lambda slot: (kind, slot)

    def prefix_sums(
        self, resource: Callable[[int], Resource], prices: dict[Resource, float]
    ) -> list[int]:
        """At each unit, the scaled prices of the resource's slots before it."""
        prefix, total = [0] * (self.last + 2), 0
        for slot in range(self.last + 2):
            prefix[slot] = total
            if self.first <= slot < self.last:
                total += round(prices.get(resource(slot), 0.0) * PRICE_SCALE)
        return prefix

    @staticmethod
    def charge(model: cp_model.CpModel, block: Block, prefix: list[int]) -> cp_model.IntVar | None:
        """The block's price: the prefix sum at its end less the one at its start."""
        total = prefix[-1]
        if total == 0:
            return None
        at_start, at_end = model.new_int_var(0, total, ""), model.new_int_var(0, total, "")
        model.add_element(block.start, prefix, at_start)
        model.add_element(block.end, prefix, at_end)
        charge = model.new_int_var(0, total, "")
        if isinstance(block.present, int):
            model.add(charge == at_end - at_start)
        else:
            model.add(charge >= at_end - at_start).only_enforce_if(block.present)
        return charge


def master(
    columns: list[list[Column]], caps: dict[Resource, int]
) -> tuple[float, float, dict[Resource, float]]:
    """The restricted master's value, its overuse, and the resources' prices (its duals)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    weights = [[lp.NumVar(0, lp.infinity(), "") for _ in team] for team in columns]
    for team in weights:
        lp.Add(sum(team) == 1)
    used: dict[Resource, list] = defaultdict(list)
    for team, team_weights in zip(columns, weights, strict=True):
        for column, weight in zip(team, team_weights, strict=True):
            for resource, count in column.use.items():
                used[resource].append(count * weight)
    rows, overuse = {}, []
    for resource, cap in caps.items():
        if used.get(resource):
            over = lp.NumVar(0, lp.infinity(), "")
            overuse.append(over)
            rows[resource] = lp.Add(sum(used[resource]) - over <= cap)
    cost = sum(
        column.cost * weight
        for team, team_weights in zip(columns, weights, strict=True)
        for column, weight in zip(team, team_weights, strict=True)
    )
    lp.Minimize(cost + OVERUSE_PENALTY * sum(overuse))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the master LP has no optimum")
    prices = {r: max(0.0, -row.dual_value()) for r, row in rows.items()}
    return lp.Objective().Value(), sum(v.solution_value() for v in overuse), prices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="M")
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--price-seconds", type=float, default=6.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    problem = reference_problem(args.shape)
    caps = capacities(problem)
    pricings = [TeamPricing(problem, cohorts, own) for cohorts, own in teams(problem)]
    columns: list[list[Column]] = [[] for _ in pricings]
    prices: dict[Resource, float] = {}
    best = float("-inf")
    for iteration in range(args.iterations):
        began = time.perf_counter()
        priced = [p.solve(prices, args.price_seconds, args.workers) for p in pricings]
        lagrangian = sum(p.bound for p in priced) - sum(
            prices.get(r, 0) * c for r, c in caps.items()
        )
        best = max(best, lagrangian)
        for team, result in zip(columns, priced, strict=True):
            team.append(result.column)
        value, over, prices = master(columns, caps)
        print(
            f"iteration {iteration}: master {value:.1f} (overuse {over:.2f}), "
            f"Lagrangian {lagrangian:.1f} (best {best:.1f}), "
            f"{sum(p.proven for p in priced)} of {len(priced)} priced teams proven, "
            f"{time.perf_counter() - began:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
