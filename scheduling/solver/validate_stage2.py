"""The independent checker of stage-2 lab plans: does a ``LabPlan`` keep every hard rule?

Written apart from ``stage2.py`` on purpose: it reads only the data contract of ``plans.py`` (and
the one-line interval test ``intervals.inside``) and re-derives the rules from the problem,
without the solver's indexes, model or OR-Tools, so a bug in the solver shows up here as a
violation instead of being published. Rules:

- ``coverage``: each present student's sessions tile each of their cohort's lab and flexible
  blocks exactly (no gap, no overlap, nothing outside), with boundaries on ``grid_minutes``; no
  session for a student who is not present;
- ``session-length``: program time lasts at least its program's ``min_minutes`` (open lab time:
  ``program_minimum``), a service session its need's ``session_minutes``, tutoring
  ``tutoring_session_minutes``, unless the session is a whole block shorter than that;
- ``changes``: at most ``max_changes`` changes of activity (kind, program or group) in a block;
- ``activity``: what a session names exists and fits: a program the student may use (none only
  when no program serves them), a tutor who teaches that subject and grade, a service of that
  student delivered by an eligible provider;
- ``service-minutes``: every service's minutes are met, or the plan reports the shortfall with the
  right numbers (and reports no shortfall that is not there);
- ``tutoring-minutes``: a student gets at most ``tutoring_minutes`` of tutoring a day;
- ``group``: a group's members sit in it for its whole interval, with its adult and place, inside
  their own block, and no session claims a group that does not list its student;
- ``group-size``: at most the tutor's group size, or the smallest limit among a service group's
  members; ``group-grade``: one grade per group (two adjacent ones when ``adjacent_grades``);
- ``place``: every group meets in a known place (when the problem has places) while it is free,
  never in a computers zone, one group per place at a time; everyone in a place at a minute fits
  its capacity; lab program time sits in a computers zone of the block's lab (no place when that
  lab has no zones) and flex program time in the block's own room;
- ``staff``: an adult (tutor, provider or both) is in one group at a time, within their hours,
  their caseload (students and minutes a day), with ``passing_minutes`` to walk between places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from .clock import clock, clock_span, grade_name
from .intervals import inside
from .plans import (
    ActivityKind,
    BlockKind,
    LabBlock,
    LabPlan,
    LabProgram,
    Place,
    PlaceKind,
    PlanGroup,
    PlanProblem,
    PlanSegment,
    StudentDay,
)
from .words import tr


@dataclass(frozen=True)
class PlanViolation:
    rule: str
    message: str
    student: int | None = None
    staff: int | None = None
    group: int | None = None
    place: int | None = None


def validate_plan(problem: PlanProblem, plan: LabPlan) -> tuple[PlanViolation, ...]:
    """Every hard rule ``plan`` breaks for ``problem``; ``()`` for a valid plan."""
    day = _Day(problem, plan)
    found = [
        *_coverage(day),
        *_session_lengths(day),
        *_changes(day),
        *_activities(day),
        *_service_minutes(day),
        *_tutoring_minutes(day),
        *_groups(day),
        *_places(day),
        *_staff(day),
    ]
    return tuple(sorted(found, key=lambda v: (v.rule, v.message)))


# --- intervals and lookups -------------------------------------------------------------------


def _peak(spans: Iterable[tuple[int, int, int]]) -> tuple[int, int]:
    """The most people at once among ``(start, end, count)`` spans, and the first minute of it."""
    # Ends sort before starts at the same minute: ``end`` is exclusive.
    events = sorted(
        [(start, count) for start, _end, count in spans]
        + [(end, -count) for _start, end, count in spans]
    )
    most, at, now = 0, 0, 0
    for minute, delta in events:
        now += delta
        if now > most:
            most, at = now, minute
    return most, at


def _may_use(student: StudentDay, program: LabProgram) -> bool:
    return program.serves(student.grade) and (
        not student.programs or program.id in student.programs
    )


class _Day:
    """The problem and plan indexed once, for every rule family."""

    def __init__(self, problem: PlanProblem, plan: LabPlan) -> None:
        self.problem = problem
        self.plan = plan
        self.students = {s.id: s for s in problem.students}
        self.programs = {p.id: p for p in problem.programs}
        self.services = {s.id: s for s in problem.services}
        self.tutors = {t.id: t for t in problem.tutors}
        self.providers = {p.id: p for p in problem.providers}
        self.places = {p.id: p for p in problem.places}
        self.groups = {g.id: g for g in plan.groups}
        self.blocks: dict[int, list[LabBlock]] = defaultdict(list)
        for block in sorted(problem.blocks, key=lambda b: b.start):
            self.blocks[block.cohort].append(block)

    @cached_property
    def sessions(self) -> dict[int, list[PlanSegment]]:
        """Each present student's sessions by start."""
        mine: dict[int, list[PlanSegment]] = defaultdict(list)
        for seg in sorted(self.plan.segments, key=lambda s: (s.start, s.end)):
            if seg.student in self.students:
                mine[seg.student].append(seg)
        return mine

    def known_sessions(self) -> Iterator[tuple[StudentDay, PlanSegment]]:
        for student_id, sessions in self.sessions.items():
            for seg in sessions:
                yield self.students[student_id], seg

    def block_of(self, student: int, start: int, end: int) -> LabBlock | None:
        """The block of ``student``'s cohort that holds ``start``-``end``, if any."""
        cohort = self.students[student].cohort
        return next((b for b in self.blocks[cohort] if b.start <= start and end <= b.end), None)

    def by_block(self, student: StudentDay) -> Iterator[tuple[LabBlock, list[PlanSegment]]]:
        """Each of the student's blocks with the sessions that lie inside it, by start."""
        mine = self.sessions.get(student.id, [])
        for block in self.blocks[student.cohort]:
            yield block, [s for s in mine if block.start <= s.start < s.end <= block.end]


