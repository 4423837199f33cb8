"""Who may call what: every /api/v1/ endpoint in one table, called as

(a) anonymous: 401 (calendar feeds: 404, since a feed's existence is private and calendar apps
    authenticate by the secret ``?token=`` alone),
(b) a signed-in leader of school B: 404 for school A's ids; a list answers 200 without A's rows;
    a progress push naming A's student is refused item by item (400) and stores nothing,
(c) a read-only token of school B: the same, and 403 for writes (read-only),
(d) the right person of school A (its leader, signed in): 2xx,
(e) a read-only token of school A: 2xx for reads, 403 for writes.

Roster imports change every school of a network, so their endpoints (``admins``) serve only the
network's admins and network-wide writing clients registered by one: A's leader and A's
read-only token get 403 there, for reads too (``test_roster_imports_serve_the_networks_admins``).

``test_every_api_endpoint_is_in_the_table`` walks Django's URL resolver and fails when an endpoint
under /api/v1/ is missing here, so a new endpoint cannot ship without its access rules.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from learninglabs.models import ProgressRecord

from ..conftest import SchoolWorld, client_for
from .world import (
    PROGRAM_CODE,
    World,
    network_admin_of,
    published_world,
    roster_export,
    token_for,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

# kind: "detail" (an object of school A: others get 404), "list" (others get 200 without A's
# rows), "global" (the same answer for everyone signed in), "feed" (a calendar feed).
DETAIL, LIST, GLOBAL, FEED = "detail", "list", "global", "feed"


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL name as reverse() takes it
    method: str
    kwargs: Callable[[World], dict[str, Any]]
    kind: str = DETAIL
    ok: int = 200  # what school A's leader gets
    body: Callable[[World], Any] | None = None  # JSON body of a write
    listed: Callable[[World], int] | None = None  # an id of A that a list shows A only
    write: bool = False
    files: Callable[[World], dict[str, Any]] | None = None  # a multipart body instead
    admins: bool = False  # network admins only (roster imports): A's leader gets 403
    need_to_know: bool = False  # service details: a read-only token is told nothing of them

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def day(w: World) -> str:
    return w.date.isoformat()


def progress_body(w: World) -> list[dict[str, Any]]:
    return [
        {
            "student": w.student.pk,
            "program": PROGRAM_CODE,
            "date": day(w),
            "minutes": 30,
            "lessons_completed": 2,
            "mastery_level": "71.50",
        }
    ]


def roster_upload(w: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("roster.zip", roster_export()), "dry_run": "true"}


def network_and_import(w: World) -> dict[str, int]:
    return {"network_id": w.school.network_id, "import_id": w.roster_import.pk}


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("api:api-root", "GET", lambda w: {}, kind=GLOBAL),
    Endpoint("api:school-list", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.school.pk),
    Endpoint("api:school-detail", "GET", lambda w: {"pk": w.school.pk}),
    Endpoint("api:grade-list", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.grade.pk),
    Endpoint("api:grade-detail", "GET", lambda w: {"pk": w.grade.pk}),
    Endpoint("api:cohort-list", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.cohort.pk),
    Endpoint("api:cohort-detail", "GET", lambda w: {"pk": w.cohort.pk}),
    Endpoint("api:student-list", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.student.pk),
    Endpoint("api:student-detail", "GET", lambda w: {"pk": w.student.pk}),
    Endpoint(
        "api:serviceneed-list",
        "GET",
        lambda w: {},
        kind=LIST,
        listed=lambda w: w.need.pk,
        need_to_know=True,
    ),
    Endpoint("api:serviceneed-detail", "GET", lambda w: {"pk": w.need.pk}, need_to_know=True),
    Endpoint("api:staff-list", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.teacher.pk),
    Endpoint("api:staff-detail", "GET", lambda w: {"pk": w.teacher.pk}),
    Endpoint("api-school-schedule", "GET", lambda w: {"school_id": w.school.pk, "date": day(w)}),
    Endpoint(
        "api-school-schedule-versions",
        "GET",
        lambda w: {"school_id": w.school.pk, "date": day(w)},
    ),
    Endpoint(
        "api-school-schedule-build",
        "POST",
        lambda w: {"school_id": w.school.pk, "date": day(w)},
        ok=202,
        write=True,
    ),
    Endpoint("api-build-status", "GET", lambda w: {"job_id": w.job.pk}),
    Endpoint("api-staff-roster", "GET", lambda w: {"staff_id": w.teacher.pk, "date": day(w)}),
    Endpoint("api-student-schedule", "GET", lambda w: {"student_id": w.student.pk, "date": day(w)}),
    Endpoint("api-nightly-runs", "GET", lambda w: {}, kind=LIST, listed=lambda w: w.run.pk),
    Endpoint("api-staff-calendar", "GET", lambda w: {"staff_id": w.teacher.pk}, kind=FEED),
    Endpoint("api-cohort-calendar", "GET", lambda w: {"cohort_id": w.cohort.pk}, kind=FEED),
    Endpoint(
        "api-progress", "POST", lambda w: {}, kind=GLOBAL, ok=201, body=progress_body, write=True
    ),
    Endpoint(
        "api:api-roster-imports",
        "POST",
        lambda w: {"network_id": w.school.network_id},
        ok=202,
        files=roster_upload,
        write=True,
        admins=True,
    ),
    Endpoint("api:api-roster-import", "GET", network_and_import, admins=True),
    Endpoint(
        "api:api-roster-import-apply", "POST", network_and_import, ok=202, write=True, admins=True
    ),
)


def call(client: Client, endpoint: Endpoint, world: World, **extra: Any):
    url = reverse(endpoint.name, kwargs=endpoint.kwargs(world))
    if endpoint.method == "GET":
        return client.get(url, **extra)
    if endpoint.files is not None:
        return client.post(url, data=endpoint.files(world), **extra)
    body = endpoint.body(world) if endpoint.body else None
    return client.generic(
        endpoint.method,
        url,
        data=b"" if body is None else json.dumps(body),
        content_type="application/json",
        **extra,
    )


def token_client(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"], body


def result_ids(response) -> set[int]:
    body = response.json()
    return {row["id"] for row in body["results"]}


@pytest.fixture
def world(db) -> World:
    return published_world()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_callers_are_refused(endpoint: Endpoint, world: World):
    response = call(Client(), endpoint, world)

    if endpoint.kind == FEED:
        # A feed without its secret does not exist, as far as an anonymous caller can tell.
        assert_problem(response, 404)
    else:
        assert_problem(response, 401)
        assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_another_schools_leader_gets_404(endpoint: Endpoint, world: World, school_b: SchoolWorld):
    other = client_for(school_b.leader.user)

    response = call(other, endpoint, world)

    if endpoint.kind in (DETAIL, FEED):
        assert_problem(response, 404)
    elif endpoint.kind == LIST:
        assert response.status_code == 200, response.content[:300]
        assert endpoint.listed is not None  # each LIST endpoint names one
        assert endpoint.listed(world) not in result_ids(response)
    elif endpoint.name == "api-progress":
        # The student is not among the schools B's leader may write to: refused by item, and
        # the message reads exactly as for a student id that does not exist.
        assert_problem(response, 400)
        assert "student" in response.json()["errors"]["0"]
        assert not ProgressRecord.objects.exists()
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_another_schools_token_gets_404(endpoint: Endpoint, world: World, school_b: SchoolWorld):
    other = token_client(token_for(school_b.school))

    response = call(other, endpoint, world)

    if endpoint.kind in (DETAIL, FEED):
        # Scope before grant: a read-only token of B learns nothing about A's ids from a 403.
        assert_problem(response, 404)
    elif endpoint.kind == LIST:
        assert response.status_code == 200, response.content[:300]
        assert endpoint.listed is not None  # each LIST endpoint names one
        assert endpoint.listed(world) not in result_ids(response)
    elif endpoint.write:
        assert_problem(response, 403)
        assert not ProgressRecord.objects.exists()
    else:
        assert response.status_code == 200


def test_another_schools_writing_token_cannot_push_school_as_progress(
    world: World, school_b: SchoolWorld
):
    other = token_client(token_for(school_b.school, can_write=True))
    endpoint = next(e for e in ENDPOINTS if e.name == "api-progress")

    response = call(other, endpoint, world)

    assert_problem(response, 400)
    assert "student" in response.json()["errors"]["0"]
    assert not ProgressRecord.objects.exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_the_schools_leader_is_served(endpoint: Endpoint, world: World):
    response = call(client_for(world.leader.user), endpoint, world)

    if endpoint.admins:
        # A leader leads one school; a roster import changes the whole network.
        assert_problem(response, 403)
        assert "network's admins" in response.json()["detail"]
        return
    assert response.status_code == endpoint.ok, response.content[:300]
    if endpoint.kind == LIST:
        assert endpoint.listed is not None  # each LIST endpoint names one
        assert endpoint.listed(world) in result_ids(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_the_schools_read_only_token_reads_and_cannot_write(endpoint: Endpoint, world: World):
    response = call(token_client(token_for(world.school)), endpoint, world)

    if endpoint.write or endpoint.admins:
        assert_problem(response, 403)
        assert "read-only" in response.json()["detail"]
    elif endpoint.need_to_know and endpoint.kind == LIST:
        assert response.status_code == 200
        assert endpoint.listed is not None  # each LIST endpoint names one
        assert endpoint.listed(world) not in result_ids(response)
    elif endpoint.need_to_know:
        assert_problem(response, 404)
    else:
        assert response.status_code == endpoint.ok, response.content[:300]
        if endpoint.kind == LIST:
            assert endpoint.listed is not None  # each LIST endpoint names one
            assert endpoint.listed(world) in result_ids(response)


ADMIN_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.admins]


@pytest.mark.parametrize("endpoint", ADMIN_ENDPOINTS, ids=str)
def test_roster_imports_serve_the_networks_admins(endpoint: Endpoint, world: World):
    admin = network_admin_of(world.school)
    # School A is its network's only school: a writing client registered for it by the
    # network's admin is network-wide; the same client registered by A's leader is not.
    admins_client = token_client(token_for(world.school, can_write=True, by=admin))
    leaders_client = token_client(token_for(world.school, can_write=True, by=world.leader.user))

    for caller in (client_for(admin), admins_client):
        response = call(caller, endpoint, world)
        assert response.status_code == endpoint.ok, response.content[:300]
        if endpoint.ok == 202:
            assert response["Location"] == response.json()["links"]["self"]
    refused = call(leaders_client, endpoint, world)
    assert_problem(refused, 403)
    assert "network's admins" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("name", "kwargs", "token"),
    [
        ("api-staff-calendar", lambda w: {"staff_id": w.teacher.pk}, "staff_feed_token"),
        ("api-cohort-calendar", lambda w: {"cohort_id": w.cohort.pk}, "cohort_feed_token"),
    ],
)
def test_a_calendar_feed_opens_by_its_secret_alone(name, kwargs, token, world: World):
    url = reverse(name, kwargs=kwargs(world))
    secret = getattr(world, token)

    served = Client().get(url, {"token": secret})
    wrong = Client().get(url, {"token": secret[:-2] + ("xx" if secret[-2:] != "xx" else "yy")})
    elsewhere = Client().get(
        reverse(name, kwargs={k: v + 10_000 for k, v in kwargs(world).items()}), {"token": secret}
    )

    assert served.status_code == 200
    assert served["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in served.content
    assert_problem(wrong, 404)
    assert_problem(elsewhere, 404)


# --- the table is complete ------------------------------------------------------------------------


def api_url_names() -> dict[str, str]:
    """URL name -> route of every pattern under ``api/v1/`` (format-suffix twins share a name)."""
    found: dict[str, str] = {}

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                plain = route.replace("^", "").replace("\\", "")
                if not plain.startswith("api/v1/"):
                    continue
                name = pattern.name or f"<unnamed {route}>"
                found.setdefault(f"{namespace}:{name}".lstrip(":"), route)

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_api_endpoint_is_in_the_table():
    routes = api_url_names()
    tabled = {endpoint.name for endpoint in ENDPOINTS}

    missing = {name: route for name, route in routes.items() if name not in tabled}
    gone = tabled - set(routes)

    assert not missing, f"add these endpoints to ENDPOINTS with their access rules: {missing}"
    assert not gone, f"ENDPOINTS names endpoints that no longer exist: {gone}"


def test_the_walk_sees_the_api():
    # The completeness test above is only as good as the walk; it must see every kind of route.
    names = api_url_names()

    assert {"api:api-root", "api:school-detail", "api-school-schedule", "api-progress"} <= set(
        names
    )
    assert "api-schema" not in names and "api-docs" not in names
