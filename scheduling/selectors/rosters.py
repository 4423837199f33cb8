"""Who is where with whom: a staff member's published day and week, and a lab's day.

Reads only, each in a fixed number of queries however many blocks and students there are.
``roster_for_staff_days`` answers "My day" and "My week": the published blocks a staff member
teaches, and for a lab supervisor every block in their lab, each with its cohort's students
enrolled on that date and the marks a teacher must see (IEP, English learner, services). It also
returns the student records it read, so the page can record the read in the audit trail.

The IEP mark and the service marks are on a need-to-know basis (``students.permissions``): they
appear only for the students whose service details the viewer may see, decided in the query that
reads the students; for the others the roster shows the student without them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext

from students.models import ELLevel, ServiceKind, ServiceNeed, Staff, Student
from students.permissions import AnyUser, service_details_q, with_service_sight

from ..models import Room, Schedule, ScheduledBlock, ScheduleStatus, minutes_of
from .blocks import BlockRead, clock_span
from .pictures import (
    LabCurve,
    LabStep,
    TimeAxis,
    busiest_seats,
    enrolled_counts,
    lab_curve,
    occupancy_steps,
    peak_seats,
    stays_of,
)

# Keyed by str: a field's stored value finds its TextChoices member's entry.
SERVICE_SHORT: dict[str, Promise] = {
    ServiceKind.IEP: gettext_lazy("SpEd"),
    ServiceKind.ELD: gettext_lazy("ELD"),
    ServiceKind.INTERVENTION: gettext_lazy("Intervention"),
}
# On paper a service is a mark of a few letters; the printed legend spells them out.
SERVICE_MARK: dict[str, str] = {
    ServiceKind.IEP: "SpEd",
    ServiceKind.ELD: "ELD",
    ServiceKind.INTERVENTION: "Int",
}
WEEKDAYS = 5  # Monday to Friday


@dataclass(frozen=True)
class Badge:
    """A mark beside a student's name, in words (``text``) so it never relies on colour."""

    kind: str  # iep, el, tier, service: the CSS class
    text: str
    title: str
    mark: str = ""  # the short form paper prints (IEP, EL, T2, ELD), explained in a legend


@dataclass(frozen=True)
class RosterStudent:
    id: int
    local_id: str
    name: str  # "Last, First"
    badges: tuple[Badge, ...]
    services_visible: bool = False  # whether the IEP and service marks are the viewer's to see

    @property
    def has_iep(self) -> bool:
        return any(b.kind == "iep" for b in self.badges)


@dataclass(frozen=True)
class RosterBlock(BlockRead):
    in_my_lab: bool  # a lab block the staff member supervises rather than teaches
    students: tuple[RosterStudent, ...]


@dataclass(frozen=True)
class StaffDay:
    date: datetime.date
    schedule_id: int | None  # the published schedule of the date, if any
    version: int | None
    blocks: tuple[RosterBlock, ...]

    @property
    def published(self) -> bool:
        return self.schedule_id is not None


@dataclass(frozen=True)
class StaffDays:
    staff: Staff
    days: tuple[StaffDay, ...]
    labs: tuple[tuple[int, str], ...]  # (room id, name) of the labs they supervise
    records: tuple[models.Model, ...]  # the student records read, for the audit trail


def staff_memberships(*, user: User) -> list[Staff]:
    """The user's active staff rows, one per school, with the school loaded."""
    if not user.is_authenticated:
        return []
    return list(
        Staff.objects.filter(user=user, active=True)
        .select_related("school", "user")
        .order_by("school__name", "pk")
    )


def week_of(date: datetime.date) -> tuple[datetime.date, ...]:
    """Monday to Friday of ``date``'s week."""
    monday = date - datetime.timedelta(days=date.weekday())
    return tuple(monday + datetime.timedelta(days=i) for i in range(WEEKDAYS))