def _adult(group: PlanGroup) -> int | None:
    return group.tutor if group.kind == ActivityKind.TUTORING else group.provider


# --- coverage, session length, changes -------------------------------------------------------


def _coverage(day: _Day) -> list[PlanViolation]:
    out = [
        PlanViolation(
            "coverage",
            tr("student %(student)s is not present today", student=seg.student),
            seg.student,
        )
        for seg in day.plan.segments
        if seg.student not in day.students
    ]
    grid = day.problem.grid_minutes
    for student, seg in day.known_sessions():
        block = day.block_of(student.id, seg.start, seg.end)
        if seg.end <= seg.start:
            out.append(
                PlanViolation(
                    "coverage",
                    tr("student %(student)s has an empty session", student=student.id),
                    student.id,
                )
            )
        elif block is None:
            out.append(
                PlanViolation(
                    "coverage",
                    tr(
                        "student %(student)s has a session %(span)s outside their lab and "
                        "flexible blocks",
                        student=student.id,
                        span=clock_span(seg.start, seg.end),
                    ),
                    student.id,
                )
            )
        else:
            off = [
                t for t in (seg.start, seg.end) if t % grid and t not in (block.start, block.end)
            ]
            if off:
                out.append(
                    PlanViolation(
                        "coverage",
                        tr(
                            "student %(student)s has a session %(span)s that is off the "
                            "%(grid)s-minute grid at %(time)s",
                            student=student.id,
                            span=clock_span(seg.start, seg.end),
                            grid=grid,
                            time=clock(off[0]),
                        ),
                        student.id,
                    )
                )
    for student in day.students.values():
        for block, sessions in day.by_block(student):
            out += _tiling(student.id, block, sessions)
    return out


