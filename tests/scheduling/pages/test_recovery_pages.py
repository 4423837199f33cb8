"""The leader's side of absence recovery: the substitute pool on a staff member's page, and a
build's recovery options side by side with "Use this option".

The build world is ``test_builds``' kindergarten: Ms. Rivera, its literacy teacher, is out; a
second humanities teacher (the world's ``teacher``) can cover, and Ana Ruiz can substitute.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import BuildJob, BuildState, Schedule, ScheduleStatus, SubstituteDay
from scheduling.services.builds import schedule_violations
from students.models import Role

from ...conftest import client_for
from ...factories import StaffFactory, UserFactory
from ..test_absence_recovery import rivera_out, substitute
from ..test_selectors import DATE, kindergarten
from ..test_services import statuses
from .test_builds import World, build_through_the_page
from .test_config import error_beside, messages_of, url

pytestmark = pytest.mark.django_db
T = datetime.time


# --- the substitute pool in Setup > Staff -----------------------------------------------------


def test_a_substitutes_available_dates_are_added_and_removed_on_their_page(school_a):
    sub = StaffFactory.create(school=school_a.school, roles=[Role.SUBSTITUTE])
    client = client_for(school_a.leader.user)
    page = url("staff-edit", school_a.school, staff_id=sub.pk)

    added = client.post(page, {"action": "substitute-add", "date": "2031-03-04"}, follow=True)

    day = SubstituteDay.objects.get(staff=sub)
    assert (day.school, day.date) == (school_a.school, datetime.date(2031, 3, 4))
    assert "Substitute pool" in added.content.decode()
    assert any("available to substitute" in m for m in messages_of(added))
    assert "Tuesday, March 4, 2031" in added.content.decode()

    client.post(page, {"action": "substitute-remove", "day": day.pk})

    assert not SubstituteDay.objects.exists()


def test_a_duplicate_or_bad_date_is_refused_beside_the_date_field(school_a):
    sub = StaffFactory.create(school=school_a.school, roles=[Role.SUBSTITUTE])
    SubstituteDay.objects.create(school=school_a.school, staff=sub, date=datetime.date(2031, 3, 4))
    client = client_for(school_a.leader.user)
    page = url("staff-edit", school_a.school, staff_id=sub.pk)

    twice = client.post(page, {"action": "substitute-add", "date": "2031-03-04"})
    garbled = client.post(page, {"action": "substitute-add", "date": "March"})

    assert twice.status_code == garbled.status_code == 200
    assert "is already available on March 4, 2031" in error_beside(twice, "date")
    assert "Enter a date" in error_beside(garbled, "date")
    assert SubstituteDay.objects.count() == 1


def test_only_staff_holding_the_substitute_role_get_available_dates(school_a):
    client = client_for(school_a.leader.user)
    page = url("staff-edit", school_a.school, staff_id=school_a.teacher.pk)

    shown = client.get(page).content.decode()
    refused = client.post(page, {"action": "substitute-add", "date": "2031-03-04"})

    assert "add “Substitute teacher” to their roles" in shown
    assert "does not hold the substitute role" in refused.content.decode()
    assert not SubstituteDay.objects.exists()


def test_another_schools_substitute_and_dates_answer_404(school_a, school_b):
    theirs = StaffFactory.create(school=school_b.school, roles=[Role.SUBSTITUTE])
    their_day = SubstituteDay.objects.create(
        school=school_b.school, staff=theirs, date=datetime.date(2031, 3, 4)
    )
    ours = StaffFactory.create(school=school_a.school, roles=[Role.SUBSTITUTE])
    client = client_for(school_a.leader.user)

    answers = [
        client.post(
            url("staff-edit", school_a.school, staff_id=theirs.pk),
            {"action": "substitute-add", "date": "2031-03-05"},
        ).status_code,
        client.post(
            url("staff-edit", school_a.school, staff_id=ours.pk),
            {"action": "substitute-remove", "day": their_day.pk},
        ).status_code,
        client.post(
            url("staff-edit", school_b.school, staff_id=theirs.pk),
            {"action": "substitute-remove", "day": their_day.pk},
        ).status_code,
    ]

    assert answers == [404, 404, 404]
    assert SubstituteDay.objects.filter(pk=their_day.pk).exists()
    assert SubstituteDay.objects.count() == 1


# --- the build's options side by side -----------------------------------------------------------


@pytest.fixture
def world() -> World:
    """``test_builds``' world: the kindergarten, its leader and a second humanities teacher."""
    k = kindergarten()
    leader = StaffFactory.create(
        school=k.school,
        roles=[Role.LEADER],
        user=UserFactory.create(first_name="Lee", last_name="Principal"),
    )
    return World(k, leader, StaffFactory.create(school=k.school, roles=[Role.HUMANITIES]))


def build_with_rivera_out(world, callbacks):
    rivera_out(world.k)
    substitute(world.k.school)
    client, response = build_through_the_page(world, callbacks)
    return client, response, BuildJob.objects.get(school=world.k.school)


