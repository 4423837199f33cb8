"""Inviting guardians to make a family account, and accepting an invitation.

A leader of a school invites the guardians of that school's students: by email when the roster
has their address, else by a printed letter carrying a QR code of the invitation link and a
one-time code to type at ``/family/join/``. The roster import invites, by email, the guardians
it brings when a school of theirs says so (``FamilySchoolSettings.invite_on_import``).

Rules, each enforced here:
- one open invitation per guardian: a new one revokes the earlier ones;
- an invitation is open for ``FAMILY_INVITATION_DAYS`` days, until accepted or revoked;
- ``FAMILY_CODE_FAILURE_LIMIT`` wrong codes typed against one letter revoke it;
- a leader reaches only the guardians of their own school's enrolled students (404 otherwise);
- link tokens and codes are kept as digests only (``families.tokens``).
"""

from __future__ import annotations

import datetime
import enum
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import models as auth_models
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from students.audit import audit_account_change
from students.models import Guardian, School, Student

from .access import school_today
from .language import FALLBACK, normalise
from .models import FamilyAccount, FamilySchoolSettings, Invitation, InvitationChannel
from .tokens import digest, formatted_code, new_code, new_token

logger = logging.getLogger(__name__)
User = get_user_model()


class InvitationClosed(Exception):
    """The invitation was accepted, revoked or has expired, or the guardian has an account."""


class FamilyStatus(enum.StrEnum):
    NONE = "none"
    EMAILED = "emailed"
    LETTER = "letter"
    ACTIVE = "active"


@dataclass(frozen=True)
class GuardianRow:
    """One line of a leader's families page."""

    guardian: Guardian
    children: tuple[Student, ...]
    status: FamilyStatus
    invitation: Invitation | None  # the open one, when invited

    @property
    def may_invite(self) -> bool:
        return self.status is not FamilyStatus.ACTIVE


@dataclass(frozen=True)
class SentInvitation:
    """An invitation just made, with its secrets in the clear: shown once (an email, a letter),
    never stored."""

    invitation: Invitation
    token: str
    code: str  # "" for an email invitation

    @property
    def url(self) -> str:
        return join_url(self.token)

    @property
    def printed_code(self) -> str:
        return formatted_code(self.code) if self.code else ""


def join_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('family-join', kwargs={'token': token})}"


def roster_language(guardian: Guardian) -> str:
    """The language an invitation speaks: the roster's for the guardian, else English."""
    return normalise(guardian.language) or FALLBACK


# --- Reading: the guardians a leader may invite -------------------------------------------------


def _enrolled_on(day: datetime.date) -> Q:
    return Q(enrollment_start__lte=day) & (
        Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=day)
    )


def guardians_of_school(*, school: School) -> QuerySet[Guardian]:
    """Active guardians of ``school``'s students enrolled today."""
    students = Student.objects.filter(_enrolled_on(school_today(school)), school=school)
    return Guardian.objects.filter(
        active=True, network_id=school.network_id, students__in=students
    ).distinct()


def family_rows(*, school: School) -> list[GuardianRow]:
    """Every guardian of ``school`` with their children there and invitation status, in a fixed
    number of queries."""
    now = timezone.now()
    students = Student.objects.filter(_enrolled_on(school_today(school)), school=school)
    guardians = (
        guardians_of_school(school=school)
        .select_related("account")
        .prefetch_related(
            Prefetch("students", queryset=students.order_by("last_name", "first_name")),
            Prefetch(
                "invitations",
                queryset=Invitation.objects.filter(
                    accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
                ),
                to_attr="open_invitations",
            ),
        )
        .order_by("family_name", "given_name", "pk")
    )
    rows = []
    for guardian in guardians:
        open_invitation = guardian.open_invitations[0] if guardian.open_invitations else None
        if _account(guardian) is not None:
            status = FamilyStatus.ACTIVE
        elif open_invitation is None:
            status = FamilyStatus.NONE
        elif open_invitation.channel == InvitationChannel.LETTER:
            status = FamilyStatus.LETTER
        else:
            status = FamilyStatus.EMAILED
        rows.append(GuardianRow(guardian, tuple(guardian.students.all()), status, open_invitation))
    return rows


def guardian_of_school_or_404(*, school: School, guardian_id: int) -> Guardian:
    """A guardian with a child enrolled at ``school``; anyone else (another school's guardian,
    a guess) answers 404."""
    guardian = guardians_of_school(school=school).filter(pk=guardian_id).first()
    if guardian is None:
        raise Http404("No guardian matches the given query.")
    return guardian


def _account(guardian: Guardian) -> FamilyAccount | None:
    try:
        return guardian.account
    except FamilyAccount.DoesNotExist:
        return None


# --- Writing: sending -----------------------------------------------------------------------------


