"""A principal logs in at 7:45 and reads the morning on their school's page: today and the next
school day, who is out and how each is covered, the lab plan's shortfall, what waits for review;
on a laptop and on a phone (375 px, no sideways scrolling), accessible, in school words."""

import pytest

from ..factories import PASSWORD
from ..school_words import engine_words_in
from ..students.test_principals_morning import morning  # noqa: F401 (a fixture)
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_principal_reads_the_morning_and_follows_the_shortfall(live_server, page, morning):  # noqa: F811
    world = morning.world
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", world.leader.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("h2:has-text('The morning at a glance')")
    text = page.inner_text("main")
    assert "Version 2 is published" in text
    assert "Cover by present staff: Carl Cover, 45 minutes" in text
    assert "not covered" in text and "Build the day again" in text
    assert "Version 1 is waiting for your review" in text
    assert engine_words_in(text) == []
    check_page(page, "principals-morning")

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_page(page, "principals-morning-phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("text=30 service minutes cannot be met for 1 student.")
    page.wait_for_selector("#lab-plan-heading")
    assert f"/schedules/{morning.published.pk}/review/" in page.url
