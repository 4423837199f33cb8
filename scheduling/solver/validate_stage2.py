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
        PlanViolation("coverage", f"student {seg.student} is not present today", seg.student)
        for seg in day.plan.segments
        if seg.student not in day.students
    ]
    grid = day.problem.grid_minutes
    for student, seg in day.known_sessions():
        who = f"student {student.id}"
        block = day.block_of(student.id, seg.start, seg.end)
        if seg.end <= seg.start:
            out.append(PlanViolation("coverage", f"{who} has an empty session", student.id))
        elif block is None:
            out.append(
                PlanViolation(
                    "coverage",
                    f"{who} has a session {clock_span(seg.start, seg.end)} outside their lab and "
                    "flexible blocks",
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
                        f"{who} has a session {clock_span(seg.start, seg.end)} that is off the "
                        f"{grid}-minute grid at {clock(off[0])}",
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
                    f"student {student} has no activity {clock_span(covered_to, seg.start)}",
                    student,
                )
            )
        elif seg.start < covered_to:
            out.append(
                PlanViolation(
                    "coverage",
                    f"student {student} has two activities at once "
                    f"{clock_span(seg.start, min(covered_to, seg.end))}",
                    student,
                )
            )
        covered_to = max(covered_to, seg.end)
    if covered_to < block.end:
        out.append(
            PlanViolation(
                "coverage",
                f"student {student} has no activity {clock_span(covered_to, block.end)}",
                student,
            )
        )
    return out


def _shortest(day: _Day, student: StudentDay, seg: PlanSegment) -> tuple[int, str] | None:
    """The shortest ``seg`` may be and what it is, or None when it names nothing known."""
    if seg.kind == ActivityKind.PROGRAM:
        if seg.program is None:
            return day.problem.program_minimum(student), "open lab time"
        program = day.programs.get(seg.program)
        return (program.min_minutes, f"program {program.id}") if program else None
    if seg.kind == ActivityKind.SERVICE:
        service = day.services.get(seg.service) if seg.service is not None else None
        return (
            (service.session_minutes, f"{service.kind} service {service.id}") if service else None
        )
    if seg.kind == ActivityKind.TUTORING:
        return day.problem.tutoring_session_minutes, "tutoring"
    return None


def _session_lengths(day: _Day) -> list[PlanViolation]:
    out = []
    for student, seg in day.known_sessions():
        shortest = _shortest(day, student, seg)
        if shortest is None or seg.minutes >= shortest[0]:
            continue
        block = day.block_of(student.id, seg.start, seg.end)
        if block is not None and (block.start, block.end) == (seg.start, seg.end):
            continue  # a block shorter than the minimum cannot be split: one session fills it
        least, what = shortest
        out.append(
            PlanViolation(
                "session-length",
                f"student {student.id} has {seg.minutes} minutes of {what} at "
                f"{clock(seg.start)}; a session lasts at least {least}",
                student.id,
                group=seg.group,
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
                        f"student {student.id} changes activity {changes} times in the "
                        f"{block.kind} block {clock_span(block.start, block.end)}; at most {limit}",
                        student.id,
                    )
                )
    return out


# --- what each session names -----------------------------------------------------------------


def _activities(day: _Day) -> list[PlanViolation]:
    out = []
    for student, seg in day.known_sessions():
        at = f"student {seg.student} at {clock(seg.start)}"
        problem, staff = _activity_problem(day, student, seg)
        if problem:
            out.append(PlanViolation("activity", f"{at}: {problem}", seg.student, staff, seg.group))
    return out


