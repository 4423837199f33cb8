"""What a draft changes against the published day: the cohorts and staff whose day moves."""

import datetime

import pytest

from scheduling.models import ScheduleStatus, StationCode
from scheduling.selectors.schedule_changes import (
    BlockView,
    DayChange,
    schedule_baseline,
    schedule_changes,
)

from ..factories import CohortFactory, RoomFactory, SchoolFactory, StaffFactory, UserFactory
from .factories import DayTypeFactory, ScheduledBlockFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

DATE = datetime.date(2026, 9, 1)
T = datetime.time


def block(schedule, cohort, station, start, end, room=None, staff=None):
    return ScheduledBlockFactory(
        schedule=schedule,
        cohort=cohort,
        station=station,
        start=start,
        end=end,
        room=room,
        staff=staff,
    )


def test_only_the_cohorts_and_staff_whose_day_moves_are_listed(django_assert_num_queries):
    school = SchoolFactory()
    day_type = DayTypeFactory(school=school)
    howard = CohortFactory(school=school, name="K Howard")
    stanford = CohortFactory(school=school, name="K Stanford")
    room_103 = RoomFactory(school=school, name="Room 103")
    lab = RoomFactory(school=school, name="Learning Lab")
    rivera = StaffFactory(school=school, user=UserFactory(first_name="Ana", last_name="Rivera"))
    okafor = StaffFactory(school=school, user=UserFactory(first_name="Ben", last_name="Okafor"))
    published = ScheduleFactory(
        school=school, day_type=day_type, date=DATE, status=ScheduleStatus.PUBLISHED
    )
    draft = ScheduleFactory(school=school, day_type=day_type, date=DATE)
    for schedule in (published, draft):  # the same in both: Stanford's day, Okafor's lab
        block(schedule, stanford, StationCode.LITERACY, T(8), T(8, 40), room_103, rivera)
        block(schedule, stanford, StationCode.LAB, T(8, 40), T(9, 10), lab, okafor)
    # Howard's literacy moves from 8:40 a.m. to 9 a.m., so Rivera's day moves too.
    block(published, howard, StationCode.LITERACY, T(8, 40), T(9, 20), room_103, rivera)
    block(draft, howard, StationCode.LITERACY, T(9), T(9, 40), room_103, rivera)
    block(published, howard, StationCode.FLEX, T(8), T(8, 40), None, None)
    block(draft, howard, StationCode.FLEX, T(8), T(8, 40), None, None)

    with django_assert_num_queries(1):
        changes = schedule_changes(draft=draft, published=published)

    assert changes.baseline == published
    assert not changes.nothing_moved
    assert changes.cohorts == (
        DayChange(
            id=howard.pk,
            name="K Howard",
            before=(
                BlockView(T(8), T(8, 40), "flex", "Flexible block", "", "", changed=False),
                BlockView(
                    T(8, 40), T(9, 20), "literacy", "Literacy / humanities", "Room 103",
                    "Ana Rivera", changed=True,
                ),
            ),
            after=(
                BlockView(T(8), T(8, 40), "flex", "Flexible block", "", "", changed=False),
                BlockView(
                    T(9), T(9, 40), "literacy", "Literacy / humanities", "Room 103",
                    "Ana Rivera", changed=True,
                ),
            ),
        ),
    )  # fmt: skip
    assert changes.staff == (
        DayChange(
            id=rivera.pk,
            name="Ana Rivera",
            before=(
                BlockView(
                    T(8), T(8, 40), "literacy", "Literacy / humanities", "Room 103",
                    "K Stanford", changed=False,
                ),
                BlockView(
                    T(8, 40), T(9, 20), "literacy", "Literacy / humanities", "Room 103",
                    "K Howard", changed=True,
                ),
            ),
            after=(
                BlockView(
                    T(8), T(8, 40), "literacy", "Literacy / humanities", "Room 103",
                    "K Stanford", changed=False,
                ),
                BlockView(
                    T(9), T(9, 40), "literacy", "Literacy / humanities", "Room 103",
                    "K Howard", changed=True,
                ),
            ),
        ),
    )  # fmt: skip
    assert changes.cohorts[0].blocks_changed == 1
    assert changes.cohorts[0].after[1].span == "9 a.m.-9:40 a.m."


