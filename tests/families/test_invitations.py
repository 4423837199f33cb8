"""Invitations: a leader invites the guardians of their school's students by email or by a
printed letter (QR code and one-time code); the guardian makes an account from it once, within
30 days; wrong codes and other schools' leaders get nowhere; a roster import invites the
guardians it brings when the school asks for it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from families.access import school_today
from families.invitations import FamilyStatus, family_rows, roster_language
from families.models import FamilyAccount, FamilySchoolSettings, Invitation, InvitationChannel
from families.tokens import CODE_ALPHABET, digest
from students.models import AuditAction, AuditEvent
from students.signals import guardians_imported

from ..conftest import client_for
from ..factories import StudentFactory
from .signin_helpers import GOOD_PASSWORD, emailed, guardian_of, letter, links_in, path_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def families_url(school) -> str:  # type: ignore[no-untyped-def]
    return reverse("school-families", kwargs={"school_id": school.pk})


def invite_url(school, guardian) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "school-family-invite", kwargs={"school_id": school.pk, "guardian_id": guardian.pk}
    )


# --- The leader's page ---------------------------------------------------------------------------


def test_the_leader_sees_each_guardian_and_their_status_and_the_read_is_audited(school_a):
    school = school_a.school
    none = guardian_of(school_a.student, given_name="Rosa", family_name="Ibarra")
    invited = guardian_of(StudentFactory(school=school), given_name="Minh", family_name="Tran")
    emailed(invited, school)
    leader = client_for(school_a.leader.user)

    page = leader.get(families_url(school))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Rosa Ibarra" in text and "Minh Tran" in text
    assert "No invitation" in text and "Invited by email on" in text
    statuses = {row.guardian.pk: row.status for row in family_rows(school=school)}
    assert statuses == {none.pk: FamilyStatus.NONE, invited.pk: FamilyStatus.EMAILED}
    listed = AuditEvent.objects.filter(
        user_id=school_a.leader.user.pk, action=AuditAction.LIST, model="students.student"
    )
    assert school_a.student.pk in {int(e.object_id) for e in listed}


def test_a_teacher_may_not_open_the_families_page_and_another_schools_leader_gets_404(
    school_a, school_b
):
    assert client_for(school_a.teacher.user).get(families_url(school_a.school)).status_code == 403
    assert client_for(school_b.leader.user).get(families_url(school_a.school)).status_code == 404


def test_a_leader_cannot_invite_a_guardian_with_no_child_at_their_school(school_a, school_b):
    guardian = guardian_of(school_a.student)
    leader_b = client_for(school_b.leader.user)

    # Through their own school's URL, and through the other school's.
    assert leader_b.post(invite_url(school_b.school, guardian)).status_code == 404
    assert leader_b.post(invite_url(school_a.school, guardian)).status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_withdrawn_childs_guardian_is_not_on_the_page(school_a):
    yesterday = school_today(school_a.student.school) - datetime.timedelta(days=1)
    gone = StudentFactory(school=school_a.school, enrollment_end=yesterday)
    guardian = guardian_of(gone)
    leader = client_for(school_a.leader.user)

    assert leader.post(invite_url(school_a.school, guardian)).status_code == 404
    assert [row.guardian for row in family_rows(school=school_a.school)] == []


# --- Email invitations ------------------------------------------------------------------------


def test_an_emailed_invitation_makes_an_account_that_signs_in_by_link(
    school_a, django_capture_on_commit_callbacks
):
    guardian = guardian_of(school_a.student, email="rosa@example.org", language="es")
    leader = client_for(school_a.leader.user)

    with django_capture_on_commit_callbacks(execute=True):  # the email leaves after commit
        answer = leader.post(invite_url(school_a.school, guardian), {"channel": "email"})

    assert answer.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa@example.org"]
    [url] = links_in(message)
    token = url.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(guardian=guardian)
    assert invitation.channel == InvitationChannel.EMAIL
    assert invitation.token_digest == digest(token) and token not in invitation.token_digest
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=30)

    family = Client()
    assert family.get(path_of(url)).status_code == 200
    joined = family.post(path_of(url), {"method": "link"})

    assert joined.status_code == 302 and joined.url == reverse("family-home")
    account = FamilyAccount.objects.get(guardian=guardian)
    user = account.user
    assert user.username.startswith(f"family-{guardian.pk}-")
    assert guardian.family_name not in user.username
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert user.email == "rosa@example.org"
    assert family.session["_auth_user_id"] == str(user.pk)
    assert family.session.get_expiry_age() == 60 * 24 * 3600
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_the_invitation_speaks_the_guardians_roster_language(school_a):
    spanish = guardian_of(school_a.student, language="es-MX")
    unknown = guardian_of(school_a.student, language="Klingon")

    assert roster_language(spanish) == "es"
    assert roster_language(unknown) == "en"


def test_a_password_must_pass_the_validators(school_a):
    guardian = guardian_of(school_a.student)
    sent = emailed(guardian, school_a.school)
    family = Client()

    weak = family.post(
        path_of(sent.url), {"method": "password", "password1": "12345678", "password2": "12345678"}
    )
    mismatched = family.post(
        path_of(sent.url),
        {"method": "password", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"},
    )

    assert weak.status_code == 200 and mismatched.status_code == 200
    assert not FamilyAccount.objects.exists()
    good = family.post(
        path_of(sent.url),
        {"method": "password", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert good.status_code == 302
    assert FamilyAccount.objects.get(guardian=guardian).user.check_password(GOOD_PASSWORD)


def test_a_used_link_makes_no_second_account(school_a):
    guardian = guardian_of(school_a.student)
    sent = emailed(guardian, school_a.school)
    Client().post(path_of(sent.url), {"method": "link"})

    replay = Client().post(path_of(sent.url), {"method": "link"})

    assert replay.status_code == 410
    assert FamilyAccount.objects.filter(guardian=guardian).count() == 1
    assert User.objects.filter(username__startswith=f"family-{guardian.pk}-").count() == 1


def test_an_expired_invitation_opens_nothing(school_a):
    guardian = guardian_of(school_a.student)
    sent = emailed(guardian, school_a.school)
    Invitation.objects.filter(pk=sent.invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    family = Client()

    assert family.get(path_of(sent.url)).status_code == 410
    assert family.post(path_of(sent.url), {"method": "link"}).status_code == 410
    assert not FamilyAccount.objects.exists()


def test_a_new_invitation_revokes_the_earlier_one(school_a):
    guardian = guardian_of(school_a.student)
    first = emailed(guardian, school_a.school)
    second = emailed(guardian, school_a.school)

    assert Client().post(path_of(first.url), {"method": "link"}).status_code == 410
    first.invitation.refresh_from_db()
    assert first.invitation.revoked_at is not None
    assert Client().post(path_of(second.url), {"method": "link"}).status_code == 302


def test_an_unknown_token_is_the_same_closed_page(school_a):
    answer = Client().get(reverse("family-join", kwargs={"token": "not-a-token"}))
    assert answer.status_code == 410
    assert "This invitation no longer works" in answer.content.decode()


# --- Letters ------------------------------------------------------------------------------------


def test_a_guardian_without_email_gets_a_printable_letter_with_a_qr_code_and_code(school_a):
    guardian = guardian_of(school_a.student, email="", given_name="Lan", family_name="Pham")
    leader = client_for(school_a.leader.user)

    page = leader.post(invite_url(school_a.school, guardian))

    assert page.status_code == 200
    text = page.content.decode()
    invitation = Invitation.objects.get(guardian=guardian)
    assert invitation.channel == InvitationChannel.LETTER
    assert '<svg role="img"' in text and "Lan Pham" in text
    assert "/family/join/" in text
    assert f">{invitation.pk}<" in text
    assert mail.outbox == []
    assert "size: letter" in (
        open("static/css/family-letter.css").read()  # noqa: SIM115  (the print rules)
    )
    [row] = family_rows(school=school_a.school)
    assert row.status is FamilyStatus.LETTER


def test_a_letter_code_is_eight_unambiguous_characters_kept_as_a_digest(school_a):
    sent = letter(guardian_of(school_a.student, email=""), school_a.school)

    assert len(sent.code) == 8 and set(sent.code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert sent.invitation.code_digest == digest(sent.code)
    assert sent.printed_code == f"{sent.code[:4]}-{sent.code[4:]}"


def test_the_code_typed_at_join_makes_the_account(school_a):
    guardian = guardian_of(school_a.student, email="")
    sent = letter(guardian, school_a.school)
    family = Client()

    typed = family.post(
        reverse("family-join-code"),
        {"letter": sent.invitation.pk, "code": sent.printed_code.lower()},
    )
    assert typed.status_code == 302 and typed.url == reverse("family-join-continue")
    # No email on the roster: sign-in links need one typed here, or a password.
    no_email = family.post(typed.url, {"method": "link"})
    assert no_email.status_code == 200 and not FamilyAccount.objects.exists()
    joined = family.post(
        typed.url,
        {"method": "password", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )

    assert joined.status_code == 302 and joined.url == reverse("family-home")
    account = FamilyAccount.objects.get(guardian=guardian)
    assert account.user.check_password(GOOD_PASSWORD)
    # The same letter works once.
    again = Client().post(
        reverse("family-join-code"), {"letter": sent.invitation.pk, "code": sent.code}
    )
    assert again.status_code == 200 and "do not match" in again.content.decode()


def test_five_wrong_codes_revoke_the_letter_even_for_the_right_code_after(school_a):
    sent = letter(guardian_of(school_a.student, email=""), school_a.school)
    family = Client()
    wrong = "ABCDEFGH" if sent.code != "ABCDEFGH" else "HGFEDCBA"

    answers = [
        family.post(reverse("family-join-code"), {"letter": sent.invitation.pk, "code": wrong})
        for _ in range(5)
    ]

    assert all(a.status_code == 200 for a in answers)
    sent.invitation.refresh_from_db()
    assert sent.invitation.failed_codes == 5 and sent.invitation.revoked_at is not None
    right = family.post(
        reverse("family-join-code"), {"letter": sent.invitation.pk, "code": sent.code}
    )
    assert right.status_code == 200 and "do not match" in right.content.decode()
    assert reverse("family-join-continue") != right.get("Location")
    assert not FamilyAccount.objects.exists()


def test_code_attempts_are_limited_per_address(school_a, settings):
    settings.FAMILY_CODE_LIMIT_PER_ADDRESS = 3
    # Letter numbers that exist or not: every attempt counts against the address.
    sents = [letter(guardian_of(StudentFactory(school=school_a.school)), school_a.school)]
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        guesser.post(
            reverse("family-join-code"), {"letter": sents[0].invitation.pk + n, "code": "ABCDEFGH"}
        ).status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    # Even the right code waits, from that address; another address is not held back.
    right = {"letter": sents[0].invitation.pk, "code": sents[0].code}
    assert guesser.post(reverse("family-join-code"), right).status_code == 429
    assert (
        Client(REMOTE_ADDR="198.51.100.7").post(reverse("family-join-code"), right).status_code
        == 302
    )


def test_a_continue_page_without_a_code_is_closed():
    assert Client().get(reverse("family-join-continue")).status_code == 410


# --- Inviting everyone ------------------------------------------------------------------------


def test_invite_everyone_emails_and_prints_only_those_waiting(
    school_a, django_capture_on_commit_callbacks
):
    school = school_a.school
    with_email = guardian_of(school_a.student, email="a@example.org")
    without_email = guardian_of(StudentFactory(school=school), email="")
    invited = guardian_of(StudentFactory(school=school), email="b@example.org")
    before = emailed(invited, school)
    has_account = guardian_of(StudentFactory(school=school), email="c@example.org")
    FamilyAccount.objects.create(guardian=has_account, user=User.objects.create(username="x"))
    leader = client_for(school_a.leader.user)

    with django_capture_on_commit_callbacks(execute=True):
        page = leader.post(reverse("school-families-invite-all", kwargs={"school_id": school.pk}))

    assert page.status_code == 200  # the letters to print
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert Invitation.objects.get(guardian=with_email).channel == InvitationChannel.EMAIL
    assert Invitation.objects.get(guardian=without_email).channel == InvitationChannel.LETTER
    assert list(Invitation.objects.filter(guardian=invited)) == [before.invitation]
    assert not Invitation.objects.filter(guardian=has_account).exists()


# --- Roster imports ------------------------------------------------------------------------------


def test_imported_guardians_are_invited_only_when_their_school_asks(
    school_a, school_b, django_capture_on_commit_callbacks
):
    asked = guardian_of(school_a.student, email="asked@example.org")
    not_asked = guardian_of(school_b.student, email="other@example.org")
    no_email = guardian_of(StudentFactory(school=school_a.school), email="")
    FamilySchoolSettings.objects.create(school=school_a.school, invite_on_import=True)
    ids = [asked.pk, not_asked.pk, no_email.pk]

    with django_capture_on_commit_callbacks(execute=True):
        guardians_imported.send(sender=None, guardian_ids=ids)
    with django_capture_on_commit_callbacks(execute=True):
        guardians_imported.send(sender=None, guardian_ids=ids)  # an import run again

    assert [m.to for m in mail.outbox] == [["asked@example.org"]]
    invitation = Invitation.objects.get()
    assert (invitation.guardian, invitation.school) == (asked, school_a.school)
    assert invitation.created_by is None


def test_a_roster_import_sends_the_signal_after_it_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    from ..factories import NetworkFactory
    from ..students.test_oneroster_guardians import imported, with_families

    network = NetworkFactory()
    heard: list[list[int]] = []

    def listen(sender, guardian_ids, **kwargs):  # type: ignore[no-untyped-def]
        heard.append(sorted(guardian_ids))

    guardians_imported.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            imported(network, with_families(), tmp_path)
        assert heard == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        guardians_imported.disconnect(listen)

    assert len(heard) == 1
    assert set(heard[0]) == set(network.guardians.values_list("pk", flat=True))
    assert len(heard[0]) == 4


def test_an_import_invites_its_guardians_when_the_school_asks(
    tmp_path, django_capture_on_commit_callbacks
):
    from ..factories import NetworkFactory
    from ..students.test_oneroster_guardians import guardian_row, imported, with_families

    network = NetworkFactory()
    with django_capture_on_commit_callbacks(execute=True):
        imported(network, with_families(), tmp_path)
    assert mail.outbox == []  # no school asked yet
    for school in network.schools.all():
        FamilySchoolSettings.objects.create(school=school, invite_on_import=True)
    export = with_families()
    export.tables["users.csv"].append(guardian_row("1.1", "n1", "parent", "st02"))

    with django_capture_on_commit_callbacks(execute=True):
        imported(network, export, tmp_path)

    # The guardian the import brought; the others were not written by it.
    assert [m.to for m in mail.outbox] == [["n1@home.example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        imported(network, export, tmp_path)  # the same export again: nothing new
    assert len(mail.outbox) == 1


def test_a_guardian_with_an_account_is_not_invited_again(school_a):
    guardian = guardian_of(school_a.student)
    FamilyAccount.objects.create(guardian=guardian, user=User.objects.create(username="fam"))
    leader = client_for(school_a.leader.user)

    answer = leader.post(invite_url(school_a.school, guardian), {"channel": "email"})
    letter_answer = leader.post(invite_url(school_a.school, guardian), {"channel": "letter"})

    assert answer.status_code == letter_answer.status_code == 302
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    [row] = family_rows(school=school_a.school)
    assert row.status is FamilyStatus.ACTIVE and not row.may_invite


def test_the_families_list_reads_in_a_fixed_number_of_queries(school_a, django_assert_num_queries):
    for _ in range(6):
        guardian = guardian_of(StudentFactory(school=school_a.school))
        emailed(guardian, school_a.school)

    with django_assert_num_queries(3):  # guardians with accounts, their children, invitations
        rows = family_rows(school=school_a.school)

    assert len(rows) == 6 and {row.status for row in rows} == {FamilyStatus.EMAILED}
