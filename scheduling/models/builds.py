"""Build jobs: one leader's request to build one date, followed from the queue to its answer.

A job is the row a leader watches while the build runs (in a Celery worker, or in-process when
there is no Redis): its state, the phase the service has reached, and at the end either the
stored schedule or the engine's reasons why none exists (or the error that stopped it).
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from students.models import School
from students.models.base import SchoolOwned

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

# A job still queued or running after the task's hard time limit (plus time to reach a worker)
# was lost with its worker: it no longer blocks a new build of its date, and its page says so.
ABANDONED_AFTER = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5 * 60)


def phase_percent(phase: str, *, finished: bool = False) -> int:
    """The share of the build's steps completed, as a whole percent: the solver reports no
    progress of its own, so this counts finished steps rather than guessing time."""
    if finished:
        return 100
    return round(100 * BUILD_PHASES.index(BuildPhase(phase)) / len(BUILD_PHASES))


class BuildJob(SchoolOwned):
    """A request to build one school's schedule for one date, and what came of it."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="build_jobs")
    date = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["school", "-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "date", "state"])]

    def __str__(self) -> str:
        return f"build {self.date:%Y-%m-%d} ({self.get_state_display()})"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_BUILD_STATES

    @property
    def progress_key(self) -> str:
        """Changes whenever the page of this job would: the polling page sends it back."""
        return f"{self.state}:{self.phase}"

    @property
    def looks_abandoned(self) -> bool:
        """Still queued or running long after any task could: its worker was lost."""
        return self.active and timezone.now() - self.created_at > ABANDONED_AFTER

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
