"""What applying every kind shares: savepoints that find the row the database refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from ..plan.core import _error
from ..plan.wanted import At, Planned
from ..records import ExportError

RowT = TypeVar("RowT")
ResultT = TypeVar("ResultT")


class _RolledBack(Exception):
    """Raised to roll back a dry run's apply."""


class _Refused(Exception):
    """The database refused a row of the plan: ``error`` names it."""

    def __init__(self, error: ExportError) -> None:
        super().__init__(error.reason)
        self.error = error


def _at(row: Planned[Any, Any]) -> At:
    return cast(At, row.wanted.at)


def _each(
    step: Callable[[list[RowT]], ResultT],
    rows: list[RowT],
    at: Callable[[RowT], At] = _at,  # type: ignore[assignment]
) -> ResultT:
    """``step(rows)`` in a savepoint. When the database refuses it, the rows are halved until
    the one it refuses is found (the first half is written before the second is tried, so
    rows refused only together are found too), and ``_Refused`` names that row. Halving costs
    a few more statements, and only when the database refuses."""
    try:
        with transaction.atomic():
            return step(rows)
    except (IntegrityError, DataError) as exc:
        if len(rows) <= 1:
            where = at(rows[0]) if rows else None
            file, row = where if where else ("", None)
            raise _Refused(_error(file, row, None, _refusal(exc))) from exc
    half = len(rows) // 2
    first = _each(step, rows[:half], at)
    second = _each(step, rows[half:], at)
    # Written in two halves after all (an order of statements the database minds): the
    # first half's result is the same query's, or the accounts of its rows.
    if isinstance(first, dict) and isinstance(second, dict):
        return cast(ResultT, {**first, **second})
    return second


# The database's constraints, in words (the rest are said as the database says them).
_CONSTRAINTS = {
    "cohort_name_unique_in_school": _("another homeroom at this school has this name"),
    "student_id_unique_in_school": _("another student at this school has this student id"),
    "student_enrollment_ends_after_it_starts": _(
        "the student's enrollment would end before it starts"
    ),
}


def _refusal(exc: Exception) -> str:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint in _CONSTRAINTS:
        reason = str(_CONSTRAINTS[constraint])
    elif constraint.endswith("_sourced_id_unique_in_school"):
        reason = str(_("another record at this school has this sourcedId"))
    else:
        # The first line names the rule; the detail lines may hold values (names).
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return str(_("The database refused this row: %(reason)s.")) % {"reason": reason}
