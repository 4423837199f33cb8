"""A published morning with a stored lab plan, written row by row (no solver): ``small_day``
(K Adams in the 30-seat Learning Lab 8:40-9:10, K Baker 8:20-8:50) plus the plan.

The lab has two banks of computers, Zone 1 and Zone 2 (15 seats each), and a small-group Table.
Ms. Erin Petrov (humanities, so she provides Bea's ELD) tutors two Baker students in literacy at
the Table 8:20-8:35 and gives Bea ELD in Room 12 8:55-9:10; Ms. Chen (special education) sees Ada
at the Table 8:40-8:55. Everyone else is in Lexia Core5: Adams in Zone 1, Baker in Zone 2 (the
two tutored join Zone 1 afterwards), Bea anywhere in the lab, Ada in Zone 2 after her group.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from learninglabs.models import Program, ProgramKind, Subject
from scheduling.models import ActivityKind, LabGroup, LabPlan, LabSegment, LabZone, Room
from students.models import Role, ServiceKind, Staff, Student

from ...factories import RoomFactory, StaffFactory, UserFactory
from ..test_pictures_data import DATE, SmallDay, small_day

T = datetime.time

__all__ = ["DATE", "PlannedDay", "add_group", "add_segment", "planned_day"]


@dataclass
class PlannedDay:
    d: SmallDay
    plan: LabPlan
    lexia: Program
    petrov: Staff
    chen: Staff
    room_12: Room
    zone_1: LabZone
    zone_2: LabZone
    table: LabZone
    tutored: tuple[Student, Student]
    ada_group: LabGroup
    eld_group: LabGroup
    tutoring_group: LabGroup


def add_segment(
    plan: LabPlan,
    student: Student,
    start: datetime.time,
    end: datetime.time,
    *,
    program: Program | None = None,
    group: LabGroup | None = None,
    zone: LabZone | None = None,
) -> LabSegment:
    return LabSegment.objects.create(
        plan=plan,
        student=student,
        start=start,
        end=end,
        kind=group.kind if group else ActivityKind.PROGRAM,
        program=program,
        group=group,
        zone=zone,
    )


def add_group(
    plan: LabPlan,
    staff: Staff,
    start: datetime.time,
    end: datetime.time,
    students: Iterable[Student],
    *,
    kind: str = ActivityKind.SERVICE,
    service_kind: str = "",
    subject: str = "",
    room: Room | None = None,
    zone: LabZone | None = None,
) -> LabGroup:
    number = LabGroup.objects.filter(plan=plan).count() + 1
    group = LabGroup.objects.create(
        plan=plan,
        number=number,
        kind=kind,
        start=start,
        end=end,
        staff=staff,
        service_kind=service_kind,
        subject=subject,
        room=room,
        zone=zone,
    )
    for student in students:
        add_segment(plan, student, start, end, group=group)
    return group


def planned_day(name: str = "Alder") -> PlannedDay:
    d = small_day(name=name)
    school = d.school
    lexia = Program.objects.create(
        school=school,
        name="Lexia Core5",
        code="lexia",
        subject=Subject.LITERACY,
        kind=ProgramKind.ADAPTIVE,
    )
    petrov = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Erin", last_name="Petrov"),
        roles=[Role.HUMANITIES],
    )
    chen = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ms.", last_name="Chen"),
        roles=[Role.SPED],
    )
    room_12 = RoomFactory.create(school=school, name="Room 12")
    zone_1 = LabZone.objects.create(lab=d.lab, name="Zone 1", seats=15)
    zone_2 = LabZone.objects.create(lab=d.lab, name="Zone 2", seats=15)
    table = LabZone.objects.create(lab=d.lab, name="Table", seats=6, computers=False)
    plan = LabPlan.objects.create(schedule=d.schedule, input_fingerprint="0" * 64)

    adams = list(Student.objects.filter(cohort=d.adams).enrolled_on(DATE).order_by("pk"))
    baker = list(Student.objects.filter(cohort=d.baker).enrolled_on(DATE).order_by("pk"))
    ada, bea = d.iep_student, d.el_student
    for student in adams:
        if student in (ada, bea):
            continue
        # Two rows of the same program in the same zone: one session on the page.
        add_segment(plan, student, T(8, 40), T(8, 55), program=lexia, zone=zone_1)
        add_segment(plan, student, T(8, 55), T(9, 10), program=lexia, zone=zone_1)
    add_segment(plan, bea, T(8, 40), T(8, 50), program=lexia)
    add_segment(plan, bea, T(8, 50), T(8, 55), program=lexia)
    eld_group = add_group(
        plan, petrov, T(8, 55), T(9, 10), [bea], service_kind=ServiceKind.ELD, room=room_12
    )
    ada_group = add_group(
        plan, chen, T(8, 40), T(8, 55), [ada], service_kind=ServiceKind.IEP, zone=table
    )
    add_segment(plan, ada, T(8, 55), T(9, 10), program=lexia, zone=zone_2)

    tutored = (baker[0], baker[1])
    tutoring_group = add_group(
        plan,
        petrov,
        T(8, 20),
        T(8, 35),
        tutored,
        kind=ActivityKind.TUTORING,
        subject=Subject.LITERACY,
        zone=table,
    )
    for student in tutored:
        add_segment(plan, student, T(8, 35), T(8, 50), program=lexia, zone=zone_1)
    for student in baker[2:]:
        add_segment(plan, student, T(8, 20), T(8, 50), program=lexia, zone=zone_2)
    return PlannedDay(
        d,
        plan,
        lexia,
        petrov,
        chen,
        room_12,
        zone_1,
        zone_2,
        table,
        tutored,
        ada_group,
        eld_group,
        tutoring_group,
    )
