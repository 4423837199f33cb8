"""What the staff pages show of a stage-2 lab plan: reads only, each in a fixed number of queries
however many students a cohort or a lab holds.

- ``block_plan``: one cohort's lab or flexible block, student by student and segment by segment
  (the grid a lab supervisor or a teacher prints), with the groups that take students out of it;
- ``staff_lab_groups``: the tutoring and service groups a tutor or provider leads on a date;
- ``lab_stay_plans``: for a lab's day, how many students of each block are planned, tutored
  or served (counts only: that page shows seats, not names);
- ``plan_summary``: for the leader reviewing a version, whether every service minute is met and,
  if not, whose minutes are short and who could have delivered them.

Functions that show students also return the student records they read, so the page can record
the read in the audit trail (``students.audit.audit_reads``).

Service details are on a need-to-know basis (``students.permissions``): for a student whose
details the viewer may not see, a service segment reads "Away: service" (no kind, no adult, no
group), their service groups are left out of the block's groups, and their roster marks carry no
IEP or service; the viewer's own groups always name what they deliver.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Prefetch
from django.utils.translation import gettext

from learninglabs.models import Subject
from students.models import Cohort, ServiceKind, ServiceNeed, Staff, Student
from students.permissions import AnyUser, service_details_q, with_service_sight

from .models import (
    ActivityKind,
    LabGroup,
    LabPlan,
    LabSegment,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StationCode,
    minutes_of,
)
from .pictures import clock_span, station_label
from .rosters import LabDay, LabStay, RosterStudent, roster_student, with_visible_services

# The blocks whose minutes a lab plan divides: the Learning Lab and the flexible block.
PLANNED_STATIONS = (StationCode.LAB, StationCode.FLEX)


def _subject_label(code: str) -> str:
    try:
        return str(Subject(code).label).lower()
    except ValueError:
        return code


def _service_label(code: str) -> str:
    try:
        return str(ServiceKind(code).label)
    except ValueError:
        return code


def _minutes(start: datetime.time, end: datetime.time) -> int:
    return minutes_of(end) - minutes_of(start)


def _topic(group: LabGroup) -> str:
    """What a group is for, as a heading says it: "Tutoring: literacy", "IEP special education"."""
    if group.kind == ActivityKind.TUTORING:
        return f"Tutoring: {_subject_label(group.subject)}" if group.subject else "Tutoring"
    return _service_label(group.service_kind)


@dataclass(frozen=True)
class Segment:
    """One column of a block's grid: a 15-minute piece (the last may be shorter)."""

    start: datetime.time
    end: datetime.time

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)


@dataclass(frozen=True)
class Cell:
    """What one student does in one segment. ``kind`` is the CSS class: program, open,
    tutoring, service, or none (nothing planned: a student who joined after the build)."""

    kind: str
    text: str
    group_number: int | None = None


NOTHING_PLANNED = Cell("none", "Not planned")


def _cell(segment: LabSegment, *, services_visible: bool) -> Cell:
    if segment.kind == ActivityKind.SERVICE and not services_visible:
        return Cell("service", gettext("Away: service"))
    if segment.kind == ActivityKind.TUTORING:
        subject = _subject_label(segment.subject or segment.group.subject)
        return Cell(
            "tutoring", f"Tutoring: {subject} with {segment.group.staff}", segment.group.number
        )
    if segment.kind == ActivityKind.SERVICE:
        return Cell(
            "service",
            f"{_service_label(segment.group.service_kind)} with {segment.group.staff}",
            segment.group.number,
        )
    if segment.program is None:  # no program serves the student's grade
        return Cell("open", "Open lab time")
    return Cell("program", segment.program.name)


@dataclass(frozen=True)
class PlanRow:
    student: RosterStudent
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class BlockGroup:
    """A group that takes students out of the block: its adult, what for, when, who."""

    number: int
    kind: str  # tutoring or service: the CSS class
    topic: str
    start: datetime.time
    end: datetime.time
    staff_name: str
    students: tuple[RosterStudent, ...]  # this cohort's members
    others: int  # members from other cohorts, counted only: this page is about one cohort

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)


