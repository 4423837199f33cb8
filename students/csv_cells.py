"""Cells no CSV import accepts, found cheaply and named by row and column.

Both CSV imports (OneRoster exports, vendors' progress exports) refuse cells that no export
should hold: a NUL byte or another control character (tab, CR and LF excepted), bytes that are
not UTF-8, a quote that is never closed (it would swallow the rest of the file), or a cell longer
than ``MAX_CELL_CHARS``. On a good file the checks cost next to nothing: bytes are screened a
chunk at a time in C (``has_unreadable_bytes``, ``ScreenedBytes``) and cells are looked at one
by one only in a file that was flagged. Files are read as UTF-8 with ``surrogateescape``, so a
byte that is not UTF-8 reaches its cell (as a lone surrogate) and is reported there.

The csv module is used in strict mode: a quote left open and text after a closing quote raise
``csv.Error`` (with the cell-size limit, ``csv.field_size_limit()``), and ``failing_field``
finds which cell of the failing record caused it by reading that record again.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import IO

from .plain_gettext import gettext, ngettext

# The longest cell an import reads: names, ids and lists of ids are far shorter. Longer cells
# are refused, not cut: a cell this long is a broken file (often an unclosed quote).
MAX_CELL_CHARS = 10_000

# Characters no cell may hold: C0 controls but tab, LF and CR; DEL; and the lone surrogates
# that ``surrogateescape`` decodes undecodable bytes to.
UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
# Every byte that may appear in UTF-8 text of a cell (non-ASCII bytes are checked by decoding).
_READABLE_BYTES = bytes(
    byte for byte in range(256) if byte in (0x09, 0x0A, 0x0D) or 0x20 <= byte != 0x7F
)
_SEPARATOR = re.compile("[,\r\n]")
# How much of a failing record ``failing_field`` reads: its cells are at most the csv limit.
_RECORD_READ_CHARS = 4 * 1024 * 1024


def has_unreadable_bytes(data: bytes) -> bool:
    """Does ``data`` hold a control byte no cell may hold? (A C loop: ~1 ms per MB.)"""
    return bool(data.translate(None, _READABLE_BYTES))


def cell_problem(cell: str) -> str | None:
    """Why ``cell`` cannot be read, or None."""
    if len(cell) > MAX_CELL_CHARS:
        return ngettext(
            "The cell is %(length)s character long; a cell may hold at most %(most)s.",
            "The cell is %(length)s characters long; a cell may hold at most %(most)s.",
            len(cell),
        ) % {"length": f"{len(cell):,}", "most": f"{MAX_CELL_CHARS:,}"}
    found = UNREADABLE.search(cell)
    return None if found is None else character_problem(found.group())


def character_problem(character: str) -> str:
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as surrogateescape keeps it
        return gettext(
            "The cell is not UTF-8 text: byte %(byte)s cannot be read (the file "
            "was probably saved as Latin-1 or Windows-1252). Save it again as 'CSV UTF-8'."
        ) % {"byte": f"0x{code - 0xDC00:02x}"}
    if code == 0:
        return gettext(
            "The cell holds a NUL byte (0x00), which no text holds: the file is damaged or "
            "is not a CSV export."
        )
    return gettext(
        "The cell holds the control character %(character)s, which no text may hold (tab and "
        "line breaks are fine); remove it."
    ) % {"character": f"0x{code:02x}"}


def csv_error_problem(error: csv.Error) -> str:
    """A reader's words for the csv module's ``error``."""
    text = str(error)
    if "unexpected end of data" in text:
        return gettext(
            'A quoted cell is never closed: a " opens it and no " ends it, so the rest of the '
            "file would be read into it. Close the quote (a quote inside a cell is written "
            'as two: "").'
        )
    if "expected after" in text:
        return gettext(
            "A quoted cell has text after its closing quote; a quote inside a cell is written "
            'as two ("").'
        )
    if "field larger than field limit" in text:
        limit = csv.field_size_limit()
        return ngettext(
            "The cell is longer than %(limit)s character.",
            "The cell is longer than %(limit)s characters.",
            limit,
        ) % {"limit": f"{limit:,}"}
    if "NUL" in text:
        return character_problem("\x00")
    return gettext("The file is not valid CSV (%(error)s).") % {"error": text}


def failing_field(lines: IO[str], record: int) -> int | None:
    """The index of the cell of record ``record`` (1-based: the header is record 1) on which
    a strict ``csv.reader`` of ``lines`` fails, or None when it cannot be told. ``lines`` is
    read from its start; only the error path calls this."""
    reader = csv.reader(lines, strict=True)
    try:
        for _ in range(record - 1):
            next(reader)
    except (StopIteration, csv.Error):
        return None
    # The reader takes one line at a time, so ``lines`` now starts at the failing record.
    return _failing_field_of(lines.read(_RECORD_READ_CHARS))


def _failing_field_of(text: str) -> int:
    """Where a strict csv reader stops in the record at the start of ``text``: a quote never
    closed, text after a closing quote, a cell over the csv limit, or a NUL."""
    limit = csv.field_size_limit()
    field, at, end = 0, 0, len(text)
    while True:
        if text.startswith('"', at):
            at, length = at + 1, 0
            while True:
                close = text.find('"', at)
                if close < 0 or length + close - at > limit:
                    return field  # never closed, or too long
                length += close - at
                if text.startswith('"', close + 1):  # a doubled quote: one quote in the cell
                    at, length = close + 2, length + 1
                    continue
                at = close + 1
                break
            if at < end and text[at] not in ",\r\n":
                return field  # text after the closing quote
        else:
            found = _SEPARATOR.search(text, at)
            stop = found.start() if found else end
            if stop - at > limit or "\x00" in text[at:stop]:
                return field
            at = stop
        if at >= end or text[at] != ",":
            return field  # the record ends here: its last cell is the one
        at, field = at + 1, field + 1


class ScreenedBytes(io.BufferedIOBase):
    """A binary file read through, chunk by chunk, noting (``flagged``) once a chunk holds a
    byte no cell may hold or bytes that are not UTF-8. A ``TextIOWrapper`` reads a chunk before
    the csv reader hands out the rows in it, so a row loop that checks its rows' cells from
    the moment ``flagged`` is set finds every bad cell, and checks nothing on a good file."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.flagged = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._screen(self._raw.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def _screen(self, chunk: bytes) -> bytes:
        if not self.flagged:
            try:
                self._utf8.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                self.flagged = True
            if has_unreadable_bytes(chunk):
                self.flagged = True
        return chunk