def _tiling(student: int, block: LabBlock, sessions: list[PlanSegment]) -> list[PlanViolation]:
    out = []
    covered_to = block.start
    for seg in sessions:
        if seg.start > covered_to:
            out.append(
                PlanViolation(
                    "coverage",
                    tr(
                        "student %(student)s has no activity %(span)s",
                        student=student,
                        span=clock_span(covered_to, seg.start),
                    ),
                    student,
                )
            )
        elif seg.start < covered_to:
            out.append(
                PlanViolation(
                    "coverage",
                    tr(
                        "student %(student)s has two activities at once %(span)s",
                        student=student,
                        span=clock_span(seg.start, min(covered_to, seg.end)),
                    ),
                    student,
                )
            )
        covered_to = max(covered_to, seg.end)
    if covered_to < block.end:
        out.append(
            PlanViolation(
                "coverage",
                tr(
                    "student %(student)s has no activity %(span)s",
                    student=student,
                    span=clock_span(covered_to, block.end),
                ),
                student,
            )
        )
    return out


def _shortest(day: _Day, student: StudentDay, seg: PlanSegment) -> int | None:
    """The shortest ``seg`` may be, or None when it names nothing known."""
    if seg.kind == ActivityKind.PROGRAM:
        if seg.program is None:
            return day.problem.program_minimum(student)
        program = day.programs.get(seg.program)
        return program.min_minutes if program else None
    if seg.kind == ActivityKind.SERVICE:
        service = day.services.get(seg.service) if seg.service is not None else None
        return service.session_minutes if service else None
    if seg.kind == ActivityKind.TUTORING:
        return day.problem.tutoring_session_minutes
    return None


def _too_short(day: _Day, seg: PlanSegment, least: int) -> str:
    """The violation of a session ``seg`` (known to ``_shortest``) shorter than ``least``."""
    values: dict[str, object] = {
        "student": seg.student,
        "minutes": seg.minutes,
        "time": clock(seg.start),
        "least": least,
    }
    if seg.kind == ActivityKind.PROGRAM and seg.program is None:
        return tr(
            "student %(student)s has %(minutes)s minutes of open lab time at %(time)s; "
            "a session lasts at least %(least)s",
            **values,
        )
    if seg.kind == ActivityKind.PROGRAM:
        return tr(
            "student %(student)s has %(minutes)s minutes of program %(program)s at %(time)s; "
            "a session lasts at least %(least)s",
            program=seg.program,
            **values,
        )
    service = day.services.get(seg.service) if seg.service is not None else None
    if seg.kind == ActivityKind.SERVICE and service is not None:
        return tr(
            "student %(student)s has %(minutes)s minutes of %(kind)s service %(service)s at "
            "%(time)s; a session lasts at least %(least)s",
            kind=service.kind,
            service=service.id,
            **values,
        )
    return tr(
        "student %(student)s has %(minutes)s minutes of tutoring at %(time)s; "
        "a session lasts at least %(least)s",
        **values,
    )


def _session_lengths(day: _Day) -> list[PlanViolation]:
    out = []
    for student, seg in day.known_sessions():
        least = _shortest(day, student, seg)
        if least is None or seg.minutes >= least:
            continue
        block = day.block_of(student.id, seg.start, seg.end)
        if block is not None and (block.start, block.end) == (seg.start, seg.end):
            continue  # a block shorter than the minimum cannot be split: one session fills it
        out.append(
            PlanViolation(
                "session-length", _too_short(day, seg, least), student.id, group=seg.group
            )
        )
    return out


def _changes(day: _Day) -> list[PlanViolation]:
    out = []
    limit = day.problem.max_changes
    for student in day.students.values():
        for block, sessions in day.by_block(student):
            if _tiling(student.id, block, sessions):
                continue  # coverage reports the block; its changes would count noise
            doing = [(s.kind, s.program, s.group) for s in sessions]
            changes = sum(a != b for a, b in pairwise(doing))
            if changes > limit:
                out.append(
                    PlanViolation(
                        "changes",
                        tr(
                            "student %(student)s changes activity %(changes)s times in the "
                            "%(kind)s block %(span)s; at most %(most)s",
                            student=student.id,
                            changes=changes,
                            kind=block.kind,
                            span=clock_span(block.start, block.end),
                            most=limit,
                        ),
                        student.id,
                    )
                )
    return out


# --- what each session names -----------------------------------------------------------------


