"""Cutting a school's day into pieces the search builds one after another.

On the tight reference shapes the whole school is one search that CP-SAT does not crack by
branching, while each lab's grades alone build in about a second (bench/FINDINGS.md). So the
first valid day is constructed from easier problems, each a plain ``Problem``:

1. ``whole_lab_blocks``: lab time in one block where the template allows it, so the lab's lanes
   are not fragmented (a leader also prefers fewer transitions, S3);
2. ``lab_lanes_by_grade``: a lab that holds three cohorts at once for three grades becomes three
   one-cohort labs, one per grade (two grades per lane, or two lanes per grade, alike);
3. ``assign_pools``: a station several staff may take (two specials teachers for the school) is
   given to one of them per cohort, in contiguous shares, so each teacher serves few labs;
4. ``components``: the cohorts of each lab, solved one lab after another, the labs already
   built held by pins, and ``later_demand`` keeps enough of a shared teacher's day free for the
   labs still to come. (Going further, a grade at a time with a shared specials teacher's day
   laid out by grade, failed: a grade's day does not fit specials at times fixed in advance.)

Each step narrows the choices, so a day built this way is valid for the original problem; when it
fails the full search still runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .problem import (
    Cohort,
    LabSupervision,
    Pin,
    PlacedBlock,
    Problem,
    Room,
    RoomKind,
    Venue,
)


def whole_lab_blocks(problem: Problem) -> Problem:
    """Lab stations that may be one block become one block."""
    templates = tuple(
        replace(
            template,
            stations=tuple(
                replace(station, max_blocks=1)
                if station.venue == Venue.LAB
                and station.max_blocks > 1
                and station.block_min <= station.minutes <= station.block_max
                else station
                for station in template.stations
            ),
        )
        for template in problem.templates
    )
    return replace(problem, templates=templates)


def lab_lanes_by_grade(problem: Problem) -> Problem:
    """Each lab cut into lanes (how many cohorts fit at once) shared out evenly among its grades.

    Only where the split is even: lanes a multiple of the grades (each grade gets its own lanes)
    or grades a multiple of the lanes (grades share a lane). Supervision is shared out alike.
    """
    rooms: list[Room] = []
    supervision = {s.lab: s for s in problem.supervision}
    watched: list[LabSupervision] = []
    next_id = max(r.id for r in problem.rooms) + 1
    for room in problem.rooms:
        grades = sorted(room.grades)
        sizes = [c.students for c in problem.cohorts if c.grade in room.grades]
        lanes = cohorts_that_fit(room.capacity, sizes)
        kept = room.kind != RoomKind.LEARNING_LAB or not grades or not 0 < lanes < len(sizes)
        if kept or (lanes % len(grades) and len(grades) % lanes):
            rooms.append(room)
            if room.id in supervision:
                watched.append(supervision[room.id])
            continue
        parts: list[tuple[int, tuple[int, ...]]]
        if lanes % len(grades) == 0:
            parts = [(lanes // len(grades), (grade,)) for grade in grades]
        else:
            per = len(grades) // lanes
            parts = [(1, tuple(grades[i : i + per])) for i in range(0, len(grades), per)]
        for share, part in parts:
            lane = Room(
                next_id,
                f"{room.name} lane",
                RoomKind.LEARNING_LAB,
                room.capacity * share // lanes,
                frozenset(part),
            )
            rooms.append(lane)
            if room.id in supervision:
                whole = supervision[room.id]
                watched.append(
                    LabSupervision(
                        lane.id, whole.supervisors, whole.students_per_adult * share // lanes
                    )
                )
            next_id += 1
    return replace(problem, rooms=tuple(rooms), supervision=tuple(watched))


def cohorts_that_fit(capacity: int, sizes: list[int]) -> int:
    """The most cohorts a room of ``capacity`` holds at once: the smallest ones first."""
    total, count = 0, 0
    for size in sorted(sizes):
        if total + size > capacity:
            break
        total, count = total + size, count + 1
    return count


def components(problem: Problem) -> list[list[Cohort]]:
    """The cohorts grouped by the lab that serves them (by grade where no lab does), in order."""
    groups: dict[tuple[int, int], list[Cohort]] = defaultdict(list)
    for cohort in problem.cohorts:
        lab = problem.lab_for_grade(cohort.grade)
        key = (0, lab.id) if lab is not None else (1, cohort.grade)
        groups[key].append(cohort)
    return [groups[key] for key in sorted(groups)]


def assign_pools(problem: Problem, order: list[Cohort]) -> Problem:
    """Each pooled station's cohorts shared out among its staff in contiguous, even shares.

    ``order`` (the cohorts lab by lab) keeps each teacher's share inside as few labs as possible,
    which keeps the groups independent of each other.
    """
    pinned = {(pin.cohort, pin.station) for pin in problem.pins}
    pools: dict[tuple[str, tuple[int, ...]], list[int]] = defaultdict(list)
    position = {cohort.id: index for index, cohort in enumerate(order)}
    for assignment in sorted(problem.assignments, key=lambda a: position.get(a.cohort, 0)):
        available = tuple(s for s in assignment.staff if problem.member(s).available)
        if len(available) > 1 and (assignment.cohort, assignment.station) not in pinned:
            pools[(assignment.station, available)].append(assignment.cohort)
    chosen: dict[tuple[int, str], int] = {}
    for (station, staff), cohorts in pools.items():
        share, extra = divmod(len(cohorts), len(staff))
        index = 0
        for rank, member in enumerate(staff):
            size = share + (1 if rank < extra else 0)
            for cohort in cohorts[index : index + size]:
                chosen[(cohort, station)] = member
            index += size
    assignments = tuple(
        replace(a, staff=(chosen[(a.cohort, a.station)],)) if (a.cohort, a.station) in chosen else a
        for a in problem.assignments
    )
    return replace(problem, assignments=assignments)


def restricted_to(problem: Problem, cohorts: list[Cohort], built: list[PlacedBlock]) -> Problem:
    """The problem of ``cohorts`` alone, with the cohorts of ``built`` held where they are, each
    built block keeping the staff it was built with."""
    held_staff = {(b.cohort, b.station): b.staff for b in built if b.staff}
    held = {b.cohort for b in built}
    ids = {c.id for c in cohorts} | held
    return replace(
        problem,
        cohorts=tuple(c for c in problem.cohorts if c.id in ids),
        assignments=tuple(
            replace(a, staff=held_staff[(a.cohort, a.station)])
            if (a.cohort, a.station) in held_staff
            else a
            for a in problem.assignments
            if a.cohort in ids
        ),
        pins=tuple(p for p in problem.pins if p.cohort in ids)
        + tuple(Pin(b.cohort, b.station, b.start, b.end) for b in built),
        previous=(),
    )


def later_demand(
    problem: Problem, earlier: list[Cohort], later: list[Cohort]
) -> dict[int, tuple[int, ...]]:
    """The one-block stations of ``later`` cohorts that only a teacher of ``earlier`` cohorts
    can take, as block minutes per teacher: time an earlier group's day must leave free."""
    teaching = {
        s
        for c in earlier
        for station in problem.template_of(c).stations
        for s in problem.candidates(c.id, station.code)
    }
    demand: dict[int, list[int]] = defaultdict(list)
    for cohort in later:
        for station in problem.template_of(cohort).stations:
            staff = problem.candidates(cohort.id, station.code)
            if station.max_blocks == 1 and len(staff) == 1 and staff[0] in teaching:
                demand[staff[0]].append(station.minutes)
    return {sid: tuple(minutes) for sid, minutes in demand.items()}
