"""Writes of Learning Lab data: progress records pushed by clients (and later imported from CSV).

``progress_records_upsert`` takes a whole batch, checks every item and either stores all of it in
one transaction or nothing, naming each refused item by its position and field. It runs the same
small number of queries whatever the batch's length: the students, the programs, the records
already stored, and one INSERT ... ON CONFLICT DO UPDATE.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from students.audit import audit_denied
from students.errors import DomainError
from students.models import School, Student
from students.permissions import AnyUser, led_schools, visible_schools

from . import progress_rules as rules
from .models import API_SOURCE, Program, ProgressRecord

logger = logging.getLogger(__name__)

# One push is stored by one INSERT: 5,000 rows of 8 values stay under PostgreSQL's 65,535
# parameters per statement, and a day of a large school's lab (about 1,000 students in up to
# three programs) fits with room to spare. Larger exports are sent in several pushes.
MAX_RECORDS_PER_PUSH = 5000

NATURAL_KEY = ["student", "program", "date", "source"]
UPDATED_FIELDS = ["minutes", "lessons_completed", "mastery_level", "received_at"]

ItemErrors = dict[str, list[str]]
BatchErrors = dict[str, ItemErrors]  # item index (as a string, like JSON keys) -> field -> messages


class ProgressRejected(DomainError):
    code = "progress-rejected"
    title = gettext_lazy("Progress records were refused")
    status = 400

    @classmethod
    def too_many(cls, count: int) -> ProgressRejected:
        """A push of ``count`` records, more than one push may hold."""
        return cls(
            gettext("%(count)s records in one push; send at most %(most)s at a time.")
            % {"count": count, "most": MAX_RECORDS_PER_PUSH},
            errors={
                "non_field_errors": [
                    gettext("Send at most %(most)s records.") % {"most": MAX_RECORDS_PER_PUSH}
                ]
            },
        )

    @classmethod
    def with_errors(cls, errors: BatchErrors, total: int) -> ProgressRejected:
        """``errors`` (by item) among a push of ``total`` records."""
        return cls(
            gettext("%(refused)s of %(total)s records have errors; nothing was stored.")
            % {"refused": len(errors), "total": total},
            errors=errors,
        )


@dataclass(frozen=True)
class ProgressInput:
    """One pushed record, parsed; ``index`` is its position in the pushed list."""

    index: int
    student_id: int
    program_code: str
    date: datetime.date
    minutes: int
    lessons_completed: int = 0
    mastery_level: Decimal | None = None
    source: str = API_SOURCE


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Resolved:
    errors: BatchErrors
    student_school: dict[int, int]
    programs: dict[tuple[int, str], int]  # (school id, code) -> program id


def writable_schools(user: AnyUser) -> QuerySet[School]:
    """The schools whose progress ``user`` may write: an API client's schools when it was granted
    write; a person's schools they lead (or administer as network admin)."""
    if getattr(user, "api_client", None) is not None:
        return visible_schools(user) if getattr(user, "can_write", False) else School.objects.none()
    return led_schools(user)


def _add(errors: BatchErrors, index: int, field: str, message: str) -> None:
    errors.setdefault(str(index), {}).setdefault(field, []).append(message)


def progress_range_errors(record: ProgressInput, errors: BatchErrors) -> None:
    """The checks a parser may already have made, repeated so every caller gets them."""
    problems = [
        ("minutes", rules.minutes_problem(record.minutes)),
        ("lessons_completed", rules.lessons_problem(record.lessons_completed)),
        (
            "mastery_level",
            None if record.mastery_level is None else rules.mastery_problem(record.mastery_level),
        ),
        ("source", rules.source_problem(record.source)),
    ]
    for field, problem in problems:
        if problem is not None:
            _add(errors, record.index, field, problem)


