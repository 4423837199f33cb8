"""Imports of vendors' CSV progress exports: read with a saved mapping, all rows stored or none.

``progress_csv_import`` streams the file once: each row is parsed and checked with the rules of
the bulk JSON API (``learninglabs.services``: its range checks, the school's students and
programs, dates not in the future and within the student's enrollment, one row per student,
program and date), and every good row goes to a temporary staging table as it is read. Nothing
is held per row except one integer key to find repeated rows, so a million-row file imports in
bounded memory. When any row is bad, the staging table is dropped and every bad row is reported
(row number, column, reason); otherwise, in one transaction, an UPDATE and an INSERT ... SELECT
move the staged rows into ``ProgressRecord``: a row whose natural key (student, program, date,
source) is stored replaces its numbers, an identical one is left alone, a new one is inserted, so
importing the same file twice adds nothing.

On PostgreSQL the staging table is filled with ``COPY`` (about ten times faster than INSERTs)
while the file is still being read: a helper thread reads and checks the rows (pure Python, no
database) and hands chunks of good rows to the caller's thread, which COPYs them; psycopg2
releases the GIL while PostgreSQL takes a chunk in, so the two overlap. The move into
``ProgressRecord`` then skips what cannot matter: on a source's first import for the school,
the UPDATE and the anti-join. It checks the references set-wise first (the school's students
and programs locked ``FOR KEY SHARE`` and counted once; one removed since the file was read is
reported) and keeps the foreign keys, whose triggers check each row at commit: the app's
database role may not switch triggers off (``session_replication_role``), and the import does
not try (see ``_Stage.upsert``). Elsewhere (SQLite, in development and tests) the rows are read
in the caller's thread and staged with batched INSERTs.

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import functools
import io
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, cast

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, connection, models, transaction
from django.utils import timezone

from rocketship.db_timeouts import long_statements
from students.csv_cells import (
    MAX_CELL_CHARS,
    ScreenedBytes,
    cell_problem,
    csv_error_problem,
    failing_field,
)
from students.jobs import job_claim, job_finish, job_gate
from students.models import Student

from .models import (
    API_SOURCE,
    MAX_STORED_ERRORS,
    ImportState,
    Program,
    ProgressImport,
    ProgressRecord,
    VendorMapping,
)
from .services import BatchErrors, ProgressInput, progress_range_errors

logger = logging.getLogger(__name__)

# A page polls every second; a million rows stream in a few seconds: one short UPDATE of
# ``rows_done`` every 50,000 rows keeps the bar moving without slowing the import.
PROGRESS_EVERY = 50_000
# Rows sent to the staging table at once: about 2 MB of COPY text, enough to amortise a round
# trip, small enough to keep memory flat.
STAGE_CHUNK_ROWS = 50_000
# Chunks read ahead of the one being written (PostgreSQL): enough to ride out a slow COPY, and
# at most a few MB of rows in memory.
STAGE_QUEUE_CHUNKS = 4
# Parsed values (dates, numbers) are cached by their text: a real export repeats a few hundred
# dates and numbers. The cap bounds memory when a broken file has a million distinct values.
CACHE_LIMIT = 20_000
# Dates do not reach this ordinal (year 2870): it separates the date from the ids in a row's key.
DATE_KEY_SPAN = 1_048_576

STAGE_TABLE = "learninglabs_progress_import_stage"
COPY_NULL = "\\N"  # NULL in COPY's text format


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


# --- the rules shared with the bulk JSON API -----------------------------------------------------

_ANY_DATE = datetime.date(2000, 1, 1)


def _shared_rule(field_name: str, **value: Any) -> str | None:
    """The message ``services.progress_range_errors`` gives ``field_name`` for ``value`` (the other
    fields valid), or None: the CSV import applies exactly the API's range checks."""
    errors: BatchErrors = {}
    values: dict[str, Any] = {"minutes": 0, "source": API_SOURCE, **value}
    progress_range_errors(
        ProgressInput(index=0, student_id=0, program_code="", date=_ANY_DATE, **values), errors
    )
    messages = errors.get("0", {}).get(field_name)
    return " ".join(messages) if messages else None


def _whole_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Some exports write whole numbers as "30.0"; 30.5 minutes is refused, not rounded.
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    return None


