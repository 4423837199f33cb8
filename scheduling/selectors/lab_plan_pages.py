"""What the staff pages show of a stage-2 lab plan: reads only, each in a fixed number of queries
however many students a cohort or a lab holds.

- ``block_plan``: one cohort's lab or flexible block, student by student, each student's
  sessions in order ("8:15-9:00 Lexia Core5 · 9:00-9:30 ELD with Erin Petrov in Room 12"), with
  the groups that take students out of it;
- ``staff_lab_groups``: the tutoring and service groups a tutor or provider leads on a date,
  each with its time, place, grade and students (the adult's plan on "My day");
- ``lab_stay_plans``: for a lab's day, how many students of each block are planned, tutored
  or served (counts);
- ``lab_zone_plans``: for a lab's day, who sits in which zone of the lab in each block and the
  groups meeting at its small-group tables (counts, and names when the page asks for them);
- ``plan_summary``: for the leader reviewing a version, whether every service minute is met and,
  if not, whose minutes are short and who could have delivered them.

Functions that show students also return the student records they read, so the page can record
the read in the audit trail (``students.audit.audit_reads``).

Service details are on a need-to-know basis (``students.permissions``): for a student whose
details the viewer may not see, a service session reads "Away: service" (no kind, no adult, no
place, no group), their service groups are left out of the block's groups, a service group at a
lab table is "a service group" without its kind or adult unless the viewer may see every
member's details, and roster marks carry no IEP or service; the viewer's own groups always name
what they deliver.

Times are written through Django's localization (``django.utils.formats.time_format``), so a
school's locale decides between "8:15 a.m." and "08:15".
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import models
from django.db.models import Count, Prefetch
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from learninglabs.models import Subject
from students.models import Cohort, GradeLevel, ServiceKind, ServiceNeed, Staff, Student
from students.permissions import AnyUser, service_details_q, with_service_sight

from ..models import (
    ActivityKind,
    LabGroup,
    LabPlan,
    LabSegment,
    LabZone,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StationCode,
    minutes_of,
    time_span,
)
from .blocks import station_label
from .rosters import LabDay, LabStay, RosterStudent, roster_student, with_visible_services

# The blocks whose minutes a lab plan divides: the Learning Lab and the flexible block.
PLANNED_STATIONS = (StationCode.LAB, StationCode.FLEX)

# What a service group is called where space is short (a session, a group's label).
SERVICE_TOPIC: dict[str, Promise] = {
    ServiceKind.IEP: gettext_lazy("Special education"),
    ServiceKind.ELD: gettext_lazy("ELD"),
    ServiceKind.INTERVENTION: gettext_lazy("Intervention"),
}


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


def _topic(kind: str, *, subject: str = "", service_kind: str = "") -> str:
    """What a group is for, in a few words: "Tutoring: literacy", "ELD"."""
    if kind == ActivityKind.TUTORING:
        if subject:
            return gettext("Tutoring: %(subject)s") % {"subject": _subject_label(subject)}
        return gettext("Tutoring")
    return str(SERVICE_TOPIC.get(service_kind, _service_label(service_kind)))


def group_topic(group: LabGroup) -> str:
    return _topic(group.kind, subject=group.subject, service_kind=group.service_kind)


def zone_place(zone: LabZone) -> str:
    """A zone as a place: "Lab A · Zone 2" (the zone's lab read with it)."""
    return gettext("%(lab)s · %(zone)s") % {"lab": zone.lab.name, "zone": zone.name}


def group_place(group: LabGroup) -> str:
    """Where a group meets: its room's name or its lab zone; blank when the plan names none."""
    # Reading a null foreign key returns None without a query, as the ``_id`` test did.
    if group.zone is not None:
        return zone_place(group.zone)
    return group.room.name if group.room is not None else ""


def grades_label(levels: Iterable[int]) -> str:
    """ "Grade 2", or "Grades K, 1" for a group that mixes grades; blank for none."""
    names = [str(GradeLevel(level).label) for level in sorted(set(levels))]
    if not names:
        return ""
    if len(names) == 1:
        return gettext("Grade %(grade)s") % {"grade": names[0]}
    return gettext("Grades %(grades)s") % {"grades": ", ".join(names)}


def group_label(topic: str, grades: str, place: str) -> str:
    """A group as staff name it: "ELD · Grade 2 · Room 12" (never a number)."""
    return gettext(" · ").join(part for part in (topic, grades, place) if part)


# Related rows a segment's session reads: its program, its group's adult and place, its zone.
SESSION_RELATED = (
    "program",
    "group__staff__user",
    "group__room",
    "group__zone__lab",
    "zone__lab",
)


@dataclass(frozen=True)
class Session:
    """A stretch of a block in which a student does one thing. ``kind`` is the CSS class:
    program, open (no program serves the grade), tutoring or service."""

    start: datetime.time
    end: datetime.time
    kind: str
    activity: str  # the program's name, or the group's topic; "Away: service" when hidden
    adult: str = ""
    place: str = ""

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)

    @property
    def what(self) -> str:
        """The session without its time: "ELD with Erin Petrov in Room 12"."""
        values = {"activity": self.activity, "adult": self.adult, "place": self.place}
        if self.adult and self.place:
            return gettext("%(activity)s with %(adult)s in %(place)s") % values
        if self.adult:
            return gettext("%(activity)s with %(adult)s") % values
        if self.place:
            return gettext("%(activity)s in %(place)s") % values
        return self.activity

    @property
    def text(self) -> str:
        return gettext("%(span)s %(what)s") % {"span": self.span, "what": self.what}