def _activities(day: _Day) -> list[PlanViolation]:
    out = []
    for student, seg in day.known_sessions():
        problem, staff = _activity_problem(day, student, seg)
        if problem:
            out.append(PlanViolation("activity", problem, seg.student, staff, seg.group))
    return out


def _activity_problem(
    day: _Day, student: StudentDay, seg: PlanSegment
) -> tuple[str | None, int | None]:
    """What is wrong with what ``seg`` names, and the adult concerned."""
    at: dict[str, object] = {"student": seg.student, "time": clock(seg.start)}
    if seg.kind == ActivityKind.PROGRAM:
        program = day.programs.get(seg.program) if seg.program is not None else None
        if seg.program is None:
            # Open lab time is only for a student no program serves.
            if any(_may_use(student, p) for p in day.problem.programs):
                return tr(
                    "student %(student)s at %(time)s: lab time names no program though one "
                    "serves the student",
                    **at,
                ), None
        elif program is None:
            return tr(
                "student %(student)s at %(time)s: program %(program)s does not exist",
                program=seg.program,
                **at,
            ), None
        elif not _may_use(student, program):
            return tr(
                "student %(student)s at %(time)s: program %(program)s is not one the student "
                "may use",
                program=program.id,
                **at,
            ), None
        return None, None
    if seg.kind == ActivityKind.TUTORING:
        tutor = day.tutors.get(seg.tutor) if seg.tutor is not None else None
        if tutor is None:
            return tr(
                "student %(student)s at %(time)s: tutor %(tutor)s does not exist",
                tutor=seg.tutor,
                **at,
            ), seg.tutor
        if (tutor.subjects and seg.subject not in tutor.subjects) or (
            tutor.grades and student.grade not in tutor.grades
        ):
            return tr(
                "student %(student)s at %(time)s: tutor %(tutor)s does not tutor %(subject)s "
                "in this grade",
                tutor=tutor.id,
                subject=seg.subject,
                **at,
            ), tutor.id
        return None, None
    if seg.kind == ActivityKind.SERVICE:
        service = day.services.get(seg.service) if seg.service is not None else None
        provider = day.providers.get(seg.provider) if seg.provider is not None else None
        if service is None or service.student != seg.student:
            return tr(
                "student %(student)s at %(time)s: service %(service)s is not one of this "
                "student's services",
                service=seg.service,
                **at,
            ), None
        if provider is None:
            return tr(
                "student %(student)s at %(time)s: provider %(provider)s does not exist",
                provider=seg.provider,
                **at,
            ), seg.provider
        if service.kind not in provider.kinds or (
            service.providers and provider.id not in service.providers
        ):
            return tr(
                "student %(student)s at %(time)s: provider %(provider)s may not deliver "
                "service %(service)s",
                provider=provider.id,
                service=service.id,
                **at,
            ), provider.id
        return None, None
    return tr(
        "student %(student)s at %(time)s: unknown activity %(kind)s", kind=repr(seg.kind), **at
    ), None


def _service_minutes(day: _Day) -> list[PlanViolation]:
    out = []
    met: dict[int, int] = defaultdict(int)
    for seg in day.plan.segments:
        if seg.kind == ActivityKind.SERVICE and seg.service is not None:
            met[seg.service] += seg.minutes
    reported = {s.service: s for s in day.plan.shortfalls}
    for service in day.problem.services:
        got = met.get(service.id, 0)
        claim = reported.pop(service.id, None)
        message = None
        if got >= service.minutes:
            if claim is not None:
                message = tr(
                    "service %(service)s is reported short but gets %(got)s of %(due)s minutes",
                    service=service.id,
                    got=got,
                    due=service.minutes,
                )
        elif claim is None:
            message = tr(
                "student %(student)s: service %(service)s (%(kind)s) gets %(got)s of %(due)s "
                "minutes and no shortfall says so",
                student=service.student,
                service=service.id,
                kind=service.kind,
                got=got,
                due=service.minutes,
            )
        elif (claim.student, claim.due, claim.met) != (service.student, service.minutes, got):
            message = tr(
                "service %(service)s: the shortfall reports %(claimed_met)s of "
                "%(claimed_due)s minutes, the plan gives %(got)s of %(due)s",
                service=service.id,
                claimed_met=claim.met,
                claimed_due=claim.due,
                got=got,
                due=service.minutes,
            )
        if message:
            out.append(PlanViolation("service-minutes", message, service.student))
    for service_id, claim in sorted(reported.items()):
        out.append(
            PlanViolation(
                "service-minutes",
                tr(
                    "a shortfall names service %(service)s, which is not due today",
                    service=service_id,
                ),
                claim.student,
            )
        )
    return out


