"""Issue 22's loop on the demo: the leader of Alder Street plans the first visits in one click,
reads who could not be placed and why, and a teacher finds their visits in their calendar."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from families.models import Visit, VisitPlanRun
from families.visit_demo import seed_home_visits
from rocketship import demo
from rocketship.demo.plan import local_today
from students.models import Network, School

pytestmark = pytest.mark.django_db


def next_monday() -> datetime.date:
    # Relative to the real clock: visits are planned from today on.
    today = local_today()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_a_leader_plans_the_demo_schools_first_visits_in_one_click(settings):
    settings.HOME_VISIT_WORK_LIMIT = 1.0  # deterministic work, not seconds
    monday = next_monday()
    demo.seed_demo_network(today=monday, build_schedules=False)
    seed_home_visits(Network.objects.get(), today=monday)
    school = School.objects.get(slug="alder-street")
    leader = Client()
    assert leader.login(username="leader.alder", password=demo.DEMO_PASSWORD)

    planned = leader.post(reverse("home-visits-plan", args=[school.pk]))

    assert planned.status_code == 302
    run = VisitPlanRun.objects.get(school=school)
    visits = Visit.objects.filter(school=school, run=run)
    assert visits.count() > 100
    page = leader.get(reverse("home-visits-school", args=[school.pk])).content.decode()
    assert run.unplaced, "the demo has families nobody can visit in their times"
    reasons = (
        "No time when one of the child",
        "speakers of",
        "weekly visits are all taken",
        "No teacher of a child",
    )
    assert any(reason in page for reason in reasons)

    visit = visits.order_by("date", "start").first()
    teacher = Client()
    teacher.force_login(visit.lead.user)
    made = teacher.post(reverse("home-visits-mine"), {"staff": visit.lead.pk, "action": "make"})
    feed = Client().get(made.context["new_feeds"][0][1])
    assert feed.status_code == 200
    assert f"home-visit-{visit.pk}@" in feed.content.decode()
