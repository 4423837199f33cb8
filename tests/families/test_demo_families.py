"""The demo network's families: guardians for every student, households with two children (one
across both schools), languages from the English-learner data, some without email, and three
family logins (English, Spanish, Vietnamese) that land on the family page."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from families.models import FamilyAccount
from rocketship import demo
from students.models import Guardian, Student

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def test_the_demo_has_families_and_three_family_logins():
    first = demo.seed_demo_network(today=TODAY, build_schedules=False)
    guardians_after_first = Guardian.objects.count()
    links_after_first = Guardian.students.through.objects.count()

    assert Student.objects.filter(guardians__isnull=True).count() == 0
    languages = Counter(Guardian.objects.values_list("language", flat=True))
    assert languages["en"] > languages["es"] > languages["vi"] > 0
    assert Guardian.objects.filter(email="").count() > 0
    with_two = Guardian.objects.annotate(n=Count("students")).filter(n=2)
    assert with_two.count() > 5
    assert any(
        len({s.school_id for s in g.students.all()}) == 2
        for g in with_two.prefetch_related("students")
    )

    accounts = {
        a.user.username: a for a in FamilyAccount.objects.select_related("user", "guardian")
    }
    assert set(accounts) == {"family.en", "family.es", "family.vi"}
    for username, language in [("family.en", "en"), ("family.es", "es"), ("family.vi", "vi")]:
        assert accounts[username].guardian.language == language
        user = authenticate(username=username, password=demo.DEMO_PASSWORD)
        assert user is not None and not user.is_staff
    printed = "\n".join(demo.format_logins(logins=first.logins))
    assert "family.es" in printed and "Family (Spanish)" in printed

    client = Client()
    client.login(username="family.vi", password=demo.DEMO_PASSWORD)
    assert client.get("/").url == reverse("family-home")

    demo.seed_demo_network(today=TODAY, build_schedules=False)
    assert Guardian.objects.count() == guardians_after_first
    assert Guardian.students.through.objects.count() == links_after_first
    assert FamilyAccount.objects.count() == 3
