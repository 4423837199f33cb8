"""Reads of the scheduling configuration, each in a fixed, small number of queries.

``problem_for`` is the one door from the database into the solver: it loads one school's
configuration for one date and freezes it into the solver's ``Problem`` (ids and minutes since
midnight, no model instances), so the solver and its tests never touch the database.
"""

import datetime
import logging
from collections import defaultdict

from django.db.models import Count, Q, QuerySet, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from students.errors import DomainError
from students.models import Cohort, School, Staff

from ..models import (
    PREP_ROLES,
    STATION_ORDER,
    CalendarDay,
    DayType,
    LabSupervision,
    Pin,
    Room,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    TemplateStation,
    minutes_of,
)
from ..solver import problem as solver
from ..solver.clock import grade_name
from ..solver.grid import snap_problem

logger = logging.getLogger(__name__)

END_OF_DAY = 24 * 60


class NotAnInstructionalDay(DomainError):
    code = "not-an-instructional-day"
    title = gettext_lazy("There is no school on this date")
    status = 409


class NoDayType(DomainError):
    code = "no-day-type"
    title = gettext_lazy("This date has no day type")
    status = 409


class OffGridSettings(DomainError):
    code = "off-grid-settings"
    title = gettext_lazy("A setting is off the schedule's time grid")
    status = 409


class IncompleteConfiguration(DomainError):
    code = "incomplete-configuration"
    title = gettext_lazy("The school's scheduling configuration is incomplete")
    status = 409


def calendar_day_for(*, school: School, date: datetime.date) -> DayType:
    """The day type of ``date`` at ``school``; refuses holidays and dates not in the calendar."""
    day = CalendarDay.objects.filter(school=school, date=date).select_related("day_type").first()
    values = {"date": date_format(date), "school": school}
    if day is not None and not day.instructional:
        if day.note:
            message = gettext("%(date)s is not an instructional day at %(school)s (%(note)s).")
        else:
            message = gettext("%(date)s is not an instructional day at %(school)s.")
        raise NotAnInstructionalDay(message % {**values, "note": day.note})
    if day is None or day.day_type is None:
        raise NoDayType(
            gettext("%(date)s has no day type at %(school)s: add it to the calendar first.")
            % values
        )
    return day.day_type


def next_instructional_day(
    *, school: School, after: datetime.date, before: datetime.date | None = None
) -> datetime.date | None:
    """The school's first instructional day (with a day type) after ``after`` (and before
    ``before``), if any."""
    days = CalendarDay.objects.filter(
        school=school, date__gt=after, instructional=True, day_type__isnull=False
    )
    if before is not None:
        days = days.filter(date__lt=before)
    return days.order_by("date").values_list("date", flat=True).first()


def published_before(
    *, school: School | int, day_type: DayType | int, date: datetime.date
) -> QuerySet[Schedule]:
    """Published schedules of ``day_type`` before ``date``, latest first: the day the engine
    tries to keep (S1), changes are shown against, and a failed night carries forward."""
    return Schedule.objects.filter(
        school=school, day_type=day_type, status=ScheduleStatus.PUBLISHED, date__lt=date
    ).order_by("-date", "-version")


def problem_for(*, school: School, date: datetime.date) -> solver.Problem:
    """One school's stage-1 problem for ``date``, read in a fixed number of queries."""
    day_type = calendar_day_for(school=school, date=date)
    settings = SchoolSchedulingSettings.objects.filter(school=school).first()
    settings = settings or SchoolSchedulingSettings(school=school)

    rooms = _rooms(school)
    cohorts = _cohorts(school, date)
    templates = _templates(school, day_type)
    missing = sorted({c.grade for c in cohorts} - {t.grade for t in templates})
    if missing:
        names = ", ".join(grade_name(level) for level in missing)
        raise IncompleteConfiguration(
            gettext("No rotation template for %(grades)s on a %(day_type)s day.")
            % {"grades": names, "day_type": day_type.name}
        )
    supervision = _supervision(school)
    staff = _staff(school, date, settings, supervision)
    known = {member.id for member in staff}
    problem = solver.Problem(
        school=school.pk,
        date=date.isoformat(),
        day=solver.Window(minutes_of(day_type.day_start), minutes_of(day_type.dismissal)),
        passing_minutes=day_type.passing_minutes,
        granularity=day_type.granularity_minutes,
        rooms=rooms,
        cohorts=cohorts,
        templates=templates,
        staff=staff,
        assignments=_assignments(school, known),
        supervision=tuple(
            solver.LabSupervision(
                lab.lab, tuple(s for s in lab.supervisors if s in known), lab.students_per_adult
            )
            for lab in supervision
        ),
        prep_window=_window(settings.prep_window_start, settings.prep_window_end),
        pins=_pins(school, date, day_type),
        previous=_previous(school, date, day_type),
        weights=solver.Weights(
            stability=settings.stability_weight,
            preferences=settings.preferences_weight,
            transitions=settings.transitions_weight,
            lab_balance=settings.lab_balance_weight,
            compact_staff=settings.compact_staff_weight,
        ),
        wellbeing=_wellbeing(settings),
    )
    return _on_grid(problem, school=school, date=date)


