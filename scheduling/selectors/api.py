"""Reads behind the REST API's schedule endpoints, each in a fixed number of SQL queries.

A published schedule is read as plain frozen dataclasses (``PublishedDay``, ``StudentDay``...)
that the API's serializers render; times become timezone-aware datetimes in the school's zone,
so every response carries the school's UTC offset. The view scopes first (through
``students.scoping``) and only then asks these selectors for the rows behind what it scoped.

Query counts, whatever the school's size:
- ``schools_with_published_schedule``: one query (the school and its published version).
- ``published_day``: four (the schedule, its blocks with cohorts, rooms and staff, the staff's
  roles, the cohorts' enrolled students).
- ``schedule_versions``: one.
- ``student_day``: three (the published schedule with its lab plan's id, the cohort's blocks,
  the student's lab-plan segments with their programs, groups, group staff and services).
- ``staff_roster_day``: at most eight (see ``scheduling.selectors.rosters.roster_for_staff_days``,
  plus roles, the lab groups the staff member leads and those groups' students); a query whose
  answer is already known to be empty is skipped, never repeated per block or student.
- ``build_status``: none (the job comes with its school and schedule loaded).

Service details are on a need-to-know basis (``students.permissions``), decided in the queries
above: for a caller who may not see a student's, ``has_iep`` is null, a service segment carries
neither its service need nor its group (the student is away for a service), and a group's
``service_kind`` is null unless the caller sees every member's details.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from students.models import ELLevel, School, Staff, StaffRole, Student
from students.permissions import AnyUser, with_service_sight

from ..models import (
    ActivityKind,
    BuildJob,
    LabGroup,
    LabSegment,
    LabZone,
    Room,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StationCode,
)
from .pictures import enrolled_counts
from .rosters import roster_for_staff_day


def at(date: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """A school's wall-clock ``time`` on ``date`` as an aware datetime in its zone."""
    return datetime.datetime.combine(date, time, tzinfo=zone)


def local(value: datetime.datetime | None, zone: ZoneInfo) -> datetime.datetime | None:
    return value.astimezone(zone) if value is not None else None


# --- the published schedule of a school and date ----------------------------------------------


def schools_with_published_schedule(*, date: datetime.date) -> QuerySet[School]:
    """Schools annotated with the id, version and publication time of their schedule published
    for ``date`` (all None when nothing is published): the scope check and the version lookup
    in one query, so a conditional GET answers 304 after it alone."""
    published = Schedule.objects.filter(
        school=OuterRef("pk"), date=date, status=ScheduleStatus.PUBLISHED
    )
    return School.objects.annotate(
        published_id=Subquery(published.values("pk")[:1]),
        published_version=Subquery(published.values("version")[:1]),
        published_at=Subquery(published.values("published_at")[:1]),
    )


@dataclass(frozen=True)
class ApiRoom:
    id: int
    name: str
    kind: str
    capacity: int


@dataclass(frozen=True)
class ApiStaff:
    id: int
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ApiBlock:
    station: str
    start: datetime.datetime
    end: datetime.datetime
    room: int | None
    staff: tuple[int, ...]


@dataclass(frozen=True)
class ApiCohort:
    id: int
    name: str
    grade: str
    student_count: int
    blocks: tuple[ApiBlock, ...]


@dataclass(frozen=True)
class PublishedDay:
    school: int
    date: datetime.date
    version: int
    published_at: datetime.datetime | None
    day_type: str
    rooms: tuple[ApiRoom, ...]
    staff: tuple[ApiStaff, ...]
    cohorts: tuple[ApiCohort, ...]


def _roles_of(staff_ids: set[int]) -> dict[int, tuple[str, ...]]:
    roles: dict[int, list[str]] = defaultdict(list)
    for staff_id, role in StaffRole.objects.filter(staff_id__in=staff_ids).values_list(
        "staff_id", "role"
    ):
        roles[staff_id].append(role)
    return {pk: tuple(sorted(codes)) for pk, codes in roles.items()}


