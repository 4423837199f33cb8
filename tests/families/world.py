"""Two families of one network, written row by row (no solver).

Guardian A has Ana (3rd grade, Mission, cohort "3 Stanford") and her brother Tomas at Alder,
another school of the network; guardian B has Bruno, in Ana's cohort. On ``DATE`` (a Tuesday)
version 2 of Mission's day is published today; version 1, published two days ago, had specials
at 9:00 and math at 13:30: version 2 swaps them, so those two blocks changed since yesterday.

Ana's Learning Lab block (10:00-11:00): Lexia Core5 on the computer in Zone 1, then a reading
group with Luis Diaz in Room 12 (with Bruno). Her flexible block (13:00-13:30): learning support
with Grace Chen in Room 14 (her IEP, 60 minutes a week). Her lab minutes: 80 this week, 50 the
week before, 100 two weeks ago, against a goal of 100 a week.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from families.models import FamilyAccount
from learninglabs.models import Program, ProgramGoal, ProgramKind, ProgressRecord, Subject
from scheduling.models import (
    ActivityKind,
    LabGroup,
    LabPlan,
    LabSegment,
    LabZone,
    RoomKind,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StationCode,
)
from students.models import Guardian, ServiceKind, Staff, Student

from ..factories import (
    CohortFactory,
    GradeFactory,
    GuardianFactory,
    NetworkFactory,
    RoomFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..scheduling.factories import DayTypeFactory

DATE = datetime.date(2026, 11, 24)  # a Tuesday
T = datetime.time


@dataclass
class FamilyWorld:
    mission_day: Schedule
    ana: Student
    tomas: Student
    bruno: Student
    guardian_a: Guardian
    guardian_b: Guardian
    account_a: FamilyAccount
    account_b: FamilyAccount
    rivera: Staff
    okafor: Staff
    diaz: Staff
    chen: Staff


def staff(school, first: str, last: str) -> Staff:  # type: ignore[no-untyped-def]
    return StaffFactory.create(
        school=school, user=UserFactory.create(first_name=first, last_name=last)
    )


def account_for(guardian: Guardian) -> FamilyAccount:
    user = UserFactory.create(first_name=guardian.given_name, last_name=guardian.family_name)
    return FamilyAccount.objects.create(guardian=guardian, user=user)


def school_today(student: Student) -> datetime.date:
    return timezone.localtime(timezone=student.school.zone).date()


def _blocks(schedule: Schedule, cohort, rows) -> None:  # type: ignore[no-untyped-def]
    for station, start, end, room, teacher in rows:
        ScheduledBlock.objects.create(
            schedule=schedule,
            cohort=cohort,
            station=station,
            start=start,
            end=end,
            room=room,
            staff=teacher,
        )


def family_world() -> FamilyWorld:
    network = NetworkFactory.create(name="Bay Valley")
    mission = SchoolFactory.create(network=network, name="Mission Heights")
    alder = SchoolFactory.create(network=network, name="Alder Street")
    cohort = CohortFactory.create(
        school=mission, grade=GradeFactory.create(school=mission, level=3)
    )
    cohort.name = "3 Stanford"
    cohort.save()
    alder_cohort = CohortFactory.create(
        school=alder, grade=GradeFactory.create(school=alder, level=1)
    )

    ana = StudentFactory.create(school=mission, cohort=cohort, first_name="Ana", last_name="Lopez")
    tomas = StudentFactory.create(
        school=alder, cohort=alder_cohort, first_name="Tomas", last_name="Lopez"
    )
    bruno = StudentFactory.create(
        school=mission, cohort=cohort, first_name="Bruno", last_name="Zeller"
    )
    guardian_a = GuardianFactory.create(network=network, students=[ana, tomas])
    guardian_b = GuardianFactory.create(network=network, students=[bruno])

    rivera = staff(mission, "Elena", "Rivera")
    okafor = staff(mission, "Sam", "Okafor")
    park = staff(mission, "Jin", "Park")
    diaz = staff(mission, "Luis", "Diaz")
    chen = staff(mission, "Grace", "Chen")
    room_101 = RoomFactory.create(school=mission, name="Room 101")
    room_102 = RoomFactory.create(school=mission, name="Room 102")
    room_12 = RoomFactory.create(school=mission, name="Room 12")
    room_14 = RoomFactory.create(school=mission, name="Room 14", kind=RoomKind.RESOURCE_ROOM)
    lab = RoomFactory.create(
        school=mission, name="Learning Lab", kind=RoomKind.LEARNING_LAB, capacity=60
    )
    cafeteria = RoomFactory.create(school=mission, name="Cafeteria", kind=RoomKind.CAFETERIA)
    gym = RoomFactory.create(school=mission, name="Gym", kind=RoomKind.GYM, capacity=2)
    zone_1 = LabZone.objects.create(lab=lab, name="Zone 1", seats=30)

    day_type = DayTypeFactory.create(school=mission)
    now = timezone.now()
    before = Schedule.objects.create(
        school=mission,
        date=DATE,
        day_type=day_type,
        version=1,
        status=ScheduleStatus.SUPERSEDED,
        published_at=now - datetime.timedelta(days=2),
        input_fingerprint="1" * 64,
    )
    day = Schedule.objects.create(
        school=mission,
        date=DATE,
        day_type=day_type,
        version=2,
        status=ScheduleStatus.PUBLISHED,
        published_at=now,
        input_fingerprint="2" * 64,
    )
    common = [
        (StationCode.LITERACY, T(8), T(9), room_101, rivera),
        (StationCode.LAB, T(10), T(11), lab, None),
        (StationCode.LUNCH, T(11), T(11, 30), cafeteria, None),
        (StationCode.RECESS, T(11, 30), T(11, 45), None, None),
        (StationCode.FLEX, T(13), T(13, 30), room_101, None),
    ]
    _blocks(
        before,
        cohort,
        [
            *common,
            (StationCode.SPECIALS, T(9), T(10), gym, park),
            (StationCode.MATH, T(13, 30), T(14, 30), room_102, okafor),
        ],
    )
    _blocks(
        day,
        cohort,
        [
            *common,
            (StationCode.MATH, T(9), T(10), room_102, okafor),
            (StationCode.SPECIALS, T(13, 30), T(14, 30), gym, park),
        ],
    )

    lexia = Program.objects.create(
        school=mission,
        name="Lexia Core5",
        code="lexia",
        subject=Subject.LITERACY,
        kind=ProgramKind.ADAPTIVE,
    )
    plan = LabPlan.objects.create(schedule=day, input_fingerprint="3" * 64)
    reading = LabGroup.objects.create(
        plan=plan,
        number=1,
        kind=ActivityKind.TUTORING,
        start=T(10, 30),
        end=T(11),
        staff=diaz,
        subject="literacy",
        room=room_12,
    )
    need = ServiceNeedFactory.create(student=ana, kind=ServiceKind.IEP, minutes_per_week=60)
    ana.has_iep = True
    ana.save(update_fields=["has_iep"])
    support = LabGroup.objects.create(
        plan=plan,
        number=2,
        kind=ActivityKind.SERVICE,
        start=T(13),
        end=T(13, 30),
        staff=chen,
        service_kind=ServiceKind.IEP,
        room=room_14,
    )
    segments = [
        (ana, T(10), T(10, 30), ActivityKind.PROGRAM, None, None),
        (ana, T(10, 30), T(11), ActivityKind.TUTORING, reading, None),
        (ana, T(13), T(13, 30), ActivityKind.SERVICE, support, need),
        (bruno, T(10), T(10, 30), ActivityKind.PROGRAM, None, None),
        (bruno, T(10, 30), T(11), ActivityKind.TUTORING, reading, None),
        (bruno, T(13), T(13, 30), ActivityKind.PROGRAM, None, None),
    ]
    for student, start, end, kind, group, service in segments:
        LabSegment.objects.create(
            plan=plan,
            student=student,
            start=start,
            end=end,
            kind=kind,
            program=lexia if kind == ActivityKind.PROGRAM else None,
            zone=zone_1 if kind == ActivityKind.PROGRAM else None,
            group=group,
            service=service,
            subject="literacy",
        )

    # Tomas's day at Alder: one literacy block, so switching shows his own day.
    alder_day = Schedule.objects.create(
        school=alder,
        date=DATE,
        day_type=DayTypeFactory.create(school=alder),
        version=1,
        status=ScheduleStatus.PUBLISHED,
        published_at=now - datetime.timedelta(days=2),
        input_fingerprint="4" * 64,
    )
    _blocks(
        alder_day,
        alder_cohort,
        [
            (
                StationCode.LITERACY,
                T(8),
                T(9),
                RoomFactory.create(school=alder, name="Room A7"),
                staff(alder, "Nora", "Kim"),
            )
        ],
    )

    # Lab minutes: 80 this week, 50 last week, 100 the week before, against 100 a week.
    ProgramGoal.objects.create(school=mission, program=lexia, grade=3, weekly_minutes=100)
    today = school_today(ana)
    for days_ago, minutes in ((0, 80), (7, 50), (14, 100)):
        ProgressRecord.objects.create(
            student=ana,
            program=lexia,
            date=today - datetime.timedelta(days=days_ago),
            minutes=minutes,
        )
    ProgressRecord.objects.create(student=bruno, program=lexia, date=today, minutes=15)

    return FamilyWorld(
        mission_day=day,
        ana=ana,
        tomas=tomas,
        bruno=bruno,
        guardian_a=guardian_a,
        guardian_b=guardian_b,
        account_a=account_for(guardian_a),
        account_b=account_for(guardian_b),
        rivera=rivera,
        okafor=okafor,
        diaz=diaz,
        chen=chen,
    )
