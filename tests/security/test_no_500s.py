"""No 500s: what a curious or hostile user can send answers the right 4xx or a page, never an
unhandled error.

- Extreme dates on My day, the week, a lab's day, the day grid, the calendar, the CSV exports
  and the schedule API (``OverflowError`` on ``date + timedelta`` at 9999-12-31, ``ValueError``
  on a month before year 1).
- Deeply nested JSON to the progress API and the other JSON endpoints (``RecursionError`` in the
  parser).
- The Build page after a build requested through the API (no person asked: a token did).
- The Roster imports page after an import requested through the API and after refused uploads.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from scheduling.dates import DAY_SCHEMA_PATTERN
from scheduling.models import BuildJob, BuildState, CalendarDay, StaffAbsence
from scheduling.services.feeds import calendar_feed_create
from students.clients import api_client_create, api_token_issue
from students.models import Role, RosterImport, RosterImportState
from students.oneroster.imports import roster_import_run

from ..conftest import client_for
from ..factories import StaffFactory
from ..scheduling.test_selectors import DATE, kindergarten
from ..students.oneroster_files import small_school

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

# Dates at and beyond the ends of Python's calendar, impossible dates, and things that are not
# dates at all.
EXTREME_DATES = [
    "0001-01-01",
    "0001-01-07",
    "9999-12-31",
    "9999-12-27",
    "10000-01-01",
    "-1",
    "2026-02-30",
    "99999999999999999999",
    "9999-W53",
    "9999-W52-7",
    "0000-00-00",
    "%00",
]
EXTREME_MONTHS = ["0001-01", "9999-12", "10000-01", "0000-01", "2026-13", "-1", "9" * 30]


def token(school, *, can_write: bool = False, schools=None) -> str:
    client = api_client_create(
        network=school.network,
        name=f"Client {school.pk}-{can_write}-{BuildJob.objects.count()}",
        schools=schools if schools is not None else [school],
        can_write=can_write,
        by=None,
    )
    return api_token_issue(client=client)[1]


def token_client(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


# --- extreme dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", EXTREME_DATES)
@pytest.mark.parametrize("page", ["my-day", "my-week"])
def test_my_day_and_week_show_today_and_say_the_date_is_not_one(school_a, page, raw):
    client = client_for(school_a.teacher.user)

    response = client.get(reverse(page), {"date": raw, "school": school_a.school.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "Showing today instead." in html


@pytest.mark.parametrize("raw", ["1900-01-01", "2999-12-31"])
@pytest.mark.parametrize("page", ["my-day", "my-week"])
def test_the_first_and_last_dates_kept_show_with_their_neighbours(school_a, page, raw):
    response = client_for(school_a.teacher.user).get(
        reverse(page), {"date": raw, "school": school_a.school.pk}
    )

    assert response.status_code == 200
    assert 'aria-invalid="true"' not in response.content.decode()


@pytest.mark.parametrize("raw", EXTREME_DATES)
def test_the_day_grid_shows_today_and_says_the_date_is_not_one(school_a, raw):
    response = client_for(school_a.leader.user).get(
        reverse("schedule-day", args=[school_a.school.pk]), {"date": raw}
    )

    assert response.status_code == 200
    assert "Showing today instead." in response.content.decode()


@pytest.mark.parametrize("raw", EXTREME_DATES)
def test_the_calendar_ignores_a_date_it_cannot_pick(school_a, raw):
    response = client_for(school_a.leader.user).get(
        reverse("calendar", args=[school_a.school.pk]), {"date": raw}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("raw", EXTREME_MONTHS)
def test_the_calendar_shows_this_month_for_a_month_beyond_range(school_a, raw):
    client = client_for(school_a.leader.user)
    url = reverse("calendar", args=[school_a.school.pk])

    response = client.get(url, {"month": raw})
    this_month = client.get(url)

    assert response.status_code == 200
    heading = '<h2 id="month">'
    html = response.content.decode()
    assert (
        html[html.index(heading) :][:60]
        == this_month.content.decode()[this_month.content.decode().index(heading) :][:60]
    )


@pytest.mark.parametrize(("raw", "links"), [("1900-01", ("next",)), ("2999-12", ("prev",))])
def test_the_calendar_at_the_ends_of_the_range_links_only_inwards(school_a, raw, links):
    response = client_for(school_a.leader.user).get(
        reverse("calendar", args=[school_a.school.pk]), {"month": raw}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert tuple(rel for rel in ("prev", "next") if f'rel="{rel}"' in html) == links


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "2026-02-30", "0000-00-00"])
def test_a_days_csv_export_answers_404_for_a_date_beyond_range(school_a, raw):
    response = client_for(school_a.leader.user).get(
        f"/schools/{school_a.school.pk}/days/{raw}/export/cohorts.csv"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("raw", EXTREME_DATES)
@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/schools/{school}/schedules/{date}/",
        "/api/v1/schools/{school}/schedules/{date}/versions/",
        "/api/v1/staff/{staff}/roster/{date}/",
        "/api/v1/students/{student}/schedule/{date}/",
    ],
)
def test_the_schedule_api_answers_400_naming_the_date(school_a, template, raw):
    api = token_client(token(school_a.school))
    url = template.format(
        school=school_a.school.pk,
        staff=school_a.teacher.pk,
        student=school_a.student.pk,
        date=raw,
    )

    response = api.get(url)

    if response.status_code == 404:  # the URL's date segment cannot hold it (a "/" or "%00")
        assert response["Content-Type"] == PROBLEM
        return
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert list(json.loads(response.content)["errors"]) == ["date"]


def test_building_a_date_beyond_range_through_the_api_answers_400(school_a):
    api = token_client(token(school_a.school, can_write=True))

    response = api.post(f"/api/v1/schools/{school_a.school.pk}/schedules/9999-12-31/build/")

    assert response.status_code == 400
    assert list(json.loads(response.content)["errors"]) == ["date"]
    assert not BuildJob.objects.exists()


# --- deeply nested JSON -------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 5_000, 33])
def test_deeply_nested_json_to_progress_answers_400_problem(school_a, depth):
    api = token_client(token(school_a.school, can_write=True))

    response = api.post("/api/v1/progress/", nested(depth), content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert "nests more than 32 levels" in json.loads(response.content)["detail"]


def test_deeply_nested_json_from_a_signed_in_leader_answers_400_problem(school_a):
    client = client_for(school_a.leader.user)

    response = client.post("/api/v1/progress/", nested(100_000), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_json_nested_as_deep_as_allowed_is_read_and_refused_as_items(school_a):
    api = token_client(token(school_a.school, can_write=True))

    response = api.post("/api/v1/progress/", nested(32), content_type="application/json")

    assert response.status_code == 400
    assert "nests more than" not in json.loads(response.content)["detail"]


def test_deeply_nested_json_to_a_multipart_endpoint_answers_415(school_a, network_admin):
    response = client_for(network_admin).post(
        f"/api/v1/networks/{school_a.school.network_id}/roster-imports/",
        nested(100_000),
        content_type="application/json",
    )

    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM


# --- the Build page after a build asked for through the API -------------------------------------


@pytest.fixture
def kindergarten_with_leader():
    k = kindergarten()
    leader = StaffFactory(school=k.school, roles=[Role.LEADER])
    return k, leader


def test_the_build_pages_show_a_build_requested_through_the_api(
    kindergarten_with_leader, django_capture_on_commit_callbacks
):
    k, leader = kindergarten_with_leader
    api = token_client(token(k.school, can_write=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/schools/{k.school.pk}/schedules/{DATE}/build/")

    assert response.status_code == 202, response.content[:300]
    job = BuildJob.objects.get(school=k.school)
    assert job.requested_by is None and job.state == BuildState.SUCCEEDED
    page = client_for(leader.user)

    status = page.get(reverse("build-status", args=[k.school.pk, job.pk]))
    listing = page.get(reverse("build", args=[k.school.pk]))
    fragment = page.get(
        reverse("build-status", args=[k.school.pk, job.pk]), headers={"HX-Request": "true"}
    )
    versions = page.get(reverse("schedule-versions", args=[k.school.pk]), {"date": DATE})
    review = page.get(reverse("schedule-review", args=[k.school.pk, job.schedule_id]))

    assert status.status_code == 200
    assert "Version 1 is built as a draft." in status.content.decode()
    assert listing.status_code == 200
    assert fragment.status_code == 200
    assert versions.status_code == 200
    assert review.status_code == 200
    if hasattr(BuildJob, "requested_by_client"):
        assert job.requested_by_client is not None
        assert job.requested_by_client.name in status.content.decode()


def test_the_build_pages_show_a_build_whose_person_is_gone(kindergarten_with_leader):
    k, leader = kindergarten_with_leader
    job = BuildJob.objects.create(
        school=k.school, date=DATE, requested_by=None, state=BuildState.FAILED, error="Stopped."
    )
    page = client_for(leader.user)

    assert page.get(reverse("build-status", args=[k.school.pk, job.pk])).status_code == 200
    assert page.get(reverse("build", args=[k.school.pk])).status_code == 200


# --- the Roster imports page after an API import and after refused uploads ---------------------


def network_token_client(school_world, admin) -> Client:
    """A network-wide writing client, registered by one of the network's admins."""
    school = school_world.school
    client = api_client_create(
        network=school.network,
        name="District sync",
        schools=list(school.network.schools.all()),
        can_write=True,
        by=admin,
    )
    return token_client(api_token_issue(client=client)[1])


