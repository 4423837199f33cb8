"""The engine's one clock and grade names, and the template rules models and pre-checks share."""

import datetime

from scheduling.solver.clock import (
    clock,
    clock_span,
    grade_name,
    minutes_of,
    reclocked,
    time_of,
)
from scheduling.solver.precheck import precheck
from scheduling.solver.problem import (
    Cohort,
    GradeTemplate,
    Problem,
    Room,
    RoomKind,
    Station,
    Window,
)
from scheduling.solver.rules import DayGap, cannot_split, day_gap, day_gap_message, reachable


def test_minutes_of_the_day_are_written_as_h_mm_and_read_back():
    assert minutes_of(datetime.time(9, 5)) == 545
    assert time_of(545) == datetime.time(9, 5)
    assert clock(545) == "9:05"
    assert clock(15 * 60) == "15:00"
    assert clock_span(480, 540) == "8:00-9:00"


def test_reclocked_replaces_only_the_times_clock_writes():
    text = "literacy 8:00-9:05 (ratio 1:2:3, at 12:30:00)"
    assert reclocked(text, lambda minutes: f"<{minutes}>") == (
        "literacy <480>-<545> (ratio 1:2:3, at 12:30:00)"
    )


def test_a_grade_has_one_name_in_words_and_one_as_a_label():
    assert [grade_name(level) for level in (0, 1, 5)] == ["kindergarten", "grade 1", "grade 5"]
    assert [grade_name(level, short=True) for level in (0, 1, 5)] == ["K", "1", "5"]


def test_reachable_minutes_are_sums_of_allowed_blocks():
    assert reachable(90, 40, 60, 5, 2)
    assert not reachable(90, 40, 60, 20, 2)  # steps of 20 allow only 40 and 60
    assert not reachable(120, 45, 90, 5, 1)


def test_cannot_split_names_the_step_only_when_it_is_the_reason():
    assert cannot_split("lab", 90, 40, 60, 5, 2) is None
    assert cannot_split("lab", 90, 40, 60, 20, 2) == (
        "lab needs 90 minutes, which cannot be made of at most 2 blocks of 40-60 minutes "
        "in steps of 20."
    )
    assert cannot_split("literacy", 120, 45, 90, 5, 1) == (
        "literacy needs 120 minutes, which cannot be made of at most 1 block of 45-90 minutes."
    )


def test_day_gap_counts_a_passing_time_between_each_two_blocks():
    assert day_gap([(60, 1), (55, 2)], day_minutes=120, passing=5) is None
    assert day_gap([(60, 1), (50, 1)], day_minutes=120, passing=5) == DayGap(total=110, short=5)
    assert day_gap([(90, 1), (40, 1)], day_minutes=120, passing=0) == DayGap(total=130, short=-10)


def test_the_pre_check_says_the_day_fill_in_the_models_words():
    day = Window(480, 600)
    problem = Problem(
        school=1,
        date="2026-09-14",
        day=day,
        passing_minutes=0,
        granularity=5,
        rooms=(Room(1, "Room 1", RoomKind.CLASSROOM, 1),),
        cohorts=(Cohort(1, "K Adams", 0, 20, homeroom=1),),
        templates=(GradeTemplate(0, (Station("literacy", 90, 45, 90),)),),
        staff=(),
        assignments=(),
    )
    (reason,) = precheck(problem)
    assert reason.code == "minutes-do-not-fill-day"
    assert reason.message == day_gap_message(
        "Kindergarten",
        DayGap(total=90, short=30),
        passing=0,
        day="8:00 to 10:00",
        day_minutes=120,
    )
    assert reason.message == (
        "Kindergarten's stations add up to 90 minutes but the day from 8:00 to 10:00 is "
        "120 minutes."
    )
