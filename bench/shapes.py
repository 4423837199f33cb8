"""School shapes from parameters, beyond the reference S, M and L (issue 18, item 7).

A shape is written ``gen:cpg=5,students=25,seats=105,start=8:00,end=15:15,specials=3,
bands=K-1/2-3/4-5,hum=3,stem=2,cafeteria=10``; every parameter but ``cpg`` has a default derived
from the others the way the reference shapes are sized (``scheduling/solver/reference.py``), so
``gen:cpg=5`` is a whole school. ``C2`` ... ``C8`` are short for ``gen:cpg=2`` ... ``gen:cpg=8``
(``C5``: the issue's "5 cohorts per grade"). ``random_specs(n, seed)`` draws ``n`` shapes for a
sweep, each written out in full so a run can be repeated shape by shape.

Parameters and their defaults:

- ``cpg``: cohorts per grade (2-8), grades K-5;
- ``students``: students per cohort (20-30, default 25);
- ``bands``: the grades each Learning Lab serves, ``/``-separated (default: the fewest labs
  serving at most 16 cohorts each, as in L: ``K-5`` up to 2 cohorts per grade, ``K-2/3-5`` up
  to 5, else ``K-1/2-3/4-5``);
- ``seats``: seats of every lab (default: the lanes of cohorts the band needs at 96% use of the
  rotation window, times ``students``, plus 5); ILS supervisors ``ceil(seats / 30)``;
- ``start``/``end``: the day (default 8:00-15:15, 435 minutes: the reference rotation packs it
  to the minute); a longer day gives flex the extra minutes, a shorter one is refused;
- ``specials``: specials teachers shared by the whole school (default ``ceil(cpg / 2)``, each
  then teaching at most 12 blocks of 30 minutes, as in the reference shapes);
- ``hum``/``stem``: humanities and STEM teachers per grade (default ``ceil(cpg / 2)`` and
  ``ceil(cpg / 4)``), cohorts shared out in contiguous runs;
- ``cafeteria``: cohorts the cafeteria seats at once (default ``2 * cpg``).

Variants as the reference's: ``lab_short`` (the last lab loses 25 seats), ``teacher_absent``
(grade 3's first STEM teacher out, a substitute with the same hours and room), ``tight_specials``
(one specials teacher fewer). On a generated shape they are not known to be infeasible: the
bench reports what happens.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields, replace

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
    Window,
)
from scheduling.solver.reference import (
    COLLEGES,
    GRADES,
    PREP_MINUTES,
    STATIONS,
    STUDENTS_PER_ILS,
    grade_label,
    grade_stem_teacher,
    hm,
    reference_problem,
    with_substitute,
)

REFERENCE = ("S", "M", "L")
VARIANTS = ("lab_short", "teacher_absent", "tight_specials")
LAB_USE = 0.96  # lab lanes busy this share of the rotation window at most, as S, M and L
REFERENCE_DAY = 435  # minutes of the reference stations, launch to dismissal


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def parse_bands(text: str) -> tuple[tuple[int, ...], ...]:
    def grade(token: str) -> int:
        return 0 if token.strip().upper() == "K" else int(token)

    bands = []
    for part in text.split("/"):
        low, _, high = part.partition("-")
        bands.append(tuple(range(grade(low), grade(high or low) + 1)))
    covered = sorted(g for band in bands for g in band)
    if covered != list(GRADES):
        raise ValueError(f"bands {text!r} must cover K-5 once each")
    return tuple(bands)


def format_bands(bands: tuple[tuple[int, ...], ...]) -> str:
    return "/".join(
        grade_label(b[0]) if len(b) == 1 else f"{grade_label(b[0])}-{b[-1]}" for b in bands
    )


@dataclass(frozen=True)
class Spec:
    """A generated shape's parameters, every one explicit (see the module docstring)."""

    cpg: int
    students: int
    bands: str
    seats: int
    start: str
    end: str
    specials: int
    hum: int
    stem: int
    cafeteria: int

    def text(self) -> str:
        return "gen:" + ",".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    def describe(self) -> str:
        return (
            f"{self.cpg} cohorts/grade x {self.students}, labs {self.bands} of {self.seats} "
            f"seats, {self.specials} specials, {self.hum} hum + {self.stem} STEM/grade, "
            f"{self.start}-{self.end}"
        )


