"""``manage.py import_roster`` and roster import jobs: dry run, apply, rejection."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from students.models import RosterImport, RosterImportState, Student
from students.oneroster.imports import roster_import_apply, roster_import_run

from ..factories import NetworkFactory
from .oneroster_files import small_school

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_roster", *args, "--today", "2024-09-03", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_dry_run_lists_the_changes_and_changes_nothing(tmp_path):
    network = NetworkFactory()
    export = small_school().write_zip(tmp_path / "export.zip")

    out = run("--network", network.slug, str(export), "--dry-run")

    assert "Dry run: nothing was changed" in out
    assert "student: create 10" in out
    assert not Student.objects.exists()
    record = RosterImport.objects.get()
    assert record.state == RosterImportState.REVIEWED
    assert out.startswith(f"Roster import {record.pk}, OneRoster 1.1:")


def test_a_reviewed_dry_run_is_applied_from_the_same_file(tmp_path):
    network = NetworkFactory()
    run(
        "--network",
        network.slug,
        str(small_school().write_folder(tmp_path / "export")),
        "--dry-run",
    )
    reviewed = RosterImport.objects.get()

    applied = roster_import_apply(record=reviewed, by=None)
    applied = roster_import_run(import_id=applied.pk)

    assert applied.state == RosterImportState.APPLIED
    assert Student.objects.count() == 10


def test_the_same_export_again_reports_nothing_to_change(tmp_path):
    network = NetworkFactory()
    export = small_school().write_zip(tmp_path / "export.zip")
    run("--network", network.slug, str(export))

    out = run("--network", network.slug, str(export))

    assert "nothing to change" in out


def test_a_broken_export_is_rejected_with_every_error_and_changes_nothing(
    tmp_path, django_capture_on_commit_callbacks
):
    network = NetworkFactory()
    export = small_school()
    export.rows("users.csv")[2]["grades"] = "Grade 9"  # not a grade code
    export.rows("classes.csv")[0]["schoolSourcedId"] = "nowhere"

    # The file is deleted once the finished import commits.
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match="error"),
    ):
        run("--network", network.slug, str(export.write_zip(tmp_path / "export.zip")))

    record = RosterImport.objects.get()
    assert record.state == RosterImportState.REJECTED and record.error_count >= 2
    assert {e["file"] for e in record.errors} >= {"users.csv", "classes.csv"}
    assert not Student.objects.exists()
    assert not record.file  # the rejected file is not kept


def test_an_unknown_network_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="--network: no network"):
        run("--network", "nowhere", str(tmp_path))
