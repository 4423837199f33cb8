"""A small school with a Learning Lab plan to look at: the kindergarten of ``test_selectors``
(two homerooms), its day made long enough for lab sessions people can run, with what stage 2
needs on top:

- a day from 8:00 to 10:45 with a 60-minute lab block and a 30-minute flexible block per
  homeroom, room for a 30-minute service or tutoring session beside a program session of at
  least 25 minutes; the leader's pins put K Howard's literacy at 9:05-9:45 and K Stanford's
  lab at 9:20 on the build date, so the two lab blocks do not overlap and K Howard's flexible
  block lies inside K Stanford's lab block (a group may take students of both);
- places for groups: a resource room (6 seats) and, in the Learning Lab, a computers zone that
  seats the whole lab and a small-group table (4 seats);
- Ms. Chen, a special-education teacher, and Mr. Diaz, a tutor for kindergarten, both there
  until dismissal; Mr. Okafor supervises the lab until dismissal too;
- two programs with kindergarten goals (Headsprout, literacy; DreamBox, math; the default
  25-minute shortest session);
- three students with services, each 120 minutes a week in 30-minute sessions: two IEPs
  (one per homeroom, with Ms. Chen, groups of at most 3) and one English learner in K Stanford
  (ELD from a tutor: Mr. Diaz both tutors and delivers ELD, and is in one group at a time);
- a school week from Tuesday 1 September (the build date) to Friday; each service owes a fifth
  of its weekly minutes a day (24, rounded to a whole 30-minute session until Friday);
- four weeks of progress in which three students (two in K Stanford, one in K Howard) fell far
  behind in literacy (the tutor's first pick).

``lab_world()`` stores it; ``built_lab_world()`` also builds and publishes the day.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from learninglabs.models import Program, ProgramGoal, ProgramKind, ProgressRecord, Subject
from scheduling.models import (
    DayType,
    LabZone,
    Pin,
    Room,
    RoomKind,
    Schedule,
    TemplateStation,
)
from scheduling.services.builds import schedule_build
from students.models import ELLevel, Role, School, ServiceKind, ServiceNeed, Staff, Student

from ..factories import RoomFactory, StaffFactory, UserFactory
from ..solver_limits import work_limited
from .factories import CalendarDayFactory
from .test_selectors import DATE, Kindergarten, T, kindergarten

FAST = work_limited(workers=1, first_solution_only=True)
DISMISSAL = T(10, 45)
WEEKLY_SERVICE_MINUTES = 120  # four 30-minute sessions; a fifth of it, 24, a day


@dataclass
class LabWorld:
    k: Kindergarten
    chen: Staff
    diaz: Staff
    headsprout: Program
    dreambox: Program
    iep: tuple[Student, Student]
    learner: Student
    behind: tuple[Student, ...]
    schedule: Schedule | None = None

    @property
    def schedule_day_type(self) -> int:
        day_type_id = self.school.calendar_days.get(date=DATE).day_type_id
        assert day_type_id is not None  # DATE is a school day
        return day_type_id

    @property
    def school(self) -> School:
        return self.k.school


def lab_world() -> LabWorld:
    k = kindergarten()
    school = k.school
    day_type = school.calendar_days.get(date=DATE).day_type
    assert day_type is not None  # DATE is a school day
    lengthen_the_day(k, day_type)
    for offset in (1, 2, 3):  # Wednesday to Friday
        CalendarDayFactory.create(
            school=school, date=DATE + datetime.timedelta(days=offset), day_type=day_type
        )
    chen = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ms.", last_name="Chen"),
        roles=[Role.SPED],
        work_start=T(7, 30),
        work_end=DISMISSAL,
    )
    diaz = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Mr.", last_name="Diaz"),
        roles=[Role.TUTOR],
        work_start=T(8, 0),
        work_end=DISMISSAL,
    )
    grade = k.stanford.grade
    diaz.grades.set([grade])
    headsprout = Program.objects.create(
        school=school,
        name="Headsprout",
        code="headsprout",
        subject=Subject.LITERACY,
        kind=ProgramKind.ADAPTIVE,
    )
    dreambox = Program.objects.create(
        school=school, name="DreamBox", code="dreambox", subject=Subject.MATH, kind="adaptive"
    )
    for program in (headsprout, dreambox):
        ProgramGoal.objects.create(
            school=school, program=program, grade=grade.level, weekly_minutes=60
        )

    students = list(Student.objects.filter(cohort=k.stanford).enrolled_on(DATE).order_by("pk"))
    others = list(Student.objects.filter(cohort=k.howard).enrolled_on(DATE).order_by("pk"))
    iep = (students[0], others[0])
    for student in iep:
        give_iep(student)
    learner = students[1]
    learner.el_level = ELLevel.EMERGING
    learner.save(update_fields=["el_level"])
    ServiceNeed.objects.create(
        student=learner,
        kind=ServiceKind.ELD,
        minutes_per_week=WEEKLY_SERVICE_MINUTES,
        max_group_size=4,
        provider_role=Role.TUTOR,
    )

    behind = (students[2], students[3], others[1])
    records = four_weeks_of_progress(
        students + others,
        (headsprout, dreambox),
        lagging=lambda student, program: student in behind and program == headsprout,
    )
    ProgressRecord.objects.bulk_create(records)
    return LabWorld(k, chen, diaz, headsprout, dreambox, iep, learner, behind)


def lengthen_the_day(k: Kindergarten, day_type: DayType) -> None:
    """The kindergarten's day made long enough for lab sessions (see the module docstring)."""
    day_type.dismissal = DISMISSAL
    day_type.save(update_fields=["dismissal"])
    stations = TemplateStation.objects.filter(template__school=k.school)
    stations.filter(code="lab").update(minutes=60, block_min=60, block_max=60)
    stations.filter(code="flex").update(minutes=30, block_min=30, block_max=30)
    stations.filter(code="lunch").update(window_start=T(10, 0), window_end=DISMISSAL)
    pins = Pin.objects.filter(school=k.school)
    pins.filter(cohort=k.stanford, station="lab").update(start=T(9, 20))
    pins.filter(cohort=k.howard, station="literacy").update(start=T(9, 5), end=T(9, 45))
    Staff.objects.filter(pk=k.okafor.pk).update(work_end=DISMISSAL)
    lab = Room.objects.get(pk=k.rooms["lab"])
    LabZone.objects.create(lab=lab, name="Computers", seats=lab.capacity, computers=True)
    LabZone.objects.create(lab=lab, name="Small-group table", seats=4, computers=False)
    RoomFactory.create(
        school=k.school, name="Resource room", kind=RoomKind.RESOURCE_ROOM, capacity=6
    )


