"""Build jobs: one leader's request to build one date, followed from the queue to its answer.

A job is the row a leader watches while the build runs (in a Celery worker, or in-process when
there is no Redis): its state, the phase the service has reached, and at the end either the
stored schedule or the engine's reasons why none exists (or the error that stopped it).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from students.models import ApiClient, School
from students.models.base import SchoolOwned
from students.models.jobs import Job

from .schedules import Schedule


class BuildState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Built"
    INFEASIBLE = "infeasible", "No schedule possible"
    FAILED = "failed", "Failed"


ACTIVE_BUILD_STATES = (BuildState.QUEUED, BuildState.RUNNING)


class BuildPhase(models.TextChoices):
    """The steps of a build in the order the service goes through them."""

    LOADING = "loading", "Loading configuration"
    SOLVING = "solving", "Solving"
    VALIDATING = "validating", "Validating"
    STORING = "storing", "Storing"


BUILD_PHASES = tuple(BuildPhase)


def phase_percent(phase: str, *, finished: bool = False) -> int:
    """The share of the build's steps completed, as a whole percent: the solver reports no
    progress of its own, so this counts finished steps rather than guessing time."""
    if finished:
        return 100
    return round(100 * BUILD_PHASES.index(BuildPhase(phase)) / len(BUILD_PHASES))


class BuildJob(SchoolOwned, Job):
    """A request to build one school's schedule for one date, and what came of it: a job
    (``students.jobs``) claimed by a worker, finished once, swept when its worker is lost."""

    message_field = "error"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="build_jobs")
    date = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by_client = models.ForeignKey(
        ApiClient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="build_jobs",
        help_text="The API client whose token asked for the build, if any.",
    )
    state = models.CharField(max_length=12, choices=BuildState.choices, default=BuildState.QUEUED)
    phase = models.CharField(max_length=12, choices=BuildPhase.choices, blank=True)
    percent = models.PositiveSmallIntegerField(
        default=0, help_text="Share of the build's steps completed."
    )
    schedule = models.ForeignKey(
        Schedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="build_jobs"
    )
    unchanged = models.BooleanField(
        default=False, help_text="The configuration matched an existing version; none was added."
    )
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="Why no schedule exists: code, message, suggestion, setting of each reason.",
    )
    recovery_options = models.JSONField(
        default=list,
        blank=True,
        help_text="When staff are out: the recovery options found, best ranked first.",
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["school", "-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "date", "state"])]

    def __str__(self) -> str:
        return f"build {self.date:%Y-%m-%d} ({self.get_state_display()})"

    @property
    def timed_out(self) -> bool:
        """No schedule because the engine stopped at its time limit: not a proof that none
        exists, so never shown as "No schedule possible"."""
        return self.state == BuildState.INFEASIBLE and any(
            isinstance(r, dict) and r.get("code") == "time-limit" for r in self.reasons
        )

    @property
    def state_label(self) -> str:
        if self.timed_out:
            return str(_("Stopped at the time limit"))
        return super().state_label

    @property
    def progress_key(self) -> str:
        """Changes whenever the page of this job would: the polling page sends it back."""
        return f"{self.state}:{self.phase}"

    @property
    def looks_abandoned(self) -> bool:
        """Still queued or running long after any task could: its worker was lost (the
        sweeper builds it again or fails it)."""
        return self.looks_lost

    @property
    def steps_done(self) -> int:
        return sum(1 for _, where in self.phases if where == "done")

    @property
    def phases(self) -> list[tuple[str, str]]:
        """Each step with how far it is: ``done``, ``current``, ``stopped`` (where a build that
        found no schedule or failed ended), ``skipped`` or ``pending``."""
        reached = BUILD_PHASES.index(BuildPhase(self.phase)) if self.phase else -1
        rows = []
        for index, phase in enumerate(BUILD_PHASES):
            if index > reached and self.unchanged:
                where = "skipped"  # the configuration matched a stored version
            elif self.state == BuildState.SUCCEEDED or index < reached:
                where = "done"
            elif index == reached and self.active:
                where = "current"
            elif index == reached:
                where = "stopped"
            else:
                where = "pending"
            rows.append((phase.label, where))
        return rows
