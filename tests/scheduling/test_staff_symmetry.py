"""Symmetry breaking never cuts off the only valid days: staff or cohorts are treated as
interchangeable only when swapping them maps every valid day to another."""

from dataclasses import replace
from typing import Any

from ortools.sat.python import cp_model

from bench.reference import hm, reference_problem
from scheduling.solver.precheck import precheck
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    PlacedBlock,
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

ADA, BEA = 1, 2  # the two specials teachers
ONLY_ADA, ONLY_ADA_TOO, EITHER = 11, 12, 13  # cohorts
DAY = Window(hm("8:00"), hm("9:00"))


def specials_open_to_either_teacher_for_one_cohort() -> Problem:
    """Two specials teachers alike in roles, hours and prep. Two cohorts may only have Ada, who
    is busy all day with them; the third may have either, so only Bea can take it."""
    teacher: dict[str, Any] = {
        "roles": frozenset({"specials"}),
        "available": (DAY,),
        "prep_minutes": 0,
    }
    return Problem(
        school=1,
        date="2025-09-02",
        day=DAY,
        passing_minutes=0,
        granularity=5,
        rooms=(
            Room(101, "Room 101", RoomKind.CLASSROOM, 30),
            Room(102, "Room 102", RoomKind.CLASSROOM, 30),
            Room(103, "Room 103", RoomKind.CLASSROOM, 30),
            Room(201, "Art room", RoomKind.CLASSROOM, 30),
            Room(202, "Music room", RoomKind.CLASSROOM, 30),
        ),
        cohorts=(
            Cohort(ONLY_ADA, "K Stanford", grade=0, students=20, homeroom=101),
            Cohort(ONLY_ADA_TOO, "K Howard", grade=0, students=20, homeroom=102),
            Cohort(EITHER, "K Spelman", grade=0, students=20, homeroom=103),
        ),
        templates=(
            GradeTemplate(
                0,
                (
                    Station("specials", 30, 30, 30, venue=Venue.STAFF_ROOM, staff_role="specials"),
                    Station("flex", 30, 30, 30, venue=Venue.HOMEROOM),
                ),
            ),
        ),
        staff=(
            StaffMember(ADA, "Ms. Ada", room=201, **teacher),
            StaffMember(BEA, "Ms. Bea", room=202, **teacher),
        ),
        assignments=(
            Assignment(ONLY_ADA, "specials", (ADA,)),
            Assignment(ONLY_ADA_TOO, "specials", (ADA,)),
            Assignment(EITHER, "specials", (ADA, BEA)),
        ),
    )


def search_with_symmetry_breaking(problem: Problem) -> tuple[str, list[PlacedBlock]]:
    """The engine's only search that can prove no day exists, on a deterministic work limit."""
    stage = DayModel(problem, symmetry=True)
    stage.build()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 5.0
    solver.parameters.stop_after_first_solution = True
    status = solver.solve(stage.model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return solver.status_name(status), list(stage.extract(solver)) if found else []


def test_a_block_only_one_teacher_may_take_keeps_them_apart():
    problem = specials_open_to_either_teacher_for_one_cohort()
    assert precheck(problem) == ()  # the counts add up: only the search decides

    status, blocks = search_with_symmetry_breaking(problem)

    assert status in {"OPTIMAL", "FEASIBLE"}
    assert validate(problem, blocks) == ()
    assert [b.staff for b in blocks if b.cohort == EITHER and b.station == "specials"] == [(BEA,)]


def test_a_cohort_with_a_template_of_its_own_is_not_ordered_with_its_grade():
    """A recovery's conversion gives one cohort a template of its own: it is no longer
    interchangeable with its grade, so ordering it against them could cut off every valid day."""
    problem = reference_problem("S")
    first = next(c for c in problem.cohorts if c.grade == 0)
    late_literacy = tuple(
        replace(s, window=Window(hm("12:00"), hm("15:15")), preferred=None)
        if s.code == "literacy"
        else s
        for s in problem.template(0).stations
    )
    problem = replace(
        problem,
        templates=(*problem.templates, GradeTemplate(0, late_literacy, frozenset({first.id}))),
    )

    status, blocks = search_with_symmetry_breaking(problem)

    assert status in {"OPTIMAL", "FEASIBLE"}
    assert validate(problem, blocks) == ()
