"""One CSV file's bytes into a header and rows of stripped text, with the problems a
spreadsheet round trip leaves behind: a byte-order mark, empty columns after the last one,
rows padded with empty cells, blank rows, and text that is not UTF-8; and cells that cannot be
read at all (``students.csv_cells``: control characters, a quote never closed, a cell over
the length limit), each named by its row and column.

Foreign formats are diagnosed and, where the reading is not in doubt, read with a warning
(``foreign``): UTF-16 (Excel's "Unicode text"), semicolons or tabs for commas, and header
names that differ from the spec's only in case.
"""

import csv
import io
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from students.plain_gettext import gettext, ngettext

from ..csv_cells import (
    MAX_CELL_CHARS,
    cell_problem,
    csv_error_problem,
    failing_field,
    has_unreadable_bytes,
)
from . import foreign
from .records import ExportError

Row = dict[str, str]
# Unreadable cells reported in one file before it is given up as not text.
MAX_CELL_ERRORS = 20


@dataclass(frozen=True)
class Table:
    """A readable CSV file: ``rows`` pairs each data row's spreadsheet number with its cells
    by column name (missing trailing cells read as empty)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Row], ...]
    delimiter: str = ","


def read_table(
    name: str,
    data: bytes,
    errors: list[ExportError],
    warnings: list[ExportError] | None = None,
    known: Collection[str] = (),
) -> Table | None:
    """The table in ``data``, or None (with the reason in ``errors``) when the file cannot be
    read at all. Rows with too many values are reported and left out; a cell that cannot be
    read (control characters, over ``MAX_CELL_CHARS``) is reported with its row and column.
    What was tolerated (a byte-order mark, UTF-16, another delimiter, empty trailing columns,
    header names fixed to ``known``'s case) is reported in ``warnings``."""
    warnings = [] if warnings is None else warnings
    try:
        decoded = foreign.decoded(name, data, warnings)
    except foreign.Undecodable as error:
        errors.append(ExportError(name, None, None, str(error)))
        return None
    if decoded is not None:
        data = decoded
    try:
        text = data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        # Undecodable bytes become lone surrogates, found in their cell below.
        text = data.decode("utf-8", "surrogateescape")
        utf8 = False
    cells = _CellCheck(name, errors)
    # One C pass over the bytes: only a file holding a bad byte has every cell looked at.
    cells.every_row = not utf8 or has_unreadable_bytes(data)
    delimiter = foreign.delimiter(name, text, known, warnings)
    records = _numbered(csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter))
    columns: tuple[str, ...] = ()
    try:
        first = next(records, None)
        if first is None:
            reason = gettext("The file is empty; it needs a header.")
            errors.append(ExportError(name, None, None, reason))
            return None
        columns = _columns(name, first[1], errors, warnings, cells)
        columns = foreign.case_fixed(name, columns, known, warnings)
        padded: list[int] = []
        rows = tuple(_rows(name, columns, records, errors, cells, padded))
        if len(first[1]) == len(columns):  # else the header's warning says it already
            _warn_padded(name, padded, warnings)
    except _BadRecord as bad:
        # failing_field reads commas; another delimiter's failing cell is not named.
        index = None
        if delimiter == ",":
            index = failing_field(io.StringIO(text, newline=""), bad.row)
        column = None if index is None else _column_name(columns, index)
        errors.append(ExportError(name, bad.row, column, csv_error_problem(bad.error)))
        return None
    except _Unreadable:
        return None  # reported: the file is not read further
    return Table(name, columns, rows, delimiter)


class _BadRecord(Exception):
    """The csv module could not read record ``row``."""

    def __init__(self, row: int, error: csv.Error) -> None:
        super().__init__(row, error)
        self.row = row
        self.error = error


class _Unreadable(Exception):
    """The file is not text a school would export: reported; its rows are not read."""


