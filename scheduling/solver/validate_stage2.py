"""The independent checker of stage-2 lab plans: does a ``LabPlan`` keep every hard rule?

Written apart from ``stage2.py`` on purpose: it reads only the data contract of ``plans.py`` and
re-derives the rules from the problem, without the solver's indexes, model or OR-Tools, so a bug
in the solver shows up here as a violation instead of being published. Rules:

- ``coverage``: each present student's segments tile their cohort's lab and flexible blocks on the
  segment grid (one activity per segment, nothing outside the blocks, no unknown students);
- ``activity``: what a segment names exists and fits: a program the student may use (none only
  when no program serves them), a tutor who teaches that subject and grade, a service of that
  student delivered by an eligible provider;
- ``service-minutes``: every service's minutes are met, or the plan reports the shortfall with the
  right numbers (and reports no shortfall that is not there);
- ``group``: a group's members all sit in it for its segment, with its adult, and no segment
  claims a group that does not list its student;
- ``group-size``: at most the tutor's group size, or the smallest limit among a service group's
  members;
- ``staff``: an adult (tutor, provider or both) is in one group at a time, within their hours,
  their caseload (students and minutes a day), and a student gets at most the day's tutoring
  minutes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from .plans import ActivityKind, LabPlan, LabProgram, PlanProblem, PlanSegment, StudentDay
from .problem import Window


@dataclass(frozen=True)
class PlanViolation:
    rule: str
    message: str
    student: int | None = None
    staff: int | None = None
    group: int | None = None


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _inside(windows: tuple[Window, ...], start: int, end: int) -> bool:
    return any(w.start <= start and end <= w.end for w in windows)


def validate_plan(problem: PlanProblem, plan: LabPlan) -> tuple[PlanViolation, ...]:
    """Every hard rule ``plan`` breaks for ``problem``; ``()`` for a valid plan."""
    found: list[PlanViolation] = []
    found += _coverage(problem, plan)
    found += _activities(problem, plan)
    found += _service_minutes(problem, plan)
    found += _groups(problem, plan)
    found += _staff(problem, plan)
    return tuple(sorted(found, key=lambda v: (v.rule, v.message)))


def _coverage(problem: PlanProblem, plan: LabPlan) -> list[PlanViolation]:
    out = []
    students = {s.id: s for s in problem.students}
    expected: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for block in problem.blocks:
        step = problem.segment_minutes
        start = block.start
        while start < block.end:
            expected[block.cohort].append((start, min(start + step, block.end)))
            start += step
    mine: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for seg in plan.segments:
        if seg.student not in students:
            out.append(
                PlanViolation(
                    "coverage", f"student {seg.student} is not present today", seg.student
                )
            )
            continue
        mine[seg.student].append((seg.start, seg.end))
    for student in students.values():
        want = sorted(expected.get(student.cohort, []))
        have = sorted(mine.get(student.id, []))
        if want == have:
            continue
        for a, b in sorted(set(want) - set(have)):
            out.append(
                PlanViolation(
                    "coverage",
                    f"student {student.id} has no activity {_clock(a)}-{_clock(b)}",
                    student.id,
                )
            )
        for a, b in sorted(set(have) - set(want)):
            out.append(
                PlanViolation(
                    "coverage",
                    f"student {student.id} has a segment {_clock(a)}-{_clock(b)} that is not a "
                    "segment of their lab or flexible blocks",
                    student.id,
                )
            )
        for slot in sorted({s for s in have if have.count(s) > 1}):
            out.append(
                PlanViolation(
                    "coverage",
                    f"student {student.id} has {have.count(slot)} activities at "
                    f"{_clock(slot[0])}-{_clock(slot[1])}",
                    student.id,
                )
            )
    return out


def _may_use(student: StudentDay, program: LabProgram) -> bool:
    return (not program.grades or student.grade in program.grades) and (
        not student.programs or program.id in student.programs
    )


def _activities(problem: PlanProblem, plan: LabPlan) -> list[PlanViolation]:
    out = []
    students = {s.id: s for s in problem.students}
    programs = {p.id: p for p in problem.programs}
    tutors = {t.id: t for t in problem.tutors}
    services = {s.id: s for s in problem.services}
    providers = {p.id: p for p in problem.providers}
    for seg in plan.segments:
        student = students.get(seg.student)
        if student is None:
            continue
        at = f"student {seg.student} at {_clock(seg.start)}"

        def bad(message: str, staff: int | None = None, seg: PlanSegment = seg) -> None:
            out.append(PlanViolation("activity", message, seg.student, staff, seg.group))

        if seg.kind == ActivityKind.PROGRAM:
            program = programs.get(seg.program) if seg.program is not None else None
            if seg.program is None:
                # Open lab time is only for a student no program serves.
                if any(_may_use(student, p) for p in problem.programs):
                    bad(f"{at}: lab time names no program though one serves the student")
            elif program is None:
                bad(f"{at}: program {seg.program} does not exist")
            elif not _may_use(student, program):
                bad(f"{at}: program {program.id} is not one the student may use")
        elif seg.kind == ActivityKind.TUTORING:
            tutor = tutors.get(seg.tutor) if seg.tutor is not None else None
            if tutor is None:
                bad(f"{at}: tutor {seg.tutor} does not exist", seg.tutor)
            elif (tutor.subjects and seg.subject not in tutor.subjects) or (
                tutor.grades and student.grade not in tutor.grades
            ):
                bad(f"{at}: tutor {tutor.id} does not tutor {seg.subject} in this grade", tutor.id)
        elif seg.kind == ActivityKind.SERVICE:
            service = services.get(seg.service) if seg.service is not None else None
            provider = providers.get(seg.provider) if seg.provider is not None else None
            if service is None or service.student != seg.student:
                bad(f"{at}: service {seg.service} is not one of this student's services")
            elif provider is None:
                bad(f"{at}: provider {seg.provider} does not exist", seg.provider)
            elif service.kind not in provider.kinds or (
                service.providers and provider.id not in service.providers
            ):
                bad(
                    f"{at}: provider {provider.id} may not deliver service {service.id}",
                    provider.id,
                )
        else:
            bad(f"{at}: unknown activity {seg.kind!r}")
    return out


def _service_minutes(problem: PlanProblem, plan: LabPlan) -> list[PlanViolation]:
    out = []
    met: dict[int, int] = defaultdict(int)
    for seg in plan.segments:
        if seg.kind == ActivityKind.SERVICE and seg.service is not None:
            met[seg.service] += seg.end - seg.start
    reported = {s.service: s for s in plan.shortfalls}
    for service in problem.services:
        got = met.get(service.id, 0)
        claim = reported.pop(service.id, None)
        if got >= service.minutes:
            if claim is not None:
                out.append(
                    PlanViolation(
                        "service-minutes",
                        f"service {service.id} is reported short but gets {got} of "
                        f"{service.minutes} minutes",
                        service.student,
                    )
                )
            continue
        if claim is None:
            out.append(
                PlanViolation(
                    "service-minutes",
                    f"student {service.student}: service {service.id} ({service.kind}) gets "
                    f"{got} of {service.minutes} minutes and no shortfall says so",
                    service.student,
                )
            )
        elif claim.met != got or claim.due != service.minutes or claim.student != service.student:
            out.append(
                PlanViolation(
                    "service-minutes",
                    f"service {service.id}: the shortfall reports {claim.met} of {claim.due} "
                    f"minutes, the plan gives {got} of {service.minutes}",
                    service.student,
                )
            )
    for service_id, claim in sorted(reported.items()):
        out.append(
            PlanViolation(
                "service-minutes",
                f"a shortfall names service {service_id}, which is not due today",
                claim.student,
            )
        )
    return out


def _groups(problem: PlanProblem, plan: LabPlan) -> list[PlanViolation]:
    out = []
    groups = {g.id: g for g in plan.groups}
    services = {s.id: s for s in problem.services}
    tutors = {t.id: t for t in problem.tutors}
    seats: dict[int, list[PlanSegment]] = defaultdict(list)
    for seg in plan.segments:
        if seg.kind == ActivityKind.PROGRAM:
            continue
        group = groups.get(seg.group) if seg.group is not None else None
        if group is None:
            out.append(
                PlanViolation(
                    "group",
                    f"student {seg.student} at {_clock(seg.start)} is in {seg.kind} without a "
                    "group",
                    seg.student,
                )
            )
            continue
        seats[group.id].append(seg)
        same_adult = (
            group.tutor == seg.tutor
            if seg.kind == ActivityKind.TUTORING
            else group.provider == seg.provider
        )
        if (
            group.kind != seg.kind
            or (group.start, group.end) != (seg.start, seg.end)
            or not same_adult
            or seg.student not in group.members
        ):
            out.append(
                PlanViolation(
                    "group",
                    f"student {seg.student} at {_clock(seg.start)} claims group {group.id}, "
                    "which is another time, adult or activity, or does not list them",
                    seg.student,
                    group=group.id,
                )
            )
    for group in plan.groups:
        present = {seg.student for seg in seats.get(group.id, [])}
        for member in sorted(set(group.members) - present):
            out.append(
                PlanViolation(
                    "group",
                    f"group {group.id} lists student {member}, who is not in it at "
                    f"{_clock(group.start)}",
                    member,
                    group=group.id,
                )
            )
        if len(set(group.members)) != len(group.members):
            out.append(
                PlanViolation("group", f"group {group.id} lists a student twice", group=group.id)
            )
        size = len(group.members)
        if group.kind == ActivityKind.TUTORING:
            tutor = tutors.get(group.tutor) if group.tutor is not None else None
            limit = tutor.max_group_size if tutor else size
        else:
            limits = [
                services[seg.service].max_group_size
                for seg in seats.get(group.id, [])
                if seg.service in services
            ]
            limit = min(limits, default=size)
        if size > limit:
            out.append(
                PlanViolation(
                    "group-size",
                    f"group {group.id} at {_clock(group.start)} has {size} students; at most "
                    f"{limit} allowed",
                    staff=group.tutor or group.provider,
                    group=group.id,
                )
            )
    return out


def _staff(problem: PlanProblem, plan: LabPlan) -> list[PlanViolation]:
    out = []
    hours = {("tutor", t.id): t.available for t in problem.tutors}
    hours.update({("provider", p.id): p.available for p in problem.providers})
    # Staff ids are one namespace: a tutor who also delivers ELD is one person in one place.
    timeline: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    students: dict[int, set[int]] = defaultdict(set)
    minutes: dict[tuple[str, int], int] = defaultdict(int)
    for group in plan.groups:
        role = "tutor" if group.kind == ActivityKind.TUTORING else "provider"
        adult = group.tutor if role == "tutor" else group.provider
        if adult is None:
            out.append(PlanViolation("staff", f"group {group.id} has no adult", group=group.id))
            continue
        key = (role, adult)
        timeline[adult].append((group.start, group.end, group.id))
        minutes[key] += group.end - group.start
        if role == "provider":
            students[adult] |= set(group.members)
        if key in hours and not _inside(hours[key], group.start, group.end):
            out.append(
                PlanViolation(
                    "staff",
                    f"{role} {adult} leads group {group.id} at {_clock(group.start)}, outside "
                    "their hours",
                    staff=adult,
                    group=group.id,
                )
            )
    for adult, spans in sorted(timeline.items()):
        spans.sort()
        for (_a, b, g1), (c, _d, g2) in pairwise(spans):
            if c < b:
                out.append(
                    PlanViolation(
                        "staff",
                        f"staff {adult} is in groups {g1} and {g2} at once ({_clock(c)})",
                        staff=adult,
                    )
                )
    for provider in problem.providers:
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
        used = minutes.get(("provider", provider.id), 0)
        if provider.max_minutes is not None and used > provider.max_minutes:
            out.append(
                PlanViolation(
                    "staff",
                    f"provider {provider.id} leads groups for {used} minutes; at most "
                    f"{provider.max_minutes}",
                    staff=provider.id,
                )
            )
    for tutor in problem.tutors:
        used = minutes.get(("tutor", tutor.id), 0)
        if tutor.max_minutes is not None and used > tutor.max_minutes:
            out.append(
                PlanViolation(
                    "staff",
                    f"tutor {tutor.id} leads groups for {used} minutes; at most "
                    f"{tutor.max_minutes}",
                    staff=tutor.id,
                )
            )
    tutored: dict[int, int] = defaultdict(int)
    for seg in plan.segments:
        if seg.kind == ActivityKind.TUTORING:
            tutored[seg.student] += seg.end - seg.start
    for student, got in sorted(tutored.items()):
        if got > problem.tutoring_minutes:
            out.append(
                PlanViolation(
                    "staff",
                    f"student {student} gets {got} minutes of tutoring; at most "
                    f"{problem.tutoring_minutes} a day",
                    student,
                )
            )
    return out