def published_day(*, school: School, schedule_id: int) -> PublishedDay:
    """The published schedule ``schedule_id`` of ``school`` as the API shows it: the rooms and
    staff its blocks use, and each cohort with its students enrolled that day and its blocks in
    order. Four queries."""
    zone = school.zone
    schedule = (
        Schedule.objects.filter(school=school, pk=schedule_id).select_related("day_type").get()
    )
    blocks = list(
        ScheduledBlock.objects.filter(schedule_id=schedule.pk)
        .select_related("cohort__grade", "room", "staff__user")
        .order_by("cohort__grade__level", "cohort__name", "cohort_id", "start", "pk")
    )
    rooms = {b.room_id: b.room for b in blocks if b.room is not None}
    staff = {b.staff.pk: b.staff for b in blocks if b.staff is not None}
    cohorts = {b.cohort_id: b.cohort for b in blocks}
    roles = _roles_of(set(staff))
    counts = enrolled_counts(cohort_ids=cohorts, date=schedule.date)

    blocks_of: dict[int, list[ApiBlock]] = defaultdict(list)
    for b in blocks:
        blocks_of[b.cohort_id].append(
            ApiBlock(
                station=b.station,
                start=at(schedule.date, b.start, zone),
                end=at(schedule.date, b.end, zone),
                room=b.room_id,
                staff=(b.staff_id,) if b.staff_id else (),
            )
        )
    return PublishedDay(
        school=school.pk,
        date=schedule.date,
        version=schedule.version,
        published_at=local(schedule.published_at, zone),
        day_type=schedule.day_type.name,
        rooms=tuple(
            ApiRoom(r.pk, r.name, r.kind, r.capacity)
            for r in sorted(rooms.values(), key=lambda r: (r.name, r.pk))
        ),
        staff=tuple(
            ApiStaff(s.pk, str(s), roles.get(s.pk, ()))
            for s in sorted(staff.values(), key=lambda s: (str(s), s.pk))
        ),
        cohorts=tuple(
            ApiCohort(
                id=c.pk,
                name=c.name,
                grade=c.grade.get_level_display(),
                student_count=counts.get(c.pk, 0),
                blocks=tuple(blocks_of[c.pk]),
            )
            for c in cohorts.values()  # in the blocks' order: grade, then name
        ),
    )


# --- every version of a date --------------------------------------------------------------------


@dataclass(frozen=True)
class ApiVersion:
    id: int
    version: int
    status: str
    day_type: str
    built_at: datetime.datetime | None
    published_at: datetime.datetime | None
    moved_blocks: int | None
    solver_stats: dict


def schedule_versions(
    *, school: School, date: datetime.date, drafts: bool = False
) -> tuple[ApiVersion, ...]:
    """The stored versions of ``school``'s ``date``, newest first, drafts only when asked (the
    caller decides who sees them). One query."""
    zone = school.zone
    versions = Schedule.objects.filter(school=school, date=date)
    if not drafts:
        versions = versions.exclude(status=ScheduleStatus.DRAFT)
    return tuple(
        ApiVersion(
            id=s.pk,
            version=s.version,
            status=s.status,
            day_type=s.day_type.name,
            built_at=local(s.built_at, zone),
            published_at=local(s.published_at, zone),
            moved_blocks=s.moved_blocks,
            solver_stats=s.solver_stats,
        )
        for s in versions.select_related("day_type").order_by("-version")
    )


# --- one student's day --------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    id: int
    name: str


# The stations whose minutes the day's lab plan divides into segments.
PLANNED_STATIONS = frozenset({StationCode.LAB, StationCode.FLEX})


@dataclass(frozen=True)
class GroupRef:
    id: int  # the group's number within the day's plan
    staff: Named


@dataclass(frozen=True)
class ServiceRef:
    id: int  # the ServiceNeed's id
    kind: str


@dataclass(frozen=True)
class PlaceRef:
    kind: str  # "room" or "lab_zone"
    id: int
    name: str


def place_ref(place: Room | LabZone | None) -> PlaceRef | None:
    if place is None:
        return None
    kind = "lab_zone" if isinstance(place, LabZone) else "room"
    return PlaceRef(kind, place.pk, str(place))


