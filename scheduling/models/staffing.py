"""Who teaches whom and where, lab supervision, absences and the school's scheduling settings."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.models import Cohort, Role, School, Staff
from students.models.base import SchoolOwned

from ..solver.clock import minutes_of
from ..time_grid import span_errors
from .calendar import CalendarDay, DayType, clock, time_span
from .rooms import Room, RoomKind
from .templates import StationCode

# Roles whose teachers need a stretch of prep each day (H7); aides and tutors have none.
PREP_ROLES = frozenset({Role.HUMANITIES, Role.STEM, Role.SPECIALS, Role.SPED})


class TeachingRoom(SchoolOwned):
    """The room a staff member teaches in: a station held in "the teacher's room" happens here."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="teaching_rooms")
    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="teaching_room")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="teachers")

    class Meta:
        ordering = ["school", "room__name"]

    def __str__(self) -> str:
        return f"{self.staff} teaches in {self.room}"


class StaffingAssignment(SchoolOwned):
    """Who may staff one station for one cohort: one teacher, or several for the engine to pick
    from (two specials teachers shared by the whole school)."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="staffing_assignments"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="staffing")
    station = models.CharField(max_length=16, choices=StationCode.choices)
    staff = models.ManyToManyField(
        Staff, related_name="staffing_assignments", help_text="One or more candidates."
    )

    class Meta:
        ordering = ["school", "cohort__name", "station"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "station"], name="staffing_once_per_cohort_station"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort} {self.station}"


class LabSupervision(SchoolOwned):
    """The ILS staff who supervise a Learning Lab and how many students one adult may watch."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="lab_supervisions")
    lab = models.OneToOneField(Room, on_delete=models.PROTECT, related_name="supervision")
    supervisors = models.ManyToManyField(
        Staff, related_name="supervised_labs", help_text="Individualized Learning Specialists."
    )
    students_per_adult = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )

    class Meta:
        ordering = ["school", "lab__name"]

    def __str__(self) -> str:
        return f"Supervision of {self.lab}"

    def clean(self) -> None:
        super().clean()
        if self.lab_id and self.lab.kind != RoomKind.LEARNING_LAB:
            raise ValidationError(
                {"lab": f"{self.lab} is a {self.lab.kind_label}, not a Learning Lab."}
            )


class SchoolSchedulingSettings(SchoolOwned):
    """One school's prep rule and the weights of the soft goals (S1-S5); 0 switches one off."""

    school = models.OneToOneField(
        School, on_delete=models.PROTECT, related_name="scheduling_settings"
    )
    prep_minutes = models.PositiveSmallIntegerField(
        default=45,
        validators=[MaxValueValidator(240)],
        help_text="One stretch of prep each teacher gets every day.",
    )
    prep_window_start = models.TimeField(null=True, blank=True)
    prep_window_end = models.TimeField(
        null=True, blank=True, help_text="Where prep must fall; blank: anywhere in the day."
    )
    stability_weight = models.PositiveIntegerField(
        default=100, help_text="Per block moved against the last published day of its type."
    )
    preferences_weight = models.PositiveIntegerField(
        default=10, help_text="Per block outside its preferred time or right after an avoided one."
    )
    transitions_weight = models.PositiveIntegerField(
        default=5, help_text="Per block beyond one per station."
    )
    lab_balance_weight = models.PositiveIntegerField(
        default=1, help_text="Per seat of the busiest moment in each lab."
    )
    compact_staff_weight = models.PositiveIntegerField(
        default=1, help_text="Per 5 minutes of each teacher's day from first to last block."
    )
    # Staff well-being (hard rules): a duty-free lunch inside a window, and a break in every
    # long stretch of teaching or lab supervision.
    staff_lunch_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(30), MaxValueValidator(90)],
        help_text="The duty-free lunch every staff member gets, in one stretch.",
    )
    staff_lunch_start = models.TimeField(default=datetime.time(10, 45))
    staff_lunch_end = models.TimeField(
        default=datetime.time(13, 30), help_text="Where every staff member's lunch must fall."
    )
    max_teaching_stretch = models.PositiveSmallIntegerField(
        default=150,
        validators=[MinValueValidator(30), MaxValueValidator(300)],
        help_text="The longest a staff member teaches or supervises without a break.",
    )
    min_break_minutes = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="The shortest pause that counts as a break.",
    )
    # How long a build may search before it stops and says so (never "impossible").
    solve_seconds = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text="How long a build searches for a day before it stops.",
    )

    # Lab plans people can run (stage 2): sessions long enough to teach, few changes, groups of
    # one grade, the same groups through the week.
    lab_max_changes = models.PositiveSmallIntegerField(
        _("changes of activity per lab block"),
        default=2,
        validators=[MaxValueValidator(6)],
        help_text=_("The most times a student changes activity within one lab or flex block."),
    )
    tutoring_session_minutes = models.PositiveSmallIntegerField(
        _("shortest tutoring session"),
        default=20,
        validators=[MinValueValidator(10), MaxValueValidator(60)],
        help_text=_("Minutes; a plan rounds a session up to the schedule's grid."),
    )
    adjacent_grade_groups = models.BooleanField(
        _("groups may mix two adjacent grades"),
        default=False,
        help_text=_("Off: every tutoring and service group is one grade."),
    )
    group_stability_weight = models.PositiveIntegerField(
        _("keep groups through the week"),
        default=20,
        help_text=_("Per group session that keeps its students, adult, time and place."),
    )

    class Meta:
        verbose_name = "scheduling settings"
        verbose_name_plural = "scheduling settings"

    def __str__(self) -> str:
        return f"Scheduling settings of {self.school}"

    def clean(self) -> None:
        super().clean()
        start, end = self.prep_window_start, self.prep_window_end
        if (start is None) != (end is None):
            raise ValidationError(
                {"prep_window_end": "Give both ends of the prep window, or neither."}
            )
        if start is not None and end is not None and end <= start:
            raise ValidationError(
                {"prep_window_end": f"The prep window must end after it starts ({clock(start)})."}
            )
        if start is not None and self.school_id:
            # One window serves every day type, so it must fit each one's grid and day.
            for day_type in DayType.objects.filter(school_id=self.school_id).order_by("name"):
                errors = span_errors(
                    start,
                    end,
                    day_type=day_type,
                    fields=("prep_window_start", "prep_window_end"),
                    label=gettext("The prep window (%(day_type)s)") % {"day_type": day_type},
                )
                if errors:
                    raise ValidationError(errors)
        self.clean_wellbeing()

    def clean_wellbeing(self) -> None:
        """The staff lunch window holds a lunch and sits on each day type's grid (the solver and
        the validator then judge the same times). It may reach past a short day's dismissal:
        staff can lunch after it. The lengths need no grid: the solver rounds a lunch or a break
        up and a stretch down to whole steps, which on the grid asks exactly as much."""
        start, end = self.staff_lunch_start, self.staff_lunch_end
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError(
                {
                    "staff_lunch_end": gettext(
                        "The staff lunch window must end after it starts (%(start)s)."
                    )
                    % {"start": clock(start)}
                }
            )
        window = minutes_of(end) - minutes_of(start)
        if self.staff_lunch_minutes and window < self.staff_lunch_minutes:
            raise ValidationError(
                {
                    "staff_lunch_end": gettext(
                        "The staff lunch window is %(window)d minutes long, shorter than the "
                        "%(lunch)d-minute staff lunch."
                    )
                    % {"window": window, "lunch": self.staff_lunch_minutes}
                }
            )
        if not self.school_id:
            return
        for day_type in DayType.objects.filter(school_id=self.school_id).order_by("name"):
            errors = span_errors(
                start,
                end,
                day_type=day_type,
                fields=("staff_lunch_start", "staff_lunch_end"),
                label=gettext("The staff lunch window (%(day_type)s)") % {"day_type": day_type},
                within_day=False,
            )
            if errors:
                raise ValidationError(errors)


