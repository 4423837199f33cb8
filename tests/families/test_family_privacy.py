"""A guardian sees their own children and nobody else's: another family's child, a guessed id
and a withdrawn child answer 404 by page and by every JSON endpoint; staff have no family
pages; every read of a child is in the audit trail; a group never names its other members."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from students.models import AuditAction, AuditEvent, Student

from ..factories import StaffFactory
from .world import DATE, FamilyWorld, family_world, school_today


@pytest.fixture
def world(db) -> FamilyWorld:  # type: ignore[no-untyped-def]
    return family_world()


def child_urls(student_id: int) -> list[str]:
    """Every family URL that reads one child."""
    return [
        reverse("family-child", args=[student_id]) + f"?date={DATE.isoformat()}",
        reverse("family-child-week", args=[student_id]) + f"?date={DATE.isoformat()}",
        reverse("family-api-child-day", args=[student_id]) + f"?date={DATE.isoformat()}",
        reverse("family-api-child-progress", args=[student_id]),
    ]


def reads_of(student: Student) -> int:
    return AuditEvent.objects.filter(model="students.student", object_id=str(student.pk)).count()


def test_a_guardian_gets_404_for_another_familys_child_by_page_and_json(world, client):
    client.force_login(world.account_a.user)

    for url in child_urls(world.bruno.pk):
        assert client.get(url).status_code == 404, url
    assert reads_of(world.bruno) == 0


def test_a_guessed_id_is_404_like_any_other_child(world, client):
    client.force_login(world.account_a.user)
    unknown = Student.objects.order_by("-pk").first().pk + 1000

    for url in child_urls(unknown):
        assert client.get(url).status_code == 404, url


def test_the_other_family_sees_their_own_child_but_not_ours(world, client):
    client.force_login(world.account_b.user)

    assert client.get(child_urls(world.bruno.pk)[0]).status_code == 200
    for child in (world.ana, world.tomas):
        for url in child_urls(child.pk):
            assert client.get(url).status_code == 404, url


def test_access_ends_the_day_after_the_withdrawal(world, client):
    client.force_login(world.account_a.user)
    today = school_today(world.ana)

    world.ana.enrollment_end = today
    world.ana.save(update_fields=["enrollment_end"])
    assert client.get(child_urls(world.ana.pk)[0]).status_code == 200

    world.ana.enrollment_end = today - datetime.timedelta(days=1)
    world.ana.save(update_fields=["enrollment_end"])
    for url in child_urls(world.ana.pk):
        assert client.get(url).status_code == 404, url
    children = client.get(reverse("family-api-children")).json()["children"]
    assert [c["first_name"] for c in children] == ["Tomas"]
    assert client.get(reverse("family-home")).status_code == 302  # straight to Tomas


def test_staff_get_404_on_every_family_page(world, client):
    teacher = StaffFactory(school=world.ana.school)
    client.force_login(teacher.user)

    for url in [
        reverse("family-home"),
        reverse("family-api-children"),
        *child_urls(world.ana.pk),
    ]:
        assert client.get(url).status_code == 404, url
    assert reads_of(world.ana) == 0


def test_anonymous_visitors_are_sent_to_sign_in_and_read_nothing(world, client):
    for url in child_urls(world.ana.pk):
        response = client.get(url)
        assert response.status_code == 302, url
    assert reads_of(world.ana) == 0


@pytest.mark.parametrize("index", range(4))
def test_every_read_of_a_child_is_audited_with_the_guardians_user(world, client, index):
    client.force_login(world.account_a.user)
    url = child_urls(world.ana.pk)[index]

    assert client.get(url).status_code == 200

    event = AuditEvent.objects.get(
        model="students.student", object_id=str(world.ana.pk), action=AuditAction.VIEW
    )
    assert event.user_id == world.account_a.user.pk
    assert url.split("?")[0] in event.via
    assert event.special_education  # Ana has an IEP


def test_the_service_need_read_on_the_page_is_audited_too(world, client):
    client.force_login(world.account_a.user)

    client.get(child_urls(world.ana.pk)[0])

    assert AuditEvent.objects.filter(
        model="students.serviceneed", user=world.account_a.user, special_education=True
    ).exists()


def test_no_answer_about_ana_names_the_classmate_in_her_reading_group(world, client):
    client.force_login(world.account_a.user)

    for url in child_urls(world.ana.pk):
        body = client.get(url).content.decode()
        assert "Luis Diaz" in body or "progress" in url, url
        assert "Bruno" not in body and "Zeller" not in body, url
        assert world.bruno.local_id not in body, url


def test_the_children_list_holds_only_the_guardians_children(world, client):
    client.force_login(world.account_a.user)

    children = client.get(reverse("family-api-children")).json()["children"]

    assert sorted(c["id"] for c in children) == sorted([world.ana.pk, world.tomas.pk])
    assert reads_of(world.bruno) == 0


def test_an_inactive_guardian_has_no_family_pages(world, client):
    world.guardian_a.active = False
    world.guardian_a.save(update_fields=["active"])
    client.force_login(world.account_a.user)

    for url in [reverse("family-home"), *child_urls(world.ana.pk)]:
        assert client.get(url).status_code == 404, url
