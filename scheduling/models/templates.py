"""Rotation templates (what each grade's day is made of) and leaders' pins."""

from collections.abc import Iterable
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext

from students.models import Cohort, Grade, Role, School
from students.models.base import SchoolOwned

from ..solver.clock import grade_name, minutes_of
from ..solver.rules import cannot_split, day_gap, day_gap_message
from ..time_grid import length_errors, span_errors
from .calendar import CalendarDay, DayType, clock, time_span


class StationCode(models.TextChoices):
    LAUNCH = "launch", "Launch (whole school)"
    LITERACY = "literacy", "Literacy / humanities"
    MATH = "math", "Math / STEM"
    LAB = "lab", "Learning Lab"
    FLEX = "flex", "Flexible block"
    ELD = "eld", "English language development"
    SPECIALS = "specials", "Specials (PE, art, music)"
    LUNCH = "lunch", "Lunch"
    RECESS = "recess", "Recess"


STATION_ORDER = {code: index for index, code in enumerate(StationCode.values)}


class Venue(models.TextChoices):
    """Where a station takes place; the values are the solver's ``Venue``."""

    STAFF_ROOM = "staff_room", "The room of the staff member who teaches it"
    HOMEROOM = "homeroom", "The cohort's homeroom"
    LAB = "lab", "The Learning Lab serving the grade"
    CAFETERIA = "cafeteria", "The cafeteria"
    GYM = "gym", "The gym"
    OUTDOORS = "outdoors", "Outdoors (no room)"


def day_fill_error(
    *, grade: Grade, day_type: DayType, stations: Iterable[tuple[int, int]]
) -> str | None:
    """Why stations of (minutes, max blocks) cannot fill ``day_type``'s day, or None (the rule
    is ``solver.rules.day_gap``, the same the pre-checks apply); no stations yet is no finding,
    and a station whose number of blocks is not entered yet counts as one block."""
    stations = [(minutes, max(blocks, 1)) for minutes, blocks in stations]
    if not stations:
        return None
    passing, day = day_type.passing_minutes, day_type.day_minutes
    gap = day_gap(stations, day_minutes=day, passing=passing)
    if gap is None:
        return None
    return day_gap_message(
        grade_name(grade.level), gap, passing=passing, day=day_type.span, day_minutes=day
    )


class RotationTemplate(SchoolOwned):
    """What one grade's day of one day type is made of: its stations and their minutes."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="rotation_templates")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="rotation_templates")
    day_type = models.ForeignKey(
        DayType, on_delete=models.PROTECT, related_name="rotation_templates"
    )

    class Meta:
        ordering = ["school", "day_type__name", "grade__level"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade", "day_type"], name="rotation_template_once_per_grade_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grade}, {self.day_type}"

    def clean(self) -> None:
        super().clean()
        if getattr(self, "stations_checked_by_formset", False):
            return  # the admin checks the stations as entered, before they are saved
        if not self.pk or not self.grade_id or not self.day_type_id:
            return  # a new template has no stations yet
        message = day_fill_error(
            grade=self.grade,
            day_type=self.day_type,
            stations=self.stations.values_list("minutes", "max_blocks"),
        )
        if message:
            raise ValidationError(message)


class TemplateStation(models.Model):
    """One station of a template: its minutes, the blocks they come in, where and when."""

    school_scope: ClassVar[str] = "template__school"

    template = models.ForeignKey(
        RotationTemplate, on_delete=models.CASCADE, related_name="stations"
    )
    code = models.CharField("station", max_length=16, choices=StationCode.choices)
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text="Minutes of this station every cohort of the grade gets each day.",
    )
    block_min = models.PositiveSmallIntegerField(
        "shortest block", validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    block_max = models.PositiveSmallIntegerField(
        "longest block", validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    block_step = models.PositiveSmallIntegerField(
        "block length step",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Block lengths go up in steps of this many minutes.",
    )
    max_blocks = models.PositiveSmallIntegerField(
        "at most this many blocks",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1 means the station is never split.",
    )
    venue = models.CharField(max_length=16, choices=Venue.choices, default=Venue.HOMEROOM)
    staff_role = models.CharField(
        max_length=16,
        choices=Role.choices,
        blank=True,
        help_text="The role that teaches it; blank for a station without staff (lunch, lab).",
    )
    window_start = models.TimeField(
        null=True, blank=True, help_text="For a fixed event (lunch, recess): earliest start."
    )
    window_end = models.TimeField(null=True, blank=True, help_text="Latest end of the event.")
    preferred_start = models.TimeField(null=True, blank=True)
    preferred_end = models.TimeField(
        null=True, blank=True, help_text="Where the leader would like it (literacy mornings)."
    )
    avoid_right_after = models.CharField(
        max_length=16,
        choices=StationCode.choices,
        blank=True,
        help_text="Rather not start right after this station (math after lunch).",
    )

    class Meta:
        ordering = ["template", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="station_once_per_template")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.minutes} minutes)"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        code = self.code
        if self.block_min and self.block_max and self.block_min > self.block_max:
            errors["block_max"] = (
                f"{code}'s longest block ({self.block_max} minutes) is shorter than its "
                f"shortest ({self.block_min} minutes)."
            )
        elif (
            self.minutes
            and self.block_min
            and self.block_max
            and self.max_blocks
            and (
                split := cannot_split(
                    code,
                    self.minutes,
                    self.block_min,
                    self.block_max,
                    self.block_step,
                    self.max_blocks,
                )
            )
        ):
            errors["minutes"] = split
        if self.venue == Venue.STAFF_ROOM and not self.staff_role:
            errors["staff_role"] = (
                f"{code} takes place in its teacher's room, so it needs a staff role."
            )
        if self.avoid_right_after and self.avoid_right_after == code:
            errors["avoid_right_after"] = f"{code} cannot avoid following itself."
        # A field's own finding (65 minutes cannot be made of these blocks) says more than
        # its grid check, so it keeps the place beside the field.
        for field, message in self._window_errors().items():
            errors.setdefault(field, message)
        if errors:
            raise ValidationError(errors)

    def _window_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        code = self.code
        for kind in ("window", "preferred"):
            start, end = getattr(self, f"{kind}_start"), getattr(self, f"{kind}_end")
            label = "window" if kind == "window" else "preferred time"
            if (start is None) != (end is None):
                errors[f"{kind}_end" if end is None else f"{kind}_start"] = (
                    f"Give both ends of {code}'s {label}, or neither."
                )
            elif start is not None and end <= start:
                errors[f"{kind}_end"] = (
                    f"{code}'s {label} must end after it starts ({clock(start)})."
                )
        if errors:
            return errors
        template = (
            self.template if self.template_id or TemplateStation.template.is_cached(self) else None
        )
        day_type = template.day_type if template and template.day_type_id else None
        if day_type is not None:
            errors.update(self._grid_errors(day_type))
        # One end without the other is already an error above.
        if errors or self.window_start is None or self.window_end is None:
            return errors
        start, end = self.window_start, self.window_end
        span = time_span(start, end)
        if day_type and (start < day_type.day_start or end > day_type.dismissal):
            errors["window_end" if end > day_type.dismissal else "window_start"] = (
                f"the {code} window {span} would put a block outside the day ({day_type.span})."
            )
        elif self.minutes and minutes_of(end) - minutes_of(start) < self.minutes:
            errors["window_end"] = (
                f"the {code} window {span} is shorter than {code}'s {self.minutes} minutes."
            )
        return errors

    def _grid_errors(self, day_type: DayType) -> dict[str, str]:
        """Lengths and times on the day type's grid, which the engine counts in."""
        errors = length_errors(
            {
                "minutes": self.minutes,
                "block_min": self.block_min,
                "block_max": self.block_max,
                "block_step": self.block_step,
            },
            grid=day_type.granularity_minutes,
        )
        for kind, label in (
            ("window", gettext("The window")),
            ("preferred", gettext("The preferred time")),
        ):
            errors.update(
                span_errors(
                    getattr(self, f"{kind}_start"),
                    getattr(self, f"{kind}_end"),
                    day_type=day_type,
                    fields=(f"{kind}_start", f"{kind}_end"),
                    label=label,
                    within_day=False,  # the day's edges are checked below in their own words
                )
            )
        return errors

    @property
    def window_minutes(self) -> tuple[int, int] | None:
        if self.window_start is None or self.window_end is None:
            return None
        return minutes_of(self.window_start), minutes_of(self.window_end)


