"""Learning Lab programs and the progress students make in them.

In the Learning Lab (and at home, and with tutors) students work in *programs*: adaptive software
such as a math or reading app, tutoring, or independent reading. Each school lists the programs it
uses, with a short ``code`` that vendors' exports and API clients send. Every day a student works
in a program, a *progress record* says how many minutes they spent, how many lessons they
completed and, when the program measures it, their mastery level (0-100).

Progress arrives from several *sources* (the API, a vendor's CSV export) and each source may send
the same day again with corrected numbers, so a record is identified by its natural key
(student, program, date, source): a re-push replaces the numbers instead of adding a row. The
Learning Lab issue builds pace and need on these records; nothing here computes them yet.
"""

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from students.models import School, Student
from students.models.base import SchoolOwned

# A school day holds about 440 minutes; 600 leaves room for home use the same date and still
# catches a client sending seconds instead of minutes.
MAX_MINUTES_PER_DAY = 600
# A day's work never completes this many lessons; a larger number is a cumulative count sent
# by mistake.
MAX_LESSONS_PER_DAY = 200
MAX_MASTERY = Decimal(100)

SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,39}$"
source_validator = RegexValidator(
    SOURCE_PATTERN,
    _("Use lower-case letters, digits and . _ : - (at most 40), e.g. 'api' or 'csv:iready'."),
)
API_SOURCE = "api"


class Subject(models.TextChoices):
    LITERACY = "literacy", _("Literacy")
    MATH = "math", _("Math")
    OTHER = "other", _("Other")


class ProgramKind(models.TextChoices):
    ADAPTIVE = "adaptive", _("Adaptive software")
    TUTORING = "tutoring", _("Tutoring")
    INDEPENDENT_READING = "independent_reading", _("Independent reading")


class Program(SchoolOwned):
    """A program one school uses, e.g. 'ST Math' (adaptive software, math, vendor MIND)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=120)
    code = models.SlugField(
        max_length=60, help_text=_("What clients and vendor files send, e.g. 'st-math'.")
    )
    subject = models.CharField(max_length=16, choices=Subject.choices)
    kind = models.CharField(max_length=24, choices=ProgramKind.choices)
    vendor = models.CharField(max_length=120, blank=True)
    min_session_minutes = models.PositiveSmallIntegerField(
        _("shortest session"),
        default=25,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text=_("The fewest minutes a student spends in this program at a time in the lab."),
    )

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="program_name_unique_in_school"
            ),
            models.UniqueConstraint(
                fields=["school", "code"], name="program_code_unique_in_school"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgressRecord(models.Model):
    """One student's work in one program on one date, as one source reported it."""

    school_scope: ClassVar[str] = "student__school"

    # No index of their own: the unique key leads with student and the (program, date) index
    # with program, and every extra index slows the bulk imports that fill this table.
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="progress_records", db_index=False
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="progress_records", db_index=False
    )
    date = models.DateField(help_text=_("The school date the work was done on."))
    minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_MINUTES_PER_DAY)])
    lessons_completed = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_LESSONS_PER_DAY)]
    )
    mastery_level = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_MASTERY)],
        help_text=_("0-100 when the program measures mastery; blank when it does not."),
    )
    source = models.CharField(
        max_length=40,
        default=API_SOURCE,
        validators=[source_validator],
        help_text=_("Where the numbers came from: 'api', or 'csv:<vendor>' for an import."),
    )
    received_at = models.DateTimeField(
        default=timezone.now, help_text=_("When these numbers last arrived.")
    )

    class Meta:
        ordering = ["student", "program", "date", "source"]
        constraints = [
            # The natural key: a re-push or corrected row replaces the numbers, never adds a row.
            models.UniqueConstraint(
                fields=["student", "program", "date", "source"], name="progress_record_once"
            ),
            models.CheckConstraint(
                condition=Q(minutes__lte=MAX_MINUTES_PER_DAY), name="progress_minutes_in_range"
            ),
            models.CheckConstraint(
                condition=Q(lessons_completed__lte=MAX_LESSONS_PER_DAY),
                name="progress_lessons_in_range",
            ),
            models.CheckConstraint(
                condition=Q(mastery_level__isnull=True)
                | Q(mastery_level__gte=0, mastery_level__lte=MAX_MASTERY),
                name="progress_mastery_in_range",
            ),
        ]
        indexes = [models.Index(fields=["program", "date"])]

    def __str__(self) -> str:
        # Ids only: this string can reach logs, where student names must never appear.
        return f"{self.program} {self.date:%Y-%m-%d} for student {self.student_id}"

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
