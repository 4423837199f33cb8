"""Each page renders in its own school's zone, never in one a previous request left behind."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ..factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

JOINED = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)  # 21:00 in Auckland (NZDT)


def test_a_page_without_a_school_after_one_in_auckland_renders_in_the_sites_zone(school_a):
    auckland = SchoolFactory(network=school_a.school.network, time_zone="Pacific/Auckland")
    admin = UserFactory(is_staff=True, is_superuser=True)
    someone = UserFactory(date_joined=JOINED)
    client = Client()
    client.force_login(admin)

    school_page = client.get(reverse("school-detail", args=[auckland.pk]))
    assert school_page.status_code == 200
    # The school's own page is in its zone: "today" is Auckland's date.
    assert school_page.context["today"] == timezone.localdate(timezone=auckland.zone)
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # reset afterwards

    # The admin's user page (no school) on the same thread shows the joining time in UTC.
    user_page = client.get(reverse("admin:auth_user_change", args=[someone.pk]))
    assert user_page.status_code == 200
    form = user_page.context["adminform"].form
    shown = form["date_joined"].value()
    assert timezone.localtime(shown).strftime("%H:%M") == "08:00"
    assert 'value="08:00:00"' in user_page.content.decode()
    assert 'value="21:00:00"' not in user_page.content.decode()


def test_a_school_page_renders_in_its_zone_even_after_a_zone_was_left_active(school_a):
    """A thread left in another zone (by anything) does not leak into the next page."""
    auckland = SchoolFactory(network=school_a.school.network, time_zone="Pacific/Auckland")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    timezone.activate("America/Los_Angeles")
    try:
        page = client.get(reverse("school-detail", args=[auckland.pk]))
        assert page.context["today"] == timezone.localdate(timezone.now(), timezone=auckland.zone)
    finally:
        timezone.deactivate()


def test_another_networks_school_id_gives_its_zone_to_no_one(school_a, school_other_network):
    """The zone comes only from a school the user may see; another network's answers 404."""
    other = school_other_network.school
    other.time_zone = "Pacific/Auckland"
    other.save()
    client = Client()
    client.force_login(school_a.leader.user)
    assert client.get(reverse("school-detail", args=[other.pk])).status_code == 404
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
