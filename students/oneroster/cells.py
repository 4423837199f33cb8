"""Reading one file's cells into typed values, reporting each bad cell with its file, row and
column. One ``CellReader`` serves one file so that required columns (which depend on the
file's mode) and the month/day/year warning (one per column, not per row) are tracked there.
"""

from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any

from students.plain_gettext import gettext, ngettext

from .columns import BOOLEANS, EXTENSION_PREFIX, STATUSES, FileColumns, FileMode
from .dates import DateFormatError, parse_date, parse_datetime
from .records import ExportError
from .tables import Row

# Delta files must say what changed and when; bulk files may leave both empty.
_DELTA_REQUIRED = frozenset({"status", "dateLastModified"})


class CellReader:
    def __init__(
        self,
        spec: FileColumns,
        mode: FileMode,
        errors: list[ExportError],
        warnings: list[ExportError],
        *,
        day_first: bool = False,
    ) -> None:
        """``day_first``: the file comes from a locale that may write day/month (it is
        separated by semicolons), so a date with slashes is refused, not read as month/day."""
        self.file = spec.name
        self.day_first = day_first
        self.required = spec.required | (_DELTA_REQUIRED if mode == "delta" else frozenset())
        self.errors = errors
        self.warnings = warnings
        # column -> (count, first row, first text) of month/day/year dates
        self._month_day_year: dict[str, tuple[int, int, str]] = {}

    def error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(ExportError(self.file, row, column, reason))

    def text(self, row: int, cells: Row, column: str) -> str:
        value = cells.get(column, "")
        if not value and column in self.required:
            self.error(
                row, column, gettext("%(column)s is required but empty.") % {"column": column}
            )
        return value

    def optional_id(self, row: int, cells: Row, column: str) -> str | None:
        return self.text(row, cells, column) or None

    def id_list(self, row: int, cells: Row, column: str) -> tuple[str, ...]:
        """A list cell: values separated by commas (the cell is quoted in the file)."""
        value = self.text(row, cells, column)
        return tuple(part for part in (p.strip() for p in value.split(",")) if part)

    def status(self, row: int, cells: Row) -> str:
        value = self.text(row, cells, "status")
        if value and value not in STATUSES:
            self.error(row, "status", _not_one_of("status", value, STATUSES))
        return "tobedeleted" if value == "tobedeleted" else "active"

    def enum(
        self, row: int, cells: Row, column: str, allowed: Collection[str], *, extensible: bool
    ) -> str:
        """A vocabulary value; ``extensible`` vocabularies also take the spec's ``ext:...``."""
        value = self.text(row, cells, column)
        if not value or value in allowed:
            return value
        if extensible and value.startswith(EXTENSION_PREFIX) and len(value) > len(EXTENSION_PREFIX):
            return value
        self.error(row, column, _not_one_of(column, value, allowed))
        return value

    def boolean(self, row: int, cells: Row, column: str) -> bool | None:
        value = self.text(row, cells, column)
        if not value:
            return None
        # Spreadsheets rewrite true as TRUE; the meaning is not in doubt.
        if value.lower() not in BOOLEANS:
            self.error(
                row,
                column,
                gettext("%(column)s is '%(value)s'; it must be true or false.")
                % {"column": column, "value": value},
            )
            return None
        return value.lower() == "true"

    def date(self, row: int, cells: Row, column: str) -> date | None:
        return self._dated(row, cells, column, parse_date)

    def datetime(self, row: int, cells: Row, column: str) -> datetime | None:
        return self._dated(row, cells, column, parse_datetime)

    def _dated(self, row: int, cells: Row, column: str, parse: Callable[[str], Any]) -> Any:
        """``parse`` of the cell, or None when blank or malformed (an error is recorded)."""
        value = self.text(row, cells, column)
        if not value:
            return None
        try:
            parsed, month_day_year = parse(value)
        except DateFormatError as error:
            self.error(
                row,
                column,
                gettext("%(column)s %(problem)s.") % {"column": column, "problem": error},
            )
            return None
        if month_day_year and self.day_first:
            self.error(
                row,
                column,
                gettext(
                    "%(column)s '%(value)s' is written with slashes in a file separated by "
                    "semicolons, as spreadsheets set to a day/month locale save it, so its day "
                    "and month cannot be told apart; write dates as YYYY-MM-DD."
                )
                % {"column": column, "value": value},
            )
            return None
        if month_day_year:
            self._note_month_day_year(row, column, value)
        return parsed

    def finish(self) -> None:
        """Report month/day/year dates: one warning per column, naming the first row."""
        for column, (count, first_row, example) in self._month_day_year.items():
            reason = ngettext(
                "%(count)d %(column)s date is written month/day/year (like '%(example)s') and "
                "was read as month/day; write dates as YYYY-MM-DD to avoid any doubt.",
                "%(count)d %(column)s dates are written month/day/year (like '%(example)s') "
                "and were read as month/day; write dates as YYYY-MM-DD to avoid any doubt.",
                count,
            )
            values = {"count": count, "column": column, "example": example}
            self.warnings.append(ExportError(self.file, first_row, column, reason % values))
        self._month_day_year.clear()

    def _note_month_day_year(self, row: int, column: str, value: str) -> None:
        count, first_row, example = self._month_day_year.get(column, (0, row, value))
        self._month_day_year[column] = (count + 1, first_row, example)


def _not_one_of(column: str, value: str, allowed: Collection[str]) -> str:
    values = {"column": column, "value": value, "allowed": ", ".join(sorted(allowed))}
    reason = gettext("%(column)s '%(value)s' is not one of %(allowed)s.") % values
    for candidate in allowed:
        if candidate.lower() == value.lower():
            return (
                reason + " " + gettext("Did you mean '%(candidate)s'?") % {"candidate": candidate}
            )
    return reason
