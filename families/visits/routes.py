"""One pair's afternoon: the order of their visits that cuts travel, and the times it gives.

Travel time comes from the great-circle distance at the problem's speed, rounded up to five
minutes; where either address has no coordinates, the problem's fixed travel time. The route
starts at the first household (the pair meets there) and must end inside the day's window.
OR-Tools' routing solver orders the stops: cheapest arc first, then greedy descent, which stops
at a local optimum by itself (never after some seconds), so the same day always gets the same
route; a pair's afternoon holds a handful of stops.
"""

from __future__ import annotations

import datetime
import math

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .problem import Household, VisitProblem

EARTH_RADIUS_KM = 6371.0
ROUND_TO = 5


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
    visit = problem.visit_minutes
    ranges = [h.starts(day, start, end, visit) for h in stops]
    if any(r is None for r in ranges):
        return None
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
        lo, hi = allowed  # type: ignore[misc]
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
