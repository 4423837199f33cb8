"""A leader cannot change the email (or names) of an account that also works elsewhere.

The attack: the leader of school A, through Setup > Staff, changed the email of a person who
works at A and also leads school B, then took over that account with a password reset. Now
Setup > Staff changes names and emails only of accounts that work at that school alone; others
show read-only with who manages them, and a crafted POST is refused beside the field with
nothing changed. Every email change of a login account is audited and told to the old address.
"""

import html

import pytest
from django.core import mail
from django.urls import reverse

from students.models import AuditAction, AuditEvent, Role
from tests.conftest import client_for
from tests.factories import NetworkAdminFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "attacker@evil.example"


def edit_url(school, staff) -> str:
    return reverse("staff-edit", kwargs={"school_id": school.pk, "staff_id": staff.pk})


def save_data(staff, **overrides) -> dict:
    user = staff.user
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "roles": sorted(staff.role_codes),
        "work_start": "07:45",
        "work_end": "15:45",
        "active": "on",
        "action": "save",
        **overrides,
    }


def test_a_leader_cannot_change_the_email_of_another_schools_leader(school_a, school_b):
    victim = school_b.leader.user  # leads Birch, and also teaches at Alder
    at_a = StaffFactory(school=school_a.school, user=victim, roles=[Role.HUMANITIES])
    old_email = victim.email
    client = client_for(school_a.leader.user)

    response = client.post(edit_url(school_a.school, at_a), save_data(at_a, email=ATTACKER))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "manages this account" in page
    victim.refresh_from_db()
    assert victim.email == old_email
    assert not AuditEvent.objects.filter(model="auth.user").exists()

    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": ATTACKER})
    assert mail.outbox == []


def test_names_of_a_shared_account_are_refused_too_but_the_rest_saves(school_a, school_b):
    victim = school_b.leader.user
    at_a = StaffFactory(school=school_a.school, user=victim, roles=[Role.HUMANITIES])
    client = client_for(school_a.leader.user)

    refused = client.post(edit_url(school_a.school, at_a), save_data(at_a, first_name="Mallory"))
    saved = client.post(
        edit_url(school_a.school, at_a), save_data(at_a, roles=[Role.STEM], work_end="14:00")
    )

    assert refused.status_code == 200
    assert "manages this account" in html.unescape(refused.content.decode())
    assert saved.status_code == 302
    victim.refresh_from_db()
    at_a.refresh_from_db()
    assert victim.first_name != "Mallory"
    assert at_a.role_codes == {Role.STEM}


def test_the_page_shows_a_shared_account_read_only_and_names_only_schools_the_leader_sees(
    school_a, school_b, school_other_network
):
    same_network = StaffFactory(school=school_a.school, user=school_b.leader.user)
    elsewhere = StaffFactory(school=school_a.school, user=school_other_network.leader.user)
    client = client_for(school_a.leader.user)

    shared_page = html.unescape(
        client.get(edit_url(school_a.school, same_network)).content.decode()
    )
    other_page = html.unescape(client.get(edit_url(school_a.school, elsewhere)).content.decode())

    assert 'name="email"' in shared_page and "disabled" in shared_page
    assert "Also works at another school" in shared_page  # the leader does not see Birch
    assert school_b.school.name not in shared_page
    assert "Also works at another school" in other_page
    assert school_other_network.school.name not in other_page


def test_network_admins_and_superusers_are_read_only_to_a_leader(school_a):
    admin = NetworkAdminFactory(network=school_a.school.network, user=UserFactory()).user
    root = UserFactory(is_superuser=True)
    for account in (admin, root):
        member = StaffFactory(school=school_a.school, user=account)
        old_email = account.email

        response = client_for(school_a.leader.user).post(
            edit_url(school_a.school, member), save_data(member, email=ATTACKER)
        )

        assert response.status_code == 200
        account.refresh_from_db()
        assert account.email == old_email


def test_the_network_admin_may_change_a_shared_account_of_their_network(
    school_a, school_b, network_admin, django_capture_on_commit_callbacks
):
    person = school_b.leader.user
    at_a = StaffFactory(school=school_a.school, user=person)
    old_email = person.email

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(network_admin).post(
            edit_url(school_a.school, at_a), save_data(at_a, email="new@example.org")
        )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "new@example.org"
    assert [m.to for m in mail.outbox] == [[old_email]]


