"""The narrowed, smaller problems the first day is built from: each is a plain Problem whose
schedules are valid for the original."""

from dataclasses import replace

from ortools.sat.python import cp_model

from bench.reference import hm, reference_problem
from scheduling.solver.decompose import (
    assign_pools,
    components,
    independent,
    lab_lanes_by_grade,
    later_demand,
    restricted_to,
    room_shares,
    team_relaxation,
    teams,
    whole_lab_blocks,
)
from scheduling.solver.problem import Pin, PlacedBlock, RoomKind, Window
from scheduling.solver.stage1 import DayModel, solve
from scheduling.solver.stage1.search import SolvePhases
from scheduling.solver.validate import validate

from ..solver_limits import work_limited


def labs_of(problem):
    return sorted(
        (room.capacity, tuple(sorted(room.grades)))
        for room in problem.rooms
        if room.kind == RoomKind.LEARNING_LAB
    )


def test_lab_time_becomes_one_block_where_the_template_allows_it():
    narrowed = whole_lab_blocks(reference_problem("S"))
    template = narrowed.template(3)
    assert template.station("lab").max_blocks == 1
    assert template.station("literacy").max_blocks == 2


def test_a_lab_for_three_grades_holding_three_cohorts_gives_each_grade_a_lane():
    narrowed = lab_lanes_by_grade(reference_problem("M"))
    assert labs_of(narrowed) == [(26, (grade,)) for grade in range(6)]
    assert {s.students_per_adult for s in narrowed.supervision} == {10}
    assert all(narrowed.lab_for_grade(g) is not None for g in range(6))


def test_six_grades_sharing_three_lanes_take_a_lane_per_two_grades():
    narrowed = lab_lanes_by_grade(reference_problem("S"))
    assert labs_of(narrowed) == [(26, (0, 1)), (26, (2, 3)), (26, (4, 5))]


def test_two_grades_with_four_lanes_take_two_lanes_each():
    narrowed = lab_lanes_by_grade(reference_problem("L"))
    assert labs_of(narrowed) == [(55, (grade,)) for grade in range(6)]


def test_a_lab_that_cannot_be_shared_out_evenly_is_kept_whole():
    problem = reference_problem("M")
    roomier = replace(
        problem,
        rooms=tuple(
            replace(r, capacity=110) if r.kind == RoomKind.LEARNING_LAB else r
            for r in problem.rooms
        ),
        supervision=tuple(replace(s, students_per_adult=40) for s in problem.supervision),
    )  # four cohorts at once for three grades
    assert labs_of(lab_lanes_by_grade(roomier)) == [(110, (0, 1, 2)), (110, (3, 4, 5))]


def test_a_lab_short_of_supervisors_has_lanes_for_the_cohorts_they_can_watch():
    problem = reference_problem("L")  # 110 seats, four supervisors of 30: four cohorts at once
    lab = problem.supervision[0]
    out = replace(problem.member(lab.supervisors[0]), available=())
    short = replace(problem, staff=tuple(out if s.id == out.id else s for s in problem.staff))
    # Three supervisors watch 90 students: three cohorts at once, which two grades cannot share
    # evenly, so that lab is kept whole; the others still give each grade two lanes.
    assert labs_of(lab_lanes_by_grade(short)) == [(55, (g,)) for g in range(2, 6)] + [(110, (0, 1))]


def test_supervisors_who_arrive_after_the_launch_still_watch_the_lab_all_day():
    problem = reference_problem("M")
    ils = {sid for s in problem.supervision for sid in s.supervisors}
    after_launch = (Window(hm("8:15"), hm("15:15")),)
    late = replace(
        problem,
        staff=tuple(
            replace(s, available=after_launch) if s.id in ils else s for s in problem.staff
        ),
    )
    assert labs_of(lab_lanes_by_grade(late)) == [(26, (grade,)) for grade in range(6)]


