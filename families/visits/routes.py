"""One pair's afternoon: the order of their visits that cuts travel, and the times it gives.

Travel time comes from the great-circle distance at the problem's speed, rounded up to five
minutes; where either address has no coordinates, the problem's fixed travel time. The route
starts at the first household (the pair meets there) and must end inside the day's window.
OR-Tools' routing solver orders the stops: cheapest arc first, then greedy descent, which stops
at a local optimum by itself (never after some seconds), so the same day always gets the same
route; a pair's afternoon holds a handful of stops. A heuristic may miss an order that exists,
so when it finds none for a short day every order is tried (``fits`` decides the same way, for
the planner, before a visit is added to a day).
"""

from __future__ import annotations

import datetime
import itertools
import math

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .problem import Household, VisitProblem

EARTH_RADIUS_KM = 6371.0
ROUND_TO = 5
# Up to this many stops every order is tried (7! = 5,040 orders, a few milliseconds); a pair's
# afternoon holds three or four visits, so only an unusual day is left to the heuristic alone.
EXHAUSTIVE_STOPS = 7


def travel_minutes(a: Household, b: Household, problem: VisitProblem) -> int:
    if a.location is None or b.location is None:
        return problem.travel_minutes
    km = _distance_km(a.location, b.location)
    minutes = math.ceil(km / problem.speed_kmh * 60)
    return ROUND_TO * math.ceil(minutes / ROUND_TO)


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def order_day(
    stops: list[Household], start: int, end: int, problem: VisitProblem, day: datetime.date
) -> list[tuple[int, int, int]] | None:
    """The stops in the order that travels least, as (household, start, end), all inside
    ``start``..``end`` and at times each family said suit them; ``None`` when no order fits."""
    if not stops:
        return []
    ranges = _ranges(stops, start, end, problem, day)
    if ranges is None:
        return None
    timed = _routed(stops, ranges, start, end, problem)
    if timed is None and len(stops) <= EXHAUSTIVE_STOPS:
        timed = _every_order(stops, ranges, problem)
    return timed


def fits(
    stops: list[Household], start: int, end: int, problem: VisitProblem, day: datetime.date
) -> bool:
    """Whether some order of ``stops`` fits ``start``..``end`` at the families' times, with
    time to drive between them (decided exactly up to ``EXHAUSTIVE_STOPS`` stops)."""
    if len(stops) > EXHAUSTIVE_STOPS:
        return order_day(stops, start, end, problem, day) is not None
    ranges = _ranges(stops, start, end, problem, day)
    return ranges is not None and _every_order(stops, ranges, problem, first_only=True) is not None


def _ranges(
    stops: list[Household], start: int, end: int, problem: VisitProblem, day: datetime.date
) -> list[tuple[int, int]] | None:
    """Each stop's earliest and latest start, or ``None`` when one cannot be visited at all."""
    ranges = []
    for household in stops:
        allowed = household.starts(day, start, end, problem.visit_minutes)
        if allowed is None:
            return None
        ranges.append(allowed)
    return ranges


def _every_order(
    stops: list[Household],
    ranges: list[tuple[int, int]],
    problem: VisitProblem,
    *,
    first_only: bool = False,
) -> list[tuple[int, int, int]] | None:
    """The order that travels least among those that fit, each visit as early as it can be."""
    visit = problem.visit_minutes
    best: tuple[int, list[tuple[int, int, int]]] | None = None
    for order in itertools.permutations(range(len(stops))):
        timed: list[tuple[int, int, int]] = []
        travelled = 0
        for position, i in enumerate(order):
            lo, hi = ranges[i]
            at = lo
            if position:
                drive = travel_minutes(stops[order[position - 1]], stops[i], problem)
                travelled += drive
                at = max(lo, timed[-1][2] + drive)
            if at > hi:
                break
            timed.append((stops[i].id, at, at + visit))
        else:
            if first_only:
                return timed
            if best is None or travelled < best[0]:
                best = (travelled, timed)
    return best[1] if best else None


def _routed(
    stops: list[Household],
    ranges: list[tuple[int, int]],
    start: int,
    end: int,
    problem: VisitProblem,
) -> list[tuple[int, int, int]] | None:
    visit = problem.visit_minutes
    n = len(stops)
    # Node 0 is a free start and end: the pair meets at the first household, leaves from the last.
    travel = [[0] * (n + 1) for _ in range(n + 1)]
    for i, a in enumerate(stops, 1):
        for j, b in enumerate(stops, 1):
            if i != j:
                travel[i][j] = travel_minutes(a, b, problem)
    manager = pywrapcp.RoutingIndexManager(n + 1, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def cost(from_index: int, to_index: int) -> int:
        return travel[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    def elapsed(from_index: int, to_index: int) -> int:
        node = manager.IndexToNode(from_index)
        return (visit if node else 0) + cost(from_index, to_index)

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    time = routing.RegisterTransitCallback(elapsed)
    # Slack lets the pair wait for a family who can host only later in the afternoon.
    routing.AddDimension(time, end - start, end - start, True, "time")
    clock = routing.GetDimensionOrDie("time")
    for node, allowed in enumerate(ranges, 1):
        lo, hi = allowed
        clock.CumulVar(manager.NodeToIndex(node)).SetRange(lo - start, hi - start)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    timed: list[tuple[int, int, int]] = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        at = start + solution.Min(clock.CumulVar(index))
        timed.append((stops[manager.IndexToNode(index) - 1].id, at, at + visit))
        index = solution.Value(routing.NextVar(index))
    return timed
