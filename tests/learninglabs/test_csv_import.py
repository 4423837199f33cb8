"""CSV progress imports: all rows or none, every bad row named, idempotent on the natural key."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from learninglabs.imports import estimate_rows, progress_csv_import, rules
from learninglabs.imports.postgres_stage import PostgresStage
from learninglabs.imports.sqlite_stage import SqliteStage
from learninglabs.models import (
    DateFormat,
    Program,
    ProgramKind,
    ProgressRecord,
    Subject,
    VendorMapping,
)

from ..factories import StudentFactory

pytestmark = pytest.mark.django_db

ENROLLED = datetime.date(2026, 1, 5)
HEADER = "Student ID,Program,Date,Minutes,Lessons,Mastery\n"


def make_program(world, code: str) -> Program:
    return Program.objects.create(
        school=world.school,
        name=f"Program {code}",
        code=code,
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )


@pytest.fixture
def alder(school_a):
    school_a.student.local_id = "1001"
    school_a.student.enrollment_start = ENROLLED
    school_a.student.save()
    StudentFactory(
        school=school_a.school,
        cohort=school_a.student.cohort,
        local_id="1002",
        enrollment_start=ENROLLED,
    )
    make_program(school_a, "st-math")
    make_program(school_a, "lexia")
    return school_a


@pytest.fixture
def mapping(alder) -> VendorMapping:
    return VendorMapping.objects.create(
        school=alder.school,
        name="Vendor export",
        source="csv:vendor",
        program_column="Program",
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
        lessons_column="Lessons",
        mastery_column="Mastery",
    )


def csv_file(*lines: str, header: str = HEADER, bom: bool = False) -> io.BytesIO:
    text = header + "".join(f"{line}\n" for line in lines)
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode())


GOOD = (
    "1001,st-math,2026-11-02,30,2,55.5",
    "1001,lexia,2026-11-02,20,1,",
    "1002,st-math,2026-11-02,45,3,80",
    "1002,st-math,2026-11-03,25,0,81.25",
)


def stored() -> list[tuple]:
    return list(
        ProgressRecord.objects.order_by("student__local_id", "program__code", "date").values_list(
            "student__local_id",
            "program__code",
            "date",
            "minutes",
            "lessons_completed",
            "mastery_level",
            "source",
        )
    )


def test_a_good_file_imports_every_row(mapping):
    outcome = progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    assert outcome.ok, outcome.errors
    assert (outcome.rows, outcome.created, outcome.updated, outcome.unchanged) == (4, 4, 0, 0)
    nov2, nov3 = datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)
    assert stored() == [
        ("1001", "lexia", nov2, 20, 1, None, "csv:vendor"),
        ("1001", "st-math", nov2, 30, 2, Decimal("55.50"), "csv:vendor"),
        ("1002", "st-math", nov2, 45, 3, Decimal("80.00"), "csv:vendor"),
        ("1002", "st-math", nov3, 25, 0, Decimal("81.25"), "csv:vendor"),
    ]


def test_one_broken_row_rejects_the_file_naming_row_and_column(mapping):
    outcome = progress_csv_import(
        mapping=mapping, file=csv_file(GOOD[0], GOOD[1], "1002,st-math,2026-11-02,900,3,80")
    )

    assert not outcome.ok
    assert [e.as_dict() for e in outcome.errors] == [
        {"row": 4, "column": "Minutes", "reason": "Give 0 to 600 minutes."}
    ]
    assert "nothing was stored" in outcome.message
    assert ProgressRecord.objects.count() == 0


def test_every_bad_row_and_column_is_listed(mapping):
    outcome = progress_csv_import(
        mapping=mapping,
        file=csv_file(
            "9999,st-math,2026-11-02,30,2,50",  # unknown student
            "1001,chess,2026-11-02,30,2,50",  # unknown program
            "1001,st-math,2026-13-40,30.5,x,101",  # bad date, minutes, lessons, mastery
            "1001,st-math,2099-01-01,30,2,50",  # future
            "1001,st-math,2025-06-01,30,2,50",  # before enrollment
            "1002,lexia,2026-11-02,30,2,50.123",  # three decimals
            "1002,lexia,2026-11-02,31,2,50",  # repeats the row above's key
        ),
    )

    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "Student ID"),
        (3, "Program"),
        (4, "Date"),
        (4, "Minutes"),
        (4, "Lessons"),
        (4, "Mastery"),
        (5, "Date"),
        (6, "Date"),
        (7, "Mastery"),
    ]
    reasons = [e.reason for e in outcome.errors]
    assert reasons[0] == "No student with id '9999' at Alder."
    assert reasons[1] == "No program with code 'chess' at Alder."
    assert reasons[2] == "'2026-13-40' is not a date written as 2026-11-24."
    assert reasons[3] == "Give a whole number of minutes, e.g. 30."
    assert reasons[5] == "Give a mastery level from 0 to 100."
    assert reasons[6].startswith("Jan. 1, 2099 is in the future")
    assert (
        reasons[7] == "The student was not enrolled on June 1, 2025 (enrolled from Jan. 5, 2026)."
    )
    assert reasons[8] == "Give at most 2 decimal places."
    # The repeated row is valid in itself, but its key repeats row 7's; row 7 was refused, so
    # the repeat is not reported: only keys of good rows are remembered.
    assert outcome.error_count == 9
    assert ProgressRecord.objects.count() == 0


def test_a_repeated_row_is_named(mapping):
    outcome = progress_csv_import(
        mapping=mapping, file=csv_file(GOOD[0], "1001,st-math,2026-11-02,31,2,50")
    )

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "row": 3,
            "column": "",
            "reason": "Repeats an earlier row: the same student, program and date.",
        }
    ]
    assert ProgressRecord.objects.count() == 0


def test_importing_the_same_file_twice_adds_nothing(mapping):
    progress_csv_import(mapping=mapping, file=csv_file(*GOOD))
    before = list(ProgressRecord.objects.values_list("pk", "received_at").order_by("pk"))

    again = progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert list(ProgressRecord.objects.values_list("pk", "received_at").order_by("pk")) == before


def test_a_corrected_row_replaces_the_old_numbers(mapping):
    progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    corrected = progress_csv_import(
        mapping=mapping, file=csv_file("1001,st-math,2026-11-02,35,3,60", *GOOD[1:])
    )

    assert (corrected.created, corrected.updated, corrected.unchanged) == (0, 1, 3)
    assert ProgressRecord.objects.count() == 4
    record = ProgressRecord.objects.get(student__local_id="1001", program__code="st-math")
    assert (record.minutes, record.lessons_completed, record.mastery_level) == (
        35,
        3,
        Decimal("60.00"),
    )


def test_another_source_keeps_its_own_records(mapping, alder):
    progress_csv_import(mapping=mapping, file=csv_file(GOOD[0]))
    other = VendorMapping.objects.create(
        school=alder.school,
        name="Other",
        source="csv:other",
        program_column="Program",
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
    )

    outcome = progress_csv_import(mapping=other, file=csv_file(GOOD[0]))

    assert outcome.created == 1
    assert sorted(ProgressRecord.objects.values_list("source", flat=True)) == [
        "csv:other",
        "csv:vendor",
    ]


def test_another_schools_students_and_programs_are_unknown(mapping, school_b):
    StudentFactory(school=school_b.school, local_id="2001", enrollment_start=ENROLLED)
    make_program(school_b, "birch-only")

    outcome = progress_csv_import(
        mapping=mapping,
        file=csv_file("2001,st-math,2026-11-02,30,2,50", GOOD[0].replace("st-math", "birch-only")),
    )

    assert [(e.row, e.column, e.reason) for e in outcome.errors] == [
        (2, "Student ID", "No student with id '2001' at Alder."),
        (3, "Program", "No program with code 'birch-only' at Alder."),
    ]


def test_a_missing_column_is_named(mapping):
    outcome = progress_csv_import(
        mapping=mapping,
        file=csv_file("1001,st-math,2026-11-02,30", header="student id,PROGRAM,Date,Mins\n"),
    )

    assert not outcome.ok
    assert [(e.row, e.column) for e in outcome.errors] == [
        (1, "Minutes"),
        (1, "Lessons"),
        (1, "Mastery"),
    ]
    assert outcome.errors[0].reason == (
        "The header has no column 'Minutes' (it has 'student id', 'PROGRAM', 'Date', 'Mins')."
    )
    assert "missing 'Minutes', 'Lessons', 'Mastery'" in outcome.message
    assert ProgressRecord.objects.count() == 0


def test_a_bom_us_dates_a_fixed_program_and_blank_trailing_columns(alder):
    st_math = Program.objects.get(code="st-math")
    mapping = VendorMapping.objects.create(
        school=alder.school,
        name="ST Math",
        source="csv:stmath",
        program=st_math,
        student_column="Student ID",
        date_column="Date",
        date_format=DateFormat.US,
        minutes_column="Minutes",
    )
    file = csv_file(
        "1001,11/02/2026,30,,",
        "1002,11/3/2026,45",  # a short row: cells past the mapped ones may be missing
        ",,,,",  # a row of empty cells, as a spreadsheet writes below the data
        "",
        header="Student ID,Date,Minutes,,\n",
        bom=True,
    )

    outcome = progress_csv_import(mapping=mapping, file=file)

    assert outcome.ok, outcome.errors
    assert outcome.rows == 2
    assert sorted(
        ProgressRecord.objects.values_list("student__local_id", "program__code", "date", "minutes")
    ) == [
        ("1001", "st-math", datetime.date(2026, 11, 2), 30),
        ("1002", "st-math", datetime.date(2026, 11, 3), 45),
    ]


def test_a_file_that_is_not_utf8_is_rejected_with_a_clear_message(mapping):
    file = io.BytesIO(
        (HEADER + GOOD[0] + "\n1001,lexia,2026-11-02,20,1,caf\xe9\n").encode("latin-1")
    )

    outcome = progress_csv_import(mapping=mapping, file=file)

    assert not outcome.ok
    assert "is not UTF-8 text" in outcome.errors[0].reason
    assert "CSV UTF-8" in outcome.errors[0].reason
    assert ProgressRecord.objects.count() == 0


def test_an_empty_file_is_rejected(mapping):
    outcome = progress_csv_import(mapping=mapping, file=io.BytesIO(b""))

    assert [e.as_dict() for e in outcome.errors] == [
        {"row": 1, "column": "", "reason": "The file is empty: it has no header row."}
    ]


def test_a_dry_run_checks_and_stores_nothing(mapping):
    outcome = progress_csv_import(mapping=mapping, file=csv_file(*GOOD), dry_run=True)

    assert outcome.ok and outcome.rows == 4
    assert ProgressRecord.objects.count() == 0


def test_progress_is_reported_while_reading(mapping):
    seen: list[int] = []

    progress_csv_import(
        mapping=mapping, file=csv_file(*GOOD), on_progress=seen.append, progress_every=2
    )

    assert seen == [2, 4]


def test_the_row_estimate_counts_lines_and_rewinds():
    file = csv_file(*GOOD)

    assert estimate_rows(file) == 4
    assert file.tell() == 0


def test_a_file_is_imported_in_a_fixed_number_of_queries(mapping, django_assert_max_num_queries):
    many = [f"1001,st-math,2026-{m:02d}-{d:02d},30,2,50" for m in (2, 3, 4) for d in range(1, 29)]
    # students, programs, stage drop/create, staged writes, counts, upsert, drop, savepoints
    with django_assert_max_num_queries(14):
        outcome = progress_csv_import(mapping=mapping, file=csv_file(*many))
    assert outcome.created == len(many)


def test_a_bad_row_after_staged_chunks_stores_nothing(mapping, monkeypatch):
    # Chunks of two rows: on PostgreSQL the reading thread has handed two chunks to the stage
    # before it reaches the bad row.
    monkeypatch.setattr(rules, "STAGE_CHUNK_ROWS", 2)

    outcome = progress_csv_import(
        mapping=mapping, file=csv_file(*GOOD, "1001,st-math,2026-11-04,30,2,101")
    )

    assert [(e.row, e.column) for e in outcome.errors] == [(6, "Mastery")]
    assert outcome.rows == 5
    assert ProgressRecord.objects.count() == 0
    assert not reader_threads()


def test_a_failing_stage_write_stops_the_reading_and_stores_nothing(mapping, monkeypatch):
    monkeypatch.setattr(rules, "STAGE_CHUNK_ROWS", 1)
    written: list[int] = []

    def write(self, rows):
        written.append(len(rows))
        if len(written) == 2:
            raise OSError("the connection dropped")

    for stage in (PostgresStage, SqliteStage):
        monkeypatch.setattr(stage, "write", write)

    with pytest.raises(OSError, match="the connection dropped"):
        progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    assert written == [1, 1]
    assert ProgressRecord.objects.count() == 0
    assert not reader_threads()


def test_an_error_while_reading_reaches_the_caller(mapping, monkeypatch):
    def broken(text):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(rules, "minutes_cell", broken)

    with pytest.raises(RuntimeError, match="a bug in a rule"):
        progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    assert ProgressRecord.objects.count() == 0
    assert not reader_threads()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="session_replication_role")
def test_the_import_never_switches_the_triggers_off(mapping):
    # The foreign keys' (and the audit trail's) triggers stay on: the app's role may not
    # set session_replication_role, and the import does not need it.
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        outcome = progress_csv_import(mapping=mapping, file=csv_file(*GOOD))

    assert outcome.created == 4
    assert not [sql for sql in statements if "replication" in sql]


def test_an_import_then_a_correction_store_every_row_once(mapping):
    outcome = progress_csv_import(mapping=mapping, file=csv_file(*GOOD))
    corrected = progress_csv_import(
        mapping=mapping, file=csv_file("1001,st-math,2026-11-02,35,3,60", *GOOD[1:])
    )

    assert (outcome.created, corrected.updated, corrected.unchanged) == (4, 1, 3)
    assert ProgressRecord.objects.count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="set-wise reference check")
def test_a_student_deleted_while_the_file_streams_is_reported_not_referenced(mapping, alder):
    """The import read the student before it was deleted: the rows are not stored pointing
    at nothing; the set-wise check before the insert names the student."""
    StudentFactory(
        school=alder.school, cohort=alder.student.cohort, local_id="1003", enrollment_start=ENROLLED
    )
    StudentFactory(  # deleted too, but named by no row: not an error
        school=alder.school, cohort=alder.student.cohort, local_id="1004", enrollment_start=ENROLLED
    )

    def delete_the_students(rows: int) -> None:
        # The app never deletes a student (they are withdrawn); another client of the
        # database might.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM students_student WHERE local_id IN ('1003', '1004')")

    outcome = progress_csv_import(
        mapping=mapping,
        file=csv_file(*GOOD, "1003,st-math,2026-11-02,30,2,50"),
        on_progress=delete_the_students,
        progress_every=5,
    )

    assert not outcome.ok
    assert [(e.row, e.column) for e in outcome.errors] == [(0, "Student ID")]
    assert "'1003' was removed from Alder" in outcome.errors[0].reason
    assert "nothing was stored" in outcome.message
    assert ProgressRecord.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="foreign-key triggers")
def test_the_foreign_keys_still_guard_the_rows(mapping, alder, monkeypatch):
    """Were the set-wise check wrong, the foreign keys' triggers (never switched off) would
    refuse the rows."""
    StudentFactory(
        school=alder.school, cohort=alder.student.cohort, local_id="1003", enrollment_start=ENROLLED
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction never commits
    monkeypatch.setattr(PostgresStage, "_vanished", lambda self, model, ids, column: [])

    def delete_the_student(rows: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM students_student WHERE local_id = '1003'")

    with pytest.raises(IntegrityError):
        progress_csv_import(
            mapping=mapping,
            file=csv_file(*GOOD, "1003,st-math,2026-11-02,30,2,50"),
            on_progress=delete_the_student,
            progress_every=5,
        )

    assert ProgressRecord.objects.count() == 0


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "progress-import-reader"]
