"""Staff well-being (issue 18, item 3): a duty-free lunch inside a window (W1), a break in every
long stretch of teaching or supervising (W2), a split station's blocks apart (W3).

The school: six grade 1 cohorts of 25 from 8:00 to 13:00, each with 30 minutes of specials
(one specials teacher for all), 60 minutes of lab (50 seats, two ILS at 25 students each),
lunch in the cafeteria and flex in the homeroom. Without the rules the specials teacher may
teach three hours straight and an ILS may watch the lab all day.

Then hand-made days the validator flags with the right code, a school built end to end through
the Django build with the default rules, and two property checks that the model's break chain and
a lone supervisor's rests refuse exactly the days the validator refuses (never a valid one).
"""

import itertools
import random
from dataclasses import replace
from types import SimpleNamespace

import pytest
from ortools.sat.python import cp_model

from bench.reference import hm as at
from scheduling.models import RoomKind as StoredRoomKind
from scheduling.models import SchoolSchedulingSettings, StationCode
from scheduling.selectors.problem import problem_for
from scheduling.services.builds import schedule_build
from scheduling.services.day_builds import stored_blocks
from scheduling.solver.grid import snap_problem
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    Infeasible,
    LabSupervision,
    PlacedBlock,
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
from scheduling.solver.stage1 import DayModel, solve
from scheduling.solver.validate import validate
from students.models import GradeLevel, Role

