"""Uploads are bounded, and a file with unreadable cells is refused cell by cell.

Attacks: a leader (or a script with their session) pushes a huge body to the progress import
page, with a Content-Length or streamed without one; a network admin's client pushes an
oversized export to the roster API. And files whose cells no export holds (a NUL byte, control
characters, bytes that are not UTF-8, a quote never closed, an endless cell) must be refused
in the dry run with the file, row and column, not read on into a half-garbled import.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from learninglabs.import_views import progress_imports
from learninglabs.imports import progress_csv_import
from learninglabs.models import (
    ImportState,
    Program,
    ProgramKind,
    ProgressImport,
    ProgressRecord,
    Subject,
    VendorMapping,
)
from rocketship.upload_limits import MULTIPART_ALLOWANCE, UploadBodyLimitMiddleware
from students.csv_cells import MAX_CELL_CHARS
from students.models import RosterImport, RosterImportState
from students.oneroster.imports import roster_import_run
from tests.students.oneroster_files import small_school

from ..conftest import client_for

pytestmark = pytest.mark.django_db

HEADER = "Student ID,Program,Date,Minutes,Notes\n"
GOOD_ROW = "1001,st-math,2026-11-02,30,fine\n"


@pytest.fixture
def mapping(school_a) -> VendorMapping:
    school_a.student.local_id = "1001"
    school_a.student.enrollment_start = datetime.date(2026, 1, 5)
    school_a.student.save()
    Program.objects.create(
        school=school_a.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )
    return VendorMapping.objects.create(
        school=school_a.school,
        name="Vendor export",
        source="csv:vendor",
        program_column="Program",
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
    )


def progress_url(world) -> str:
    return reverse("progress-imports", kwargs={"school_id": world.school.pk})


def csv_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("export.csv", data, content_type="text/csv")


# --- the progress import page: 413 ----------------------------------------------------------------


def test_a_progress_csv_over_the_limit_answers_the_413_page_and_stores_nothing(
    settings, mapping, school_a
):
    settings.PROGRESS_UPLOAD_MAX_BYTES = 1000
    client = client_for(school_a.leader.user)
    big = (HEADER + GOOD_ROW * 100).encode()  # 3 KB: over the file limit, within the framing

    response = client.post(progress_url(school_a), {"mapping": mapping.pk, "file": csv_upload(big)})

    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is too large" in page and "larger than 1000\xa0bytes" in page
    assert not ProgressImport.objects.exists()


def test_a_body_far_over_the_limit_is_refused_from_its_content_length_before_it_is_read(
    settings, mapping, school_a
):
    settings.PROGRESS_UPLOAD_MAX_BYTES = 1000
    client = client_for(school_a.leader.user)
    huge = (HEADER + GOOD_ROW * 60_000).encode()  # about 2 MB: over the limit and the framing
    assert len(huge) > 1000 + MULTIPART_ALLOWANCE

    response = client.post(
        progress_url(school_a), {"mapping": mapping.pk, "file": csv_upload(huge)}
    )

    assert response.status_code == 413
    assert "larger than 1000\xa0bytes" in response.content.decode()
    assert not ProgressImport.objects.exists()


def test_a_body_streamed_without_content_length_is_cut_off_at_the_limit(
    settings, mapping, school_a
):
    settings.PROGRESS_UPLOAD_MAX_BYTES = 1000
    middleware = UploadBodyLimitMiddleware(lambda request: HttpResponse())

    def streamed(body: bytes) -> HttpResponse | None:
        request = RequestFactory().post(
            progress_url(school_a), body, content_type="application/x-www-form-urlencoded"
        )
        del request.META["CONTENT_LENGTH"]
        request._stream = io.BytesIO(body)  # as an ASGI server hands over a chunked body
        SessionMiddleware(lambda request: HttpResponse()).process_request(request)
        request.user = school_a.leader.user
        return middleware.process_view(request, progress_imports, (), {})

    limit = 1000 + MULTIPART_ALLOWANCE
    assert streamed(b"x" * limit) is None  # read whole, handed to the view
    refused = streamed(b"x" * (limit + 1))

    assert refused is not None and refused.status_code == 413
    assert "larger than 1000\xa0bytes" in refused.content.decode()


def test_a_progress_csv_within_the_limit_is_taken(settings, mapping, school_a):
    settings.PROGRESS_UPLOAD_MAX_BYTES = 1000
    client = client_for(school_a.leader.user)

    response = client.post(
        progress_url(school_a),
        {"mapping": mapping.pk, "file": csv_upload((HEADER + GOOD_ROW).encode())},
    )

    assert response.status_code == 302
    assert ProgressImport.objects.count() == 1


# --- roster imports: the page's form error, the API's 413 ---------------------------------------


def roster_api(network_admin):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(network_admin)
    return api


def test_an_export_over_the_limit_answers_413_problem_json_on_the_api(
    settings, school_a, network_admin
):
    settings.ROSTER_IMPORT_MAX_BYTES = 1000
    network = school_a.school.network
    export = small_school().zip_bytes()
    assert 1000 < len(export) < MULTIPART_ALLOWANCE

    response = roster_api(network_admin).post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {"file": SimpleUploadedFile("roster.zip", export, content_type="application/zip")},
        format="multipart",
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 413 and "ROSTER_IMPORT_MAX_BYTES" in body["detail"]
    assert not RosterImport.objects.exists()


def test_a_body_far_over_the_limit_answers_413_on_the_api_before_it_is_read(
    settings, school_a, network_admin
):
    settings.ROSTER_IMPORT_MAX_BYTES = 1000
    network = school_a.school.network
    huge = b"PK" + b"\x00" * (2 * MULTIPART_ALLOWANCE)

    response = roster_api(network_admin).post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {"file": SimpleUploadedFile("roster.zip", huge, content_type="application/zip")},
        format="multipart",
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/problem+json")
    assert not RosterImport.objects.exists()


def test_an_export_over_the_limit_is_a_form_error_on_the_page(settings, school_a, network_admin):
    settings.ROSTER_IMPORT_MAX_BYTES = 1000
    network = school_a.school.network
    export = small_school().zip_bytes()

    response = client_for(network_admin).post(
        reverse("roster-imports", args=[network.pk]),
        {"file": SimpleUploadedFile("roster.zip", export, content_type="application/zip")},
    )

    assert response.status_code == 400
    assert "The file is larger than 1000\xa0bytes" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_a_body_far_over_the_limit_answers_the_413_page_on_the_roster_page(
    settings, school_a, network_admin
):
    settings.ROSTER_IMPORT_MAX_BYTES = 1000
    network = school_a.school.network
    huge = b"PK" + b"\x00" * (2 * MULTIPART_ALLOWANCE)

    response = client_for(network_admin).post(
        reverse("roster-imports", args=[network.pk]),
        {"file": SimpleUploadedFile("roster.zip", huge, content_type="application/zip")},
    )

    assert response.status_code == 413
    assert "larger than 1000\xa0bytes" in response.content.decode()
    assert not RosterImport.objects.exists()


# --- unreadable cells in a OneRoster export: the dry run names them -----------------------------


def dry_run_of(client, network, data: bytes) -> RosterImport:
    response = client.post(
        reverse("roster-imports", args=[network.pk]),
        {
            "file": SimpleUploadedFile("roster.zip", data, content_type="application/zip"),
            "dry_run": "on",
        },
    )
    assert response.status_code == 302
    record = RosterImport.objects.order_by("-pk").first()
    assert record is not None
    ran = roster_import_run(import_id=record.pk, today=datetime.date(2024, 9, 3))
    assert ran is not None
    return ran


@pytest.mark.parametrize(
    ("given_name", "reason"),
    [
        ("Ma\x00ria", "NUL byte"),
        ("Ma\x07ria", "control character 0x07"),
        ("M" * (MAX_CELL_CHARS + 1), f"at most {MAX_CELL_CHARS:,}"),
    ],
)
def test_a_bad_cell_in_a_oneroster_export_is_refused_in_the_dry_run_by_row_and_column(
    school_a, network_admin, given_name, reason
):
    export = small_school()
    export.row("users.csv", "st02")["givenName"] = given_name
    client = client_for(network_admin)

    record = dry_run_of(client, school_a.school.network, export.zip_bytes())

    assert record.state == RosterImportState.REJECTED
    [error] = record.errors
    assert (error["file"], error["row"], error["column"]) == ("users.csv", 5, "givenName")
    assert reason in error["reason"]
    page = client.get(reverse("roster-import", args=[record.network_id, record.pk]))
    assert page.status_code == 200 and "givenName" in page.content.decode()


def test_an_unclosed_quote_in_a_oneroster_export_names_its_row_and_column(school_a, network_admin):
    export = small_school()
    text = export.render()["users.csv"].decode()
    rows = text.split("\r\n")
    cells = rows[4].split(",")
    column = rows[0].split(",").index("familyName")
    cells[column] = '"' + cells[column]  # opened, never closed: the rest would be one cell
    rows[4] = ",".join(cells)
    export.raw["users.csv"] = "\r\n".join(rows).encode()

    record = dry_run_of(client_for(network_admin), school_a.school.network, export.zip_bytes())

    assert record.state == RosterImportState.REJECTED
    error = next(e for e in record.errors if e["file"] == "users.csv")
    assert (error["row"], error["column"]) == (5, "familyName")
    assert "never closed" in error["reason"]


# --- unreadable cells in a progress CSV: the dry run names them ---------------------------------


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (b"1001,st-math,2026-11-02,30,fi\x00ne\n", "Notes", "NUL byte"),
        (b"1001,st-math,2026-11-02,3\x000,fine\n", "Minutes", "NUL byte"),
        (b"1001,st-math,2026-11-02,30,\x1bfine\n", "Notes", "control character 0x1b"),
        (b"1001,st-math,2026-11-02,30,caf\xe9\n", "Notes", "not UTF-8 text: byte 0xe9"),
        (b'1001,st-math,2026-11-02,30,"fine\n', "Notes", "never closed"),
        (b'1001,st-math,"2026-11-02"x,30,fine\n', "Date", "after its closing quote"),
        (
            b"1001,st-math,2026-11-02," + b"3" * (MAX_CELL_CHARS + 1) + b",fine\n",
            "Minutes",
            f"at most {MAX_CELL_CHARS:,}",
        ),
    ],
)
def test_a_bad_cell_in_a_progress_csv_is_refused_in_the_dry_run_by_row_and_column(
    mapping, row, column, reason
):
    data = (HEADER + GOOD_ROW).encode() + row + b"1001,st-math,2026-11-03,30,fine\n"

    outcome = progress_csv_import(mapping=mapping, file=io.BytesIO(data), dry_run=True)

    assert not outcome.ok
    assert [(e.row, e.column) for e in outcome.errors] == [(3, column)], outcome.errors
    [error] = outcome.errors
    assert reason in error.reason


def test_a_nul_byte_in_a_large_progress_csv_is_found_on_its_row(mapping):
    rows = [f"1001,st-math,2026-{month:02d}-{day:02d},30,fine\n" for month in range(1, 11)
            for day in range(1, 29)]  # fmt: skip
    rows[250] = rows[250].replace("fine", "fi\x00ne")
    data = (HEADER + "".join(rows) * 1).encode()

    outcome = progress_csv_import(mapping=mapping, file=io.BytesIO(data), dry_run=True)

    assert [(e.row, e.column) for e in outcome.errors if "NUL" in e.reason] == [(252, "Notes")]


def test_the_page_import_of_a_csv_with_a_nul_byte_is_rejected_naming_it(
    mapping, school_a, django_capture_on_commit_callbacks
):
    client = client_for(school_a.leader.user)
    data = (HEADER + GOOD_ROW).encode() + b"1001,st-math,2026-11-03,30,\x00\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            progress_url(school_a), {"mapping": mapping.pk, "file": csv_upload(data)}
        )

    record = ProgressImport.objects.get()
    assert response.status_code == 302
    assert record.state == ImportState.REJECTED
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "Notes")]
    assert ProgressRecord.objects.count() == 0
    page = client.get(response.url).content.decode()
    assert "NUL byte" in page
