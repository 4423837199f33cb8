"""Goals, and pace and need: the pure arithmetic first, then ``need_scores`` on the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from learninglabs.models import (
    Program,
    ProgramGoal,
    ProgramKind,
    ProgressRecord,
    StudentGoal,
    Subject,
)
from learninglabs.pace import (
    DayProgress,
    Goal,
    GoalOverride,
    Status,
    compute_pace,
    lessons_trend,
    need_scores,
    pace_status,
    project_mastery_date,
    resolve_goal,
    subject_needs,
    week_fraction_elapsed,
    week_start,
    weekly_totals,
)

from ..factories import SchoolFactory, StudentFactory

WEDNESDAY = datetime.date(2026, 11, 18)
MONDAY = datetime.date(2026, 11, 16)
GOAL = Goal(weekly_minutes=100, lessons_per_week=10, mastery_target=80)


def day(date: datetime.date, minutes: int = 0, lessons: int = 0, mastery=None) -> DayProgress:
    return DayProgress(date=date, minutes=minutes, lessons=lessons, mastery=mastery)


def weeks_of_lessons(per_week: list[int], *, minutes: int = 100) -> list[DayProgress]:
    """One Monday per week, oldest first, the last in WEDNESDAY's week."""
    first = MONDAY - datetime.timedelta(weeks=len(per_week) - 1)
    return [
        day(first + datetime.timedelta(weeks=i), minutes=minutes, lessons=n)
        for i, n in enumerate(per_week)
    ]


# --- School weeks ---------------------------------------------------------------------------


def test_the_school_week_starts_on_monday_and_prorates_by_school_day():
    assert week_start(WEDNESDAY) == MONDAY
    assert week_start(datetime.date(2026, 11, 22)) == MONDAY  # Sunday belongs to its week
    assert week_fraction_elapsed(MONDAY) == 0.2
    assert week_fraction_elapsed(WEDNESDAY) == 0.6
    assert week_fraction_elapsed(datetime.date(2026, 11, 21)) == 1.0  # Saturday: all of it


def test_weekly_totals_add_each_week_and_ignore_days_after_the_date():
    days = [
        day(MONDAY - datetime.timedelta(days=3), minutes=40, lessons=2),  # the Friday before
        day(MONDAY, minutes=30, lessons=1),
        day(WEDNESDAY, minutes=20, lessons=1),
        day(WEDNESDAY + datetime.timedelta(days=1), minutes=99, lessons=9),  # after the date
    ]
    totals = weekly_totals(days, as_of=WEDNESDAY, weeks=2)
    assert [(w.start, w.minutes, w.lessons) for w in totals] == [
        (MONDAY - datetime.timedelta(weeks=1), 40, 2),
        (MONDAY, 50, 2),
    ]


# --- Goals ----------------------------------------------------------------------------------


def test_a_student_goal_overrides_only_the_numbers_it_sets():
    assert resolve_goal(GOAL, None) == GOAL
    assert resolve_goal(GOAL, GoalOverride(weekly_minutes=60)) == Goal(60, 10, 80)
    assert resolve_goal(GOAL, GoalOverride(lessons_per_week=0)) == Goal(100, 0, 80)
    assert resolve_goal(None, GoalOverride(weekly_minutes=45)) == Goal(45, 0, 0)
    assert resolve_goal(None, GoalOverride(mastery_target=90)) is None
    assert resolve_goal(None, None) is None


# --- Status ---------------------------------------------------------------------------------


def weeks(*totals: tuple[int, int]) -> list[DayProgress]:
    """(minutes, lessons) on one Monday a week, oldest first, the last in WEDNESDAY's week."""
    first = MONDAY - datetime.timedelta(weeks=len(totals) - 1)
    return [
        day(first + datetime.timedelta(weeks=i), minutes=m, lessons=n)
        for i, (m, n) in enumerate(totals)
    ]


def test_on_wednesday_sixty_minutes_of_a_hundred_is_on_track():
    pace = compute_pace(weeks((100, 10), (100, 10), (100, 10), (60, 6)), GOAL, as_of=WEDNESDAY)
    assert pace.minutes_this_week == 60
    assert pace.expected_minutes_this_week == 60.0
    assert pace.minutes_ratio == pytest.approx(1.0)
    assert pace.lessons_ratio == pytest.approx(1.0)
    assert pace.status == Status.ON_TRACK


def test_under_eighty_percent_of_the_prorated_minutes_is_behind():
    pace = compute_pace(weeks((100, 10), (100, 10), (100, 10), (47, 6)), GOAL, as_of=WEDNESDAY)
    assert pace.minutes_ratio == pytest.approx(47 / 60)
    assert pace.status == Status.BEHIND


