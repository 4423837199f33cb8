"""Roster imports: a OneRoster CSV export handed over by a leader, a command or an API client.

One row per import: the file (kept for the record and for a later apply of a reviewed dry run),
whether it was a dry run, what it would change or changed (counts and the per-object diff) and,
when rejected, every error with its file, row and column. Rows are never deleted: they are the
history of how a network's rosters got here.
"""

from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rocketship.uploads import UploadStorage

from .jobs import Job
from .schools import Network


def upload_storage() -> Storage:
    return UploadStorage("roster_imports")


# A page lists this many errors or diff lines; the counts always cover everything.
MAX_STORED_LINES = 2000


class RosterImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    REVIEWED = "reviewed", _("Dry run done")
    APPLIED = "applied", _("Applied")
    UNCHANGED = "unchanged", _("Nothing to change")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


ACTIVE_ROSTER_STATES = (RosterImportState.QUEUED, RosterImportState.RUNNING)


class RosterImport(Job):
    """A roster import is a job (``students.jobs``): claimed by a worker, finished once, and
    swept when its worker is lost."""

    school_scope = "network__schools"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="roster_imports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Blank for a command or a nightly job."),
    )
    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="%Y/%m/", storage=upload_storage, max_length=255)
    dry_run = models.BooleanField(default=True)
    state = models.CharField(
        max_length=12, choices=RosterImportState.choices, default=RosterImportState.QUEUED
    )
    version = models.CharField(max_length=8, blank=True, help_text=_("OneRoster 1.1 or 1.2."))
    modes = models.JSONField(default=dict, blank=True, help_text=_("file -> bulk, delta or absent"))
    counts = models.JSONField(
        default=dict, blank=True, help_text=_("kind -> created / updated / ended / restored")
    )
    changes = models.JSONField(default=list, blank=True, help_text=_("The diff, line by line."))
    errors = models.JSONField(default=list, blank=True, help_text=_("file, row, column, reason"))
    warnings = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    cohort_preview = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "A dry run's candidates for the classes that define cohorts "
            "(students.oneroster.cohort_sources)."
        ),
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["network", "-created_at"])]

    def __str__(self) -> str:
        return f"Roster import {self.pk} ({self.get_state_display()})"

    def files_to_delete(self) -> list[str]:
        """The export holds students' names: it is deleted when the import ends, except by a
        dry run that waits to be applied (applying it reads the same file)."""
        if self.dry_run and self.state == RosterImportState.REVIEWED:
            return []
        return ["file"]