@dataclass(frozen=True)
class BlockPlan:
    schedule_id: int
    date: datetime.date
    version: int
    status: str
    cohort_id: int
    cohort_name: str
    station: str
    start: datetime.time
    end: datetime.time
    room_id: int | None
    room_name: str
    has_plan: bool
    segments: tuple[Segment, ...]
    rows: tuple[PlanRow, ...]
    groups: tuple[BlockGroup, ...]
    records: tuple[models.Model, ...]  # the student records read, for the audit trail

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)

    @property
    def station_label(self) -> str:
        return station_label(self.station)

    @property
    def published(self) -> bool:
        return self.status == ScheduleStatus.PUBLISHED

    def _with(self, kind: str) -> int:
        return sum(1 for row in self.rows if any(c.kind == kind for c in row.cells))

    @property
    def tutored(self) -> int:
        return self._with(ActivityKind.TUTORING)

    @property
    def served(self) -> int:
        return self._with(ActivityKind.SERVICE)


def block_plan(
    *, schedule: Schedule, cohort: Cohort, start: datetime.time, viewer: AnyUser
) -> BlockPlan | None:
    """The plan of ``cohort``'s lab or flexible block starting at ``start`` in ``schedule``, as
    ``viewer`` may see it, or None when the cohort has no such block. The caller has scoped
    schedule and cohort.

    Six queries: the block, the plan's existence, the students, the service needs the viewer
    may see, the segments (with programs, groups and adults), and the group members from other
    cohorts.
    """
    block = (
        ScheduledBlock.objects.filter(
            schedule=schedule, cohort=cohort, start=start, station__in=PLANNED_STATIONS
        )
        .select_related("room")
        .first()
    )
    if block is None:
        return None
    has_plan = LabPlan.objects.filter(schedule=schedule).exists()
    students = list(
        with_visible_services(
            Student.objects.filter(cohort=cohort)
            .enrolled_on(schedule.date)
            .order_by("last_name", "first_name", "pk"),
            viewer,
        )
    )
    visible = {s.pk for s in students if s.services_visible}
    segments = list(
        LabSegment.objects.filter(
            plan__schedule=schedule,
            student__cohort=cohort,
            start__gte=block.start,
            start__lt=block.end,
        )
        .select_related("program", "group__staff__user")
        .order_by("start", "student_id")
    )
    # Columns are the pieces the plan cut the block into (every student's are the same).
    columns = tuple(sorted({Segment(s.start, s.end) for s in segments}, key=lambda c: c.start))
    by_student: dict[int, dict[datetime.time, LabSegment]] = defaultdict(dict)
    for segment in segments:
        by_student[segment.student_id][segment.start] = segment

    roster = {s.pk: roster_student(s) for s in students}
    rows = tuple(
        PlanRow(
            roster[s.pk],
            tuple(
                _cell(by_student[s.pk][c.start], services_visible=s.pk in visible)
                if c.start in by_student[s.pk]
                else NOTHING_PLANNED
                for c in columns
            ),
        )
        for s in students
    )

    groups: dict[int, LabGroup] = {}
    members: dict[int, list[RosterStudent]] = defaultdict(list)
    for segment in segments:
        if segment.group_id is None or segment.student_id not in roster:
            continue
        if segment.kind == ActivityKind.SERVICE and segment.student_id not in visible:
            continue  # "away: service" in their row; the group would say which
        groups[segment.group_id] = segment.group
        members[segment.group_id].append(roster[segment.student_id])
    others = dict(
        LabSegment.objects.filter(group_id__in=groups)
        .exclude(student__cohort=cohort)
        .values("group_id")
        .annotate(n=Count("student_id", distinct=True))
        .values_list("group_id", "n")
    )
    block_groups = tuple(
        BlockGroup(
            g.number,
            g.kind,
            _topic(g),
            g.start,
            g.end,
            str(g.staff),
            tuple(sorted(members[g.pk], key=lambda s: s.name)),
            others.get(g.pk, 0),
        )
        for g in sorted(groups.values(), key=lambda g: (g.start, g.number))
    )
    records: list[models.Model] = []
    for student in students:
        records.extend([student, *student.service_needs.all()])
    return BlockPlan(
        schedule_id=schedule.pk,
        date=schedule.date,
        version=schedule.version,
        status=schedule.status,
        cohort_id=cohort.pk,
        cohort_name=cohort.name,
        station=block.station,
        start=block.start,
        end=block.end,
        room_id=block.room_id,
        room_name=block.room.name if block.room else "",
        has_plan=has_plan,
        segments=columns,
        rows=rows,
        groups=block_groups,
        records=tuple(records),
    )


@dataclass(frozen=True)
class GroupStudent:
    student: RosterStudent
    cohort_name: str


