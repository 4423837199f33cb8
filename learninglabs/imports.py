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

On PostgreSQL the staging table is filled with ``COPY`` (about ten times faster than INSERTs);
elsewhere (SQLite, in development and tests) with batched INSERTs.

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

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

# A page polls every second; a million rows stream in about 15 s: one short UPDATE of
# ``rows_done`` every 50,000 rows keeps the bar moving without slowing the import.
PROGRESS_EVERY = 50_000
# Rows sent to the staging table at once: about 2 MB of COPY text, enough to amortise a round
# trip, small enough to keep memory flat.
STAGE_CHUNK_ROWS = 50_000
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


def _mastery(text: str) -> tuple[str | None, str | None]:
    """The staged text (None for an empty cell: no mastery measured), or why it is refused."""
    text = text.strip().removesuffix("%").strip()
    if not text:
        return None, None
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
    the API does; each distinct text is parsed once."""

    def __init__(self, date_format: str, today: datetime.date) -> None:
        self.date_format = date_format
        self.today = today
        self.cache: dict[str, tuple[datetime.date | None, str]] = {}

    def parse(self, text: str) -> tuple[datetime.date | None, str]:
        """(the date, its ISO text) or (None, why it is refused)."""
        found = self.cache.get(text)
        if found is not None:
            return found
        try:
            day = datetime.datetime.strptime(text.strip(), self.date_format).date()  # noqa: DTZ007
        except ValueError:
            example = datetime.date(2026, 11, 24).strftime(self.date_format)
            result: tuple[datetime.date | None, str] = (
                None,
                f"{text.strip()!r} is not a date written as {example}.",
            )
        else:
            if day > self.today:
                result = (
                    None,
                    f"{day:%Y-%m-%d} is in the future; today is {self.today:%Y-%m-%d} at the "
                    "school.",
                )
            else:
                result = (day, day.isoformat())
        if len(self.cache) < CACHE_LIMIT:
            self.cache[text] = result
        return result


def _cached(parse: Callable[[str], tuple[str | None, str | None]]) -> Callable[[str], Any]:
    cache: dict[str, tuple[str | None, str | None]] = {}

    def lookup(text: str) -> tuple[str | None, str | None]:
        found = cache.get(text)
        if found is None:
            found = parse(text)
            if len(cache) < CACHE_LIMIT:
                cache[text] = found
        return found

    return lookup


# --- staging -----------------------------------------------------------------------------------

StagedRow = tuple[str, str, str, str, str, str | None]  # student, program, date, min, les, mastery


class _Stage:
    """A temporary table of the good rows, filled while the file streams; nothing of it is
    visible to other sessions, and it is dropped whatever happens."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
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
            text = "".join(
                f"{s}\t{p}\t{d}\t{m}\t{le}\t{COPY_NULL if ma is None else ma}\n"
                for s, p, d, m, le, ma in rows
            )
            self.cursor.cursor.copy_expert(f"COPY {STAGE_TABLE} FROM STDIN", io.StringIO(text))
        else:
            self.cursor.executemany(
                f"INSERT INTO {STAGE_TABLE} VALUES (%s, %s, %s, %s, %s, %s)", rows
            )

    def upsert(self, *, source: str, now: datetime.datetime) -> tuple[int, int]:
        """Move the staged rows into ``ProgressRecord``; (created, updated).

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
        if self.postgres:
            self.cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"import:{source}"])
            # The staged rows are sorted by the natural key: its index then fills page by page.
            self.cursor.execute("SET LOCAL work_mem = '128MB'")
        # A row identical to the stored numbers is not written: re-importing changes nothing,
        # not even received_at.
        self.cursor.execute(
            f"UPDATE {table} AS stored SET {col['minutes']} = staged.minutes, "
            f"{col['lessons_completed']} = staged.lessons, "
            f"{col['mastery_level']} = staged.mastery, {col['received_at']} = %s "
            f"FROM {STAGE_TABLE} AS staged WHERE {same_key} "
            f"AND (stored.{col['minutes']}, stored.{col['lessons_completed']}, "
            f"stored.{col['mastery_level']}) IS DISTINCT FROM "
            "(staged.minutes, staged.lessons, staged.mastery)",
            [received, source],
        )
        updated = self.cursor.rowcount
        target = ", ".join(col.values())
        self.cursor.execute(
            f"INSERT INTO {table} ({target}) "
            f"SELECT student_id, program_id, date, %s, minutes, lessons, mastery, %s "
            f"FROM {STAGE_TABLE} AS staged "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS stored WHERE {same_key}) "
            "ORDER BY student_id, program_id, date",
            [source, received, source],
        )
        return self.cursor.rowcount, updated

    def drop(self) -> None:
        try:
            self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        finally:
            self.cursor.close()


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

    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        return _import_text(mapping, text, outcome, dry_run, on_progress, progress_every)
    finally:
        text.detach()  # the caller's file stays open: the caller closes it


def _import_text(
    mapping: VendorMapping,
    text: io.TextIOWrapper,
    outcome: ImportOutcome,
    dry_run: bool,
    on_progress: Callable[[int], None] | None,
    progress_every: int,
) -> ImportOutcome:
    reader = csv.reader(text)
    row_number = 1
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        _unreadable(outcome, 1, error)
        return outcome
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
    position = {name: index[column.casefold()] for name, column in columns.items()}
    width = max(position.values()) + 1

    school = mapping.school
    students = {
        local_id: (pk, str(pk), start, end)
        for local_id, pk, start, end in Student.objects.filter(school=school).values_list(
            "local_id", "pk", "enrollment_start", "enrollment_end"
        )
    }
    fixed_program = mapping.program_id
    programs: dict[str, int] = {}
    if fixed_program is None:
        for code, pk in Program.objects.filter(school=school).values_list("code", "pk"):
            programs[code] = pk
            programs.setdefault(code.casefold(), pk)
    program_stride = max([*programs.values(), fixed_program or 0]) + 1

    dates = _Dates(mapping.date_format, _school_today(mapping))
    minutes_of = _cached(_minutes)
    lessons_of = _cached(_lessons)
    mastery_of = _cached(_mastery)
    at = {name: position.get(name) for name in columns}
    i_student, i_date, i_minutes = at["student"], at["date"], at["minutes"]
    i_program, i_lessons, i_mastery = (
        at.get("program"),
        at.get("lessons_completed"),
        at.get("mastery_level"),
    )
    name_of = columns  # field -> the column's name as the mapping writes it

    stage = None if dry_run else _Stage()
    pending: list[StagedRow] = []
    seen: set[int] = set()
    rows = 0
    reject = outcome.reject
    try:
        try:
            for row in reader:
                row_number += 1
                if not any(row):
                    continue  # a blank line, or a line of empty cells
                rows += 1
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                good = True

                local_id = row[i_student].strip()
                student = students.get(local_id)
                if student is None:
                    good = False
                    reject(
                        row_number,
                        name_of["student"],
                        f"No student with id {local_id!r} at {school.name}."
                        if local_id
                        else "The student id is empty.",
                    )
                if i_program is None:
                    program_pk = fixed_program
                else:
                    code = row[i_program].strip()
                    program_pk = programs.get(code) or programs.get(code.casefold())
                    if program_pk is None:
                        good = False
                        reject(
                            row_number,
                            name_of["program"],
                            f"No program with code {code!r} at {school.name}."
                            if code
                            else "The program code is empty.",
                        )
                day, day_text = dates.parse(row[i_date])
                if day is None:
                    good = False
                    reject(row_number, name_of["date"], day_text)
                elif student is not None:
                    start, end = student[2], student[3]
                    if day < start or (end is not None and day > end):
                        good = False
                        span = f"from {start:%Y-%m-%d}" + (f" to {end:%Y-%m-%d}" if end else "")
                        reject(
                            row_number,
                            name_of["date"],
                            f"The student was not enrolled on {day:%Y-%m-%d} (enrolled {span}).",
                        )
                minutes, why = minutes_of(row[i_minutes])
                if minutes is None:
                    good = False
                    reject(row_number, name_of["minutes"], why)
                lessons: str | None = "0"
                if i_lessons is not None:
                    lessons, why = lessons_of(row[i_lessons])
                    if lessons is None:
                        good = False
                        reject(row_number, name_of["lessons_completed"], why)
                mastery: str | None = None
                if i_mastery is not None:
                    mastery, why = mastery_of(row[i_mastery])
                    if why is not None:
                        good = False
                        reject(row_number, name_of["mastery_level"], why)

                if good:
                    key = (student[0] * program_stride + program_pk) * DATE_KEY_SPAN + (  # type: ignore[index, operator]
                        day.toordinal()  # type: ignore[union-attr]
                    )
                    if key in seen:
                        reject(
                            row_number,
                            "",
                            "Repeats an earlier row: the same student, program and date.",
                        )
                    else:
                        seen.add(key)
                        if stage is not None and outcome.ok:
                            pending.append(
                                (student[1], str(program_pk), day_text, minutes, lessons, mastery)  # type: ignore[index, arg-type]
                            )
                            if len(pending) >= STAGE_CHUNK_ROWS:
                                stage.write(pending)
                                pending.clear()
                if on_progress is not None and rows % progress_every == 0:
                    on_progress(rows)
        except (UnicodeDecodeError, csv.Error) as error:
            _unreadable(outcome, row_number + 1, error)
        outcome.rows = rows

        if not outcome.ok:
            outcome.message = (
                f"{outcome.error_count} error{'s' if outcome.error_count != 1 else ''} in "
                f"{rows} rows; nothing was stored. Fix the rows listed and import the file again."
            )
            return outcome
        if stage is None:
            outcome.message = f"All {rows} rows are valid (a dry run: nothing was stored)."
            return outcome
        stage.write(pending)
        pending.clear()
        with transaction.atomic():
            outcome.created, outcome.updated = stage.upsert(
                source=mapping.source, now=timezone.now()
            )
        outcome.unchanged = rows - outcome.created - outcome.updated
        outcome.message = (
            f"{rows} rows imported: {outcome.created} new, {outcome.updated} corrected, "
            f"{outcome.unchanged} unchanged."
        )
        return outcome
    finally:
        if stage is not None:
            stage.drop()


def _unreadable(outcome: ImportOutcome, row: int, error: Exception) -> None:
    if isinstance(error, UnicodeDecodeError):
        reason = (
            f"Row {row} is not UTF-8 text (byte {error.object[error.start : error.start + 1]!r}). "
            "Save the export as 'CSV UTF-8' and import it again."
        )
    else:
        reason = f"Row {row} cannot be read as CSV: {error}."
    outcome.reject(row, "", reason)


# --- import runs (the page's task and the command) -----------------------------------------------


def _save_outcome(record: ProgressImport, outcome: ImportOutcome) -> None:
    record.state = ImportState.SUCCEEDED if outcome.ok else ImportState.REJECTED
    record.rows_total = record.rows_done = outcome.rows
    record.created, record.updated, record.unchanged = (
        outcome.created,
        outcome.updated,
        outcome.unchanged,
    )
    record.errors = [error.as_dict() for error in outcome.errors]
    record.error_count = outcome.error_count
    record.message = outcome.message
    record.finished_at = timezone.now()
    record.save(
        update_fields=[
            "state",
            "rows_total",
            "rows_done",
            "created",
            "updated",
            "unchanged",
            "errors",
            "error_count",
            "message",
            "finished_at",
        ]
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


def progress_import_run(*, import_id: int) -> ProgressImport | None:
    """Run a queued import and record its outcome; safe to run twice (a finished or running
    import is returned as it is). An unexpected error is recorded as ``failed``, not raised:
    the row is what a leader reads. The uploaded file is deleted when the import ends."""
    claimed = ProgressImport.objects.filter(pk=import_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=timezone.now()
    )
    record = (
        ProgressImport.objects.select_related("school", "mapping__school")
        .filter(pk=import_id)
        .first()
    )
    if record is None or not claimed:
        return record
    try:
        with record.file.storage.open(record.file.name, "rb") as stored:
            progress_import_execute(record=record, file=_raw(stored))
    except Exception:
        logger.exception("progress import id=%s school_id=%s failed", record.pk, record.school_id)
        record.state = ImportState.FAILED
        record.message = (
            "The import stopped on an unexpected error; nothing was stored. Try again; if it "
            "happens again, report it with the file's name."
        )
        record.finished_at = timezone.now()
        record.save(update_fields=["state", "message", "finished_at"])
    finally:
        if record.file:
            record.file.delete(save=False)  # it holds student ids: keep it no longer than needed
            ProgressImport.objects.filter(pk=record.pk).update(file="")
    return record


def _raw(stored: Any) -> IO[bytes]:
    """The binary file object under a Django ``File`` (TextIOWrapper needs a real one)."""
    inner = getattr(stored, "file", None)
    return inner if inner is not None else stored
