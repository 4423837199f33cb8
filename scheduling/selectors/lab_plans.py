"""Stage 2 on the Django side: read a day's Learning Lab inputs, and read a stored plan back.

``plan_inputs_for`` reads, in a fixed number of queries, what stage 2 needs apart from the stage-1
blocks (``scheduling.solver.plan_inputs`` combines the two):

- present students: enrolled on the date with a cohort, each with their need per subject from
  the Learning Lab's one need function (``learninglabs.pace.need_scores``);
- the lab programs (adaptive software and independent reading; tutoring is a group, not program
  time), each serving the grades it has goals for;
- today's share of each weekly service: a fifth of the weekly minutes for each day planned this
  week, today included, less what this week's published plans before today delivered; rounded
  to whole sessions mid-week and up on the week's last school day. A short week (a holiday)
  owes its days' share, as services are pro-rated for days without school, and minutes a
  published day could not meet are made up on the next one;
- who may deliver each service (active staff holding the service's provider role) and who
  tutors (tutors, for the grades they serve);
- the latest published plan of the same day type before the date, so groups stay stable;
- the places groups meet in: resource rooms, classrooms (while stage 1 leaves them empty, which
  ``plan_inputs.plan_problem`` works out) and the zones of each lab;
- the school's lab-plan settings (changes per block, tutoring session, adjacent grades, the
  weight of stable groups) and the day type's grid and passing time.

A place is a ``Room`` or a ``LabZone``; the solver knows places by one integer, a room's key as
it is and a zone's key negated (``place_id``), so the two tables need no shared sequence.

``scheduling.services.lab_plans.lab_plan_store`` writes a plan beside its schedule version;
``stored_plan`` reads it back as the validator's ``LabPlan``, so publishing checks exactly what is
stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import math
from collections import defaultdict

from django.utils.translation import gettext

from learninglabs.models import Program, ProgramGoal, ProgramKind
from learninglabs.pace import need_scores
from students.models import ELLevel, ServiceNeed, Staff, Student
from students.models.people import PROVIDER_ROLES, Role

from ..models import (
    ActivityKind,
    CalendarDay,
    DayType,
    LabGroup,
    LabPlan,
    LabSegment,
    LabZone,
    Room,
    RoomKind,
    Schedule,
    ScheduleStatus,
    SchoolSchedulingSettings,
    minutes_of,
)
from ..solver import plans
from ..solver.plan_inputs import Adult, PlanInputs, PlanSettings
from ..solver.problem import Reason, Window
from ..solver.validate_stage2 import PlanViolation
from .problem import published_before

DAYS_PER_WEEK = 5
ALL_DAY = (Window(0, 24 * 60),)  # weekly service minutes are a full school week's
# Program time is what the lab's computers run; tutoring programs are groups, not seats.
LAB_PROGRAM_KINDS = (ProgramKind.ADAPTIVE, ProgramKind.INDEPENDENT_READING)
# Tutoring: 30 minutes at most a day per student, in groups of at most four, for students
# clearly behind (need above 0.3: a quarter or more behind their goals) - the Rocketship model's
# "pull the students furthest behind" with a floor, so tutors never pull a student on track.
TUTORING_MINUTES = 30
MIN_TUTORING_NEED = 0.3
TUTOR_GROUP_SIZE = 4
# Rooms where a group may meet; a lab's small groups meet in its zones.
GROUP_ROOM_KINDS = (RoomKind.RESOURCE_ROOM, RoomKind.CLASSROOM)


def place_id(*, room: int | None = None, zone: int | None = None) -> int:
    """The solver's integer for a room or a lab zone (see the module docstring)."""
    if (room is None) == (zone is None):
        raise ValueError("a place is a room or a zone")
    return room if room is not None else -zone  # type: ignore[operator]


def place_of(value: int | None) -> tuple[int | None, int | None]:
    """(room, zone) keys of a solver place."""
    if value is None:
        return None, None
    return (value, None) if value > 0 else (None, -value)


# --- inputs -------------------------------------------------------------------------------------


def plan_inputs_for(*, school_id: int, date: datetime.date, day_type_id: int) -> PlanInputs:
    """The day's stage-2 inputs, apart from the stage-1 schedule."""
    students = list(
        Student.objects.filter(school_id=school_id, cohort__isnull=False)
        .enrolled_on(date)
        .order_by("pk")
        .values_list("pk", "cohort_id", "grade__level", "el_level")
    )
    needs = need_scores(school_id=school_id, date=date)
    present = tuple(
        plans.StudentDay(
            id=pk,
            cohort=cohort,
            grade=grade,
            need=tuple(sorted((subject, round(v, 3)) for subject, v in needs.get(pk, {}).items())),
            english_learner=el_level in ELLevel.receiving_eld(),
        )
        for pk, cohort, grade, el_level in students
    )
    adults, holders = _adults(school_id)
    settings = _settings(school_id, day_type_id)
    return PlanInputs(
        students=present,
        programs=_programs(school_id),
        services=_services_due(
            school_id=school_id,
            date=date,
            present={s.id for s in present},
            holders=holders,
        ),
        adults=adults,
        previous=_previous_plan(school_id=school_id, date=date, day_type_id=day_type_id),
        settings=settings,
        places=_places(school_id),
    )