def _numbered(records: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each record with its spreadsheet row number (the header's is 1); a record the csv
    module cannot read raises ``_BadRecord`` with its number."""
    row = 0
    while True:
        row += 1
        try:
            cells = next(records)
        except StopIteration:
            return
        except csv.Error as error:
            raise _BadRecord(row, error) from None
        yield row, cells


def _column_name(columns: tuple[str, ...], index: int) -> str | None:
    if index < len(columns) and columns[index]:
        return columns[index]
    return None


class _CellCheck:
    """Reports the cells of one file that cannot be read. A file with bytes that are not UTF-8
    gets one error (a file saved as Latin-1 has them everywhere), and one with many bad cells
    (binary data, not a CSV) is given up after ``MAX_CELL_ERRORS``: either way ``_Unreadable``
    ends the file's reading."""

    def __init__(self, name: str, errors: list[ExportError]) -> None:
        self.name = name
        self.errors = errors
        self.every_row = False  # True: check each row's cells (the file holds a bad byte)
        self.found = 0

    def check(self, row: int, columns: tuple[str, ...], cells: list[str]) -> None:
        for index, cell in enumerate(cells):
            problem = cell_problem(cell)
            if problem is None:
                continue
            column = _column_name(columns, index)
            if column is None:
                values = {"position": index + 1, "problem": problem}
                problem = gettext("Column %(position)d of the header: %(problem)s") % values
            self.errors.append(ExportError(self.name, row, column, problem))
            self.found += 1
            if "not UTF-8" in problem:
                raise _Unreadable
            if self.found >= MAX_CELL_ERRORS:
                self.errors.append(
                    ExportError(
                        self.name,
                        row,
                        None,
                        gettext(
                            "%(count)d cells cannot be read: the file is probably not a CSV "
                            "export saved as text. The rest of it was not read."
                        )
                        % {"count": self.found},
                    )
                )
                raise _Unreadable


def _columns(
    name: str,
    header: list[str],
    errors: list[ExportError],
    warnings: list[ExportError],
    cells: _CellCheck,
) -> tuple[str, ...]:
    if cells.every_row:
        cells.check(1, (), header)
        if cells.found:
            raise _Unreadable  # no column can be named after a header that cannot be read
    columns = [cell.strip() for cell in header]
    while columns and not columns[-1]:
        columns.pop()  # Spreadsheets keep formatted-but-empty columns after the last one.
    if len(columns) < len(header):
        trailing = len(header) - len(columns)
        warnings.append(
            ExportError(
                name,
                1,
                None,
                ngettext(
                    "The header ends with %(count)d empty column (a spreadsheet's leftover); "
                    "it was ignored.",
                    "The header ends with %(count)d empty columns (a spreadsheet's leftovers); "
                    "they were ignored.",
                    trailing,
                )
                % {"count": trailing},
            )
        )
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            errors.append(
                ExportError(
                    name,
                    1,
                    None,
                    gettext("Column %(position)d of the header has no name.")
                    % {"position": position},
                )
            )
        elif column in seen:
            errors.append(
                ExportError(
                    name,
                    1,
                    column,
                    gettext("The header names column '%(column)s' twice.") % {"column": column},
                )
            )
        seen.add(column)
    return tuple(columns)


def _rows(
    name: str,
    columns: tuple[str, ...],
    records: Iterator[tuple[int, list[str]]],
    errors: list[ExportError],
    cells_check: _CellCheck,
    padded: list[int],
) -> Iterator[tuple[int, Row]]:
    """The data rows; the numbers of rows with empty cells past the header's last column go
    to ``padded``."""
    width = len(columns)
    for row_number, cells in records:
        if len(cells) > width:
            extra = cells[width:]
            if any(cell.strip() for cell in extra):
                errors.append(
                    ExportError(
                        name,
                        row_number,
                        None,
                        gettext(
                            "The row has %(values)d values but the header names %(width)d columns."
                        )
                        % {"values": width + len(extra), "width": width},
                    )
                )
                continue
            padded.append(row_number)
            cells = cells[:width]
        if cells_check.every_row or max(map(len, cells), default=0) > MAX_CELL_CHARS:
            cells_check.check(row_number, columns, cells)
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue  # Blank rows (often left at the end by spreadsheets) hold nothing.
        if len(values) < width:
            values.extend([""] * (width - len(values)))
        yield row_number, dict(zip(columns, values, strict=True))


def _warn_padded(name: str, padded: list[int], warnings: list[ExportError]) -> None:
    """One warning for the rows with empty cells past the last column, naming the first."""
    if not padded:
        return
    warnings.append(
        ExportError(
            name,
            padded[0],
            None,
            ngettext(
                "%(count)d row has empty cells after the header's last column; they were ignored.",
                "%(count)d rows have empty cells after the header's last column (this is the "
                "first); they were ignored.",
                len(padded),
            )
            % {"count": len(padded)},
        )
    )