def _tutoring_minutes(day: _Day) -> list[PlanViolation]:
    tutored: dict[int, int] = defaultdict(int)
    for student, seg in day.known_sessions():
        if seg.kind == ActivityKind.TUTORING:
            tutored[student.id] += seg.minutes
    most = day.problem.tutoring_minutes
    return [
        PlanViolation(
            "tutoring-minutes",
            tr(
                "student %(student)s gets %(got)s minutes of tutoring; at most %(most)s a day",
                student=student,
                got=got,
                most=most,
            ),
            student,
        )
        for student, got in sorted(tutored.items())
        if got > most
    ]


# --- groups ----------------------------------------------------------------------------------


def _groups(day: _Day) -> list[PlanViolation]:
    seats: dict[int, list[PlanSegment]] = defaultdict(list)
    out = []
    for _student, seg in day.known_sessions():
        problem = _seat_problem(day, seg)
        if problem:
            out.append(PlanViolation("group", problem, seg.student, group=seg.group))
        elif seg.group is not None:
            seats[seg.group].append(seg)
    for group in day.plan.groups:
        out += _group_members(day, group, seats.get(group.id, []))
        out += _group_size(day, group, seats.get(group.id, []))
        out += _group_grades(day, group)
    return out


def _seat_problem(day: _Day, seg: PlanSegment) -> str | None:
    """What is wrong with the group ``seg`` claims, if anything."""
    at: dict[str, object] = {"student": seg.student, "time": clock(seg.start)}
    if seg.kind == ActivityKind.PROGRAM:
        if seg.group is None:
            return None
        return tr(
            "student %(student)s at %(time)s is in program time and group %(group)s",
            group=seg.group,
            **at,
        )
    group = day.groups.get(seg.group) if seg.group is not None else None
    if group is None:
        return tr(
            "student %(student)s at %(time)s is in %(kind)s without a known group",
            kind=seg.kind,
            **at,
        )
    seat_adult = seg.tutor if seg.kind == ActivityKind.TUTORING else seg.provider
    if (
        group.kind != seg.kind
        or (group.start, group.end) != (seg.start, seg.end)
        or _adult(group) != seat_adult
        or group.place != seg.place
        or seg.student not in group.members
    ):
        return tr(
            "student %(student)s at %(time)s claims group %(group)s (%(span)s), which is "
            "another time, adult, place or activity, or does not list them",
            group=group.id,
            span=clock_span(group.start, group.end),
            **at,
        )
    return None


def _group_members(day: _Day, group: PlanGroup, seats: list[PlanSegment]) -> list[PlanViolation]:
    out = []
    present = {seg.student for seg in seats}
    when = clock_span(group.start, group.end)
    for member in group.members:
        if member not in present:
            out.append(
                PlanViolation(
                    "group",
                    tr(
                        "group %(group)s lists student %(student)s, who is not in it %(span)s",
                        group=group.id,
                        student=member,
                        span=when,
                    ),
                    member,
                    group=group.id,
                )
            )
        elif day.block_of(member, group.start, group.end) is None:
            out.append(
                PlanViolation(
                    "group",
                    tr(
                        "group %(group)s meets %(span)s, outside student %(student)s's blocks",
                        group=group.id,
                        span=when,
                        student=member,
                    ),
                    member,
                    group=group.id,
                )
            )
    if len(set(group.members)) != len(group.members):
        out.append(
            PlanViolation(
                "group",
                tr("group %(group)s lists a student twice", group=group.id),
                group=group.id,
            )
        )
    return out