def _session(segment: LabSegment, *, services_visible: bool) -> Session:
    start, end = segment.start, segment.end
    if segment.kind == ActivityKind.SERVICE and not services_visible:
        return Session(start, end, "service", gettext("Away: service"))
    if segment.kind != ActivityKind.PROGRAM:
        group = segment.group
        assert group is not None  # only program time is outside a group
        topic = _topic(
            group.kind,
            subject=segment.subject or group.subject,
            service_kind=group.service_kind,
        )
        return Session(start, end, group.kind, topic, str(group.staff), group_place(group))
    # Program time sits in the block's room; a zone of the lab, when the plan names one.
    place = segment.zone.name if segment.zone is not None else ""
    if segment.program is None:  # no program serves the student's grade
        return Session(start, end, "open", gettext("Open lab time"), place=place)
    return Session(start, end, "program", segment.program.name, place=place)


def merged(sessions: Iterable[Session]) -> tuple[Session, ...]:
    """Consecutive sessions of the same activity, adult and place read as one."""
    result: list[Session] = []
    for session in sessions:
        last = result[-1] if result else None
        if (
            last is not None
            and last.end == session.start
            and (last.kind, last.what) == (session.kind, session.what)
        ):
            result[-1] = replace(last, end=session.end)
        else:
            result.append(session)
    return tuple(result)


@dataclass(frozen=True)
class PlanRow:
    student: RosterStudent
    sessions: tuple[Session, ...]  # in time order; none: nothing planned (joined after the build)

    @property
    def sentence(self) -> str:
        """The row as one line: "8:15-9:00 Lexia Core5 · 9:00-9:30 ELD with Erin Petrov"."""
        if not self.sessions:
            return gettext("Not planned")
        return gettext(" · ").join(s.text for s in self.sessions)

    def does(self, kind: str) -> bool:
        return any(s.kind == kind for s in self.sessions)


@dataclass(frozen=True)
class BlockGroup:
    """A group that takes students out of the block: its adult, what for, when, where, who."""

    number: int
    kind: str  # tutoring or service: the CSS class
    topic: str
    label: str  # "ELD · Grade 2 · Room 12"
    place: str
    start: datetime.time
    end: datetime.time
    staff_name: str
    students: tuple[RosterStudent, ...]  # this cohort's members
    others: int  # members from other cohorts, counted only: this page is about one cohort

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)


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
    rows: tuple[PlanRow, ...]
    groups: tuple[BlockGroup, ...]
    records: tuple[models.Model, ...]  # the student records read, for the audit trail

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)

    @property
    def station_label(self) -> str:
        return station_label(self.station)

    @property
    def published(self) -> bool:
        return self.status == ScheduleStatus.PUBLISHED

    @property
    def tutored(self) -> int:
        return sum(1 for row in self.rows if row.does(ActivityKind.TUTORING))

    @property
    def served(self) -> int:
        return sum(1 for row in self.rows if row.does(ActivityKind.SERVICE))


