"""The pre-check counts the lab per stretch of the day: it never refuses a day that exists, and a
lab supervised only part of the day is refused for its supervision, not its seats."""

import itertools
import random
import re
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from bench.reference import grade_stem_teacher, hm, reference_problem
from scheduling.solver.precheck import precheck
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    Infeasible,
    LabSupervision,
    Problem,
    Room,
    RoomKind,
    Solution,
    StaffMember,
    Station,
    Venue,
    WellBeing,
    Window,
)
from scheduling.solver.stage1 import DayModel, SolveOptions, solve
from scheduling.solver.stage1.search import ModelSearch
from scheduling.solver.validate import validate

# Deterministic work, not seconds: the same answer on a busy machine.
FIRST_DAY = SolveOptions(time_limit=300, workers=1, seed=1, first_solution_only=True, work_limit=20)


def with_fixed_event(problem: Problem, grade: int, station: str, start: str, end: str) -> Problem:
    """``grade``'s ``station`` fixed at ``start``-``end`` (its window as long as its minutes)."""
    templates = tuple(
        replace(
            t,
            stations=tuple(
                replace(s, window=Window(hm(start), hm(end))) if s.code == station else s
                for s in t.stations
            ),
        )
        if t.grade == grade
        else t
        for t in problem.templates
    )
    return replace(problem, templates=templates)


def with_supervisors_leaving(problem: Problem, count: int, at: str) -> Problem:
    """The first ``count`` supervisors of the first lab go home at ``at``."""
    leaving = set(problem.supervision[0].supervisors[:count])
    return replace(
        problem,
        staff=tuple(
            replace(s, available=(Window(s.available[0].start, hm(at)),)) if s.id in leaving else s
            for s in problem.staff
        ),
    )


