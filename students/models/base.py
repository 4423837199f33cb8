"""The shared base of every model that belongs to one school."""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models


class SchoolOwned(models.Model):
    """A row of one school's data.

    ``clean()`` refuses a row that points at another school's objects (a cohort of school B for a
    student of school A), which would otherwise leak data across the scoping boundary.
    """

    school_scope: ClassVar[str] = "school"

    school = models.ForeignKey("students.School", on_delete=models.PROTECT)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        errors = {}
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "school":
                continue
            related = getattr(self, field.name, None)
            other_school = getattr(related, "school_id", None)
            if other_school is not None and self.school_id and other_school != self.school_id:
                errors[field.name] = f"{related} belongs to another school."
        if errors:
            raise ValidationError(errors)