def with_visible_services(students: QuerySet[Student], viewer: AnyUser) -> QuerySet[Student]:
    """``students`` ready for ``roster_student`` as ``viewer`` sees them: each annotated with
    whether ``viewer`` may see their service details, with only those needs prefetched."""
    needs = ServiceNeed.objects.filter(service_details_q(viewer, to_student="student__"))
    return with_service_sight(students, viewer).prefetch_related(
        Prefetch("service_needs", queryset=needs)
    )


def roster_student(student: Student) -> RosterStudent:
    """A student as every roster prints them; read through ``with_visible_services`` (a student
    read otherwise shows no IEP or service mark)."""
    return RosterStudent(
        student.pk,
        student.local_id,
        f"{student.last_name}, {student.first_name}",
        _badges(student),
        bool(getattr(student, "services_visible", False)),
    )


def _badges(student: Student) -> tuple[Badge, ...]:
    badges = []
    services_visible = getattr(student, "services_visible", False)
    if services_visible and student.has_iep:
        badges.append(Badge("iep", gettext("IEP"), gettext("Has an IEP"), "IEP"))
    if student.el_level in ELLevel.receiving_eld():
        level = student.get_el_level_display()
        badges.append(
            Badge(
                "el",
                gettext("EL: %(level)s") % {"level": level},
                gettext("English learner, %(level)s") % {"level": level},
                "EL",
            )
        )
    if student.intervention_tier > 1:
        badges.append(
            Badge(
                "tier",
                gettext("Tier %(tier)s") % {"tier": student.intervention_tier},
                student.get_intervention_tier_display(),
                f"T{student.intervention_tier}",
            )
        )
    for need in student.service_needs.all() if services_visible else ():
        badges.append(
            Badge(
                "service",
                gettext("%(service)s %(minutes)s min/wk")
                % {
                    "service": SERVICE_SHORT.get(need.kind, need.kind),
                    "minutes": need.minutes_per_week,
                },
                ngettext(
                    "%(service)s: %(minutes)s minute a week, groups of at most %(size)s, "
                    "from a %(provider)s",
                    "%(service)s: %(minutes)s minutes a week, groups of at most %(size)s, "
                    "from a %(provider)s",
                    need.minutes_per_week,
                )
                % {
                    "service": need.get_kind_display(),
                    "minutes": need.minutes_per_week,
                    "size": need.max_group_size,
                    "provider": need.get_provider_role_display(),
                },
                SERVICE_MARK.get(need.kind, need.kind),
            )
        )
    return tuple(badges)


def roster_for_staff_days(
    *,
    staff: Staff,
    dates: Sequence[datetime.date],
    with_students: bool = True,
    viewer: AnyUser | None = None,
) -> StaffDays:
    """``staff``'s published blocks on each of ``dates``: the blocks they teach and, for a lab
    supervisor, the blocks in their lab; with each cohort's students when asked, marked as
    ``viewer`` (by default the staff member themself) may see them.

    Five queries (three without students): the published schedules, the supervised labs, the
    blocks, the students and the service needs the viewer may see.
    """
    viewer = staff.user if viewer is None else viewer
    dates = sorted(set(dates))
    schedules = {
        date: (pk, version)
        for pk, date, version in Schedule.objects.filter(
            school_id=staff.school_id, date__in=dates, status=ScheduleStatus.PUBLISHED
        ).values_list("pk", "date", "version")
    }
    labs = tuple(
        Room.objects.filter(school_id=staff.school_id, supervision__supervisors=staff)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    lab_ids = {pk for pk, _ in labs}
    blocks = list(
        ScheduledBlock.objects.filter(
            schedule_id__in=[pk for pk, _ in schedules.values()],
            schedule__school_id=staff.school_id,
        )
        .filter(Q(staff=staff) | Q(room_id__in=lab_ids))
        .select_related("schedule", "cohort", "room", "staff__user")
        .order_by("schedule__date", "start", "cohort__name", "pk")
    )

    students_of: dict[tuple[int | None, datetime.date], list[Student]] = defaultdict(list)
    records: list[models.Model] = []
    if with_students and blocks:
        first, last = dates[0], dates[-1]
        students = list(
            with_visible_services(
                Student.objects.filter(cohort_id__in={b.cohort_id for b in blocks})
                .filter(Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=first))
                .filter(enrollment_start__lte=last)
                .order_by("last_name", "first_name", "pk"),
                viewer,
            )
        )
        needed = {(b.cohort_id, b.schedule.date) for b in blocks}
        seen: set[int] = set()
        for student in students:
            for date in dates:
                if (student.cohort_id, date) in needed and student.is_enrolled_on(date):
                    students_of[(student.cohort_id, date)].append(student)
                    if student.pk not in seen:
                        seen.add(student.pk)
                        records.extend([student, *student.service_needs.all()])

    by_date: dict[datetime.date, list[RosterBlock]] = defaultdict(list)
    for b in blocks:
        date = b.schedule.date
        by_date[date].append(
            RosterBlock(
                **BlockRead.fields_of(b),
                in_my_lab=b.room_id in lab_ids and b.staff_id != staff.pk,
                students=tuple(roster_student(s) for s in students_of.get((b.cohort_id, date), ())),
            )
        )
    days = tuple(
        StaffDay(
            date,
            schedules[date][0] if date in schedules else None,
            schedules[date][1] if date in schedules else None,
            tuple(by_date.get(date, ())),
        )
        for date in dates
    )
    return StaffDays(staff=staff, days=days, labs=labs, records=tuple(records))