def test_an_account_of_this_school_alone_is_changed_audited_and_the_old_address_told(
    school_a, django_capture_on_commit_callbacks
):
    teacher = school_a.teacher
    old_email = teacher.user.email
    leader = school_a.leader.user

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(leader).post(
            edit_url(school_a.school, teacher), save_data(teacher, email="jo@example.org")
        )

    assert response.status_code == 302
    teacher.user.refresh_from_db()
    assert teacher.user.email == "jo@example.org"
    event = AuditEvent.objects.get(model="auth.user", object_id=str(teacher.user.pk))
    assert (event.action, event.detail, event.user_id) == (
        AuditAction.CHANGE,
        {"fields": ["email"]},
        leader.pk,
    )
    assert event.school_id == school_a.school.pk
    assert [m.to for m in mail.outbox] == [[old_email]]
    assert "jo@example.org" not in mail.outbox[0].body


def test_an_account_attached_to_a_second_school_becomes_read_only(school_a, school_b):
    """A leader who attached an account already working at another school (the admin's staff
    form lists accounts of schools they see) still cannot change its email afterwards."""
    leader = school_a.leader.user
    StaffFactory(school=school_b.school, user=leader, roles=[Role.HUMANITIES])  # sees Birch
    colleague = school_b.teacher.user
    response = client_for(leader).post(
        reverse("admin:students_staff_add"),
        {
            "user": colleague.pk,
            "school": school_a.school.pk,
            "active": "on",
            "work_start": "07:45",
            "work_end": "15:45",
            "role_grants-TOTAL_FORMS": "1",
            "role_grants-INITIAL_FORMS": "0",
            "role_grants-0-role": Role.HUMANITIES,
        },
    )
    assert response.status_code == 302, response.content[:500]
    attached = colleague.staff_memberships.get(school=school_a.school)
    old_email = colleague.email

    refused = client_for(leader).post(
        edit_url(school_a.school, attached), save_data(attached, email=ATTACKER)
    )

    assert refused.status_code == 200
    colleague.refresh_from_db()
    assert colleague.email == old_email
    page = html.unescape(refused.content.decode())
    assert f"Also works at {school_b.school.name}" in page  # a school this leader sees


def test_a_leader_cannot_attach_an_account_of_no_school_that_someone_uses(school_a):
    """An account outside every school (a site administrator's helper, say) that has a
    password: attached to the leader's school it would work there alone, so the leader could
    change its email. Only never-used accounts (new hires) can be attached."""
    used = UserFactory(email="reporting@district.example")
    used.set_password("a real password")
    used.save()
    new_hire = UserFactory()
    new_hire.set_unusable_password()
    new_hire.save()
    form = {
        "school": school_a.school.pk,
        "active": "on",
        "work_start": "07:45",
        "work_end": "15:45",
        "role_grants-TOTAL_FORMS": "1",
        "role_grants-INITIAL_FORMS": "0",
        "role_grants-0-role": Role.HUMANITIES,
    }
    leader = client_for(school_a.leader.user)

    refused = leader.post(reverse("admin:students_staff_add"), {**form, "user": used.pk})
    accepted = leader.post(reverse("admin:students_staff_add"), {**form, "user": new_hire.pk})

    assert refused.status_code == 200
    assert "user" in refused.context["adminform"].form.errors
    assert not used.staff_memberships.exists()
    assert accepted.status_code == 302
    assert new_hire.staff_memberships.get().school == school_a.school


def test_the_admin_user_page_is_for_superusers_and_audits_their_email_changes(
    school_a, network_admin, django_capture_on_commit_callbacks
):
    victim = school_a.teacher.user
    old_email = victim.email
    change = reverse("admin:auth_user_change", args=[victim.pk])
    for user in (school_a.leader.user, network_admin):
        assert client_for(user).get(change).status_code == 403
        assert client_for(user).post(change, {"email": ATTACKER}).status_code == 403
    root = UserFactory(is_superuser=True)
    form = client_for(root).get(change).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in ("username", "first_name", "last_name", "is_active") and value is not None
    }
    data.update(email="moved@example.org", date_joined_0="2024-01-01", date_joined_1="00:00:00")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(root).post(change, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    victim.refresh_from_db()
    assert victim.email == "moved@example.org"
    event = AuditEvent.objects.get(model="auth.user", object_id=str(victim.pk))
    assert (event.detail, event.user_id) == ({"fields": ["email"]}, root.pk)
    assert [m.to for m in mail.outbox] == [[old_email]]
