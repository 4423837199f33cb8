"""Deactivating a user ends every session they hold, at once."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from students.models import UserSession
from students.services import user_deactivate

from ..conftest import client_for

pytestmark = pytest.mark.django_db


def test_deactivating_a_user_ends_their_sessions(school_a, django_capture_on_commit_callbacks):
    teacher = school_a.teacher.user
    laptop, phone = client_for(teacher), client_for(teacher)
    other = client_for(school_a.leader.user)
    assert UserSession.objects.filter(user=teacher).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=teacher)

    for client in (laptop, phone):
        response = client.get(reverse("school-detail", args=[school_a.school.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not UserSession.objects.filter(user=teacher).exists()
    assert Session.objects.count() == 1  # the leader's
    assert other.get(reverse("school-detail", args=[school_a.school.pk])).status_code == 200


def test_deactivating_through_the_admin_ends_sessions_too(
    school_a, django_capture_on_commit_callbacks
):
    teacher = school_a.teacher.user
    client_for(teacher)
    teacher.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        teacher.save()
    assert not Session.objects.exists()


def test_logging_out_forgets_the_session(school_a):
    client = client_for(school_a.teacher.user)
    client.post(reverse("logout"))
    assert not UserSession.objects.exists()
