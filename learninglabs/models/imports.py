"""Progress that arrives as vendors' CSV exports: how to read each export, and each import made.

Every vendor (i-Ready, ST Math, Lexia, ...) exports progress as a CSV file with its own column
names and date format. A school saves one *vendor mapping* per export: which column holds the
student's id (the school's ``Student.local_id``), the date, the minutes, the lessons completed
and the mastery level, which program the rows belong to (one fixed program, or a column holding
the program's code), and the ``source`` written on the records it stores (``csv:iready``).
Records are unique on (student, program, date, source), so importing the same export again adds
nothing and a corrected row replaces the numbers stored before.

A *progress import* is one file read with one mapping: who started it, how far it has come (a
page polls ``rows_done``) and how it ended. A file with any bad row is rejected whole: nothing is
stored and every bad row is listed (row number, column, reason), up to ``MAX_STORED_ERRORS``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rocketship.uploads import UploadStorage
from students.models import School
from students.models.base import SchoolOwned
from students.models.jobs import Job

from .progress import Program, source_validator

# A rejected file of a million rows can be wrong in every row; the page and the row keep the
# first thousand (enough to see the pattern and fix the export) and the total count.
MAX_STORED_ERRORS = 1000


def upload_storage() -> Storage:
    return UploadStorage("progress_imports")


class DateFormat(models.TextChoices):
    ISO = "%Y-%m-%d", _("2026-11-24 (year-month-day)")
    US = "%m/%d/%Y", _("11/24/2026 (month/day/year)")
    US_SHORT = "%m/%d/%y", _("11/24/26 (month/day/two-digit year)")
    DAY_FIRST = "%d/%m/%Y", _("24/11/2026 (day/month/year)")


class VendorMapping(SchoolOwned):
    """How to read one vendor's CSV export at one school; column names as in the file's header
    (compared ignoring case and surrounding spaces)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="vendor_mappings")
    name = models.CharField(max_length=80, help_text=_("e.g. 'i-Ready weekly export'."))
    source = models.CharField(
        max_length=40,
        validators=[source_validator],
        help_text=_("Written on every record this mapping stores, e.g. 'csv:iready'."),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vendor_mappings",
        help_text=_("The program of every row, when the export holds one program."),
    )
    program_column = models.CharField(
        max_length=80, blank=True, help_text=_("The column holding the program's code, if any.")
    )
    student_column = models.CharField(
        max_length=80, help_text=_("The column holding the school's student id.")
    )
    date_column = models.CharField(max_length=80)
    date_format = models.CharField(
        max_length=16, choices=DateFormat.choices, default=DateFormat.ISO
    )
    minutes_column = models.CharField(max_length=80)
    lessons_column = models.CharField(
        max_length=80, blank=True, help_text=_("Leave blank when the export has no lesson count.")
    )
    mastery_column = models.CharField(
        max_length=80, blank=True, help_text=_("Leave blank when the program measures no mastery.")
    )

    class Meta:
        ordering = ["school", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], name="vendor_mapping_name_unique_in_school"
            ),
            # Each row's program comes from exactly one place.
            models.CheckConstraint(
                condition=(Q(program__isnull=False) & Q(program_column=""))
                | (Q(program__isnull=True) & ~Q(program_column="")),
                name="vendor_mapping_one_program_source",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (self.program_id is None) == (not self.program_column):
            raise ValidationError(
                {"program_column": _("Choose a program, or name the column holding its code.")}
            )

    @property
    def columns(self) -> dict[str, str]:
        """Field -> column name, for the fields this mapping reads from the file."""
        named = {
            "student": self.student_column,
            "program": self.program_column,
            "date": self.date_column,
            "minutes": self.minutes_column,
            "lessons_completed": self.lessons_column,
            "mastery_level": self.mastery_column,
        }
        return {field: column.strip() for field, column in named.items() if column.strip()}


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


ACTIVE_IMPORT_STATES = (ImportState.QUEUED, ImportState.RUNNING)


class ProgressImport(SchoolOwned, Job):
    """One CSV file imported (or refused) with one mapping, and how far it has come: a job
    (``students.jobs``), claimed by a worker, finished once and swept when its worker is
    lost."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="progress_imports")
    mapping = models.ForeignKey(VendorMapping, on_delete=models.PROTECT, related_name="imports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    file_name = models.CharField(max_length=255)
    file = models.FileField(
        upload_to="%Y/%m/",
        storage=upload_storage,
        blank=True,
        help_text=_("The uploaded file until its import ends; empty for the command's imports."),
    )
    state = models.CharField(max_length=12, choices=ImportState.choices, default=ImportState.QUEUED)
    rows_total = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Counted before the import starts (an estimate), then exact."),
    )
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list,
        blank=True,
        help_text=format_lazy(_("The first {} bad rows: row, column, reason."), MAX_STORED_ERRORS),
    )
    error_count = models.PositiveIntegerField(default=0, help_text=_("All bad rows' errors."))
    message = models.TextField(blank=True, help_text=_("Why the file was rejected or failed."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["school", "-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "-created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    @property
    def progress_key(self) -> str:
        """Changes whenever the page of this import would: the polling page sends it back."""
        return f"{self.state}:{self.rows_done}"

    def files_to_delete(self) -> list[str]:
        """The upload holds student ids: it is deleted whenever the import ends."""
        return ["file"]