def _minutes(text: str) -> tuple[str | None, str | None]:
    """(the value as staged, None) or (None, why it is refused)."""
    number = _whole_number(text.strip())
    if number is None:
        return None, "Give a whole number of minutes, e.g. 30."
    problem = _shared_rule("minutes", minutes=number)
    return (None, problem) if problem else (str(number), None)


def _lessons(text: str) -> tuple[str | None, str | None]:
    text = text.strip()
    if not text:
        return "0", None  # an export leaves the cell empty on a day without lessons
    number = _whole_number(text)
    if number is None:
        return None, "Give a whole number of lessons completed, e.g. 2."
    problem = _shared_rule("lessons_completed", lessons_completed=number)
    return (None, problem) if problem else (str(number), None)


def _mastery(text: str, *, empty: str | None = None) -> tuple[str | None, str | None]:
    """The staged text (``empty`` for an empty cell: no mastery measured), or why it is
    refused."""
    text = text.strip().removesuffix("%").strip()
    if not text:
        return empty, None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, "Give a mastery level from 0 to 100, e.g. 72.5."
    problem = _shared_rule("mastery_level", mastery_level=number)
    return (None, problem) if problem else (str(number), None)


class _Dates:
    """Parses the date column with the mapping's format and refuses dates in the future, as
    the API does. ``cache`` maps each distinct text to (the date, its ISO text, its ordinal) or
    (None, why it is refused, 0); the row loop reads it directly and calls ``parse`` on a miss."""

    def __init__(self, date_format: str, today: datetime.date) -> None:
        self.date_format = date_format
        self.today = today
        self.cache: dict[str, tuple[datetime.date | None, str, int]] = {}

    def parse(self, text: str) -> tuple[datetime.date | None, str, int]:
        if len(text) > MAX_CELL_CHARS:
            return None, _long_cell(text), 0
        try:
            day = datetime.datetime.strptime(text.strip(), self.date_format).date()  # noqa: DTZ007
        except ValueError:
            example = datetime.date(2026, 11, 24).strftime(self.date_format)
            result: tuple[datetime.date | None, str, int] = (
                None,
                f"{text.strip()!r} is not a date written as {example}.",
                0,
            )
        else:
            if day > self.today:
                result = (
                    None,
                    f"{day:%Y-%m-%d} is in the future; today is {self.today:%Y-%m-%d} at the "
                    "school.",
                    0,
                )
            else:
                result = (day, day.isoformat(), day.toordinal())
        if len(self.cache) < CACHE_LIMIT:
            self.cache[text] = result
        return result


class _Parsed:
    """One number column's cells parsed once per distinct text: ``cache`` maps a text to (the
    value as staged, None) or (None, why it is refused); the row loop reads it directly and
    calls ``parse`` on a miss, which saves a Python call per cell."""

    def __init__(self, parse: Callable[[str], tuple[str | None, str | None]]) -> None:
        self._parse = parse
        self.cache: dict[str, tuple[str | None, str | None]] = {}

    def parse(self, text: str) -> tuple[str | None, str | None]:
        if len(text) > MAX_CELL_CHARS:
            return None, _long_cell(text)
        result = self._parse(text)
        if len(self.cache) < CACHE_LIMIT:
            self.cache[text] = result
        return result


# --- staging -----------------------------------------------------------------------------------

StagedRow = tuple[str, str, str, str, str, str | None]  # student, program, date, min, les, mastery


class _Vanished(Exception):
    """Staged rows name students or programs (their ids) deleted since the file was read."""

    def __init__(self, *, students: list[int], programs: list[int]) -> None:
        super().__init__(f"students {students}, programs {programs} no longer exist")
        self.students = students
        self.programs = programs