def test_too_few_lessons_over_four_weeks_is_behind_even_with_the_minutes():
    days = weeks_of_lessons([2, 2, 2, 1])
    pace = compute_pace(days, GOAL, as_of=WEDNESDAY)
    assert pace.minutes_ratio > 1.2
    assert pace.lessons_ratio == pytest.approx(7 / (10 * 3.6))
    assert pace.status == Status.BEHIND


def test_over_a_hundred_and_twenty_percent_of_every_goal_is_ahead():
    days = weeks_of_lessons([15, 15, 15, 12], minutes=150)
    pace = compute_pace(days, GOAL, as_of=WEDNESDAY)
    assert pace.status == Status.AHEAD


def test_the_status_thresholds():
    assert pace_status([0.79]) == Status.BEHIND
    assert pace_status([0.8, 1.5]) == Status.ON_TRACK
    assert pace_status([1.2]) == Status.ON_TRACK
    assert pace_status([1.21, None]) == Status.AHEAD
    assert pace_status([1.5, 0.5]) == Status.BEHIND


# --- Trend and projection -------------------------------------------------------------------


def test_the_lessons_trend_is_the_weekly_slope_with_the_current_week_scaled_up():
    rising = weekly_totals(weeks_of_lessons([4, 6, 8, 6]), as_of=WEDNESDAY, weeks=4)
    # The current week's 6 lessons in 3 of 5 days count as 10: 4, 6, 8, 10 rise by 2 a week.
    assert lessons_trend(rising, as_of=WEDNESDAY) == pytest.approx(2.0)
    falling = weekly_totals(weeks_of_lessons([9, 6, 3, 0]), as_of=WEDNESDAY, weeks=4)
    assert lessons_trend(falling, as_of=WEDNESDAY) == pytest.approx(-3.0)


def test_mastery_projection_follows_the_current_pace():
    readings = [(datetime.date(2026, 11, 2), 50.0), (datetime.date(2026, 11, 12), 60.0)]
    per_day, projected = project_mastery_date(readings, target=80, as_of=WEDNESDAY)
    assert per_day == pytest.approx(1.0)
    assert projected == datetime.date(2026, 12, 2)  # 20 points at 1 a day after the 12th


def test_no_projection_without_progress_and_today_once_reached():
    flat = [(datetime.date(2026, 11, 2), 60.0), (datetime.date(2026, 11, 12), 60.0)]
    assert project_mastery_date(flat, target=80, as_of=WEDNESDAY) == (0.0, None)
    falling = [(datetime.date(2026, 11, 2), 60.0), (datetime.date(2026, 11, 12), 55.0)]
    assert project_mastery_date(falling, target=80, as_of=WEDNESDAY)[1] is None
    one = [(datetime.date(2026, 11, 12), 60.0)]
    assert project_mastery_date(one, target=80, as_of=WEDNESDAY) == (None, None)
    assert project_mastery_date([], target=80, as_of=WEDNESDAY) == (None, None)
    reached = [(datetime.date(2026, 11, 12), 85.0)]
    assert project_mastery_date(reached, target=80, as_of=WEDNESDAY)[1] == WEDNESDAY


# --- Need -----------------------------------------------------------------------------------


def test_need_is_zero_at_goal_and_one_with_nothing_done():
    at_goal = [*weeks_of_lessons([10, 10, 10, 10]), day(WEDNESDAY, mastery=80.0)]
    assert compute_pace(at_goal, GOAL, as_of=datetime.date(2026, 11, 20)).need == 0.0
    nothing = compute_pace([day(MONDAY, mastery=0.0)], GOAL, as_of=WEDNESDAY)
    assert nothing.need == 1.0
    assert nothing.status == Status.BEHIND


def test_need_grows_as_a_student_falls_behind():
    half = compute_pace(weeks_of_lessons([5, 5, 5, 3], minutes=50), GOAL, as_of=WEDNESDAY)
    quarter = compute_pace(weeks_of_lessons([2, 2, 2, 1], minutes=25), GOAL, as_of=WEDNESDAY)
    assert 0 < half.need < quarter.need < 1


def test_a_subjects_need_weighs_its_programs_by_their_minutes():
    needs = subject_needs([("math", 1.0, 90), ("math", 0.0, 30), ("literacy", 0.5, 60)])
    assert needs == {"math": 0.75, "literacy": 0.5}


# --- Models ---------------------------------------------------------------------------------


@pytest.fixture
def program(school_a) -> Program:
    return Program.objects.create(
        school=school_a.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )


