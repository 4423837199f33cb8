"""Guardians: the parents, guardians and relatives the roster links to students.

A guardian belongs to the network (their children may be at several of its schools), never to
a school, and is never staff: no login account, no role, no school membership. The roster's
``agentSourcedIds`` link them to their children in both directions. A guardian a full export
no longer lists is made inactive, never deleted, like staff.
"""

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .people import Student
from .schools import Network


class GuardianRelationship(models.TextChoices):
    """The OneRoster role the guardian holds (the roster says no more about the relationship)."""

    PARENT = "parent", _("Parent")
    GUARDIAN = "guardian", _("Guardian")
    RELATIVE = "relative", _("Relative")


class Guardian(models.Model):
    # Seen by whoever may see one of their children's schools; a guardian with no child
    # linked is seen by superusers only.
    school_scope: ClassVar[str] = "students__school"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="guardians")
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=255)
    given_name = models.CharField(_("given name"), max_length=120, blank=True)
    family_name = models.CharField(_("family name"), max_length=120, blank=True)
    relationship = models.CharField(
        _("relationship"),
        max_length=16,
        choices=GuardianRelationship.choices,
        default=GuardianRelationship.GUARDIAN,
    )
    # As the export writes them: SIS exports carry phone numbers in every format.
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    sms = models.CharField(_("SMS number"), max_length=64, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=35,
        blank=True,
        help_text=_("From the export's metadata (en, es, vi); else blank."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive: no longer in the roster; the history stays."),
    )
    students = models.ManyToManyField(
        Student, blank=True, related_name="guardians", verbose_name=_("children")
    )

    class Meta:
        ordering = ["network", "family_name", "given_name", "sourced_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "sourced_id"],
                condition=~Q(sourced_id=""),
                name="guardian_sourced_id_unique_in_network",
            )
        ]

    def __str__(self) -> str:
        # Ids only: this string reaches logs and audit lines, where names must never appear.
        return f"Guardian {self.sourced_id or self.pk}"
