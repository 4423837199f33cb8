"""Counting checks made before solving: cheap, and each failure named in school terms.

They catch the common impossible configurations in milliseconds: a grade whose stations do not
fill the day, a station whose minutes cannot be cut into allowed blocks, an event longer than its
window, a lab without enough seat-minutes for the grades it serves, a staff pool without enough
minutes for the blocks only it can teach, a pin on a station the grade lacks.
"""

from __future__ import annotations

import math
from collections import defaultdict

from .problem import Problem, Reason, RoomKind, Station, Venue, Window


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def grade_name(grade: int) -> str:
    return "kindergarten" if grade == 0 else f"grade {grade}"


def precheck(problem: Problem) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    reasons += _templates(problem)
    if reasons:
        return tuple(reasons)
    reasons += _staffing(problem)
    reasons += _labs(problem)
    reasons += _cohort_rooms(problem)
    reasons += _pins(problem)
    return tuple(reasons)


def _reachable(station: Station) -> bool:
    lengths = range(station.block_min, station.block_max + 1, station.step)
    sums = {0}
    for _ in range(station.max_blocks):
        sums |= {s + n for s in sums for n in lengths if s + n <= station.minutes}
    return station.minutes in sums


def _templates(problem: Problem) -> list[Reason]:
    reasons = []
    day = problem.day
    for template in problem.templates:
        grade = grade_name(template.grade)
        total = sum(s.minutes for s in template.stations)
        blocks_min = len(template.stations)
        blocks_max = sum(s.max_blocks for s in template.stations)
        passing = problem.passing_minutes
        if not any(
            total + (n - 1) * passing == day.minutes for n in range(blocks_min, blocks_max + 1)
        ):
            short = day.minutes - total - (blocks_min - 1) * passing
            reasons.append(
                Reason(
                    code="minutes-do-not-fill-day",
                    message=(
                        f"{grade.capitalize()}'s stations add up to {total} minutes"
                        + (" plus passing time" if passing else "")
                        + f", but the day from {clock(day.start)} to {clock(day.end)} is "
                        f"{day.minutes} minutes."
                    ),
                    suggestion=(
                        f"{'Add' if short > 0 else 'Remove'} {abs(short)} minutes of stations in "
                        f"{grade}'s rotation template, or change the bell times."
                    ),
                    setting=f"template:{template.grade}",
                )
            )
        for station in template.stations:
            setting = f"station:{template.grade}:{station.code}"
            if not _reachable(station):
                reasons.append(
                    Reason(
                        code="minutes-do-not-split",
                        message=(
                            f"{grade.capitalize()}'s {station.code} needs {station.minutes} "
                            f"minutes, which cannot be made of at most {station.max_blocks} "
                            f"block(s) of {station.block_min}-{station.block_max} minutes in "
                            f"steps of {station.step}."
                        ),
                        suggestion="Change the minutes, the block lengths or allow a split.",
                        setting=setting,
                    )
                )
            window = station.window
            if window is not None and (
                not day.contains(window.start, window.end) or window.minutes < station.block_min
            ):
                reasons.append(
                    Reason(
                        code="window-too-short",
                        message=(
                            f"{grade.capitalize()}'s {station.code} window "
                            f"{clock(window.start)}-{clock(window.end)} does not hold a "
                            f"{station.block_min}-minute block inside the day "
                            f"({clock(day.start)}-{clock(day.end)})."
                        ),
                        suggestion=f"Widen the {station.code} window.",
                        setting=setting,
                    )
                )
    return reasons


def _available_minutes(problem: Problem, staff_id: int) -> int:
    member = problem.member(staff_id)
    day = problem.day
    inside = sum(max(0, min(w.end, day.end) - max(w.start, day.start)) for w in member.available)
    return max(0, inside - member.prep_minutes)


