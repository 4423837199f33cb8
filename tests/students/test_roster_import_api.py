"""``/api/v1/networks/{id}/roster-imports/``: upload an export, follow the import, apply it."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from students.clients import api_client_create, api_token_issue
from students.models import RosterImport, RosterImportState, Student
from students.oneroster.imports import roster_import_run

from ..conftest import client_for
from ..factories import NetworkAdminFactory, NetworkFactory
from .oneroster_files import small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path


def url(network_id: int, import_id: int | None = None, *, apply: bool = False) -> str:
    path = f"/api/v1/networks/{network_id}/roster-imports/"
    if import_id is not None:
        path += f"{import_id}/"
    return path + ("apply/" if apply else "")


def post_export(client: Client, network_id: int, data: bytes, **form) -> object:
    return client.post(url(network_id), {"file": SimpleUploadedFile("roster.zip", data), **form})


def token_client(school_world, *, can_write: bool, by, schools=None) -> Client:
    client = api_client_create(
        network=school_world.school.network,
        name=f"Sync {RosterImport.objects.count()}-{can_write}-{by}",
        schools=schools or [school_world.school],
        can_write=can_write,
        by=by,
    )
    key = api_token_issue(client=client)[1]
    return Client(headers={"Authorization": f"Token {key}"})


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    return json.loads(response.content)


def test_an_upload_answers_202_with_the_import_and_its_location(school_a, network_admin):
    api = client_for(network_admin)

    response = post_export(api, school_a.school.network_id, small_school().zip_bytes())

    assert response.status_code == 202, response.content
    body = response.json()
    record = RosterImport.objects.get()
    assert body["id"] == record.pk and body["state"] == "queued" and body["dry_run"] is True
    assert body["network"] == school_a.school.network_id
    assert body["requested_by"] == network_admin.pk
    assert response["Location"] == body["links"]["self"]
    assert body["links"]["self"].endswith(url(school_a.school.network_id, record.pk))
    assert body["links"]["apply"] is None

    roster_import_run(import_id=record.pk, today=TODAY)
    done = api.get(response["Location"]).json()

    assert done["state"] == "reviewed" and done["version"] == "1.1"
    assert done["counts"]["student"] == {
        "create": 10,
        "update": 0,
        "end": 0,
        "restore": 0,
        "adopt": 0,
    }
    assert done["change_count"] == 15 and len(done["changes"]) == 15
    assert {"kind", "action", "sourced_id", "label", "fields"} == set(done["changes"][0])
    assert done["errors"] == [] and done["error_count"] == 0
    assert done["links"]["apply"].endswith(url(school_a.school.network_id, record.pk, apply=True))
    assert done["links"]["page"].endswith(
        f"/networks/{school_a.school.network_id}/roster-imports/{record.pk}/"
    )


def test_applying_a_dry_run_answers_202_with_the_new_import(school_a, network_admin):
    api = client_for(network_admin)
    network_id = school_a.school.network_id
    started = post_export(api, network_id, small_school().zip_bytes()).json()
    roster_import_run(import_id=started["id"], today=TODAY)

    response = api.post(url(network_id, started["id"], apply=True))

    assert response.status_code == 202, response.content
    applied = response.json()
    assert applied["id"] != started["id"] and applied["dry_run"] is False
    assert response["Location"] == applied["links"]["self"]
    roster_import_run(import_id=applied["id"], today=TODAY)
    assert api.get(response["Location"]).json()["state"] == "applied"
    assert Student.objects.filter(sourced_id__startswith="st").count() == 10
    # An applied import is not a dry run to apply again.
    again = problem(api.post(url(network_id, applied["id"], apply=True)), 409)
    assert "dry run" in again["detail"]


def test_dry_run_false_imports_at_once_and_errors_carry_file_row_and_column(
    school_a, network_admin
):
    api = client_for(network_admin)
    export = small_school()
    export.rows("users.csv")[2]["grades"] = "Grade 9"  # not a grade code

    body = post_export(api, school_a.school.network_id, export.zip_bytes(), dry_run="false").json()
    roster_import_run(import_id=body["id"], today=TODAY)
    done = api.get(url(school_a.school.network_id, body["id"])).json()

    assert body["dry_run"] is False
    assert done["state"] == "rejected" and done["error_count"] == len(done["errors"]) >= 1
    assert {"file": "users.csv", "row": 4, "column": "grades"}.items() <= done["errors"][0].items()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "No file was submitted."),
        ({"file": SimpleUploadedFile("roster.zip", b"no zip")}, ".zip"),
        ({"file": SimpleUploadedFile("roster.csv", b"a,b\n")}, ".zip"),
    ],
)
def test_no_file_or_not_a_zip_is_a_400_naming_file(school_a, network_admin, form, message):
    response = client_for(network_admin).post(url(school_a.school.network_id), form)

    body = problem(response, 400)
    assert set(body["errors"]) == {"file"} and message in body["errors"]["file"][0]
    assert not RosterImport.objects.exists()


def test_a_network_wide_writing_client_of_an_admin_may_import(school_a, network_admin):
    api = token_client(school_a, can_write=True, by=network_admin)

    response = post_export(api, school_a.school.network_id, small_school().zip_bytes())

    assert response.status_code == 202, response.content
    assert response.json()["requested_by"] is None
    assert api.get(response["Location"]).status_code == 200


def test_without_the_write_grant_a_token_gets_403(school_a, network_admin):
    record = RosterImport.objects.create(network=school_a.school.network, file_name="r.zip")
    api = token_client(school_a, can_write=False, by=network_admin)
    network_id = school_a.school.network_id

    for response in (
        post_export(api, network_id, small_school().zip_bytes()),
        api.get(url(network_id, record.pk)),
        api.post(url(network_id, record.pk, apply=True)),
    ):
        assert "read-only" in problem(response, 403)["detail"]
    assert RosterImport.objects.count() == 1


def test_a_client_of_some_schools_or_of_a_leader_gets_403(school_a, school_b, network_admin):
    # school_b is in school_a's network: a client of school A alone is not network-wide.
    partial = token_client(school_a, can_write=True, by=network_admin)
    leaders = token_client(
        school_a,
        can_write=True,
        by=school_a.leader.user,
        schools=[school_a.school, school_b.school],
    )

    refused = post_export(partial, school_a.school.network_id, small_school().zip_bytes())
    assert "every school" in problem(refused, 403)["detail"]
    refused = post_export(leaders, school_a.school.network_id, small_school().zip_bytes())
    assert "network's admins" in problem(refused, 403)["detail"]
    assert not RosterImport.objects.exists()


def test_leaders_and_teachers_get_403(school_a):
    for user in (school_a.leader.user, school_a.teacher.user):
        response = post_export(
            client_for(user), school_a.school.network_id, small_school().zip_bytes()
        )
        assert "network's admins" in problem(response, 403)["detail"]


def test_another_network_is_404_whatever_the_grant(school_a, network_admin, school_other_network):
    theirs = RosterImport.objects.create(
        network=school_other_network.school.network, file_name="theirs.zip"
    )
    other_id = school_other_network.school.network_id
    admin = client_for(network_admin)
    writer = token_client(school_a, can_write=True, by=network_admin)

    for api in (admin, writer):
        problem(post_export(api, other_id, small_school().zip_bytes()), 404)
        problem(api.get(url(other_id, theirs.pk)), 404)
        problem(api.post(url(other_id, theirs.pk, apply=True)), 404)
        # Their import under our network's address is not found either.
        problem(api.get(url(school_a.school.network_id, theirs.pk)), 404)
    assert RosterImport.objects.count() == 1


def test_a_network_without_schools_yet_is_its_admins_to_fill(network_admin, school_a):
    # The network's first school comes from the import itself.
    empty = NetworkFactory()
    NetworkAdminFactory(network=empty, user=network_admin)

    response = post_export(client_for(network_admin), empty.pk, small_school().zip_bytes())

    assert response.status_code == 202, response.content
    assert RosterImport.objects.get().state == RosterImportState.QUEUED


def test_anonymous_callers_get_401(school_a):
    problem(Client().get(url(school_a.school.network_id, 1)), 401)