@dataclass(frozen=True)
class StaffGroup:
    """A group one adult leads: when, what, with whom, and the blocks its students leave."""

    number: int
    kind: str
    topic: str
    start: datetime.time
    end: datetime.time
    students: tuple[GroupStudent, ...]
    blocks: tuple[str, ...]  # "K Stanford, Learning Lab": the cohort and room they come from

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)


@dataclass(frozen=True)
class StaffGroups:
    schedule_id: int | None  # the published schedule of the date, if any
    groups: tuple[StaffGroup, ...]
    records: tuple[models.Model, ...]


def staff_lab_groups(
    *, staff: Staff, date: datetime.date, viewer: AnyUser | None = None
) -> StaffGroups:
    """The groups ``staff`` leads in the published plan of ``date``, in time order, their
    students marked as ``viewer`` (by default the staff member themself) may see them.

    Four queries (one without a published schedule): the schedule, the segments of their groups
    with the students, the service needs the viewer may see, and the blocks the students come
    from.
    """
    viewer = staff.user if viewer is None else viewer
    schedule_id = (
        Schedule.objects.filter(
            school_id=staff.school_id, date=date, status=ScheduleStatus.PUBLISHED
        )
        .values_list("pk", flat=True)
        .first()
    )
    if schedule_id is None:
        return StaffGroups(None, (), ())
    needs = ServiceNeed.objects.filter(service_details_q(viewer, to_student="student__"))
    segments = list(
        with_service_sight(
            LabSegment.objects.filter(plan__schedule_id=schedule_id, group__staff=staff),
            viewer,
            to_student="student__",
        )
        .select_related("group", "student__cohort")
        .prefetch_related(Prefetch("student__service_needs", queryset=needs))
        .order_by("group__start", "group__number", "student__last_name", "student__first_name")
    )
    if not segments:
        return StaffGroups(schedule_id, (), ())
    for segment in segments:  # for roster_student
        segment.student.services_visible = segment.services_visible
    blocks = list(
        ScheduledBlock.objects.filter(
            schedule_id=schedule_id,
            station__in=PLANNED_STATIONS,
            cohort_id__in={s.student.cohort_id for s in segments},
        )
        .select_related("room")
        .order_by("start")
    )

    def block_of(segment: LabSegment) -> str:
        for b in blocks:
            if b.cohort_id == segment.student.cohort_id and b.start <= segment.start < b.end:
                room = b.room.name if b.room else station_label(b.station)
                return f"{segment.student.cohort.name}, {room}"
        return segment.student.cohort.name if segment.student.cohort else ""

    grouped: dict[int, list[LabSegment]] = defaultdict(list)
    for segment in segments:
        grouped[segment.group_id].append(segment)
    records: list[models.Model] = []
    seen: set[int] = set()
    groups = []
    for members in grouped.values():
        group = members[0].group
        groups.append(
            StaffGroup(
                group.number,
                group.kind,
                _topic(group),
                group.start,
                group.end,
                tuple(
                    GroupStudent(
                        roster_student(s.student),
                        s.student.cohort.name if s.student.cohort else "",
                    )
                    for s in members
                ),
                tuple(dict.fromkeys(block_of(s) for s in members)),
            )
        )
        for s in members:
            if s.student_id not in seen:
                seen.add(s.student_id)
                records.extend([s.student, *s.student.service_needs.all()])
    return StaffGroups(schedule_id, tuple(groups), tuple(records))


@dataclass(frozen=True)
class StayPlan:
    """A lab's block with its plan in numbers (the lab's page shows seats, not names)."""

    stay: LabStay
    cohort_id: int | None
    planned: int  # students with segments in the block
    tutored: int
    served: int


