"""The shared base of every model that belongs to one school."""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


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
                errors[field.name] = gettext("%(related)s belongs to another school.") % {
                    "related": related
                }
        if errors:
            raise ValidationError(errors)


def sourced_id_field() -> models.CharField:
    """The object's ``sourcedId`` in the school's OneRoster exports: a re-import finds it by
    this id and updates it in place. Blank for objects created by hand."""
    return models.CharField(
        _("OneRoster sourcedId"),
        max_length=255,
        blank=True,
        db_index=False,
        help_text=_("Set by roster imports; blank for objects created here."),
    )


def sourced_id_unique(*fields: str, name: str) -> models.UniqueConstraint:
    """A sourcedId names one object within its scope; blank ones are many."""
    return models.UniqueConstraint(
        fields=[*fields, "sourced_id"], condition=~Q(sourced_id=""), name=name
    )