def _group_size(day: _Day, group: PlanGroup, seats: list[PlanSegment]) -> list[PlanViolation]:
    size = len(group.members)
    if group.kind == ActivityKind.TUTORING:
        tutor = day.tutors.get(group.tutor) if group.tutor is not None else None
        limit = tutor.max_group_size if tutor else size
    else:
        limits = [
            day.services[seg.service].max_group_size for seg in seats if seg.service in day.services
        ]
        limit = min(limits, default=size)
    if size <= limit:
        return []
    return [
        PlanViolation(
            "group-size",
            tr(
                "group %(group)s at %(time)s has %(size)s students; at most %(most)s allowed",
                group=group.id,
                time=clock(group.start),
                size=size,
                most=limit,
            ),
            staff=_adult(group),
            group=group.id,
        )
    ]


def _group_grades(day: _Day, group: PlanGroup) -> list[PlanViolation]:
    grades = sorted({day.students[m].grade for m in group.members if m in day.students})
    if len(grades) < 2:
        return []
    adjacent = len(grades) == 2 and grades[1] - grades[0] == 1
    if day.problem.adjacent_grades and adjacent:
        return []
    values: dict[str, object] = {
        "group": group.id,
        "time": clock(group.start),
        "grades": ", ".join(grade_name(g, short=True) for g in grades),
    }
    if day.problem.adjacent_grades:
        message = tr(
            "group %(group)s at %(time)s mixes grades %(grades)s; two adjacent grades at most "
            "per group",
            **values,
        )
    else:
        message = tr(
            "group %(group)s at %(time)s mixes grades %(grades)s; one grade per group", **values
        )
    return [PlanViolation("group-grade", message, staff=_adult(group), group=group.id)]


# --- places ----------------------------------------------------------------------------------


def _places(day: _Day) -> list[PlanViolation]:
    return [*_group_places(day), *_program_seats(day), *_crowding(day)]


def _group_places(day: _Day) -> list[PlanViolation]:
    out = []
    meeting: dict[int, list[PlanGroup]] = defaultdict(list)
    for group in day.plan.groups:
        name: dict[str, object] = {"group": group.id, "time": clock(group.start)}
        if group.place is None:
            if day.places:
                out.append(
                    PlanViolation(
                        "place",
                        tr("group %(group)s at %(time)s names no place", **name),
                        group=group.id,
                    )
                )
            continue
        place = day.places.get(group.place)
        if place is None:
            out.append(
                PlanViolation(
                    "place",
                    tr(
                        "group %(group)s at %(time)s meets in place %(place)s, which does not "
                        "exist",
                        place=group.place,
                        **name,
                    ),
                    group=group.id,
                    place=group.place,
                )
            )
            continue
        meeting[place.id].append(group)
        if place.computers:
            out.append(
                PlanViolation(
                    "place",
                    tr(
                        "group %(group)s at %(time)s meets in place %(place)s, a computers zone "
                        "kept for program time",
                        place=place.id,
                        **name,
                    ),
                    group=group.id,
                    place=place.id,
                )
            )
        if not inside(place.available, group.start, group.end):
            out.append(
                PlanViolation(
                    "place",
                    tr(
                        "group %(group)s at %(time)s meets in place %(place)s, which is not "
                        "free %(span)s",
                        place=place.id,
                        span=clock_span(group.start, group.end),
                        **name,
                    ),
                    group=group.id,
                    place=place.id,
                )
            )
    for place_id, groups in sorted(meeting.items()):
        groups.sort(key=lambda g: (g.start, g.end))
        latest = groups[0]
        for group in groups[1:]:
            if group.start < latest.end:
                out.append(
                    PlanViolation(
                        "place",
                        tr(
                            "groups %(first)s and %(second)s both meet in place %(place)s at "
                            "%(time)s",
                            first=latest.id,
                            second=group.id,
                            place=place_id,
                            time=clock(group.start),
                        ),
                        group=group.id,
                        place=place_id,
                    )
                )
            if group.end > latest.end:
                latest = group
    return out


