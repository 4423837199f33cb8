"""A guardian reads their child's day, week and lab progress on a phone (issue 21, items 2 and 6):
at 375 px nothing scrolls sideways, the chart fits, and axe finds nothing to fix."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ..families.world import DATE, family_world
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def sign_in(page, base: str, user) -> None:  # type: ignore[no-untyped-def]
    """The guardian's session, made the way a sign-in makes it, handed to the browser."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )


def test_a_guardian_reads_the_family_pages_at_375_px_without_sideways_scrolling(live_server, page):
    world = family_world()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, world.account_a.user)
    on = f"?date={DATE.isoformat()}"
    pages = {
        "family-phone-home": reverse("family-home"),
        "family-phone-day": reverse("family-child", args=[world.ana.pk]) + on,
        "family-phone-week": reverse("family-child-week", args=[world.ana.pk]) + on,
        "family-phone-sibling": reverse("family-child", args=[world.tomas.pk]) + on,
    }
    widths = {}
    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        check_page(page, name)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert widths == dict.fromkeys(pages, PHONE["width"])

    page.goto(f"{live_server.url}{pages['family-phone-day']}")
    assert page.locator(".badge-changed").count() == 2
    assert page.get_by_text("Reading group with Luis Diaz in Room 12").is_visible()
    assert page.locator(".progress-chart").evaluate(
        "svg => svg.getBoundingClientRect().right <= window.innerWidth"
    )
    # The switcher takes the guardian to the other child's day.
    page.get_by_role("navigation", name="Your children").get_by_role("link", name="Tomas").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tomas's day")