def test_a_kindergarten_lunch_fixed_at_11_blocks_kindergarten_not_the_lab():
    problem = with_fixed_event(reference_problem("S"), 0, "lunch", "11:00", "11:30")

    assert precheck(problem) == ()
    result = solve(problem, FIRST_DAY)
    assert isinstance(result, Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()
    kindergarten = {c.id for c in problem.cohorts if c.grade == 0}
    assert {
        b.start for b in result.blocks if b.station == "lunch" and b.cohort in kindergarten
    } == {hm("11:00")}


def test_a_kindergarten_flex_fixed_at_9_passes_the_precheck_and_a_day_is_found():
    problem = with_fixed_event(reference_problem("S"), 0, "flex", "9:00", "9:30")

    assert precheck(problem) == ()
    result = solve(problem, FIRST_DAY)
    assert isinstance(result, Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()


def test_fixed_kindergarten_events_leave_the_medium_schools_lower_lab_its_seats():
    """On M the lower lab serves K-2: kindergarten's fixed lunch or flex takes its own cohorts
    out of the lab, and grades 1-2 still fill it then."""
    for station, start, end in (("lunch", "11:00", "11:30"), ("flex", "9:00", "9:30")):
        problem = with_fixed_event(reference_problem("M"), 0, station, start, end)
        assert [r.code for r in precheck(problem) if r.code.startswith("lab")] == []


def test_a_lab_supervised_only_in_the_morning_is_refused_for_its_supervision():
    problem = with_supervisors_leaving(reference_problem("S"), 3, "12:00")

    result = solve(problem, FIRST_DAY)

    assert isinstance(result, Infeasible)
    assert result.stats is None  # the pre-check's answer, not a search that ran out
    assert [r.code for r in result.reasons] == ["lab-supervision-short"]
    assert result.reasons[0].message.startswith(
        "Lab is supervised only 8:00-12:00 (nobody 12:00-15:15): grades K-5 need 30,000 "
        "seat-minutes between 8:15 and 12:00; supervised, it has 18,000."
    )
    assert "seats of Lab 12:00-15:15" in result.reasons[0].suggestion
    assert "Add" not in result.reasons[0].suggestion


def test_one_supervisor_leaving_early_leaves_too_few_whole_classes_in_the_afternoon():
    """Sixty supervised seats hold two classes of 25 where three are needed: the seat-minutes
    add up, the classes do not."""
    problem = with_supervisors_leaving(reference_problem("S"), 1, "14:00")

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["lab-supervision-short"]
    assert reasons[0].message == (
        "Lab is supervised for all 80 seats only 8:00-14:00 (only 60 students 14:00-15:15): "
        "grades K-5 need 1,200 cohort-minutes in the lab between 8:15 and 15:15; the supervised "
        "seats hold whole classes for 1,185."
    )


def test_a_lab_short_of_seats_all_day_still_asks_for_seats():
    problem = reference_problem("S", variant="lab_short")
    problem = with_supervisors_leaving(problem, 0, "12:00")

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["lab-seat-minutes-short"]
    assert reasons[0].suggestion.startswith("Add 20 lab seats,")


# --- soundness on random tiny schools ---------------------------------------------------------


def tiny_school(rng: random.Random) -> Problem:
    """One or two grades with no staffed stations, a lab often too small or supervised only part
    of the day, and fixed events: only the day's cover and the lab can make it impossible."""
    length = rng.choice((120, 150, 180))
    day = Window(hm("8:00"), hm("8:00") + length)
    grades = rng.sample(range(6), rng.randint(1, 2))
    templates: list[GradeTemplate] = []
    cohorts: list[Cohort] = []
    rooms: list[Room] = []
    for grade in grades:
        lab = rng.choice((30, 40, 50, 60))
        lab_window = None
        if rng.random() < 0.3:
            start = day.start + rng.choice((0, 30, 60))
            lab_window = Window(start, min(day.end, start + lab + rng.choice((0, 30, 60))))
        fixed = []
        for code in ("lunch", "flex"):
            if rng.random() < 0.6:
                start = day.start + 5 * rng.randint(0, (length - 20) // 5)
                fixed.append(
                    Station(
                        code, 20, 20, 20, venue=Venue.HOMEROOM, window=Window(start, start + 20)
                    )
                )
        core = length - lab - 20 * len(fixed)
        templates.append(
            GradeTemplate(
                grade,
                (
                    Station("core", core, 20, core, max_blocks=2, venue=Venue.HOMEROOM),
                    Station(
                        "lab",
                        lab,
                        20,
                        lab,
                        max_blocks=rng.randint(1, 2),
                        venue=Venue.LAB,
                        window=lab_window,
                    ),
                    *fixed,
                ),
            )
        )
        for _ in range(rng.randint(1, 3)):
            ident = 100 + len(cohorts)
            rooms.append(Room(ident, f"Room {ident}", RoomKind.CLASSROOM, 30))
            cohorts.append(Cohort(ident, f"Cohort {ident}", grade, rng.randint(10, 30), ident))
    rooms.append(Room(1, "Lab", RoomKind.LEARNING_LAB, rng.randint(20, 80), frozenset(grades)))
    staff = []
    for n in range(rng.randint(1, 3)):
        start = day.start + rng.choice((-15, 0, 0, 30, 60))
        end = rng.choice((day.end, day.end + 15, day.end, start + 90))
        staff.append(
            StaffMember(n + 1, f"ILS {n + 1}", frozenset({"ils"}), 1, (Window(start, end),))
        )
    return Problem(
        school=1,
        date="2026-11-24",
        day=day,
        passing_minutes=0,
        granularity=5,
        rooms=tuple(rooms),
        cohorts=tuple(cohorts),
        templates=tuple(templates),
        staff=tuple(staff),
        assignments=(),
        supervision=(LabSupervision(1, tuple(s.id for s in staff), rng.choice((15, 20, 30))),),
    )


def plain_model_status(problem: Problem) -> str:
    """Feasibility of the cover and the lab alone (H1-H3, H5, H6), in a model written from the
    problem's rules rather than from the engine: a relaxation of the whole day, so its
    INFEASIBLE is the day's."""
    m = cp_model.CpModel()
    day = problem.day
    lab = next(r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB)
    lab_intervals, lab_demands = [], []
    for cohort in problem.cohorts:
        own = []
        for station in problem.template(cohort.grade).stations:
            window = station.window or day
            lengths = cp_model.Domain.from_values(
                range(station.block_min, station.block_max + 1, station.step)
            )
            blocks = []
            for index in range(station.max_blocks):
                present = 1 if index == 0 else m.new_bool_var("")
                start = m.new_int_var(window.start, window.end, "")
                size = m.new_int_var_from_domain(lengths, "")
                end = m.new_int_var(window.start, window.end, "")
                if index == 0:
                    interval = m.new_interval_var(start, size, end, "")
                else:
                    interval = m.new_optional_interval_var(start, size, end, present, "")
                blocks.append((size, present, interval))
                own.append(interval)
                if station.venue == Venue.LAB:
                    lab_intervals.append(interval)
                    lab_demands.append(cohort.students)
            used = []
            for size, present, _ in blocks:
                if isinstance(present, int):
                    used.append(size)
                    continue
                minutes = m.new_int_var(0, station.block_max, "")
                m.add(minutes == size).only_enforce_if(present)
                m.add(minutes == 0).only_enforce_if(~present)
                used.append(minutes)
            m.add(sum(used) == station.minutes)
        m.add_no_overlap(own)
    supervision = problem.supervision[0]
    points = sorted(
        {day.start, day.end}
        | {
            t
            for sid in supervision.supervisors
            for w in problem.member(sid).available
            for t in (w.start, w.end)
            if day.start < t < day.end
        }
    )
    for a, b in itertools.pairwise(points):
        watched = supervision.students_per_adult * sum(
            1
            for sid in supervision.supervisors
            if any(w.start <= a and b <= w.end for w in problem.member(sid).available)
        )
        if watched < lab.capacity:
            lab_intervals.append(m.new_fixed_size_interval_var(a, b - a, ""))
            lab_demands.append(lab.capacity - watched)
    m.add_cumulative(lab_intervals, lab_demands, lab.capacity)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 10
    return solver.status_name(solver.solve(m))


def test_every_precheck_refusal_on_tiny_schools_is_a_day_that_does_not_exist():
    refused: dict[str, int] = {}
    found = 0
    for seed in range(150):
        problem = tiny_school(random.Random(seed))
        reasons = precheck(problem)
        if not reasons:
            found += plain_model_status(problem) == "OPTIMAL"
            continue
        assert plain_model_status(problem) == "INFEASIBLE", (seed, reasons)
        for reason in reasons:
            refused[reason.code] = refused.get(reason.code, 0) + 1
    # The draw reaches every kind of lab refusal and days that exist, so the check above, and
    # the plain model, mean something.
    assert refused.get("lab-seat-minutes-short", 0) >= 5
    assert refused.get("lab-supervision-short", 0) >= 5
    assert refused.get("lab-window-too-short", 0) >= 5
    assert found >= 10


# --- honest outcomes: one reason per absence, suggestions checked before they are shown -------


def with_lab_seats(problem: Problem, seats: int) -> Problem:
    """The last lab (the one ``lab_short`` cuts) with ``seats`` seats."""
    lab = [r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB][-1]
    return replace(
        problem,
        rooms=tuple(replace(r, capacity=seats) if r.id == lab.id else r for r in problem.rooms),
    )


def added_seats(suggestion: str) -> int:
    match = re.match(r"Add (\d+) lab seats", suggestion)
    assert match, suggestion
    return int(match[1])


@pytest.mark.parametrize("shape", ["S", "M"])
@pytest.mark.parametrize("seats", [10, 55])
def test_a_lab_cut_short_asks_for_the_seats_that_pass_the_check_when_added(shape, seats):
    problem = with_lab_seats(reference_problem(shape), seats)
    lab = [r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB][-1]

    reasons = [r for r in precheck(problem) if r.setting == f"room:{lab.id}"]

    assert [r.code for r in reasons] == ["lab-seat-minutes-short"]
    extra = added_seats(reasons[0].suggestion)
    # Three classes of 25 at once, the largest first: the seats that really share the peak.
    assert seats + extra == 75
    assert [
        r for r in precheck(with_lab_seats(problem, seats + extra)) if r.code.startswith("lab")
    ] == []
    # One seat fewer does not pass: the suggestion is the least that does.
    assert any(
        r.code == "lab-seat-minutes-short"
        for r in precheck(with_lab_seats(problem, seats + extra - 1))
    )


def test_a_supervision_shortage_is_never_answered_with_seats():
    for leaving, at in ((3, "12:00"), (1, "14:00"), (2, "13:00")):
        problem = with_supervisors_leaving(reference_problem("S"), leaving, at)
        reasons = precheck(problem)
        assert reasons and {r.code for r in reasons} == {"lab-supervision-short"}
        assert not any(re.search(r"\bAdd\b|more seats", r.suggestion) for r in reasons), reasons


def test_seats_short_and_supervision_short_asks_for_seats_only_with_their_supervisors():
    problem = with_supervisors_leaving(with_lab_seats(reference_problem("S"), 55), 1, "14:00")

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["lab-seat-minutes-short"]
    fixed = with_lab_seats(problem, 55 + added_seats(reasons[0].suggestion))
    # The seats remove the seat shortage; the supervisors short of them stay, and said so.
    assert [r.code for r in precheck(fixed)] == ["lab-supervision-short"]
    assert reasons[0].suggestion.startswith("Add 20 lab seats (and lab staff to supervise them)")


def test_an_absent_teacher_is_named_once_with_what_they_leave():
    problem = reference_problem("M")
    absent = grade_stem_teacher(problem, grade=3)
    problem = replace(
        problem,
        staff=tuple(replace(s, available=()) if s.id == absent else s for s in problem.staff),
    )

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["staff-absent"]
    assert reasons[0].message == (
        "Grade 3 stem teacher 1 is out on Tuesday 2026-11-24, and nobody present can take the "
        "math for 4 cohorts (3 Stanford, 3 Howard, 3 Berkeley, 3 Spelman)."
    )
    assert reasons[0].setting == f"staff:{absent}"
    assert reasons[0].detail == (("math", 4),)


def test_a_teacher_in_only_part_of_the_day_is_named_in_the_staffing_reason():
    problem = reference_problem("M")
    late = grade_stem_teacher(problem, grade=3)
    problem = replace(
        problem,
        staff=tuple(
            replace(s, available=(Window(hm("12:00"), hm("15:15")),)) if s.id == late else s
            for s in problem.staff
        ),
    )

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["staff-minutes-short"]
    assert "(Grade 3 stem teacher 1 is in only 12:00-15:15 on Tuesday 2026-11-24)" in (
        reasons[0].message
    )


def test_the_teachers_a_staffing_reason_asks_for_pass_the_check_when_added():
    problem = reference_problem("M", variant="tight_specials")

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["staff-minutes-short"]
    assert reasons[0].suggestion.startswith("Add 1 specials teacher for these cohorts")
    specials = reference_problem("M")  # the same school with its second specials teacher
    assert precheck(specials) == ()


def twelve_specials_classes(prep: int) -> Problem:
    """A 420-minute day in which one specials teacher teaches twelve 30-minute classes (the
    issue's specials teacher "back to back"), with ``prep`` minutes of prep and the default
    30-minute staff lunch."""
    cohorts = tuple(Cohort(n, f"1 Cohort {n}", 1, 25, homeroom=10 + n) for n in range(1, 13))
    day = Window(hm("8:00"), hm("15:00"))
    stations = (
        Station("specials", 30, 30, 30, venue=Venue.STAFF_ROOM, staff_role="specials"),
        Station("flex", 390, 30, 390, max_blocks=2, venue=Venue.HOMEROOM),
    )
    return Problem(
        school=1,
        date="2026-09-01",
        day=day,
        passing_minutes=0,
        granularity=5,
        rooms=(
            Room(1, "Specials room", RoomKind.CLASSROOM, 30),
            *(Room(10 + c.id, f"Room {c.id}", RoomKind.CLASSROOM, 30) for c in cohorts),
        ),
        cohorts=cohorts,
        templates=(GradeTemplate(1, stations),),
        staff=(StaffMember(1, "Ms. Arts", frozenset({"specials"}), 1, (day,), prep),),
        assignments=tuple(Assignment(c.id, "specials", (1,)) for c in cohorts),
        wellbeing=WellBeing(),
    )


def test_a_specials_teacher_with_no_time_left_for_lunch_is_refused_naming_her_and_lunch():
    # 360 minutes of teaching, 45 of prep and a 30-minute lunch do not fit in 420.
    reasons = precheck(twelve_specials_classes(prep=45))

    assert [(r.code, r.setting) for r in reasons] == [("staff-lunch", "school")]
    assert reasons[0].message == (
        "Ms. Arts has 375 minutes after prep and specials needs 360 of them, which leaves no "
        "time for Ms. Arts's 30-minute staff lunch between 10:45 and 13:30."
    )
    assert "staff lunch" in reasons[0].suggestion
    # With 15 minutes of prep they fit; the rules off, so does the 45-minute prep.
    assert precheck(twelve_specials_classes(prep=15)) == ()
    assert precheck(replace(twelve_specials_classes(prep=45), wellbeing=None)) == ()


def test_someone_whose_hours_hold_no_lunch_is_not_counted_a_lunch():
    # In only 8:00-10:45 (the model's exemption): 5 classes, 15 of prep fill the 165 minutes.
    problem = twelve_specials_classes(prep=15)
    problem = replace(
        problem,
        staff=(replace(problem.staff[0], available=(Window(hm("8:00"), hm("10:45")),)),),
        assignments=problem.assignments[:5],
    )
    problem = replace(problem, cohorts=problem.cohorts[:5])

    assert precheck(problem) == ()
    assert precheck(replace(problem, wellbeing=WellBeing(lunch_window=Window(600, 810)))) != ()


def test_running_out_of_work_is_not_called_impossible_nor_quotes_the_safety_seconds():
    problem = reference_problem("S")
    by_work = ModelSearch(
        DayModel(problem), SolveOptions(time_limit=120, work_limit=5)
    ).unexplained(cp_model.UNKNOWN)
    by_seconds = ModelSearch(DayModel(problem), SolveOptions(time_limit=20)).unexplained(
        cp_model.UNKNOWN
    )

    assert by_work.code == by_seconds.code == "time-limit"
    assert "120" not in by_work.message and "work limit (5 units)" in by_work.message
    assert by_seconds.message == (
        "The engine stopped after 20 s without finding a day; this does not mean none exists."
    )
    assert by_seconds.detail == (("seconds", 20),)


def test_a_lab_supervisor_out_all_day_is_named_once_as_the_cause():
    problem = reference_problem("M")
    lower = problem.supervision[0]
    out = problem.member(lower.supervisors[0])
    problem = replace(
        problem,
        staff=tuple(replace(s, available=()) if s.id == out.id else s for s in problem.staff),
    )

    reasons = precheck(problem)

    assert [r.code for r in reasons] == ["lab-supervision-short"]
    assert reasons[0].message.startswith(f"{out.name} is out on Tuesday 2026-11-24: Lower lab is")
    assert reasons[0].suggestion.startswith(
        f"Add a substitute to supervise Lower lab in place of {out.name}."
    )
    assert "lab seats" not in reasons[0].suggestion
