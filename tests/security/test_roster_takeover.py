"""A network admin's roster import cannot take over an account outside their network.

The attack: an export whose staff row carries the username of the site's superuser (or of
another network's admin or staff member) and the attacker's email. Before, the import matched
the username across the whole site, rewrote that account's email, and a password reset then
handed the account over. Now such a row gets its own account with a network-scoped username,
and the other account is left exactly as it was.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from students.models import AuditAction, AuditEvent, RosterImport, RosterImportState, Staff
from students.oneroster.imports import roster_import_run
from tests.conftest import client_for
from tests.factories import NetworkAdminFactory, StaffFactory, UserFactory
from tests.students.oneroster_files import small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
ATTACKER = "attacker@evil.example"


def export_naming(**usernames: str):
    """The small school's export with teacher rows (t1, t2) given these usernames and the
    attacker's email."""
    export = small_school()
    for sourced_id, username in usernames.items():
        row = export.row("users.csv", sourced_id)
        row["username"] = username
        row["email"] = ATTACKER
    return export


def upload_and_run(client, network, export, *, dry_run: bool) -> RosterImport:
    form: dict[str, object] = {"file": SimpleUploadedFile("roster.zip", export.zip_bytes())}
    if dry_run:
        form["dry_run"] = "on"
    response = client.post(reverse("roster-imports", args=[network.pk]), form)
    assert response.status_code == 302, response.content[:300]
    record = RosterImport.objects.order_by("-pk").first()
    assert record is not None
    ran = roster_import_run(import_id=record.pk, today=TODAY)
    assert ran is not None
    return ran


def post_api(client, network, export, *, dry_run: bool) -> RosterImport:
    response = client.post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {
            "file": SimpleUploadedFile("roster.zip", export.zip_bytes()),
            "dry_run": "true" if dry_run else "false",
        },
    )
    assert response.status_code == 202, response.content[:300]
    ran = roster_import_run(import_id=response.json()["id"], today=TODAY)
    assert ran is not None
    return ran


def test_an_import_naming_the_superuser_gives_that_row_its_own_account(school_a, network_admin):
    superuser = UserFactory(username="root", email="root@rocketship.example", is_superuser=True)
    network = school_a.school.network
    client = client_for(network_admin)

    record = upload_and_run(client, network, export_naming(t1="root"), dry_run=False)

    assert record.state == RosterImportState.APPLIED, (record.message, record.errors)
    superuser.refresh_from_db()
    assert superuser.email == "root@rocketship.example"
    assert superuser.is_superuser and superuser.has_usable_password()
    assert not Staff.objects.filter(user=superuser).exists()
    member = Staff.objects.select_related("user").get(school__network=network, sourced_id="t1")
    assert member.user != superuser
    assert member.user.username == f"{network.slug}.root"
    assert member.user.email == ATTACKER
    assert any(
        w["file"] == "users.csv" and w["column"] == "username" and "root" in w["reason"]
        for w in record.warnings
    ), record.warnings

    # The password reset the attack ended with reaches no account: the superuser's address is
    # not the attacker's, and the row's own account has no password to reset.
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": ATTACKER})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_api_cannot_adopt_another_networks_admin_or_staff(
    school_a, school_other_network, network_admin
):
    other_admin = NetworkAdminFactory(
        network=school_other_network.school.network, user=UserFactory(username="coast-admin")
    ).user
    other_staff = school_other_network.teacher.user
    before = {u.pk: (u.email, u.first_name, u.last_name) for u in (other_admin, other_staff)}
    network = school_a.school.network
    export = export_naming(t1=other_admin.username, t2=other_staff.username)

    dry = post_api(client_for(network_admin), network, export, dry_run=True)
    assert dry.state == RosterImportState.REVIEWED, dry.errors
    assert not [c for c in dry.changes if c["kind"] == "account"]
    record = post_api(client_for(network_admin), network, export, dry_run=False)

    assert record.state == RosterImportState.APPLIED, (record.message, record.errors)
    for user in (other_admin, other_staff):
        user.refresh_from_db()
        assert (user.email, user.first_name, user.last_name) == before[user.pk]
        assert not Staff.objects.filter(user=user, school__network=network).exists()
    usernames = set(
        Staff.objects.filter(school__network=network, sourced_id__in=["t1", "t2"]).values_list(
            "user__username", flat=True
        )
    )
    assert usernames == {f"bay.{other_admin.username}", f"bay.{other_staff.username}"}

    # The re-import finds its own accounts again and changes nothing.
    again = post_api(client_for(network_admin), network, export, dry_run=True)
    assert again.state == RosterImportState.UNCHANGED, again.changes


def test_an_account_that_also_works_elsewhere_is_not_adopted(
    school_a, school_other_network, network_admin
):
    shared = StaffFactory(school=school_other_network.school, user=UserFactory(username="pat")).user
    network = school_a.school.network

    record = upload_and_run(
        client_for(network_admin), network, export_naming(t1="pat"), dry_run=False
    )

    shared.refresh_from_db()
    assert record.state == RosterImportState.APPLIED
    assert shared.email == "pat@example.org"
    assert Staff.objects.get(sourced_id="t1", school__network=network).user.username == "bay.pat"


def test_the_dry_run_lists_every_account_it_adopts_and_an_email_change_is_audited_and_told(
    school_a, network_admin, django_capture_on_commit_callbacks
):
    # A teacher of this network, made by hand before the first import: adopted by username.
    teacher = school_a.teacher.user
    network = school_a.school.network
    export = export_naming(t1=teacher.username)
    export.row("orgs.csv", "s1")["name"] = school_a.school.name  # the school is adopted by name
    old_email = teacher.email

    mail.outbox.clear()
    # The dry run runs the apply and rolls it back: the email change it tries is neither kept,
    # nor audited, nor told to the old address.
    with django_capture_on_commit_callbacks(execute=True):
        dry = upload_and_run(client_for(network_admin), network, export, dry_run=True)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(model="auth.user", object_id=str(teacher.pk)).exists()

    adopted = [c for c in dry.changes if c["kind"] == "account"]
    assert adopted == [
        {
            "kind": "account",
            "action": "adopt",
            "sourced_id": "t1",
            "label": teacher.username,
            "fields": ["email", "first_name", "last_name"],
        }
    ]
    teacher.refresh_from_db()
    assert teacher.email == old_email

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record = upload_and_run(client_for(network_admin), network, export, dry_run=False)

    assert record.state == RosterImportState.APPLIED, record.errors
    teacher.refresh_from_db()
    assert teacher.email == ATTACKER
    assert Staff.objects.get(school=school_a.school, sourced_id="t1").user == teacher
    event = AuditEvent.objects.get(model="auth.user", object_id=str(teacher.pk))
    assert event.action == AuditAction.CHANGE
    assert event.detail == {"fields": ["email"]}
    assert event.user_id == network_admin.pk
    assert teacher.first_name not in str(event.detail) + event.via
    assert [m.to for m in mail.outbox] == [[old_email]]
    assert teacher.username in mail.outbox[0].body
    assert get_user_model().objects.filter(email=ATTACKER).count() == 1
