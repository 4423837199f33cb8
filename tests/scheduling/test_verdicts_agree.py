"""The engine's verdict agrees with a plain model on random tiny schools.

Each case is a seeded random school of one grade: three or four cohorts, a day of 90 minutes in
three one-block stations (specials in a specials teacher's room, the Learning Lab, flex in the
homeroom), two specials teachers with random hours and prep, each cohort's specials open to one
or both of them, a lab of random seats, sometimes a specials window and a pin.

The plain model below is written from the domain rules alone, with none of the engine's pre-check,
symmetry breaking, lanes or decomposition, and covers exactly what these cases can break:
H1 (each cohort in one block at a time, the whole day covered: the stations' minutes fill it, no
passing time), H2 (fixed block lengths), H3 (the specials window), H4 (one assigned, qualified
teacher per specials block, in one place at a time, only while there), H5 (lab seats; no other
shared room is used), H7 (each teacher's prep in one stretch while there) and H8 (pins).
Supervision (H6) and staff lunches are not generated.

The engine's verdict is its pre-check and then its one search that can prove there is no day (the
whole model with symmetry breaking), on a deterministic work limit. A day it finds must pass the
validator; "impossible" must be matched by the plain model's INFEASIBLE; a search that stops at
its limit is "unknown" and must never come out as "impossible".
"""

import random
from enum import StrEnum

import pytest
from ortools.sat.python import cp_model

from scheduling.solver.precheck import precheck
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    Pin,
    Problem,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    Window,
)
from scheduling.solver.stage1 import DayModel
from scheduling.solver.validate import validate

CASES = 80
WORK = 5.0  # deterministic units per search: far beyond what a case this small needs
START = 8 * 60
DAY = Window(START, START + 90)
SPECIALS_ROOMS = (201, 202)
TEACHERS = (1, 2)
LAB = 300


class Verdict(StrEnum):
    FOUND = "found"
    IMPOSSIBLE = "impossible"
    UNKNOWN = "unknown"


def at(offset: int) -> int:
    return START + offset


def random_school(seed: int) -> Problem:
    rng = random.Random(seed)
    cohorts = tuple(
        Cohort(10 + n, f"K {n + 1}", grade=0, students=rng.randint(12, 25), homeroom=100 + n)
        for n in range(rng.choice((3, 4)))
    )
    specials_window = rng.choice((None, None, Window(at(0), at(60)), Window(at(30), at(90))))
    stations = (
        Station(
            "specials",
            30,
            30,
            30,
            venue=Venue.STAFF_ROOM,
            staff_role="specials",
            window=specials_window,
        ),
        Station("lab", 30, 30, 30, venue=Venue.LAB),
        Station("flex", 30, 30, 30, venue=Venue.HOMEROOM),
    )
    hours = (DAY, DAY, Window(at(30), at(90)), Window(at(0), at(60)))
    staff = tuple(
        StaffMember(
            sid,
            f"Specials teacher {sid}",
            frozenset({"specials"}),
            room=room,
            available=(rng.choice(hours),),
            prep_minutes=rng.choice((0, 0, 30)),
        )
        for sid, room in zip(TEACHERS, SPECIALS_ROOMS, strict=True)
    )
    teams = ((1,), (2,), (1, 2))
    assignments = tuple(Assignment(c.id, "specials", rng.choice(teams)) for c in cohorts)
    pins: tuple[Pin, ...] = ()
    if rng.random() < 0.3:
        pins = (
            Pin(
                rng.choice(cohorts).id,
                rng.choice(("specials", "lab")),
                at(rng.choice((0, 30, 60))),
            ),
        )
    rooms = (
        *(Room(c.homeroom, f"Room {c.homeroom}", RoomKind.CLASSROOM, 30) for c in cohorts),
        *(Room(r, f"Specials room {r}", RoomKind.CLASSROOM, 30) for r in SPECIALS_ROOMS),
        Room(LAB, "Learning Lab", RoomKind.LEARNING_LAB, rng.choice((25, 40, 60)), frozenset({0})),
    )
    return Problem(
        school=1,
        date="2025-09-02",
        day=DAY,
        passing_minutes=0,
        granularity=5,
        rooms=rooms,
        cohorts=cohorts,
        templates=(GradeTemplate(0, stations),),
        staff=staff,
        assignments=assignments,
        prep_window=DAY,
        pins=pins,
    )


