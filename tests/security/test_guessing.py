"""Guessing passwords: wrong passwords lock the username and the address, the lock holds against
the right password, no forwarded header moves the limit, and reset requests are limited."""

import logging

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from students.api.throttling import PrincipalRateThrottle

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
RESET = "/accounts/password_reset/"


@pytest.fixture(autouse=True)
def lockout_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = 0


def log_in(client: Client, username: str, password: str, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(school_a):
    user = school_a.teacher.user
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [log_in(attacker, user.username, f"guess-{n}").status_code for n in range(50)]
    assert answers[:4] == [200] * 4  # the form again, "did not match"
    assert set(answers[4:]) == {429}  # the fifth failure locks

    locked = log_in(attacker, user.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert not logged_in(attacker)

    # The username is locked from any address, not only the guesser's.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert log_in(owner, user.username, PASSWORD).status_code == 429
    assert not logged_in(owner)


def test_a_locked_address_is_refused_for_every_username(school_a):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    # Spread over usernames so no username reaches its own limit: the address does.
    for n in range(8):
        log_in(attacker, f"someone-{n}", "wrong")
    leader = school_a.leader.user
    assert log_in(attacker, leader.username, PASSWORD).status_code == 429
    assert not logged_in(attacker)
    # The same leader from another address is not locked.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert log_in(elsewhere, leader.username, PASSWORD).status_code == 302
    assert logged_in(elsewhere)


def test_a_forged_forwarded_header_does_not_move_the_limit_without_a_trusted_proxy(school_a):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(8):
        log_in(attacker, f"someone-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    refused = log_in(
        attacker, school_a.leader.user.username, PASSWORD, HTTP_X_FORWARDED_FOR="10.1.2.3"
    )
    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(school_a, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(8):
        log_in(proxy, f"someone-{n}", "wrong", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    leader = school_a.leader.user.username
    # The guesser's address is locked; another client through the same proxy is not.
    assert log_in(proxy, leader, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert log_in(other, leader, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_with_a_proxy_count_the_client_is_that_many_hops_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2")
    # The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
    log_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_the_admin_login_locks_too(db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        log_in(attacker, admin.username, f"guess-{n}", ADMIN_LOGIN).status_code for n in range(6)
    ]
    assert answers[-1] == 429
    right = log_in(attacker, admin.username, PASSWORD, ADMIN_LOGIN)
    assert right.status_code == 429
    assert not logged_in(attacker)


def test_failed_logins_are_logged_with_username_and_address_never_the_password(school_a, caplog):
    secret = "Tr0ub4dor-and-3-horses"
    user = school_a.teacher.user
    with caplog.at_level(logging.DEBUG):
        for _ in range(6):
            log_in(Client(REMOTE_ADDR="203.0.113.9"), user.username, secret)
        log_in(Client(REMOTE_ADDR="203.0.113.9"), user.username, secret, ADMIN_LOGIN)
    failures = [r.getMessage() for r in caplog.records if "login failure" in r.getMessage()]
    assert failures and all(user.username in line and "203.0.113.9" in line for line in failures)
    everything = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert secret not in everything
    stored = AccessAttempt.objects.values_list("get_data", "post_data")
    assert stored and all(secret not in get + post for get, post in stored)


def test_reset_requests_are_limited_per_email_without_telling_whether_it_exists(school_a, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 100
    email = school_a.teacher.user.email
    answers = [
        Client(REMOTE_ADDR=f"203.0.113.{n}").post(RESET, {"email": email}).status_code
        for n in range(4)
    ]
    assert answers == [302, 302, 429, 429]
    assert len(mail.outbox) == 2
    unknown = [
        Client(REMOTE_ADDR=f"203.0.113.{n}").post(RESET, {"email": "nobody@example.org"})
        for n in range(3)
    ]
    assert [r.status_code for r in unknown] == [302, 302, 429]
    limited = unknown[-1]
    assert "Too many reset requests" in limited.content.decode() and limited["Retry-After"]


def test_reset_requests_are_limited_per_address_whatever_the_forwarded_header(school_a, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        attacker.post(
            RESET, {"email": f"person{n}@example.org"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(5)
    ]
    assert answers == [302, 302, 302, 429, 429]
    assert (
        Client(REMOTE_ADDR="198.51.100.1").post(RESET, {"email": "x@example.org"}).status_code
        == 302
    )


def test_the_api_anonymous_rate_ignores_a_forged_forwarded_header(settings, monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "timer", staticmethod(lambda: 6_000_015.0))
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/minute",
        },
    }
    caller = Client(REMOTE_ADDR="203.0.113.9")
    # A calendar feed is open to anonymous callers (its secret decides), so the rate applies.
    feed = "/api/v1/staff/999999/calendar.ics?token=x_y"
    answers = [caller.get(feed, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]
    assert answers == [404, 404, 429]
