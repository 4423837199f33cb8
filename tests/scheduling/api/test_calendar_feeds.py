"""Calendar feeds: RFC 5545 documents of published blocks, opened by a secret per-feed token.

The world: Alder (Los Angeles) publishes today's schedule (version 2) and one three days ago; a
draft for tomorrow and a schedule six weeks ahead must not appear. The teacher teaches math to
"K Stanford" and to a second cohort, another teacher teaches K Stanford literacy, and the
teacher supervises the lab where K Stanford has an unstaffed lab block.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar
from rest_framework.test import APIClient

from scheduling.models import CalendarFeed, Schedule, ScheduleStatus, StationCode
from scheduling.services.feeds import (
    FeedNotAllowed,
    calendar_feed_create,
    calendar_feed_revoke,
)
from students.clients import api_client_create, api_token_issue
from students.models import Cohort, Role, Staff

from ...conftest import client_for
from ...factories import CohortFactory, RoomFactory, StaffFactory
from ..factories import LabFactory, LabSupervisionFactory, ScheduledBlockFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
T = datetime.time
PUBLISHED_AT = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=datetime.UTC)


@dataclass
class Week:
    world: object
    today: datetime.date
    cohort: Cohort
    other_cohort: Cohort
    teacher: Staff
    colleague: Staff
    today_schedule: Schedule


def publish(school, date, version, status=ScheduleStatus.PUBLISHED) -> Schedule:
    return ScheduleFactory.create(
        school=school,
        date=date,
        version=version,
        status=status,
        published_at=PUBLISHED_AT if status == ScheduleStatus.PUBLISHED else None,
    )


@pytest.fixture
def week(school_a) -> Week:
    school = school_a.school
    today = timezone.now().astimezone(LA).date()
    cohort = school_a.student.cohort
    cohort.name = "K Stanford"
    cohort.save()
    other = CohortFactory.create(school=school, grade=cohort.grade, name="K Berkeley")
    teacher = school_a.teacher
    colleague = StaffFactory.create(school=school, roles=[Role.HUMANITIES])
    room = RoomFactory.create(school=school, name="Room 12 (the long corridor by the garden door)")
    lab = LabFactory.create(school=school, name="Lab North")
    LabSupervisionFactory.create(school=school, lab=lab, supervisors=[teacher])

    old = publish(school, today - datetime.timedelta(days=3), 1)
    ScheduledBlockFactory.create(
        schedule=old,
        cohort=cohort,
        station=StationCode.MATH,
        start=T(8),
        end=T(8, 30),
        room=room,
        staff=teacher,
    )
    ScheduleFactory.create(school=school, date=today, version=1, status=ScheduleStatus.SUPERSEDED)
    current = publish(school, today, 2)
    ScheduledBlockFactory.create(
        schedule=current,
        cohort=cohort,
        station=StationCode.MATH,
        start=T(8),
        end=T(8, 45),
        room=room,
        staff=teacher,
    )
    ScheduledBlockFactory.create(
        schedule=current,
        cohort=cohort,
        station=StationCode.LITERACY,
        start=T(9),
        end=T(10),
        room=room,
        staff=colleague,
    )
    ScheduledBlockFactory.create(
        schedule=current,
        cohort=cohort,
        station=StationCode.LAB,
        start=T(10),
        end=T(10, 40),
        room=lab,
        staff=None,
    )
    ScheduledBlockFactory.create(
        schedule=current,
        cohort=other,
        station=StationCode.MATH,
        start=T(11),
        end=T(11, 30),
        room=room,
        staff=teacher,
    )
    draft = publish(school, today + datetime.timedelta(days=1), 1, ScheduleStatus.DRAFT)
    ScheduledBlockFactory.create(
        schedule=draft, cohort=cohort, station=StationCode.MATH, staff=teacher
    )
    later = publish(school, today + datetime.timedelta(days=42), 1)
    ScheduledBlockFactory.create(
        schedule=later, cohort=cohort, station=StationCode.MATH, staff=teacher
    )
    return Week(school_a, today, cohort, other, teacher, colleague, current)


def fetch(url: str, client=None):
    return (client or APIClient()).get(url)


def parsed(response) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    calendar.validate()
    return calendar


def events_of(calendar: Calendar) -> list[tuple]:
    return [
        (
            str(event["SUMMARY"]),
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
            str(event.get("LOCATION", "")),
        )
        for event in calendar.walk("VEVENT")
    ]


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, T(hour, minute), tzinfo=LA)


def test_a_staff_feed_is_valid_icalendar_with_the_published_blocks_in_the_schools_zone(week):
    _, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)

    calendar = parsed(fetch(url))

    room = "Room 12 (the long corridor by the garden door)"
    three_ago = week.today - datetime.timedelta(days=3)
    assert events_of(calendar) == [
        ("Math · K Stanford", at(three_ago, 8), at(three_ago, 8, 30), room),
        ("Math · K Stanford", at(week.today, 8), at(week.today, 8, 45), room),
        ("Lab · K Stanford", at(week.today, 10), at(week.today, 10, 40), "Lab North"),
        ("Math · K Berkeley", at(week.today, 11), at(week.today, 11, 30), room),
    ]
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]).startswith("-//")
    for event in calendar.walk("VEVENT"):
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(event)
        assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert event.decoded("DTSTAMP") == PUBLISHED_AT
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Los_Angeles"
    lab = calendar.walk("VEVENT")[2]
    assert "Supervising the Learning Lab" in str(lab["DESCRIPTION"])


def test_uids_are_stable_per_block_and_version_and_the_body_repeats(week):
    _, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)

    first, second = fetch(url), fetch(url)

    assert first.content == second.content
    block = week.today_schedule.blocks.get(cohort=week.cohort, station=StationCode.MATH)
    uids = [str(e["UID"]) for e in parsed(first).walk("VEVENT")]
    assert f"block-{block.pk}-v2@rocketship.schedule" in uids
    assert len(set(uids)) == len(uids)


def test_the_body_has_crlf_line_ends_and_folds_long_lines(week):
    _, url = calendar_feed_create(by=week.teacher.user, cohort=week.cohort)

    body = fetch(url).content

    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    assert any(line.startswith(b" ") for line in lines)  # a folded continuation
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"


def test_a_cohort_feed_shows_the_cohorts_blocks_whoever_teaches_them(week):
    _, url = calendar_feed_create(by=week.teacher.user, cohort=week.cohort)

    calendar = parsed(fetch(url))

    assert [(summary, start) for summary, start, _, _ in events_of(calendar)] == [
        ("Math · K Stanford", at(week.today - datetime.timedelta(days=3), 8)),
        ("Math · K Stanford", at(week.today, 8)),
        ("Literacy · K Stanford", at(week.today, 9)),
        ("Lab · K Stanford", at(week.today, 10)),
    ]
    literacy = calendar.walk("VEVENT")[2]
    assert f"With {week.colleague}" in str(literacy["DESCRIPTION"])


def test_a_feed_with_nothing_published_is_still_valid(school_a):
    teacher = school_a.teacher
    _, url = calendar_feed_create(by=teacher.user, staff=teacher)

    calendar = parsed(fetch(url))

    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_a_feed_needs_its_own_valid_token(week):
    feed, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)
    path, _, token = url.partition("?token=")
    cohort_feed, cohort_url = calendar_feed_create(by=week.teacher.user, cohort=week.cohort)
    wrong = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    refused = [
        path,  # no token, nobody signed in
        f"{path}?token={wrong}",
        f"{path}?token=",
        f"{path}?token=nonsense",
        f"/api/v1/staff/{week.colleague.pk}/calendar.ics?token={token}",  # another subject
        f"/api/v1/cohorts/{week.cohort.pk}/calendar.ics?token={token}",  # another kind
        f"{path}?token={cohort_url.partition('?token=')[2]}",
    ]
    for address in refused:
        response = fetch(address)
        assert response.status_code == 404, address
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == "There is no calendar feed at this address.", (
            address,
            response.content,
        )

    assert fetch(url).status_code == 200
    calendar_feed_revoke(feed=feed, by=week.teacher.user)
    assert fetch(url).status_code == 404
    assert fetch(cohort_url).status_code == 200
    assert CalendarFeed.objects.get(pk=cohort_feed.pk).active


def test_a_staff_feed_stops_when_the_person_leaves_the_school(week):
    _, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)
    Staff.objects.filter(pk=week.teacher.pk).update(active=False)

    assert fetch(url).status_code == 404


def test_a_signed_in_user_who_may_see_the_subject_needs_no_token(week, school_b):
    staff_path = f"/api/v1/staff/{week.teacher.pk}/calendar.ics"
    cohort_path = f"/api/v1/cohorts/{week.cohort.pk}/calendar.ics"
    colleague = client_for(week.colleague.user)

    assert len(parsed(fetch(staff_path, colleague)).walk("VEVENT")) == 4
    assert len(parsed(fetch(cohort_path, colleague)).walk("VEVENT")) == 4

    outsider = client_for(school_b.teacher.user)
    for path in (staff_path, cohort_path):
        response = fetch(path, outsider)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_a_client_token_sees_its_own_schools_feeds_and_404_for_another_schools(week, school_b):
    def token_client(world) -> APIClient:
        client = api_client_create(
            network=world.school.network,
            name=f"Display {world.school.name}",
            schools=[world.school],
            can_write=False,
            by=None,
        )
        _, key = api_token_issue(client=client)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    path = f"/api/v1/cohorts/{week.cohort.pk}/calendar.ics"
    alder, birch = token_client(week.world), token_client(school_b)
    assert parsed(fetch(path, alder)).walk("VEVENT")
    assert fetch(path, birch).status_code == 404
    assert fetch(f"/api/v1/staff/{week.teacher.pk}/calendar.ics", birch).status_code == 404


def test_another_schools_feed_token_does_not_open_this_schools_calendar(week, school_b):
    _, url = calendar_feed_create(by=school_b.teacher.user, staff=school_b.teacher)
    token = url.partition("?token=")[2]

    response = fetch(f"/api/v1/staff/{week.teacher.pk}/calendar.ics?token={token}")

    assert response.status_code == 404


def test_teachers_make_feeds_of_themselves_and_their_cohorts_leaders_of_anyone(week, school_b):
    teacher, leader = week.teacher.user, week.world.leader.user

    calendar_feed_create(by=teacher, staff=week.teacher)
    calendar_feed_create(by=teacher, cohort=week.cohort)  # a cohort they serve
    for kwargs in ({"staff": week.colleague}, {"cohort": week.other_cohort}):
        with pytest.raises(FeedNotAllowed):
            calendar_feed_create(by=teacher, **kwargs)
    with pytest.raises(FeedNotAllowed):
        calendar_feed_create(by=school_b.leader.user, staff=week.teacher)
    feed, _ = calendar_feed_create(by=leader, staff=week.colleague)
    calendar_feed_create(by=leader, cohort=week.other_cohort)

    with pytest.raises(FeedNotAllowed):
        calendar_feed_revoke(feed=feed, by=teacher)
    calendar_feed_revoke(feed=feed, by=week.colleague.user)  # the person it shows
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 3


def test_the_secret_is_stored_only_as_a_hash(week):
    feed, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)
    secret = url.partition("?token=")[2].partition("_")[2]

    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert secret and secret not in stored.token_hash and len(stored.token_hash) == 64
    assert url.startswith(f"/api/v1/staff/{week.teacher.pk}/calendar.ics?token={stored.prefix}_")


def test_the_feed_takes_the_same_queries_for_few_and_many_blocks(week, django_assert_num_queries):
    _, url = calendar_feed_create(by=week.teacher.user, staff=week.teacher)
    api = APIClient()
    with django_assert_num_queries(2):  # the feed, the blocks
        assert api.get(url).status_code == 200
    for day in range(1, 15):
        schedule = publish(week.world.school, week.today - datetime.timedelta(days=day + 3), 1)
        for hour in (8, 9, 10):
            ScheduledBlockFactory.create(
                schedule=schedule,
                cohort=week.cohort,
                station=StationCode.MATH,
                start=T(hour),
                end=T(hour, 30),
                staff=week.teacher,
            )
    with django_assert_num_queries(2):
        assert len(parsed(api.get(url)).walk("VEVENT")) == 4 + 3 * 4  # 4 days in the window


def test_my_calendars_page_makes_shows_once_and_revokes_a_feed(week):
    browser = client_for(week.teacher.user)

    page = browser.get("/my/calendars/")
    assert page.status_code == 200
    assert f'value="staff:{week.teacher.pk}"' in page.content.decode()
    assert f'value="staff:{week.colleague.pk}"' not in page.content.decode()

    made = browser.post(
        "/my/calendars/", {"action": "create", "target": f"cohort:{week.cohort.pk}"}
    )
    assert made.status_code == 200
    feed = CalendarFeed.objects.get()
    url = made.context["new_url"]
    assert url.startswith("http://testserver/api/v1/cohorts/")
    assert parsed(fetch(url.removeprefix("http://testserver"))).walk("VEVENT")
    assert url not in browser.get("/my/calendars/").content.decode()  # shown once

    refused = browser.post(
        "/my/calendars/", {"action": "create", "target": f"staff:{week.colleague.pk}"}
    )
    assert "leaders of anyone" in refused.context["error"]
    assert CalendarFeed.objects.count() == 1

    revoked = browser.post("/my/calendars/", {"action": "revoke", "feed": feed.pk})
    assert revoked.status_code == 302
    assert CalendarFeed.objects.get().revoked_at is not None


def test_my_calendars_page_answers_404_for_another_schools_subject(week, school_b):
    browser = client_for(school_b.leader.user)

    response = browser.post(
        "/my/calendars/", {"action": "create", "target": f"staff:{week.teacher.pk}"}
    )

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_a_leader_may_make_a_feed_of_anyone_in_the_school_from_the_page(week):
    browser = client_for(week.world.leader.user)
    page = browser.get("/my/calendars/").content.decode()
    assert f'value="staff:{week.colleague.pk}"' in page
    assert f'value="cohort:{week.other_cohort.pk}"' in page

    made = browser.post(
        "/my/calendars/", {"action": "create", "target": f"staff:{week.colleague.pk}"}
    )

    assert made.context["new_url"] and made.context["error"] is None
    assert CalendarFeed.objects.get().staff == week.colleague
    # the colleague sees the feed that shows them, and may revoke it
    feed = CalendarFeed.objects.get()
    theirs = client_for(week.colleague.user).get("/my/calendars/").content.decode()
    assert f"token={feed.prefix}_" in theirs and f'name="feed" value="{feed.pk}"' in theirs
