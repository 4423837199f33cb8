"""Every version says truthfully what built it: the leader who asked, the API client whose token
asked, the nightly rebuild (which its runs page then lists), the demo setup, or a command run on
the server; never "the nightly" for a build the nightly did not make."""

import pytest
from django.urls import reverse

from rocketship.demo.scheduling import build_day
from scheduling.models import (
    BuildJob,
    BuildOrigin,
    NightlyRun,
    Schedule,
    SchoolSchedulingSettings,
)
from scheduling.services import nightly
from scheduling.services.builds import build_job_run, schedule_build
from students.clients import api_client_create
from students.models import Role

from ..conftest import client_for
from ..factories import StaffFactory, UserFactory
from .test_selectors import DATE, kindergarten
from .test_services import FAST

pytestmark = pytest.mark.django_db


@pytest.fixture
def k():
    return kindergarten()


@pytest.fixture
def leader(k):
    return StaffFactory(
        school=k.school,
        roles=[Role.LEADER],
        user=UserFactory(first_name="Lee", last_name="Principal"),
    )


def test_a_leaders_build_names_the_leader(k, leader):
    job = BuildJob.objects.create(school=k.school, date=DATE, requested_by=leader.user)

    schedule = build_job_run(job_id=job.pk, options=FAST).schedule

    assert schedule.built_via == BuildOrigin.PERSON
    assert schedule.builder == "Lee Principal"


def test_an_api_clients_build_names_the_client(k):
    sis = api_client_create(
        network=k.school.network,
        name="District SIS sync",
        schools=[k.school],
        can_write=True,
        by=None,
    )
    job = BuildJob.objects.create(school=k.school, date=DATE, requested_by_client=sis)

    schedule = build_job_run(job_id=job.pk, options=FAST).schedule

    assert (schedule.built_via, schedule.built_by_client) == (BuildOrigin.API_CLIENT, sis)
    assert schedule.builder == "District SIS sync (API client)"


def test_the_nightly_rebuild_names_itself_and_its_runs_list_the_run(k, monkeypatch):
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE)

    schedule = nightly.nightly_rebuild(run_id=run.pk, options=FAST).schedule

    assert schedule.built_via == BuildOrigin.NIGHTLY
    assert schedule.builder == "Nightly rebuild"
    assert list(NightlyRun.objects.filter(schedule=schedule)) == [run]


def test_the_demo_setup_says_so(k):
    schedule = build_day(school=k.school, day=DATE).schedule

    assert schedule.built_via == BuildOrigin.DEMO_SETUP
    assert schedule.builder == "Demo setup"
    assert not NightlyRun.objects.exists()


def test_a_build_nobody_named_is_a_server_command_not_the_nightly(k):
    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    assert schedule.built_via == BuildOrigin.COMMAND
    assert schedule.builder == "Server command"


def test_the_versions_page_says_who_built_each_version(k, leader):
    schedule_build(school=k.school, date=DATE, origin=BuildOrigin.DEMO_SETUP, options=FAST)
    # Another input, another version: this one a leader's.
    SchoolSchedulingSettings.objects.filter(school=k.school).update(transitions_weight=50)
    schedule_build(school=k.school, date=DATE, by=leader.user, options=FAST)
    assert Schedule.objects.filter(school=k.school).count() == 2

    response = client_for(leader.user).get(
        reverse("schedule-versions", kwargs={"school_id": k.school.pk}), {"date": "2026-09-01"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>Lee Principal</td>" in html and "<td>Demo setup</td>" in html
    assert "Nightly rebuild" not in html and "Nightly build" not in html
