""" "Plan first visits" with Celery workers (issue 22): the click queues one job per school, the
leader's page says "Planning…" and polls it, a worker plans and the page reloads on the plan; a
refused plan is told on the page. Without workers (eager Celery) the request plans itself."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from families.tasks import visit_plan_job_run_task
from families.visit_models import Visit, VisitPlanJob, VisitPlanJobState
from families.visit_plan_jobs import REFUSED
from families.visit_planning import VisitPlanRefused
from students.models import Role

from ..factories import SchoolFactory, StaffFactory
from .test_home_visits import world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers(settings, monkeypatch) -> list[int]:
    """Celery with workers: tasks are sent, not run; the ids of the plan jobs sent."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[int] = []
    monkeypatch.setattr(visit_plan_job_run_task, "delay", sent.append)
    return sent


def click_plan(client, school, capture) -> None:
    with capture(execute=True):
        response = client.post(reverse("home-visits-plan", args=[school.pk]))
    assert response.status_code == 302


def poll(client, school, job):
    url = reverse("home-visits-plan-status", args=[school.pk, job.pk])
    return client.get(url, HTTP_HX_REQUEST="true")


def test_without_workers_the_click_plans_in_the_request(world, client):  # noqa: F811
    client.force_login(world.leader.user)

    client.post(reverse("home-visits-plan", args=[world.school.pk]))

    assert not VisitPlanJob.objects.exists()
    assert Visit.objects.filter(school=world.school).count() == 2


def test_with_workers_the_click_queues_a_job_and_the_page_polls_it(
    world,  # noqa: F811
    client,
    workers,
    django_capture_on_commit_callbacks,
):
    client.force_login(world.leader.user)

    click_plan(client, world.school, django_capture_on_commit_callbacks)
    page = client.get(reverse("home-visits-school", args=[world.school.pk])).content.decode()

    job = VisitPlanJob.objects.get(school=world.school)
    assert workers == [job.pk]
    assert (job.state, job.requested_by) == (VisitPlanJobState.QUEUED, world.leader.user)
    assert not Visit.objects.filter(school=world.school).exists()
    status_url = reverse("home-visits-plan-status", args=[world.school.pk, job.pk])
    assert f'hx-get="{status_url}"' in page
    assert "Planning…" in page and "Waiting for a worker" in page
    assert 'action="' + reverse("home-visits-plan", args=[world.school.pk]) not in page
    assert poll(client, world.school, job).status_code == 204


def test_a_second_click_while_planning_queues_nothing_more(
    world,  # noqa: F811
    client,
    workers,
    django_capture_on_commit_callbacks,
):
    client.force_login(world.leader.user)

    click_plan(client, world.school, django_capture_on_commit_callbacks)
    click_plan(client, world.school, django_capture_on_commit_callbacks)

    assert VisitPlanJob.objects.count() == 1
    assert len(workers) == 1


def test_the_worker_plans_and_the_polling_page_reloads_on_the_plan(
    world,  # noqa: F811
    client,
    workers,
    django_capture_on_commit_callbacks,
):
    client.force_login(world.leader.user)
    click_plan(client, world.school, django_capture_on_commit_callbacks)
    job = VisitPlanJob.objects.get()

    assert visit_plan_job_run_task(job.pk) == VisitPlanJobState.DONE
    assert visit_plan_job_run_task(job.pk) == VisitPlanJobState.DONE  # a second delivery
    polled = poll(client, world.school, job)
    page = client.get(reverse("home-visits-school", args=[world.school.pk])).content.decode()

    job.refresh_from_db()
    assert job.run is not None and job.run.placed == 2 and job.attempts == 1
    assert Visit.objects.filter(school=world.school).count() == 2
    assert polled["HX-Refresh"] == "true"
    assert "2 visits planned. 1 household could not be placed." in page
    assert "No teacher of a child at this school" in page
    assert "hx-get" not in page


def test_a_refused_plan_is_recorded_on_the_job_and_told_on_the_page(
    world,  # noqa: F811
    client,
    workers,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    def refuse(school, user):
        raise VisitPlanRefused("a rule broken")

    monkeypatch.setattr("families.visit_plan_jobs.plan_first_visits", refuse)
    client.force_login(world.leader.user)
    click_plan(client, world.school, django_capture_on_commit_callbacks)
    job = VisitPlanJob.objects.get()

    visit_plan_job_run_task(job.pk)
    page = client.get(reverse("home-visits-school", args=[world.school.pk])).content.decode()

    job.refresh_from_db()
    assert (job.state, job.message, job.run) == (VisitPlanJobState.FAILED, REFUSED, None)
    assert "The plan broke a rule when checked, so nothing was stored." in page
    assert "Plan first visits</button>" in page
    assert not Visit.objects.filter(school=world.school).exists()


def test_a_plan_lost_with_its_worker_stops_the_polling_and_may_be_asked_again(
    world,  # noqa: F811
    client,
    workers,
    django_capture_on_commit_callbacks,
):
    client.force_login(world.leader.user)
    click_plan(client, world.school, django_capture_on_commit_callbacks)
    VisitPlanJob.objects.update(queued_at=timezone.now() - datetime.timedelta(hours=2))

    page = client.get(reverse("home-visits-school", args=[world.school.pk])).content.decode()
    click_plan(client, world.school, django_capture_on_commit_callbacks)

    assert "stopped answering" in page and "hx-get" not in page
    assert VisitPlanJob.objects.count() == 2 and len(workers) == 2


def test_only_the_schools_leaders_follow_its_plan(
    world,  # noqa: F811
    client,
    workers,
    django_capture_on_commit_callbacks,
):
    client.force_login(world.leader.user)
    click_plan(client, world.school, django_capture_on_commit_callbacks)
    job = VisitPlanJob.objects.get()
    elsewhere = StaffFactory(
        school=SchoolFactory(network=world.school.network), roles=[Role.LEADER]
    )

    client.force_login(world.ames.user)
    teacher = poll(client, world.school, job)
    client.force_login(elsewhere.user)
    other_leader = poll(client, world.school, job)
    of_their_school = poll(client, elsewhere.school, job)

    assert teacher.status_code == 403
    assert other_leader.status_code == 404
    assert of_their_school.status_code == 404