class Pin(SchoolOwned):
    """A leader's fixed choice that every build keeps: this cohort at this station at this time,
    on one date, or (without a date) on every day of a day type."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pins")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="pins")
    station = models.CharField(max_length=16, choices=StationCode.choices)
    date = models.DateField(
        null=True, blank=True, help_text="Leave blank to pin every day of the day type."
    )
    day_type = models.ForeignKey(
        DayType, on_delete=models.PROTECT, null=True, blank=True, related_name="pins"
    )
    start = models.TimeField()
    end = models.TimeField(null=True, blank=True, help_text="Blank: any allowed block length.")

    class Meta:
        ordering = ["school", "date", "start", "id"]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        when = f"{self.date:%Y-%m-%d}" if self.date else str(self.day_type)
        return f"{self.cohort} {self.station} at {clock(self.start)} ({when})"

    def clean(self) -> None:
        super().clean()
        if self.end and self.start and self.end <= self.start:
            raise ValidationError(
                {"end": f"The pin must end after it starts ({clock(self.start)})."}
            )
        if not self.date and not self.day_type_id:
            raise ValidationError({"day_type": "Give a date, or a day type to pin every such day."})
        day_type = self.resolved_day_type()
        if day_type is None or not self.cohort_id or not self.start:
            return
        off_grid = span_errors(
            self.start,
            self.end,
            day_type=day_type,
            fields=("start", "end"),
            label=gettext("The pin"),
            within_day=False,
        )
        if off_grid:
            raise ValidationError(off_grid)
        template = (
            RotationTemplate.objects.filter(grade_id=self.cohort.grade_id, day_type=day_type)
            .prefetch_related("stations")
            .first()
        )
        codes = {s.code for s in template.stations.all()} if template else set()
        if self.station and self.station not in codes:
            grade = grade_name(self.cohort.grade.level)
            raise ValidationError(
                {
                    "station": f"{self.cohort} is in {grade}, whose {day_type.name} template "
                    f"has no {self.station} station."
                }
            )
        end = self.end or self.start
        if (
            self.start < day_type.day_start
            or end > day_type.dismissal
            or (self.start >= day_type.dismissal)
        ):
            field = "start" if self.start < day_type.day_start or not self.end else "end"
            span = time_span(self.start, self.end) if self.end else clock(self.start)
            raise ValidationError({field: f"A pin at {span} is outside the day ({day_type.span})."})

    def resolved_day_type(self) -> DayType | None:
        """The pin's day type, or the day type of its date in the calendar."""
        if self.day_type_id or self.date is None:
            # Without a date the pin names its day type (clean refuses a pin with neither).
            return self.day_type
        day = (
            CalendarDay.objects.filter(school_id=self.school_id, date=self.date)
            .select_related("day_type")
            .first()
        )
        if day is None or day.day_type is None:
            raise ValidationError(
                {"date": f"{date_format(self.date)} is not an instructional day in the calendar."}
            )
        return day.day_type