def give_iep(student: Student) -> None:
    """An IEP with 120 minutes a week (four 30-minute sessions) from a special-education
    teacher, in groups of at most 3."""
    student.has_iep = True
    student.save(update_fields=["has_iep"])
    ServiceNeed.objects.create(
        student=student,
        kind=ServiceKind.IEP,
        minutes_per_week=WEEKLY_SERVICE_MINUTES,
        max_group_size=3,
        provider_role=Role.SPED,
    )


def four_weeks_of_progress(
    students: Iterable[Student],
    programs: Iterable[Program],
    *,
    lagging: Callable[[Student, Program], bool],
) -> list[ProgressRecord]:
    """Every weekday of the four weeks need looks back on: 12 minutes a day in each program
    (on goal), 2 where ``lagging`` says the student fell behind. Unsaved, for a bulk insert."""
    records = []
    for days_back in range(1, 29):
        day = DATE - datetime.timedelta(days=days_back)
        if day.weekday() >= 5:
            continue
        for student in students:
            for program in programs:
                records.append(
                    ProgressRecord(
                        student=student,
                        program=program,
                        date=day,
                        minutes=2 if lagging(student, program) else 12,
                        lessons_completed=1,
                        source="api",
                    )
                )
    return records


def built_lab_world() -> LabWorld:
    """``lab_world()`` with its day built and published."""
    world = lab_world()
    result = schedule_build(school=world.school, date=DATE, publish=True, options=FAST)
    assert result.ok, result.reasons
    world.schedule = result.schedule
    return world
