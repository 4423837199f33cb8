"""Values longer than the column that stores them: an error on the export's cell, found while
planning, so that neither a dry run nor an apply meets the database's refusal (PostgreSQL's
"value too long"; SQLite would store it whole)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _

from .records import ExportError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def too_long(
    model: type[models.Model],
    values: Mapping[str, object],
    columns: Mapping[str, str],
    *,
    file: str,
    row: int,
    what: StrOrPromise,
) -> list[ExportError]:
    """An error for each of ``values`` (model field -> value) longer than ``model``'s field
    allows, naming the export column ``columns`` maps the field to; ``what`` says whose value
    it is ("a student's", "a homeroom's")."""
    errors = []
    for name, column in columns.items():
        value = values.get(name)
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)  # columns name the model's own fields
        limit = field.max_length
        if isinstance(value, str) and limit is not None and len(value) > limit:
            errors.append(
                ExportError(
                    file,
                    row,
                    column,
                    _("%(column)s is %(length)d characters long; %(what)s takes at most %(limit)d.")
                    % {"column": column, "length": len(value), "what": what, "limit": limit},
                )
            )
    return errors