def test_pooled_specials_teachers_take_contiguous_even_shares_lab_by_lab():
    problem = reference_problem("M")
    order = [c for lab in components(problem) for c in lab]
    narrowed = assign_pools(problem, order)
    teacher = {a.cohort: a.staff for a in narrowed.assignments if a.station == "specials"}
    assert all(len(staff) == 1 for staff in teacher.values())
    lower = {teacher[c.id] for c in problem.cohorts if c.grade <= 2}
    upper = {teacher[c.id] for c in problem.cohorts if c.grade >= 3}
    assert len(lower) == len(upper) == 1 and lower != upper


def test_cohorts_are_grouped_by_the_lab_that_serves_them():
    groups = components(reference_problem("M"))
    assert [sorted({c.grade for c in group}) for group in groups] == [[0, 1, 2], [3, 4, 5]]


def test_a_teacher_shared_with_later_labs_keeps_their_blocks_free_in_the_earlier_one():
    problem = reference_problem("L")
    labs = components(problem)
    narrowed = assign_pools(problem, [c for lab in labs for c in lab])
    first, second, third = labs
    # Four specials teachers for three labs of 16 cohorts: the second teacher takes 4 cohorts
    # of the first lab and 8 of the second, the third 8 of the second and 4 of the third.
    reserved = later_demand(narrowed, first, second + third)
    assert list(reserved.values()) == [(30,) * 8]
    assert list(later_demand(narrowed, second, third).values()) == [(30,) * 4]
    assert later_demand(narrowed, third, []) == {}


def test_a_group_is_built_around_the_groups_already_built():
    problem = reference_problem("M")
    lower, upper = components(problem)
    held = PlacedBlock(lower[0].id, "math", hm("8:15"), hm("9:45"), None)
    narrowed = restricted_to(problem, upper, [held])
    assert {c.id for c in narrowed.cohorts} == {c.id for c in upper} | {lower[0].id}
    assert Pin(lower[0].id, "math", hm("8:15"), hm("9:45")) in narrowed.pins
    assert narrowed.previous == ()


def test_a_day_built_lab_by_lab_is_valid_for_the_original_problem():
    problem = reference_problem("M")
    result = solve(problem, work_limited(workers=1, first_solution_only=True))
    assert validate(problem, result.blocks) == ()


def narrowed_by_lab(problem):
    labs = components(problem)
    return assign_pools(problem, [c for lab in labs for c in lab]), labs


def cafeteria(problem):
    return next(r for r in problem.rooms if r.kind == RoomKind.CAFETERIA)


def test_labs_that_share_no_teacher_or_room_are_built_apart():
    narrowed, labs = narrowed_by_lab(reference_problem("M"))
    assert independent(narrowed, labs) == [[0], [1]]  # a specials teacher each


def test_labs_that_share_a_specials_teacher_are_built_together():
    narrowed, labs = narrowed_by_lab(reference_problem("L"))
    assert independent(narrowed, labs) == [[0, 1, 2]]


def test_a_room_two_labs_teachers_both_teach_in_joins_the_labs():
    problem = reference_problem("M")
    first, second = (s for s in problem.staff if "specials" in s.roles)
    one_room = replace(
        problem,
        staff=tuple(replace(s, room=first.room) if s.id == second.id else s for s in problem.staff),
    )
    narrowed, labs = narrowed_by_lab(one_room)
    assert independent(narrowed, labs) == [[0, 1]]


def test_a_lab_supervisor_who_watches_both_labs_joins_them():
    problem = reference_problem("M")
    lower, upper = problem.supervision
    shared = replace(upper, supervisors=(*upper.supervisors[:-1], lower.supervisors[0]))
    narrowed, labs = narrowed_by_lab(replace(problem, supervision=(lower, shared)))
    assert independent(narrowed, labs) == [[0, 1]]


def test_the_cafeteria_is_shared_out_between_labs_built_apart():
    problem = reference_problem("M")  # 8 cohorts at once for 24 cohorts
    lower, upper = components(problem)

    parts = room_shares(problem, [lower, upper])

    assert [cafeteria(part).capacity for part in parts] == [4, 4]
    # Lopsided parts: the larger takes what does not divide, and the places add up.
    uneven = room_shares(problem, [lower[:5], lower[5:] + upper])
    assert [cafeteria(part).capacity for part in uneven] == [1, 7]