def _resolve(records: Sequence[ProgressInput], by: AnyUser, *, via: str) -> _Resolved:
    """Check every record against the database in two queries (students, programs)."""
    errors: BatchErrors = {}
    now = timezone.now()
    student_ids = {r.student_id for r in records}
    students = {
        row["pk"]: row
        for row in Student.objects.filter(
            pk__in=student_ids, school__in=writable_schools(by).values("pk")
        ).values("pk", "school_id", "school__time_zone", "enrollment_start", "enrollment_end")
    }
    school_ids = {row["school_id"] for row in students.values()}
    codes = {r.program_code for r in records}
    programs = (
        {
            (school_id, code): pk
            for pk, school_id, code in Program.objects.filter(
                school_id__in=school_ids, code__in=codes
            ).values_list("pk", "school_id", "code")
        }
        if school_ids
        else {}
    )

    first_at: dict[tuple[int, str, datetime.date, str], int] = {}
    for r in records:
        progress_range_errors(r, errors)
        key = (r.student_id, r.program_code, r.date, r.source)
        if key in first_at:
            _add(
                errors,
                r.index,
                "non_field_errors",
                gettext("Repeats item %(item)s: the same student, program, date and source.")
                % {"item": first_at[key]},
            )
        else:
            first_at[key] = r.index
        student = students.get(r.student_id)
        if student is None:
            _add(
                errors,
                r.index,
                "student",
                rules.unknown_student(str(r.student_id), None),
            )
            continue
        if (student["school_id"], r.program_code) not in programs:
            _add(
                errors,
                r.index,
                "program",
                rules.unknown_program(r.program_code, None),
            )
        problem = rules.date_problem(
            r.date,
            today=rules.school_today(ZoneInfo(student["school__time_zone"]), now),
            start=student["enrollment_start"],
            end=student["enrollment_end"],
        )
        if problem is not None:
            _add(errors, r.index, "date", problem)

    missing = student_ids - students.keys()
    if missing:
        # Ids of schools the caller cannot see at all are attempts to reach another school's
        # records: record them, as every other door does (ids only, never names).
        for hidden in Student.objects.filter(pk__in=missing).exclude(
            school__in=visible_schools(by).values("pk")
        ):
            audit_denied(user=by, obj=hidden, via=via)
    return _Resolved(
        errors=errors,
        student_school={pk: row["school_id"] for pk, row in students.items()},
        programs=programs,
    )


def progress_record_errors(
    *, records: Sequence[ProgressInput], by: AnyUser, via: str = "service"
) -> BatchErrors:
    """What is wrong with each record, keyed by item index and field; empty when all are good."""
    return _resolve(records, by, via=via).errors


def progress_records_upsert(
    *, records: Sequence[ProgressInput], by: AnyUser, via: str = "service"
) -> UpsertResult:
    """Store every record or none: a record whose natural key (student, program, date, source)
    is already stored replaces its numbers; one identical to the stored numbers is left alone, so
    pushing the same batch twice writes nothing the second time.

    Raises ``ProgressRejected`` with ``errors`` keyed by item index and field when any record is
    refused; nothing is stored then.
    """
    if len(records) > MAX_RECORDS_PER_PUSH:
        raise ProgressRejected.too_many(len(records))
    if not records:
        return UpsertResult(created=0, updated=0, unchanged=0)
    resolved = _resolve(records, by, via=via)
    if resolved.errors:
        raise ProgressRejected.with_errors(resolved.errors, len(records))

    now = timezone.now()
    keyed = [
        (
            (
                r.student_id,
                resolved.programs[(resolved.student_school[r.student_id], r.program_code)],
                r.date,
                r.source,
            ),
            r,
        )
        for r in records
    ]
    with transaction.atomic():
        stored = {
            (student, program, date, source): (minutes, lessons, mastery)
            for student, program, date, source, minutes, lessons, mastery in (
                ProgressRecord.objects.filter(
                    student_id__in={key[0] for key, _ in keyed},
                    program_id__in={key[1] for key, _ in keyed},
                    date__range=(min(r.date for r in records), max(r.date for r in records)),
                    source__in={r.source for r in records},
                ).values_list(
                    "student_id",
                    "program_id",
                    "date",
                    "source",
                    "minutes",
                    "lessons_completed",
                    "mastery_level",
                )
            )
        }
        created = updated = unchanged = 0
        rows = []
        for key, r in keyed:
            numbers = (r.minutes, r.lessons_completed, r.mastery_level)
            before = stored.get(key)
            if before == numbers:
                unchanged += 1
                continue
            if before is None:
                created += 1
            else:
                updated += 1
            rows.append(
                ProgressRecord(
                    student_id=key[0],
                    program_id=key[1],
                    date=r.date,
                    source=r.source,
                    minutes=r.minutes,
                    lessons_completed=r.lessons_completed,
                    mastery_level=r.mastery_level,
                    received_at=now,
                )
            )
        if rows:
            ProgressRecord.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=NATURAL_KEY,
                update_fields=UPDATED_FIELDS,
            )
    logger.info(
        "progress upsert by=%s created=%d updated=%d unchanged=%d via=%s",
        by.get_username(),
        created,
        updated,
        unchanged,
        via,
    )
    return UpsertResult(created=created, updated=updated, unchanged=unchanged)
