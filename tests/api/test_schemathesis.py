"""Schemathesis over the live OpenAPI document (``/api/schema/``), once per role.

Every operation of the schema is called through the WSGI application with generated requests, as
a network admin, a leader and a teacher (signed in) and as a read-only client token, against a
school with a published, engine-built day (``world.published_world``). Each operation runs twice:
with the ids and date that exist (so the 200 bodies are real and checked) and with generated ones
(404s, 400s). Every response must be a non-5xx whose status code, content type, headers and body
the schema declares. Then, as a leader and a token, requests the schema forbids (negative
examples) must be refused with a documented 4xx. Derandomized and bounded: a few examples per
operation and role.
"""

import json
import re
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rocketship.wsgi import application

from ..conftest import client_for
from .world import World, network_admin_of, published_world, token_for

pytestmark = pytest.mark.django_db

ROLES = ("network admin", "leader", "teacher", "read-only token")
# Service needs are need to know: the world's teacher (humanities) and a read-only token are
# told none, so those reads answer an empty list or 404 for them by design.
NEED_TO_KNOW = "/service-needs/"
NOT_NEEDING_TO_KNOW = ("teacher", "read-only token")
KNOWN_EXAMPLES = 6
RANDOM_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Requests the schema forbids: refused with a 4xx the schema documents.
NEGATIVE_EXAMPLES = 10
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection, status_code_conformance]
CSRF = "b" * 32  # an unmasked secret: Django accepts it as both cookie and header

# Roster imports serve the network's admins only: the other roles get 403 even for reads.
NETWORK_ADMINS_ONLY = "/roster-imports/"

# Router detail routes name their id ``{id}``; which object it is depends on the collection.
DETAIL_OF = {
    "schools": "school",
    "grades": "grade",
    "cohorts": "cohort",
    "students": "student",
    "service-needs": "need",
    "staff": "teacher",
}


@pytest.fixture
def world(db) -> World:
    return published_world()


@pytest.fixture
def api_schema():
    # The app runs in the test's own thread and transaction; like Django's test client, keep
    # the end of each request from closing the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def credentials(role: str, world: World) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) that authenticate as ``role`` of the world's school."""
    if role == "read-only token":
        return {"Authorization": f"Token {token_for(world.school)}"}, {}
    user = {
        "network admin": lambda: network_admin_of(world.school),
        "leader": lambda: world.leader.user,
        "teacher": lambda: world.teacher.user,
    }[role]()
    session = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    return {"X-CSRFToken": CSRF}, {
        settings.SESSION_COOKIE_NAME: session,
        settings.CSRF_COOKIE_NAME: CSRF,
    }


def known_parameters(path: str, world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """(path parameters, query) naming objects that exist, for an operation's path template."""
    ids = {
        "school_id": world.school.pk,
        "staff_id": world.teacher.pk,
        "student_id": world.student.pk,
        "cohort_id": world.cohort.pk,
        "job_id": world.job.pk,
        "date": world.date.isoformat(),
        "network_id": world.school.network_id,
        "import_id": world.roster_import.pk,
    }
    names = re.findall(r"{(\w+)}", path)
    parameters = {name: ids[name] for name in names if name in ids}
    if "id" in names:
        collection = path.removeprefix("/api/v1/").split("/")[0]
        obj = getattr(world, DETAIL_OF[collection])
        parameters["id"] = obj.pk
    query = {}
    if path.endswith("/calendar.ics"):
        query["token"] = world.staff_feed_token if "{staff_id}" in path else world.cohort_feed_token
    return parameters, query


def run_operation(
    operation,
    *,
    headers: dict[str, str],
    cookies: dict[str, str],
    examples: int,
    seen: set[int],
    mode: GenerationMode = GenerationMode.POSITIVE,
    checks: list | None = None,
    **fixed: Any,
) -> None:
    strategy = operation.as_strategy(mode, **fixed)

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case) -> None:
        response = case.call(headers=headers, cookies=cookies)
        seen.add(response.status_code)
        case.validate_response(response, checks=checks or CHECKS)

    check()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_to_the_schema(role: str, world: World, api_schema, settings):
    # Hundreds of requests in a few seconds: the rate limits are not what this test is about.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "client": "100000/minute",
            "user": "100000/minute",
            "anon": "100000/minute",
        },
    }
    headers, cookies = credentials(role, world)
    failures: list[str] = []
    unserved: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        parameters, query = known_parameters(operation.path, world)
        runs: tuple[tuple[str, dict[str, Any], int], ...] = (
            ("known ids", {"path_parameters": parameters, "query": query}, KNOWN_EXAMPLES),
            ("generated ids", {}, RANDOM_EXAMPLES),
        )
        for label, fixed, examples in runs:
            seen: set[int] = set()
            try:
                run_operation(
                    operation,
                    headers=headers,
                    cookies=cookies,
                    examples=examples,
                    seen=seen,
                    **fixed,
                )
            except (Exception, BaseExceptionGroup) as error:  # collect every failure
                failures.append(f"{operation.method.upper()} {operation.path} ({label}): {error}")
            if (
                label == "known ids"
                and operation.method == "get"
                and not (NETWORK_ADMINS_ONLY in operation.path and role != "network admin")
                and not (NEED_TO_KNOW in operation.path and role in NOT_NEEDING_TO_KNOW)
                and not any(200 <= status < 300 for status in seen)
            ):
                unserved.append(f"GET {operation.path}: {sorted(seen)}")

    assert operations >= 20, f"only {operations} operations in the schema"
    assert not failures, f"{len(failures)} failing as {role}:\n" + "\n\n".join(failures)
    # The run must reach real data: with ids that exist, every read answered 2xx at least once.
    assert not unserved, f"reads never served as {role}: {unserved}"


@pytest.mark.parametrize("role", ["leader", "read-only token"])
def test_requests_the_schema_forbids_are_refused(role: str, world: World, api_schema, settings):
    """Negative examples (a string for an id, a date out of pattern, an unknown ``?format=``):
    each must answer a documented 4xx, never a 2xx and never a 5xx."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "client": "100000/minute",
            "user": "100000/minute",
            "anon": "100000/minute",
        },
    }
    headers, cookies = credentials(role, world)
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            run_operation(
                operation,
                headers=headers,
                cookies=cookies,
                examples=NEGATIVE_EXAMPLES,
                seen=set(),
                mode=GenerationMode.NEGATIVE,
                checks=NEGATIVE_CHECKS,
            )
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")

    assert not failures, f"{len(failures)} failing as {role}:\n" + "\n\n".join(failures)


def test_the_schema_is_served_as_json(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/schools/") for path in document["paths"])
