"""Each family reads its own language: the one chosen on the page, else the roster's (however
the student information system spells it), else English; staff pages stay US English; dates
and numbers follow the language."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import formats, translation

from families.language import FamilyLanguageMiddleware, language_for, normalise
from families.models import FamilyAccount
from tests.factories import GuardianFactory, StudentFactory, UserFactory

DAY = datetime.date(2026, 12, 7)  # a Monday


def family_account(*, roster: str = "", chosen: str = "") -> FamilyAccount:
    child = StudentFactory.create()
    guardian = GuardianFactory.create(
        network=child.school.network, language=roster, students=[child]
    )
    return FamilyAccount.objects.create(
        guardian=guardian, user=UserFactory.create(), language=chosen
    )


@pytest.mark.parametrize(
    ("roster", "language"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("ES", "es"),
        ("spa", "es"),
        ("Spanish", "es"),
        ("Español", "es"),
        ("vi", "vi"),
        ("vi-VN", "vi"),
        ("vie", "vi"),
        ("Vietnamese", "vi"),
        ("en-US", "en"),
        ("", "en"),
        ("fr", "en"),  # not one we speak yet
        ("Tagalog", "en"),
    ],
)
@pytest.mark.django_db
def test_the_roster_language_is_read_however_it_is_spelled(roster, language):
    assert language_for(family_account(roster=roster)) == language


@pytest.mark.django_db
def test_the_language_chosen_on_the_page_wins_over_the_roster():
    assert language_for(family_account(roster="vi", chosen="es")) == "es"


def test_only_languages_of_the_settings_are_ever_answered():
    assert {normalise(v) for v in ["es_MX", "VI", "english", "zh", "", None]} == {
        "es",
        "vi",
        "en",
        None,
    }
    assert all(normalise(code) == code for code, _name in settings.LANGUAGES)


@pytest.mark.django_db
def test_a_guardians_family_pages_speak_their_language():
    account = family_account(roster="es-MX")
    client = Client()
    client.force_login(account.user)
    response = client.get("/family/", follow=True)
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


@pytest.mark.django_db
def test_staff_pages_stay_in_us_english(school_a):
    client = Client()
    client.force_login(school_a.leader.user)
    response = client.get("/", follow=True)
    assert "Content-Language" not in response
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_a_visitor_not_signed_in_gets_their_browsers_language_on_family_urls():
    seen = []

    def view(request):
        seen.append(translation.get_language())
        return HttpResponse()

    middleware = FamilyLanguageMiddleware(view)
    factory = RequestFactory()
    for header in ["vi-VN,vi;q=0.9,en;q=0.5", "es-419,es;q=0.8", "fr-FR,fr;q=0.9", ""]:
        request = factory.get("/family/sign-in/", HTTP_ACCEPT_LANGUAGE=header)
        request.user = AnonymousUser()
        request.session = {}
        response = middleware(request)
    assert seen == ["vi", "es", "en", "en"]
    assert "Accept-Language" in response["Vary"]

    staff_page = factory.get("/schools/", HTTP_ACCEPT_LANGUAGE="es")
    staff_page.user = AnonymousUser()
    staff_page.session = {}
    middleware(staff_page)
    assert seen[-1] == settings.LANGUAGE_CODE


@pytest.mark.django_db
def test_the_chooser_keeps_the_guardians_choice_and_returns_to_the_page():
    account = family_account(roster="es")
    client = Client()
    client.force_login(account.user)
    response = client.post("/family/language/", {"language": "vi", "next": "/family/"})
    assert response.status_code == 302
    assert response["Location"] == "/family/"
    account.refresh_from_db()
    assert account.language == "vi"
    assert client.get("/family/", follow=True)["Content-Language"] == "vi"


@pytest.mark.django_db
def test_the_chooser_ignores_unknown_languages_and_foreign_next_urls():
    account = family_account(roster="es")
    client = Client()
    client.force_login(account.user)
    response = client.post(
        "/family/language/", {"language": "klingon", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/family/"
    account.refresh_from_db()
    assert account.language == ""


@pytest.mark.django_db
def test_a_visitor_not_signed_in_picks_a_language_for_the_sign_in_pages():
    client = Client()
    response = client.post("/family/language/", {"language": "es", "next": "/family/sign-in/"})
    assert response["Location"] == "/family/sign-in/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


@pytest.mark.django_db
def test_staff_have_no_language_chooser(school_a):
    client = Client()
    client.force_login(school_a.leader.user)
    assert client.post("/family/language/", {"language": "es"}).status_code == 404


@pytest.mark.parametrize(
    ("language", "name", "shown"),
    [
        ("es", "DATE_FORMAT", "7 de diciembre de 2026"),
        ("es", "WEEKDAY_DATE_FORMAT", "lunes 7 de diciembre de 2026"),
        ("es", "WEEKDAY_MONTH_DAY_FORMAT", "lunes 7 de diciembre"),
        ("es", "SHORT_WEEKDAY_MONTH_DAY_FORMAT", "lun 7 dic"),
        ("es", "CHART_DATE_FORMAT", "7 dic"),
        ("vi", "DATE_FORMAT", "Ngày 07 tháng 12 năm 2026"),
        ("vi", "WEEKDAY_DATE_FORMAT", "Thứ 2, ngày 7 tháng 12 năm 2026"),
        ("vi", "WEEKDAY_MONTH_DAY_FORMAT", "Thứ 2, ngày 7 tháng 12"),
        ("vi", "SHORT_WEEKDAY_MONTH_DAY_FORMAT", "Thứ 2, 07/12"),
        ("vi", "CHART_DATE_FORMAT", "07/12"),
        ("en", "DATE_FORMAT", "Dec. 7, 2026"),
        ("en", "WEEKDAY_DATE_FORMAT", "Monday, December 7, 2026"),
    ],
)
def test_dates_follow_the_language(language, name, shown):
    with translation.override(language):
        assert formats.date_format(DAY, name) == shown


@pytest.mark.parametrize(
    ("language", "time", "number"),
    [("es", "14:05", "1234,5"), ("vi", "14:05", "1234,5"), ("en", "2:05 p.m.", "1234.5")],
)
def test_times_and_numbers_follow_the_language(language, time, number):
    with translation.override(language):
        assert formats.time_format(datetime.time(14, 5)) == time
        assert formats.localize(1234.5) == number


def test_every_named_format_of_the_project_exists_in_each_language():
    """A name missing in one language would print the name itself as a date format."""
    from django.conf import global_settings

    from rocketship.formats.en import formats as us

    project_names = [
        name for name in dir(us) if name.endswith("_FORMAT") and not hasattr(global_settings, name)
    ]
    assert "WEEKDAY_DATE_FORMAT" in project_names
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in project_names:
                assert formats.get_format(name) != name, (code, name)


@pytest.mark.django_db
def test_numbers_for_machines_are_not_localized_on_a_spanish_page():
    """The chart's SVG coordinates are numbers for the browser, not for people: a decimal comma
    ("34,5") would break every bar."""
    from .world import DATE, family_world

    world = family_world()
    world.account_a.language = "es"
    world.account_a.save(update_fields=["language"])
    client = Client()
    client.force_login(world.account_a.user)
    page = client.get(f"/family/children/{world.ana.pk}/?date={DATE.isoformat()}")
    assert page["Content-Language"] == "es"
    svg = re.search(r"<svg.*?</svg>", page.content.decode(), re.DOTALL)
    assert svg is not None
    assert re.findall(r'\b(?:x|y|x1|y1|x2|y2|width|height)="[^"]*,[^"]*"', svg[0]) == []


@pytest.mark.django_db
def test_a_signed_in_guardian_reads_their_language_beyond_family_urls():
    account = family_account(roster="vi")
    client = Client()
    client.force_login(account.user)
    client.get("/family/", follow=True)
    elsewhere = client.get("/schools/")  # not theirs: answered, in Vietnamese
    assert elsewhere["Content-Language"] == "vi"


@pytest.mark.django_db
def test_the_sign_in_page_speaks_the_browsers_language_until_one_is_picked():
    client = Client()
    spanish = client.get("/family/sign-in/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert spanish["Content-Language"] == "es"
    assert '<html lang="es">' in spanish.content.decode()
    assert "Iniciar sesión" in spanish.content.decode()

    client.post("/family/language/", {"language": "vi", "next": "/family/sign-in/"})
    picked = client.get("/family/sign-in/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert picked["Content-Language"] == "vi"
    assert "Đăng nhập" in picked.content.decode()