def test_the_build_page_shows_the_options_side_by_side(world, django_capture_on_commit_callbacks):
    client, response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)

    html = client.get(response["Location"]).content.decode()

    assert job.state == BuildState.SUCCEEDED and job.schedule.recovery["kind"] == "substitute"
    assert len(job.recovery_options) >= 2
    assert "Staff are out: the ways this day can run" in html
    assert "version 1 uses option 1" in html
    assert "Option 1: A substitute" in html and "used by version 1" in html
    assert "Ana Ruiz (substitute) takes" in html
    assert "Option 2: " in html
    assert "Minutes lost per subject per cohort" in html and "Cover load per person" in html
    use = world.url("build-use-option", job_id=job.pk)
    assert html.count(f'action="{use}"') == len(job.recovery_options) - 1  # not the one used
    assert 'name="option" value="2"' in html


def test_using_another_option_stores_its_day_as_a_new_draft(
    world, django_capture_on_commit_callbacks
):
    client, _response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    second = job.recovery_options[1]

    response = client.post(world.url("build-use-option", job_id=job.pk), {"option": "2"})

    chosen = Schedule.objects.get(school=world.k.school, version=2)
    assert response.status_code == 302
    assert response["Location"] == world.url("schedule-review", schedule_id=chosen.pk)
    assert chosen.status == ScheduleStatus.DRAFT and chosen.built_by == world.leader.user
    assert chosen.recovery["rank"] == 2 and chosen.recovery["kind"] == second["kind"]
    assert chosen.recovery["why"] == job.schedule.recovery["why"]
    assert chosen.input_fingerprint == job.schedule.input_fingerprint
    assert sorted((b.cohort_id, b.station, b.start) for b in chosen.blocks.all()) == sorted(
        (b["cohort"], b["station"], T(b["start"] // 60, b["start"] % 60)) for b in second["blocks"]
    )
    assert schedule_violations(chosen) == ()
    review = client.get(response["Location"]).content.decode()
    assert "Absence recovery" in review and "Option 2:" in review
    published = client.post(world.url("schedule-publish", schedule_id=chosen.pk))
    assert published.status_code == 302
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT), (2, ScheduleStatus.PUBLISHED)]


def test_a_tampered_or_unknown_option_is_refused_and_stores_nothing(
    world, django_capture_on_commit_callbacks
):
    client, _response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    use = world.url("build-use-option", job_id=job.pk)

    answers = [
        client.post(use, {"option": "two"}).status_code,
        client.post(use, {}).status_code,
        client.post(use, {"option": "99"}).status_code,
        client.get(use).status_code,
    ]

    assert answers == [400, 400, 404, 405]
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_use_this_option_needs_the_csrf_token(world, django_capture_on_commit_callbacks):
    _client, _response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.leader.user)

    response = client.post(world.url("build-use-option", job_id=job.pk), {"option": "2"})

    assert response.status_code == 403
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_only_the_schools_leader_may_use_an_option(
    world, school_b, django_capture_on_commit_callbacks
):
    _client, _response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    their_job = BuildJob.objects.create(school=school_b.school, date=DATE)
    other_leader = client_for(school_b.leader.user)
    theirs = {"school_id": school_b.school.pk}

    answers = [
        other_leader.post(
            world.url("build-use-option", job_id=job.pk), {"option": "2"}
        ).status_code,
        other_leader.post(
            reverse("build-use-option", kwargs={**theirs, "job_id": job.pk}), {"option": "2"}
        ).status_code,
        client_for(world.leader.user)
        .post(world.url("build-use-option", job_id=their_job.pk), {"option": "1"})
        .status_code,
        client_for(world.teacher.user)
        .post(world.url("build-use-option", job_id=job.pk), {"option": "2"})
        .status_code,
    ]

    assert answers == [404, 404, 404, 403]
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_an_option_that_no_longer_fits_is_not_stored_and_says_why(
    world, django_capture_on_commit_callbacks
):
    client, _response, job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    rank = next(o["rank"] for o in job.recovery_options if o["kind"] == "cover")
    # The covering teacher leaves the school after the build.
    world.teacher.active = False
    world.teacher.save()

    response = client.post(
        world.url("build-use-option", job_id=job.pk), {"option": str(rank)}, follow=True
    )

    assert any("no longer fits the configuration" in m for m in messages_of(response))
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_a_user_who_is_not_staff_here_cannot_see_the_options(
    world, django_capture_on_commit_callbacks
):
    _client, response, _job = build_with_rivera_out(world, django_capture_on_commit_callbacks)
    stranger = client_for(UserFactory.create())

    assert stranger.get(response["Location"]).status_code in (403, 404)


def test_a_leader_who_records_an_absence_with_no_substitute_gets_a_day_to_publish(
    world, django_capture_on_commit_callbacks
):
    """The issue's "done when": the only literacy teacher out all day, no substitute in the
    pool, through the pages from the absence to the published day."""
    client = client_for(world.leader.user)
    recorded = client.post(
        world.url("absences"),
        {"staff": world.k.rivera.pk, "date": DATE.isoformat(), "reason": "sick"},
    )
    assert recorded.status_code == 302

    client, response = build_through_the_page(world, django_capture_on_commit_callbacks)

    job = BuildJob.objects.get(school=world.k.school)
    assert job.state == BuildState.SUCCEEDED and job.schedule.recovery["rank"] == 1
    assert job.schedule.recovery["kind"] != "substitute"
    assert "Version 1 is built as a draft." in client.get(response["Location"]).content.decode()
    published = client.post(world.url("schedule-publish", schedule_id=job.schedule.pk))
    assert published.status_code == 302
    assert statuses(world.k.school) == [(1, ScheduleStatus.PUBLISHED)]