def block_plan(
    *, schedule: Schedule, cohort: Cohort, start: datetime.time, viewer: AnyUser
) -> BlockPlan | None:
    """The plan of ``cohort``'s lab or flexible block starting at ``start`` in ``schedule``, as
    ``viewer`` may see it, or None when the cohort has no such block. The caller has scoped
    schedule and cohort.

    Six queries: the block, the plan's existence, the students, the service needs the viewer
    may see, the segments (with programs, groups, adults and places), and the group members
    from other cohorts.
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
            .select_related("grade")
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
        .select_related(*SESSION_RELATED)
        .order_by("student_id", "start")
    )
    by_student: dict[int, list[LabSegment]] = defaultdict(list)
    for segment in segments:
        by_student[segment.student_id].append(segment)
    roster = {s.pk: roster_student(s) for s in students}
    rows = tuple(
        PlanRow(
            roster[s.pk],
            merged(
                _session(segment, services_visible=s.pk in visible) for segment in by_student[s.pk]
            ),
        )
        for s in students
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
        rows=rows,
        groups=_block_groups(segments, students, roster, visible, cohort),
        records=tuple(records),
    )


def _block_groups(
    segments: list[LabSegment],
    students: list[Student],
    roster: dict[int, RosterStudent],
    visible: set[int],
    cohort: Cohort,
) -> tuple[BlockGroup, ...]:
    """The groups that take the block's students out, each with this cohort's members and a
    count of the others (one query: the members from other cohorts, with their grades)."""
    grade_of = {s.pk: s.grade.level for s in students}
    groups: dict[int, LabGroup] = {}
    members: dict[int, dict[int, RosterStudent]] = defaultdict(dict)
    levels: dict[int, set[int]] = defaultdict(set)
    for segment in segments:
        if segment.group_id is None or segment.student_id not in roster:
            continue
        if segment.kind == ActivityKind.SERVICE and segment.student_id not in visible:
            continue  # "away: service" in their row; the group would say which
        assert segment.group is not None  # group_id was tested above
        groups[segment.group_id] = segment.group
        members[segment.group_id][segment.student_id] = roster[segment.student_id]
        levels[segment.group_id].add(grade_of[segment.student_id])
    others: dict[int, set[int]] = defaultdict(set)
    for group_id, student_id, level in (
        LabSegment.objects.filter(group_id__in=groups)
        .exclude(student__cohort=cohort)
        .values_list("group_id", "student_id", "student__grade__level")
        .distinct()
    ):
        others[group_id].add(student_id)
        levels[group_id].add(level)
    result = []
    for g in sorted(groups.values(), key=lambda g: (g.start, g.number)):
        topic, place = group_topic(g), group_place(g)
        result.append(
            BlockGroup(
                number=g.number,
                kind=g.kind,
                topic=topic,
                label=group_label(topic, grades_label(levels[g.pk]), place),
                place=place,
                start=g.start,
                end=g.end,
                staff_name=str(g.staff),
                students=tuple(sorted(members[g.pk].values(), key=lambda s: s.name)),
                others=len(others[g.pk]),
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class GroupStudent:
    student: RosterStudent
    cohort_name: str


@dataclass(frozen=True)
class StaffGroup:
    """A group one adult leads: when, what, where, with whom, and the blocks its students
    leave."""

    number: int
    kind: str
    topic: str
    label: str  # "ELD · Grade 2 · Room 12"
    place: str
    grades: str
    start: datetime.time
    end: datetime.time
    students: tuple[GroupStudent, ...]  # each student once
    blocks: tuple[str, ...]  # "K Stanford, Learning Lab": the cohort and room they come from

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)


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
    with the students and the groups' places, the service needs the viewer may see, and the
    blocks the students come from.
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
        .select_related("group__room", "group__zone__lab", "student__cohort", "student__grade")
        .prefetch_related(Prefetch("student__service_needs", queryset=needs))
        .order_by(
            "group__start",
            "group__number",
            "student__last_name",
            "student__first_name",
            "student_id",
            "start",
        )
    )
    if not segments:
        return StaffGroups(schedule_id, (), ())
    for segment in segments:  # for roster_student
        # LabSegment declares no services_visible (with_service_sight annotates it).
        segment.student.services_visible = segment.services_visible  # type: ignore[attr-defined]
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
        cohort = segment.student.cohort
        for b in blocks:
            if cohort is not None and b.cohort_id == cohort.pk and b.start <= segment.start < b.end:
                room = b.room.name if b.room else station_label(b.station)
                return gettext("%(cohort)s, %(room)s") % {"cohort": cohort.name, "room": room}
        return cohort.name if cohort else ""

    grouped: dict[int, dict[int, LabSegment]] = defaultdict(dict)
    for segment in segments:  # a student in several of the group's segments is listed once
        assert segment.group_id is not None  # read by their group's staff
        grouped[segment.group_id].setdefault(segment.student_id, segment)
    records: dict[tuple[str, int], models.Model] = {}
    groups = []
    for members in grouped.values():
        firsts = list(members.values())
        group = firsts[0].group
        assert group is not None  # as above
        topic, place = group_topic(group), group_place(group)
        grades = grades_label(s.student.grade.level for s in firsts)
        groups.append(
            StaffGroup(
                number=group.number,
                kind=group.kind,
                topic=topic,
                label=group_label(topic, grades, place),
                place=place,
                grades=grades,
                start=group.start,
                end=group.end,
                students=tuple(
                    GroupStudent(
                        roster_student(s.student),
                        s.student.cohort.name if s.student.cohort else "",
                    )
                    for s in firsts
                ),
                blocks=tuple(dict.fromkeys(block_of(s) for s in firsts)),
            )
        )
        for s in firsts:
            for record in (s.student, *s.student.service_needs.all()):
                records[(record._meta.label_lower, record.pk)] = record
    return StaffGroups(schedule_id, tuple(groups), tuple(records.values()))


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
    for (_, start), (block_cohort, end) in blocks.items():
        by_cohort[block_cohort].append((start, end))
    for student_id, student_cohort, kind, start in segments:
        for block_start, block_end in by_cohort[student_cohort]:
            if block_start <= start < block_end:
                planned[(student_cohort, block_start)].add(student_id)
                kinds[(student_cohort, block_start, kind)].add(student_id)
    result = []
    for stay in lab.stays:
        cohort_id: int | None
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
class SeatedStudent:
    name: str  # "Last, First"
    span: str  # when only part of the block: "8:40 a.m.-8:55 a.m."; blank for all of it


@dataclass(frozen=True)
class ZoneSeating:
    """One part of the lab in one block: the block's students seated there for program time."""

    name: str
    seats: int | None  # None: program time with no zone named (anywhere in the lab)
    count: int
    students: tuple[SeatedStudent, ...]  # empty unless the page shows names