class _Stage:
    """A temporary table of the good rows, filled while the file streams; nothing of it is
    visible to other sessions, and it is dropped whatever happens."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        # What a staged row holds for "no mastery": COPY's NULL, or None for the INSERTs.
        self.null = COPY_NULL if self.postgres else None
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        if self.postgres:
            columns = (
                "student_id bigint, program_id bigint, date date, minutes integer, "
                "lessons integer, mastery numeric(5, 2)"
            )
        else:  # the column types Django gives SQLite, so values compare as stored ones do
            columns = (
                "student_id integer, program_id integer, date date, minutes integer, "
                "lessons integer, mastery decimal"
            )
        self.cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} ({columns})")

    def write(self, rows: list[StagedRow]) -> None:
        if not rows:
            return
        if self.postgres:
            # Every value is already text (``self.null`` for no mastery): joined in C.
            text = "\n".join(map("\t".join, rows)) + "\n"  # type: ignore[arg-type]
            # One read of the whole chunk: psycopg2 takes the GIL back for each read, and
            # with the reading thread busy each take can wait a switch interval (5 ms); the
            # default 8 kB reads would cost over a second a chunk.
            self.cursor.cursor.copy_expert(
                f"COPY {STAGE_TABLE} FROM STDIN", io.StringIO(text), size=len(text) + 1
            )
        else:
            self.cursor.executemany(
                f"INSERT INTO {STAGE_TABLE} VALUES (%s, %s, %s, %s, %s, %s)", rows
            )

    def upsert(
        self,
        *,
        source: str,
        now: datetime.datetime,
        student_ids: list[int],
        program_ids: list[int],
    ) -> tuple[int, int]:
        """Move the staged rows into ``ProgressRecord``; (created, updated). ``student_ids``
        and ``program_ids``: every id a staged row may hold (the school's, as read before the
        file streamed).

        Two statements rather than one ``INSERT ... ON CONFLICT DO UPDATE``: an UPDATE of the
        stored rows whose numbers differ, then a plain INSERT of the keys not stored yet (an
        anti-join). ON CONFLICT inserts each row speculatively, which made the first import of
        a million rows about 60% slower on PostgreSQL 15. Imports of one source are serialised
        (an advisory lock) so no other import inserts a key between the two statements.
        """
        meta = ProgressRecord._meta
        q = connection.ops.quote_name
        table = q(meta.db_table)
        col = {
            name: q(meta.get_field(name).column)
            for name in (
                "student",
                "program",
                "date",
                "source",
                "minutes",
                "lessons_completed",
                "mastery_level",
                "received_at",
            )
        }
        same_key = (
            f"stored.{col['student']} = staged.student_id "
            f"AND stored.{col['program']} = staged.program_id "
            f"AND stored.{col['date']} = staged.date AND stored.{col['source']} = %s"
        )
        received = connection.ops.adapt_datetimefield_value(now)
        update = (
            f"UPDATE {table} AS stored SET {col['minutes']} = staged.minutes, "
            f"{col['lessons_completed']} = staged.lessons, "
            f"{col['mastery_level']} = staged.mastery, {col['received_at']} = %s "
            f"FROM {STAGE_TABLE} AS staged WHERE {same_key} "
            f"AND (stored.{col['minutes']}, stored.{col['lessons_completed']}, "
            f"stored.{col['mastery_level']}) IS DISTINCT FROM "
            "(staged.minutes, staged.lessons, staged.mastery)"
        )
        target = ", ".join(col.values())
        insert = (
            f"INSERT INTO {table} ({target}) "
            f"SELECT student_id, program_id, date, %s, minutes, lessons, mastery, %s "
            f"FROM {STAGE_TABLE} AS staged"
        )
        not_stored = f" WHERE NOT EXISTS (SELECT 1 FROM {table} AS stored WHERE {same_key})"
        # The staged rows sorted by the natural key: its index then fills page by page.
        in_key_order = " ORDER BY student_id, program_id, date"

        if not self.postgres:
            # A row identical to the stored numbers is not written: re-importing changes
            # nothing, not even received_at.
            self.cursor.execute(update, [received, source])
            updated = self.cursor.rowcount
            self.cursor.execute(insert + not_stored + in_key_order, [source, received, source])
            return self.cursor.rowcount, updated

        self.cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s)), "
            "set_config('work_mem', '128MB', true)",  # the sort of a million staged rows
            [f"import:{source}"],
        )
        # A statement after the advisory lock: its snapshot sees every earlier import's rows.
        # It also checks the references set-wise: every student and program a staged row may
        # name is locked FOR KEY SHARE until the transaction ends (no one can delete one
        # now) and counted. One gone since the file was read is reported, not left to the
        # foreign keys' triggers to fail on; those still check each row (the app's role may
        # not switch them off: README, "Security").
        self.cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} "
            f"WHERE {col['student']} = ANY(%s) AND {col['source']} = %s), "
            f"{_key_share_count(Student)}, {_key_share_count(Program)}",
            [student_ids, source, student_ids, program_ids],
        )
        (stored_before, students_found, programs_found) = self.cursor.fetchone()
        if students_found != len(student_ids) or programs_found != len(program_ids):
            vanished = _Vanished(
                students=self._vanished(Student, student_ids, "student_id"),
                programs=self._vanished(Program, program_ids, "program_id"),
            )
            if vanished.students or vanished.programs:
                raise vanished
        updated = 0
        if stored_before:
            self.cursor.execute(update, [received, source])
            updated = self.cursor.rowcount
            self.cursor.execute(insert + not_stored + in_key_order, [source, received, source])
        else:
            # No record of this source for these students yet: no staged key can collide (the
            # file's keys were checked unique), so no UPDATE and no anti-join.
            self.cursor.execute(insert + in_key_order, [source, received])
        created = self.cursor.rowcount
        return created, updated

    def _vanished(self, model: type[models.Model], ids: list[int], column: str) -> list[int]:
        """The ids among ``ids`` that no longer exist and that a staged row names (an
        anti-join of the staging table against ``model``)."""
        q = connection.ops.quote_name
        self.cursor.execute(
            f"SELECT DISTINCT staged.{column} FROM {STAGE_TABLE} AS staged "
            f"WHERE staged.{column} = ANY(%s) AND NOT EXISTS (SELECT 1 FROM "
            f"{q(model._meta.db_table)} AS target WHERE target.{q(model._meta.pk.column)} "
            f"= staged.{column}) ORDER BY 1",
            [ids],
        )
        return [row[0] for row in self.cursor.fetchall()]

    def drop(self) -> None:
        try:
            self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        finally:
            self.cursor.close()


def _key_share_count(model: type[models.Model]) -> str:
    """SQL: lock the rows of ``model`` whose ids are in the parameter (an array) as a foreign
    key's check does, and count them."""
    q = connection.ops.quote_name
    return (
        f"(SELECT count(*) FROM (SELECT 1 FROM {q(model._meta.db_table)} "
        f"WHERE {q(model._meta.pk.column)} = ANY(%s) FOR KEY SHARE) AS locked)"
    )


