"""While the database is unreachable, pages and the API answer 503 with Retry-After, not 500."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import Client, RequestFactory

from rocketship.api_errors import PROBLEM_CONTENT_TYPE
from rocketship.unavailable import unavailable_response

from ..conftest import client_for
from ..scheduling.test_selectors import kindergarten
from .conftest import published_day
from .harness import DatabaseProxy, database_address

REFUSED = OperationalError(
    'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
)


def unreachable(error: Exception = REFUSED):
    """The first query of a request, loading its session, finds the database gone."""
    return mock.patch.object(SessionStore, "load", side_effect=error)


def assert_try_again_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert (
        b"Back in a moment" in response.content and b"cannot reach its database" in response.content
    )


def assert_try_again_problem(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = json.loads(response.content)
    assert (body["title"], body["status"]) == ("Service Unavailable", 503)
    assert "database is unreachable" in body["detail"] and "try again" in body["detail"]


def test_a_page_answers_a_try_again_page_and_logs_the_request_id_without_names(school_a, caplog):
    client = client_for(school_a.leader.user)

    with unreachable(), caplog.at_level("WARNING"):
        response = client.get(f"/schools/{school_a.school.pk}/?q={school_a.student.last_name}")

    assert_try_again_page(response)
    (record,) = caplog.records  # one warning: Django does not log the 503 again as an error
    assert (record.name, record.levelname) == ("rocketship.unavailable", "WARNING")
    message = record.getMessage()
    assert f"request_id={response['X-Request-ID']}" in message
    assert "error=OperationalError" in message and f"/schools/{school_a.school.pk}/" in message
    for name in (school_a.student.last_name, school_a.leader.user.last_name, "5432"):
        assert name not in message


def test_the_api_answers_problem_json_with_retry_after(school_a):
    client = client_for(school_a.leader.user)

    with unreachable():
        response = client.get(f"/api/v1/schools/{school_a.school.pk}/schedules/2026-09-01/")

    assert_try_again_problem(response)


def test_a_connection_dropped_under_a_request_answers_503_too(school_a):
    client = client_for(school_a.leader.user)

    with unreachable(InterfaceError("connection already closed")):
        page = client.get(f"/schools/{school_a.school.pk}/")
        api = client.get(f"/api/v1/schools/{school_a.school.pk}/schedules/2026-09-01/")

    assert_try_again_page(page)
    assert_try_again_problem(api)


def test_a_session_that_cannot_be_saved_after_the_view_answers_503(school_a):
    """The page picks the school into the session; saving it, in the session middleware on the
    way out, is the request's first write, and finds the database gone."""
    client = client_for(school_a.leader.user)
    client.raise_request_exception = False  # Django answers 500 first; the middleware replaces it

    with mock.patch.object(SessionStore, "save", side_effect=REFUSED):
        response = client.get(f"/schools/{school_a.school.pk}/")

    assert_try_again_page(response)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_other_errors_still_answer_500(school_a):
    client = client_for(school_a.leader.user)
    client.raise_request_exception = False

    with unreachable(RuntimeError("a bug")):
        response = client.get(f"/schools/{school_a.school.pk}/")

    assert response.status_code == 500 and not response.has_header("Retry-After")


def test_the_answer_itself_needs_no_database():
    """No database access is allowed in this test: a query would raise."""
    factory = RequestFactory()

    page = unavailable_response(factory.get("/schools/1/"))
    api = unavailable_response(factory.get("/api/v1/schools/1/schedules/2026-09-01/"))

    assert_try_again_page(page)
    assert_try_again_problem(api)


# --- a real refusal -------------------------------------------------------------------------------


@contextmanager
def database_through(proxy: DatabaseProxy) -> Iterator[None]:
    """This process's connections go through ``proxy`` until the block ends."""
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = proxy.address[0], str(proxy.address[1])
    try:
        yield
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved


def fetch(client: Client, path: str):
    """A request as a server handles it: Django's handler first drops a connection that failed
    (or outlived CONN_MAX_AGE), which the test client leaves out to keep a test's transaction."""
    close_old_connections()
    return client.get(path)


@pytest.mark.celery_worker  # with the other fault tests: needs bin/test's PostgreSQL
def test_while_postgresql_refuses_connections_pages_and_the_api_answer_503_then_recover(
    transactional_db,
):
    day = published_day(kindergarten().school)
    page = f"/schools/{day.school.pk}/"
    api = f"/api/v1/schools/{day.school.pk}/schedules/{day.date}/"
    proxy = DatabaseProxy(database_address())
    try:
        with database_through(proxy):
            assert fetch(day.leader, page).status_code == 200

            proxy.refuse()  # drops the open connection, refuses new ones
            assert_try_again_page(fetch(day.leader, page))
            assert_try_again_problem(fetch(day.leader, api))
            health = fetch(Client(), "/healthz")
            assert health.status_code == 503 and health["Retry-After"] == "30"

            proxy.forward()
            assert fetch(day.leader, page).status_code == 200
            assert fetch(day.leader, api).json()["version"] == 1
            assert fetch(Client(), "/healthz").status_code == 200
    finally:
        proxy.close()
