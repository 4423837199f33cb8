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
   labs still to come;
5. ``independent``: labs that share no staff and no room holding one class at a time (M's two
   labs, each with its own specials teacher) are built apart, at the same time on two workers,
   the cafeteria's places shared out between them (``room_shares``).

(Going further, a grade at a time with a shared specials teacher's day laid out by grade,
failed: a grade's day does not fit specials at times fixed in advance.)

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
    StaffMember,
    Venue,
    Window,
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
        lanes = cohorts_that_fit(watched_seats(problem, room), sizes)
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


def watched_seats(problem: Problem, room: Room) -> int:
    """The seats of ``room`` its supervisors can watch all day long (all its seats when
    nobody supervises it): a lab short of supervisors holds fewer cohorts at once."""
    supervision = next((s for s in problem.supervision if s.lab == room.id), None)
    if supervision is None:
        return room.capacity
    day = problem.day
    cohort = next((c for c in problem.cohorts if c.grade in room.grades), None)
    if cohort is not None:  # the lab is open after the launch, not during it
        day = problem.template_of(cohort).open_window(day)
    all_day = sum(
        1
        for sid in supervision.supervisors
        if any(w.start <= day.start and w.end >= day.end for w in problem.member(sid).available)
    )
    return min(room.capacity, all_day * supervision.students_per_adult)


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


def independent(problem: Problem, groups: list[list[Cohort]]) -> list[list[int]]:
    """``groups`` (by index, in order) joined where they share anything that holds one thing at
    a time: a member of staff (teaching or supervising) or a room that is not counted in
    cohorts or seats. Groups in different sets can be built apart, at the same time, once the
    rooms they count together (the cafeteria, the gym) are shared out (``room_shares``)."""
    supervisors = {s.lab: s.supervisors for s in problem.supervision}
    holders: dict[tuple[str, int], set[int]] = defaultdict(set)
    for index, group in enumerate(groups):
        for cohort in group:
            holders[("room", cohort.homeroom)].add(index)
            lab = problem.lab_for_grade(cohort.grade)
            for supervisor in supervisors.get(lab.id, ()) if lab is not None else ():
                holders[("staff", supervisor)].add(index)
            for station in problem.template_of(cohort).stations:
                staff: tuple[int | None, ...] = problem.candidates(cohort.id, station.code)
                for sid in staff or (None,):
                    if sid is not None:
                        holders[("staff", sid)].add(index)
                    room = problem.venue_room(cohort, station, sid)
                    if room is not None and not problem.room(room).shared:
                        holders[("room", room)].add(index)
    parent = list(range(len(groups)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for indices in holders.values():
        first, *rest = sorted(indices)
        for other in rest:
            parent[root(other)] = root(first)
    sets: dict[int, list[int]] = defaultdict(list)
    for index in range(len(groups)):
        sets[root(index)].append(index)
    return list(sets.values())


def room_shares(problem: Problem, parts: list[list[Cohort]]) -> list[Problem] | None:
    """``problem`` once per part of its cohorts, each room counted in cohorts (the cafeteria, the
    gym) given to the parts in shares of its capacity by how many of their cohorts use it (the
    largest parts take what does not divide), so days built apart fit together. None when a room
    is too small to give every part that uses it a cohort's place."""
    capacities: list[dict[int, int]] = [{} for _ in parts]
    for room in problem.rooms:
        if room.kind not in (RoomKind.CAFETERIA, RoomKind.GYM):
            continue
        users = [
            sum(
                1
                for cohort in part
                if any(
                    problem.venue_room(cohort, station, None) == room.id
                    for station in problem.template_of(cohort).stations
                )
            )
            for part in parts
        ]
        total = sum(users)
        if total <= room.capacity:
            continue  # it holds them all at once: nothing to share out
        shares = [room.capacity * n // total for n in users]
        for index in sorted(range(len(parts)), key=lambda i: -users[i]):
            if sum(shares) >= room.capacity:
                break
            shares[index] += 1
        if any(n and not share for n, share in zip(users, shares, strict=True)):
            return None
        for index, share in enumerate(shares):
            capacities[index][room.id] = share
    return [
        replace(
            problem,
            rooms=tuple(replace(r, capacity=shares.get(r.id, r.capacity)) for r in problem.rooms),
        )
        for shares in capacities
    ]


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


def teams(problem: Problem) -> list[tuple[list[Cohort], frozenset[int]]]:
    """The cohorts bound together by staff who teach them alone (a grade's humanities and STEM
    teachers), each group with those staff: the pieces ``team_relaxation`` bounds one by one."""
    taught: dict[int, set[int]] = defaultdict(set)
    for assignment in problem.assignments:
        for sid in assignment.staff:
            taught[sid].add(assignment.cohort)
    grade = {c.id: c.grade for c in problem.cohorts}
    parent = {c.id: c.id for c in problem.cohorts}

    def root(cohort: int) -> int:
        while parent[cohort] != cohort:
            parent[cohort] = parent[parent[cohort]]
            cohort = parent[cohort]
        return cohort

    # Only staff within one grade join cohorts: shared ones (specials) would make one team of
    # the whole school, too big to bound.
    own = {
        sid
        for sid, cohorts in taught.items()
        if cohorts <= grade.keys() and len({grade[c] for c in cohorts}) == 1
    }
    for sid in own:
        first, *rest = sorted(taught[sid])
        for other in rest:
            parent[root(other)] = root(first)
    groups: dict[int, list[Cohort]] = defaultdict(list)
    for cohort in problem.cohorts:
        groups[root(cohort.id)].append(cohort)
    result = []
    for cohorts in groups.values():
        ids = {c.id for c in cohorts}
        result.append((cohorts, frozenset(s for s in own if taught[s] <= ids)))
    return result


def team_relaxation(problem: Problem, cohorts: list[Cohort], own: frozenset[int]) -> Problem:
    """The problem of ``cohorts`` alone with everything else relaxed: staff they share with other
    cohorts become a stand-in per block (there all day, no prep, no room), no well-being rules,
    no published day. Every valid day of ``problem`` restricted to ``cohorts`` is a valid day of
    it, so its optimum of the team's own terms (``own`` staff's spans, the cohorts' preferences
    and transitions) is a lower bound on theirs in any day."""
    ids = {c.id for c in cohorts}
    supervisors = {sid for s in problem.supervision for sid in s.supervisors}
    stand_in = max((s.id for s in problem.staff), default=0) + 1
    staff = [s for s in problem.staff if s.id in own or s.id in supervisors]
    assignments = []
    for assignment in problem.assignments:
        if assignment.cohort not in ids:
            continue
        kept = tuple(s for s in assignment.staff if s in own)
        if len(kept) < len(assignment.staff):
            cohort = next(c for c in cohorts if c.id == assignment.cohort)
            role = problem.template_of(cohort).station(assignment.station)
            roles = frozenset({role.staff_role}) if role and role.staff_role else frozenset()
            staff.append(
                StaffMember(
                    stand_in, "", roles, None, (Window(problem.day.start, problem.day.end),)
                )
            )
            kept = (*kept, stand_in)
            stand_in += 1
        assignments.append(replace(assignment, staff=kept))
    return replace(
        problem,
        cohorts=tuple(cohorts),
        staff=tuple(staff),
        assignments=tuple(assignments),
        pins=tuple(p for p in problem.pins if p.cohort in ids),
        previous=(),
        wellbeing=None,
    )
