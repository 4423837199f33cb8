"""Built schedules: versioned, one published per school and date, never edited once stored."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from students.models import Cohort, School, Staff
from students.models.base import SchoolOwned

from .calendar import DayType, clock
from .rooms import Room
from .templates import StationCode


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


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
        help_text="Blank for the nightly rebuild.",
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
        return f"{self.cohort} {self.station} {clock(self.start)}-{clock(self.end)}"
