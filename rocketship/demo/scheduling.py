"""The demo schools' day: bell times, calendar, rotation templates, staffing, and built schedules.

Runs after the people are seeded and reads them back (each cohort's homeroom, a classroom of its
own grade, came with the rooms): each core and specials teacher gets a room of their own, the
lab's ILS supervise it. The rotation is the reference one of shared/design/reference-shapes.json:
launch, two literacy blocks' worth, math, about 100 lab minutes, flex, lunch, recess and
specials, packed from 8:00 to 15:15. Idempotent: rows are looked up by natural keys, and an
unchanged input builds no new schedule version, which keeps its record of who built it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models, transaction

from scheduling.models import (
    BuildOrigin,
    CalendarDay,
    DayType,
    LabSupervision,
    LabZone,
    Room,
    RoomKind,
    RotationTemplate,
    SchoolSchedulingSettings,
    StaffingAssignment,
    StationCode,
    TeachingRoom,
    TemplateStation,
    Venue,
)
from scheduling.selectors.problem import next_instructional_day
from scheduling.services.builds import BuildResult, schedule_build
from scheduling.solver.stage1 import SolveOptions
from students.models import Role, School, Staff

from .plan import TEACHING_ROLES

SMALL_GROUP_TABLE_SEATS = 6

T = datetime.time
_M = TypeVar("_M", bound=models.Model)

# code, minutes, block min, block max, max blocks, venue, staff role, window, preferred, avoid
STATIONS = (
    (StationCode.LAUNCH, 15, 15, 15, 1, Venue.OUTDOORS, "", (T(8, 0), T(8, 15)), None, ""),
    (
        StationCode.LITERACY,
        120,
        45,
        120,
        2,
        Venue.STAFF_ROOM,
        Role.HUMANITIES,
        None,
        (T(8, 15), T(12, 0)),
        "",
    ),
    (StationCode.MATH, 90, 60, 90, 1, Venue.STAFF_ROOM, Role.STEM, None, None, "lunch"),
    (StationCode.LAB, 100, 40, 100, 2, Venue.LAB, "", None, None, ""),
    (StationCode.FLEX, 30, 30, 30, 1, Venue.HOMEROOM, "", None, None, ""),
    (StationCode.LUNCH, 30, 30, 30, 1, Venue.CAFETERIA, "", (T(10, 45), T(13, 15)), None, ""),
    (StationCode.RECESS, 20, 20, 20, 1, Venue.OUTDOORS, "", (T(10, 0), T(14, 30)), None, ""),
    (StationCode.SPECIALS, 30, 30, 30, 1, Venue.STAFF_ROOM, Role.SPECIALS, None, None, ""),
)
# Invented, but shaped like a California charter calendar.
HOLIDAYS = {
    (11, 26): "Thanksgiving",
    (11, 27): "Thanksgiving",
    **{(12, d): "Winter break" for d in range(21, 32)},
    (1, 1): "Winter break",
    (1, 19): "Martin Luther King Jr. Day",
    (2, 16): "Presidents' Day",
    **{(4, d): "Spring break" for d in range(6, 11)},
    (5, 25): "Memorial Day",
}
LAST_DAY = (6, 11)


def school_days(first_day: datetime.date) -> list[tuple[datetime.date, str]]:
    """Every weekday of the school year from ``first_day``, with the holiday's name or ""."""
    last = datetime.date(first_day.year + 1, *LAST_DAY)
    days, day = [], first_day
    while day <= last:
        if day.weekday() < 5:
            days.append((day, HOLIDAYS.get((day.month, day.day), "")))
        day += datetime.timedelta(days=1)
    return days


