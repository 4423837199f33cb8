"""The roster import pages: upload a OneRoster export, follow the import, apply a dry run."""

import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from students.models import RosterImport, RosterImportState, Student
from students.oneroster.imports import roster_import_run

from ..conftest import client_for
from ..factories import UserFactory
from .oneroster_files import small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path


def upload(client, network, data: bytes, *, name: str = "roster.zip", dry_run: bool = True):
    form: dict[str, object] = {
        "file": SimpleUploadedFile(name, data, content_type="application/zip")
    }
    if dry_run:
        form["dry_run"] = "on"
    return client.post(reverse("roster-imports", args=[network.pk]), form)


def run_last() -> RosterImport:
    record = RosterImport.objects.order_by("-pk").first()
    assert record is not None
    ran = roster_import_run(import_id=record.pk, today=TODAY)
    assert ran is not None
    return ran


def page(client, record: RosterImport) -> str:
    response = client.get(reverse("roster-import", args=[record.network_id, record.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_upload_page_offers_a_dry_run_checked_and_lists_no_imports(school_a, network_admin):
    response = client_for(network_admin).get(
        reverse("roster-imports", args=[school_a.school.network_id])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in content and 'accept=".zip,application/zip"' in content
    assert 'name="dry_run"' in content and "checked" in content
    assert "Dry run: show what would change" in content
    assert "No imports yet." in content


def test_a_dry_run_shows_the_counts_and_the_diff_and_changes_nothing(school_a, network_admin):
    client = client_for(network_admin)
    network = school_a.school.network

    response = upload(client, network, small_school().zip_bytes())

    record = RosterImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("roster-import", args=[network.pk, record.pk])
    assert record.dry_run and record.requested_by == network_admin
    queued = page(client, record)
    assert 'hx-trigger="every 1s"' in queued and "Waiting for a worker" in queued

    record = run_last()
    content = page(client, record)

    assert record.state == RosterImportState.REVIEWED
    assert "hx-trigger" not in content  # done: no more polling
    assert "Dry run done" in content and record.message in content
    assert '<th scope="row">Students</th><td>10</td><td>0</td><td>0</td><td>0</td>' in content
    student_changes = [c for c in record.changes if c["kind"] == "student"]
    assert len(student_changes) == 10
    for change in student_changes:
        assert change["label"] in content and change["sourced_id"] in content
    assert "Apply these changes" in content
    assert Student.objects.filter(school__network=network).count() == 1  # only the fixture's
    listing = client.get(reverse("roster-imports", args=[network.pk])).content.decode()
    assert f"#{record.pk} roster.zip" in listing and "Dry run done" in listing


def test_applying_a_dry_run_imports_the_same_file_as_a_new_import(school_a, network_admin):
    client = client_for(network_admin)
    network = school_a.school.network
    upload(client, network, small_school().zip_bytes())
    reviewed = run_last()

    response = client.post(reverse("roster-import-apply", args=[network.pk, reviewed.pk]))

    applied = RosterImport.objects.exclude(pk=reviewed.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("roster-import", args=[network.pk, applied.pk])
    assert not applied.dry_run and applied.requested_by == network_admin
    applied = run_last()
    content = page(client, applied)
    assert applied.state == RosterImportState.APPLIED
    assert "Applied" in content and "Apply these changes" not in content
    imported = Student.objects.filter(school__network=network, sourced_id__startswith="st")
    assert imported.count() == 10


def test_an_applied_import_cannot_be_applied_again(school_a, network_admin):
    client = client_for(network_admin)
    network = school_a.school.network
    upload(client, network, small_school().zip_bytes(), dry_run=False)
    applied = run_last()

    response = client.post(
        reverse("roster-import-apply", args=[network.pk, applied.pk]), follow=True
    )

    assert RosterImport.objects.count() == 1
    assert "Only a dry run that finished without errors can be applied" in html.unescape(
        response.content.decode()
    )


def test_a_broken_export_shows_every_error_with_its_file_row_and_column(school_a, network_admin):
    client = client_for(network_admin)
    export = small_school()
    export.rows("users.csv")[2]["grades"] = "Grade 9"  # not a grade code
    export.rows("classes.csv")[0]["schoolSourcedId"] = "nowhere"
    upload(client, school_a.school.network, export.zip_bytes(), dry_run=False)

    record = run_last()
    content = page(client, record)

    assert record.state == RosterImportState.REJECTED and record.error_count >= 2
    assert "Rejected" in content and record.message in content
    for error in record.errors:
        cells = (
            f"<td>{error['file']}</td><td>{error['row'] if error['row'] is not None else '—'}"
            f"</td><td>{error['column'] or '—'}</td><td>{error['reason']}</td>"
        )
        assert cells in content
    assert {e["file"] for e in record.errors} >= {"users.csv", "classes.csv"}
    assert "Apply these changes" not in content
    assert not Student.objects.filter(sourced_id__startswith="st").exists()


def test_errors_beyond_those_stored_are_counted(school_a, network_admin):
    record = RosterImport.objects.create(
        network=school_a.school.network,
        file_name="big.zip",
        state=RosterImportState.REJECTED,
        errors=[{"file": "users.csv", "row": 2, "column": "grades", "reason": "Bad grade."}],
        error_count=2001,
        message="The export has 2001 error(s); nothing was changed.",
    )

    content = page(client_for(network_admin), record)

    assert "and 2000 more errors" in content
    assert "<td>users.csv</td><td>2</td><td>grades</td><td>Bad grade.</td>" in content


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (None, None, "This field is required."),
        ("roster.csv", b"sourcedId,name\n1,x\n", "as a .zip file"),
        ("roster.zip", b"not a zip at all", "as a .zip file"),
        ("roster.zip", b"", "The submitted file is empty."),
    ],
)
def test_a_missing_or_wrong_file_is_a_form_error_on_the_file(
    school_a, network_admin, name, data, message
):
    client = client_for(network_admin)
    url = reverse("roster-imports", args=[school_a.school.network_id])
    form = {"dry_run": "on"}
    if name is not None:
        form["file"] = SimpleUploadedFile(name, data)

    response = client.post(url, form)

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert response.context["form"].errors.keys() == {"file"}
    assert "OneRoster export (.zip): " in response.content.decode()
    assert not RosterImport.objects.exists()


def test_a_file_over_the_limit_is_refused(school_a, network_admin, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 100

    client = client_for(network_admin)

    response = upload(client, school_a.school.network, small_school().zip_bytes())

    assert response.status_code == 400
    assert "larger than 100" in html.unescape(response.content.decode())
    assert not RosterImport.objects.exists()


def test_the_status_fragment_answers_204_while_nothing_changed(school_a, network_admin):
    client = client_for(network_admin)
    upload(client, school_a.school.network, small_school().zip_bytes())
    record = RosterImport.objects.get()
    url = reverse("roster-import", args=[record.network_id, record.pk])

    same = client.get(url, {"seen": "queued"}, HTTP_HX_REQUEST="true")
    run_last()
    done = client.get(url, {"seen": "queued"}, HTTP_HX_REQUEST="true")

    assert same.status_code == 204
    assert done.status_code == 200 and b"<html" not in done.content
    assert b"Dry run done" in done.content and b"hx-trigger" not in done.content


def test_leaders_and_teachers_of_the_network_get_403(school_a, network_admin):
    record = RosterImport.objects.create(network=school_a.school.network, file_name="r.zip")
    network_id = school_a.school.network_id
    for user in (school_a.leader.user, school_a.teacher.user):
        client = client_for(user)
        responses = [
            client.get(reverse("roster-imports", args=[network_id])),
            upload(client, school_a.school.network, small_school().zip_bytes()),
            client.get(reverse("roster-import", args=[network_id, record.pk])),
            client.post(reverse("roster-import-apply", args=[network_id, record.pk])),
        ]
        assert [r.status_code for r in responses] == [403] * 4
    assert RosterImport.objects.count() == 1


def test_another_networks_imports_are_404(school_a, network_admin, school_other_network):
    other = RosterImport.objects.create(
        network=school_other_network.school.network, file_name="theirs.zip"
    )
    client = client_for(network_admin)

    assert client.get(reverse("roster-imports", args=[other.network_id])).status_code == 404
    theirs = reverse("roster-import", args=[other.network_id, other.pk])
    assert client.get(theirs).status_code == 404
    # Their import under our network's address is not found either.
    mine = school_a.school.network_id
    assert client.get(reverse("roster-import", args=[mine, other.pk])).status_code == 404
    assert client.post(reverse("roster-import-apply", args=[mine, other.pk])).status_code == 404
    assert client.get(reverse("roster-imports", args=[999_999])).status_code == 404


def test_a_superuser_may_import_into_any_network(school_other_network):
    admin = UserFactory(is_superuser=True, is_staff=True)
    response = client_for(admin).get(
        reverse("roster-imports", args=[school_other_network.school.network_id])
    )

    assert response.status_code == 200


def test_the_top_bar_links_network_admins_to_roster_imports(school_a, network_admin):
    url = reverse("roster-imports", args=[school_a.school.network_id])
    school_page = reverse("school-detail", args=[school_a.school.pk])

    as_admin = client_for(network_admin).get(school_page).content.decode()
    as_leader = client_for(school_a.leader.user).get(school_page).content.decode()

    assert f'href="{url}"' in as_admin and "Roster imports" in as_admin
    assert "Roster imports" not in as_leader
