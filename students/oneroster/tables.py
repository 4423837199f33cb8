"""One CSV file's bytes into a header and rows of stripped text, with the problems a
spreadsheet round trip leaves behind: a byte-order mark, empty columns after the last one,
rows padded with empty cells, blank rows, and text that is not UTF-8."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from .records import ExportError

Row = dict[str, str]


@dataclass(frozen=True)
class Table:
    """A readable CSV file: ``rows`` pairs each data row's spreadsheet number with its cells
    by column name (missing trailing cells read as empty)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Row], ...]


def read_table(name: str, data: bytes, errors: list[ExportError]) -> Table | None:
    """The table in ``data``, or None (with the reason in ``errors``) when the file cannot be
    read at all. Rows with too many values are reported and left out."""
    text = _decode(name, data, errors)
    if text is None:
        return None
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records, None)
        if header is None:
            errors.append(ExportError(name, None, None, "The file is empty; it needs a header."))
            return None
        columns = _columns(name, header, errors)
        rows = tuple(_rows(name, columns, records, errors))
    except csv.Error as error:
        errors.append(
            ExportError(name, records.line_num, None, f"The file is not valid CSV ({error}).")
        )
        return None
    return Table(name, columns, rows)


def _decode(name: str, data: bytes, errors: list[ExportError]) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = _row_of_offset(data, error.start)
        errors.append(
            ExportError(
                name,
                row,
                None,
                f"The file is not UTF-8: byte 0x{data[error.start]:02x} on row {row} cannot be "
                "read (the file was probably saved as Latin-1 or Windows-1252). "
                "Save it again as 'CSV UTF-8'.",
            )
        )
        return None


def _row_of_offset(data: bytes, offset: int) -> int:
    """The spreadsheet row holding byte ``offset``: counted in CSV records, not lines, so a
    quoted value spanning lines still counts once."""
    before = data[:offset].decode("utf-8")
    # The trailing "x" makes the record the bad byte starts (or continues) count as one.
    return sum(1 for _ in csv.reader(io.StringIO(before + "x", newline="")))


def _columns(name: str, header: list[str], errors: list[ExportError]) -> tuple[str, ...]:
    columns = [cell.strip() for cell in header]
    while columns and not columns[-1]:
        columns.pop()  # Spreadsheets keep formatted-but-empty columns after the last one.
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column:
            errors.append(
                ExportError(name, 1, None, f"Column {position} of the header has no name.")
            )
        elif column in seen:
            errors.append(
                ExportError(name, 1, column, f"The header names column '{column}' twice.")
            )
        seen.add(column)
    return tuple(columns)


def _rows(
    name: str, columns: tuple[str, ...], records: Iterator[list[str]], errors: list[ExportError]
) -> Iterator[tuple[int, Row]]:
    width = len(columns)
    for row_number, cells in enumerate(records, start=2):
        if len(cells) > width:
            extra = cells[width:]
            if any(cell.strip() for cell in extra):
                errors.append(
                    ExportError(
                        name,
                        row_number,
                        None,
                        f"The row has {width + len(extra)} values but the header names "
                        f"{width} columns.",
                    )
                )
                continue
            cells = cells[:width]
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue  # Blank rows (often left at the end by spreadsheets) hold nothing.
        if len(values) < width:
            values.extend([""] * (width - len(values)))
        yield row_number, dict(zip(columns, values, strict=True))