def with_cafeteria(problem, capacity):
    return replace(
        problem,
        rooms=tuple(
            replace(r, capacity=capacity) if r.kind == RoomKind.CAFETERIA else r
            for r in problem.rooms
        ),
    )


def test_a_cafeteria_too_small_to_share_keeps_the_labs_together():
    tiny = with_cafeteria(reference_problem("M"), 1)
    assert room_shares(tiny, components(tiny)) is None


def test_a_cafeteria_that_holds_everyone_is_left_whole():
    roomy = with_cafeteria(reference_problem("M"), 24)
    assert [cafeteria(part).capacity for part in room_shares(roomy, components(roomy))] == [24, 24]


def test_labs_built_apart_on_two_workers_make_a_valid_day():
    problem = reference_problem("M")
    result = solve(problem, work_limited(workers=2, first_solution_only=True))
    assert validate(problem, result.blocks) == ()


def with_math_teacher_out_after_ten(grade):
    problem = reference_problem("M")
    stem = next(s for s in problem.staff if s.name == f"Grade {grade} stem teacher 1")
    # Four math blocks of 90 minutes cannot fit in two hours.
    return replace(
        problem,
        staff=tuple(
            replace(s, available=(Window(hm("8:00"), hm("10:00")),)) if s.id == stem.id else s
            for s in problem.staff
        ),
    )


def test_a_lab_with_no_day_ends_the_construction_before_the_labs_after_it():
    problem = with_math_teacher_out_after_ten(grade=1)  # the lower lab, built first
    phases = SolvePhases(problem, work_limited(workers=1, first_solution_only=True))

    assert phases.construct(share=0.7) is None
    # Proving the lower lab impossible takes a few thousandths of a unit; building the upper
    # lab's day would take at least 0.02 (bench/FINDINGS.md).
    assert phases.budget.work_spent < 0.01


def test_a_lab_with_no_day_stops_the_labs_built_beside_it():
    problem = with_math_teacher_out_after_ten(grade=4)  # the upper lab
    for options in (
        work_limited(workers=1, first_solution_only=True),  # in turn
        work_limited(workers=2, first_solution_only=True),  # beside each other
    ):
        assert SolvePhases(problem, options).construct(share=0.7) is None


def test_teams_are_a_grades_cohorts_with_the_teachers_only_they_have():
    problem = reference_problem("M")
    specials = {s.id for s in problem.staff if "specials" in s.roles}

    found = teams(problem)

    assert sorted(len(cohorts) for cohorts, _own in found) == [4] * 6
    for cohorts, own in found:
        assert len({c.grade for c in cohorts}) == 1
        roles = sorted(next(iter(problem.member(s).roles)) for s in own)
        assert roles == ["humanities", "humanities", "stem"]
        assert not own & specials


def test_a_team_relaxation_stands_in_for_the_staff_it_shares():
    problem = reference_problem("M", previous=(PlacedBlock(1, "launch", 480, 495, None, ()),))
    cohorts, own = teams(problem)[0]

    relaxed = team_relaxation(problem, cohorts, own)

    assert {c.id for c in relaxed.cohorts} == {c.id for c in cohorts}
    assert relaxed.previous == ()
    originals = {s.id for s in problem.staff}
    for cohort in cohorts:
        (stand_in,) = relaxed.candidates(cohort.id, "specials")
        assert stand_in not in originals
        assert relaxed.member(stand_in).prep_minutes == 0
        assert relaxed.candidates(cohort.id, "math") == problem.candidates(cohort.id, "math")


def test_the_team_bounds_raise_the_bound_and_never_pass_a_day_found_without_them():
    problem = restricted_to(
        reference_problem("S"), [c for c in reference_problem("S").cohorts if c.grade < 2], []
    )
    plain = DayModel(problem, symmetry=False)
    plain.build()
    plain.model.minimize(plain.objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 1.0
    assert solver.solve(plain.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)

    result = solve(problem, work_limited(workers=1, work_limit=0.5))

    assert validate(problem, result.blocks) == ()
    # Without them the bound is each term's own minimum: 217 here (two grades of S).
    assert 217 < result.stats.bound <= min(result.stats.objective, solver.objective_value)
