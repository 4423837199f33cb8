"""Signing in: an emailed one-use link valid 15 minutes, or a password; the same answer whether
or not an address has an account; failures limited like staff logins; a family session lasts
60 days on the phone while staff keep a school day."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from families.models import SignInLink
from families.tokens import digest

from ..conftest import client_for
from ..factories import PASSWORD
from .signin_helpers import family_account, guardian_of, links_in, path_of

pytestmark = pytest.mark.django_db

SIGN_IN = "/family/sign-in/"
SIXTY_DAYS = 60 * 24 * 3600


@pytest.fixture
def account(school_a):  # type: ignore[no-untyped-def]
    return family_account(guardian_of(school_a.student, email="rosa@example.org"))


def ask_for_link(client: Client, email: str):  # type: ignore[no-untyped-def]
    return client.post(SIGN_IN, {"action": "link", "email": email})


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page without its per-visitor CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_sign_in_url_name():
    assert reverse("family-sign-in") == SIGN_IN


def test_a_link_is_emailed_once_and_signs_in_once(account):
    family = Client()

    asked = ask_for_link(family, "Rosa@Example.org")

    assert asked.status_code == 200
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    [url] = links_in(mail.outbox[0])
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = SignInLink.objects.get(account=account)
    assert link.token_digest == digest(token)
    assert link.expires_at - link.created_at == datetime.timedelta(minutes=15)

    # Opening it (a mail scanner does) spends nothing; the button signs in.
    assert family.get(path_of(url)).status_code == 200
    link.refresh_from_db()
    assert link.used_at is None
    signed = family.post(path_of(url))

    assert signed.status_code == 302 and signed.url == reverse("family-home")
    assert logged_in_as(family) == str(account.user.pk)
    assert family.session.get_expiry_age() == SIXTY_DAYS

    # Replayed, from anywhere: nothing.
    thief = Client()
    assert thief.post(path_of(url)).status_code == 410
    assert thief.get(path_of(url)).status_code == 410
    assert logged_in_as(thief) is None


def test_an_expired_link_signs_nobody_in(account):
    ask_for_link(Client(), account.user.email)
    [url] = links_in(mail.outbox[0])
    SignInLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    family = Client()

    assert family.post(path_of(url)).status_code == 410
    assert logged_in_as(family) is None


def test_a_made_up_link_is_refused():
    client = Client()
    assert client.post(reverse("family-sign-in-link", kwargs={"token": "guess"})).status_code == 410
    assert logged_in_as(client) is None


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(account, school_a):
    known = ask_for_link(Client(), account.user.email)
    unknown = ask_for_link(Client(), "nobody@example.org")
    staff = ask_for_link(Client(), school_a.leader.user.email)  # staff sign in elsewhere

    assert known.status_code == unknown.status_code == staff.status_code == 200
    assert page_text(known) == page_text(unknown) == page_text(staff)
    assert "If that address has an account, a link is on its way" in known.content.decode()
    assert len(mail.outbox) == 1


def test_link_requests_are_limited_per_email_whether_or_not_it_has_an_account(account, settings):
    settings.FAMILY_SIGN_IN_LINKS_PER_EMAIL = 2
    known = [
        ask_for_link(Client(REMOTE_ADDR=f"198.51.100.{n}"), account.user.email) for n in range(3)
    ]
    unknown = [
        ask_for_link(Client(REMOTE_ADDR=f"198.51.100.{n}"), "no@example.org") for n in range(3)
    ]

    assert [a.status_code for a in known] == [a.status_code for a in unknown] == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_a_password_signs_in_by_username_or_email(account):
    by_username = Client()
    by_email = Client()

    first = by_username.post(
        SIGN_IN,
        {"action": "password", "username": account.user.username, "password": PASSWORD},
    )
    second = by_email.post(
        SIGN_IN, {"action": "password", "username": "ROSA@example.org", "password": PASSWORD}
    )

    assert first.status_code == second.status_code == 302
    assert first.url == reverse("family-home")
    assert logged_in_as(by_username) == logged_in_as(by_email) == str(account.user.pk)
    assert by_email.session.get_expiry_age() == SIXTY_DAYS


def test_a_wrong_password_says_so_without_naming_which_part(account):
    client = Client()
    answer = client.post(
        SIGN_IN, {"action": "password", "username": account.user.username, "password": "nope"}
    )
    assert answer.status_code == 200
    assert "do not match" in answer.content.decode()
    assert logged_in_as(client) is None


def test_guessing_passwords_locks_the_account_like_staff_logins(account, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 50
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        attacker.post(
            SIGN_IN,
            {"action": "password", "username": account.user.username, "password": f"guess{n}"},
        ).status_code
        for n in range(4)
    ]
    assert answers[:2] == [200, 200] and set(answers[2:]) == {429}

    owner = Client(REMOTE_ADDR="198.51.100.20")
    locked = owner.post(
        SIGN_IN, {"action": "password", "username": account.user.username, "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert logged_in_as(owner) is None


def test_staff_sessions_keep_a_school_day(school_a):
    staff = client_for(school_a.teacher.user)
    assert staff.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_guardian_on_the_staff_login_page_lands_on_the_family_page(account):
    client = Client()
    login = client.post(reverse("login"), {"username": account.user.username, "password": PASSWORD})
    assert login.status_code == 302
    home = client.get(login.url)
    assert home.status_code == 302 and home.url == reverse("family-home")
    assert client.session.get_expiry_age() == SIXTY_DAYS


def test_signing_out_ends_the_session(account):
    client = Client()
    client.post(
        SIGN_IN, {"action": "password", "username": account.user.username, "password": PASSWORD}
    )
    assert logged_in_as(client) == str(account.user.pk)

    out = client.post(reverse("family-sign-out"))

    assert out.status_code == 302 and out.url == SIGN_IN
    assert logged_in_as(client) is None


def test_an_inactive_guardian_gets_no_link(account):
    account.guardian.active = False
    account.guardian.save()
    answer = ask_for_link(Client(), account.user.email)
    assert answer.status_code == 200
    assert mail.outbox == []


def test_a_signed_in_guardian_is_sent_home_from_the_sign_in_page(account):
    client = Client()
    client.force_login(account.user)
    answer = client.get(SIGN_IN)
    assert answer.status_code == 302 and answer.url == reverse("family-home")
