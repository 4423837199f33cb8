"""The demo network is valid school data, the same on every run, and never seeded in production."""

import datetime

import pytest
from django.contrib.auth import authenticate

from rocketship import demo
from rocketship.demo.plan import plan_network
from students.models import ServiceNeed, Staff, Student
from students.permissions import visible_schools

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def test_the_plan_is_the_same_on_every_run():
    assert plan_network(today=TODAY) == plan_network(today=TODAY)


def test_seeded_data_passes_model_validation_and_matches_the_shapes():
    demo.seed_demo_network(today=TODAY, build_schedules=False)

    for row in [
        *Student.objects.all(),
        *ServiceNeed.objects.select_related("student"),
        *Staff.objects.all(),
    ]:
        row.full_clean()
    enrolled = Student.objects.enrolled_on(TODAY)
    assert enrolled.count() == 900 - 6
    assert 0.08 <= Student.objects.filter(has_iep=True).count() / 900 <= 0.14


def test_each_demo_login_sees_its_school(school_a):
    demo.seed_demo_network(today=TODAY, build_schedules=False)

    leader = authenticate(username="leader", password=demo.DEMO_PASSWORD)
    admin = authenticate(username="network.admin", password=demo.DEMO_PASSWORD)

    assert [s.name for s in visible_schools(leader)] == ["Mission Heights Academy"]
    assert sorted(s.name for s in visible_schools(admin)) == [
        "Alder Street Elementary",
        "Mission Heights Academy",
    ]


def test_seeding_is_refused_on_a_production_site(settings):
    settings.HTTPS = True
    with pytest.raises(demo.DemoSeedRefused, match="HTTPS"):
        demo.seed_demo_network(today=TODAY, build_schedules=False)
    assert not Student.objects.exists()
