"""The time grid: a leader's span is judged once (on the grid, inside the day, ending after it
starts), and a problem read from rows stored before that check never lets the model and the
validator read different times: windows shrink inward, pins off the grid are refused."""

from dataclasses import replace

from scheduling.solver.grid import inward, off_grid, outward, snap_problem, span_problems
from scheduling.solver.problem import Pin, Solution, Window
from scheduling.solver.stage1 import SolveOptions, solve
from scheduling.solver.validate import validate

from .test_validate import HOWARD, STANFORD, at, kindergarten_day

# Deterministic work, never wall-clock seconds: a busy machine cannot fail these.
STEADY = SolveOptions(time_limit=600, workers=1, seed=7, work_limit=20)


def with_lunch_window(start: str, end: str):
    problem = kindergarten_day()
    (template,) = problem.templates
    stations = tuple(
        replace(s, window=Window(at(start), at(end))) if s.code == "lunch" else s
        for s in template.stations
    )
    return replace(problem, templates=(replace(template, stations=stations),))


def test_a_time_off_the_grid_has_the_grid_times_either_side():
    assert off_grid(at("9:02"), 5) == (at("9:00"), at("9:05"))
    assert off_grid(at("9:05"), 5) is None
    assert off_grid(at("9:10"), 15) == (at("9:00"), at("9:15"))


def test_a_window_shrinks_inward_and_an_absence_grows_outward():
    assert inward(at("12:02"), at("12:33"), 5) == (at("12:05"), at("12:30"))
    assert outward(at("12:02"), at("12:33"), 5) == (at("12:00"), at("12:35"))


def test_a_span_is_judged_on_the_grid_then_its_order_then_the_day():
    day = Window(at("8:00"), at("15:00"))
    (late,) = span_problems(at("12:02"), at("12:35"), grid=5, day=day)
    assert (late.side, late.kind, late.earlier, late.later) == (
        "start",
        "off-grid",
        at("12:00"),
        at("12:05"),
    )
    assert [p.kind for p in span_problems(at("10:00"), at("9:00"), grid=5, day=day)] == ["order"]
    after = span_problems(at("15:10"), at("15:40"), grid=5, day=day)
    assert [(p.side, p.kind) for p in after] == [("start", "outside-day")]
    assert span_problems(at("9:00"), None, grid=5, day=day) == []


def test_an_off_grid_lunch_window_narrows_and_the_build_and_validator_agree():
    snapped = snap_problem(with_lunch_window("9:32", "10:00"))
    assert snapped.refused == ()
    assert snapped.adjusted == ("kindergarten's lunch window 9:32-10:00 narrowed to 9:35-10:00",)
    (lunch,) = [s for s in snapped.problem.templates[0].stations if s.code == "lunch"]
    assert lunch.window == Window(at("9:35"), at("10:00"))
    result = solve(snapped.problem, STEADY)
    assert isinstance(result, Solution)
    assert validate(snapped.problem, result.blocks) == ()


def test_a_window_too_narrow_once_on_the_grid_is_refused_not_widened():
    snapped = snap_problem(with_lunch_window("9:37", "9:59"))
    assert [r.setting for r in snapped.refused] == ["station:0:lunch"]


def test_an_off_grid_pin_is_refused_naming_it():
    problem = replace(kindergarten_day(), pins=(Pin(STANFORD, "lab", at("9:02")),))
    (reason,) = snap_problem(problem).refused
    assert reason.setting == f"pin:{STANFORD}:lab"
    assert "9:02" in reason.message


def test_a_prep_window_after_dismissal_is_refused():
    problem = replace(kindergarten_day(), prep_window=Window(at("10:15"), at("11:00")))
    (reason,) = snap_problem(problem).refused
    assert reason.setting == "settings:prep"


def test_a_prep_window_reaching_past_dismissal_keeps_its_part_inside_the_day():
    problem = replace(kindergarten_day(), prep_window=Window(at("9:02"), at("11:00")))
    snapped = snap_problem(problem)
    assert snapped.refused == ()
    assert snapped.problem.prep_window == Window(at("9:05"), at("10:00"))


def test_staff_hours_off_the_grid_shrink_to_the_time_surely_there():
    problem = kindergarten_day()
    rivera = replace(problem.staff[0], available=(Window(at("7:32"), at("9:58")),))
    snapped = snap_problem(replace(problem, staff=(rivera, *problem.staff[1:])))
    assert snapped.problem.staff[0].available == (Window(at("7:35"), at("9:55")),)


def test_a_problem_on_the_grid_is_left_as_it_is():
    problem = replace(kindergarten_day(), pins=(Pin(HOWARD, "literacy", at("8:55"), at("9:35")),))
    snapped = snap_problem(problem)
    assert (snapped.problem, snapped.adjusted, snapped.refused) == (problem, (), ())