def _wellbeing(settings: SchoolSchedulingSettings) -> solver.WellBeing:
    """The school's staff well-being rules (W1-W3), always on: a lunch window stored before it
    was checked, ending at or before it starts, falls back to the default window."""
    window = solver.WellBeing().lunch_window
    start, end = settings.staff_lunch_start, settings.staff_lunch_end
    if start is not None and end is not None and minutes_of(end) > minutes_of(start):
        window = solver.Window(minutes_of(start), minutes_of(end))
    return solver.WellBeing(
        lunch_minutes=settings.staff_lunch_minutes,
        lunch_window=window,
        max_stretch=settings.max_teaching_stretch,
        min_break=settings.min_break_minutes,
    )


def _on_grid(problem: solver.Problem, *, school: School, date: datetime.date) -> solver.Problem:
    """The problem with rows stored before settings were checked on the grid made safe, so the
    solver and the validator judge the same times (see ``solver/grid.py``)."""
    snapped = snap_problem(problem)
    if snapped.refused:
        raise OffGridSettings(
            " ".join(f"{r.message}: {r.suggestion}" for r in snapped.refused),
            errors={"settings": [r.setting for r in snapped.refused]},
        )
    for change in snapped.adjusted:
        logger.warning("%s on %s: %s", school, date, change)
    return snapped.problem


def _window(start: datetime.time | None, end: datetime.time | None) -> solver.Window | None:
    if start is None or end is None:
        return None
    return solver.Window(minutes_of(start), minutes_of(end))


def _rooms(school: School) -> tuple[solver.Room, ...]:
    grades: dict[int, set[int]] = defaultdict(set)
    served = Room.grades.through.objects.filter(room__school=school).values_list(
        "room_id", "grade__level"
    )
    for room_id, level in served:
        grades[room_id].add(level)
    return tuple(
        solver.Room(
            room.pk,
            room.name,
            solver.RoomKind(room.kind),
            room.capacity,
            frozenset(grades.get(room.pk, ())),
        )
        for room in Room.objects.filter(school=school).order_by("pk")
    )


def _cohorts(school: School, date: datetime.date) -> tuple[solver.Cohort, ...]:
    enrolled = Q(students__enrollment_start__lte=date) & (
        Q(students__enrollment_end__isnull=True) | Q(students__enrollment_end__gte=date)
    )
    rows = (
        Cohort.objects.filter(school=school)
        .select_related("grade", "homeroom")
        .annotate(enrolled=Count("students", filter=enrolled))
        .order_by("grade__level", "name", "pk")
    )
    cohorts = []
    for row in rows:
        homeroom = getattr(row, "homeroom", None)
        if homeroom is None:
            raise IncompleteConfiguration(
                gettext("%(cohort)s has no homeroom: choose it on one of the school's classrooms.")
                % {"cohort": row.name}
            )
        cohorts.append(solver.Cohort(row.pk, row.name, row.grade.level, row.enrolled, homeroom.pk))
    return tuple(cohorts)


def _station(row: TemplateStation) -> solver.Station:
    return solver.Station(
        code=row.code,
        minutes=row.minutes,
        block_min=row.block_min,
        block_max=row.block_max,
        max_blocks=row.max_blocks,
        step=row.block_step,
        venue=solver.Venue(row.venue),
        staff_role=row.staff_role or None,
        window=_window(row.window_start, row.window_end),
        preferred=_window(row.preferred_start, row.preferred_end),
        avoid_right_after=row.avoid_right_after or None,
    )


def _templates(school: School, day_type: DayType) -> tuple[solver.GradeTemplate, ...]:
    stations: dict[int, list[TemplateStation]] = defaultdict(list)
    rows = TemplateStation.objects.filter(
        template__school=school, template__day_type=day_type
    ).select_related("template__grade")
    for row in rows:
        stations[row.template.grade.level].append(row)
    return tuple(
        solver.GradeTemplate(
            level,
            tuple(_station(row) for row in sorted(rows, key=lambda r: STATION_ORDER[r.code])),
        )
        for level, rows in sorted(stations.items())
    )