@dataclass(frozen=True)
class StudentSegment:
    start: datetime.datetime
    end: datetime.datetime
    activity: str  # ActivityKind: program, tutoring or service
    program: Named | None  # None for tutoring, services and open lab time
    subject: str | None
    group: GroupRef | None  # set for tutoring and services
    service: ServiceRef | None
    place: PlaceRef | None = None  # None: the block's own room


@dataclass(frozen=True)
class StudentBlock:
    station: str
    start: datetime.datetime
    end: datetime.datetime
    room: Named | None
    staff: tuple[Named, ...]
    # The student's lab-plan segments inside a lab or flexible block, in time order.
    segments: tuple[StudentSegment, ...] = ()


@dataclass(frozen=True)
class StudentRef:
    id: int
    local_id: str
    name: str  # "First Last"
    cohort: Named | None


@dataclass(frozen=True)
class StudentDay:
    student: StudentRef
    school: int
    date: datetime.date
    enrolled: bool
    schedule_id: int | None
    version: int | None
    published_at: datetime.datetime | None
    blocks: tuple[StudentBlock, ...]
    records: tuple[models.Model, ...] = ()  # the student records read, for the audit trail

    @property
    def published(self) -> bool:
        return self.schedule_id is not None


def _segment(
    segment: LabSegment, date: datetime.date, zone: ZoneInfo, *, services_visible: bool
) -> StudentSegment:
    group = segment.group
    if segment.kind == ActivityKind.SERVICE and not services_visible:
        group = None  # the provider would tell which service
    return StudentSegment(
        start=at(date, segment.start, zone),
        end=at(date, segment.end, zone),
        activity=segment.kind,
        program=Named(segment.program.pk, segment.program.name) if segment.program else None,
        subject=segment.subject or None,
        group=GroupRef(group.number, Named(group.staff_id, str(group.staff))) if group else None,
        service=(
            ServiceRef(segment.service.pk, segment.service.kind)
            if segment.service and services_visible
            else None
        ),
        # A service group's room would tell which service (the speech room): hidden with it.
        place=place_ref(segment.place) if group is not None or segment.group_id is None else None,
    )


def _segments_in(
    block: ScheduledBlock,
    segments: list[LabSegment],
    date: datetime.date,
    zone: ZoneInfo,
    *,
    services_visible: bool,
) -> tuple[StudentSegment, ...]:
    if block.station not in PLANNED_STATIONS:
        return ()
    return tuple(
        _segment(s, date, zone, services_visible=services_visible)
        for s in segments
        if block.start <= s.start and s.end <= block.end
    )


def student_day(*, student: Student, date: datetime.date) -> StudentDay:
    """``student``'s published day: their cohort's blocks on ``date``, when they are enrolled
    that day, each lab and flexible block with the student's segments of the day's lab plan.
    ``student`` comes with its school and cohort loaded and annotated by
    ``students.permissions.with_service_sight`` (without it, no service detail is shown).
    Three queries (the schedule, the blocks, the segments; the last two only when there is
    something to read)."""
    services_visible = bool(getattr(student, "services_visible", False))
    zone = student.school.zone
    schedule = (
        Schedule.objects.filter(
            school_id=student.school_id, date=date, status=ScheduleStatus.PUBLISHED
        )
        .values_list("pk", "version", "published_at", "lab_plan")
        .first()
    )
    enrolled = student.is_enrolled_on(date)
    ref = StudentRef(
        id=student.pk,
        local_id=student.local_id,
        name=student.full_name,
        cohort=Named(student.cohort.pk, student.cohort.name) if student.cohort else None,
    )
    if schedule is None:
        return StudentDay(ref, student.school_id, date, enrolled, None, None, None, (), (student,))
    schedule_id, version, published_at, plan_id = schedule
    blocks = (
        list(
            ScheduledBlock.objects.filter(schedule_id=schedule_id, cohort_id=student.cohort_id)
            .select_related("room", "staff__user")
            .order_by("start", "pk")
        )
        if enrolled and student.cohort_id
        else []
    )
    segments = (
        list(
            LabSegment.objects.filter(plan_id=plan_id, student_id=student.pk)
            .select_related(
                "program",
                "group__staff__user",
                "group__room",
                "group__zone__lab",
                "zone__lab",
                "service__student",
            )
            .order_by("start", "pk")
        )
        if plan_id is not None and any(b.station in PLANNED_STATIONS for b in blocks)
        else []
    )
    services = {
        s.service_id: s.service for s in segments if s.service is not None and services_visible
    }
    return StudentDay(
        student=ref,
        school=student.school_id,
        date=date,
        enrolled=enrolled,
        schedule_id=schedule_id,
        version=version,
        published_at=local(published_at, zone),
        blocks=tuple(
            StudentBlock(
                station=b.station,
                start=at(date, b.start, zone),
                end=at(date, b.end, zone),
                room=Named(b.room.pk, b.room.name) if b.room else None,
                staff=(Named(b.staff.pk, str(b.staff)),) if b.staff else (),
                segments=_segments_in(b, segments, date, zone, services_visible=services_visible),
            )
            for b in blocks
        ),
        records=(student, *services.values()),
    )