def _staffing(problem: Problem) -> list[Reason]:
    """Every staffed block has someone, and each pool of staff has the minutes its blocks need."""
    reasons = []
    demand: dict[tuple[int, ...], int] = defaultdict(int)
    cohorts_of: dict[tuple[int, ...], list[str]] = defaultdict(list)
    station_of: dict[tuple[int, ...], str] = {}
    for cohort in problem.cohorts:
        for station in problem.template(cohort.grade).stations:
            if station.staff_role is None:
                continue
            pool = tuple(
                sorted(
                    sid
                    for sid in problem.candidates(cohort.id, station.code)
                    if problem.member(sid).available
                    and station.staff_role in problem.member(sid).roles
                )
            )
            if not pool:
                reasons.append(
                    Reason(
                        code="no-staff",
                        message=(
                            f"Nobody present can teach {station.code} to {cohort.name} on "
                            f"{problem.date}."
                        ),
                        suggestion=(
                            f"Assign a {station.staff_role} teacher (or a substitute) to "
                            f"{cohort.name}'s {station.code}."
                        ),
                        setting=f"staffing:{cohort.id}:{station.code}",
                    )
                )
                continue
            demand[pool] += station.minutes
            cohorts_of[pool].append(cohort.name)
            station_of[pool] = station.code
    # A pool's blocks can only go to its members: compare with every union of pools inside it.
    pools = list(demand)
    for pool in pools:
        members = set(pool)
        needed = sum(minutes for other, minutes in demand.items() if set(other) <= members)
        has = sum(_available_minutes(problem, sid) for sid in members)
        if needed > has:
            names = ", ".join(problem.member(sid).name for sid in sorted(members))
            role = station_of[pool]
            per_teacher = max(1, has // max(1, len(members)))
            extra = math.ceil((needed - has) / per_teacher)
            reasons.append(
                Reason(
                    code="staff-minutes-short",
                    message=(
                        f"{role.capitalize()} staffing: {len(cohorts_of[pool])} cohorts need "
                        f"{needed} minutes of {names}, who have {has} minutes after prep."
                    ),
                    suggestion=(
                        f"Add {extra} {role} teacher(s) for these cohorts, shorten {role}, or "
                        "reduce prep minutes."
                    ),
                    setting="staff:" + ",".join(str(s) for s in sorted(members)),
                )
            )
    return reasons


def _forced_windows(problem: Problem, grade: int) -> list[Window]:
    """Windows a cohort of ``grade`` spends entirely at a fixed event (launch, for instance)."""
    return [
        s.window
        for s in problem.template(grade).stations
        if s.window is not None and s.window.minutes == s.minutes and s.max_blocks == 1
    ]


def _labs(problem: Problem) -> list[Reason]:
    reasons = []
    supervision = {s.lab: s for s in problem.supervision}
    for lab in problem.rooms:
        if lab.kind != RoomKind.LEARNING_LAB:
            continue
        users = [
            (c, s)
            for c in problem.cohorts
            if problem.lab_for_grade(c.grade) == lab
            for s in problem.template(c.grade).stations
            if s.venue == Venue.LAB
        ]
        if not users:
            continue
        day = problem.day
        forced = _forced_windows(problem, users[0][0].grade)
        usable = day.minutes - sum(w.minutes for w in forced)
        open_from = max([day.start, *(w.end for w in forced if w.start == day.start)])
        seats = lab.capacity
        if lab.id in supervision:
            sup = supervision[lab.id]
            adults = sum(1 for sid in sup.supervisors if problem.member(sid).available)
            seats = min(seats, adults * sup.students_per_adult)
        grades = sorted({c.grade for c, _ in users})
        grade_text = (
            grade_name(grades[0])
            if len(grades) == 1
            else (f"grades {'K' if grades[0] == 0 else grades[0]}-{grades[-1]}")
        )
        needed_seat_minutes = sum(c.students * s.minutes for c, s in users)
        has_seat_minutes = seats * usable
        sizes = sorted(c.students for c, _ in users)
        lanes = 0
        while lanes < len(sizes) and sum(sizes[: lanes + 1]) <= seats:
            lanes += 1
        needed_lanes = math.ceil(sum(s.minutes for _, s in users) / usable)
        if needed_seat_minutes > has_seat_minutes or lanes < needed_lanes:
            seats_for_lanes = sum(sizes[:needed_lanes])
            seats_for_minutes = math.ceil(needed_seat_minutes / usable)
            missing = max(seats_for_lanes, seats_for_minutes) - seats
            reasons.append(
                Reason(
                    code="lab-seat-minutes-short",
                    message=(
                        f"{lab.name}: {grade_text} need {needed_seat_minutes:,} seat-minutes "
                        f"between {clock(open_from)} and {clock(day.end)}; it has "
                        f"{has_seat_minutes:,} ({seats} usable seats, room for {lanes} cohorts "
                        f"at once where {needed_lanes} are needed)."
                    ),
                    suggestion=(
                        f"Add {missing} lab seats (or supervisors), or shorten the lab block "
                        f"of {grade_text}."
                    ),
                    setting=f"room:{lab.id}",
                )
            )
    return reasons


def _cohort_rooms(problem: Problem) -> list[Reason]:
    reasons = []
    for room in problem.rooms:
        if room.kind not in (RoomKind.CAFETERIA, RoomKind.GYM):
            continue
        venue = Venue.CAFETERIA if room.kind == RoomKind.CAFETERIA else Venue.GYM
        uses = [
            (c, s)
            for c in problem.cohorts
            for s in problem.template(c.grade).stations
            if s.venue == venue
        ]
        if not uses:
            continue
        windows = {s.window or problem.day for _, s in uses}
        span = Window(min(w.start for w in windows), max(w.end for w in windows))
        needed = sum(s.minutes for _, s in uses)
        has = room.capacity * span.minutes
        if needed > has:
            reasons.append(
                Reason(
                    code="shared-room-short",
                    message=(
                        f"{room.name}: {len(uses)} cohort blocks need {needed:,} cohort-minutes "
                        f"between {clock(span.start)} and {clock(span.end)}; it has {has:,}."
                    ),
                    suggestion=(
                        f"Let {room.name} hold {math.ceil(needed / span.minutes)} cohorts at "
                        "once, or widen the window."
                    ),
                    setting=f"room:{room.id}",
                )
            )
    return reasons


def _pins(problem: Problem) -> list[Reason]:
    reasons = []
    cohort_ids = {c.id for c in problem.cohorts}
    for pin in problem.pins:
        setting = f"pin:{pin.cohort}:{pin.station}"
        if pin.cohort not in cohort_ids:
            reasons.append(
                Reason(
                    "pin-unknown-cohort",
                    f"A pin names cohort {pin.cohort}, which is not in this school.",
                    "Clear the pin.",
                    setting,
                )
            )
            continue
        cohort = problem.cohort(pin.cohort)
        station = problem.template(cohort.grade).station(pin.station)
        if station is None:
            reasons.append(
                Reason(
                    "pin-station-missing",
                    f"{cohort.name} is pinned to {pin.station} at {clock(pin.start)}, but "
                    f"{grade_name(cohort.grade)}'s rotation has no {pin.station}.",
                    f"Clear the pin or add {pin.station} to the grade's template.",
                    setting,
                )
            )
            continue
        window = station.window or problem.day
        end = pin.end if pin.end is not None else pin.start + station.block_min
        if not window.contains(pin.start, end):
            reasons.append(
                Reason(
                    "pin-outside-window",
                    f"{cohort.name}'s {pin.station} is pinned at {clock(pin.start)}, outside "
                    f"{clock(window.start)}-{clock(window.end)}.",
                    f"Move the pin inside {clock(window.start)}-{clock(window.end)}.",
                    setting,
                )
            )
    return reasons