@dataclass(frozen=True)
class TableGroup:
    """A group meeting at one of the lab's small-group tables."""

    kind: str
    zone_name: str
    start: datetime.time
    end: datetime.time
    label: str  # "Tutoring: literacy · Grade K"; "Service group" when not the viewer's to see
    adult: str  # blank when the group's service is not the viewer's to see
    count: int
    students: tuple[str, ...]  # names, empty unless the page shows names

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)


@dataclass(frozen=True)
class StayZones:
    stay: LabStay
    zones: tuple[ZoneSeating, ...]
    tables: tuple[TableGroup, ...]

    @property
    def span(self) -> str:
        return time_span(self.stay.start, self.stay.end)


@dataclass(frozen=True)
class LabZones:
    zoned: bool  # whether the lab is divided into zones at all
    stays: tuple[StayZones, ...]
    records: tuple[models.Model, ...]  # the students named, for the audit trail

    @property
    def planned(self) -> bool:
        """Whether the plan puts anyone in the lab's zones or at its tables at all."""
        return any(z.count for s in self.stays for z in s.zones) or any(
            s.tables for s in self.stays
        )


def _seated(
    segments: list[LabSegment], start: datetime.time, end: datetime.time, *, names: bool
) -> tuple[int, tuple[SeatedStudent, ...]]:
    """How many students ``segments`` (one zone, one block) seat, and who and when."""
    spans: dict[int, list[Session]] = defaultdict(list)
    students: dict[int, Student] = {}
    for segment in sorted(segments, key=lambda s: (s.student_id, s.start)):
        students[segment.student_id] = segment.student
        spans[segment.student_id].append(Session(segment.start, segment.end, "program", ""))
    if not names:
        return len(students), ()
    seated = []
    for student_id, sessions in spans.items():
        stretches = merged(sessions)
        whole = len(stretches) == 1 and (stretches[0].start, stretches[0].end) == (start, end)
        student = students[student_id]
        seated.append(
            SeatedStudent(
                f"{student.last_name}, {student.first_name}",
                "" if whole else gettext(", ").join(s.span for s in stretches),
            )
        )
    return len(students), tuple(sorted(seated, key=lambda s: s.name))