def invitation_create(
    *,
    guardian: Guardian,
    school: School,
    by: auth_models.User | None,
    channel: str,
    via: str,
) -> SentInvitation:
    """A new open invitation for ``guardian`` (revoking their earlier open ones); a letter's
    gets a one-time code. Refused (``InvitationClosed``) when the guardian has an account."""
    now = timezone.now()
    with transaction.atomic():
        guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
        if FamilyAccount.objects.filter(guardian=guardian).exists():
            raise InvitationClosed("This guardian already has an account.")
        Invitation.objects.filter(
            guardian=guardian, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        token = new_token()
        code = new_code() if channel == InvitationChannel.LETTER else ""
        invitation = Invitation.objects.create(
            guardian=guardian,
            school=school,
            channel=channel,
            token_digest=digest(token),
            code_digest=digest(code) if code else "",
            created_by=by if by is not None and by.is_authenticated else None,
            created_at=now,
            expires_at=now + datetime.timedelta(days=settings.FAMILY_INVITATION_DAYS),
        )
        audit_account_change(
            user=by, account=invitation, via=via, changed_fields=["channel"], school_id=school.pk
        )
    logger.info(
        "family invitation id=%s guardian_id=%s school_id=%s channel=%s",
        invitation.pk,
        guardian.pk,
        school.pk,
        channel,
    )
    return SentInvitation(invitation, token, code)


def invitation_email(
    *, guardian: Guardian, school: School, by: auth_models.User | None, via: str
) -> SentInvitation:
    """Invite ``guardian`` by email, in their roster language; the email leaves once the
    invitation is committed."""
    if not guardian.email:
        raise ValueError("an email invitation needs the guardian's email")
    sent = invitation_create(
        guardian=guardian, school=school, by=by, channel=InvitationChannel.EMAIL, via=via
    )
    transaction.on_commit(lambda: _send_invitation_email(guardian, school, sent))
    return sent


def _send_invitation_email(guardian: Guardian, school: School, sent: SentInvitation) -> None:
    with translation.override(roster_language(guardian)):
        context = {
            "guardian": guardian,
            "school": school,
            "url": sent.url,
            "expires_at": sent.invitation.expires_at,
        }
        subject = render_to_string("families/signin/invitation_subject.txt", context).strip()
        body = render_to_string("families/signin/invitation_email.txt", context)
    send_mail(subject, body, None, [guardian.email])


def invitations_letters(
    *, guardians: Sequence[Guardian], school: School, by: auth_models.User | None, via: str
) -> list[SentInvitation]:
    """Letters for ``guardians`` (one invitation each, with a one-time code), to print now:
    the codes are in no other place."""
    sent = []
    for guardian in guardians:
        try:
            sent.append(
                invitation_create(
                    guardian=guardian,
                    school=school,
                    by=by,
                    channel=InvitationChannel.LETTER,
                    via=via,
                )
            )
        except InvitationClosed:
            continue
    return sent


def invite_uninvited(
    *, school: School, by: auth_models.User | None, via: str
) -> tuple[int, list[SentInvitation]]:
    """Invite every guardian of ``school`` with no account and no open invitation: emails to
    those with an address (sent by a task), letters for the others (returned, to print).
    Returns how many emails were queued and the letters."""
    rows = [row for row in family_rows(school=school) if row.status is FamilyStatus.NONE]
    by_email = [row.guardian.pk for row in rows if row.guardian.email]
    letters = invitations_letters(
        guardians=[row.guardian for row in rows if not row.guardian.email],
        school=school,
        by=by,
        via=via,
    )
    if by_email:
        from .invitation_tasks import invite_by_email_task

        by_id = by.pk if by is not None and by.is_authenticated else None
        transaction.on_commit(lambda: invite_by_email_task.delay(by_email, school.pk, by_id, via))
    return len(by_email), letters


def invitations_email_many(
    *, guardian_ids: Iterable[int], school_id: int, by_id: int | None, via: str
) -> int:
    """The task's work: email an invitation to each of ``guardian_ids`` still without an
    account or an open invitation (safe to run twice). Returns how many were sent."""
    school = School.objects.get(pk=school_id)
    by = User._default_manager.filter(pk=by_id).first() if by_id else None
    now = timezone.now()
    waiting = (
        guardians_of_school(school=school)
        .filter(pk__in=list(guardian_ids), account__isnull=True)
        .exclude(email="")
        .exclude(
            invitations__in=Invitation.objects.filter(
                accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            )
        )
    )
    count = 0
    for guardian in waiting:
        try:
            invitation_email(guardian=guardian, school=school, by=by, via=via)
        except InvitationClosed:
            continue
        count += 1
    return count


def invite_imported(*, guardian_ids: Sequence[int]) -> dict[int, list[int]]:
    """Which of the imported ``guardian_ids`` to invite by email, by school: those with an email
    and neither an account nor an open invitation, through the first school of theirs (by id)
    whose leaders asked for invitations on import."""
    now = timezone.now()
    schools = set(
        FamilySchoolSettings.objects.filter(invite_on_import=True).values_list(
            "school_id", flat=True
        )
    )
    if not schools:
        return {}
    candidates = (
        Guardian.objects.filter(pk__in=guardian_ids, active=True, account__isnull=True)
        .exclude(email="")
        .exclude(
            invitations__in=Invitation.objects.filter(
                accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            )
        )
        .prefetch_related("students__school")
    )
    plan: dict[int, list[int]] = {}
    for guardian in candidates:
        theirs = sorted(
            {
                s.school_id
                for s in guardian.students.all()
                if s.school_id in schools and _enrolled_now(s)
            }
        )
        if theirs:
            plan.setdefault(theirs[0], []).append(guardian.pk)
    return plan


def _enrolled_now(student: Student) -> bool:
    today = school_today(student.school)
    return student.enrollment_start <= today and (
        student.enrollment_end is None or today <= student.enrollment_end
    )


def invite_on_import(school: School) -> bool:
    found = FamilySchoolSettings.objects.filter(school=school).first()
    return bool(found and found.invite_on_import)


def invite_on_import_set(*, school: School, on: bool) -> None:
    FamilySchoolSettings.objects.update_or_create(school=school, defaults={"invite_on_import": on})


# --- Accepting ------------------------------------------------------------------------------------


def open_invitation_by_token(token: str) -> Invitation | None:
    """The open invitation ``token`` opens, else None (unknown, used, revoked, expired)."""
    found = (
        Invitation.objects.select_related("guardian", "school")
        .filter(token_digest=digest(token))
        .first()
    )
    if found is None or not found.open_at(timezone.now()):
        return None
    return found


class CodeResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    CLOSED = "closed"  # no such letter, or it is no longer open


def invitation_check_code(*, letter_number: int, code: str) -> tuple[CodeResult, Invitation | None]:
    """Check a code typed from letter ``letter_number``: a wrong one counts against that letter,
    and the ``FAMILY_CODE_FAILURE_LIMIT``-th revokes it."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(pk=letter_number, channel=InvitationChannel.LETTER)
            .first()
        )
        if invitation is None or not invitation.open_at(now):
            return CodeResult.CLOSED, None
        if secrets.compare_digest(digest(code), invitation.code_digest):
            return CodeResult.OK, invitation
        invitation.failed_codes += 1
        fields = ["failed_codes"]
        if invitation.failed_codes >= settings.FAMILY_CODE_FAILURE_LIMIT:
            invitation.revoked_at = now
            fields.append("revoked_at")
            logger.warning("family invitation id=%s revoked: too many wrong codes", invitation.pk)
        invitation.save(update_fields=fields)
    return (CodeResult.CLOSED if invitation.revoked_at else CodeResult.WRONG), None


def _username_for(guardian: Guardian) -> str:
    # From ids, never from names: usernames reach logs and the audit trail.
    return f"family-{guardian.pk}-{secrets.token_hex(2)}"


def password_problems(password: str, guardian: Guardian) -> list[str]:
    """Django's password validators' messages for ``password`` (empty: acceptable)."""
    from django.core.exceptions import ValidationError

    probe = User(first_name=guardian.given_name, last_name=guardian.family_name)
    probe.email = guardian.email
    try:
        validate_password(password, probe)
    except ValidationError as error:
        return list(error.messages)
    return []


def invitation_accept(
    *, invitation_id: int, password: str | None, email: str = ""
) -> FamilyAccount:
    """Make the guardian's account from an open invitation: a user with no staff membership,
    with ``password`` or, when None, an unusable one (they sign in by emailed links).
    ``email`` is where links go; blank keeps the roster's. Refused with ``InvitationClosed``."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("guardian")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or not invitation.open_at(now):
            raise InvitationClosed("This invitation is no longer open.")
        guardian = invitation.guardian
        if not guardian.active or FamilyAccount.objects.filter(guardian=guardian).exists():
            raise InvitationClosed("This guardian already has an account.")
        user = User(
            username=_username_for(guardian),
            first_name=guardian.given_name[:150],
            last_name=guardian.family_name[:150],
            email=(email or guardian.email).strip(),
            is_staff=False,
            is_superuser=False,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        account = FamilyAccount.objects.create(guardian=guardian, user=user)
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
        # Other open invitations of this guardian (a letter and an email) end here too.
        Invitation.objects.filter(
            guardian=guardian, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
    logger.info(
        "family account id=%s made from invitation id=%s guardian_id=%s",
        account.pk,
        invitation.pk,
        guardian.pk,
    )
    return account
