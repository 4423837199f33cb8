"""The audit trail and the sessions a user holds.

``AuditEvent`` is append-only: the model refuses updates and deletes, and on PostgreSQL a
trigger refuses them too, so even a shell or a bug cannot rewrite who saw a student's record.
It holds ids and field names, never names or values.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..errors import RecordIsPermanent


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    LIST = "list", _("Listed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    WITHDRAW = "withdraw", _("Withdrew")
    DENIED = "denied", _("Denied (outside the user's schools)")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise RecordIsPermanent(gettext("The audit trail is append-only."))

    def delete(self) -> Any:
        raise RecordIsPermanent(gettext("The audit trail is append-only."))


class AuditEvent(models.Model):
    school_scope: ClassVar[str] = "school"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint: the trail outlives users and schools and is never cascaded.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=12, choices=AuditAction.choices)
    model = models.CharField(max_length=60, help_text=_("app_label.model of the record"))
    object_id = models.CharField(max_length=64)
    school = models.ForeignKey(
        "students.School",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    via = models.CharField(max_length=200, help_text=_("The page, endpoint or command used."))
    special_education = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["model", "object_id"]),
            models.Index(fields=["school", "at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.model}#{self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RecordIsPermanent(gettext("The audit trail is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RecordIsPermanent(gettext("The audit trail is append-only."))


class UserSession(models.Model):
    """The sessions a user logged in with, so deactivating the user can end every one of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
