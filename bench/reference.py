"""The reference school shapes of shared/design/reference-shapes.json as stage-1 problems.

Tests and benchmarks use these invented schools with realistic, tight numbers: about
100 lab minutes a day with labs about 90% used, specials staff about 86% used, every cohort's day
packed to the minute from the 8:00 launch to the 15:15 dismissal. Variants make them harder:
``lab_short`` (a lab loses 25 seats: infeasible), ``teacher_absent`` (grade 3's STEM teacher is
out and a substitute covers), ``tight_specials`` (one specials teacher fewer: infeasible for M).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    LabSupervision,
    PlacedBlock,
    Problem,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    Weights,
    Window,
)

GRADES = (0, 1, 2, 3, 4, 5)
COLLEGES = ("Stanford", "Howard", "Berkeley", "Spelman", "Duke", "Rice", "Yale", "Tufts")


def hm(clock: str) -> int:
    """Minutes since midnight of an "H:MM" clock time."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


DAY = Window(hm("8:00"), hm("15:15"))
REFERENCE_DAY = DAY.minutes  # the reference stations, launch to dismissal
PREP_MINUTES = 45
STUDENTS_PER_COHORT = 25
STUDENTS_PER_ILS = 30

STATIONS: tuple[Station, ...] = (
    Station("launch", 15, 15, 15, venue=Venue.OUTDOORS, window=Window(hm("8:00"), hm("8:15"))),
    Station(
        "literacy",
        120,
        45,
        120,
        max_blocks=2,
        venue=Venue.STAFF_ROOM,
        staff_role="humanities",
        preferred=Window(hm("8:15"), hm("12:00")),
    ),
    Station(
        "math",
        90,
        60,
        90,
        venue=Venue.STAFF_ROOM,
        staff_role="stem",
        avoid_right_after="lunch",
    ),
    Station("lab", 100, 40, 100, max_blocks=2, venue=Venue.LAB),
    Station("flex", 30, 30, 30, venue=Venue.HOMEROOM),
    Station("lunch", 30, 30, 30, venue=Venue.CAFETERIA, window=Window(hm("10:45"), hm("13:15"))),
    Station("recess", 20, 20, 20, venue=Venue.OUTDOORS, window=Window(hm("10:00"), hm("14:30"))),
    Station("specials", 30, 30, 30, venue=Venue.STAFF_ROOM, staff_role="specials"),
)


@dataclass(frozen=True)
class Shape:
    """A school of grades K-5 on the reference rotation (``bench.shapes`` generates others)."""

    name: str
    cohorts_per_grade: int
    humanities_per_grade: int
    stem_per_grade: int
    specials_teachers: int
    labs: tuple[tuple[str, tuple[int, ...], int, int], ...]  # name, grades, seats, ILS
    cafeteria_cohorts: int
    students: int = STUDENTS_PER_COHORT  # per cohort
    day: Window = DAY


SHAPES: dict[str, Shape] = {
    "S": Shape("S", 2, 1, 1, 1, (("Lab", GRADES, 80, 3),), 4),
    "M": Shape(
        "M",
        4,
        2,
        1,
        2,
        (("Lower lab", (0, 1, 2), 80, 3), ("Upper lab", (3, 4, 5), 80, 3)),
        8,
    ),
    "L": Shape(
        "L",
        8,
        4,
        2,
        4,
        (
            ("Lab K-1", (0, 1), 110, 4),
            ("Lab 2-3", (2, 3), 110, 4),
            ("Lab 4-5", (4, 5), 110, 4),
        ),
        16,
    ),
}
VARIANTS = ("lab_short", "teacher_absent", "tight_specials")


class _Ids:
    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        value, self.next = self.next, self.next + 1
        return value