def lab_zone_plans(
    *, lab: LabDay, stays: tuple[StayPlan, ...], viewer: AnyUser, names: bool = False
) -> LabZones:
    """Who sits in which zone of ``lab`` in each of its blocks (``stays``, from
    ``lab_stay_plans``), and the groups meeting at its small-group tables during each block:
    counts, and the students' names when ``names``. A service group at a table keeps its kind
    and adult to itself unless ``viewer`` may see every member's service details.

    Three queries: the lab's zones, the program time of its blocks' students, and the members
    of the groups at its tables (with whether the viewer may see their services).
    """
    if lab.schedule_id is None or not stays:
        return LabZones(False, (), ())
    zones = list(LabZone.objects.filter(lab=lab.room).order_by("name"))
    cohort_ids = {s.cohort_id for s in stays if s.cohort_id is not None}
    program = list(
        LabSegment.objects.filter(
            plan__schedule_id=lab.schedule_id,
            kind=ActivityKind.PROGRAM,
            student__cohort_id__in=cohort_ids,
        ).select_related("student")
    )
    at_tables = list(
        with_service_sight(
            LabSegment.objects.filter(plan__schedule_id=lab.schedule_id, group__zone__lab=lab.room),
            viewer,
            to_student="student__",
        )
        .select_related("group__staff__user", "group__zone", "student__grade")
        .order_by("group__start", "group__number", "student__last_name", "student__first_name")
    )
    records: dict[int, Student] = {}
    result = []
    claimed: set[int] = set()  # a group is listed in the first block it belongs to
    for item in stays:
        in_block = [
            s
            for s in program
            if s.student.cohort_id == item.cohort_id and item.stay.start <= s.start < item.stay.end
        ]
        seating = _zone_seating(in_block, zones, item.stay, names=names)
        tables = _table_groups(at_tables, item, claimed, viewer, names=names)
        result.append(StayZones(item.stay, seating, tables))
        if names:
            records.update((s.student_id, s.student) for s in in_block)
    if names:
        records.update((s.student_id, s.student) for s in at_tables if s.group_id in claimed)
    return LabZones(bool(zones), tuple(result), tuple(records.values()))


def _zone_seating(
    segments: list[LabSegment], zones: list[LabZone], stay: LabStay, *, names: bool
) -> tuple[ZoneSeating, ...]:
    by_zone: dict[int | None, list[LabSegment]] = defaultdict(list)
    known = {z.pk for z in zones}
    for segment in segments:
        by_zone[segment.zone_id if segment.zone_id in known else None].append(segment)
    seating = []
    for zone in zones:
        if not zone.computers:
            continue  # tables seat groups, listed apart
        count, students = _seated(by_zone[zone.pk], stay.start, stay.end, names=names)
        seating.append(ZoneSeating(zone.name, zone.seats, count, students))
    if by_zone[None]:
        count, students = _seated(by_zone[None], stay.start, stay.end, names=names)
        seating.append(ZoneSeating(gettext("Anywhere in the lab"), None, count, students))
    return tuple(seating)


def _table_groups(
    segments: list[LabSegment],
    item: StayPlan,
    claimed: set[int],
    viewer: AnyUser,
    *,
    names: bool,
) -> tuple[TableGroup, ...]:
    """The groups at the lab's tables that meet during ``item``'s block and have a member of
    its cohort (or, lacking one, simply meet then), each listed once."""
    members: dict[int, list[LabSegment]] = defaultdict(list)
    for segment in segments:
        assert segment.group_id is not None  # the caller reads groups at the lab's zones
        members[segment.group_id].append(segment)
    stay = item.stay
    tables = []
    for group_id, rows in members.items():
        group = rows[0].group
        assert group is not None and group.zone is not None  # as above
        overlaps = group.start < stay.end and stay.start < group.end
        ours = any(r.student.cohort_id == item.cohort_id for r in rows)
        if group_id in claimed or not overlaps or not ours:
            continue
        claimed.add(group_id)
        students = {r.student_id: r for r in rows}
        hidden = group.kind == ActivityKind.SERVICE and not (
            group.staff.user_id == getattr(viewer, "pk", None)
            # LabSegment declares no services_visible (with_service_sight annotates it).
            or all(r.services_visible for r in students.values())  # type: ignore[attr-defined]
        )
        topic = gettext("Service group") if hidden else group_topic(group)
        grades = grades_label(r.student.grade.level for r in students.values())
        tables.append(
            TableGroup(
                kind=group.kind,
                zone_name=group.zone.name,
                start=group.start,
                end=group.end,
                label=group_label(topic, grades, ""),
                adult="" if hidden else str(group.staff),
                count=len(students),
                students=tuple(
                    f"{r.student.last_name}, {r.student.first_name}" for r in students.values()
                )
                if names
                else (),
            )
        )
    return tuple(tables)


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
                    f"{student.last_name}, {student.first_name}"
                    if student
                    else gettext("a former student"),
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
