"""A guardian's account, their invitations and sign-in links, and the notices sent to them.

A guardian (``students.Guardian``, from the roster) is not a login. An invitation, sent by email
or printed as a letter with a QR code and a one-time code, lets them make a ``FamilyAccount``: a
Django user with no staff membership, tied to exactly one guardian. Tokens and codes are stored
only as SHA-256 digests: a database dump lets nobody sign in.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from students.models import Guardian, School


class NoticeChoice(models.TextChoices):
    EACH = "each", _("A message for each change")
    DIGEST = "digest", _("One message a day with every change")
    OFF = "off", _("No messages")


class FamilyAccount(models.Model):
    """One guardian's login. ``language`` is the one they chose on the page; blank means the
    roster's (``Guardian.language``), and English when the roster has none."""

    # A guardian's children may be at several schools: the account is scoped through them.
    school_scope = "guardian__students__school"

    guardian = models.OneToOneField(Guardian, on_delete=models.PROTECT, related_name="account")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_account"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    notices = models.CharField(
        _("messages about changes"),
        max_length=8,
        choices=NoticeChoice.choices,
        default=NoticeChoice.EACH,
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # Ids only: this reaches logs and the audit trail.
        return f"Family account {self.pk}"


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Printed letter")


class Invitation(models.Model):
    """An invitation for one guardian to make their account, sent by a leader of one of their
    children's schools (or by the roster import). The link's token and the letter's one-time
    code are kept as digests; accepting, revoking or expiring ends it."""

    school_scope = "school"

    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="invitations")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=InvitationChannel.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    code_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Wrong one-time codes tried against this invitation: past a limit it is revoked.
    failed_codes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} for guardian {self.guardian_id}"

    def open_at(self, moment) -> bool:  # type: ignore[no-untyped-def]
        return self.accepted_at is None and self.revoked_at is None and moment < self.expires_at


class SignInLink(models.Model):
    """A one-use, short-lived link emailed to a guardian who signs in without a password."""

    account = models.ForeignKey(FamilyAccount, on_delete=models.CASCADE, related_name="links")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in link {self.pk}"


class FamilyNotice(models.Model):
    """What one published day changed for one child, owed to one guardian account: sent at once,
    or kept for the day's digest (``sent_at`` empty until then). Holds ids and times, no names:
    the message is written in the guardian's language when it is sent."""

    account = models.ForeignKey(
        FamilyAccount, on_delete=models.CASCADE, related_name="notices_owed"
    )
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    schedule_id = models.PositiveIntegerField(help_text="The published version that moved blocks.")
    changes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "student", "schedule_id"], name="family_notice_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Notice {self.pk}"


class FamilySchoolSettings(models.Model):
    """A school's choices about family accounts, set by its leaders on the families page."""

    school_scope = "school"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="family_settings")
    invite_on_import = models.BooleanField(
        _("invite guardians with an email when a roster import adds them"),
        default=False,
        help_text=_(
            "Guardians of this school's students who have an email and no account or open "
            "invitation get one by email after each roster import."
        ),
    )

    def __str__(self) -> str:
        return f"Family settings of school {self.school_id}"


from .visit_models import *  # noqa: E402,F403  (home visits)