def _computer_zones(day: _Day, block: LabBlock) -> tuple[list[Place], set[int]]:
    """The zones of ``block``'s lab, and the ids of those that seat program time."""
    if block.room is None:
        return [], set()
    zones = [p for p in day.places.values() if p.kind == PlaceKind.LAB_ZONE and p.lab == block.room]
    return zones, {z.id for z in zones if z.computers}


def _program_seats(day: _Day) -> list[PlanViolation]:
    out = []
    for student, seg in day.known_sessions():
        if seg.kind != ActivityKind.PROGRAM:
            continue
        # A session that spills out of its block (a coverage error) is seated by where it starts.
        block = day.block_of(student.id, seg.start, seg.start + 1)
        problem = _seat_place_problem(day, block, seg)
        if problem:
            out.append(PlanViolation("place", problem, student.id, place=seg.place))
    return out


def _seat_place_problem(day: _Day, block: LabBlock | None, seg: PlanSegment) -> str | None:
    """What is wrong with where the program time ``seg`` sits, as a whole sentence."""
    at: dict[str, object] = {"student": seg.student, "time": clock(seg.start)}
    place = day.places.get(seg.place) if seg.place is not None else None
    if seg.place is not None and place is None:
        return tr(
            "student %(student)s's program time at %(time)s sits in place %(place)s, which does "
            "not exist",
            place=seg.place,
            **at,
        )
    if place is not None and not inside(place.available, seg.start, seg.end):
        return tr(
            "student %(student)s's program time at %(time)s sits in place %(place)s, which is "
            "not free %(span)s",
            place=place.id,
            span=clock_span(seg.start, seg.end),
            **at,
        )
    if block is None:
        return None
    if block.kind == BlockKind.FLEX:
        if seg.place is not None:
            return tr(
                "student %(student)s's program time at %(time)s sits in place %(place)s, not "
                "the flexible block's own room",
                place=seg.place,
                **at,
            )
        return None
    zones, computers = _computer_zones(day, block)
    if not zones:
        if seg.place is not None:
            return tr(
                "student %(student)s's program time at %(time)s sits in place %(place)s, but "
                "lab %(lab)s has no zones",
                place=seg.place,
                lab=block.room,
                **at,
            )
        return None
    if seg.place not in computers:
        if seg.place is None:
            return tr(
                "student %(student)s's program time at %(time)s sits in no zone, not a "
                "computers zone of lab %(lab)s",
                lab=block.room,
                **at,
            )
        return tr(
            "student %(student)s's program time at %(time)s sits in place %(place)s, not a "
            "computers zone of lab %(lab)s",
            place=seg.place,
            lab=block.room,
            **at,
        )
    return None


def _crowding(day: _Day) -> list[PlanViolation]:
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for group in day.plan.groups:
        if group.place in day.places:
            spans[group.place].append((group.start, group.end, len(group.members)))
    for _student, seg in day.known_sessions():
        if seg.kind == ActivityKind.PROGRAM and seg.place in day.places:
            spans[seg.place].append((seg.start, seg.end, 1))
    out = []
    for place_id, seated in sorted(spans.items()):
        place = day.places[place_id]
        most, at = _peak(seated)
        if most > place.capacity:
            out.append(
                PlanViolation(
                    "place",
                    tr(
                        "place %(place)s (%(kind)s) holds %(count)s students at %(time)s; "
                        "capacity %(capacity)s",
                        place=place_id,
                        kind=place.kind,
                        count=most,
                        time=clock(at),
                        capacity=place.capacity,
                    ),
                    place=place_id,
                )
            )
    return out


# --- staff -----------------------------------------------------------------------------------


def _staff(day: _Day) -> list[PlanViolation]:
    return [*_staff_times(day), *_caseloads(day)]


