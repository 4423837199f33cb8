"""Stage-2 lab plans: what each student does, segment by segment, in a schedule's lab and
flexible blocks.

A plan belongs to one schedule version and is stored with it, in the same transaction, so a
published schedule's plan is published too and never edited afterwards: a new plan is a new
version. *Groups* are a tutor or a service provider with their students for one segment;
*segments* cover every present student's lab and flexible minutes (program time names its
program; tutoring and services name their group). A plan that could not meet every service
minute keeps its ``shortfalls``: whose, which service, who could have delivered it, how short.
"""

from typing import ClassVar

from django.db import models
from django.db.models import Q

from students.models import ServiceKind, ServiceNeed, Staff, Student

from .calendar import time_span
from .rooms import LabZone, Room
from .schedules import Schedule


class ActivityKind(models.TextChoices):
    PROGRAM = "program", "Program time"
    TUTORING = "tutoring", "Tutoring"
    SERVICE = "service", "Service"


class LabPlan(models.Model):
    school_scope: ClassVar[str] = "schedule__school"

    schedule = models.OneToOneField(Schedule, on_delete=models.CASCADE, related_name="lab_plan")
    solver_stats = models.JSONField(default=dict, blank=True)
    shortfalls = models.JSONField(
        default=list,
        blank=True,
        help_text="Service minutes not met: student, service, kind, providers, due, met.",
    )
    input_fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the stage-2 inputs it was built from."
    )

    def __str__(self) -> str:
        return f"Lab plan of {self.schedule}"

    @property
    def complete(self) -> bool:
        return not self.shortfalls

    @property
    def missing_minutes(self) -> int:
        return sum(row["due"] - row["met"] for row in self.shortfalls)


class LabGroup(models.Model):
    """One adult and their students for one segment: a tutoring or a service group."""

    school_scope: ClassVar[str] = "plan__schedule__school"

    plan = models.ForeignKey(LabPlan, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveIntegerField(help_text="The group's number within its plan.")
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    start = models.TimeField()
    end = models.TimeField()
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="lab_groups")
    service_kind = models.CharField(max_length=16, choices=ServiceKind.choices, blank=True)
    subject = models.CharField(max_length=16, blank=True)
    # Where it meets: a room (a resource room, a free classroom) or a zone of a lab.
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="lab_groups"
    )
    zone = models.ForeignKey(
        LabZone, on_delete=models.PROTECT, null=True, blank=True, related_name="lab_groups"
    )

    class Meta:
        ordering = ["plan", "start", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="lab_group_number_once"),
            models.CheckConstraint(
                condition=~Q(kind=ActivityKind.PROGRAM), name="lab_group_not_program_time"
            ),
            models.CheckConstraint(
                condition=Q(room__isnull=True) | Q(zone__isnull=True),
                name="lab_group_one_place",
            ),
        ]
        indexes = [models.Index(fields=["plan", "staff"])]

    def __str__(self) -> str:
        return f"Group {self.number} {time_span(self.start, self.end)}"

    @property
    def place(self) -> Room | LabZone | None:
        """Where the group meets (select ``room`` and ``zone__lab`` to read it without queries)."""
        return self.room or self.zone


class LabSegment(models.Model):
    """One student's session: one activity for a stretch of a lab or flexible block."""

    school_scope: ClassVar[str] = "plan__schedule__school"

    plan = models.ForeignKey(LabPlan, on_delete=models.CASCADE, related_name="segments")
    # Read through (plan, student); a lone index on student would only slow the bulk insert.
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="lab_segments", db_index=False
    )
    start = models.TimeField()
    end = models.TimeField()
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    program = models.ForeignKey(
        "learninglabs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_segments",
        db_index=False,
    )
    group = models.ForeignKey(
        LabGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="segments"
    )
    # A need edited or removed later must not rewrite what a published plan delivered.
    service = models.ForeignKey(
        ServiceNeed,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lab_segments",
        db_index=False,
    )
    subject = models.CharField(max_length=16, blank=True)
    # Program time in a lab: the computer zone the student sits in (blank: the block's room).
    zone = models.ForeignKey(
        LabZone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_segments",
        db_index=False,
    )

    class Meta:
        ordering = ["plan", "student", "start"]
        indexes = [models.Index(fields=["plan", "student", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="lab_segment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(kind=ActivityKind.PROGRAM, group__isnull=True)
                | (~Q(kind=ActivityKind.PROGRAM) & Q(group__isnull=False)),
                name="lab_segment_group_unless_program_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.kind} {time_span(self.start, self.end)}"

    @property
    def place(self) -> Room | LabZone | None:
        """Where the student is: their group's place, or the computer zone of program time
        (``None``: the block's own room)."""
        # A null foreign key reads as None without a query, as the id test did.
        return self.group.place if self.group is not None else self.zone