def roster_pages(client: Client, network_id: int) -> list:
    responses = [client.get(reverse("roster-imports", args=[network_id]))]
    for record in RosterImport.objects.filter(network_id=network_id):
        url = reverse("roster-import", args=[network_id, record.pk])
        responses.append(client.get(url))
        responses.append(client.get(url, headers={"HX-Request": "true"}))
    return responses


def test_the_roster_imports_pages_show_an_import_requested_through_the_api(school_a, network_admin):
    api = network_token_client(school_a, network_admin)
    network_id = school_a.school.network_id

    response = api.post(
        f"/api/v1/networks/{network_id}/roster-imports/",
        {"file": SimpleUploadedFile("roster.zip", small_school().zip_bytes())},
    )
    assert response.status_code == 202, response.content[:300]
    record = roster_import_run(import_id=RosterImport.objects.get().pk)
    assert record.state == RosterImportState.REVIEWED and record.requested_by is None

    responses = roster_pages(client_for(network_admin), network_id)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "—" in responses[0].content.decode()  # no person asked


def latin1_export() -> bytes:
    """A OneRoster zip whose users.csv is Latin-1, not UTF-8 (a name with an accent)."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(small_school().zip_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("users.csv"):
                data = data.decode("utf-8").replace("a", "\u00e9", 3).encode("latin-1")
            target.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("roster.zip", b""),
        ("roster.zip", b"not a zip at all"),
        ("roster.csv", b"sourcedId,name\n1,x\n"),
        ("roster.zip", b"PK\x03\x04" + b"\x00" * 40),
        ("r\u00f4ster \u2603.zip", b"\xff\xfe\x00garbage"),
    ],
)
def test_the_roster_imports_page_after_a_refused_upload(school_a, network_admin, name, data):
    client = client_for(network_admin)
    network_id = school_a.school.network_id

    response = client.post(
        reverse("roster-imports", args=[network_id]),
        {"file": SimpleUploadedFile(name, data), "dry_run": "on"},
    )

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not RosterImport.objects.exists()
    assert [r.status_code for r in roster_pages(client, network_id)] == [200]


def test_the_roster_imports_page_after_an_upload_over_the_size_limit(
    school_a, network_admin, settings
):
    settings.ROSTER_IMPORT_MAX_BYTES = 1024
    client = client_for(network_admin)
    network_id = school_a.school.network_id

    response = client.post(
        reverse("roster-imports", args=[network_id]),
        {"file": SimpleUploadedFile("roster.zip", small_school().zip_bytes()), "dry_run": "on"},
    )

    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize("export", ["latin-1", "truncated"])
def test_the_roster_import_pages_show_an_export_rejected_by_the_reader(
    school_a, network_admin, export
):
    client = client_for(network_admin)
    network_id = school_a.school.network_id
    data = latin1_export() if export == "latin-1" else small_school().zip_bytes()[:-30]
    if export == "truncated":
        data = small_school().zip_bytes()
    response = client.post(
        reverse("roster-imports", args=[network_id]),
        {"file": SimpleUploadedFile("roster.zip", data), "dry_run": "on"},
    )
    assert response.status_code == 302
    record = RosterImport.objects.get()
    if export == "truncated":  # the stored file is cut short after the upload was accepted
        with record.file.open("rb") as stored:
            content = stored.read()
        record.file.save("roster.zip", SimpleUploadedFile("roster.zip", content[:200]), save=True)

    record = roster_import_run(import_id=record.pk)

    assert record.state in (RosterImportState.REJECTED, RosterImportState.FAILED)
    responses = roster_pages(client, network_id)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert record.message in responses[1].content.decode().replace("&#x27;", "'")


# --- what the schema promises, the API keeps (schemathesis' request conformance) ---------------


def test_the_schema_bounds_every_date_parameter_to_the_dates_kept(client):
    document = json.loads(client.get("/api/schema/?format=json").content)

    dates = [
        parameter["schema"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "date" and parameter["in"] == "path"
    ]
    assert len(dates) >= 4
    assert all(schema.get("pattern") == DAY_SCHEMA_PATTERN for schema in dates)


def test_a_calendar_feed_asked_for_in_another_format_answers_404(school_a):
    _, path = calendar_feed_create(by=school_a.leader.user, staff=school_a.teacher)

    ics = Client().get(f"{path}&format=ics")
    other = Client().get(f"{path}&format=%29%2B%C3%B4T")
    as_json = Client().get(f"{path}&format=json")

    assert ics.status_code == 200
    assert (other.status_code, other["Content-Type"]) == (404, PROBLEM)
    assert as_json.status_code == 404


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "2026-02-30"])
def test_the_build_and_versions_pages_refuse_a_date_beyond_range(school_a, raw):
    client = client_for(school_a.leader.user)

    versions = client.get(reverse("schedule-versions", args=[school_a.school.pk]), {"date": raw})
    build = client.post(reverse("build", args=[school_a.school.pk]), {"date": raw})
    nights = client.get(reverse("nightly-runs", args=[school_a.school.pk]), {"night": raw})

    assert versions.status_code == 400  # the versions page answers a bad date with 400
    assert build.status_code == 400
    assert nights.status_code in (200, 400)
    assert not BuildJob.objects.exists()
    if raw != "2026-02-30":
        expected = "Choose a date from 1900-01-01 to 2999-12-31."
        assert expected in versions.content.decode() and expected in build.content.decode()


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31"])
def test_the_calendar_and_absences_forms_refuse_a_date_beyond_range(school_a, raw):
    client = client_for(school_a.leader.user)

    calendar = client.post(
        reverse("calendar", args=[school_a.school.pk]),
        {"kind": "no_school", "first": raw, "last": raw, "note": "x", "weekdays_only": ""},
    )
    absences = client.post(
        reverse("absences", args=[school_a.school.pk]),
        {"staff": school_a.teacher.pk, "date": raw, "reason": "x"},
    )

    assert "Choose a date from 1900-01-01 to 2999-12-31." in calendar.content.decode()
    assert "Choose a date from 1900-01-01 to 2999-12-31." in absences.content.decode()
    assert not CalendarDay.objects.filter(school=school_a.school).exists()
    assert not StaffAbsence.objects.filter(school=school_a.school).exists()
