"""Zip bombs uploaded as a roster export are refused, and reading one stays under 300 MB.

The attack: a network admin (or their API client) uploads a few megabytes of zip that unpack
to gigabytes. The reader used to call ``ZipFile.read`` on each member, so a 2 MB zip pushed a
worker to 3 GB. Each bomb here is built small in a temporary directory and read in a child
process (the reader alone, and the import task as a worker runs it) whose peak resident memory
is measured; it must be refused with an error naming the file, the limit and its setting.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from students.models import RosterImport, RosterImportState, Student
from students.oneroster.imports import roster_import_run, roster_import_start

from ..conftest import client_for
from ..factories import NetworkFactory
from .zip_bombs import (
    GiB,
    MiB,
    bomb,
    deflated,
    export_zip,
    overlapping,
    repeated_user_rows,
    users_header,
)

ROOT = Path(__file__).resolve().parents[2]
PEAK_MB = 300
CHILD_SECONDS = 120


def zeros() -> bytes:
    """users.csv: its header, then 3 GiB of the digit 0 (a 3 MB zip)."""
    return export_zip(bomb("users.csv", b"0" * MiB, 3 * 1024, header=users_header()))


def repeated_rows() -> bytes:
    """users.csv: one valid row again and again, 1 GiB of them."""
    block, copies = repeated_user_rows(GiB)
    return export_zip(bomb("users.csv", block, copies, header=users_header()))


def overlapping_entries() -> bytes:
    """Four files whose data overlap (Fifield's construction): each unpacks the same 1 GiB."""
    kernel = bomb("kernel", b"\x00" * MiB, 1024)
    names = ["orgs.csv", "classes.csv", "users.csv", "enrollments.csv"]
    return export_zip(*overlapping(names, kernel))


def thousands_of_members() -> bytes:
    """5,000 tiny entries: a central directory to parse, not data to unpack."""
    return export_zip(*(deflated(f"extra/{n}.csv", b"x") for n in range(5000)))


def nested_zip() -> bytes:
    """users.csv is itself a zip (of the zeros bomb), beside a nested roster.zip."""
    inner = zeros()
    return export_zip(deflated("users.csv", inner), deflated("roster.zip", inner))


BOMBS = {
    "zeros": (zeros, "users.csv", ["ROSTER_IMPORT_MAX_RATIO", "100 times"]),
    "repeated rows": (repeated_rows, "users.csv", ["ROSTER_IMPORT_MAX_RATIO", "zip bomb"]),
    "overlapping entries": (overlapping_entries, "orgs.csv", ["runs over other entries"]),
    "thousands of members": (
        thousands_of_members,
        "export",
        ["5,00", "ROSTER_IMPORT_MAX_MEMBERS", "at most 1,000"],
    ),
    "nested zip": (nested_zip, "users.csv", ["not CSV text", "another zip"]),
}


def declared_size(data: bytes, path: Path) -> int:
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def run_child(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """``python -m tests.security.bomb_child args``: its JSON line and its peak resident
    memory in MB, as the child measured it (``VmHWM``)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.bomb_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=CHILD_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result, result["peak_mb"]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    return {**env, **extra}


def assert_refused(errors: list[dict[str, Any]], file: str, fragments: list[str]) -> None:
    named = [error for error in errors if error["file"] == file]
    assert named, errors
    for fragment in fragments:
        assert fragment in named[0]["reason"], named[0]["reason"]


@pytest.mark.parametrize("kind", list(BOMBS))
def test_the_reader_refuses_a_bomb_naming_it_and_stays_under_300_mb(kind, tmp_path):
    build, file, fragments = BOMBS[kind]
    path = tmp_path / "roster.zip"
    data = build()
    declared = declared_size(data, path)
    assert path.stat().st_size < 12 * MiB
    if kind not in {"thousands of members", "nested zip"}:
        assert declared >= GiB  # a bomb: megabytes that say they are gigabytes

    result, peak_mb = run_child(["read", str(path)], child_env())

    assert_refused(result["errors"], file, fragments)
    assert peak_mb < PEAK_MB, f"the reader's peak RSS was {peak_mb:.0f} MB"


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.parametrize("kind", ["zeros", "overlapping entries", "thousands of members"])
def test_the_worker_task_rejects_a_bomb_and_stays_under_300_mb(kind, transactional_db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs the PostgreSQL test database")
    build, file, fragments = BOMBS[kind]
    network = NetworkFactory()
    record = roster_import_start(
        network=network, file=build(), file_name="roster.zip", dry_run=True, queue=False
    )

    result, peak_mb = run_child(
        ["import", str(record.pk)],
        child_env(DATABASE_URL=database_url(), ROCKETSHIP_VAR_DIR=str(settings.VAR_DIR)),
    )

    record.refresh_from_db()
    assert result["state"] == record.state == RosterImportState.REJECTED
    assert_refused(record.errors, file, fragments)
    assert "error" in record.message and not Student.objects.exists()
    assert peak_mb < PEAK_MB, f"the worker's peak RSS was {peak_mb:.0f} MB"


# --- the page and the API answer the refusal, never a 500 -----------------------------------------


@pytest.mark.django_db
def test_a_bomb_uploaded_on_the_page_is_rejected_and_the_pages_show_why(school_a, network_admin):
    client = client_for(network_admin)
    network = school_a.school.network

    response = client.post(
        reverse("roster-imports", args=[network.pk]),
        {
            "file": SimpleUploadedFile("roster.zip", zeros(), content_type="application/zip"),
            "dry_run": "on",
        },
    )
    record = roster_import_run(
        import_id=RosterImport.objects.get().pk, today=datetime.date(2024, 9, 3)
    )
    status = client.get(response["Location"])
    listing = client.get(reverse("roster-imports", args=[network.pk]))

    assert response.status_code == 302
    assert record.state == RosterImportState.REJECTED
    assert status.status_code == 200 and listing.status_code == 200
    assert "ROSTER_IMPORT_MAX_RATIO" in status.content.decode()


@pytest.mark.django_db
def test_a_bomb_pushed_to_the_api_is_rejected_with_the_reason(school_a, network_admin):
    api = APIClient()
    api.force_authenticate(network_admin)
    network = school_a.school.network

    response = api.post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {"file": SimpleUploadedFile("roster.zip", overlapping_entries())},
        format="multipart",
    )
    roster_import_run(import_id=response.json()["id"], today=datetime.date(2024, 9, 3))
    done = api.get(response["Location"])

    assert response.status_code == 202
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == "rejected" and body["error_count"] == 1
    assert body["errors"][0]["file"] == "orgs.csv"
    assert "runs over other entries" in body["errors"][0]["reason"]