def _activity_problem(
    day: _Day, student: StudentDay, seg: PlanSegment
) -> tuple[str | None, int | None]:
    """What is wrong with what ``seg`` names, and the adult concerned."""
    if seg.kind == ActivityKind.PROGRAM:
        program = day.programs.get(seg.program) if seg.program is not None else None
        if seg.program is None:
            # Open lab time is only for a student no program serves.
            if any(_may_use(student, p) for p in day.problem.programs):
                return "lab time names no program though one serves the student", None
        elif program is None:
            return f"program {seg.program} does not exist", None
        elif not _may_use(student, program):
            return f"program {program.id} is not one the student may use", None
        return None, None
    if seg.kind == ActivityKind.TUTORING:
        tutor = day.tutors.get(seg.tutor) if seg.tutor is not None else None
        if tutor is None:
            return f"tutor {seg.tutor} does not exist", seg.tutor
        if (tutor.subjects and seg.subject not in tutor.subjects) or (
            tutor.grades and student.grade not in tutor.grades
        ):
            return f"tutor {tutor.id} does not tutor {seg.subject} in this grade", tutor.id
        return None, None
    if seg.kind == ActivityKind.SERVICE:
        service = day.services.get(seg.service) if seg.service is not None else None
        provider = day.providers.get(seg.provider) if seg.provider is not None else None
        if service is None or service.student != seg.student:
            return f"service {seg.service} is not one of this student's services", None
        if provider is None:
            return f"provider {seg.provider} does not exist", seg.provider
        if service.kind not in provider.kinds or (
            service.providers and provider.id not in service.providers
        ):
            return f"provider {provider.id} may not deliver service {service.id}", provider.id
        return None, None
    return f"unknown activity {seg.kind!r}", None


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
                message = (
                    f"service {service.id} is reported short but gets {got} of "
                    f"{service.minutes} minutes"
                )
        elif claim is None:
            message = (
                f"student {service.student}: service {service.id} ({service.kind}) gets "
                f"{got} of {service.minutes} minutes and no shortfall says so"
            )
        elif (claim.student, claim.due, claim.met) != (service.student, service.minutes, got):
            message = (
                f"service {service.id}: the shortfall reports {claim.met} of {claim.due} "
                f"minutes, the plan gives {got} of {service.minutes}"
            )
        if message:
            out.append(PlanViolation("service-minutes", message, service.student))
    for service_id, claim in sorted(reported.items()):
        out.append(
            PlanViolation(
                "service-minutes",
                f"a shortfall names service {service_id}, which is not due today",
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
            f"student {student} gets {got} minutes of tutoring; at most {most} a day",
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
    at = f"student {seg.student} at {clock(seg.start)}"
    if seg.kind == ActivityKind.PROGRAM:
        return f"{at} is in program time and group {seg.group}" if seg.group is not None else None
    group = day.groups.get(seg.group) if seg.group is not None else None
    if group is None:
        return f"{at} is in {seg.kind} without a known group"
    seat_adult = seg.tutor if seg.kind == ActivityKind.TUTORING else seg.provider
    if (
        group.kind != seg.kind
        or (group.start, group.end) != (seg.start, seg.end)
        or _adult(group) != seat_adult
        or group.place != seg.place
        or seg.student not in group.members
    ):
        return (
            f"{at} claims group {group.id} ({clock_span(group.start, group.end)}), which is "
            "another time, adult, place or activity, or does not list them"
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
                    f"group {group.id} lists student {member}, who is not in it {when}",
                    member,
                    group=group.id,
                )
            )
        elif day.block_of(member, group.start, group.end) is None:
            out.append(
                PlanViolation(
                    "group",
                    f"group {group.id} meets {when}, outside student {member}'s blocks",
                    member,
                    group=group.id,
                )
            )
    if len(set(group.members)) != len(group.members):
        out.append(
            PlanViolation("group", f"group {group.id} lists a student twice", group=group.id)
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
            f"group {group.id} at {clock(group.start)} has {size} students; at most "
            f"{limit} allowed",
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
    allowed = "two adjacent grades at most" if day.problem.adjacent_grades else "one grade"
    named = ", ".join(grade_name(g, short=True) for g in grades)
    return [
        PlanViolation(
            "group-grade",
            f"group {group.id} at {clock(group.start)} mixes grades {named}; {allowed} per group",
            staff=_adult(group),
            group=group.id,
        )
    ]


# --- places ----------------------------------------------------------------------------------


def _places(day: _Day) -> list[PlanViolation]:
    return [*_group_places(day), *_program_seats(day), *_crowding(day)]


def _group_places(day: _Day) -> list[PlanViolation]:
    out = []
    meeting: dict[int, list[PlanGroup]] = defaultdict(list)
    for group in day.plan.groups:
        name = f"group {group.id} at {clock(group.start)}"
        if group.place is None:
            if day.places:
                out.append(PlanViolation("place", f"{name} names no place", group=group.id))
            continue
        place = day.places.get(group.place)
        if place is None:
            out.append(
                PlanViolation(
                    "place",
                    f"{name} meets in place {group.place}, which does not exist",
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
                    f"{name} meets in place {place.id}, a computers zone kept for program time",
                    group=group.id,
                    place=place.id,
                )
            )
        if not inside(place.available, group.start, group.end):
            out.append(
                PlanViolation(
                    "place",
                    f"{name} meets in place {place.id}, which is not free "
                    f"{clock_span(group.start, group.end)}",
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
                        f"groups {latest.id} and {group.id} both meet in place {place_id} at "
                        f"{clock(group.start)}",
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
            at = f"student {student.id}'s program time at {clock(seg.start)}"
            out.append(PlanViolation("place", f"{at} {problem}", student.id, place=seg.place))
    return out


def _seat_place_problem(day: _Day, block: LabBlock | None, seg: PlanSegment) -> str | None:
    place = day.places.get(seg.place) if seg.place is not None else None
    if seg.place is not None and place is None:
        return f"sits in place {seg.place}, which does not exist"
    if place is not None and not inside(place.available, seg.start, seg.end):
        return f"sits in place {place.id}, which is not free {clock_span(seg.start, seg.end)}"
    if block is None:
        return None
    if block.kind == BlockKind.FLEX:
        if seg.place is not None:
            return f"sits in place {seg.place}, not the flexible block's own room"
        return None
    zones, computers = _computer_zones(day, block)
    if not zones:
        if seg.place is not None:
            return f"sits in place {seg.place}, but lab {block.room} has no zones"
        return None
    if seg.place not in computers:
        where = "no zone" if seg.place is None else f"place {seg.place}"
        return f"sits in {where}, not a computers zone of lab {block.room}"
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
                    f"place {place_id} ({place.kind}) holds {most} students at {clock(at)}; "
                    f"capacity {place.capacity}",
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
            out.append(PlanViolation("staff", f"group {group.id} has no adult", group=group.id))
            continue
        timeline[adult].append(group)
        if (role, adult) in hours and not inside(hours[role, adult], group.start, group.end):
            out.append(
                PlanViolation(
                    "staff",
                    f"{role} {adult} leads group {group.id} "
                    f"{clock_span(group.start, group.end)}, outside their hours",
                    staff=adult,
                    group=group.id,
                )
            )
    for adult, groups in sorted(timeline.items()):
        groups.sort(key=lambda g: (g.start, g.end))
        for first, then in pairwise(groups):
            out += _one_after_another(day, adult, first, then)
    return out


def _one_after_another(
    day: _Day, adult: int, first: PlanGroup, then: PlanGroup
) -> list[PlanViolation]:
    if then.start < first.end:
        message = (
            f"staff {adult} is in groups {first.id} and {then.id} at once ({clock(then.start)})"
        )
    elif (
        first.place is not None
        and then.place is not None
        and first.place != then.place
        and then.start - first.end < day.problem.passing_minutes
    ):
        message = (
            f"staff {adult} leaves place {first.place} at {clock(first.end)} and starts group "
            f"{then.id} in place {then.place} at {clock(then.start)}; walking between them "
            f"takes {day.problem.passing_minutes} minutes"
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
                    f"provider {provider.id} serves {served} students; caseload "
                    f"{provider.max_students}",
                    staff=provider.id,
                )
            )
    capped = [("provider", p.id, p.max_minutes) for p in day.problem.providers]
    capped += [("tutor", t.id, t.max_minutes) for t in day.problem.tutors]
    for role, adult, most in capped:
        used = minutes.get((role, adult), 0)
        if most is not None and used > most:
            out.append(
                PlanViolation(
                    "staff",
                    f"{role} {adult} leads groups for {used} minutes; at most {most}",
                    staff=adult,
                )
            )
    return out
