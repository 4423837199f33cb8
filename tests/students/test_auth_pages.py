"""Logging in, out and resetting a forgotten password, in the product's own pages."""

import re

import pytest
from django.core import mail
from django.test import Client

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_is_reset_through_the_emailed_link(school_a):
    user = school_a.teacher.user
    client = Client()

    response = client.post("/accounts/password_reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase-9", "new_password2": "a-new-pass-phrase-9"},
        follow=True,
    )
    assert b"Password set" in done.content
    assert Client().login(username=user.username, password="a-new-pass-phrase-9")
    assert not Client().login(username=user.username, password=PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_email(school_a):
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_used_reset_link_is_refused_with_a_way_forward(school_a):
    client = Client()
    client.post("/accounts/password_reset/", {"email": school_a.teacher.user.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-pass-phrase-9", "new_password2": "a-new-pass-phrase-9"},
    )
    again = Client().get(link, follow=True)
    assert b"already been used or has expired" in again.content


def test_a_wrong_password_is_told_and_logging_out_returns_to_login(school_a):
    client = Client()
    wrong = client.post(
        "/accounts/login/", {"username": school_a.leader.user.username, "password": "nope"}
    )
    assert b"did not match" in wrong.content
    assert client.login(username=school_a.leader.user.username, password=PASSWORD)
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == "/accounts/login/"
