"""Networks, schools, grades and cohorts: the places people belong to."""

from typing import ClassVar
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import SchoolOwned, sourced_id_field, sourced_id_unique


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            gettext(
                "%(value)r is not a time zone name; use an IANA name such as America/Los_Angeles."
            )
            % {"value": value}
        )


class Network(models.Model):
    school_scope: ClassVar[str] = "schools"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    # Transitional kindergarten is a year before K; a network whose TK children sit in its
    # kindergarten homerooms imports them as K, others leave them out with a warning.
    tk_as_kindergarten = models.BooleanField(
        _("import TK as kindergarten"),
        default=False,
        db_default=False,  # rows written outside Django (SQL, older code mid-deploy) get it too
        help_text=_(
            "Roster imports place students and homerooms of grade TK (transitional "
            "kindergarten) in kindergarten; when off they are left out with a warning."
        ),
    )
    # Which classes of a roster export define cohorts (students.oneroster.cohort_sources):
    # exports without homeroom classes (scheduled sections only) name them by course or code.
    cohorts_from = models.CharField(
        _("cohorts from"),
        max_length=10,
        choices=[
            ("homerooms", _("homeroom classes")),
            ("courses", _("the classes of chosen courses")),
            ("codes", _("the classes with chosen class codes")),
        ],
        default="homerooms",
        db_default="homerooms",
        help_text=_("Which classes of a roster export become cohorts; set on the import page."),
    )
    cohort_classes = models.JSONField(
        _("cohort courses or class codes"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_("The course sourcedIds or class codes whose classes become cohorts."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    school_scope: ClassVar[str] = ""  # a school is its own scope

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default="America/Los_Angeles",
        validators=[validate_time_zone],
        help_text=_("IANA time zone; bell times and dates of this school are in this zone."),
    )
    sourced_id = sourced_id_field()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "name"], name="school_name_unique_in_network"
            ),
            sourced_id_unique("network", name="school_sourced_id_unique_in_network"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class GradeLevel(models.IntegerChoices):
    K = 0, "K"
    FIRST = 1, "1"
    SECOND = 2, "2"
    THIRD = 3, "3"
    FOURTH = 4, "4"
    FIFTH = 5, "5"


class Grade(SchoolOwned):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="grades")
    level = models.PositiveSmallIntegerField(_("grade"), choices=GradeLevel.choices)

    class Meta:
        ordering = ["school", "level"]
        constraints = [
            models.UniqueConstraint(fields=["school", "level"], name="grade_unique_in_school")
        ]

    def __str__(self) -> str:
        return f"Grade {self.get_level_display()}"


class Cohort(SchoolOwned):
    """A homeroom: students of one grade who move through the day together."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cohorts")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(
        max_length=60, help_text=_("As the school says it, e.g. '3B Stanford'.")
    )
    sourced_id = sourced_id_field()
    # A combination homeroom (grades 4 and 5) follows one grade's rotation template. A roster
    # import picks the grade most of its students are in, but once a leader chose it in Setup a
    # re-import must not undo that choice.
    grade_chosen = models.BooleanField(
        _("grade chosen in Setup"),
        default=False,
        db_default=False,  # rows written outside Django (SQL, older code mid-deploy) get it too
        help_text=_(
            "Set when a leader chose the grade this homeroom follows; roster imports then keep "
            "it as long as it is one of the homeroom's grades."
        ),
    )

    # Only on the rows scheduling.selectors.configuration reads for the cohorts page, which sets it.
    student_grades: str

    class Meta:
        ordering = ["school", "grade__level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="cohort_name_unique_in_school"),
            sourced_id_unique("school", name="cohort_sourced_id_unique_in_school"),
        ]

    def __str__(self) -> str:
        return self.name
