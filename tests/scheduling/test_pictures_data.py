"""The picture, roster and pin reads and writes behind the schedule pictures and "My day".

The school is a published kindergarten morning from 8:00 to 10:00 (see ``small_day``): K Adams
(14 students) and K Baker (16) share Ms. Rivera for literacy in Room 103 and a 30-seat lab that
Mr. Okafor supervises; Baker is in the lab 8:20-8:50 and Adams 8:40-9:10, so the lab holds 16,
then 30, then 14 students.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import Pin, Room, RoomKind, Schedule, ScheduleStatus, Venue
from scheduling.selectors.pictures import LabStep, TimeAxis, day_picture, occupancy_steps
from scheduling.selectors.rosters import (
    lab_day,
    roster_for_staff_day,
    roster_for_staff_days,
    week_of,
)
from scheduling.services.pins import pin_toggle
from students.models import Cohort, ELLevel, GradeLevel, Role, School, ServiceKind, Staff, Student

from ..factories import (
    CohortFactory,
    GradeFactory,
    RoomFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from .factories import (
    CalendarDayFactory,
    DayTypeFactory,
    HomeroomFactory,
    LabFactory,
    LabSupervisionFactory,
    PinFactory,
    RotationTemplateFactory,
    ScheduledBlockFactory,
    ScheduleFactory,
    add_stations,
)

pytestmark = pytest.mark.django_db

DATE = datetime.date(2026, 9, 1)  # a Tuesday
T = datetime.time


@dataclass
class SmallDay:
    school: School
    schedule: Schedule
    adams: Cohort
    baker: Cohort
    rivera: Staff
    okafor: Staff
    lab: Room
    room_103: Room
    cafeteria: Room
    iep_student: Student
    el_student: Student


def small_day(name: str = "Alder") -> SmallDay:
    school = SchoolFactory.create(name=name)
    day_type = DayTypeFactory.create(
        school=school, name="Regular day", day_start=T(8), dismissal=T(10)
    )
    CalendarDayFactory.create(school=school, date=DATE, day_type=day_type)
    grade = GradeFactory.create(school=school, level=GradeLevel.K)
    template = RotationTemplateFactory.create(school=school, grade=grade, day_type=day_type)
    add_stations(
        template,
        [
            ("literacy", 40, 40, 40, 1, Venue.STAFF_ROOM, Role.HUMANITIES),
            ("lab", 30, 30, 30, 1, Venue.LAB, ""),
            ("flex", 20, 20, 20, 1, Venue.HOMEROOM, ""),
            ("lunch", 30, 30, 30, 1, Venue.CAFETERIA, ""),
        ],
    )
    adams = CohortFactory.create(school=school, grade=grade, name="K Adams")
    baker = CohortFactory.create(school=school, grade=grade, name="K Baker")
    room_101 = HomeroomFactory.create(school=school, name="Room 101", homeroom_of=adams)
    room_102 = HomeroomFactory.create(school=school, name="Room 102", homeroom_of=baker)
    room_103 = RoomFactory.create(school=school, name="Room 103")
    lab = LabFactory.create(school=school, name="Learning Lab", capacity=30)
    cafeteria = RoomFactory.create(
        school=school, name="Cafeteria", kind=RoomKind.CAFETERIA, capacity=2
    )

    iep_student = StudentFactory.create(
        school=school, cohort=adams, grade=grade, last_name="Abbott", first_name="Ada", has_iep=True
    )
    ServiceNeedFactory.create(student=iep_student, kind=ServiceKind.IEP, minutes_per_week=90)
    el_student = StudentFactory.create(
        school=school,
        cohort=adams,
        grade=grade,
        last_name="Bello",
        first_name="Bea",
        el_level=ELLevel.EMERGING,
        intervention_tier=2,
    )
    ServiceNeedFactory.create(
        student=el_student,
        kind=ServiceKind.ELD,
        minutes_per_week=150,
        provider_role=Role.HUMANITIES,
    )
    StudentFactory.create_batch(12, school=school, cohort=adams, grade=grade)
    StudentFactory.create_batch(16, school=school, cohort=baker, grade=grade)
    # Withdrawn in August: not on the roster, not in the lab's count.
    StudentFactory.create(
        school=school,
        cohort=baker,
        grade=grade,
        enrollment_start=datetime.date(2026, 8, 12),
        enrollment_end=datetime.date(2026, 8, 31),
    )

    rivera = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ms.", last_name="Rivera"),
        roles=[Role.HUMANITIES],
    )
    okafor = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Mr.", last_name="Okafor"),
        roles=[Role.ILS],
    )
    LabSupervisionFactory.create(school=school, lab=lab, supervisors=[okafor])

    schedule = ScheduleFactory.create(
        school=school, date=DATE, day_type=day_type, version=1, status=ScheduleStatus.PUBLISHED
    )
    rows = [
        (adams, "literacy", T(8), T(8, 40), room_103, rivera),
        (adams, "lab", T(8, 40), T(9, 10), lab, None),
        (adams, "flex", T(9, 10), T(9, 30), room_101, None),
        (adams, "lunch", T(9, 30), T(10), cafeteria, None),
        (baker, "flex", T(8), T(8, 20), room_102, None),
        (baker, "lab", T(8, 20), T(8, 50), lab, None),
        (baker, "literacy", T(8, 50), T(9, 30), room_103, rivera),
        (baker, "lunch", T(9, 30), T(10), cafeteria, None),
    ]
    for cohort, station, start, end, room, staff in rows:
        ScheduledBlockFactory.create(
            schedule=schedule,
            cohort=cohort,
            station=station,
            start=start,
            end=end,
            room=room,
            staff=staff,
        )
    return SmallDay(
        school,
        schedule,
        adams,
        baker,
        rivera,
        okafor,
        lab,
        room_103,
        cafeteria,
        iep_student,
        el_student,
    )


# --- the pictures -------------------------------------------------------------------------------


def test_the_grid_places_every_block_on_the_days_axis(django_assert_num_queries):
    d = small_day()

    with django_assert_num_queries(4):
        picture = day_picture(schedule=d.schedule)

    assert picture.axis == TimeAxis(8 * 60, 10 * 60)
    assert [(row.name, row.detail) for row in picture.cohorts] == [
        ("K Adams", "Grade K, 14 students"),
        ("K Baker", "Grade K, 16 students"),
    ]
    adams = picture.cohorts[0]
    assert [(b.short, b.span, b.left, b.width, b.where, b.who) for b in adams.blocks] == [
        ("Literacy", "8 a.m.-8:40 a.m.", 0.0, 33.333, "Room 103", "Ms. Rivera"),
        ("Lab", "8:40 a.m.-9:10 a.m.", 33.333, 25.0, "Learning Lab", "no staff"),
        ("Flex", "9:10 a.m.-9:30 a.m.", 58.333, 16.667, "Room 101", "no staff"),
        ("Lunch", "9:30 a.m.-10 a.m.", 75.0, 25.0, "Cafeteria", "no staff"),
    ]
    assert [t.label for t in picture.ticks] == ["8 a.m.", "9 a.m.", "10 a.m."]
    assert [t.left for t in picture.ticks] == [0.0, 50.0, 100.0]
    assert [code for code, _, _ in picture.stations] == ["literacy", "lab", "flex", "lunch"]


def test_the_staff_grid_holds_the_blocks_each_teaches():
    d = small_day()

    picture = day_picture(schedule=d.schedule)

    assert [(row.name, row.detail) for row in picture.staff] == [
        ("Ms. Rivera", "80 minutes taught")
    ]
    assert [(b.cohort_name, b.span) for b in picture.staff[0].blocks] == [
        ("K Adams", "8 a.m.-8:40 a.m."),
        ("K Baker", "8:50 a.m.-9:30 a.m."),
    ]


def test_the_lab_curve_counts_the_students_present_at_each_time():
    d = small_day()

    (curve,) = day_picture(schedule=d.schedule).labs

    assert (curve.name, curve.capacity, curve.peak) == ("Learning Lab", 30, 30)
    assert [(s.span, s.seats, s.cohorts, s.free) for s in curve.steps] == [
        ("8 a.m.-8:20 a.m.", 0, (), 30),
        ("8:20 a.m.-8:40 a.m.", 16, ("K Baker",), 14),
        ("8:40 a.m.-8:50 a.m.", 30, ("K Adams", "K Baker"), 0),
        ("8:50 a.m.-9:10 a.m.", 14, ("K Adams",), 16),
        ("9:10 a.m.-10 a.m.", 0, (), 30),
    ]
    assert curve.seat_minutes == 16 * 20 + 30 * 10 + 14 * 20
    # The step line climbs and falls at the same moments; the capacity line sits at 30 of 40.
    assert curve.line.count("V") == 4
    assert [t.label for t in curve.y_ticks] == ["0", "10", "20", "30", "40"]
    assert curve.capacity_y == next(t.y for t in curve.y_ticks if t.label == "30")


def test_the_time_axis_labels_its_ends_and_the_hours_not_crowding_them():
    axis = TimeAxis(7 * 60 + 55, 15 * 60 + 15)

    assert [t.label for t in axis.ticks()] == [
        "7:55 a.m.",
        "9 a.m.",
        "10 a.m.",
        "11 a.m.",
        "noon",
        "1 p.m.",
        "2 p.m.",
        "3:15 p.m.",
    ]
    assert axis.ticks()[0].left == 0.0 and axis.ticks()[-1].left == 100.0


def test_occupancy_steps_merge_neighbours_and_flag_an_overfull_lab():
    steps = occupancy_steps(
        axis=TimeAxis(480, 540),
        capacity=20,
        stays=[(480, 510, 12, "A"), (500, 540, 12, "B")],
    )

    assert steps == (
        LabStep(480, 500, 12, 20, ("A",)),
        LabStep(500, 510, 24, 20, ("A", "B")),
        LabStep(510, 540, 12, 20, ("B",)),
    )
    assert [s.over for s in steps] == [False, True, False]


def test_blocks_held_by_a_pin_are_marked_pinned():
    d = small_day()
    PinFactory.create(
        school=d.school,
        cohort=d.adams,
        station="lab",
        date=DATE,
        day_type=None,
        start=T(8, 40),
        end=T(9, 10),
    )
    PinFactory.create(
        school=d.school,
        cohort=d.baker,
        station="literacy",
        day_type=d.schedule.day_type,
        start=T(8, 50),
    )
    # Another date's pin holds nothing today.
    PinFactory.create(
        school=d.school,
        cohort=d.adams,
        station="flex",
        date=DATE + datetime.timedelta(days=1),
        day_type=None,
        start=T(9, 10),
    )

    picture = day_picture(schedule=d.schedule)

    pinned = {(b.cohort_name, b.station, b.pinned_every_day) for b in picture.blocks if b.pinned}
    assert pinned == {("K Adams", "lab", False), ("K Baker", "literacy", True)}


# --- pins ---------------------------------------------------------------------------------------


def test_toggling_a_block_pins_it_then_unpins_it():
    d = small_day()

    first = pin_toggle(
        schedule=d.schedule, cohort=d.adams, station="lab", start=T(8, 40), end=T(9, 10)
    )

    assert first.pinned
    pin = Pin.objects.get()
    assert (pin.cohort, pin.station, pin.date, pin.day_type, pin.start, pin.end) == (
        d.adams,
        "lab",
        DATE,
        None,
        T(8, 40),
        T(9, 10),
    )

    second = pin_toggle(
        schedule=d.schedule, cohort=d.adams, station="lab", start=T(8, 40), end=T(9, 10)
    )

    assert (second.pinned, second.removed) == (False, 1)
    assert not Pin.objects.exists()


def test_unpinning_removes_the_day_type_pin_that_holds_the_block():
    d = small_day()
    PinFactory.create(
        school=d.school,
        cohort=d.baker,
        station="literacy",
        day_type=d.schedule.day_type,
        start=T(8, 50),
    )

    result = pin_toggle(
        schedule=d.schedule, cohort=d.baker, station="literacy", start=T(8, 50), end=T(9, 30)
    )

    assert (result.pinned, result.removed) == (False, 1)
    assert not Pin.objects.exists()


def test_a_pin_on_a_station_the_grade_lacks_is_refused_and_nothing_is_stored():
    d = small_day()

    with pytest.raises(ValidationError) as refused:
        pin_toggle(schedule=d.schedule, cohort=d.adams, station="math", start=T(8), end=T(8, 40))

    assert refused.value.message_dict == {
        "station": ["K Adams is in kindergarten, whose Regular day template has no math station."]
    }
    assert not Pin.objects.exists()


def test_a_pin_overlapping_another_pin_of_the_cohort_is_refused():
    d = small_day()
    PinFactory.create(
        school=d.school,
        cohort=d.adams,
        station="lab",
        date=DATE,
        day_type=None,
        start=T(8, 40),
        end=T(9, 10),
    )

    with pytest.raises(ValidationError, match="would overlap it"):
        pin_toggle(schedule=d.schedule, cohort=d.adams, station="flex", start=T(9), end=T(9, 20))

    assert Pin.objects.count() == 1


def test_a_cohort_of_another_school_cannot_be_pinned():
    d = small_day()
    stranger = CohortFactory.create()

    with pytest.raises(ValidationError, match="not a cohort of this school"):
        pin_toggle(schedule=d.schedule, cohort=stranger, station="lab", start=T(8), end=T(8, 30))

    assert not Pin.objects.exists()


# --- rosters ------------------------------------------------------------------------------------


def test_a_teachers_day_holds_their_blocks_with_students_and_marks(django_assert_num_queries):
    d = small_day()

    with django_assert_num_queries(5):
        roster = roster_for_staff_day(staff=d.rivera, date=DATE)

    (day,) = roster.days
    assert day.published and day.version == 1
    assert [(b.span, b.cohort_name, b.room_name, b.in_my_lab) for b in day.blocks] == [
        ("8 a.m.-8:40 a.m.", "K Adams", "Room 103", False),
        ("8:50 a.m.-9:30 a.m.", "K Baker", "Room 103", False),
    ]
    adams, baker = day.blocks
    assert (len(adams.students), len(baker.students)) == (14, 16)
    marks = {s.name: [b.text for b in s.badges] for s in adams.students}
    # Need to know: Ms. Rivera (humanities) provides Bea's ELD, so she sees Bea's services;
    # Ada's IEP minutes are a special-education teacher's, so Ada shows without them.
    assert marks["Abbott, Ada"] == []
    assert marks["Bello, Bea"] == ["EL: Emerging", "Tier 2", "ELD 150 min/wk"]
    # Every student read and the needs shown are returned for the audit trail.
    students = [r for r in roster.records if isinstance(r, Student)]
    assert len(students) == 30
    assert len(roster.records) == 31


def test_a_lab_supervisor_sees_every_block_in_their_lab():
    d = small_day()

    roster = roster_for_staff_day(staff=d.okafor, date=DATE)

    assert roster.labs == ((d.lab.pk, "Learning Lab"),)
    assert [(b.span, b.cohort_name, b.in_my_lab) for b in roster.days[0].blocks] == [
        ("8:20 a.m.-8:50 a.m.", "K Baker", True),
        ("8:40 a.m.-9:10 a.m.", "K Adams", True),
    ]


def test_a_draft_is_not_in_anyones_day():
    d = small_day()
    Schedule.objects.filter(pk=d.schedule.pk).update(status=ScheduleStatus.DRAFT)

    roster = roster_for_staff_day(staff=d.rivera, date=DATE)

    assert roster.days[0].published is False
    assert roster.days[0].blocks == () and roster.records == ()


def test_a_supervisor_sees_only_their_own_schools_lab():
    d = small_day()
    other = small_day(name="Birch")  # the same morning at another school, with its own lab

    roster = roster_for_staff_day(staff=d.okafor, date=DATE)

    mine = set(d.schedule.blocks.values_list("pk", flat=True))
    theirs = set(other.schedule.blocks.values_list("pk", flat=True))
    seen = {b.id for b in roster.days[0].blocks}
    assert len(seen) == 2 and seen <= mine and not seen & theirs


def test_a_week_reads_five_days_in_the_same_queries(django_assert_num_queries):
    d = small_day()

    with django_assert_num_queries(3):
        week = roster_for_staff_days(staff=d.rivera, dates=week_of(DATE), with_students=False)

    assert [day.date.isoformat() for day in week.days] == [
        "2026-08-31",
        "2026-09-01",
        "2026-09-02",
        "2026-09-03",
        "2026-09-04",
    ]
    assert [len(day.blocks) for day in week.days] == [0, 2, 0, 0, 0]
    assert [day.published for day in week.days] == [False, True, False, False, False]
    assert week.records == ()


def test_the_lab_day_counts_seats_at_each_block(django_assert_num_queries):
    d = small_day()

    with django_assert_num_queries(3):
        lab = lab_day(room=d.lab, date=DATE)

    assert [(s.span, s.cohort_name, s.students, s.busiest, s.free) for s in lab.stays] == [
        ("8:20 a.m.-8:50 a.m.", "K Baker", 16, 30, 0),
        ("8:40 a.m.-9:10 a.m.", "K Adams", 14, 30, 0),
    ]
    assert lab.peak == 30
    # The curve spans the school day, the lab's empty stretches included.
    assert (lab.steps[0].span, lab.steps[0].seats) == ("8 a.m.-8:20 a.m.", 0)
    assert (lab.steps[-1].span, lab.steps[-1].seats) == ("9:10 a.m.-10 a.m.", 0)
