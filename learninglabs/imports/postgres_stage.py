"""Staging on PostgreSQL: the good rows are COPYed in chunks while the file is still being read
(about ten times faster than INSERTs), then moved into ``ProgressRecord`` skipping what cannot
matter: on a source's first import for the school, the UPDATE and the anti-join.

The move checks the references set-wise first (the school's students and programs locked
``FOR KEY SHARE`` and counted once; one removed since the file was read is reported) and keeps
the foreign keys, whose triggers check each row at commit: the app's database role may not
switch triggers off (``session_replication_role``), and the import does not try.
"""

from __future__ import annotations

import io
from typing import ClassVar

from django.db import connection, models

from students.models import Student

from ..models import Program
from .stage import STAGE_TABLE, Stage, StagedRow, UpsertSql, Vanished


class PostgresStage(Stage):
    COLUMNS: ClassVar[str] = (
        "student_id bigint, program_id bigint, date date, minutes integer, "
        "lessons integer, mastery numeric(5, 2)"
    )
    null: ClassVar[str | None] = "\\N"  # NULL in COPY's text format

    def write(self, rows: list[StagedRow]) -> None:
        if not rows:
            return
        # Every value is already text (``self.null`` for no mastery): joined in C.
        text = "\n".join(map("\t".join, rows)) + "\n"  # type: ignore[arg-type]
        # One read of the whole chunk: psycopg2 takes the GIL back for each read, and with the
        # reading thread busy each take can wait a switch interval (5 ms); the default 8 kB
        # reads would cost over a second a chunk.
        self.cursor.cursor.copy_expert(
            f"COPY {STAGE_TABLE} FROM STDIN", io.StringIO(text), size=len(text) + 1
        )

    def _move(
        self, sql: UpsertSql, source: str, student_ids: list[int], program_ids: list[int]
    ) -> tuple[int, int]:
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
            f"SELECT EXISTS (SELECT 1 FROM {sql.table} "
            f"WHERE {sql.col['student']} = ANY(%s) AND {sql.col['source']} = %s), "
            f"{_key_share_count(Student)}, {_key_share_count(Program)}",
            [student_ids, source, student_ids, program_ids],
        )
        (stored_before, students_found, programs_found) = self.cursor.fetchone()
        if students_found != len(student_ids) or programs_found != len(program_ids):
            vanished = Vanished(
                students=self._vanished(Student, student_ids, "student_id"),
                programs=self._vanished(Program, program_ids, "program_id"),
            )
            if vanished.students or vanished.programs:
                raise vanished
        if stored_before:
            return super()._move(sql, source, student_ids, program_ids)
        # No record of this source for these students yet: no staged key can collide (the
        # file's keys were checked unique), so no UPDATE and no anti-join.
        self.cursor.execute(sql.insert + sql.in_key_order, [source, sql.received])
        return self.cursor.rowcount, 0

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


def _key_share_count(model: type[models.Model]) -> str:
    """SQL: lock the rows of ``model`` whose ids are in the parameter (an array) as a foreign
    key's check does, and count them."""
    q = connection.ops.quote_name
    return (
        f"(SELECT count(*) FROM (SELECT 1 FROM {q(model._meta.db_table)} "
        f"WHERE {q(model._meta.pk.column)} = ANY(%s) FOR KEY SHARE) AS locked)"
    )
