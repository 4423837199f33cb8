"""The staging table both databases share: a temporary table of the good rows, filled while the
file streams, then moved into ``ProgressRecord`` by an UPDATE and an INSERT ... SELECT. How it is
filled and what guards the move differ: ``postgres_stage`` (COPY, locks, set-wise reference
checks) and ``sqlite_stage`` (batched INSERTs, in development and tests).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import connection
from django.db.models import Field

from ..models import ProgressRecord

STAGE_TABLE = "learninglabs_progress_import_stage"

StagedRow = tuple[str, str, str, str, str, str | None]  # student, program, date, min, les, mastery


class Vanished(Exception):
    """Staged rows name students or programs (their ids) deleted since the file was read."""

    def __init__(self, *, students: list[int], programs: list[int]) -> None:
        super().__init__(f"students {students}, programs {programs} no longer exist")
        self.students = students
        self.programs = programs


@dataclass(frozen=True)
class UpsertSql:
    """The statements that move the staged rows into ``ProgressRecord``, and their values.

    Two statements rather than one ``INSERT ... ON CONFLICT DO UPDATE``: an UPDATE of the stored
    rows whose numbers differ, then a plain INSERT of the keys not stored yet (an anti-join).
    ON CONFLICT inserts each row speculatively, which made the first import of a million rows
    about 60% slower on PostgreSQL 15. Imports of one source are serialised (an advisory lock,
    PostgreSQL) so no other import inserts a key between the two statements.
    """

    table: str
    col: dict[str, str]  # field name -> its quoted column
    received: Any  # ``received_at`` as the database takes it
    update: str  # params: received, source
    insert: str  # params: source, received
    not_stored: str  # appended to ``insert``; params: source
    # The staged rows sorted by the natural key: its index then fills page by page.
    in_key_order: str = " ORDER BY student_id, program_id, date"

    @classmethod
    def at(cls, now: datetime.datetime) -> UpsertSql:
        meta = ProgressRecord._meta
        q = connection.ops.quote_name
        table = q(meta.db_table)

        def column(name: str) -> str:
            field = meta.get_field(name)
            # Each name below is a concrete field of ProgressRecord, never a reverse relation.
            assert isinstance(field, Field)
            return q(field.column)

        col = {
            name: column(name)
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
        # A row identical to the stored numbers is not written: re-importing changes nothing,
        # not even received_at.
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
        return cls(
            table=table,
            col=col,
            received=connection.ops.adapt_datetimefield_value(now),
            update=update,
            insert=insert,
            not_stored=(f" WHERE NOT EXISTS (SELECT 1 FROM {table} AS stored WHERE {same_key})"),
        )


class Stage:
    """A temporary table of the good rows, filled while the file streams; nothing of it is
    visible to other sessions, and it is dropped whatever happens."""

    # The staging table's columns, typed as the database stores ``ProgressRecord``'s, so
    # staged values compare as stored ones do.
    COLUMNS: ClassVar[str]
    # What a staged row holds for "no mastery".
    null: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        self.cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} ({self.COLUMNS})")

    def write(self, rows: list[StagedRow]) -> None:
        raise NotImplementedError

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
        file streamed)."""
        return self._move(UpsertSql.at(now), source, student_ids, program_ids)

    def _move(
        self, sql: UpsertSql, source: str, student_ids: list[int], program_ids: list[int]
    ) -> tuple[int, int]:
        """(created, updated): the stored keys whose numbers differ updated, then the keys not
        stored yet inserted. Portable SQL; a database may first check or skip more."""
        self.cursor.execute(sql.update, [sql.received, source])
        updated = self.cursor.rowcount
        self.cursor.execute(
            sql.insert + sql.not_stored + sql.in_key_order, [source, sql.received, source]
        )
        return self.cursor.rowcount, updated

    def drop(self) -> None:
        try:
            self.cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        finally:
            self.cursor.close()
