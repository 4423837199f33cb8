"""What a school expects of its students in each program, and per-student exceptions.

A *program goal* sets, for one program and one grade, the minutes a student should spend in it
each school week, the lessons they should complete each week and the mastery level (0-100) the
year aims at. A *student goal* overrides any of those numbers for one student (an IEP, a student
catching up); a blank field means "use the grade's goal". Pace and need (``learninglabs.pace``)
compare progress records against these numbers.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.models import GradeLevel, School, Student
from students.models.base import SchoolOwned

from .progress import MAX_LESSONS_PER_DAY, MAX_MINUTES_PER_DAY, Program

# A school week has five days; a goal above five full days of the daily maximum is a typo.
MAX_WEEKLY_MINUTES = 5 * MAX_MINUTES_PER_DAY
MAX_LESSONS_PER_WEEK = 5 * MAX_LESSONS_PER_DAY
MAX_MASTERY_TARGET = 100


def _weekly_minutes_field(**kwargs: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEEKLY_MINUTES)],
        help_text=_("Minutes a student should spend in the program each school week."),
        **kwargs,
    )


def _lessons_field(**kwargs: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_LESSONS_PER_WEEK)],
        help_text=_("Lessons a student should complete each school week (0 if not counted)."),
        **kwargs,
    )


def _mastery_field(**kwargs: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_MASTERY_TARGET)],
        help_text=_("The mastery level (0-100) the student should reach."),
        **kwargs,
    )


class ProgramGoal(SchoolOwned):
    """The weekly expectation for every student of one grade in one program."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="program_goals")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="goals")
    grade = models.PositiveSmallIntegerField(choices=GradeLevel.choices)
    weekly_minutes = _weekly_minutes_field()
    lessons_per_week = _lessons_field(default=0)
    mastery_target = _mastery_field(default=80)

    class Meta:
        ordering = ["school", "program", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "grade"], name="program_goal_once_per_grade"
            ),
            models.CheckConstraint(
                condition=Q(weekly_minutes__gte=1, weekly_minutes__lte=MAX_WEEKLY_MINUTES),
                name="program_goal_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(lessons_per_week__lte=MAX_LESSONS_PER_WEEK),
                name="program_goal_lessons_in_range",
            ),
            models.CheckConstraint(
                condition=Q(mastery_target__lte=MAX_MASTERY_TARGET),
                name="program_goal_mastery_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} goal for grade {self.get_grade_display()}"


class StudentGoal(models.Model):
    """One student's own goal in one program; blank numbers fall back to the grade's goal."""

    school_scope = "student__school"

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="program_goals")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="student_goals")
    weekly_minutes = _weekly_minutes_field(null=True, blank=True)
    lessons_per_week = _lessons_field(null=True, blank=True)
    mastery_target = _mastery_field(null=True, blank=True)
    reason = models.CharField(
        max_length=200, blank=True, help_text=_("Why this student's goal differs, e.g. 'IEP'.")
    )

    class Meta:
        ordering = ["student", "program"]
        constraints = [
            models.UniqueConstraint(fields=["student", "program"], name="student_goal_once"),
            models.CheckConstraint(
                condition=Q(weekly_minutes__isnull=True)
                | Q(weekly_minutes__gte=1, weekly_minutes__lte=MAX_WEEKLY_MINUTES),
                name="student_goal_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(lessons_per_week__isnull=True)
                | Q(lessons_per_week__lte=MAX_LESSONS_PER_WEEK),
                name="student_goal_lessons_in_range",
            ),
            models.CheckConstraint(
                condition=Q(mastery_target__isnull=True)
                | Q(mastery_target__lte=MAX_MASTERY_TARGET),
                name="student_goal_mastery_in_range",
            ),
        ]

    def __str__(self) -> str:
        # Ids only: this string can reach logs, where student names must never appear.
        return f"{self.program} goal for student {self.student_id}"

    def clean(self) -> None:
        super().clean()
        if self.student_id and self.program_id and self.program.school_id != self.student.school_id:
            raise ValidationError(
                {
                    "program": gettext(
                        "%(program)s is a program of another school than the student's."
                    )
                    % {"program": self.program}
                }
            )
        if (
            self.weekly_minutes is None
            and self.lessons_per_week is None
            and self.mastery_target is None
        ):
            raise ValidationError(
                {"weekly_minutes": _("Set at least one number; a goal with none changes nothing.")}
            )
