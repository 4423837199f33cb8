"""Pace and need: how each student is doing in each program against its goal.

The arithmetic lives in pure functions on frozen dataclasses (``compute_pace`` and what it calls),
so it is tested without a database; the selectors at the bottom load what it needs in a fixed
number of queries and hand it plain numbers. Stage 2 reads only ``need_scores``.

Definitions (all dates are school dates, i.e. in the school's time zone):

- The *school week* starts on Monday and holds five school days (Monday-Friday). On a weekday
  ``d`` the goal is pro-rated to the days elapsed including ``d`` (Wednesday: 3/5 of the weekly
  goal); on a weekend the whole week has elapsed. Holidays are not known here and count as days.
- A day's numbers are the largest any source reported for it: two sources (the API and a
  vendor's CSV) describe the same work, so they are not added.
- *Minutes ratio*: minutes this week / the pro-rated weekly minutes goal.
- *Lessons ratio*: lessons over the last ``TREND_WEEKS`` weeks (this one included) / the lessons
  goal pro-rated over the same span. Not measured when the goal asks for no lessons.
- *Status*: ``behind`` when any measured ratio is below ``BEHIND_BELOW`` (80%), ``ahead`` when
  every measured ratio is above ``AHEAD_ABOVE`` (120%), otherwise ``on_track``.
- *Lessons trend*: the least-squares slope of lessons per week over the last ``TREND_WEEKS``
  weeks (the current week scaled up to a full week), in lessons per week per week.
- *Mastery pace*: the least-squares slope of the mastery readings of the last ``TREND_WEEKS``
  weeks, in points a day. The *projected date* is when that pace, continued from the latest
  reading (its date and level), reaches the mastery target: the as-of date when already reached,
  ``None`` without two readings on different days or without a positive pace.
- *Need* (0 = none, 1 = most): a weighted mean of the minutes shortfall over the trend window,
  the lessons shortfall and the mastery gap ((target - latest) / target), each in 0..1; weights
  ``NEED_WEIGHTS``, re-normalised over the parts that are measured. A student's need in a subject
  is the mean of their programs' needs in it, weighted by each program's weekly minutes goal.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from rocketship.charts import (
    Box,
    Scale,
    ValueChart,
    bars,
    chart_date,
    headroom_top,
    polyline,
)
from students.models import Cohort, Student

from .models import Program, ProgramGoal, ProgressRecord, StudentGoal

SCHOOL_DAYS_PER_WEEK = 5
# Below 80% of the pro-rated goal a student is behind; above 120% ahead. A 20% band keeps a
# student who missed one lab session of five from being flagged the same afternoon.
BEHIND_BELOW = 0.8
AHEAD_ABOVE = 1.2
# Four weeks: long enough that one absent week does not make a trend, short enough to react
# within a grading period.
TREND_WEEKS = 4
# The student page shows two months of weekly minutes.
CHART_WEEKS = 8
# Time in the program is what the lab controls, so it weighs most.
NEED_WEIGHTS = {"minutes": 0.4, "lessons": 0.3, "mastery": 0.3}


class Status(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AHEAD = "ahead"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


# What the progress pages call each status; translated when a page shows it.
STATUS_LABELS = {
    Status.ON_TRACK: gettext_lazy("On track"),
    Status.BEHIND: gettext_lazy("Behind"),
    Status.AHEAD: gettext_lazy("Ahead"),
}


@dataclass(frozen=True)
class Goal:
    weekly_minutes: int
    lessons_per_week: int
    mastery_target: int


@dataclass(frozen=True)
class GoalOverride:
    """A student's own numbers; ``None`` means "the grade's"."""

    weekly_minutes: int | None = None
    lessons_per_week: int | None = None
    mastery_target: int | None = None


@dataclass(frozen=True)
class DayProgress:
    date: datetime.date
    minutes: int
    lessons: int
    mastery: float | None = None


@dataclass(frozen=True)
class WeekTotal:
    start: datetime.date
    minutes: int
    lessons: int


@dataclass(frozen=True)
class Pace:
    as_of: datetime.date
    goal: Goal
    week_start: datetime.date
    minutes_this_week: int
    expected_minutes_this_week: float
    minutes_ratio: float
    weeks: tuple[WeekTotal, ...]  # the trend window, oldest first; the last is this week
    lessons_ratio: float | None
    lessons_trend: float | None
    mastery: float | None  # the latest reading in the window
    mastery_per_day: float | None
    projected_date: datetime.date | None
    status: Status
    need: float


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_fraction_elapsed(day: datetime.date) -> float:
    """The share of ``day``'s school week that has passed by the end of ``day``."""
    return min(day.weekday() + 1, SCHOOL_DAYS_PER_WEEK) / SCHOOL_DAYS_PER_WEEK


