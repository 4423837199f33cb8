"""A deactivated user's sessions end, including one rotated by a password change, and
reactivating the user does not bring any of them back."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from students.models import UserSession
from students.services import user_deactivate

from ..conftest import client_for
from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-pass-phrase-9"


def signed_in(client: Client, school) -> bool:
    response = client.get(reverse("school-detail", args=[school.pk]))
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
        return False
    assert response.status_code == 200
    return True


def change_password(client: Client) -> None:
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302


def test_a_session_rotated_by_a_password_change_is_remembered_under_its_new_key(school_a):
    teacher = school_a.teacher.user
    laptop = client_for(teacher)
    before = laptop.session.session_key
    change_password(laptop)
    after = laptop.session.session_key
    assert after != before
    assert set(UserSession.objects.filter(user=teacher).values_list("session_key", flat=True)) == {
        after
    }
    assert signed_in(laptop, school_a.school)  # the password change kept the laptop signed in


def test_deactivating_ends_every_session_and_reactivating_revives_none(
    school_a, django_capture_on_commit_callbacks
):
    teacher = school_a.teacher.user
    laptop = client_for(teacher)
    change_password(laptop)  # the laptop's session now has a new key (others would end here)
    phone = Client()
    assert phone.login(username=teacher.username, password=NEW_PASSWORD)
    assert signed_in(laptop, school_a.school) and signed_in(phone, school_a.school)
    cookies = {c: c.cookies["sessionid"].value for c in (laptop, phone)}

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=teacher)
    assert not Session.objects.filter(session_key__in=cookies.values()).exists()
    assert not signed_in(laptop, school_a.school) and not signed_in(phone, school_a.school)

    teacher.refresh_from_db()
    teacher.is_active = True
    with django_capture_on_commit_callbacks(execute=True):
        teacher.save()
    for client, key in cookies.items():
        client.cookies["sessionid"] = key  # the old cookie, kept by an attacker
        assert not signed_in(client, school_a.school)
    # Signing in again works as usual.
    assert Client().login(username=teacher.username, password=NEW_PASSWORD)


def test_deactivating_through_the_admin_ends_a_rotated_session(
    school_a, django_capture_on_commit_callbacks
):
    teacher = school_a.teacher.user
    laptop = client_for(teacher)
    change_password(laptop)
    key = laptop.cookies["sessionid"].value
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = admin.get(reverse("admin:auth_user_change", args=[teacher.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in {"password", "groups", "user_permissions", "is_active"} and value is not None
    }
    data.update({"date_joined_0": "2026-01-05", "date_joined_1": "08:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    with django_capture_on_commit_callbacks(execute=True):
        saved = admin.post(reverse("admin:auth_user_change", args=[teacher.pk]), data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    teacher.refresh_from_db()
    assert not teacher.is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert not signed_in(laptop, school_a.school)