class SubstituteDay(SchoolOwned):
    """A date a substitute (staff with the substitute role) can be called in: the school's pool,
    and with the network's other schools' substitutes, the network's."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="substitute_days")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="substitute_days")
    date = models.DateField()

    class Meta:
        ordering = ["school", "date", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "date"], name="substitute_day_once")
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return f"{self.staff} can substitute on {self.date:%Y-%m-%d}"


class AbsenceReason(models.TextChoices):
    SICK = "sick", "Sick"
    PERSONAL = "personal", "Personal"
    TRAINING = "training", "Training"
    MEETING = "meeting", "Meeting"
    OTHER = "other", "Other"


class StaffAbsence(SchoolOwned):
    """A staff member away on one date: all day, or from ``start`` (blank: the morning) until
    ``end`` (blank: the rest of the day)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff_absences")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="absences")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True, help_text="Blank: from the start of the day.")
    end = models.TimeField(null=True, blank=True, help_text="Blank: until the end of the day.")
    reason = models.CharField(max_length=16, choices=AbsenceReason.choices)

    class Meta:
        ordering = ["school", "-date", "staff"]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return f"{self.staff} away {self.date:%Y-%m-%d}{self.span_label}"

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError(
                {"end": f"The absence must end after it starts ({clock(self.start)})."}
            )
        day = (
            CalendarDay.objects.filter(school_id=self.school_id, date=self.date)
            .select_related("day_type")
            .first()
            if self.school_id and self.date and (self.start or self.end)
            else None
        )
        if day is not None and day.day_type is not None:
            errors = span_errors(
                self.start,
                self.end,
                day_type=day.day_type,
                fields=("start", "end"),
                label=gettext("The absence"),
                within_day=False,
            )
            if errors:
                raise ValidationError(errors)

    @property
    def all_day(self) -> bool:
        return self.start is None and self.end is None

    @property
    def span_label(self) -> str:
        if self.start and self.end:
            return f" {time_span(self.start, self.end)}"
        if self.start:
            return " " + gettext("from %(time)s") % {"time": clock(self.start)}
        if self.end:
            return " " + gettext("until %(time)s") % {"time": clock(self.end)}
        return " " + gettext("all day")

    def covers(self) -> tuple[datetime.time, datetime.time]:
        """The times away, with an open end as the whole day's edge."""
        return self.start or datetime.time.min, self.end or datetime.time.max