def resolve_goal(grade_goal: Goal | None, override: GoalOverride | None) -> Goal | None:
    """The student's goal: the grade's numbers with the student's own where set; ``None`` when
    neither sets weekly minutes (nothing to measure against)."""
    if override is None:
        return grade_goal
    base = grade_goal or Goal(weekly_minutes=0, lessons_per_week=0, mastery_target=0)
    goal = Goal(
        weekly_minutes=_own_or(override.weekly_minutes, base.weekly_minutes),
        lessons_per_week=_own_or(override.lessons_per_week, base.lessons_per_week),
        mastery_target=_own_or(override.mastery_target, base.mastery_target),
    )
    return goal if goal.weekly_minutes > 0 else None


def _own_or(own: int | None, grade: int) -> int:
    return grade if own is None else own


def weekly_totals(
    days: Iterable[DayProgress], *, as_of: datetime.date, weeks: int
) -> tuple[WeekTotal, ...]:
    """Minutes and lessons of each of the ``weeks`` school weeks ending with ``as_of``'s."""
    last = week_start(as_of)
    starts = [last - datetime.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    minutes = dict.fromkeys(starts, 0)
    lessons = dict.fromkeys(starts, 0)
    for day in days:
        start = week_start(day.date)
        if start in minutes and day.date <= as_of:
            minutes[start] += day.minutes
            lessons[start] += day.lessons
    return tuple(WeekTotal(s, minutes[s], lessons[s]) for s in starts)


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of ``points`` (x, y); ``None`` without two distinct x."""
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def lessons_trend(weeks: Sequence[WeekTotal], *, as_of: datetime.date) -> float | None:
    """Change in lessons per week from one week to the next (the current week scaled up)."""
    rates = [float(w.lessons) for w in weeks]
    if rates:
        rates[-1] /= week_fraction_elapsed(as_of)
    return slope(list(enumerate(rates)))


def project_mastery_date(
    readings: Sequence[tuple[datetime.date, float]], *, target: float, as_of: datetime.date
) -> tuple[float | None, datetime.date | None]:
    """(points a day, the date the target is reached at that pace) from dated readings."""
    if not readings:
        return None, None
    readings = sorted(readings)
    latest = readings[-1][1]
    per_day = slope([(float(d.toordinal()), level) for d, level in readings])
    if latest >= target:
        return per_day, as_of
    if per_day is None or per_day <= 0:
        return per_day, None
    latest_date = readings[-1][0]
    # Rounded first so float noise (14.000000000000002 days) does not add a day.
    days = math.ceil(round((target - latest) / per_day, 6))
    return per_day, latest_date + datetime.timedelta(days=days)


def pace_status(ratios: Iterable[float | None]) -> Status:
    measured = [r for r in ratios if r is not None]
    if any(r < BEHIND_BELOW for r in measured):
        return Status.BEHIND
    if measured and all(r > AHEAD_ABOVE for r in measured):
        return Status.AHEAD
    return Status.ON_TRACK


def need_score(
    *, minutes_ratio: float, lessons_ratio: float | None, mastery: float | None, target: int
) -> float:
    parts = {"minutes": 1 - min(1.0, max(0.0, minutes_ratio))}
    if lessons_ratio is not None:
        parts["lessons"] = 1 - min(1.0, max(0.0, lessons_ratio))
    if mastery is not None and target > 0:
        parts["mastery"] = min(1.0, max(0.0, (target - mastery) / target))
    weight = sum(NEED_WEIGHTS[k] for k in parts)
    return round(sum(NEED_WEIGHTS[k] * v for k, v in parts.items()) / weight, 4)


def compute_pace(days: Sequence[DayProgress], goal: Goal, *, as_of: datetime.date) -> Pace:
    """Where one student stands in one program on ``as_of`` (later days are ignored)."""
    fraction = week_fraction_elapsed(as_of)
    weeks = weekly_totals(days, as_of=as_of, weeks=TREND_WEEKS)
    this_week = weeks[-1]
    expected_minutes = goal.weekly_minutes * fraction
    minutes_ratio = this_week.minutes / expected_minutes
    span_weeks = TREND_WEEKS - 1 + fraction
    window_minutes_ratio = sum(w.minutes for w in weeks) / (goal.weekly_minutes * span_weeks)
    lessons_ratio = None
    if goal.lessons_per_week > 0:
        lessons_ratio = sum(w.lessons for w in weeks) / (goal.lessons_per_week * span_weeks)
    window_start = weeks[0].start
    readings = [
        (d.date, d.mastery)
        for d in days
        if d.mastery is not None and window_start <= d.date <= as_of
    ]
    per_day, projected = project_mastery_date(readings, target=goal.mastery_target, as_of=as_of)
    mastery = max(readings)[1] if readings else None
    return Pace(
        as_of=as_of,
        goal=goal,
        week_start=this_week.start,
        minutes_this_week=this_week.minutes,
        expected_minutes_this_week=round(expected_minutes, 1),
        minutes_ratio=minutes_ratio,
        weeks=weeks,
        lessons_ratio=lessons_ratio,
        lessons_trend=lessons_trend(weeks, as_of=as_of),
        mastery=mastery,
        mastery_per_day=per_day,
        projected_date=projected,
        status=pace_status([minutes_ratio, lessons_ratio]),
        need=need_score(
            minutes_ratio=window_minutes_ratio,
            lessons_ratio=lessons_ratio,
            mastery=mastery,
            target=goal.mastery_target,
        ),
    )


def subject_needs(needs: Iterable[tuple[str, float, int]]) -> dict[str, float]:
    """Per subject, the mean of (subject, need, weekly minutes goal) weighted by the minutes."""
    totals: dict[str, float] = defaultdict(float)
    weights: dict[str, int] = defaultdict(int)
    for subject, need, minutes in needs:
        totals[subject] += need * minutes
        weights[subject] += minutes
    return {s: round(totals[s] / weights[s], 4) for s in totals}


# --- Selectors: each a fixed number of queries, whatever the number of students. -----------


@dataclass(frozen=True)
class StudentProgramPace:
    student: Student
    program: Program
    pace: Pace
    days: tuple[DayProgress, ...]  # the loaded window, oldest first


def _window_start(date: datetime.date, weeks: int) -> datetime.date:
    return week_start(date) - datetime.timedelta(weeks=weeks - 1)


def _daily_progress(
    *, student_ids: Sequence[int] | None, school_id: int, start: datetime.date, end: datetime.date
) -> dict[tuple[int, int], list[DayProgress]]:
    """Each (student, program)'s days in [start, end], one query; the largest number any
    source reported for a day (see the module's docstring)."""
    records = ProgressRecord.objects.filter(
        student__school_id=school_id, date__gte=start, date__lte=end
    )
    if student_ids is not None:
        records = records.filter(student_id__in=student_ids)
    rows = (
        records.values("student_id", "program_id", "date")
        .annotate(
            day_minutes=Max("minutes"),
            day_lessons=Max("lessons_completed"),
            day_mastery=Max("mastery_level"),
        )
        .order_by("student_id", "program_id", "date")
    )
    days: dict[tuple[int, int], list[DayProgress]] = defaultdict(list)
    for row in rows:
        mastery = row["day_mastery"]
        days[row["student_id"], row["program_id"]].append(
            DayProgress(
                date=row["date"],
                minutes=row["day_minutes"],
                lessons=row["day_lessons"],
                mastery=None if mastery is None else float(mastery),
            )
        )
    return days


def _paces(
    *,
    school_id: int,
    students: Sequence[Student],
    date: datetime.date,
    weeks: int,
    whole_school: bool = False,
) -> list[StudentProgramPace]:
    """Pace of every (student, program) with a goal, in four queries for any number of
    students: programs, grade goals, student goals, daily progress. ``whole_school`` reads the
    school's records without listing the students (no IN list of a thousand ids)."""
    if not students:
        return []
    student_ids = [s.pk for s in students]
    programs = {p.pk: p for p in Program.objects.filter(school_id=school_id)}
    grade_goals = {
        (g.program_id, g.grade): Goal(g.weekly_minutes, g.lessons_per_week, g.mastery_target)
        for g in ProgramGoal.objects.filter(school_id=school_id)
    }
    student_goals = StudentGoal.objects.filter(student__school_id=school_id)
    if not whole_school:
        student_goals = student_goals.filter(student_id__in=student_ids)
    overrides = {
        (o.student_id, o.program_id): GoalOverride(
            o.weekly_minutes, o.lessons_per_week, o.mastery_target
        )
        for o in student_goals
    }
    days = _daily_progress(
        student_ids=None if whole_school else student_ids,
        school_id=school_id,
        start=_window_start(date, weeks),
        end=date,
    )
    result = []
    for student in students:
        for program in programs.values():
            goal = resolve_goal(
                grade_goals.get((program.pk, student.grade.level)),
                overrides.get((student.pk, program.pk)),
            )
            if goal is None:
                continue
            student_days = tuple(days.get((student.pk, program.pk), ()))
            pace = compute_pace(student_days, goal, as_of=date)
            result.append(StudentProgramPace(student, program, pace, student_days))
    return result


def need_scores(*, school_id: int, date: datetime.date) -> dict[int, dict[str, float]]:
    """Student id -> subject -> need (0..1) for the students enrolled at the school on ``date``.

    Only subjects where the student has a goal appear; a student without any goal is absent.
    Five queries, whatever the school's size.
    """
    students = list(
        Student.objects.filter(school_id=school_id).enrolled_on(date).select_related("grade")
    )
    by_student: dict[int, list[tuple[str, float, int]]] = defaultdict(list)
    rows = _paces(
        school_id=school_id, students=students, date=date, weeks=TREND_WEEKS, whole_school=True
    )
    for row in rows:
        by_student[row.student.pk].append(
            (row.program.subject, row.pace.need, row.pace.goal.weekly_minutes)
        )
    return {sid: subject_needs(needs) for sid, needs in by_student.items()}


def student_progress(*, student: Student, date: datetime.date) -> list[StudentProgramPace]:
    """One student's pace in each program with a goal, with ``CHART_WEEKS`` of days loaded."""
    return _paces(school_id=student.school_id, students=[student], date=date, weeks=CHART_WEEKS)


# The student page's charts: a wide box with room for the axis's labels on the left.
CHART_BOX = Box(width=480, height=160, left=36, top=10, bottom=20)


@dataclass(frozen=True)
class ProgramCharts:
    """One program's row of the student page, with what its two charts plot: minutes of each
    week against the weekly goal, and each mastery reading against the target."""

    row: StudentProgramPace
    weeks: tuple[WeekTotal, ...]
    readings: tuple[DayProgress, ...]
    minutes: ValueChart
    mastery: ValueChart

    @classmethod
    def of(cls, row: StudentProgramPace, *, as_of: datetime.date) -> ProgramCharts:
        weeks = weekly_totals(row.days, as_of=as_of, weeks=CHART_WEEKS)
        goal = row.pace.goal
        top = headroom_top(goal.weekly_minutes, (w.minutes for w in weeks))
        minutes_y = Scale.upward(CHART_BOX, top)
        minutes = ValueChart(
            box=CHART_BOX,
            top=top,
            bars=bars(
                CHART_BOX,
                minutes_y,
                [(w, w.minutes, chart_date(w.start), _week_title(w)) for w in weeks],
            ),
            reference_y=minutes_y(goal.weekly_minutes),
            reference_label=goal.weekly_minutes,
        )
        readings = tuple(d for d in row.days if d.mastery is not None)
        first = weeks[0].start
        days_x = Scale.across(CHART_BOX, 0, max((as_of - first).days, 1))
        mastery_y = Scale.upward(CHART_BOX, 100)
        mastery = ValueChart(
            box=CHART_BOX,
            top=100,
            points=polyline(
                (days_x((d.date - first).days), mastery_y(d.mastery))
                for d in readings
                if d.mastery is not None
            ),
            reference_y=mastery_y(goal.mastery_target),
        )
        return cls(row=row, weeks=weeks, readings=readings, minutes=minutes, mastery=mastery)


def _week_title(week: WeekTotal) -> str:
    return gettext("Week of %(week)s: %(minutes)s minutes") % {
        "week": date_format(week.start, "MONTH_DAY_FORMAT"),
        "minutes": week.minutes,
    }


def student_progress_charts(*, student: Student, date: datetime.date) -> list[ProgramCharts]:
    """``student_progress`` with each program's charts."""
    return [
        ProgramCharts.of(row, as_of=date) for row in student_progress(student=student, date=date)
    ]


def cohort_progress(*, cohort: Cohort, date: datetime.date) -> list[StudentProgramPace]:
    """The cohort's students in each program, neediest first (behind before on track)."""
    students = list(Student.objects.filter(cohort=cohort).enrolled_on(date).select_related("grade"))
    rows = _paces(school_id=cohort.school_id, students=students, date=date, weeks=TREND_WEEKS)
    order = {Status.BEHIND: 0, Status.ON_TRACK: 1, Status.AHEAD: 2}
    return sorted(
        rows,
        key=lambda r: (
            order[r.pace.status],
            -r.pace.need,
            r.student.last_name,
            r.student.first_name,
            r.program.name,
        ),
    )