def roster_for_staff_day(
    *,
    staff: Staff,
    date: datetime.date,
    with_students: bool = True,
    viewer: AnyUser | None = None,
) -> StaffDays:
    return roster_for_staff_days(
        staff=staff, dates=[date], with_students=with_students, viewer=viewer
    )


@dataclass(frozen=True)
class LabStay:
    """One cohort's block in the lab, with the seats taken around it."""

    cohort_name: str
    start: datetime.time
    end: datetime.time
    students: int
    busiest: int  # the most seats taken at any moment of the block
    capacity: int

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)

    @property
    def free(self) -> int:
        return self.capacity - self.busiest

    @property
    def over(self) -> bool:
        return self.busiest > self.capacity


@dataclass(frozen=True)
class LabDay:
    room: Room
    date: datetime.date
    schedule_id: int | None
    version: int | None
    stays: tuple[LabStay, ...]
    steps: tuple[LabStep, ...]
    curve: LabCurve | None

    @property
    def peak(self) -> int:
        return peak_seats(self.steps)


def lab_day(*, room: Room, date: datetime.date) -> LabDay:
    """Which cohorts are in ``room`` (a lab) on ``date``'s published schedule, and the seats
    they take against its capacity. Three queries: schedule, blocks, enrolled counts."""
    schedule = (
        Schedule.objects.filter(
            school_id=room.school_id, date=date, status=ScheduleStatus.PUBLISHED
        )
        .values_list("pk", "version", "day_type__day_start", "day_type__dismissal")
        .first()
    )
    if schedule is None:
        return LabDay(room, date, None, None, (), (), None)
    blocks = list(
        ScheduledBlock.objects.filter(schedule_id=schedule[0], room=room)
        .select_related("cohort")
        .order_by("start", "cohort__name", "pk")
    )
    counts = enrolled_counts(cohort_ids={b.cohort_id for b in blocks}, date=date)
    # The whole school day, so the lab's empty stretches show too.
    axis = TimeAxis(
        min([minutes_of(schedule[2]), *(minutes_of(b.start) for b in blocks)]),
        max([minutes_of(schedule[3]), *(minutes_of(b.end) for b in blocks)]),
    )
    minute_stays = stays_of(blocks, counts)
    steps = occupancy_steps(axis=axis, capacity=room.capacity, stays=minute_stays)
    stays = tuple(
        LabStay(
            cohort_name,
            b.start,
            b.end,
            students,
            busiest_seats(steps, start, end),
            room.capacity,
        )
        for b, (start, end, students, cohort_name) in zip(blocks, minute_stays, strict=True)
    )
    curve = lab_curve(
        room_id=room.pk, name=room.name, capacity=room.capacity, axis=axis, steps=steps
    )
    return LabDay(room, date, schedule[0], schedule[1], stays, steps, curve)
