"""The import as a job: one file read, checked and staged, then published in one transaction
(all rows or none); and the runs around it (the page's task, the command).

On PostgreSQL a helper thread reads and checks the rows (pure Python, no database) while this
thread COPYs their chunks into the staging table (``rows.read_in_thread``); psycopg2 releases
the GIL while PostgreSQL takes a chunk in, so the two overlap. Elsewhere (SQLite, in development
and tests) the rows are read in the caller's thread and staged with batched INSERTs.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from typing import IO, Any, cast

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rocketship.db_timeouts import long_statements
from students.csv_cells import ScreenedBytes
from students.jobs import job_claim, job_finish, job_gate

from ..models import ImportState, ProgressImport, VendorMapping
from .postgres_stage import PostgresStage
from .rows import (
    ImportOutcome,
    cell_errors,
    estimate_rows,
    header_index,
    name_unreadable_column,
    read_in_thread,
    unreadable,
)
from .rules import RowChecks, mapping_problem
from .sqlite_stage import SqliteStage
from .stage import Stage, Vanished

logger = logging.getLogger(__name__)

# A page polls every second; a million rows stream in a few seconds: one short UPDATE of
# ``rows_done`` every 50,000 rows keeps the bar moving without slowing the import.
PROGRESS_EVERY = 50_000


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
    problem = mapping_problem(mapping)
    if problem:
        outcome.reject(0, "", problem)
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
        name_unreadable_column(outcome, file, start)
    return outcome


def _open_stage() -> Stage:
    return PostgresStage() if connection.vendor == "postgresql" else SqliteStage()


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
        unreadable(outcome, 1, error, header=[])
        return outcome
    screen = text.buffer
    if header is not None and isinstance(screen, ScreenedBytes) and screen.flagged:
        cell_errors(outcome, 1, header, header)
    if header is None:
        outcome.reject(1, "", gettext("The file is empty: it has no header row."))
        outcome.message = gettext("The file is empty; nothing was stored.")
        return outcome

    index = header_index(header)
    columns = mapping.columns
    missing = [column for column in columns.values() if column.casefold() not in index]
    if missing:
        found = ", ".join(repr(name.strip()) for name in header if name.strip())
        for column in missing:
            if found:
                why = gettext("The header has no column %(column)s (it has %(found)s).")
            else:
                why = gettext("The header has no column %(column)s (it has none).")
            outcome.reject(1, column, why % {"column": repr(column), "found": found})
        outcome.message = gettext(
            "The file does not match the mapping %(mapping)s: missing %(columns)s. Nothing was "
            "stored."
        ) % {"mapping": repr(mapping.name), "columns": ", ".join(repr(c) for c in missing)}
        return outcome

    stage = None if dry_run else _open_stage()
    try:
        checks = RowChecks(
            mapping,
            {name: index[column.casefold()] for name, column in columns.items()},
            null=None if stage is None else stage.null,
            header=header,
            screen=screen if isinstance(screen, ScreenedBytes) else None,
        )
        if isinstance(stage, PostgresStage):
            # Reading and checking (Python) in a thread while this thread COPYs its chunks:
            # psycopg2 lets go of the GIL while PostgreSQL takes a chunk in. Every database
            # call stays in this thread, on its connection (the staging table is TEMPORARY:
            # only this connection sees it), and so does ``on_progress``.
            read_in_thread(
                lambda send, progress: checks.run(
                    reader, outcome, send=send, progress=progress, progress_every=progress_every
                ),
                stage.write,
                on_progress,
            )
        else:
            checks.run(
                reader,
                outcome,
                send=None if stage is None else stage.write,
                progress=on_progress,
                progress_every=progress_every,
            )

        if not outcome.ok:
            outcome.message = ngettext(
                "%(errors)s error in %(rows)s rows; nothing was stored. Fix the rows listed and "
                "import the file again.",
                "%(errors)s errors in %(rows)s rows; nothing was stored. Fix the rows listed and "
                "import the file again.",
                outcome.error_count,
            ) % {"errors": outcome.error_count, "rows": outcome.rows}
            return outcome
        if stage is None:
            outcome.message = gettext(
                "All %(rows)s rows are valid (a dry run: nothing was stored)."
            ) % {"rows": outcome.rows}
            return outcome
        try:
            with transaction.atomic():
                outcome.created, outcome.updated = stage.upsert(
                    source=mapping.source,
                    now=timezone.now(),
                    student_ids=checks.student_ids,
                    program_ids=checks.program_ids,
                )
        except Vanished as vanished:
            checks.reject_vanished(outcome, vanished)
            return outcome
        outcome.unchanged = outcome.rows - outcome.created - outcome.updated
        outcome.message = gettext(
            "%(rows)s rows imported: %(created)s new, %(updated)s corrected, %(unchanged)s "
            "unchanged."
        ) % {
            "rows": outcome.rows,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
        }
        return outcome
    finally:
        if stage is not None:
            stage.drop()


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
    by: User | None,
) -> ProgressImport:
    """Keep ``upload`` and queue its import with ``mapping``; the task starts when the row is
    committed, so a worker always finds it."""
    from ..tasks import progress_import_run_task

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
            message=gettext(
                "The import stopped and its file is no longer kept; nothing was stored. "
                "Import the file again."
            ),
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
            message=gettext(
                "The import stopped on an unexpected error; nothing was stored. Try again; "
                "if it happens again, report it with the file's name."
            ),
        )
    return record


def _raw(stored: Any) -> IO[bytes]:
    """The binary file object under a Django ``File`` (TextIOWrapper needs a real one)."""
    inner = getattr(stored, "file", None)
    return inner if inner is not None else stored