# --- the import ---------------------------------------------------------------------------------


def _header_index(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        folded = name.strip().casefold()
        if folded:  # an export's trailing comma makes an empty column name: ignore it
            index.setdefault(folded, position)
    return index


def _school_today(mapping: VendorMapping) -> datetime.date:
    return timezone.now().astimezone(mapping.school.zone).date()


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


def progress_csv_import(
    *,
    mapping: VendorMapping,
    file: IO[bytes],
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> ImportOutcome:
    """Read ``file`` (a binary CSV file, UTF-8 with or without a BOM) with ``mapping`` and store
    its rows as ``ProgressRecord``s, all or none. ``on_progress(rows read)`` is called every
    ``progress_every`` rows. ``dry_run`` checks every row and stores nothing.

    Returns the outcome; a rejected file (``outcome.ok`` false) stored nothing. Queries: the
    students, the programs, then the staging writes and one upsert, whatever the file's length.
    """
    outcome = ImportOutcome(dry_run=dry_run)
    problem = _shared_rule("source", source=mapping.source)
    if problem:
        outcome.reject(0, "", f"The mapping's source {mapping.source!r}: {problem}")
        outcome.message = "The mapping cannot be used; nothing was stored."
        return outcome

    # Bytes that are not UTF-8 reach their cell (as surrogates) to be named there; the screen
    # flags a file holding any, or a control character, so only such a file's cells are checked.
    screen = ScreenedBytes(file)
    text = io.TextIOWrapper(
        cast(IO[bytes], screen), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    start = file.tell() if file.seekable() else None
    try:
        # COPY needs the client deadline lifted, and the upsert of a large file may run long.
        with long_statements():
            _import_text(mapping, text, outcome, dry_run, on_progress, progress_every)
    finally:
        text.detach()  # the caller's file stays open: the caller closes it
    if outcome.unreadable_at is not None and start is not None:
        _name_unreadable_column(outcome, file, start)
    return outcome


def _import_text(
    mapping: VendorMapping,
    text: io.TextIOWrapper,
    outcome: ImportOutcome,
    dry_run: bool,
    on_progress: Callable[[int], None] | None,
    progress_every: int,
) -> ImportOutcome:
    reader = csv.reader(text, strict=True)  # strict: a quote never closed is an error
    try:
        header = next(reader, None)
    except csv.Error as error:
        _unreadable(outcome, 1, error, header=[])
        return outcome
    screen = text.buffer
    if header is not None and isinstance(screen, ScreenedBytes) and screen.flagged:
        _cell_errors(outcome, 1, header, header)
    if header is None:
        outcome.reject(1, "", "The file is empty: it has no header row.")
        outcome.message = "The file is empty; nothing was stored."
        return outcome

    index = _header_index(header)
    columns = mapping.columns
    missing = [column for column in columns.values() if column.casefold() not in index]
    if missing:
        found = ", ".join(repr(name.strip()) for name in header if name.strip()) or "none"
        for column in missing:
            outcome.reject(1, column, f"The header has no column {column!r} (it has {found}).")
        outcome.message = (
            f"The file does not match the mapping {mapping.name!r}: missing "
            f"{', '.join(repr(c) for c in missing)}. Nothing was stored."
        )
        return outcome

    stage = None if dry_run else _Stage()
    try:
        checks = _RowChecks(
            mapping,
            {name: index[column.casefold()] for name, column in columns.items()},
            null=None if stage is None else stage.null,
            header=header,
            screen=screen if isinstance(screen, ScreenedBytes) else None,
        )
        if stage is not None and stage.postgres:
            # Reading and checking (Python) in a thread while this thread COPYs its chunks:
            # psycopg2 lets go of the GIL while PostgreSQL takes a chunk in. Every database
            # call stays in this thread, on its connection (the staging table is TEMPORARY:
            # only this connection sees it), and so does ``on_progress``.
            _check_in_thread(checks, reader, outcome, stage.write, on_progress, progress_every)
        else:
            checks.run(
                reader,
                outcome,
                send=None if stage is None else stage.write,
                progress=on_progress,
                progress_every=progress_every,
            )

        if not outcome.ok:
            outcome.message = (
                f"{outcome.error_count} error{'s' if outcome.error_count != 1 else ''} in "
                f"{outcome.rows} rows; nothing was stored. Fix the rows listed and import the "
                "file again."
            )
            return outcome
        if stage is None:
            outcome.message = f"All {outcome.rows} rows are valid (a dry run: nothing was stored)."
            return outcome
        try:
            with transaction.atomic():
                outcome.created, outcome.updated = stage.upsert(
                    source=mapping.source,
                    now=timezone.now(),
                    student_ids=checks.student_ids,
                    program_ids=checks.program_ids,
                )
        except _Vanished as vanished:
            checks.reject_vanished(outcome, vanished)
            return outcome
        outcome.unchanged = outcome.rows - outcome.created - outcome.updated
        outcome.message = (
            f"{outcome.rows} rows imported: {outcome.created} new, {outcome.updated} "
            f"corrected, {outcome.unchanged} unchanged."
        )
        return outcome
    finally:
        if stage is not None:
            stage.drop()


class _RowChecks:
    """The file's rows checked one by one against the school's students and programs (read
    once, here) and the API's rules; good rows sent on to the stage in chunks."""

    def __init__(
        self,
        mapping: VendorMapping,
        position: dict[str, int],
        *,
        null: str | None,
        header: list[str] | None = None,
        screen: ScreenedBytes | None = None,
    ) -> None:
        self.header = header or []  # the file's column names, for a bad cell in any column
        self.screen = screen  # flagged once a chunk read holds a byte no cell may hold
        self.school_name = mapping.school.name
        self.name_of = mapping.columns  # field -> the column's name as the mapping writes it
        self.position = position  # field -> the column's index in the file
        self.width = max(position.values()) + 1
        # local id -> (pk, pk as staged, enrollment start, enrollment end or None)
        self.students: dict[str, tuple[int, str, datetime.date, datetime.date | None]] = {
            local_id: (pk, str(pk), start, end)
            for local_id, pk, start, end in Student.objects.filter(
                school=mapping.school
            ).values_list("local_id", "pk", "enrollment_start", "enrollment_end")
        }
        # code (and its case-folded form) -> (pk, pk as staged); or the mapping's one program
        self.programs: dict[str, tuple[int, str]] = {}
        self.fixed_program: tuple[int, str] | None = None
        if mapping.program_id is None:
            for code, pk in Program.objects.filter(school=mapping.school).values_list("code", "pk"):
                self.programs[code] = (pk, str(pk))
                self.programs.setdefault(code.casefold(), (pk, str(pk)))
        else:
            self.fixed_program = (mapping.program_id, str(mapping.program_id))
        self.student_ids = [student[0] for student in self.students.values()]
        self.program_ids = sorted(
            {program[0] for program in self.programs.values()}
            if self.fixed_program is None
            else {self.fixed_program[0]}
        )
        self.program_stride = max([0, *self.program_ids]) + 1
        self.dates = _Dates(mapping.date_format, _school_today(mapping))
        self.minutes = _Parsed(_minutes)
        self.lessons = _Parsed(_lessons)
        self.null = null  # what a staged row holds for "no mastery"
        self.mastery = _Parsed(functools.partial(_mastery, empty=null))

    def reject_vanished(self, outcome: ImportOutcome, vanished: _Vanished) -> None:
        """Record the students and programs deleted while the file was read (found set-wise,
        after it: their rows' numbers are not kept) as errors of the whole file."""
        local_ids = {pk: local_id for local_id, (pk, *_rest) in self.students.items()}
        codes: dict[int, str] = {}
        for code, (pk, _staged) in self.programs.items():
            codes.setdefault(pk, code)  # the code as written comes before its folded form
        for pk in vanished.students:
            outcome.reject(
                0,
                self.name_of["student"],
                f"The student with id {local_ids.get(pk, str(pk))!r} was removed from "
                f"{self.school_name} while the file was read; their rows cannot be stored.",
            )
        for pk in vanished.programs:
            code = codes.get(pk, str(pk))
            outcome.reject(
                0,
                self.name_of.get("program", ""),
                f"The program {code!r} was removed from {self.school_name} while the file "
                "was read; its rows cannot be stored.",
            )
        outcome.message = (
            "Students or programs were removed while the file was read; nothing was stored. "
            "Import the file again."
        )

    def run(
        self,
        reader: Iterator[list[str]],
        outcome: ImportOutcome,
        *,
        send: Callable[[list[StagedRow]], None] | None,
        progress: Callable[[int], None] | None,
        progress_every: int,
    ) -> None:
        """Check every row of ``reader`` (after the header), recording each bad one in
        ``outcome``; while none is bad, ``send`` the good rows in chunks. ``outcome.rows``: the
        rows read (blank lines not counted)."""
        # The loop runs a million times: everything it uses is a local name, the caches are
        # read inline, and a cell is parsed only when its text is new.
        name_of, school_name, reject = self.name_of, self.school_name, outcome.reject
        position, width = self.position, self.width
        i_student, i_date, i_minutes = position["student"], position["date"], position["minutes"]
        i_program = position.get("program")
        i_lessons = position.get("lessons_completed")
        i_mastery = position.get("mastery_level")
        student_of, program_of = self.students.get, self.programs.get
        fixed_program, stride = self.fixed_program, self.program_stride
        date_cache, parse_date = self.dates.cache, self.dates.parse
        minutes_cache, parse_minutes = self.minutes.cache, self.minutes.parse
        lessons_cache, parse_lessons = self.lessons.cache, self.lessons.parse
        mastery_cache, parse_mastery = self.mastery.cache, self.mastery.parse
        no_lessons: tuple[str | None, str | None] = ("0", None)
        no_mastery: tuple[str | None, str | None] = (self.null, None)
        seen: set[int] = set()  # the keys of the good rows, to find a repeated one
        pending: list[StagedRow] = []
        rows = 0
        row_number = 1  # the header's
        screen, header = self.screen, self.header
        try:
            for row in reader:
                row_number += 1
                if not any(row):
                    continue  # a blank line, or a line of empty cells
                rows += 1
                # Only once the screen has seen a bad byte (a C check per chunk read) are a
                # row's cells looked at: a good file pays one attribute read per row.
                if (
                    screen is not None
                    and screen.flagged
                    and _cell_errors(outcome, row_number, row, header)
                ):
                    continue
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                good = True

                local_id = row[i_student].strip()
                student = student_of(local_id)
                if student is None:
                    good = False
                    reject(
                        row_number,
                        name_of["student"],
                        _too_long(local_id)
                        or (
                            f"No student with id {local_id!r} at {school_name}."
                            if local_id
                            else "The student id is empty."
                        ),
                    )
                if i_program is None:
                    program = fixed_program
                else:
                    code = row[i_program].strip()
                    program = program_of(code) or program_of(code.casefold())
                    if program is None:
                        good = False
                        reject(
                            row_number,
                            name_of["program"],
                            _too_long(code)
                            or (
                                f"No program with code {code!r} at {school_name}."
                                if code
                                else "The program code is empty."
                            ),
                        )
                cell = row[i_date]
                day, day_text, day_number = date_cache.get(cell) or parse_date(cell)
                if day is None:
                    good = False
                    reject(row_number, name_of["date"], day_text)
                elif student is not None and (
                    day < student[2] or (student[3] is not None and day > student[3])
                ):
                    good = False
                    start, end = student[2], student[3]
                    span = f"from {start:%Y-%m-%d}" + (f" to {end:%Y-%m-%d}" if end else "")
                    reject(
                        row_number,
                        name_of["date"],
                        f"The student was not enrolled on {day:%Y-%m-%d} (enrolled {span}).",
                    )
                cell = row[i_minutes]
                minutes, why = minutes_cache.get(cell) or parse_minutes(cell)
                if why is not None:
                    good = False
                    reject(row_number, name_of["minutes"], why)
                if i_lessons is None:
                    lessons, why = no_lessons
                else:
                    cell = row[i_lessons]
                    lessons, why = lessons_cache.get(cell) or parse_lessons(cell)
                    if why is not None:
                        good = False
                        reject(row_number, name_of["lessons_completed"], why)
                if i_mastery is None:
                    mastery, why = no_mastery
                else:
                    cell = row[i_mastery]
                    mastery, why = mastery_cache.get(cell) or parse_mastery(cell)
                    if why is not None:
                        good = False
                        reject(row_number, name_of["mastery_level"], why)

                if good:
                    key = (student[0] * stride + program[0]) * DATE_KEY_SPAN + day_number  # type: ignore[index]
                    if key in seen:
                        reject(
                            row_number,
                            "",
                            "Repeats an earlier row: the same student, program and date.",
                        )
                    else:
                        seen.add(key)
                        if send is not None and not outcome.error_count:
                            pending.append(
                                (student[1], program[1], day_text, minutes, lessons, mastery)  # type: ignore[index, arg-type]
                            )
                            if len(pending) >= STAGE_CHUNK_ROWS:
                                send(pending)
                                pending = []
                if progress is not None and rows % progress_every == 0:
                    progress(rows)
        except csv.Error as error:
            _unreadable(outcome, row_number + 1, error, header=header)
        outcome.rows = rows
        if send is not None and outcome.ok:
            send(pending)


class _Stopped(Exception):
    """The writing thread gave up (it failed): the reading thread stops too."""


def _check_in_thread(
    checks: _RowChecks,
    reader: Iterator[list[str]],
    outcome: ImportOutcome,
    write: Callable[[list[StagedRow]], None],
    on_progress: Callable[[int], None] | None,
    progress_every: int,
) -> None:
    """``checks.run`` in a helper thread, handing its chunks (and progress) through a bounded
    queue to this thread, which writes them: reading the next chunk and storing the last one
    overlap. The helper touches no database; ``outcome`` is read once it has ended."""
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

    def read() -> None:
        try:
            checks.run(
                reader,
                outcome,
                send=lambda chunk: hand("rows", chunk),
                progress=lambda rows: hand("progress", rows),
                progress_every=progress_every,
            )
            hand("done", None)
        except _Stopped:
            pass
        except BaseException as error:  # raised in the caller's thread, below
            with contextlib.suppress(_Stopped):
                hand("failed", error)

    reading = threading.Thread(target=read, name="progress-import-reader", daemon=True)
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


def _unreadable(outcome: ImportOutcome, row: int, error: csv.Error, *, header: list[str]) -> None:
    """Record that the csv module stopped at record ``row``; reading ends there. The column is
    found afterwards (``_name_unreadable_column``): it takes reading the record again."""
    stored = len(outcome.errors)
    outcome.reject(row, "", f"Row {row} cannot be read: {csv_error_problem(error)}")
    if len(outcome.errors) > stored:
        outcome.unreadable_at = (stored, row, header)


def _name_unreadable_column(outcome: ImportOutcome, file: IO[bytes], start: int) -> None:
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
        outcome.errors[index] = RowError(error.row, _column_of(header, position), error.reason)


def _column_of(header: list[str], position: int) -> str:
    name = header[position].strip() if position < len(header) else ""
    return name or f"column {position + 1}"


def _cell_errors(outcome: ImportOutcome, row: int, cells: list[str], header: list[str]) -> bool:
    """Record each cell of ``cells`` that cannot be read (control characters, bytes that are
    not UTF-8, over ``MAX_CELL_CHARS``); whether there was one."""
    found = False
    for position, cell in enumerate(cells):
        problem = cell_problem(cell)
        if problem is not None:
            outcome.reject(row, _column_of(header, position), problem)
            found = True
    return found


def _too_long(text: str) -> str | None:
    return _long_cell(text) if len(text) > MAX_CELL_CHARS else None


def _long_cell(text: str) -> str:
    return cell_problem(text) or ""


# --- import runs (the page's task and the command) -----------------------------------------------


def _save_outcome(record: ProgressImport, outcome: ImportOutcome) -> None:
    # The import is a job (``students.jobs``): its upload is deleted once this commits.
    job_finish(
        record,
        state=ImportState.SUCCEEDED if outcome.ok else ImportState.REJECTED,
        message=outcome.message,
        rows_total=outcome.rows,
        rows_done=outcome.rows,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        errors=[error.as_dict() for error in outcome.errors],
        error_count=outcome.error_count,
    )


def progress_import_execute(
    *,
    record: ProgressImport,
    file: IO[bytes],
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> ImportOutcome:
    """Import ``file`` for ``record`` (a running import), keeping ``rows_done`` current (each
    update its own short write, outside the import's transaction, so a page sees it), and
    record the outcome on the row."""
    total = estimate_rows(file)
    if total is not None:
        ProgressImport.objects.filter(pk=record.pk).update(rows_total=total)
        record.rows_total = total

    def progress(rows: int) -> None:
        ProgressImport.objects.filter(pk=record.pk).update(rows_done=rows)
        if on_progress is not None:
            on_progress(rows)

    outcome = progress_csv_import(
        mapping=record.mapping, file=file, on_progress=progress, progress_every=progress_every
    )
    _save_outcome(record, outcome)
    logger.info(
        "progress import id=%s school_id=%s state=%s rows=%d created=%d updated=%d errors=%d",
        record.pk,
        record.school_id,
        record.state,
        outcome.rows,
        outcome.created,
        outcome.updated,
        outcome.error_count,
    )
    return outcome


def progress_import_start(
    *,
    mapping: VendorMapping,
    upload: UploadedFile,
    by: AbstractBaseUser | None,
) -> ProgressImport:
    """Keep ``upload`` and queue its import with ``mapping``; the task starts when the row is
    committed, so a worker always finds it."""
    from .tasks import progress_import_run_task

    name = (upload.name or "upload.csv").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        record = ProgressImport.objects.create(
            school=mapping.school, mapping=mapping, requested_by=by, file_name=name, file=upload
        )
        transaction.on_commit(lambda: progress_import_run_task.delay(record.pk))
    logger.info("progress import queued id=%s school_id=%s", record.pk, record.school_id)
    return record


def progress_import_run(*, import_id: int, reclaim: int | None = None) -> ProgressImport | None:
    """Run a queued import and record its outcome; safe to run twice (a finished or running
    import is returned as it is, unless its worker was lost or ``reclaim`` names the attempt of
    this task's retry: ``students.jobs.job_claim``). An unexpected error is recorded as
    ``failed``, not raised: the row is what a leader reads; an outage of the database is raised
    for the task to retry. The uploaded file is deleted when the import ends (``job_finish``);
    a worker lost mid-import leaves it to the sweeper."""
    claimed = job_claim(ProgressImport, import_id, reclaim=reclaim)
    record = (
        ProgressImport.objects.select_related("school", "mapping__school")
        .filter(pk=import_id)
        .first()
    )
    if record is None or not claimed:
        return record
    job_gate(record)  # fault tests only
    if not record.file:  # the command's import, whose process was lost: nothing to read again
        job_finish(
            record,
            state=ImportState.FAILED,
            message="The import stopped and its file is no longer kept; nothing was stored. "
            "Import the file again.",
        )
        return record
    try:
        with record.file.storage.open(record.file.name, "rb") as stored:
            progress_import_execute(record=record, file=_raw(stored))
    except (OperationalError, InterfaceError):  # the task retries it
        raise
    except Exception:
        logger.exception("progress import id=%s school_id=%s failed", record.pk, record.school_id)
        job_finish(
            record,
            state=ImportState.FAILED,
            message="The import stopped on an unexpected error; nothing was stored. Try again; "
            "if it happens again, report it with the file's name.",
        )
    return record


def _raw(stored: Any) -> IO[bytes]:
    """The binary file object under a Django ``File`` (TextIOWrapper needs a real one)."""
    inner = getattr(stored, "file", None)
    return inner if inner is not None else stored
