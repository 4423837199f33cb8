"""School shapes from parameters, beyond the reference S, M and L (issue 18, item 7).

A shape is written ``gen:cpg=5,students=25,seats=105,start=8:00,end=15:15,specials=3,
bands=K-1/2-3/4-5,hum=3,stem=2,cafeteria=10``; every parameter but ``cpg`` has a default derived
from the others the way the reference shapes are sized (``bench/reference.py``), so
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
from dataclasses import dataclass, fields

from scheduling.solver.problem import PlacedBlock, Problem, Window

from .reference import (
    COLLEGES,
    GRADES,
    REFERENCE_DAY,
    STUDENTS_PER_ILS,
    Shape,
    grade_label,
    hm,
    reference_problem,
    shape_problem,
)

REFERENCE = ("S", "M", "L")
LAB_USE = 0.96  # lab lanes busy this share of the rotation window at most, as S, M and L


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


def generated_problem(
    shape: Spec, *, variant: str | None = None, previous: tuple[PlacedBlock, ...] = ()
) -> Problem:
    """The stage-1 problem of ``shape``, built as the reference shapes are."""
    labs = tuple(
        (
            f"Lab {format_bands((grades,))}",
            grades,
            shape.seats,
            math.ceil(shape.seats / STUDENTS_PER_ILS),
        )
        for grades in parse_bands(shape.bands)
    )
    school = Shape(
        name=shape.text(),
        cohorts_per_grade=shape.cpg,
        humanities_per_grade=shape.hum,
        stem_per_grade=shape.stem,
        specials_teachers=shape.specials,
        labs=labs,
        cafeteria_cohorts=shape.cafeteria,
        students=shape.students,
        day=Window(hm(shape.start), hm(shape.end)),
    )
    return shape_problem(school, variant=variant, previous=previous)


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
    """Which reference shapes ``REFERENCE_SPECS`` no longer reproduce (names aside): the specs
    and the defaults of ``spec`` are written by hand, so a change of the reference shows up here."""
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
