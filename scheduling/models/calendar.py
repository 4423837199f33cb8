"""Day types (bell times) and the school calendar."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import time_format
from django.utils.translation import gettext

from students.models import School
from students.models.base import SchoolOwned

from ..solver.clock import minutes_of


def clock(clock_time: datetime.time) -> str:
    """A time as people read it everywhere in the product, through the locale's TIME_FORMAT
    (rocketship/formats): "8 a.m.", "3:15 p.m.", "noon"."""
    return time_format(clock_time)


def time_span(start: datetime.time, end: datetime.time) -> str:
    """A stretch of the day as people read it everywhere in the product, one dash between two
    ``clock`` times: "8:15 a.m.-9 a.m." (the engine's own messages use the same dash)."""
    return gettext("%(start)s-%(end)s") % {"start": clock(start), "end": clock(end)}


class DayType(SchoolOwned):
    """A kind of day with its own bell times: regular day, minimum day, assessment day.

    The rotation covers every cohort from the first block to dismissal; arrival is when staff
    and students may be on campus before that.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="day_types")
    name = models.CharField(max_length=60, help_text="e.g. 'Regular day', 'Minimum day'.")
    arrival = models.TimeField(default=datetime.time(7, 45))
    day_start = models.TimeField(
        "first block", default=datetime.time(8, 0), help_text="When the first block begins."
    )
    dismissal = models.TimeField(default=datetime.time(15, 15))
    passing_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(15)],
        help_text="Minutes a cohort needs to walk between two rooms.",
    )
    granularity_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Blocks start and end on this grid (5 means 8:00, 8:05, ...).",
    )

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="day_type_name_unique_in_school"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.day_start and self.dismissal and self.dismissal <= self.day_start:
            errors["dismissal"] = (
                f"Dismissal ({clock(self.dismissal)}) must come after the first block "
                f"({clock(self.day_start)})."
            )
        if self.arrival and self.day_start and self.day_start < self.arrival:
            errors["day_start"] = (
                f"The first block ({clock(self.day_start)}) cannot start before arrival "
                f"({clock(self.arrival)})."
            )
        step = self.granularity_minutes
        if step and 60 % step:
            errors["granularity_minutes"] = (
                f"The grid must divide an hour evenly (5, 10, 15, ...); {step} minutes does not."
            )
        elif step:
            for name in ("day_start", "dismissal"):
                value = getattr(self, name)
                if value and (minutes_of(value) % step or value.second):
                    errors.setdefault(
                        name, f"{clock(value)} is off the {step}-minute grid of this day type."
                    )
        if errors:
            raise ValidationError(errors)

    @property
    def day_minutes(self) -> int:
        return minutes_of(self.dismissal) - minutes_of(self.day_start)

    @property
    def span(self) -> str:
        return f"{clock(self.day_start)} to {clock(self.dismissal)}"


class CalendarDay(SchoolOwned):
    """One date of a school's calendar: an instructional day of some day type, or no school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="calendar_days")
    date = models.DateField()
    day_type = models.ForeignKey(
        DayType, on_delete=models.PROTECT, null=True, blank=True, related_name="calendar_days"
    )
    instructional = models.BooleanField(
        default=True, help_text="Untick for a holiday or a day without students."
    )
    note = models.CharField(max_length=120, blank=True, help_text="e.g. 'Thanksgiving'.")

    class Meta:
        ordering = ["school", "date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="calendar_day_once_per_school")
        ]

    def __str__(self) -> str:
        kind = self.day_type.name if self.day_type is not None else (self.note or "no school")
        return f"{self.date:%Y-%m-%d} ({kind})"

    def clean(self) -> None:
        super().clean()
        if self.instructional and not self.day_type_id:
            raise ValidationError({"day_type": "An instructional day needs a day type."})
        if not self.instructional and self.day_type_id:
            raise ValidationError(
                {
                    "day_type": "A day without school has no day type: clear it, or mark the day "
                    "instructional."
                }
            )