def default_seats(cpg: int, students: int, bands: str, start: str, end: str) -> int:
    rotation = hm(end) - hm(start) - 15  # after launch
    widest = max(len(b) for b in parse_bands(bands)) * cpg
    lanes = math.ceil(widest * 100 / (rotation * LAB_USE))
    return lanes * students + 5


def spec(**given: object) -> Spec:
    """A ``Spec`` from some parameters, the rest derived (values may be strings)."""
    unknown = set(given) - {f.name for f in fields(Spec)}
    if unknown:
        raise ValueError(f"unknown shape parameters: {', '.join(sorted(unknown))}")
    cpg = int(given["cpg"])  # type: ignore[call-overload]
    if not 1 <= cpg <= len(COLLEGES):
        raise ValueError(f"cpg={cpg}: 1-{len(COLLEGES)} cohorts per grade")
    students = int(given.get("students", 25))  # type: ignore[call-overload]
    # The fewest labs with at most 16 cohorts each, as the reference shapes (L: 3 labs of 16).
    bands = str(given.get("bands", "K-5" if cpg <= 2 else "K-2/3-5" if cpg <= 5 else "K-1/2-3/4-5"))
    bands = format_bands(parse_bands(bands))
    start, end = str(given.get("start", "8:00")), str(given.get("end", "15:15"))
    if hm(end) - hm(start) < REFERENCE_DAY:
        raise ValueError(f"{start}-{end}: the rotation needs {REFERENCE_DAY} minutes")
    if hm(start) % 5 or hm(end) % 5:
        raise ValueError(f"{start}-{end}: not on the 5-minute grid")
    seats = int(given.get("seats", default_seats(cpg, students, bands, start, end)))  # type: ignore[call-overload]
    return Spec(
        cpg=cpg,
        students=students,
        bands=bands,
        seats=seats,
        start=start,
        end=end,
        specials=int(given.get("specials", math.ceil(cpg / 2))),  # type: ignore[call-overload]
        hum=int(given.get("hum", math.ceil(cpg / 2))),  # type: ignore[call-overload]
        stem=int(given.get("stem", math.ceil(cpg / 4))),  # type: ignore[call-overload]
        cafeteria=int(given.get("cafeteria", 2 * cpg)),  # type: ignore[call-overload]
    )


def parse(name: str) -> Spec | None:
    """The ``Spec`` of ``gen:...`` or ``C<n>``; None for a reference shape (S, M, L)."""
    if name in REFERENCE:
        return None
    if len(name) == 2 and name[0] == "C" and name[1].isdigit():
        return spec(cpg=name[1])
    if not name.startswith("gen:"):
        raise ValueError(f"unknown shape {name!r}: S, M, L, C2-C8 or gen:cpg=N,...")
    pairs = [p.split("=", 1) for p in name[4:].split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"{name!r}: parameters are key=value")
    return spec(**{k.strip(): v.strip() for k, v in pairs})


def split_shapes(text: str) -> list[str]:
    """``S,M,gen:cpg=5,students=22,C6`` -> ``["S", "M", "gen:cpg=5,students=22", "C6"]``: a
    ``key=value`` item belongs to the ``gen:`` shape before it."""
    out: list[str] = []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        if "=" in item and not item.startswith("gen:") and out and out[-1].startswith("gen:"):
            out[-1] += "," + item
        else:
            out.append(item)
    for name in out:
        parse(name)  # refuse a bad shape before anything runs
    return out


