"""Built schedules: versioned, one published per school and date, never edited once stored."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.models import ApiClient, Cohort, School, Staff
from students.models.base import SchoolOwned

from .calendar import DayType, time_span
from .rooms import Room
from .templates import StationCode


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class BuildOrigin(models.TextChoices):
    """What built a version: a page says it in the leader's words ("Built by ...")."""

    PERSON = "person", _("A person")
    API_CLIENT = "api_client", _("An API client")
    NIGHTLY = "nightly", _("Nightly rebuild")
    DEMO_SETUP = "demo_setup", _("Demo setup")
    # The build_schedules command or a script run on the server: no person or client asked.
    COMMAND = "command", _("Server command")


class Schedule(SchoolOwned):
    """One school's plan for one date, one version of it. Publishing a version supersedes the
    published one in the same transaction; the database refuses two published at once."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="schedules")
    date = models.DateField()
    day_type = models.ForeignKey(DayType, on_delete=models.PROTECT, related_name="schedules")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=ScheduleStatus.choices, default=ScheduleStatus.DRAFT
    )
    built_at = models.DateTimeField(default=timezone.now)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person who built it, when one did.",
    )
    built_by_client = models.ForeignKey(
        ApiClient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The API client whose token asked for the build, when one did.",
    )
    built_via = models.CharField(
        max_length=12,
        choices=BuildOrigin.choices,
        blank=True,
        help_text="What built it; blank for versions built before this was recorded.",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    input_fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the problem it was built from."
    )
    solver_stats = models.JSONField(
        default=dict, blank=True, help_text="status, objective, bound, gap, wall_seconds"
    )
    moved_blocks = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blocks changed against the last published day."
    )
    recovery = models.JSONField(
        null=True,
        blank=True,
        help_text="The absence recovery option this day uses (kind, who moves, why), if any.",
    )
    carried_forward_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A draft copied from this published day because the night's rebuild failed "
        "and nothing was published for the date.",
    )

    class Meta:
        ordering = ["school", "-date", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "date", "version"], name="schedule_version_once"
            ),
            # Two concurrent publishes cannot both win: the second insert or update fails.
            models.UniqueConstraint(
                fields=["school", "date"],
                condition=Q(status=ScheduleStatus.PUBLISHED),
                name="one_published_schedule_per_school_date",
            ),
        ]
        indexes = [models.Index(fields=["school", "day_type", "status", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} v{self.version} ({self.get_status_display()})"

    @property
    def builder(self) -> str:
        """Who built this version, as a page says it: the person's name, the API client's
        name, the nightly rebuild, the demo setup or a server command ("—" when unrecorded)."""
        if self.built_by is not None:
            return self.built_by.get_full_name() or self.built_by.get_username()
        if self.built_by_client is not None:
            return gettext("%(client)s (API client)") % {"client": self.built_by_client.name}
        # A nightly, demo or command build; or a person or client deleted since: say which.
        return str(BuildOrigin(self.built_via).label) if self.built_via else "—"


class ScheduledBlock(models.Model):
    """One block of a cohort's day in a stored schedule."""

    school_scope: ClassVar[str] = "schedule__school"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="blocks")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="scheduled_blocks")
    station = models.CharField(max_length=16, choices=StationCode.choices)
    start = models.TimeField()
    end = models.TimeField()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="scheduled_blocks"
    )
    # A block has at most one staff member (the validator's H4).
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="scheduled_blocks"
    )

    class Meta:
        ordering = ["schedule", "cohort", "start"]
        indexes = [
            models.Index(fields=["schedule", "cohort"]),
            models.Index(fields=["schedule", "staff"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="scheduled_block_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort} {self.station} {time_span(self.start, self.end)}"
