"""A clean dry run means a clean apply: the dry run runs the whole apply in a transaction it
rolls back, so whatever the database would refuse (a value longer than its column, a duplicate
name) is an error of the dry run naming its file and row, and an apply never ends in an
"unexpected error". Exports real districts write that once crashed at Apply import, or are
refused row by row."""

import datetime

import pytest
from django.db import connection

from students.models import Cohort, RosterImport, RosterImportState, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply_checked
from students.oneroster.imports import roster_import_run, roster_import_start
from students.oneroster.plan import roster_plan
from students.oneroster.records import ExportError

from ..factories import NetworkFactory
from .oneroster_files import OneRosterExport, small_school
from .test_oneroster_district import row_of, user

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)


def run(network, export: OneRosterExport, *, dry_run: bool, today=TODAY) -> RosterImport:
    record = roster_import_start(
        network=network,
        file=export.zip_bytes(),
        file_name="roster.zip",
        dry_run=dry_run,
        queue=False,
    )
    roster_import_run(import_id=record.pk, today=today)
    record.refresh_from_db()
    return record


def errors_of(record: RosterImport) -> list[tuple[str, int, str | None]]:
    return [(e["file"], e["row"], e["column"]) for e in record.errors]


def test_a_cohort_title_longer_than_its_column_is_an_error_on_its_cell_in_the_dry_run(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    export.row("classes.csv", "hr-k")["title"] = "Kindergarten " + "Stanford University " * 4

    dry = run(network, export, dry_run=True)

    assert dry.state == RosterImportState.REJECTED
    assert errors_of(dry) == [("classes.csv", row_of(export, "classes.csv", "hr-k"), "title")]
    assert "60" in dry.errors[0]["reason"]
    assert not Cohort.objects.filter(school__network=network).exists()


def test_a_student_id_longer_than_32_characters_is_an_error_on_its_cell(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    export.row("users.csv", "st03")["identifier"] = "9" * 40

    dry = run(network, export, dry_run=True)

    assert dry.state == RosterImportState.REJECTED
    assert errors_of(dry) == [("users.csv", row_of(export, "users.csv", "st03"), "identifier")]
    applied = run(network, export, dry_run=False)
    assert applied.state == RosterImportState.REJECTED
    assert not Student.objects.filter(school__network=network).exists()


def test_two_homerooms_with_one_title_at_a_school_both_import_named_apart(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    # PowerSchool-style sections: every homeroom is titled "Homeroom"; their codes differ.
    for class_id in ("hr-k", "hr-1"):
        export.row("classes.csv", class_id)["title"] = "Homeroom"

    dry = run(network, export, dry_run=True)
    assert dry.state == RosterImportState.REVIEWED, dry.errors
    assert any("Homeroom" in w["reason"] for w in dry.warnings)
    applied = run(network, export, dry_run=False)
    again = run(network, export, dry_run=False)

    assert applied.state == RosterImportState.APPLIED
    names = sorted(Cohort.objects.filter(school__network=network).values_list("name", flat=True))
    assert names == ["Homeroom (HR-1)", "Homeroom (HR-K)"]
    assert again.state == RosterImportState.UNCHANGED


def test_a_new_school_year_with_new_homeroom_ids_and_the_same_titles_keeps_the_cohorts(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    run(network, small_school(), dry_run=False)
    kept = {c.name: c.pk for c in Cohort.objects.filter(school__network=network)}
    next_year = small_school()
    for row in next_year.rows("classes.csv"):
        row["sourcedId"] = f"{row['sourcedId']}-2025"
    for row in next_year.rows("enrollments.csv"):
        row["classSourcedId"] = f"{row['classSourcedId']}-2025"
        row["beginDate"] = "2025-08-11"

    dry = run(network, next_year, dry_run=True, today=datetime.date(2025, 8, 11))
    applied = run(network, next_year, dry_run=False, today=datetime.date(2025, 8, 11))

    assert dry.state == RosterImportState.REVIEWED, dry.errors
    assert applied.state == RosterImportState.APPLIED, applied.errors
    cohorts = Cohort.objects.filter(school__network=network)
    assert {c.name: c.pk for c in cohorts} == kept
    assert {c.sourced_id for c in cohorts} == {"hr-k-2025", "hr-1-2025"}
    assert all(s.cohort.sourced_id.endswith("-2025") for s in Student.objects.all())


def test_a_new_student_without_a_homeroom_enrollment_in_a_bulk_export_is_left_out_with_a_warning(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    export.rows("users.csv").append(user("st99", "student", "02"))

    dry = run(network, export, dry_run=True)
    applied = run(network, export, dry_run=False)

    assert dry.state == RosterImportState.REVIEWED, dry.errors
    assert applied.state == RosterImportState.APPLIED, applied.errors
    assert not Student.objects.filter(sourced_id="st99").exists()
    assert any(w["row"] == row_of(export, "users.csv", "st99") for w in applied.warnings)


def test_two_students_with_one_student_id_are_an_error_naming_the_second_row(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    export.row("users.csv", "st04")["identifier"] = "ST03"

    dry = run(network, export, dry_run=True)

    assert dry.state == RosterImportState.REJECTED
    assert errors_of(dry) == [("users.csv", row_of(export, "users.csv", "st04"), "identifier")]
    assert "ST03" in dry.errors[0]["reason"]


def test_what_the_database_refuses_at_apply_is_an_error_naming_the_row_and_nothing_is_kept(
    tmp_path,
):
    """A rule only the database knows (here a constraint added by hand) still names its row:
    the apply finds the row the database refuses, and rolls everything back."""
    network = NetworkFactory()
    export = small_school()
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE students_student ADD CONSTRAINT test_no_st07 CHECK (local_id <> 'ST07')"
        )
    folder = export.write_folder(tmp_path / "export")
    plan = roster_plan(network=network, export=read_export(folder), today=TODAY)
    assert plan.ok

    refused = roster_apply_checked(plan, keep=True)

    assert refused == [
        ExportError("users.csv", row_of(export, "users.csv", "st07"), None, refused[0].reason)
    ]
    assert "test_no_st07" in refused[0].reason
    assert not Student.objects.filter(school__network=network).exists()
    assert not Staff.objects.filter(school__network=network).exists()


def test_a_dry_run_finds_what_the_database_refuses_and_leaves_nothing_behind(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    network = NetworkFactory()
    export = small_school()
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE students_cohort ADD CONSTRAINT test_no_hr1 CHECK (name <> 'Homeroom 01')"
        )

    dry = run(network, export, dry_run=True)

    assert dry.state == RosterImportState.REJECTED
    assert errors_of(dry) == [("classes.csv", row_of(export, "classes.csv", "hr-1"), None)]
    assert dry.counts["student"] == {"create": 10}
    assert not Cohort.objects.filter(school__network=network).exists()
    assert not Student.objects.filter(school__network=network).exists()
