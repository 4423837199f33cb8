"""The family page: a guardian sees their child's day (where, when, with whom), the Learning Lab
in plain words, this week's lab minutes against the goal, service minutes and what changed
since yesterday; a guardian of several children switches between them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from families.selectors import (
    changes_since_yesterday,
    child_day,
    lab_progress,
    next_published_day,
    services_delivered,
)
from scheduling.models import StationCode

from .world import DATE, FamilyWorld, family_world, school_today

T = datetime.time


@pytest.fixture
def world(db) -> FamilyWorld:  # type: ignore[no-untyped-def]
    return family_world()


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's words, tags dropped and spaces collapsed, as a reader meets them."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def child_url(student, **query) -> str:  # type: ignore[no-untyped-def]
    url = reverse("family-child", args=[student.pk])
    return url + (f"?date={query['date'].isoformat()}" if "date" in query else "")


# --- selectors ---------------------------------------------------------------------------------


def test_the_day_lists_the_cohorts_blocks_in_order_with_teachers_and_rooms(world):
    day = child_day(world.ana, DATE)

    assert day.published and day.enrolled and day.version == 2
    assert [(b.start, b.end, b.activity, b.room, b.teacher) for b in day.blocks] == [
        (T(8), T(9), "Literacy", "Room 101", "Elena Rivera"),
        (T(9), T(10), "Math", "Room 102", "Sam Okafor"),
        (T(10), T(11), "Learning Lab", "Learning Lab", ""),
        (T(11), T(11, 30), "Lunch", "Cafeteria", ""),
        (T(11, 30), T(11, 45), "Recess", "", ""),
        (T(13), T(13, 30), "Flexible block", "Room 101", ""),
        (T(13, 30), T(14, 30), "Specials (PE, art, music)", "Gym", "Jin Park"),
    ]


def test_the_lab_sessions_are_told_in_plain_words_with_the_adult_and_the_place(world):
    day = child_day(world.ana, DATE)
    lab = next(b for b in day.blocks if b.station == StationCode.LAB)
    flex = next(b for b in day.blocks if b.station == StationCode.FLEX)

    assert [(s.start, s.end, s.words) for s in lab.sessions] == [
        (T(10), T(10, 30), "Lexia Core5 on the computer"),
        (T(10, 30), T(11), "Reading group with Luis Diaz in Room 12"),
    ]
    assert [s.words for s in flex.sessions] == ["Learning support with Grace Chen in Room 14"]


def test_only_the_blocks_the_second_version_moved_are_marked_changed(world):
    day = child_day(world.ana, DATE)

    assert {b.station for b in day.blocks if b.changed} == {StationCode.MATH, StationCode.SPECIALS}
    assert day.changed
    changes = changes_since_yesterday(world.ana, DATE)
    assert changes.compared_with == 1
    assert sorted((b.station, b.start) for b in changes.gone) == [
        (StationCode.MATH, T(13, 30)),
        (StationCode.SPECIALS, T(9)),
    ]


def test_a_day_published_before_today_and_not_since_shows_no_change(world):
    tomorrow = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=1)

    day = child_day(world.ana, DATE, now=tomorrow)

    assert not day.changed
    assert changes_since_yesterday(world.ana, DATE, now=tomorrow).compared_with is None


def test_a_date_with_nothing_published_says_so(world):
    day = child_day(world.ana, DATE + datetime.timedelta(days=1))

    assert not day.published and day.blocks == ()


def test_a_weekend_or_holiday_opens_on_the_next_published_school_day(world):
    saturday = DATE - datetime.timedelta(days=3)

    assert next_published_day(world.ana, saturday) == DATE
    assert next_published_day(world.ana, DATE + datetime.timedelta(days=1)) is None
    assert next_published_day(world.ana, DATE - datetime.timedelta(days=8)) is None


def test_lab_progress_adds_the_weeks_minutes_against_the_goal_in_one_sentence(world):
    records_day = world.ana.progress_records.get(minutes=80).date
    sunday = records_day + datetime.timedelta(days=6 - records_day.weekday())

    progress = lab_progress(world.ana, as_of=sunday)

    assert (progress.minutes, progress.goal) == (80, 100)
    assert progress.status == "on_track"
    assert progress.sentence == "On track: 80 of 100 minutes this week"
    assert [w.minutes for w in progress.weeks] == [0, 0, 0, 100, 50, 80]
    assert [(p.name, p.minutes, p.goal) for p in progress.programs] == [("Lexia Core5", 80, 100)]


def test_lab_progress_is_behind_when_the_minutes_are_short_of_the_prorated_goal(world):
    records_day = world.ana.progress_records.get(minutes=80).date
    world.ana.progress_records.filter(minutes=80).update(minutes=30)
    sunday = records_day + datetime.timedelta(days=6 - records_day.weekday())

    progress = lab_progress(world.ana, as_of=sunday)

    assert progress.sentence == "Behind: 30 of 100 minutes this week"


def test_services_count_the_childs_own_minutes_delivered_against_required(world):
    week = services_delivered(world.ana, DATE, today=DATE)

    assert [(s.words, s.delivered, s.planned, s.required) for s in week.services] == [
        ("Learning support", 30, 30, 60)
    ]
    assert week.services[0].sentence == "Learning support: 30 of 60 minutes this week"
    assert (
        services_delivered(world.ana, DATE, today=DATE - datetime.timedelta(days=1))
        .services[0]
        .delivered
        == 0
    )
    assert services_delivered(world.bruno, DATE).services == ()


# --- pages ---------------------------------------------------------------------------------------


def test_the_child_page_shows_the_day_the_lab_the_minutes_and_the_changes(world, client):
    client.force_login(world.account_a.user)

    response = client.get(child_url(world.ana, date=DATE))

    assert response.status_code == 200
    text = page_text(response)
    assert "Ana's day" in text
    assert "8 a.m. to 9 a.m. Literacy In Room 101 with Elena Rivera" in text
    assert "9 a.m. to 10 a.m. Math Changed since yesterday In Room 102 with Sam Okafor" in text
    assert "11 a.m. to 11:30 a.m. Lunch In Cafeteria" in text
    assert "11:30 a.m. to 11:45 a.m. Recess" in text
    assert "10:30 a.m. to 11 a.m. Reading group with Luis Diaz in Room 12" in text
    assert "Lexia Core5 on the computer" in text
    assert "Learning support with Grace Chen in Room 14" in text
    assert text.count("Changed since yesterday") == 2
    assert (
        "No longer on this day's schedule: Specials (PE, art, music), 9 a.m. to 10 a.m. "
        "Math, 1:30 p.m. to 2:30 p.m." in text
    )
    assert "80 of 100 minutes this week" in text
    assert "Learning support: 30 of 60 minutes this week" in text
    assert "<svg" in response.content.decode()


def test_the_week_page_lists_each_weekday_with_its_blocks(world, client):
    client.force_login(world.account_a.user)

    response = client.get(
        reverse("family-child-week", args=[world.ana.pk]) + f"?date={DATE.isoformat()}"
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "Ana's week" in text
    assert "Week of Nov. 23, 2026" in text
    assert "Tuesday, November 24" in text
    assert "Reading group with Luis Diaz in Room 12" in text
    assert text.count("The schedule for this day is not ready yet.") == 4


def test_a_guardian_of_two_children_picks_one_and_switches(world, client):
    client.force_login(world.account_a.user)

    home = client.get(reverse("family-home"))
    assert home.status_code == 200
    assert reverse("family-child", args=[world.ana.pk]) in home.content.decode()
    assert reverse("family-child", args=[world.tomas.pk]) in home.content.decode()

    ana = client.get(child_url(world.ana, date=DATE))
    assert f'href="{reverse("family-child", args=[world.tomas.pk])}"' in ana.content.decode()
    tomas = client.get(child_url(world.tomas, date=DATE))
    assert "Tomas's day" in page_text(tomas)
    assert "In Room A7 with Nora Kim" in page_text(tomas)
    assert "Elena Rivera" not in page_text(tomas)


def test_a_guardian_of_one_child_goes_straight_to_their_page(world, client):
    client.force_login(world.account_b.user)

    response = client.get(reverse("family-home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("family-child", args=[world.bruno.pk])


def test_a_guardian_whose_children_all_left_is_told_so(world, client):
    world.bruno.enrollment_end = school_today(world.bruno) - datetime.timedelta(days=1)
    world.bruno.save(update_fields=["enrollment_end"])
    client.force_login(world.account_b.user)

    response = client.get(reverse("family-home"))

    assert response.status_code == 200
    assert "No child is enrolled with your account today." in page_text(response)


def test_a_bad_date_shows_today_and_says_why(world, client):
    client.force_login(world.account_a.user)

    response = client.get(reverse("family-child", args=[world.ana.pk]) + "?date=2026-02-30")

    assert response.status_code == 200
    assert "is not a date (use YYYY-MM-DD). Showing today instead." in page_text(response)


def test_the_day_json_carries_the_blocks_sessions_and_changes(world, client):
    client.force_login(world.account_a.user)

    response = client.get(
        reverse("family-api-child-day", args=[world.ana.pk]) + f"?date={DATE.isoformat()}"
    )

    assert response.status_code == 200
    day = response.json()["day"]
    assert day["changed"] is True
    assert [b["activity"] for b in day["blocks"]][:2] == ["Literacy", "Math"]
    lab = day["blocks"][2]
    assert lab["start"] == "10:00:00"
    assert [s["words"] for s in lab["sessions"]] == [
        "Lexia Core5 on the computer",
        "Reading group with Luis Diaz in Room 12",
    ]


def test_the_day_json_refuses_a_date_that_is_not_one(world, client):
    client.force_login(world.account_a.user)

    response = client.get(reverse("family-api-child-day", args=[world.ana.pk]) + "?date=24/11")

    assert response.status_code == 400
    assert "is not a date" in response.json()["errors"]["date"][0]


def test_the_progress_json_has_the_sentence_weeks_and_services(world, client):
    client.force_login(world.account_a.user)

    response = client.get(reverse("family-api-child-progress", args=[world.ana.pk]))

    assert response.status_code == 200
    progress = response.json()["progress"]
    assert (progress["minutes"], progress["goal"]) == (80, 100)
    assert progress["sentence"].endswith("80 of 100 minutes this week")
    assert [w["minutes"] for w in progress["weeks"]][-3:] == [100, 50, 80]
    assert [s["required"] for s in progress["services"]] == [60]


def test_the_children_json_lists_the_guardians_children_only(world, client):
    client.force_login(world.account_a.user)

    response = client.get(reverse("family-api-children"))

    assert response.status_code == 200
    assert sorted(c["first_name"] for c in response.json()["children"]) == ["Ana", "Tomas"]


def test_a_childs_day_and_lab_progress_read_in_a_fixed_number_of_queries(
    world, django_assert_num_queries
):
    # The day: the schedule, its blocks, the child's segments (student_day); the published
    # version, yesterday's version, both versions' blocks (the changes).
    with django_assert_num_queries(6):
        child_day(world.ana, DATE)
    # Programs, grade goals, the child's goals, daily progress (learninglabs.pace).
    with django_assert_num_queries(4):
        lab_progress(world.ana)
    # The child's service needs, their service segments of the week.
    with django_assert_num_queries(2):
        services_delivered(world.ana, DATE)
