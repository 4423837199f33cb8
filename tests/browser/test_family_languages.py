"""Three guardians open their child's page on a phone (375 px): one reads Spanish, one
Vietnamese (both from the roster, spelled the way student information systems write them),
one English. Each page speaks its guardian's language, dates included, fits the phone without
sideways scrolling and is accessible; the language chooser switches the page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from families.models import FamilyAccount
from students.models import Student

from ..factories import GuardianFactory
from ..families.world import DATE, account_for, family_world
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}


def sign_in(page, live_server, account: FamilyAccount) -> None:
    """``account`` signed in in ``page``'s browser (the sign-in pages have their own tests)."""
    client = Client()
    client.force_login(account.user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.set_viewport_size(PHONE)


@pytest.fixture
def families() -> dict[str, tuple[FamilyAccount, Student]]:
    """Per language, a guardian whose roster says it (the way student information systems
    write it) and the child whose page they open: Ana's day, published, with a change."""
    world = family_world()
    world.guardian_a.language = "es-MX"
    world.guardian_a.save(update_fields=["language"])
    world.guardian_b.language = "Vietnamese"
    world.guardian_b.save(update_fields=["language"])
    english = GuardianFactory.create(
        network=world.ana.school.network, given_name="Pat", language="", students=[world.ana]
    )
    return {
        "es": (world.account_a, world.ana),
        "vi": (world.account_b, world.bruno),
        "en": (account_for(english), world.ana),
    }


def open_day(page, live_server, child: Student) -> None:
    page.goto(f"{live_server.url}/family/children/{child.pk}/?date={DATE.isoformat()}")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize(
    ("lang", "title", "heading", "date", "words"),
    [
        (
            "es",
            "El día de Ana",
            "Dónde y cuándo",
            "martes, 24 de noviembre de 2026",
            ["Almuerzo", "Recreo", "Progreso en el Laboratorio de Aprendizaje"],
        ),
        (
            "vi",
            "Ngày học của Bruno",
            "Ở đâu và khi nào",
            "Ngày 24 tháng 11 năm 2026",
            ["Ăn trưa", "Ra chơi", "Tiến bộ ở Phòng Lab Học Tập"],
        ),
        (
            "en",
            "Ana's day",
            "Where and when",
            "Nov. 24, 2026",
            ["Lunch", "Recess", "Learning Lab progress"],
        ),
    ],
)
def test_a_guardian_reads_their_childs_day_in_their_language_on_a_phone(
    live_server, page, families, lang, title, heading, date, words
):
    account, child = families[lang]
    sign_in(page, live_server, account)
    open_day(page, live_server, child)
    page.wait_for_selector(f"h2:has-text('{heading}')")
    assert page.get_attribute("html", "lang") == lang
    h1 = page.inner_text("h1")
    assert title in h1 and date in h1, h1
    text = page.inner_text("main")
    assert all(word in text for word in words), text
    # Each language is named in itself, whatever the page's language.
    choices = page.inner_text(".family-language-choices")
    assert choices.split() == ["English", "Español", "Tiếng", "Việt"]
    assert no_sideways_scroll(page)
    check_page(page, f"family-{lang}")


def test_the_language_chooser_switches_the_page(live_server, page, families):
    account, child = families["en"]
    sign_in(page, live_server, account)
    open_day(page, live_server, child)
    page.wait_for_selector("h2:has-text('Where and when')")

    page.click("button[lang=es]")
    page.wait_for_selector("h2:has-text('Dónde y cuándo')")
    assert page.get_attribute("html", "lang") == "es"
    assert "martes, 24 de noviembre de 2026" in page.inner_text("h1")  # the same day
    account.refresh_from_db()
    assert account.language == "es"

    page.click("button[lang=vi]")
    page.wait_for_selector("h2:has-text('Ở đâu và khi nào')")
    assert page.inner_text("[aria-current=true][lang=vi]") == "Tiếng Việt"
    assert no_sideways_scroll(page)


@pytest.mark.parametrize(
    ("accept", "lang", "heading"),
    [("es-MX,es;q=0.9", "es", "Iniciar sesión"), ("vi-VN,vi;q=0.9", "vi", "Đăng nhập")],
)
def test_the_sign_in_page_speaks_the_browsers_language_on_a_phone(
    live_server, page, accept, lang, heading
):
    page.set_extra_http_headers({"Accept-Language": accept})
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/family/sign-in/")
    page.wait_for_selector(f"h1:has-text('{heading}')")
    assert page.get_attribute("html", "lang") == lang
    assert no_sideways_scroll(page)
    check_page(page, f"family-sign-in-{lang}")