def _staff_times(day: _Day) -> list[PlanViolation]:
    hours = {("tutor", t.id): t.available for t in day.problem.tutors}
    hours.update({("provider", p.id): p.available for p in day.problem.providers})
    # Staff ids are one namespace: a tutor who also delivers ELD is one person in one place.
    timeline: dict[int, list[PlanGroup]] = defaultdict(list)
    out = []
    for group in day.plan.groups:
        role = "tutor" if group.kind == ActivityKind.TUTORING else "provider"
        adult = _adult(group)
        if adult is None:
            out.append(
                PlanViolation(
                    "staff", tr("group %(group)s has no adult", group=group.id), group=group.id
                )
            )
            continue
        timeline[adult].append(group)
        if (role, adult) in hours and not inside(hours[role, adult], group.start, group.end):
            values: dict[str, object] = {
                "adult": adult,
                "group": group.id,
                "span": clock_span(group.start, group.end),
            }
            if role == "tutor":
                message = tr(
                    "tutor %(adult)s leads group %(group)s %(span)s, outside their hours", **values
                )
            else:
                message = tr(
                    "provider %(adult)s leads group %(group)s %(span)s, outside their hours",
                    **values,
                )
            out.append(PlanViolation("staff", message, staff=adult, group=group.id))
    for adult, groups in sorted(timeline.items()):
        groups.sort(key=lambda g: (g.start, g.end))
        for first, then in pairwise(groups):
            out += _one_after_another(day, adult, first, then)
    return out


def _one_after_another(
    day: _Day, adult: int, first: PlanGroup, then: PlanGroup
) -> list[PlanViolation]:
    if then.start < first.end:
        message = tr(
            "staff %(adult)s is in groups %(first)s and %(second)s at once (%(time)s)",
            adult=adult,
            first=first.id,
            second=then.id,
            time=clock(then.start),
        )
    elif (
        first.place is not None
        and then.place is not None
        and first.place != then.place
        and then.start - first.end < day.problem.passing_minutes
    ):
        message = tr(
            "staff %(adult)s leaves place %(from_place)s at %(leaves)s and starts group "
            "%(group)s in place %(to_place)s at %(starts)s; walking between them takes "
            "%(passing)s minutes",
            adult=adult,
            from_place=first.place,
            leaves=clock(first.end),
            group=then.id,
            to_place=then.place,
            starts=clock(then.start),
            passing=day.problem.passing_minutes,
        )
    else:
        return []
    return [PlanViolation("staff", message, staff=adult, group=then.id)]


def _caseloads(day: _Day) -> list[PlanViolation]:
    students: dict[int, set[int]] = defaultdict(set)
    minutes: dict[tuple[str, int | None], int] = defaultdict(int)
    for group in day.plan.groups:
        if group.kind == ActivityKind.TUTORING:
            minutes["tutor", group.tutor] += group.end - group.start
        else:
            minutes["provider", group.provider] += group.end - group.start
            if group.provider is not None:
                students[group.provider] |= set(group.members)
    out = []
    for provider in day.problem.providers:
        served = len(students.get(provider.id, set()))
        if provider.max_students is not None and served > provider.max_students:
            out.append(
                PlanViolation(
                    "staff",
                    tr(
                        "provider %(provider)s serves %(served)s students; caseload %(caseload)s",
                        provider=provider.id,
                        served=served,
                        caseload=provider.max_students,
                    ),
                    staff=provider.id,
                )
            )
    capped = [("provider", p.id, p.max_minutes) for p in day.problem.providers]
    capped += [("tutor", t.id, t.max_minutes) for t in day.problem.tutors]
    for role, adult, most in capped:
        used = minutes.get((role, adult), 0)
        if most is not None and used > most:
            if role == "tutor":
                message = tr(
                    "tutor %(adult)s leads groups for %(minutes)s minutes; at most %(most)s",
                    adult=adult,
                    minutes=used,
                    most=most,
                )
            else:
                message = tr(
                    "provider %(adult)s leads groups for %(minutes)s minutes; at most %(most)s",
                    adult=adult,
                    minutes=used,
                    most=most,
                )
            out.append(PlanViolation("staff", message, staff=adult))
    return out
