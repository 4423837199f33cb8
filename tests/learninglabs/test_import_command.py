"""``manage.py import_progress`` and the leaders' import page: upload, follow, see every bad row."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from learninglabs.imports import progress_import_run
from learninglabs.models import (
    ImportState,
    Program,
    ProgramKind,
    ProgressImport,
    ProgressRecord,
    Subject,
    VendorMapping,
)

from ..conftest import client_for

pytestmark = [pytest.mark.django_db]

ENROLLED = datetime.date(2026, 1, 5)
HEADER = "Student,Day,Minutes\n"
GOOD = "S-1,2026-11-02,30\nS-1,2026-11-03,45\n"
BROKEN = "S-1,2026-11-02,30\nS-1,2026-11-03,-5\nS-9,2026-11-04,20\n"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def mapping(school_a) -> VendorMapping:
    school_a.student.local_id = "S-1"
    school_a.student.enrollment_start = ENROLLED
    school_a.student.save()
    program = Program.objects.create(
        school=school_a.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )
    return VendorMapping.objects.create(
        school=school_a.school,
        name="ST Math export",
        source="csv:stmath",
        program=program,
        student_column="Student",
        date_column="Day",
        minutes_column="Minutes",
    )


def write(tmp_path, body: str, name: str = "export.csv"):
    file = tmp_path / name
    file.write_text(HEADER + body)
    return file


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the command ---------------------------------------------------------------------------------


def test_the_command_imports_a_file_and_records_the_import(mapping, tmp_path):
    file = write(tmp_path, GOOD)

    out, _ = run("--school", mapping.school.slug, "--mapping", "ST Math export", str(file))

    assert "2 rows imported: 2 new, 0 corrected, 0 unchanged." in out
    assert ProgressRecord.objects.filter(source="csv:stmath").count() == 2
    record = ProgressImport.objects.get()
    assert (record.state, record.file_name, record.rows_done, record.created) == (
        ImportState.SUCCEEDED,
        "export.csv",
        2,
        2,
    )


def test_the_command_lists_bad_rows_stores_nothing_and_fails(mapping, tmp_path):
    file = write(tmp_path, BROKEN)
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 errors in 3 rows; nothing was stored"):
        call_command(
            "import_progress",
            "--school",
            mapping.school.slug,
            "--mapping",
            "ST Math export",
            str(file),
            stderr=err,
        )

    assert err.getvalue().splitlines() == [
        "row 3, column 'Minutes': Give 0 to 600 minutes.",
        f"row 4, column 'Student': No student with id 'S-9' at {mapping.school.name}.",
    ]
    assert ProgressRecord.objects.count() == 0
    record = ProgressImport.objects.get()
    assert record.state == ImportState.REJECTED
    assert record.errors == [
        {"row": 3, "column": "Minutes", "reason": "Give 0 to 600 minutes."},
        {
            "row": 4,
            "column": "Student",
            "reason": f"No student with id 'S-9' at {mapping.school.name}.",
        },
    ]


def test_a_dry_run_stores_nothing_and_records_nothing(mapping, tmp_path):
    file = write(tmp_path, GOOD)

    out, _ = run(
        "--school", mapping.school.slug, "--mapping", "ST Math export", "--dry-run", str(file)
    )

    assert "All 2 rows are valid (a dry run: nothing was stored)." in out
    assert ProgressRecord.objects.count() == 0
    assert ProgressImport.objects.count() == 0


@pytest.mark.parametrize(
    ("school", "mapping_name", "file_name", "message"),
    [
        ("nowhere", "ST Math export", "export.csv", "--school: no school with slug 'nowhere'"),
        (None, "Lexia", "export.csv", "has no mapping named 'Lexia' (it has: 'ST Math export')"),
        (None, "ST Math export", "missing.csv", "missing.csv: No such file or directory"),
    ],
)
def test_bad_arguments_are_named(mapping, tmp_path, school, mapping_name, file_name, message):
    write(tmp_path, GOOD)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(
            "--school",
            school or mapping.school.slug,
            "--mapping",
            mapping_name,
            str(tmp_path / file_name),
        )


# --- the page ------------------------------------------------------------------------------------


def upload(body: str, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + body).encode(), content_type="text/csv")


def test_a_leader_uploads_a_file_and_sees_the_result(
    mapping, school_a, tmp_path, django_capture_on_commit_callbacks
):
    client = client_for(school_a.leader.user)
    url = reverse("progress-imports", kwargs={"school_id": school_a.school.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"mapping": mapping.pk, "file": upload(GOOD)})

    record = ProgressImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(
        "progress-import-status",
        kwargs={"school_id": school_a.school.pk, "import_id": record.pk},
    )
    assert (record.state, record.created, record.requested_by) == (
        ImportState.SUCCEEDED,
        2,
        school_a.leader.user,
    )
    assert ProgressRecord.objects.count() == 2
    assert not record.file and not any(tmp_path.rglob("*.csv"))  # the upload is not kept
    page = client.get(response.url).content.decode()
    assert "2 rows imported: 2 new, 0 corrected, 0 unchanged." in page
    assert "hx-trigger" not in page  # finished: no more polling
    listing = client.get(url).content.decode()
    assert "export.csv" in listing and "Imported" in listing


def test_a_rejected_upload_lists_every_bad_row(
    mapping, school_a, django_capture_on_commit_callbacks
):
    client = client_for(school_a.leader.user)
    url = reverse("progress-imports", kwargs={"school_id": school_a.school.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"mapping": mapping.pk, "file": upload(BROKEN)})

    page = client.get(response.url).content.decode()
    assert "2 errors in 3 rows; nothing was stored." in page
    assert "<tr><td>3</td><td>Minutes</td><td>Give 0 to 600 minutes.</td></tr>" in page
    assert "<tr><td>4</td><td>Student</td><td>No student with id &#x27;S-9&#x27;" in page
    assert ProgressRecord.objects.count() == 0


def test_a_running_import_is_polled_until_it_changes(mapping, school_a):
    record = ProgressImport.objects.create(
        school=school_a.school,
        mapping=mapping,
        file_name="big.csv",
        state=ImportState.RUNNING,
        rows_total=1000,
        rows_done=250,
    )
    client = client_for(school_a.leader.user)
    url = reverse(
        "progress-import-status",
        kwargs={"school_id": school_a.school.pk, "import_id": record.pk},
    )

    page = client.get(url).content.decode()
    same = client.get(url, {"seen": "running:250"}, headers={"HX-Request": "true"})
    ProgressImport.objects.filter(pk=record.pk).update(rows_done=500)
    moved = client.get(url, {"seen": "running:250"}, headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in page
    assert "250 of about 1000 rows checked" in page
    assert same.status_code == 204
    assert moved.status_code == 200
    assert "500 of about 1000 rows checked" in moved.content.decode()
    assert "<html" not in moved.content.decode()  # the fragment only


def test_running_a_finished_import_again_changes_nothing(mapping, school_a):
    record = ProgressImport.objects.create(
        school=school_a.school, mapping=mapping, file_name="x.csv", state=ImportState.SUCCEEDED
    )

    assert progress_import_run(import_id=record.pk).state == ImportState.SUCCEEDED
    assert ProgressRecord.objects.count() == 0


def test_another_schools_import_answers_404(mapping, school_a, school_b):
    record = ProgressImport.objects.create(
        school=school_a.school, mapping=mapping, file_name="x.csv", state=ImportState.SUCCEEDED
    )
    intruder = client_for(school_b.leader.user)

    status = intruder.get(
        reverse(
            "progress-import-status",
            kwargs={"school_id": school_a.school.pk, "import_id": record.pk},
        )
    )
    # Through their own school's address, too: the import is not theirs.
    own_school = intruder.get(
        reverse(
            "progress-import-status",
            kwargs={"school_id": school_b.school.pk, "import_id": record.pk},
        )
    )
    listing = intruder.get(reverse("progress-imports", kwargs={"school_id": school_a.school.pk}))

    assert (status.status_code, own_school.status_code, listing.status_code) == (404, 404, 404)


def test_another_schools_mapping_cannot_be_chosen(mapping, school_a, school_b):
    client = client_for(school_b.leader.user)
    url = reverse("progress-imports", kwargs={"school_id": school_b.school.pk})

    response = client.post(url, {"mapping": mapping.pk, "file": upload(GOOD)})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ProgressImport.objects.count() == 0


def test_a_teacher_may_not_import(mapping, school_a):
    client = client_for(school_a.teacher.user)

    response = client.get(reverse("progress-imports", kwargs={"school_id": school_a.school.pk}))

    assert response.status_code == 403
