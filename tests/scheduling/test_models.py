"""The rotation engine's configuration refuses what no schedule could satisfy, in words a leader
can act on, naming the field at fault; the database refuses two published schedules a day."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from scheduling.models import (
    CalendarDay,
    RotationTemplate,
    Schedule,
    ScheduleStatus,
    StaffAbsence,
    StationCode,
    TemplateStation,
    Venue,
)

from ..conftest import client_for
from ..factories import CohortFactory, SchoolFactory, StaffFactory
from .factories import (
    DayTypeFactory,
    PinFactory,
    RotationTemplateFactory,
    ScheduleFactory,
    StaffAbsenceFactory,
    TemplateStationFactory,
    add_stations,
)

pytestmark = pytest.mark.django_db

T = datetime.time


def errors_of(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        obj.full_clean()
    return refused.value.message_dict


# --- day types ---------------------------------------------------------------------------------


def test_a_regular_day_is_valid():
    DayTypeFactory().full_clean()


def test_dismissal_must_come_after_the_first_block():
    day_type = DayTypeFactory.build(school=SchoolFactory(), dismissal=T(8, 0))
    assert errors_of(day_type) == {
        "dismissal": ["Dismissal (8 a.m.) must come after the first block (8 a.m.)."]
    }


def test_the_first_block_cannot_start_before_arrival():
    day_type = DayTypeFactory.build(school=SchoolFactory(), day_start=T(7, 30))
    assert errors_of(day_type) == {
        "day_start": ["The first block (7:30 a.m.) cannot start before arrival (7:45 a.m.)."]
    }


def test_the_grid_must_divide_an_hour():
    day_type = DayTypeFactory.build(school=SchoolFactory(), granularity_minutes=7)
    assert errors_of(day_type) == {
        "granularity_minutes": [
            "The grid must divide an hour evenly (5, 10, 15, ...); 7 minutes does not."
        ]
    }


def test_bell_times_sit_on_the_grid():
    day_type = DayTypeFactory.build(school=SchoolFactory(), dismissal=T(15, 12))
    assert errors_of(day_type) == {
        "dismissal": ["3:12 p.m. is off the 5-minute grid of this day type."]
    }


# --- the calendar ------------------------------------------------------------------------------


def test_an_instructional_day_needs_a_day_type():
    day = CalendarDay(school=SchoolFactory(), date=datetime.date(2026, 11, 24), instructional=True)
    assert errors_of(day) == {"day_type": ["An instructional day needs a day type."]}


def test_a_holiday_has_no_day_type():
    day_type = DayTypeFactory()
    day = CalendarDay(
        school=day_type.school,
        date=datetime.date(2026, 11, 26),
        instructional=False,
        day_type=day_type,
        note="Thanksgiving",
    )
    assert errors_of(day) == {
        "day_type": [
            "A day without school has no day type: clear it, or mark the day instructional."
        ]
    }


def test_a_day_type_of_another_school_is_refused():
    other = DayTypeFactory(name="Minimum day")
    day = CalendarDay(school=SchoolFactory(), date=datetime.date(2026, 11, 24), day_type=other)
    assert errors_of(day) == {"day_type": ["Minimum day belongs to another school."]}


# --- templates and stations ---------------------------------------------------------------------


def station(**fields) -> TemplateStation:
    return TemplateStationFactory.build(template=RotationTemplateFactory(), **fields)


def test_a_station_within_its_rules_is_valid():
    station().full_clean()


def test_the_longest_block_cannot_be_shorter_than_the_shortest():
    assert errors_of(station(block_min=60, block_max=45)) == {
        "block_max": [
            "literacy's longest block (45 minutes) is shorter than its shortest (60 minutes)."
        ]
    }


def test_minutes_must_be_reachable_with_the_allowed_blocks():
    unsplittable = station(minutes=120, block_min=45, block_max=90, max_blocks=1)
    assert errors_of(unsplittable) == {
        "minutes": [
            "literacy needs 120 minutes, which cannot be made of at most 1 block of 45-90 minutes."
        ]
    }


def test_a_step_that_misses_the_minutes_is_named():
    lab = station(code=StationCode.LAB, venue=Venue.LAB, staff_role="", minutes=90)
    lab.block_min, lab.block_max, lab.block_step, lab.max_blocks = 40, 60, 20, 2
    assert errors_of(lab) == {
        "minutes": [
            "lab needs 90 minutes, which cannot be made of at most 2 blocks of 40-60 minutes "
            "in steps of 20."
        ]
    }


def test_a_station_in_the_teachers_room_needs_a_staff_role():
    assert errors_of(station(staff_role="")) == {
        "staff_role": ["literacy takes place in its teacher's room, so it needs a staff role."]
    }


def lunch(start: datetime.time, end: datetime.time) -> TemplateStation:
    return station(
        code=StationCode.LUNCH,
        minutes=30,
        block_min=30,
        block_max=30,
        max_blocks=1,
        venue=Venue.CAFETERIA,
        staff_role="",
        window_start=start,
        window_end=end,
    )


def test_a_window_outside_the_day_would_put_a_block_outside_the_day():
    assert errors_of(lunch(T(14, 45), T(15, 30))) == {
        "window_end": [
            "the lunch window 2:45 p.m.-3:30 p.m. would put a block outside the day "
            "(8 a.m. to 3:15 p.m.)."
        ]
    }


def test_a_window_shorter_than_the_event_is_refused():
    assert errors_of(lunch(T(11, 0), T(11, 20))) == {
        "window_end": ["the lunch window 11 a.m.-11:20 a.m. is shorter than lunch's 30 minutes."]
    }


def test_a_window_needs_both_ends():
    assert errors_of(lunch(T(11, 0), None)) == {
        "window_end": ["Give both ends of lunch's window, or neither."]
    }


REGULAR_DAY = [  # code, minutes, shortest, longest, blocks, venue, role
    ("literacy", 120, 45, 120, 2, Venue.STAFF_ROOM, "humanities"),
    ("math", 90, 60, 90, 1, Venue.STAFF_ROOM, "stem"),
    ("lab", 100, 40, 100, 2, Venue.LAB, ""),
    ("flex", 30, 30, 30, 1, Venue.HOMEROOM, ""),
    ("lunch", 30, 30, 30, 1, Venue.CAFETERIA, ""),
    ("recess", 20, 20, 20, 1, Venue.OUTDOORS, ""),
    ("specials", 30, 30, 30, 1, Venue.STAFF_ROOM, "specials"),
]


def test_a_template_must_fill_the_day():
    template = RotationTemplateFactory()
    add_stations(template, REGULAR_DAY)  # 420 minutes: the 15-minute launch is missing

    assert errors_of(template) == {
        "__all__": [
            "grade 3's stations add up to 420 minutes but the day from 8 a.m. to 3:15 p.m. is "
            "435 minutes."
        ]
    }

    add_stations(template, [("launch", 15, 15, 15, 1, Venue.OUTDOORS, "")])
    template.full_clean()


def test_passing_time_counts_towards_the_day():
    template = RotationTemplateFactory(day_type__passing_minutes=5)
    add_stations(template, [("launch", 15, 15, 15, 1, Venue.OUTDOORS, ""), *REGULAR_DAY])

    assert errors_of(template) == {
        "__all__": [
            "grade 3's stations add up to 435 minutes plus passing time but the day from "
            "8 a.m. to 3:15 p.m. is 435 minutes."
        ]
    }


# --- absences ----------------------------------------------------------------------------------


def test_an_absence_ends_after_it_starts():
    absence = StaffAbsenceFactory.build(school=SchoolFactory(), start=T(13, 0), end=T(12, 0))
    absence.staff = StaffFactory(school=absence.school)
    assert errors_of(absence) == {"end": ["The absence must end after it starts (1 p.m.)."]}


def test_an_absence_of_another_schools_staff_is_refused():
    stranger = StaffFactory()
    absence = StaffAbsence(
        school=SchoolFactory(), staff=stranger, date=datetime.date(2026, 11, 24), reason="sick"
    )
    assert errors_of(absence) == {"staff": [f"{stranger} belongs to another school."]}


# --- pins --------------------------------------------------------------------------------------


def pin_on_grade_3(**fields):
    template = RotationTemplateFactory(day_type__name="Regular day")
    add_stations(template, REGULAR_DAY[:1])
    cohort = CohortFactory(school=template.school, grade=template.grade, name="3 Stanford")
    return PinFactory.build(
        school=template.school, cohort=cohort, day_type=template.day_type, **fields
    )


def test_a_pin_on_a_station_of_the_grade_inside_the_day_is_valid():
    pin_on_grade_3(station="literacy", start=T(8, 15)).full_clean()


def test_a_pin_on_a_station_the_grade_lacks_is_refused():
    assert errors_of(pin_on_grade_3(station="eld", start=T(9, 0))) == {
        "station": ["3 Stanford is in grade 3, whose Regular day template has no eld station."]
    }


def test_a_pin_outside_the_day_is_refused():
    early = pin_on_grade_3(station="literacy", start=T(7, 30))
    assert errors_of(early) == {
        "start": ["A pin at 7:30 a.m. is outside the day (8 a.m. to 3:15 p.m.)."]
    }
    late = pin_on_grade_3(station="literacy", start=T(14, 45), end=T(15, 45))
    assert errors_of(late) == {
        "end": ["A pin at 2:45 p.m.-3:45 p.m. is outside the day (8 a.m. to 3:15 p.m.)."]
    }


def test_a_pin_on_a_date_takes_the_day_type_of_the_calendar():
    pin = pin_on_grade_3(station="eld", start=T(9, 0))
    CalendarDay.objects.create(
        school=pin.school, date=datetime.date(2026, 11, 24), day_type=pin.day_type
    )
    pin.day_type, pin.date = None, datetime.date(2026, 11, 24)
    assert errors_of(pin) == {
        "station": ["3 Stanford is in grade 3, whose Regular day template has no eld station."]
    }


def test_a_pin_needs_a_date_or_a_day_type():
    pin = pin_on_grade_3(station="literacy", start=T(9, 0))
    pin.day_type = None
    assert errors_of(pin) == {"day_type": ["Give a date, or a day type to pin every such day."]}


# --- schedules ---------------------------------------------------------------------------------


def test_only_one_schedule_per_school_and_date_can_be_published():
    first = ScheduleFactory(status=ScheduleStatus.PUBLISHED, version=1)
    ScheduleFactory(school=first.school, day_type=first.day_type, version=2)  # a draft is fine

    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleFactory(
            school=first.school,
            day_type=first.day_type,
            version=3,
            status=ScheduleStatus.PUBLISHED,
        )

    published = Schedule.objects.filter(school=first.school, status=ScheduleStatus.PUBLISHED)
    assert list(published) == [first]


def test_publishing_a_draft_while_another_is_published_is_refused():
    first = ScheduleFactory(status=ScheduleStatus.PUBLISHED, version=1)
    draft = ScheduleFactory(school=first.school, day_type=first.day_type, version=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        Schedule.objects.filter(pk=draft.pk).update(status=ScheduleStatus.PUBLISHED)

    first.status = ScheduleStatus.SUPERSEDED
    first.save()
    Schedule.objects.filter(pk=draft.pk).update(status=ScheduleStatus.PUBLISHED)
    assert Schedule.objects.get(pk=draft.pk).status == ScheduleStatus.PUBLISHED


def test_other_dates_and_schools_publish_independently():
    first = ScheduleFactory(status=ScheduleStatus.PUBLISHED, version=1)
    ScheduleFactory(
        school=first.school,
        day_type=first.day_type,
        date=datetime.date(2026, 11, 25),
        version=1,
        status=ScheduleStatus.PUBLISHED,
    )
    ScheduleFactory(status=ScheduleStatus.PUBLISHED, version=1)
    assert Schedule.objects.filter(status=ScheduleStatus.PUBLISHED).count() == 3


# --- the admin ---------------------------------------------------------------------------------


def test_a_leader_opens_every_scheduling_admin_page_of_their_school(school_a):
    school = school_a.school
    schedule = ScheduleFactory(school=school, status=ScheduleStatus.PUBLISHED)
    template = RotationTemplateFactory(school=school, day_type=schedule.day_type)
    TemplateStationFactory(template=template)
    PinFactory(school=school, day_type=schedule.day_type)
    StaffAbsenceFactory(school=school, staff=school_a.teacher)
    client = client_for(school_a.leader.user)

    for name in ["schedule", "rotationtemplate", "pin", "staffabsence", "daytype"]:
        listing = client.get(reverse(f"admin:scheduling_{name}_changelist"))
        assert listing.status_code == 200, name
        (row,) = listing.context["cl"].result_list
        assert (
            client.get(reverse(f"admin:scheduling_{name}_change", args=[row.pk])).status_code == 200
        )
    schedule_page = client.get(reverse("admin:scheduling_schedule_change", args=[schedule.pk]))
    assert schedule_page.context["has_change_permission"] is False
    template_page = client.get(
        reverse("admin:scheduling_rotationtemplate_change", args=[template.pk])
    )
    (stations,) = template_page.context["inline_admin_formsets"]
    assert len(stations.forms) == 1


def test_the_admin_checks_the_stations_as_entered_against_the_day(school_a):
    day_type = DayTypeFactory(school=school_a.school, day_start=T(8, 0), dismissal=T(10, 0))
    grade = school_a.student.grade
    client = client_for(school_a.leader.user)

    def post(minutes: list[int]):
        data = {
            "school": school_a.school.pk,
            "grade": grade.pk,
            "day_type": day_type.pk,
            "stations-TOTAL_FORMS": len(minutes),
            "stations-INITIAL_FORMS": 0,
        }
        for n, (code, length) in enumerate(zip(["flex", "lunch"], minutes, strict=False)):
            data |= {
                f"stations-{n}-code": code,
                f"stations-{n}-minutes": length,
                f"stations-{n}-block_min": length,
                f"stations-{n}-block_max": length,
                f"stations-{n}-block_step": 5,
                f"stations-{n}-max_blocks": 1,
                f"stations-{n}-venue": "homeroom",
            }
        return client.post(reverse("admin:scheduling_rotationtemplate_add"), data)

    refused = post([60, 30])
    assert refused.status_code == 200
    assert refused.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "grade 3's stations add up to 90 minutes but the day from 8 a.m. to 10 a.m. is 120 minutes."
    ]
    assert not template_exists(grade)

    assert post([90, 30]).status_code == 302
    assert template_exists(grade)


def template_exists(grade) -> bool:
    return RotationTemplate.objects.filter(grade=grade).exists()


def test_build_runs_and_calendar_feeds_are_read_only_in_the_admin_and_scoped(school_a, school_b):
    from scheduling.models import BuildJob
    from scheduling.services.feeds import calendar_feed_create

    job = BuildJob.objects.create(school=school_a.school, date=datetime.date(2026, 9, 1))
    feed, _url = calendar_feed_create(by=school_a.leader.user, staff=school_a.teacher)
    leader, stranger = client_for(school_a.leader.user), client_for(school_b.leader.user)

    for name, obj in [("buildjob", job), ("calendarfeed", feed)]:
        page = leader.get(reverse(f"admin:scheduling_{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert feed.token_hash not in page.content.decode()
        assert (
            stranger.get(reverse(f"admin:scheduling_{name}_change", args=[obj.pk])).status_code
            == 404
        )
