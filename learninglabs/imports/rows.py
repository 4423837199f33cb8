"""Reading a progress CSV file: the outcome it fills, the header, cells that cannot be read, the
csv module's errors (named by column afterwards), and the helper thread that reads while the
caller's thread stores (PostgreSQL).

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import contextlib
import csv
import io
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext

from students.csv_cells import MAX_CELL_CHARS, cell_problem, csv_error_problem, failing_field

from ..models import MAX_STORED_ERRORS
from .stage import StagedRow

# Chunks read ahead of the one being written (PostgreSQL): enough to ride out a slow COPY, and
# at most a few MB of rows in memory.
STAGE_QUEUE_CHUNKS = 4


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportOutcome:
    """What an import did: rows read, records created / updated / unchanged, or why it was
    rejected (``errors`` holds the first ``MAX_STORED_ERRORS``, ``error_count`` all of them)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    message: str = ""
    dry_run: bool = False
    # (index in ``errors``, row, header) of a record the csv module could not read
    unreadable_at: tuple[int, int, list[str]] | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def reject(self, row: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(RowError(row, column, reason))


def header_index(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        folded = name.strip().casefold()
        if folded:  # an export's trailing comma makes an empty column name: ignore it
            index.setdefault(folded, position)
    return index


def estimate_rows(file: IO[bytes]) -> int | None:
    """Data rows in ``file`` by counting line ends (a cell holding a line break counts twice),
    without reading it into memory; the file is rewound. None when it cannot be rewound."""
    if not file.seekable():
        return None
    start = file.tell()
    lines = 0
    last = b"\n"
    for chunk in iter(lambda: file.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    file.seek(start)
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


class _Stopped(Exception):
    """The writing thread gave up (it failed): the reading thread stops too."""


def read_in_thread(
    read: Callable[[Callable[[list[StagedRow]], None], Callable[[int], None]], None],
    write: Callable[[list[StagedRow]], None],
    on_progress: Callable[[int], None] | None,
) -> None:
    """``read(send, progress)`` (``RowChecks.run`` on the file) in a helper thread, handing its
    chunks (and progress) through a bounded queue to this thread, which writes them: reading
    the next chunk and storing the last one overlap. The helper touches no database; what it
    records (the outcome) is read once it has ended."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=STAGE_QUEUE_CHUNKS)
    stopped = threading.Event()

    def hand(kind: str, value: Any) -> None:
        while not stopped.is_set():
            try:
                handoff.put((kind, value), timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def read_rows() -> None:
        try:
            read(lambda chunk: hand("rows", chunk), lambda rows: hand("progress", rows))
            hand("done", None)
        except _Stopped:
            pass
        except BaseException as error:  # raised in the caller's thread, below
            with contextlib.suppress(_Stopped):
                hand("failed", error)

    reading = threading.Thread(target=read_rows, name="progress-import-reader", daemon=True)
    reading.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "rows":
                write(value)
            elif kind == "progress":
                if on_progress is not None:
                    on_progress(value)
            elif kind == "failed":
                raise value
            else:
                return
    finally:
        stopped.set()
        reading.join()


def unreadable(outcome: ImportOutcome, row: int, error: csv.Error, *, header: list[str]) -> None:
    """Record that the csv module stopped at record ``row``; reading ends there. The column is
    found afterwards (``name_unreadable_column``): it takes reading the record again."""
    stored = len(outcome.errors)
    outcome.reject(
        row,
        "",
        gettext("Row %(row)s cannot be read: %(problem)s")
        % {"row": row, "problem": csv_error_problem(error)},
    )
    if len(outcome.errors) > stored:
        outcome.unreadable_at = (stored, row, header)


def name_unreadable_column(outcome: ImportOutcome, file: IO[bytes], start: int) -> None:
    """Name the column of the csv module's error: the file is read again up to that record."""
    assert outcome.unreadable_at is not None
    index, row, header = outcome.unreadable_at
    file.seek(start)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        position = failing_field(text, row)
    finally:
        text.detach()
    if position is not None and index < len(outcome.errors):
        error = outcome.errors[index]
        outcome.errors[index] = RowError(error.row, column_of(header, position), error.reason)


def column_of(header: list[str], position: int) -> str:
    name = header[position].strip() if position < len(header) else ""
    return name or gettext("column %(number)s") % {"number": position + 1}


def cell_errors(outcome: ImportOutcome, row: int, cells: list[str], header: list[str]) -> bool:
    """Record each cell of ``cells`` that cannot be read (control characters, bytes that are
    not UTF-8, over ``MAX_CELL_CHARS``); whether there was one."""
    found = False
    for position, cell in enumerate(cells):
        problem = cell_problem(cell)
        if problem is not None:
            outcome.reject(row, column_of(header, position), problem)
            found = True
    return found


def too_long(text: str) -> str | None:
    return long_cell(text) if len(text) > MAX_CELL_CHARS else None


def long_cell(text: str) -> str:
    return cell_problem(text) or ""