def _supervision(school: School) -> list[solver.LabSupervision]:
    supervisors: dict[int, list[int]] = defaultdict(list)
    through = LabSupervision.supervisors.through.objects.filter(
        labsupervision__school=school
    ).values_list("labsupervision_id", "staff_id")
    for supervision_id, staff_id in through:
        supervisors[supervision_id].append(staff_id)
    return [
        solver.LabSupervision(lab_id, tuple(sorted(supervisors[pk])), ratio)
        for pk, lab_id, ratio in LabSupervision.objects.filter(school=school)
        .order_by("lab_id")
        .values_list("pk", "lab_id", "students_per_adult")
    ]


def _available(hours: tuple[int, int], absences: list[StaffAbsence]) -> tuple[solver.Window, ...]:
    """Working hours minus the date's absences: a partial absence splits the day in two."""
    free = [hours]
    for absence in absences:
        away_from = minutes_of(absence.start) if absence.start else 0
        away_until = minutes_of(absence.end) if absence.end else END_OF_DAY
        remaining = []
        for start, end in free:
            if start < away_from:
                remaining.append((start, min(end, away_from)))
            if away_until < end:
                remaining.append((max(start, away_until), end))
        free = remaining
    return tuple(solver.Window(start, end) for start, end in free if end > start)


def _staff(
    school: School,
    date: datetime.date,
    settings: SchoolSchedulingSettings,
    supervision: list[solver.LabSupervision],
) -> tuple[solver.StaffMember, ...]:
    away: dict[int, list[StaffAbsence]] = defaultdict(list)
    for absence in StaffAbsence.objects.filter(school=school, date=date).order_by("pk"):
        away[absence.staff_id].append(absence)
    lab_of = {s: lab.lab for lab in supervision for s in lab.supervisors}
    members = (
        Staff.objects.filter(school=school, active=True)
        .select_related("user", "teaching_room")
        .prefetch_related("role_grants")
        .order_by("pk")
    )
    staff = []
    for member in members:
        roles = frozenset(member.role_codes)
        teaching_room = getattr(member, "teaching_room", None)
        room = teaching_room.room_id if teaching_room else lab_of.get(member.pk)
        staff.append(
            solver.StaffMember(
                member.pk,
                str(member),
                roles,
                room,
                _available(
                    (minutes_of(member.work_start), minutes_of(member.work_end)),
                    away[member.pk],
                ),
                settings.prep_minutes if roles & PREP_ROLES else 0,
            )
        )
    return tuple(staff)


def _assignments(school: School, known: set[int]) -> tuple[solver.Assignment, ...]:
    candidates: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = (
        StaffingAssignment.staff.through.objects.filter(staffingassignment__school=school)
        .values_list("staffingassignment__cohort_id", "staffingassignment__station", "staff_id")
        .order_by("staffingassignment__cohort_id", "staffingassignment__station", "staff_id")
    )
    for cohort_id, station, staff_id in rows:
        if staff_id in known:  # inactive staff no longer take blocks
            candidates[(cohort_id, station)].append(staff_id)
    return tuple(
        solver.Assignment(cohort_id, station, tuple(staff))
        for (cohort_id, station), staff in candidates.items()
    )


def _pins(school: School, date: datetime.date, day_type: DayType) -> tuple[solver.Pin, ...]:
    rows = (
        Pin.objects.filter(school=school)
        .filter(Q(date=date) | Q(date__isnull=True, day_type=day_type))
        .order_by("cohort_id", "start", "pk")
    )
    return tuple(
        solver.Pin(
            pin.cohort_id,
            pin.station,
            minutes_of(pin.start),
            minutes_of(pin.end) if pin.end else None,
        )
        for pin in rows
    )


def _previous(
    school: School, date: datetime.date, day_type: DayType
) -> tuple[solver.PlacedBlock, ...]:
    """The blocks of the latest published schedule of the same day type before ``date`` (S1)."""
    latest = published_before(school=school, day_type=day_type, date=date).values("pk")[:1]
    rows = (
        ScheduledBlock.objects.filter(schedule=Subquery(latest))
        .order_by("cohort_id", "start", "pk")
        .values_list("cohort_id", "station", "start", "end", "room_id", "staff_id")
    )
    return tuple(
        solver.PlacedBlock(
            cohort,
            station,
            minutes_of(start),
            minutes_of(end),
            room,
            (staff,) if staff is not None else (),
        )
        for cohort, station, start, end, room, staff in rows
    )


__all__ = [
    "IncompleteConfiguration",
    "NoDayType",
    "NotAnInstructionalDay",
    "calendar_day_for",
    "problem_for",
]