def plain_model_feasible(problem: Problem) -> bool:
    """Whether a valid day exists, from the rules alone (see the module docstring)."""
    m = cp_model.CpModel()
    day = problem.day
    teaching: dict[int, list[cp_model.IntervalVar]] = {s.id: [] for s in problem.staff}
    lab: list[tuple[cp_model.IntervalVar, int]] = []
    for cohort in problem.cohorts:
        own = []
        for station in problem.template(cohort.grade).stations:
            window = station.window or day
            # Starts on the school's grid, counted in its steps.
            step = problem.granularity
            start = m.new_int_var(window.start // step, (window.end - station.minutes) // step, "")
            interval = m.new_fixed_size_interval_var(start, station.minutes // step, "")
            own.append(interval)
            for pin in problem.pins:
                if (pin.cohort, pin.station) == (cohort.id, station.code):
                    m.add(start * step == pin.start)
            if station.venue == Venue.LAB:
                lab.append((interval, cohort.students))
            if station.staff_role is not None:
                chosen = []
                for sid in problem.candidates(cohort.id, station.code):
                    if station.staff_role not in problem.member(sid).roles:
                        continue
                    by = m.new_bool_var("")
                    chosen.append(by)
                    teaching[sid].append(
                        m.new_optional_fixed_size_interval_var(
                            start, station.minutes // step, by, ""
                        )
                    )
                m.add_exactly_one(chosen)
        m.add_no_overlap(own)  # the minutes fill the day, so no overlap covers it (H1)
    step = problem.granularity
    for member in problem.staff:
        busy = list(teaching[member.id])
        there = member.available
        for a, b in _gaps(there, day):
            busy.append(m.new_fixed_size_interval_var(a // step, (b - a) // step, ""))
        if member.prep_minutes:
            window = problem.prep_window or day
            prep = m.new_int_var(
                window.start // step, (window.end - member.prep_minutes) // step, ""
            )
            busy.append(m.new_fixed_size_interval_var(prep, member.prep_minutes // step, ""))
        m.add_no_overlap(busy)
    seats = next(r.capacity for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB)
    m.add_cumulative([iv for iv, _ in lab], [n for _, n in lab], seats)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = WORK
    status = solver.solve(m)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE), "plain: unknown"
    return status != cp_model.INFEASIBLE


def _gaps(available: tuple[Window, ...], day: Window) -> list[tuple[int, int]]:
    """The parts of ``day`` a staff member is not there (their windows here never overlap)."""
    gaps, at_ = [], day.start
    for w in sorted(available, key=lambda w: w.start):
        if w.start > at_:
            gaps.append((at_, min(w.start, day.end)))
        at_ = max(at_, w.end)
    if at_ < day.end:
        gaps.append((at_, day.end))
    return gaps


def engine_verdict(problem: Problem) -> tuple[Verdict, list]:
    if precheck(problem):
        return Verdict.IMPOSSIBLE, []
    stage = DayModel(problem, symmetry=True)
    stage.build()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = WORK
    solver.parameters.stop_after_first_solution = True
    status = solver.solve(stage.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Verdict.FOUND, list(stage.extract(solver))
    if status == cp_model.INFEASIBLE:
        return Verdict.IMPOSSIBLE, []
    return Verdict.UNKNOWN, []


@pytest.mark.parametrize("seed", range(CASES))
def test_the_engine_agrees_with_the_plain_model(seed):
    problem = random_school(seed)
    exists = plain_model_feasible(problem)

    verdict, blocks = engine_verdict(problem)

    if verdict == Verdict.FOUND:
        assert validate(problem, blocks) == ()
        assert exists, "the engine found a day the plain model calls impossible"
    elif verdict == Verdict.IMPOSSIBLE:
        assert not exists, f"the engine refused a day that exists: {precheck(problem)}"
    else:
        assert verdict == Verdict.UNKNOWN


def test_the_random_schools_include_both_verdicts():
    """A generator that only made easy (or only impossible) schools would check nothing."""
    exists = [plain_model_feasible(random_school(seed)) for seed in range(CASES)]
    assert exists.count(True) >= CASES // 5
    assert exists.count(False) >= CASES // 10