@transaction.atomic
def configure_school(*, school: School, first_day: datetime.date) -> int:
    """Configure one demo school's day; returns how many rows it created."""
    created = 0

    def add(model: type[_M], **lookup: Any) -> _M:
        nonlocal created
        defaults = lookup.pop("defaults", {})
        obj, made = model._default_manager.get_or_create(**lookup, defaults=defaults)
        created += made
        return obj

    day_type = add(
        DayType,
        school=school,
        name="Regular day",
        defaults={
            "arrival": T(7, 55),
            "day_start": T(8, 0),
            "dismissal": T(15, 15),
            "passing_minutes": 0,
            "granularity_minutes": 5,
        },
    )
    add(
        SchoolSchedulingSettings,
        school=school,
        defaults={"prep_minutes": 45, "prep_window_start": T(8, 15), "prep_window_end": T(15, 15)},
    )
    known = set(CalendarDay.objects.filter(school=school).values_list("date", flat=True))
    new_days = [
        CalendarDay(
            school=school,
            date=day,
            instructional=not holiday,
            day_type=None if holiday else day_type,
            note=holiday,
        )
        for day, holiday in school_days(first_day)
        if day not in known
    ]
    CalendarDay.objects.bulk_create(new_days)
    created += len(new_days)

    for grade in school.grades.all():
        template = add(RotationTemplate, school=school, grade=grade, day_type=day_type)
        for code, minutes, lo, hi, blocks, venue, role, window, preferred, avoid in STATIONS:
            add(
                TemplateStation,
                template=template,
                code=code,
                defaults={
                    "minutes": minutes,
                    "block_min": lo,
                    "block_max": hi,
                    "max_blocks": blocks,
                    "venue": venue,
                    "staff_role": role,
                    "window_start": window[0] if window else None,
                    "window_end": window[1] if window else None,
                    "preferred_start": preferred[0] if preferred else None,
                    "preferred_end": preferred[1] if preferred else None,
                    "avoid_right_after": avoid,
                },
            )

    # Homerooms come with the rooms (the plan gives each cohort a classroom of its own grade).
    cohorts = list(school.cohorts.select_related("grade").order_by("grade__level", "name"))

    staff = list(
        Staff.objects.filter(school=school, active=True)
        .select_related("user")
        .prefetch_related("role_grants", "cohorts", "grades")
        .order_by("user__username")
    )
    specials = [s for s in staff if Role.SPECIALS in s.role_codes]
    for member in staff:
        roles = member.role_codes
        if roles & set(TEACHING_ROLES):
            room = add(
                Room,
                school=school,
                name=f"Room of {member}",
                defaults={"kind": RoomKind.CLASSROOM, "capacity": 30},
            )
            add(TeachingRoom, school=school, staff=member, defaults={"room": room})
        station = (
            StationCode.LITERACY
            if Role.HUMANITIES in roles
            else StationCode.MATH
            if Role.STEM in roles
            else None
        )
        for cohort in member.cohorts.all() if station else []:
            assignment = add(StaffingAssignment, school=school, cohort=cohort, station=station)
            assignment.staff.add(member)
    for position, cohort in enumerate(cohorts):
        # Each specials teacher takes an equal band of cohorts in grade order: 6 cohorts each
        # (K-2 and 3-5 in shape S, a lab's cohorts shared by two in M), so that every one of
        # them has time for lunch and breaks; with one teacher, they take everyone.
        teacher = specials[position * len(specials) // len(cohorts)]
        assignment = add(
            StaffingAssignment, school=school, cohort=cohort, station=StationCode.SPECIALS
        )
        assignment.staff.add(teacher)

    for lab in Room.objects.filter(school=school, kind=RoomKind.LEARNING_LAB).prefetch_related(
        "grades"
    ):
        supervision = add(
            LabSupervision, school=school, lab=lab, defaults={"students_per_adult": 30}
        )
        # Two banks of computers seat the whole lab; a table takes a small group.
        first_bank = lab.capacity // 2
        for name, seats, computers in (
            ("Computers A", first_bank, True),
            ("Computers B", lab.capacity - first_bank, True),
            ("Small-group table", SMALL_GROUP_TABLE_SEATS, False),
        ):
            add(LabZone, lab=lab, name=name, defaults={"seats": seats, "computers": computers})
        lab_grades = {g.pk for g in lab.grades.all()}
        supervision.supervisors.add(
            *(
                s
                for s in staff
                if Role.ILS in s.role_codes and {g.pk for g in s.grades.all()} <= lab_grades
            )
        )
    return created


def day_setup_line(*, school: School) -> str:
    """What the school's configured day holds, totals only, so every run prints the same."""
    instructional = CalendarDay.objects.filter(school=school, instructional=True).count()
    templates = RotationTemplate.objects.filter(school=school).count()
    assignments = StaffingAssignment.objects.filter(school=school).count()
    zones = LabZone.objects.filter(lab__school=school).count()
    return (
        f"{school.name}: day configured; {instructional} school days, {templates} rotation "
        f"templates, {assignments} staffing assignments, {zones} lab zones"
    )


def days_to_build(*, school: School, today: datetime.date) -> list[datetime.date]:
    """Today, when it is a school day (so a teacher's first look finds their day), and the next
    instructional day (what the nightly rebuild prepares)."""
    days = []
    if CalendarDay.objects.filter(school=school, date=today, instructional=True).exists():
        days.append(today)
    upcoming = next_instructional_day(school=school, after=today)
    if upcoming is not None:
        days.append(upcoming)
    return days


def build_day(*, school: School, day: datetime.date, time_limit: float = 30.0) -> BuildResult:
    """Build and publish one of the school's days (nothing new if unchanged)."""
    return schedule_build(
        school=school,
        date=day,
        origin=BuildOrigin.DEMO_SETUP,
        publish=True,
        options=SolveOptions(time_limit=time_limit, workers=2, first_solution_only=True),
    )


def configure_and_build(
    *,
    schools: list[School],
    first_day: datetime.date,
    today: datetime.date,
    report: Callable[[str], None],
) -> None:
    for school in schools:
        configure_school(school=school, first_day=first_day)
        report(f"  {day_setup_line(school=school)}")
        days = days_to_build(school=school, today=today)
        if not days:
            report(f"  {school.name}: no instructional day left this school year")
        for day in days:
            result = build_day(school=school, day=day)
            if result.schedule is not None:
                schedule = result.schedule
                how = (
                    "unchanged"
                    if result.unchanged
                    else (f"built in {schedule.solver_stats.get('wall_seconds', 0):.1f} s")
                )
                report(
                    f"  {school.name}: schedule for {schedule.date:%a %d %b %Y} "
                    f"v{schedule.version} {schedule.status} ({how})"
                )
            else:
                report(
                    f"  {school.name}: no schedule for {result.date:%Y-%m-%d}: "
                    + "; ".join(r.message for r in result.reasons)
                )