# --- one staff member's roster ------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    id: int
    local_id: str
    name: str  # "Last, First", as rosters are sorted
    has_iep: bool | None  # None: not the caller's to see (students.permissions)
    el_level: str
    english_learner: bool  # receiving English language development


@dataclass(frozen=True)
class ApiRosterBlock:
    station: str
    start: datetime.datetime
    end: datetime.datetime
    room: Named | None
    cohort: Named
    supervising: bool  # a lab block the staff member supervises rather than teaches
    students: tuple[RosterEntry, ...]


@dataclass(frozen=True)
class ApiRosterGroup:
    number: int  # within the day's lab plan
    kind: str  # ActivityKind: tutoring or service
    service_kind: str | None  # iep, eld, intervention for a service group
    subject: str | None
    start: datetime.datetime
    end: datetime.datetime
    students: tuple[RosterEntry, ...]
    place: PlaceRef | None = None


@dataclass(frozen=True)
class StaffRosterDay:
    staff: Staff
    roles: tuple[str, ...]
    date: datetime.date
    schedule_id: int | None
    version: int | None
    blocks: tuple[ApiRosterBlock, ...]
    groups: tuple[ApiRosterGroup, ...]
    records: tuple  # the student records read, for the audit trail

    @property
    def published(self) -> bool:
        return self.schedule_id is not None


def _led_groups(*, staff: Staff, schedule_id: int | None, viewer: AnyUser) -> list[LabGroup]:
    """The lab groups ``staff`` leads in the plan of ``schedule_id``, in time order, each with
    its segments, their students and services loaded, and whether ``viewer`` sees each
    segment's student's service details (``services_visible``): two queries (none without a
    schedule, one when they lead no group)."""
    if schedule_id is None:
        return []
    members = (
        with_service_sight(LabSegment.objects.all(), viewer, to_student="student__")
        .select_related("student", "service__student")
        .order_by("student__last_name", "student__first_name", "student_id", "pk")
    )
    return list(
        LabGroup.objects.filter(plan__schedule_id=schedule_id, staff=staff)
        .select_related("room", "zone__lab")
        .prefetch_related(Prefetch("segments", queryset=members))
        .order_by("start", "number")
    )


def _entry(student: Student, name: str | None = None, *, services_visible: bool) -> RosterEntry:
    return RosterEntry(
        id=student.pk,
        local_id=student.local_id,
        name=name if name is not None else f"{student.last_name}, {student.first_name}",
        has_iep=student.has_iep if services_visible else None,
        el_level=student.el_level,
        english_learner=student.el_level in ELLevel.receiving_eld(),
    )