def test_a_program_goal_out_of_range_names_its_fields(school_a, program):
    goal = ProgramGoal(
        school=school_a.school,
        program=program,
        grade=3,
        weekly_minutes=0,
        lessons_per_week=5000,
        mastery_target=101,
    )
    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert set(refused.value.message_dict) == {
        "weekly_minutes",
        "lessons_per_week",
        "mastery_target",
    }


def test_one_goal_per_program_and_grade(school_a, program):
    ProgramGoal.objects.create(school=school_a.school, program=program, grade=3, weekly_minutes=90)
    with pytest.raises(IntegrityError):
        ProgramGoal.objects.create(
            school=school_a.school, program=program, grade=3, weekly_minutes=60
        )


def test_a_program_goal_refuses_another_schools_program(school_a, school_b, program):
    goal = ProgramGoal(school=school_b.school, program=program, grade=3, weekly_minutes=90)
    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert "program" in refused.value.message_dict


def test_a_student_goal_needs_a_number_and_the_students_school(school_a, school_b, program):
    empty = StudentGoal(student=school_a.student, program=program)
    with pytest.raises(ValidationError) as refused:
        empty.full_clean()
    assert "weekly_minutes" in refused.value.message_dict
    stray = StudentGoal(student=school_b.student, program=program, weekly_minutes=30)
    with pytest.raises(ValidationError) as refused:
        stray.full_clean()
    assert "program" in refused.value.message_dict
    StudentGoal(student=school_a.student, program=program, mastery_target=70).full_clean()


# --- need_scores ----------------------------------------------------------------------------


def school_with_students(count: int):
    school = SchoolFactory.create()
    first = StudentFactory.create(school=school, enrollment_start=datetime.date(2026, 8, 1))
    students = [first] + [
        StudentFactory.create(
            school=school, cohort=first.cohort, enrollment_start=datetime.date(2026, 8, 1)
        )
        for _ in range(count - 1)
    ]
    math = Program.objects.create(
        school=school, name="ST Math", code="st-math", subject=Subject.MATH, kind="adaptive"
    )
    reading = Program.objects.create(
        school=school, name="Lexia", code="lexia", subject=Subject.LITERACY, kind="adaptive"
    )
    for program in (math, reading):
        ProgramGoal.objects.create(
            school=school, program=program, grade=3, weekly_minutes=100, lessons_per_week=0
        )
    records = []
    for i, student in enumerate(students):
        for week in range(4):
            records.append(
                ProgressRecord(
                    student=student,
                    program=math,
                    date=MONDAY - datetime.timedelta(weeks=week),
                    minutes=100 if i % 2 == 0 else 20,
                    mastery_level=Decimal(40 + week),
                )
            )
    ProgressRecord.objects.bulk_create(records)
    return school, students, math


@pytest.mark.parametrize("count", [2, 20])
def test_need_scores_reads_a_fixed_number_of_queries(db, count, django_assert_num_queries):
    school, students, _ = school_with_students(count)
    with django_assert_num_queries(5):
        needs = need_scores(school_id=school.pk, date=datetime.date(2026, 11, 20))
    assert set(needs) == {s.pk for s in students}
    assert needs[students[0].pk]["literacy"] == 1.0  # a goal and no minutes at all
    assert needs[students[0].pk]["math"] < needs[students[1].pk]["math"]


def test_need_scores_take_a_day_once_whatever_its_sources_and_follow_student_goals(db):
    school, students, math = school_with_students(2)
    friday = datetime.date(2026, 11, 20)
    diligent = students[0]
    ProgressRecord.objects.create(
        student=diligent, program=math, date=MONDAY, minutes=100, source="csv:mind"
    )
    StudentGoal.objects.create(student=students[1], program=math, weekly_minutes=20)
    needs = need_scores(school_id=school.pk, date=friday)
    # The CSV repeats the API's Monday: counted once, so the math minutes are exactly on goal;
    # the mastery gap (target 80, latest 40) is what remains.
    assert needs[diligent.pk]["math"] == pytest.approx(round(0.3 * 0.5 / 0.7, 4))
    # 20 minutes a week is this student's own goal: on goal too.
    assert needs[students[1].pk]["math"] == needs[diligent.pk]["math"]


def test_need_scores_leave_out_withdrawn_students_and_other_schools(db):
    school, students, _ = school_with_students(2)
    students[1].enrollment_end = datetime.date(2026, 10, 1)
    students[1].save()
    school_with_students(2)  # another school, with its own students and records
    needs = need_scores(school_id=school.pk, date=datetime.date(2026, 11, 20))
    assert set(needs) == {students[0].pk}