def _settings(school_id: int, day_type_id: int) -> PlanSettings:
    school = SchoolSchedulingSettings.objects.filter(school_id=school_id).first()
    school = school or SchoolSchedulingSettings()
    grid, passing = DayType.objects.values_list("granularity_minutes", "passing_minutes").get(
        pk=day_type_id
    )
    return PlanSettings(
        grid_minutes=grid or 5,
        tutoring_minutes=TUTORING_MINUTES,
        tutoring_session_minutes=school.tutoring_session_minutes,
        min_tutoring_need=MIN_TUTORING_NEED,
        tutor_group_size=TUTOR_GROUP_SIZE,
        max_changes=school.lab_max_changes,
        adjacent_grades=school.adjacent_grade_groups,
        passing_minutes=passing,
        stability_weight=school.group_stability_weight,
    )


def _places(school_id: int) -> tuple[plans.Place, ...]:
    """Every place a group may meet or program time may sit, available all day (stage 1's use
    of a classroom is taken out once its blocks are known). A lab's computer zones count only
    once they seat the whole lab: until then its program time sits in the lab as one room."""
    rooms = Room.objects.filter(school_id=school_id, kind__in=GROUP_ROOM_KINDS).order_by("pk")
    places = [
        plans.Place(place_id(room=pk), plans.PlaceKind(kind), capacity, ALL_DAY)
        for pk, kind, capacity in rooms.values_list("pk", "kind", "capacity")
    ]
    zones = list(
        LabZone.objects.filter(lab__school_id=school_id)
        .order_by("pk")
        .values_list("pk", "lab_id", "lab__capacity", "seats", "computers")
    )
    seated: dict[int, int] = defaultdict(int)
    for _pk, lab, _capacity, seats, computers in zones:
        seated[lab] += seats if computers else 0
    for pk, lab, capacity, seats, computers in zones:
        if computers and seated[lab] < capacity:
            continue
        places.append(
            plans.Place(
                place_id(zone=pk),
                plans.PlaceKind.LAB_ZONE,
                seats,
                ALL_DAY,
                lab=lab,
                computers=computers,
            )
        )
    return tuple(places)


def plan_fingerprint(inputs: PlanInputs) -> str:
    canonical = json.dumps(dataclasses.asdict(inputs), sort_keys=True, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)


def _programs(school_id: int) -> tuple[plans.LabProgram, ...]:
    grades: dict[int, set[int]] = defaultdict(set)
    for program_id, grade in ProgramGoal.objects.filter(school_id=school_id).values_list(
        "program_id", "grade"
    ):
        grades[program_id].add(grade)
    return tuple(
        plans.LabProgram(pk, subject, frozenset(grades[pk]), min_minutes)
        for pk, subject, min_minutes in Program.objects.filter(
            school_id=school_id, kind__in=LAB_PROGRAM_KINDS
        )
        .order_by("pk")
        .values_list("pk", "subject", "min_session_minutes")
    )


def _adults(school_id: int) -> tuple[tuple[Adult, ...], dict[str, tuple[int, ...]]]:
    """Who may lead groups, and the staff holding each role (a service's eligible providers)."""
    roles: dict[int, set[str]] = defaultdict(set)
    for staff_id, role in Staff.objects.filter(school_id=school_id, active=True).values_list(
        "pk", "role_grants__role"
    ):
        if role:
            roles[staff_id].add(role)
    grades: dict[int, set[int]] = defaultdict(set)
    for staff_id, level in Staff.grades.through.objects.filter(
        staff__school_id=school_id
    ).values_list("staff_id", "grade__level"):
        grades[staff_id].add(level)
    adults = []
    for staff_id in sorted(roles):
        delivers = frozenset(
            k for k, allowed in PROVIDER_ROLES.items() if roles[staff_id] & allowed
        )
        tutors = Role.TUTOR in roles[staff_id]
        if delivers or tutors:
            adults.append(
                Adult(
                    staff_id,
                    delivers,
                    tutors,
                    frozenset(grades[staff_id]) if tutors else frozenset(),
                )
            )
    holders: dict[str, list[int]] = defaultdict(list)
    for staff_id in sorted(roles):
        for role in roles[staff_id]:
            holders[role].append(staff_id)
    return tuple(adults), {role: tuple(ids) for role, ids in holders.items()}