def staff_roster_day(*, staff: Staff, date: datetime.date, viewer: AnyUser) -> StaffRosterDay:
    """``staff``'s published blocks on ``date`` with each cohort's students, as ``viewer`` may
    see them, read through ``roster_for_staff_day`` (five queries), the staff member's roles
    (one), and the lab groups they lead in the day's plan with the groups' students (two)."""
    zone = staff.school.zone
    roster = roster_for_staff_day(staff=staff, date=date, viewer=viewer)
    day = roster.days[0]
    students = {r.pk: r for r in roster.records if isinstance(r, Student)}

    def entry(student_id: int, local_id: str, name: str) -> RosterEntry:
        student = students[student_id]
        return _entry(student, name, services_visible=student.services_visible)

    groups = _led_groups(staff=staff, schedule_id=day.schedule_id, viewer=viewer)
    records = list(roster.records)
    read = {(type(r), r.pk) for r in records}
    api_groups = []
    for group in groups:
        members: dict[int, Student] = {}
        visible: dict[int, bool] = {}
        for segment in group.segments.all():
            members.setdefault(segment.student_id, segment.student)
            # LabSegment declares no services_visible (with_service_sight annotates it).
            sight: bool = segment.services_visible  # type: ignore[attr-defined]
            visible[segment.student_id] = sight
            service = segment.service if sight else None
            for record in (segment.student, service):
                if record is not None and (type(record), record.pk) not in read:
                    read.add((type(record), record.pk))
                    records.append(record)
        api_groups.append(
            ApiRosterGroup(
                number=group.number,
                kind=group.kind,
                # A group's service says each member receives it: only for a caller who may
                # see every member's details.
                service_kind=(group.service_kind or None) if all(visible.values()) else None,
                subject=group.subject or None,
                start=at(date, group.start, zone),
                end=at(date, group.end, zone),
                students=tuple(
                    _entry(s, services_visible=visible[pk]) for pk, s in members.items()
                ),
                place=(
                    place_ref(group.place)
                    if group.kind != ActivityKind.SERVICE or all(visible.values())
                    else None
                ),
            )
        )

    return StaffRosterDay(
        staff=staff,
        roles=_roles_of({staff.pk}).get(staff.pk, ()),
        date=date,
        schedule_id=day.schedule_id,
        version=day.version,
        blocks=tuple(
            ApiRosterBlock(
                station=b.station,
                start=at(date, b.start, zone),
                end=at(date, b.end, zone),
                room=Named(b.room_id, b.room_name) if b.room_id else None,
                cohort=Named(b.cohort_id, b.cohort_name),
                supervising=b.in_my_lab,
                students=tuple(entry(s.id, s.local_id, s.name) for s in b.students),
            )
            for b in day.blocks
        ),
        groups=tuple(api_groups),
        records=tuple(records),
    )


# --- a build job's state ------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    phase: str | None
    percent: int


@dataclass(frozen=True)
class ScheduleRef:
    id: int
    version: int
    status: str


@dataclass(frozen=True)
class ApiExplanation:
    code: str
    message: str
    suggestion: str
    setting: str


@dataclass(frozen=True)
class BuildStatus:
    task_id: int
    school: int
    date: datetime.date
    state: str
    progress: Progress
    schedule: ScheduleRef | None
    unchanged: bool
    explanations: tuple[ApiExplanation, ...]
    error: str
    looks_abandoned: bool
    lost: bool
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


def build_status(*, job: BuildJob, drafts: bool = True) -> BuildStatus:
    """What a client polling ``job`` sees; ``job`` comes with its school and schedule loaded.
    Without ``drafts`` (a teacher, a read-only client) a draft it built is not named."""
    zone = job.school.zone
    shown = job.schedule
    if shown is not None and not drafts and shown.status == ScheduleStatus.DRAFT:
        shown = None
    return BuildStatus(
        task_id=job.pk,
        school=job.school_id,
        date=job.date,
        state=job.state,
        progress=Progress(job.phase or None, job.percent),
        schedule=ScheduleRef(shown.pk, shown.version, shown.status) if shown is not None else None,
        unchanged=job.unchanged,
        explanations=tuple(
            ApiExplanation(
                code=str(reason.get("code", "")),
                message=str(reason.get("message", "")),
                suggestion=str(reason.get("suggestion", "")),
                setting=str(reason.get("setting", "")),
            )
            for reason in job.reasons
        ),
        error=job.error,
        looks_abandoned=job.looks_abandoned,
        lost=job.lost,
        created_at=job.created_at.astimezone(zone),  # set when the job row was made
        started_at=local(job.started_at, zone),
        finished_at=local(job.finished_at, zone),
    )