from ..factories import (
    CohortFactory,
    GradeFactory,
    RoomFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..solver_limits import work_limited
from .factories import (
    CalendarDayFactory,
    DayTypeFactory,
    HomeroomFactory,
    LabFactory,
    LabSupervisionFactory,
    RotationTemplateFactory,
    StaffingAssignmentFactory,
    TeachingRoomFactory,
    add_stations,
)
from .test_selectors import DATE, T

QUICK = work_limited(workers=1, seed=5)
SPECIALS, ILS_1, ILS_2, LITERACY = 1, 2, 3, 4
LAB, CAFETERIA, SPECIALS_ROOM, LITERACY_ROOM = 100, 101, 102, 103
RULES = WellBeing()


def ms_arts(hours: Window, prep: int = 0) -> StaffMember:
    """The specials teacher, at school for ``hours``."""
    return StaffMember(SPECIALS, "Ms. Arts", frozenset({"specials"}), SPECIALS_ROOM, (hours,), prep)


def six_cohorts(wellbeing: WellBeing | None = RULES) -> Problem:
    hours = (Window(at("7:45"), at("13:00")),)
    cohorts = tuple(Cohort(n, f"1 Cohort {n}", 1, 25, homeroom=10 + n) for n in range(1, 7))
    stations = (
        Station("specials", 30, 30, 30, venue=Venue.STAFF_ROOM, staff_role="specials"),
        Station("lab", 60, 60, 60, venue=Venue.LAB),
        Station(
            "lunch", 30, 30, 30, venue=Venue.CAFETERIA, window=Window(at("10:45"), at("12:30"))
        ),
        Station("flex", 180, 30, 180, max_blocks=3, venue=Venue.HOMEROOM),
    )
    return Problem(
        school=1,
        date="2026-09-01",
        day=Window(at("8:00"), at("13:00")),
        passing_minutes=0,
        granularity=5,
        rooms=(
            Room(LAB, "Lab", RoomKind.LEARNING_LAB, 50, grades=frozenset({1})),
            Room(CAFETERIA, "Cafeteria", RoomKind.CAFETERIA, 6),
            Room(SPECIALS_ROOM, "Specials room", RoomKind.CLASSROOM, 30),
            *(Room(10 + n, f"Room {n}", RoomKind.CLASSROOM, 30) for n in range(1, 7)),
        ),
        cohorts=cohorts,
        templates=(GradeTemplate(1, stations),),
        staff=(
            ms_arts(hours[0], prep=45),
            StaffMember(ILS_1, "Mr. One", frozenset({"ils"}), LAB, hours),
            StaffMember(ILS_2, "Ms. Two", frozenset({"ils"}), LAB, hours),
        ),
        assignments=tuple(Assignment(c.id, "specials", (SPECIALS,)) for c in cohorts),
        supervision=(LabSupervision(LAB, (ILS_1, ILS_2), 25),),
        wellbeing=wellbeing,
    )


def stretches(spans: list[tuple[int, int]], min_break: int) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if joined and start - joined[-1][1] < min_break:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def codes(violations) -> set[str]:
    return {v.constraint for v in violations if v.constraint.startswith("W")}


# --- the solver keeps the rules --------------------------------------------------------------


def test_a_day_built_with_the_rules_gives_the_specials_teacher_lunch_and_breaks():
    problem = six_cohorts()

    result = solve(problem, QUICK)

    assert isinstance(result, Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()
    taught = [(b.start, b.end) for b in result.blocks if SPECIALS in b.staff]
    assert len(taught) == 6
    # Checked here on the blocks themselves, apart from the validator.
    assert all(end - start <= 150 for start, end in stretches(taught, 10))
    edges = [(0, at("7:45")), *sorted(taught), (at("13:00"), 0)]
    free = [(a_end, b_start) for (_, a_end), (b_start, _) in itertools.pairwise(edges)]
    window = RULES.lunch_window
    assert any(min(b, window.end) - max(a, window.start) >= 30 for a, b in free)


def test_the_lab_leaves_each_supervisor_time_for_lunch():
    problem = six_cohorts()

    result = solve(problem, QUICK)

    assert isinstance(result, Solution), getattr(result, "reasons", result)
    # One ILS watches 25 students: while one is at lunch, at most one cohort is in the lab.
    in_lab = sorted((b.start, b.end) for b in result.blocks if b.station == "lab")
    window = RULES.lunch_window
    one_cohort = [
        t for t in range(window.start, window.end) if sum(s <= t < e for s, e in in_lab) <= 1
    ]
    assert len(one_cohort) >= 2 * RULES.lunch_minutes


def test_without_the_rules_the_day_may_break_them_and_the_validator_says_so():
    problem = six_cohorts(wellbeing=None)
    # A hand-made day: the specials teacher takes the six cohorts back to back from 8:00.
    blocks = tuple(
        PlacedBlock(n, "specials", at("8:00") + 30 * (n - 1), at("8:30") + 30 * (n - 1), None)
        for n in range(1, 7)
    )
    blocks = tuple(replace(b, room=SPECIALS_ROOM, staff=(SPECIALS,)) for b in blocks)

    assert codes(validate(problem, blocks)) == set()
    found = [v for v in validate(replace(problem, wellbeing=RULES), blocks) if v.staff == SPECIALS]

    assert [(v.constraint, v.message) for v in found if v.constraint.startswith("W")] == [
        (
            "W2",
            "Ms. Arts (staff 1) teaches from 8:00 to 11:00, 180 minutes without a break of 10; "
            "at most 150 allowed",
        )
    ]


def test_a_teacher_with_twelve_classes_back_to_back_gets_no_lunch_and_no_break():
    cohorts = tuple(Cohort(n, f"1 Cohort {n}", 1, 25, homeroom=10 + n) for n in range(1, 13))
    problem = replace(
        six_cohorts(),
        day=Window(at("8:00"), at("15:00")),
        cohorts=cohorts,
        assignments=tuple(Assignment(c.id, "specials", (SPECIALS,)) for c in cohorts),
    )
    blocks = [
        PlacedBlock(
            n, "specials", at("9:00") + 30 * (n - 1), at("9:30") + 30 * (n - 1), SPECIALS_ROOM
        )
        for n in range(1, 13)
    ]
    blocks = [replace(b, staff=(SPECIALS,)) for b in blocks]

    found = [v for v in validate(problem, blocks) if v.constraint.startswith("W")]

    assert [(v.constraint, v.staff, v.message) for v in found if v.staff == SPECIALS] == [
        (
            "W1",
            SPECIALS,
            "Ms. Arts (staff 1) has no free minute for lunch between 10:45 and 13:30; lunch "
            "takes 30",
        ),
        (
            "W2",
            SPECIALS,
            "Ms. Arts (staff 1) teaches from 9:00 to 15:00, 360 minutes without a break of 10; "
            "at most 150 allowed",
        ),
    ]


def test_passing_time_between_blocks_is_no_break_but_ten_free_minutes_are():
    problem = replace(six_cohorts(), passing_minutes=5)
    staffed = {"room": SPECIALS_ROOM, "staff": (SPECIALS,)}
    back_to_back = [
        PlacedBlock(n, "specials", at("8:00") + 35 * (n - 1), at("8:30") + 35 * (n - 1), **staffed)
        for n in range(1, 6)
    ]
    with_a_break = [
        *back_to_back[:4],
        PlacedBlock(5, "specials", at("10:25"), at("10:55"), **staffed),
    ]

    assert "W2" in codes(validate(problem, back_to_back))  # 8:00-10:50 with 5-minute gaps
    assert "W2" not in codes(validate(problem, with_a_break))  # 10:15-10:25 is a break


def test_lunch_and_prep_must_both_fit_around_the_blocks():
    problem = replace(
        six_cohorts(),
        staff=(ms_arts(Window(at("10:00"), at("12:00")), prep=45),),
        supervision=(),
    )
    staffed = {"room": SPECIALS_ROOM, "staff": (SPECIALS,)}
    # Free 10:00-10:30 and 11:00-12:00: a lunch and 45 minutes of prep, but not both.
    blocks = [PlacedBlock(1, "specials", at("10:30"), at("11:00"), **staffed)]

    found = [v for v in validate(problem, blocks) if v.constraint in ("W1", "H7")]

    assert [(v.constraint, v.message) for v in found] == [
        (
            "W1",
            "Ms. Arts (staff 1) has no room for both a 30-minute lunch between 10:45 and 13:30 "
            "and 45 minutes of prep between 8:00 and 13:00",
        )
    ]


def test_someone_away_for_the_lunch_window_needs_no_lunch():
    problem = replace(
        six_cohorts(),
        staff=(ms_arts(Window(at("8:00"), at("11:00"))),),
        supervision=(),
    )
    blocks = [
        PlacedBlock(1, "specials", at("10:30"), at("11:00"), SPECIALS_ROOM, staff=(SPECIALS,))
    ]

    assert "W1" not in codes(validate(problem, blocks))


def test_a_split_station_back_to_back_with_one_teacher_is_flagged():
    literacy = Station(
        "literacy", 120, 30, 90, max_blocks=2, venue=Venue.STAFF_ROOM, staff_role="humanities"
    )
    base = six_cohorts()
    problem = replace(
        base,
        templates=(GradeTemplate(1, (*base.templates[0].stations, literacy)),),
        staff=(
            *base.staff,
            StaffMember(
                LITERACY,
                "Mr. Words",
                frozenset({"humanities"}),
                LITERACY_ROOM,
                base.staff[0].available,
            ),
        ),
        rooms=(*base.rooms, Room(LITERACY_ROOM, "Literacy room", RoomKind.CLASSROOM, 30)),
    )
    staffed = {"room": LITERACY_ROOM, "staff": (LITERACY,)}
    together = [
        PlacedBlock(1, "literacy", at("8:00"), at("9:00"), **staffed),
        PlacedBlock(1, "literacy", at("9:00"), at("10:00"), **staffed),
    ]
    apart = [
        PlacedBlock(1, "literacy", at("8:00"), at("9:00"), **staffed),
        PlacedBlock(1, "flex", at("9:00"), at("9:30"), 11),
        PlacedBlock(1, "literacy", at("9:30"), at("10:30"), **staffed),
    ]

    flagged = [v for v in validate(problem, together) if v.constraint == "W3"]

    assert [(v.cohort, v.staff, v.message) for v in flagged] == [
        (
            1,
            LITERACY,
            "1 Cohort 1 (cohort 1) has literacy 8:00-9:00 and literacy 9:00-10:00 back to back "
            "with the same teacher, Mr. Words (staff 4)",
        )
    ]
    assert "W3" not in codes(validate(problem, apart))
    assert "W3" not in codes(validate(replace(problem, wellbeing=None), together))


def test_a_lab_full_through_the_lunch_window_leaves_its_supervisors_no_lunch():
    problem = six_cohorts()
    # Two cohorts (50 students, both ILS needed) in the lab from 10:30 to 13:00.
    blocks = [
        PlacedBlock(1, "lab", at("10:30"), at("11:30"), LAB),
        PlacedBlock(2, "lab", at("10:30"), at("11:30"), LAB),
        PlacedBlock(3, "lab", at("11:30"), at("12:30"), LAB),
        PlacedBlock(4, "lab", at("11:30"), at("12:30"), LAB),
        PlacedBlock(5, "lab", at("12:30"), at("13:00"), LAB),
        PlacedBlock(6, "lab", at("12:30"), at("13:00"), LAB),
    ]

    found = [v for v in validate(problem, blocks) if v.constraint == "W1" and v.room == LAB]

    assert [(v.staff, v.message) for v in found] == [
        (
            None,
            "Lab (room 100) leaves 0 supervisor-minutes free between 10:45 and 13:30; its 2 "
            "supervisors' lunches need 60",
        ),
        (
            ILS_1,
            "Mr. One (staff 2) has no 30 minutes in a row between 10:45 and 13:30 when the "
            "others can watch Lab (room 100) alone, for lunch",
        ),
        (
            ILS_2,
            "Ms. Two (staff 3) has no 30 minutes in a row between 10:45 and 13:30 when the "
            "others can watch Lab (room 100) alone, for lunch",
        ),
    ]
    # Rested until 10:30, on duty for 150 minutes to dismissal: no break is missing.
    assert "W2" not in codes(validate(problem, blocks))


def test_a_conflict_with_the_staff_lunch_is_named():
    # The specials teacher is there 10:00-12:00 and teaches four 30-minute classes in a row.
    base = six_cohorts(wellbeing=replace(RULES, max_stretch=300))
    problem = replace(
        base,
        staff=(ms_arts(Window(at("10:00"), at("12:00"))), *base.staff[1:]),
        cohorts=base.cohorts[:4],
        assignments=base.assignments[:4],
    )

    result = solve(problem, QUICK)

    assert isinstance(result, Infeasible)
    assert "staff-lunch" in {r.code for r in result.reasons}
    assert any(
        "Ms. Arts's 30-minute staff lunch between 10:45 and 13:30" in r.message
        for r in result.reasons
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_every_day_the_solver_returns_with_the_rules_passes_the_validator(seed):
    problem = six_cohorts()

    result = solve(problem, work_limited(workers=1, seed=seed))

    assert isinstance(result, Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()


# --- end to end: the school's settings reach the build ----------------------------------------


@pytest.mark.django_db
def test_a_school_day_with_the_default_rules_builds_and_keeps_them():
    """Ms. Rivera teaches both cohorts' 120 minutes of literacy in a day of 300 minutes that
    ends with her hours at 13:00: with 25 minutes of prep she has just room for a lunch and her
    breaks; Mr. Okafor watches the lab alone and rests while it is empty."""
    school = SchoolFactory(name="Alder")
    day_type = DayTypeFactory(school=school, day_start=T(8, 0), dismissal=T(13, 0))
    CalendarDayFactory(school=school, date=DATE, day_type=day_type)
    SchoolSchedulingSettings.objects.create(school=school, prep_minutes=25)
    grade = GradeFactory(school=school, level=GradeLevel.K)
    template = RotationTemplateFactory(school=school, grade=grade, day_type=day_type)
    add_stations(
        template,
        [
            ("literacy", 120, 45, 75, 2, Venue.STAFF_ROOM, Role.HUMANITIES, None),
            ("lab", 60, 60, 60, 1, Venue.LAB, "", None),
            ("lunch", 30, 30, 30, 1, Venue.CAFETERIA, "", (T(10, 30), T(12, 30))),
            ("flex", 90, 30, 90, 2, Venue.HOMEROOM, "", None),
        ],
    )
    cohorts = [CohortFactory(school=school, grade=grade, name=f"K {n}") for n in ("A", "B")]
    for cohort in cohorts:
        HomeroomFactory(school=school, homeroom_of=cohort, name=f"Room {cohort.name}")
        StudentFactory.create_batch(15, school=school, cohort=cohort, grade=grade)
    lab = LabFactory(school=school, capacity=30)
    lab.grades.set([grade])
    RoomFactory(school=school, name="Cafeteria", kind=StoredRoomKind.CAFETERIA, capacity=2)
    rivera = StaffFactory(
        school=school,
        user=UserFactory(first_name="Ms.", last_name="Rivera"),
        roles=[Role.HUMANITIES],
        work_start=T(7, 30),
        work_end=T(13, 0),
    )
    okafor = StaffFactory(school=school, roles=[Role.ILS], work_start=T(7, 30), work_end=T(13, 0))
    TeachingRoomFactory(school=school, staff=rivera, room=RoomFactory(school=school))
    LabSupervisionFactory(school=school, lab=lab, supervisors=[okafor], students_per_adult=30)
    for cohort in cohorts:
        StaffingAssignmentFactory(
            school=school, cohort=cohort, station=StationCode.LITERACY, staff=[rivera]
        )

    result = schedule_build(school=school, date=DATE, options=QUICK)

    assert result.schedule is not None, result.reasons
    problem = problem_for(school=school, date=DATE)
    assert problem.wellbeing == WellBeing()
    blocks = stored_blocks(result.schedule)
    assert validate(problem, blocks) == ()
    taught = sorted((b.start, b.end) for b in blocks if rivera.pk in b.staff)
    assert sum(end - start for start, end in taught) == 240
    assert all(end - start <= 150 for start, end in stretches(taught, 10))


# --- the break chain refuses exactly the days the validator refuses ---------------------------


def random_teaching_day(seed: int) -> tuple[Problem, list[PlacedBlock]]:
    """One teacher's blocks on a 5-minute grid with random pauses (none, passing time, a break
    or longer), under random rules, as a problem the validator can judge."""
    rng = random.Random(seed)
    day = Window(at("8:00"), at("8:00") + rng.choice((180, 300, 435)))
    rules = WellBeing(max_stretch=rng.choice((60, 90, 150)), min_break=rng.choice((5, 10, 15)))
    spans, cursor = [], day.start + rng.choice((0, 0, 5, 20))
    while True:
        length = rng.randrange(15, 125, 5)
        if cursor + length > day.end:
            break
        spans.append((cursor, cursor + length))
        cursor += length + rng.choice((0, 0, 5, 5, 10, 15, 20, 60))
    cohorts = tuple(Cohort(n, f"C{n}", 1, 20, homeroom=SPECIALS_ROOM) for n in range(len(spans)))
    problem = replace(
        six_cohorts(wellbeing=rules),
        day=day,
        cohorts=cohorts,
        staff=(ms_arts(Window(0, 1440)),),
        supervision=(),
    )
    blocks = [
        PlacedBlock(n, "specials", start, end, SPECIALS_ROOM, (SPECIALS,))
        for n, (start, end) in enumerate(spans)
    ]
    return problem, blocks


@pytest.mark.parametrize("seed", range(60))
def test_the_break_chain_accepts_exactly_the_days_with_every_stretch_short_enough(seed):
    problem, blocks = random_teaching_day(seed)
    validator_ok = "W2" not in codes(validate(problem, blocks))

    stage = DayModel(problem)
    unit = problem.granularity
    teaching = [
        stage.model.new_fixed_size_interval_var(b.start // unit, b.minutes // unit, "")
        for b in blocks
    ]
    stage.add_breaks(problem.member(SPECIALS), teaching)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 5.0
    status = solver.solve(stage.model)

    assert status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    assert (status == cp_model.OPTIMAL) == validator_ok


def test_a_stored_staff_lunch_window_off_the_grid_narrows_or_is_refused():
    off_grid = replace(RULES, lunch_window=Window(at("10:47"), at("13:30")))

    snapped = snap_problem(six_cohorts(wellbeing=off_grid))

    assert snapped.refused == ()
    assert snapped.problem.wellbeing == replace(
        RULES, lunch_window=Window(at("10:50"), at("13:30"))
    )
    too_short = replace(RULES, lunch_window=Window(at("12:02"), at("12:33")))
    refused = snap_problem(six_cohorts(wellbeing=too_short)).refused
    assert [r.setting for r in refused] == ["settings:staff_lunch"]


# --- one supervisor: the rest model agrees with the validator ---------------------------------


def random_lab_day(seed: int) -> tuple[Problem, list[PlacedBlock]]:
    """One ILS alone with a lab that cohorts of 25 use one at a time, at random: with one adult
    the supervisor can rest only while the lab is empty, so the validator's conditions decide
    exactly whether a lunch and the breaks fit."""
    rng = random.Random(seed)
    day = Window(at("8:00"), at("8:00") + rng.choice((240, 300, 360)))
    hours = rng.choice(
        (day, Window(day.start, day.end + 60), Window(day.start + 60, day.end), Window(0, 1440))
    )
    rules = WellBeing(max_stretch=rng.choice((90, 150)), min_break=rng.choice((5, 10, 15)))
    spans, cursor = [], day.start + rng.choice((0, 5, 30))
    while True:
        length = rng.randrange(20, 125, 5)
        if cursor + length > day.end:
            break
        spans.append((cursor, cursor + length))
        cursor += length + rng.choice((0, 5, 10, 15, 30, 45))
    cohorts = tuple(Cohort(n, f"C{n}", 1, 25, homeroom=SPECIALS_ROOM) for n in range(len(spans)))
    problem = replace(
        six_cohorts(wellbeing=rules),
        day=day,
        cohorts=cohorts,
        staff=(StaffMember(ILS_1, "Mr. One", frozenset({"ils"}), LAB, (hours,)),),
        supervision=(LabSupervision(LAB, (ILS_1,), 30),),
    )
    blocks = [PlacedBlock(n, "lab", start, end, LAB) for n, (start, end) in enumerate(spans)]
    return problem, blocks


@pytest.mark.parametrize("seed", range(40))
def test_a_lone_supervisors_rests_fit_exactly_when_the_validator_says_so(seed):
    problem, blocks = random_lab_day(seed)
    # Students in the lab while the supervisor is away break H6, which this cumulative holds too.
    validator_ok = not [v for v in validate(problem, blocks) if v.constraint in ("H6", "W1", "W2")]

    stage = DayModel(problem)
    unit = problem.granularity
    entries = [
        (
            SimpleNamespace(cohort=problem.cohort(b.cohort)),
            stage.model.new_fixed_size_interval_var(b.start // unit, b.minutes // unit, ""),
        )
        for b in blocks
    ]
    stage.add_supervisor_rests(problem.supervision[0], entries)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 5.0
    status = solver.solve(stage.model)

    assert status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    assert (status == cp_model.OPTIMAL) == validator_ok