def _services_due(
    *,
    school_id: int,
    date: datetime.date,
    present: set[int],
    holders: dict[str, tuple[int, ...]],
) -> tuple[plans.ServiceDue, ...]:
    monday = date - datetime.timedelta(days=date.weekday())
    this_week = LabSegment.objects.filter(
        plan__schedule__school_id=school_id,
        plan__schedule__status=ScheduleStatus.PUBLISHED,
        plan__schedule__date__gte=monday,
        plan__schedule__date__lt=date,
    )
    planned_days = (
        Schedule.objects.filter(
            school_id=school_id,
            status=ScheduleStatus.PUBLISHED,
            date__gte=monday,
            date__lt=date,
            lab_plan__isnull=False,
        )
        .values("date")
        .distinct()
        .count()
    )
    friday = monday + datetime.timedelta(days=4)
    last_day = not CalendarDay.objects.filter(
        school_id=school_id, date__gt=date, date__lte=friday, instructional=True
    ).exists()
    delivered: dict[int, int] = defaultdict(int)
    for service_id, start, end in this_week.filter(service__isnull=False).values_list(
        "service_id", "start", "end"
    ):
        delivered[service_id] += minutes_of(end) - minutes_of(start)
    due = []
    for need in ServiceNeed.objects.filter(student__school_id=school_id).order_by("pk"):
        if need.student_id not in present:
            continue
        share = need.minutes_per_week * (planned_days + 1) / DAYS_PER_WEEK
        owed = share - delivered[need.pk]
        # Groups meet in whole sessions ("ELD 30 minutes, 4 times a week"): 24 minutes due is
        # one 30-minute session or none. Mid-week the share is rounded to the nearest session
        # (the difference carries into tomorrow's share); the week's last day owes every minute.
        step = need.session_minutes
        owed = math.ceil(owed) if last_day else step * math.floor(owed / step + 0.5)
        if owed <= 0:
            continue
        due.append(
            plans.ServiceDue(
                id=need.pk,
                student=need.student_id,
                kind=need.kind,
                minutes=owed,
                max_group_size=need.max_group_size,
                providers=holders.get(need.provider_role, ()),
                session_minutes=need.session_minutes,
            )
        )
    return tuple(due)


def _previous_plan(
    *, school_id: int, date: datetime.date, day_type_id: int
) -> tuple[plans.PlanSegment, ...]:
    latest = (
        published_before(school=school_id, day_type=day_type_id, date=date)
        .filter(lab_plan__isnull=False)
        .values_list("lab_plan", flat=True)
        .first()
    )
    if latest is None:
        return ()
    return _segments(latest)


# --- reading back ------------------------------------------------------------------------------


def stored_plan(plan: LabPlan) -> plans.LabPlan:
    """A stored plan as the validator reads it."""
    groups = tuple(
        plans.PlanGroup(
            id=g.number,
            kind=plans.ActivityKind(g.kind),
            start=minutes_of(g.start),
            end=minutes_of(g.end),
            members=tuple(sorted(members)),
            tutor=g.staff_id if g.kind == ActivityKind.TUTORING else None,
            provider=g.staff_id if g.kind == ActivityKind.SERVICE else None,
            service_kind=g.service_kind or None,
            subject=g.subject or None,
            place=_place(g.room_id, g.zone_id),
        )
        for g, members in _groups_with_members(plan.pk)
    )
    shortfalls = tuple(
        plans.Shortfall(
            student=row["student"],
            service=row["service"],
            kind=row["kind"],
            providers=tuple(row["providers"]),
            due=row["due"],
            met=row["met"],
        )
        for row in plan.shortfalls
    )
    return plans.LabPlan(segments=_segments(plan.pk), groups=groups, shortfalls=shortfalls)


def _groups_with_members(plan_id: int) -> list[tuple[LabGroup, list[int]]]:
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, student_id in LabSegment.objects.filter(
        plan_id=plan_id, group__isnull=False
    ).values_list("group_id", "student_id"):
        members[group_id].append(student_id)
    groups = LabGroup.objects.filter(plan_id=plan_id).order_by("number")
    return [(group, members[group.pk]) for group in groups]


def _segments(plan_id: int) -> tuple[plans.PlanSegment, ...]:
    rows = (
        LabSegment.objects.filter(plan_id=plan_id)
        .order_by("student_id", "start")
        .values_list(
            "student_id",
            "start",
            "end",
            "kind",
            "program_id",
            "service_id",
            "subject",
            "group__number",
            "group__staff_id",
            "zone_id",
            "group__room_id",
            "group__zone_id",
        )
    )
    segments = []
    for row in rows:
        student, start, end, kind, program, service, subject, number, staff = row[:9]
        zone, group_room, group_zone = row[9:]
        kind = plans.ActivityKind(kind)
        segments.append(
            plans.PlanSegment(
                student=student,
                start=minutes_of(start),
                end=minutes_of(end),
                kind=kind,
                program=program,
                tutor=staff if kind == plans.ActivityKind.TUTORING else None,
                provider=staff if kind == plans.ActivityKind.SERVICE else None,
                service=service,
                subject=subject or None,
                group=number,
                place=_place(group_room, group_zone) if number is not None else _place(None, zone),
            )
        )
    return tuple(segments)


def _place(room: int | None, zone: int | None) -> int | None:
    if room is None and zone is None:
        return None
    return place_id(room=room) if room is not None else place_id(zone=zone)


def plan_violations_as_reasons(violations: tuple[PlanViolation, ...]) -> tuple[Reason, ...]:
    return tuple(
        Reason(
            code=f"lab-plan-{v.rule}",
            message=v.message,
            suggestion=gettext("Build again; if it persists, report it with the school and date."),
            setting=f"student:{v.student}" if v.student else "school",
        )
        for v in violations
    )
