"""The one shape of a background job: a row a worker claims, runs and finishes.

Build jobs, nightly runs, progress imports and roster imports are all *jobs*: a row is queued
(its task sent when the row commits), a worker *claims* it (``running``, one more attempt),
and it ends in one of its kind's finished states with a message. Each kind keeps its own state
names for what a finished job means (``succeeded``, ``published``, ``applied``, ...), but all
share ``queued``, ``running`` and ``failed`` and the fields below, so one set of helpers
(``students.jobs``) claims, finishes and sweeps every kind the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

QUEUED = "queued"
RUNNING = "running"
FAILED = "failed"
ACTIVE_JOB_STATES = (QUEUED, RUNNING)


class Job(models.Model):
    """Fields and notions every job kind shares. A kind overrides ``state`` with its own
    choices (which include ``queued``, ``running`` and ``failed``)."""

    # The text field that says why a job failed (``message``, or ``error`` for the kinds whose
    # pages and API have always called it so).
    message_field: ClassVar[str] = "message"

    state = models.CharField(max_length=12, default=QUEUED)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many times a worker took it up (retries and redeliveries).")
    )
    queued_at = models.DateTimeField(
        default=timezone.now, help_text=_("When it was (last) handed to the workers.")
    )
    # The sweeper moves ``queued_at`` on when it queues a lost job again (its staleness counts
    # from there); this keeps when the job was first asked for.
    first_queued_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When it was first handed to the workers; a re-queue keeps it."),
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    if TYPE_CHECKING:
        # Every kind has Django's default manager; declared here for the helpers that take
        # ``type[Job]`` (django-stubs gives an abstract model none).
        objects: ClassVar[models.Manager[Self]]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.first_queued_at is None:
            self.first_queued_at = self.queued_at
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "first_queued_at"}
        super().save(*args, **kwargs)

    @property
    def requeued(self) -> bool:
        """Queued again by the sweeper after its worker was lost (at least once)."""
        return (
            self.first_queued_at is not None
            and self.queued_at is not None
            and self.queued_at > self.first_queued_at
        )

    @property
    def lost(self) -> bool:
        """Its worker died and it is coming back, but is not running again yet: shown as
        "lost, running again" instead of its state (``students.jobs.job_is_lost``)."""
        from ..jobs import job_is_lost

        return self.active and job_is_lost(self)

    @property
    def state_label(self) -> str:
        """The state as people read it: "Lost, running again" while ``lost``."""
        if self.lost:
            return str(_("Lost, running again"))
        display = getattr(self, "get_state_display", None)
        return str(display() if display is not None else self.state)

    @property
    def active(self) -> bool:
        """Queued or running: a worker has it, or will."""
        return self.state in ACTIVE_JOB_STATES

    @property
    def finished(self) -> bool:
        return not self.active

    @property
    def looks_lost(self) -> bool:
        """Queued or running for longer than its kind allows: its worker was lost. The sweeper
        runs it again or fails it; a page stops polling meanwhile."""
        from ..jobs import job_is_stale

        return self.active and job_is_stale(self)

    @property
    def polling(self) -> bool:
        """Whether its page keeps asking for news: only while a worker may still answer."""
        return self.active and not self.looks_lost

    @property
    def failure_message(self) -> str:
        return str(getattr(self, self.message_field, "") or "")

    def files_to_delete(self) -> list[str]:
        """The names of this job's file fields to delete once it has finished (uploads that
        hold student data); none unless a kind says otherwise."""
        return []