def grade_label(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def stations(day: Window) -> tuple[Station, ...]:
    """The reference rotation on ``day``: launch at the start, flex takes any extra minutes."""
    extra = day.minutes - REFERENCE_DAY
    out = []
    for station in STATIONS:
        if station.code == "launch":
            station = replace(station, window=Window(day.start, day.start + station.minutes))
        elif station.code == "flex" and extra:
            minutes = station.minutes + extra
            blocks = math.ceil(minutes / 60)
            station = replace(
                station, minutes=minutes, block_max=min(minutes, 60), max_blocks=blocks
            )
        elif station.window is not None:
            window = Window(max(station.window.start, day.start), min(station.window.end, day.end))
            station = replace(station, window=window)
        out.append(station)
    return tuple(out)


def _shares(items: list[Cohort], count: int) -> list[list[Cohort]]:
    """``items`` in ``count`` contiguous runs, the first ones one longer on a remainder."""
    size, rest = divmod(len(items), count)
    out, at = [], 0
    for n in range(count):
        take = size + (1 if n < rest else 0)
        out.append(items[at : at + take])
        at += take
    return out


def reference_problem(
    shape_name: str,
    *,
    variant: str | None = None,
    previous: tuple[PlacedBlock, ...] = (),
    weights: Weights | None = None,
) -> Problem:
    """The stage-1 problem of a reference shape ("S", "M", "L"), optionally a harder variant."""
    return shape_problem(SHAPES[shape_name], variant=variant, previous=previous, weights=weights)


def shape_problem(
    shape: Shape,
    *,
    variant: str | None = None,
    previous: tuple[PlacedBlock, ...] = (),
    weights: Weights | None = None,
) -> Problem:
    """The stage-1 problem of ``shape``: staff there from 15 minutes before the day to 30 after,
    prep after launch; ``variant`` one of ``VARIANTS``."""
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    day = shape.day
    working = Window(day.start - 15, day.end + 30)
    ids = _Ids()
    rooms: list[Room] = []
    staff: list[StaffMember] = []
    cohorts: list[Cohort] = []
    assignments: list[Assignment] = []
    supervision: list[LabSupervision] = []

    def add_room(name: str, kind: RoomKind, capacity: int, grades: tuple[int, ...] = ()) -> int:
        room = Room(ids.take(), name, kind, capacity, frozenset(grades))
        rooms.append(room)
        return room.id

    def add_staff(name: str, role: str, *, room: int | None, prep: int) -> int:
        member = StaffMember(ids.take(), name, frozenset({role}), room, (working,), prep)
        staff.append(member)
        return member.id

    for index, (name, grades, seats, ils) in enumerate(shape.labs):
        if variant == "lab_short" and index == len(shape.labs) - 1:
            seats -= 25
        lab = add_room(name, RoomKind.LEARNING_LAB, seats, grades)
        supervisors = tuple(
            add_staff(f"{name} ILS {n + 1}", "ils", room=lab, prep=0) for n in range(ils)
        )
        supervision.append(LabSupervision(lab, supervisors, STUDENTS_PER_ILS))
    add_room("Cafeteria", RoomKind.CAFETERIA, shape.cafeteria_cohorts)

    specials_count = shape.specials_teachers - (1 if variant == "tight_specials" else 0)
    specials = tuple(
        add_staff(
            f"Specials teacher {n + 1}",
            "specials",
            room=add_room(f"Specials room {n + 1}", RoomKind.CLASSROOM, 30),
            prep=PREP_MINUTES,
        )
        for n in range(specials_count)
    )

    capacity = max(30, shape.students)
    for grade in GRADES:
        label = grade_label(grade)
        grade_cohorts = []
        for n in range(shape.cohorts_per_grade):
            name = f"{label} {COLLEGES[n]}"
            homeroom = add_room(f"Room {name}", RoomKind.CLASSROOM, capacity)
            cohort = Cohort(ids.take(), name, grade, shape.students, homeroom)
            cohorts.append(cohort)
            grade_cohorts.append(cohort)
        for role, count in (
            ("humanities", shape.humanities_per_grade),
            ("stem", shape.stem_per_grade),
        ):
            station = "literacy" if role == "humanities" else "math"
            for n, share in enumerate(_shares(grade_cohorts, count)):
                room = add_room(f"{label} {role} room {n + 1}", RoomKind.CLASSROOM, capacity)
                teacher = add_staff(
                    f"Grade {label} {role} teacher {n + 1}", role, room=room, prep=PREP_MINUTES
                )
                assignments.extend(Assignment(c.id, station, (teacher,)) for c in share)
        assignments.extend(Assignment(c.id, "specials", specials) for c in grade_cohorts)

    rotation = stations(day)
    problem = Problem(
        school=1,
        date="2026-11-24",
        day=day,
        passing_minutes=0,
        granularity=5,
        rooms=tuple(rooms),
        cohorts=tuple(cohorts),
        templates=tuple(GradeTemplate(grade, rotation) for grade in GRADES),
        staff=tuple(staff),
        assignments=tuple(assignments),
        supervision=tuple(supervision),
        prep_window=Window(day.start + 15, day.end),
        previous=previous,
        weights=weights or Weights(),
    )
    if variant == "teacher_absent":
        problem = with_substitute(problem, absent=grade_stem_teacher(problem, grade=3))
    return problem


def grade_stem_teacher(problem: Problem, *, grade: int) -> int:
    return next(
        s.id for s in problem.staff if s.name == f"Grade {grade_label(grade)} stem teacher 1"
    )


def with_substitute(problem: Problem, *, absent: int) -> Problem:
    """``absent`` is out all day; a substitute with the same hours and room takes their cohorts."""
    member = problem.member(absent)
    substitute = replace(
        member, id=max(s.id for s in problem.staff) + 1, name=f"Substitute for {member.name}"
    )
    staff = tuple(replace(s, available=()) if s.id == absent else s for s in problem.staff)
    assignments = tuple(
        replace(a, staff=tuple(substitute.id if s == absent else s for s in a.staff))
        for a in problem.assignments
    )
    return replace(problem, staff=(*staff, substitute), assignments=assignments)
