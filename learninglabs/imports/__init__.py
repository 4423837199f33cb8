"""Imports of vendors' CSV progress exports: read with a saved mapping, all rows stored or none.

``progress_csv_import`` streams the file once: each row is parsed and checked with the rules of
the bulk JSON API (``learninglabs.progress_rules``: its range checks, the school's students and
programs, dates not in the future and within the student's enrollment; one row per student,
program and date), and every good row goes to a temporary staging table as it is read. Nothing
is held per row except one integer key to find repeated rows, so a million-row file imports in
bounded memory. When any row is bad, the staging table is dropped and every bad row is reported
(row number, column, reason); otherwise, in one transaction, an UPDATE and an INSERT ... SELECT
move the staged rows into ``ProgressRecord``: a row whose natural key (student, program, date,
source) is stored replaces its numbers, an identical one is left alone, a new one is inserted, so
importing the same file twice adds nothing.

The modules, by what they hold:

- ``rows``: reading the file: the outcome and its row errors, the header, cells that cannot be
  read, the csv module's errors, the helper thread that reads while the stage is written;
- ``rules``: cells parsed with the mapping and each row checked with ``progress_rules``;
- ``stage``, ``postgres_stage``, ``sqlite_stage``: the staging table (COPY and set-wise reference
  checks on PostgreSQL; batched INSERTs on SQLite) and the move into ``ProgressRecord``;
- ``job``: one import end to end (read, stage, publish atomically) and its runs (the page's task,
  the command).

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row row 2.
"""

from .job import (
    progress_csv_import,
    progress_import_execute,
    progress_import_run,
    progress_import_start,
)
from .rows import ImportOutcome, estimate_rows

__all__ = [
    "ImportOutcome",
    "estimate_rows",
    "progress_csv_import",
    "progress_import_execute",
    "progress_import_run",
    "progress_import_start",
]
