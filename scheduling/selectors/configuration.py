"""A leader's configuration of one school: the reads its pages need (the writes:
``services.configuration``). Each in a fixed number of queries however many rows it lists."""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from students.models import Cohort, Grade, GradeLevel, School, Staff, Student

from ..models import (
    CalendarDay,
    DayType,
    Room,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    SubstituteDay,
)


def substitute_days_of(*, staff: Staff, since: datetime.date) -> list[SubstituteDay]:
    """The dates from ``since`` on that ``staff`` can be called in as a substitute."""
    return list(SubstituteDay.objects.filter(staff=staff, date__gte=since).order_by("date"))


def rooms_for_school(*, school: School) -> list[Room]:
    """Every room with its grades, homeroom cohort and lab supervision (four queries)."""
    return list(
        Room.objects.filter(school=school)
        .select_related("homeroom_of", "supervision")
        .prefetch_related(
            Prefetch("grades", queryset=Grade.objects.order_by("level")),
            Prefetch("supervision__supervisors", queryset=Staff.objects.select_related("user")),
        )
        .order_by("kind", "name")
    )


def staff_for_school(*, school: School) -> list[Staff]:
    """Every staff member with roles, teaching room and what they teach."""
    return list(
        Staff.objects.filter(school=school)
        .select_related("user", "teaching_room__room")
        .prefetch_related(
            "role_grants",
            Prefetch(
                "staffing_assignments",
                queryset=StaffingAssignment.objects.select_related("cohort").order_by(
                    "station", "cohort__name"
                ),
            ),
        )
        .order_by("-active", "user__last_name", "user__first_name")
    )


def staffing_of_staff(*, staff: Staff) -> list[StaffingAssignment]:
    return list(
        StaffingAssignment.objects.filter(staff=staff)
        .select_related("cohort__grade")
        .prefetch_related(Prefetch("staff", queryset=Staff.objects.select_related("user")))
        .order_by("station", "cohort__grade__level", "cohort__name")
    )


def cohorts_for_school(*, school: School) -> list[Cohort]:
    """Every cohort with its grade, homeroom and the staff of each station; a combination
    homeroom's (students of several grades) also with ``student_grades``, e.g. "4, 5"."""
    cohorts = list(
        Cohort.objects.filter(school=school)
        .select_related("grade", "homeroom")
        .prefetch_related(
            Prefetch(
                "staffing",
                queryset=StaffingAssignment.objects.prefetch_related(
                    Prefetch("staff", queryset=Staff.objects.select_related("user"))
                ).order_by("station"),
            )
        )
        .order_by("grade__level", "name")
    )
    current = Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=timezone.localdate())
    held: dict[int, set[int]] = defaultdict(set)
    for cohort_id, level in (
        Student.objects.filter(current, cohort__in=cohorts)
        .values_list("cohort_id", "grade__level")
        .distinct()
    ):
        held[cohort_id].add(level)
    for cohort in cohorts:
        levels = held[cohort.pk]
        several = bool(levels - {cohort.grade.level})
        cohort.student_grades = (
            ", ".join(GradeLevel(g).label for g in sorted(levels)) if several else ""
        )
    return cohorts


def day_types_for_school(*, school: School) -> list[DayType]:
    return list(DayType.objects.filter(school=school).order_by("name"))


@dataclass(frozen=True)
class CalendarCell:
    date: datetime.date
    in_month: bool
    day: CalendarDay | None


def calendar_month(*, school: School, year: int, month: int) -> list[list[CalendarCell]]:
    """The weeks (Monday first) covering one month, each date with its calendar entry."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    days = {
        day.date: day
        for day in CalendarDay.objects.filter(
            school=school, date__range=(weeks[0][0], weeks[-1][-1])
        ).select_related("day_type")
    }
    return [
        [CalendarCell(date, date.month == month, days.get(date)) for date in week] for week in weeks
    ]


def absences_for_school(*, school: School, since: datetime.date) -> list[StaffAbsence]:
    return list(
        StaffAbsence.objects.filter(school=school, date__gte=since)
        .select_related("staff__user")
        .order_by("date", "start", "staff__user__last_name")
    )


def school_settings_for(*, school: School) -> SchoolSchedulingSettings:
    """The school's settings, or the defaults (unsaved) when the leader has not set any."""
    return SchoolSchedulingSettings.objects.filter(
        school=school
    ).first() or SchoolSchedulingSettings(school=school)
