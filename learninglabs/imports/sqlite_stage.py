"""Staging on SQLite (development and tests): batched INSERTs, then ``Stage``'s portable move
(the UPDATE, then the INSERT ... SELECT). SQLite runs one writer at a time, so nothing else
inserts a key between the two statements."""

from __future__ import annotations

from typing import ClassVar

from .stage import STAGE_TABLE, Stage, StagedRow


class SqliteStage(Stage):
    # The column types Django gives SQLite.
    COLUMNS: ClassVar[str] = (
        "student_id integer, program_id integer, date date, minutes integer, "
        "lessons integer, mastery decimal"
    )

    def write(self, rows: list[StagedRow]) -> None:
        if rows:
            self.cursor.executemany(
                f"INSERT INTO {STAGE_TABLE} VALUES (%s, %s, %s, %s, %s, %s)", rows
            )
