"""Homeroom moves a roster import found for a later day.

An SIS writes a mid-year move as the old homeroom enrollment's ``endDate`` and a new one's
``beginDate``, often weeks ahead. The import places a student by the enrollment in effect on
its own date and keeps the next one here; the nightly rebuild of the school's next day makes
every move due by then (``students.cohort_moves``), so the student is in their new homeroom on
its first day without another import. The next import replaces or clears it.
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from .people import Student
from .schools import Cohort


class CohortMove(models.Model):
    school_scope: ClassVar[str] = "student__school"

    student = models.OneToOneField(
        Student, on_delete=models.CASCADE, related_name="cohort_move", verbose_name=_("student")
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="+", verbose_name=_("new homeroom")
    )
    starts = models.DateField(_("first day in the new homeroom"))
    # The enrollment the export named it by, to point back at.
    sourced_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("homeroom move")
        verbose_name_plural = _("homeroom moves")

    def __str__(self) -> str:
        return f"{self.student_id} -> {self.cohort_id} on {self.starts}"
