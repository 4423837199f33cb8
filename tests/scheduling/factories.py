"""Factories for the rotation engine's models; related objects stay in the same school."""

import datetime

import factory

from scheduling.models import (
    AbsenceReason,
    CalendarDay,
    DayType,
    LabSupervision,
    Pin,
    RoomKind,
    RotationTemplate,
    Schedule,
    ScheduledBlock,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    StationCode,
    TeachingRoom,
    TemplateStation,
    Venue,
)

from ..factories import CohortFactory, GradeFactory, RoomFactory, SchoolFactory, StaffFactory


class DayTypeFactory(factory.django.DjangoModelFactory[DayType]):
    """A regular day: arrival 7:45, first block 8:00, dismissal 15:15."""

    class Meta:
        model = DayType

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Regular day {n}")
    arrival = datetime.time(7, 45)
    day_start = datetime.time(8, 0)
    dismissal = datetime.time(15, 15)
    passing_minutes = 0
    granularity_minutes = 5


class CalendarDayFactory(factory.django.DjangoModelFactory[CalendarDay]):
    class Meta:
        model = CalendarDay

    school = factory.SubFactory(SchoolFactory)
    date = datetime.date(2026, 11, 24)
    instructional = True
    day_type = factory.Maybe(
        "instructional",
        yes_declaration=factory.LazyAttribute(lambda o: DayTypeFactory.create(school=o.school)),
        no_declaration=None,
    )


class RotationTemplateFactory(factory.django.DjangoModelFactory[RotationTemplate]):
    class Meta:
        model = RotationTemplate

    school = factory.SubFactory(SchoolFactory)
    grade = factory.LazyAttribute(lambda o: GradeFactory.create(school=o.school))
    day_type = factory.SubFactory(DayTypeFactory, school=factory.SelfAttribute("..school"))


class TemplateStationFactory(factory.django.DjangoModelFactory[TemplateStation]):
    """Literacy: 120 minutes in one or two blocks of 45-120, in the humanities teacher's room."""

    class Meta:
        model = TemplateStation

    template = factory.SubFactory(RotationTemplateFactory)
    code = StationCode.LITERACY
    minutes = 120
    block_min = 45
    block_max = 120
    block_step = 5
    max_blocks = 2
    venue = Venue.STAFF_ROOM
    staff_role = "humanities"


class LabFactory(RoomFactory):
    name = factory.Sequence(lambda n: f"Learning Lab {n}")
    kind = RoomKind.LEARNING_LAB
    capacity = 80


class HomeroomFactory(RoomFactory):
    """A classroom that is ``homeroom_of``'s homeroom."""

    homeroom_of = factory.LazyAttribute(lambda o: CohortFactory.create(school=o.school))
    name = factory.LazyAttribute(lambda o: f"Room {o.homeroom_of.name}")


class TeachingRoomFactory(factory.django.DjangoModelFactory[TeachingRoom]):
    class Meta:
        model = TeachingRoom

    school = factory.SubFactory(SchoolFactory)
    staff = factory.LazyAttribute(lambda o: StaffFactory.create(school=o.school))
    room = factory.LazyAttribute(lambda o: RoomFactory.create(school=o.school))


class StaffingAssignmentFactory(factory.django.DjangoModelFactory[StaffingAssignment]):
    """``staff=[...]``: the candidates (default: one new humanities teacher)."""

    class Meta:
        model = StaffingAssignment
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    cohort = factory.LazyAttribute(lambda o: CohortFactory.create(school=o.school))
    station = StationCode.LITERACY

    @factory.post_generation
    def staff(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        self.staff.set(
            extracted if extracted is not None else [StaffFactory.create(school=self.school)]
        )


class LabSupervisionFactory(factory.django.DjangoModelFactory[LabSupervision]):
    """``supervisors=[...]``: the ILS staff (default: none)."""

    class Meta:
        model = LabSupervision
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    lab = factory.LazyAttribute(lambda o: LabFactory.create(school=o.school))
    students_per_adult = 30

    @factory.post_generation
    def supervisors(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if extracted:
            self.supervisors.set(extracted)


class SchoolSchedulingSettingsFactory(factory.django.DjangoModelFactory[SchoolSchedulingSettings]):
    class Meta:
        model = SchoolSchedulingSettings

    school = factory.SubFactory(SchoolFactory)


class StaffAbsenceFactory(factory.django.DjangoModelFactory[StaffAbsence]):
    """All day unless ``start``/``end`` are given."""

    class Meta:
        model = StaffAbsence

    school = factory.SubFactory(SchoolFactory)
    staff = factory.LazyAttribute(lambda o: StaffFactory.create(school=o.school))
    date = datetime.date(2026, 11, 24)
    reason = AbsenceReason.SICK


class PinFactory(factory.django.DjangoModelFactory[Pin]):
    class Meta:
        model = Pin

    school = factory.SubFactory(SchoolFactory)
    cohort = factory.LazyAttribute(lambda o: CohortFactory.create(school=o.school))
    station = StationCode.LAB
    day_type = factory.SubFactory(DayTypeFactory, school=factory.SelfAttribute("..school"))
    start = datetime.time(9, 0)


class ScheduleFactory(factory.django.DjangoModelFactory[Schedule]):
    class Meta:
        model = Schedule

    school = factory.SubFactory(SchoolFactory)
    date = datetime.date(2026, 11, 24)
    day_type = factory.SubFactory(DayTypeFactory, school=factory.SelfAttribute("..school"))
    version = factory.Sequence(lambda n: n + 1)
    input_fingerprint = "0" * 64


class ScheduledBlockFactory(factory.django.DjangoModelFactory[ScheduledBlock]):
    class Meta:
        model = ScheduledBlock

    schedule = factory.SubFactory(ScheduleFactory)
    cohort = factory.LazyAttribute(lambda o: CohortFactory.create(school=o.schedule.school))
    station = StationCode.FLEX
    start = datetime.time(8, 0)
    end = datetime.time(8, 30)


__all__ = [
    "CalendarDayFactory",
    "DayTypeFactory",
    "HomeroomFactory",
    "LabFactory",
    "LabSupervisionFactory",
    "PinFactory",
    "RotationTemplateFactory",
    "ScheduleFactory",
    "ScheduledBlockFactory",
    "SchoolSchedulingSettingsFactory",
    "StaffAbsenceFactory",
    "StaffingAssignmentFactory",
    "TeachingRoomFactory",
    "TemplateStationFactory",
]


def add_stations(template: RotationTemplate, rows: list[tuple]) -> None:
    """Stations from rows of (code, minutes, block min, block max, max blocks, venue, role[,
    window as (start, end) times or None])."""
    for code, minutes, shortest, longest, blocks, venue, role, *rest in rows:
        window = rest[0] if rest else None
        TemplateStationFactory.create(
            template=template,
            code=code,
            minutes=minutes,
            block_min=shortest,
            block_max=longest,
            max_blocks=blocks,
            venue=venue,
            staff_role=role,
            window_start=window[0] if window else None,
            window_end=window[1] if window else None,
        )
