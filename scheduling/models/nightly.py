"""Nightly runs: one row per school per night, the record of that night's rebuild.

The beat's fan-out creates a school's row for the night (at most one, by a unique index) and
queues its rebuild when the row commits; the rebuild claims the row, and publishes and finishes
it in one transaction, so a row says exactly what happened: which version went out, that the
inputs had not changed, or why nothing was published (and what was kept or carried forward). A
sweeper re-queues rows whose task went missing. Rows are kept as the history leaders read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from students.models import School
from students.models.base import SchoolOwned
from students.models.jobs import Job

from .schedules import Schedule


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PUBLISHED = "published", "Published"
    UNCHANGED = "unchanged", "Unchanged"
    FAILED = "failed", "Not published"


ACTIVE_RUN_STATES = (RunState.QUEUED, RunState.RUNNING)
FINISHED_RUN_STATES = (RunState.PUBLISHED, RunState.UNCHANGED, RunState.FAILED)


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly"
    MANUAL = "manual", "Run by hand"


class Fallback(models.TextChoices):
    """What a school has for the date when its rebuild published nothing."""

    NONE = "", "-"
    KEPT = "kept", "Last published version kept"
    CARRIED_FORWARD = "carried_forward", "Carried forward as a draft"
    NOTHING = "nothing", "No schedule"


class NightlyRun(SchoolOwned, Job):
    """A nightly run is a job (``students.jobs``): claimed by a worker, finished once, and
    swept when its worker is lost."""

    message_field = "error"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="nightly_runs")
    night = models.DateField(help_text="The school's local date when the run was started.")
    date = models.DateField(help_text="The instructional day rebuilt.")
    trigger = models.CharField(max_length=8, choices=RunTrigger.choices, default=RunTrigger.NIGHTLY)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    schedule = models.ForeignKey(
        Schedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nightly_runs",
        help_text="The version published (or found unchanged), or the carried-forward draft.",
    )
    baseline = models.ForeignKey(
        Schedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The published day the new version was compared with (whose teachers to tell).",
    )
    fallback = models.CharField(
        max_length=16, choices=Fallback.choices, default=Fallback.NONE, blank=True
    )
    input_fingerprint = models.CharField(max_length=64, blank=True)
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="Why nothing was published: code, message, suggestion, setting of each reason.",
    )
    error = models.TextField(blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When leaders and teachers were told (once per run)."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-night", "school", "-queued_at"]
        constraints = [
            # Two beats, or a beat restarted mid-fan-out, still make one nightly run a night.
            models.UniqueConstraint(
                fields=["school", "night"],
                condition=Q(trigger="nightly"),
                name="one_nightly_run_per_school_night",
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.night:%Y-%m-%d} rebuild of {self.date:%Y-%m-%d} ({self.get_state_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)

    @property
    def why_not(self) -> str:
        """One line on why nothing was published (empty when something was)."""
        if self.state != RunState.FAILED:
            return ""
        if self.error:
            return self.error
        # Each reason's message is a sentence of its own.
        return " ".join(r.get("message", "") for r in self.reasons) or "No schedule was found."