def lab_stay_plans(*, lab: LabDay) -> tuple[StayPlan, ...]:
    """``lab``'s blocks (``rosters.lab_day``) with how many of each cohort's students the plan
    puts in tutoring or services during the block. Two queries: the blocks, the segments."""
    if lab.schedule_id is None or not lab.stays:
        return ()
    # A cohort's name is unique in its school, so (cohort name, start) names a stay.
    blocks = {
        (name, start): (cohort_id, end)
        for cohort_id, name, start, end in ScheduledBlock.objects.filter(
            schedule_id=lab.schedule_id, room=lab.room
        ).values_list("cohort_id", "cohort__name", "start", "end")
    }
    cohort_ids = {cohort_id for cohort_id, _ in blocks.values()}
    segments = LabSegment.objects.filter(
        plan__schedule_id=lab.schedule_id, student__cohort_id__in=cohort_ids
    ).values_list("student_id", "student__cohort_id", "kind", "start")
    planned: dict[tuple[int, datetime.time], set[int]] = defaultdict(set)
    kinds: dict[tuple[int, datetime.time, str], set[int]] = defaultdict(set)
    by_cohort: dict[int, list[tuple[datetime.time, datetime.time]]] = defaultdict(list)
    for (_, start), (cohort_id, end) in blocks.items():
        by_cohort[cohort_id].append((start, end))
    for student_id, cohort_id, kind, start in segments:
        for block_start, block_end in by_cohort[cohort_id]:
            if block_start <= start < block_end:
                planned[(cohort_id, block_start)].add(student_id)
                kinds[(cohort_id, block_start, kind)].add(student_id)
    result = []
    for stay in lab.stays:
        cohort_id, _ = blocks.get((stay.cohort_name, stay.start), (None, None))
        result.append(
            StayPlan(
                stay,
                cohort_id,
                len(planned[(cohort_id, stay.start)]) if cohort_id else 0,
                len(kinds[(cohort_id, stay.start, ActivityKind.TUTORING)]) if cohort_id else 0,
                len(kinds[(cohort_id, stay.start, ActivityKind.SERVICE)]) if cohort_id else 0,
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class Shortfall:
    student_id: int
    student_name: str  # "Last, First": the leader's page only
    service: str  # the service kind's label
    due: int
    met: int
    providers: tuple[str, ...]  # who could have delivered it

    @property
    def short(self) -> int:
        return self.due - self.met


@dataclass(frozen=True)
class PlanSummary:
    shortfalls: tuple[Shortfall, ...]
    students: int  # students planned
    tutoring_groups: int
    service_groups: int
    service_minutes: int  # delivered by the plan
    records: tuple[models.Model, ...]  # the student records named, for the audit trail

    @property
    def complete(self) -> bool:
        return not self.shortfalls

    @property
    def due(self) -> int:
        return sum(s.due for s in self.shortfalls)

    @property
    def met(self) -> int:
        return sum(s.met for s in self.shortfalls)

    @property
    def missing(self) -> int:
        return sum(s.short for s in self.shortfalls)


def plan_summary(*, schedule: Schedule) -> PlanSummary | None:
    """Whether ``schedule``'s lab plan meets every service minute, whose minutes are short if
    not, and what the plan holds in numbers; None for a version stored without a plan.

    Seven queries at most: the plan, the groups by kind, the students planned, the service
    segments, and for shortfalls the students, their needs and the providers.
    """
    plan = LabPlan.objects.filter(schedule=schedule).first()
    if plan is None:
        return None
    by_kind = dict(
        LabGroup.objects.filter(plan=plan)
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    students = LabSegment.objects.filter(plan=plan).values("student_id").distinct().count()
    service_minutes = sum(
        _minutes(start, end)
        for start, end in LabSegment.objects.filter(
            plan=plan, kind=ActivityKind.SERVICE
        ).values_list("start", "end")
    )
    rows = plan.shortfalls
    records: list[models.Model] = []
    shortfalls: list[Shortfall] = []
    if rows:
        named = {
            s.pk: s
            for s in Student.objects.filter(
                school_id=schedule.school_id, pk__in={r["student"] for r in rows}
            )
        }
        needs = {
            n.pk: n
            for n in ServiceNeed.objects.filter(
                student__school_id=schedule.school_id, pk__in={r.get("service") for r in rows}
            )
        }
        providers = {
            p.pk: str(p)
            for p in Staff.objects.filter(
                school_id=schedule.school_id,
                pk__in={pk for r in rows for pk in r.get("providers", ())},
            ).select_related("user")
        }
        for r in rows:
            student = named.get(r["student"])
            shortfalls.append(
                Shortfall(
                    r["student"],
                    f"{student.last_name}, {student.first_name}" if student else "a former student",
                    _service_label(r.get("kind", "")),
                    r["due"],
                    r["met"],
                    tuple(sorted(providers[p] for p in r.get("providers", ()) if p in providers)),
                )
            )
        records.extend(named.values())
        records.extend(needs.values())
        shortfalls.sort(key=lambda s: (s.student_name, s.service))
    return PlanSummary(
        shortfalls=tuple(shortfalls),
        students=students,
        tutoring_groups=by_kind.get(ActivityKind.TUTORING, 0),
        service_groups=by_kind.get(ActivityKind.SERVICE, 0),
        service_minutes=service_minutes,
        records=tuple(records),
    )
