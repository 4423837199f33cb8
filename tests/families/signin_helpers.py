"""Helpers of the account tests (invitations, sign-in, guardians kept out): a guardian of a
school's student, and the secrets an email or a letter carries."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from families.invitations import SentInvitation, invitation_create
from families.models import FamilyAccount, InvitationChannel
from students.models import Guardian, School, Student

from ..factories import PASSWORD, GuardianFactory, UserFactory

GOOD_PASSWORD = "violet-canyon-47-lantern"


def guardian_of(student: Student, **fields: object) -> Guardian:
    return GuardianFactory.create(network=student.school.network, students=[student], **fields)


def family_account(guardian: Guardian, *, email: str | None = None) -> FamilyAccount:
    """A guardian's account with the test password (``factories.PASSWORD``)."""
    user = UserFactory.create(
        username=f"family-{guardian.pk}-test",
        email=guardian.email if email is None else email,
        first_name=guardian.given_name,
        last_name=guardian.family_name,
    )
    return FamilyAccount.objects.create(guardian=guardian, user=user)


def signed_in(account: FamilyAccount) -> Client:
    client = Client()
    assert client.login(username=account.user.get_username(), password=PASSWORD)
    return client


def letter(guardian: Guardian, school: School) -> SentInvitation:
    return invitation_create(
        guardian=guardian, school=school, by=None, channel=InvitationChannel.LETTER, via="test"
    )


def emailed(guardian: Guardian, school: School) -> SentInvitation:
    return invitation_create(
        guardian=guardian, school=school, by=None, channel=InvitationChannel.EMAIL, via="test"
    )


def links_in(message: mail.EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", str(message.body))


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