def random_specs(count: int, seed: int) -> list[Spec]:
    """``count`` shapes across the parameter ranges, reproducible from ``seed``."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        cpg = rng.randint(2, 8)
        students = rng.randint(20, 30)
        choices = ["K-2/3-5", "K-1/2-3/4-5"] + (["K-5"] if cpg <= 3 else [])
        if cpg <= 5:
            choices.append("K-2/3-4/5")
        bands = rng.choice(choices)
        start = rng.choice(["7:30", "7:45", "8:00", "8:15"])
        end = clock(hm(start) + rng.choice([435, 435, 450, 465]))
        seats = default_seats(cpg, students, format_bands(parse_bands(bands)), start, end)
        seats = 5 * math.ceil(seats * rng.uniform(1.0, 1.15) / 5)
        specials = math.ceil(cpg / 2) + rng.choice([0, 0, 1])
        out.append(
            spec(
                cpg=cpg,
                students=students,
                bands=bands,
                seats=seats,
                start=start,
                end=end,
                specials=specials,
            )
        )
    return out


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
    size, rest = divmod(len(items), count)
    out, at = [], 0
    for n in range(count):
        take = size + (1 if n < rest else 0)
        out.append(items[at : at + take])
        at += take
    return out


def generated_problem(
    shape: Spec, *, variant: str | None = None, previous: tuple[PlacedBlock, ...] = ()
) -> Problem:
    """The stage-1 problem of ``shape`` (ids in the order ``reference_problem`` gives them)."""
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    day = Window(hm(shape.start), hm(shape.end))
    working = Window(day.start - 15, day.end + 30)
    next_id = iter(range(1, 1_000_000))
    rooms: list[Room] = []
    staff: list[StaffMember] = []
    cohorts: list[Cohort] = []
    assignments: list[Assignment] = []
    supervision: list[LabSupervision] = []

    def add_room(name: str, kind: RoomKind, capacity: int, grades: tuple[int, ...] = ()) -> int:
        room = Room(next(next_id), name, kind, capacity, frozenset(grades))
        rooms.append(room)
        return room.id

    def add_staff(name: str, role: str, *, room: int | None, prep: int) -> int:
        member = StaffMember(next(next_id), name, frozenset({role}), room, (working,), prep)
        staff.append(member)
        return member.id

    bands = parse_bands(shape.bands)
    for index, grades in enumerate(bands):
        seats = shape.seats - (25 if variant == "lab_short" and index == len(bands) - 1 else 0)
        name = f"Lab {format_bands((grades,))}"
        lab = add_room(name, RoomKind.LEARNING_LAB, seats, grades)
        supervisors = tuple(
            add_staff(f"{name} ILS {n + 1}", "ils", room=lab, prep=0)
            for n in range(math.ceil(shape.seats / STUDENTS_PER_ILS))
        )
        supervision.append(LabSupervision(lab, supervisors, STUDENTS_PER_ILS))
    add_room("Cafeteria", RoomKind.CAFETERIA, shape.cafeteria)
    specials_count = shape.specials - (1 if variant == "tight_specials" else 0)
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
        for n in range(shape.cpg):
            name = f"{label} {COLLEGES[n]}"
            homeroom = add_room(f"Room {name}", RoomKind.CLASSROOM, capacity)
            cohort = Cohort(next(next_id), name, grade, shape.students, homeroom)
            cohorts.append(cohort)
            grade_cohorts.append(cohort)
        for role, count in (("humanities", shape.hum), ("stem", shape.stem)):
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
    )
    if variant == "teacher_absent":
        problem = with_substitute(problem, absent=grade_stem_teacher(problem, grade=3))
    return problem


# The reference shapes as parameters: ``generated_problem`` of these equals ``reference_problem``.
REFERENCE_SPECS = {
    "S": spec(cpg=2),
    "M": spec(cpg=4),
    "L": spec(cpg=8, seats=110),
}


def problem_for(
    shape: str, variant: str = "baseline", previous: tuple[PlacedBlock, ...] = ()
) -> Problem:
    """Any shape's problem: a reference one (S, M, L) or a generated one."""
    chosen = None if variant == "baseline" else variant
    parsed = parse(shape)
    if parsed is None:
        return reference_problem(shape, variant=chosen, previous=previous)
    return generated_problem(parsed, variant=chosen, previous=previous)


def check_reference() -> list[str]:
    """Which reference shapes ``REFERENCE_SPECS`` no longer reproduce (names aside): the
    generator follows ``reference_problem`` by hand, so a change there shows up here."""
    from dataclasses import asdict

    def plain(problem: Problem) -> dict[str, object]:
        data = asdict(problem)
        for key in ("rooms", "staff", "cohorts"):
            for item in data[key]:
                item.pop("name")
        return data

    return [
        name
        for name, shape in REFERENCE_SPECS.items()
        if plain(reference_problem(name)) != plain(generated_problem(shape))
    ]


if __name__ == "__main__":  # python -m bench.shapes [N [SEED]]: the check and a draw
    import sys

    differ = check_reference()
    print("reference shapes reproduced" if not differ else f"DIFFER: {', '.join(differ)}")
    args = sys.argv[1:]
    count, seed = int(args[0]) if args else 5, int(args[1]) if len(args) > 1 else 0
    for drawn in random_specs(count, seed):
        print(drawn.text())
        print("   ", drawn.describe())
    raise SystemExit(1 if differ else 0)