def test_a_new_teacher_on_the_same_block_moves_both_teachers_and_the_cohort():
    school = SchoolFactory()
    day_type = DayTypeFactory(school=school)
    howard = CohortFactory(school=school, name="K Howard")
    rivera = StaffFactory(school=school, user=UserFactory(first_name="Ana", last_name="Rivera"))
    diaz = StaffFactory(school=school, user=UserFactory(first_name="Cam", last_name="Diaz"))
    published = ScheduleFactory(school=school, day_type=day_type, status=ScheduleStatus.PUBLISHED)
    draft = ScheduleFactory(school=school, day_type=day_type, date=published.date)
    block(published, howard, StationCode.MATH, T(8), T(9), staff=rivera)
    block(draft, howard, StationCode.MATH, T(8), T(9), staff=diaz)

    changes = schedule_changes(draft=draft, published=published)

    assert [c.name for c in changes.cohorts] == ["K Howard"]
    assert [(c.name, len(c.before), len(c.after)) for c in changes.staff] == [
        ("Ana Rivera", 1, 0),
        ("Cam Diaz", 0, 1),
    ]


def test_identical_days_move_nobody():
    school = SchoolFactory()
    day_type = DayTypeFactory(school=school)
    howard = CohortFactory(school=school)
    published = ScheduleFactory(school=school, day_type=day_type, status=ScheduleStatus.PUBLISHED)
    draft = ScheduleFactory(school=school, day_type=day_type, date=published.date)
    for schedule in (published, draft):
        block(schedule, howard, StationCode.FLEX, T(8), T(9))

    changes = schedule_changes(draft=draft, published=published)

    assert changes.nothing_moved
    assert (changes.cohorts, changes.staff) == ((), ())


def test_nothing_published_lists_nothing(django_assert_num_queries):
    draft = ScheduledBlockFactory().schedule

    with django_assert_num_queries(0):
        changes = schedule_changes(draft=draft, published=None)

    assert changes.baseline is None and changes.nothing_moved


def test_the_baseline_is_the_published_version_of_the_date_first():
    school = SchoolFactory()
    regular = DayTypeFactory(school=school)
    earlier = ScheduleFactory(
        school=school,
        day_type=regular,
        date=DATE - datetime.timedelta(days=7),
        status=ScheduleStatus.PUBLISHED,
    )
    draft = ScheduleFactory(school=school, day_type=regular, date=DATE)

    assert schedule_baseline(schedule=draft) == earlier

    same_date = ScheduleFactory(
        school=school, day_type=regular, date=DATE, status=ScheduleStatus.PUBLISHED
    )

    assert schedule_baseline(schedule=draft) == same_date
    assert schedule_baseline(schedule=same_date) == earlier  # never itself


def test_the_fallback_baseline_is_the_latest_earlier_day_of_the_same_day_type():
    school = SchoolFactory()
    regular = DayTypeFactory(school=school)
    minimum = DayTypeFactory(school=school)
    week = datetime.timedelta(days=7)
    older = ScheduleFactory(
        school=school, day_type=regular, date=DATE - 2 * week, status=ScheduleStatus.PUBLISHED
    )
    ScheduleFactory(  # a later draft of the same day type: not published
        school=school, day_type=regular, date=DATE - week
    )
    ScheduleFactory(  # another day type
        school=school, day_type=minimum, date=DATE - week, status=ScheduleStatus.PUBLISHED
    )
    ScheduleFactory(  # after the date
        school=school, day_type=regular, date=DATE + week, status=ScheduleStatus.PUBLISHED
    )
    ScheduleFactory(  # another school
        day_type=DayTypeFactory(), date=DATE - week, status=ScheduleStatus.PUBLISHED
    )
    draft = ScheduleFactory(school=school, day_type=regular, date=DATE)

    assert schedule_baseline(schedule=draft) == older
