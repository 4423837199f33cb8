"""A cache is never a reason to lose a night, nor to answer 500: with Redis unreachable, a
publish still publishes, token requests are checked against the database, and what cannot go on
without Redis answers 503 with Retry-After. A session that cannot be saved for a lost database
answers 503, not 400.

"Unreachable" is the project's own Redis cache backend pointed at a port nobody listens on (the
connection is refused at once, as while Redis restarts)."""

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from unittest import mock

import kombu.exceptions
import pytest
import redis.exceptions
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client, override_settings
from rest_framework.test import APIClient

import rocketship.cache
from rocketship.api_errors import PROBLEM_CONTENT_TYPE
from scheduling.models import BuildJob, BuildState, Schedule, ScheduleStatus
from scheduling.services.builds import schedule_build
from students.clients import api_client_create, api_token_issue, principal_cache_key

from .conftest import client_for
from .faults.harness import free_port
from .scheduling.api.test_schedule_api import (
    build_url,
    published_school,
    schedule_url,
    token_for,
)
from .scheduling.test_selectors import DATE as K_DATE
from .scheduling.test_selectors import kindergarten
from .solver_limits import work_limited

pytestmark = pytest.mark.django_db

DOWN = redis.exceptions.ConnectionError(
    "Error 111 connecting to 127.0.0.1:6379. Connection refused."
)


@contextlib.contextmanager
def redis_unreachable(port: int | None = None) -> Iterator[None]:
    """The default cache is a Redis that refuses connections (or, at ``port``, one that does
    not answer) until the block ends."""
    location = f"redis://127.0.0.1:{port or free_port()}/0"
    unreachable = {
        "default": {
            "BACKEND": "rocketship.cache.ReusedClientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
    with override_settings(CACHES=unreachable):
        yield


@pytest.fixture(autouse=True)
def fresh_skip_log(monkeypatch) -> None:
    """The next skipped operation logs a line (the log is throttled per process), and the
    cache's rest after a failure ends with the test."""
    monkeypatch.setattr(rocketship.cache, "_skipped", rocketship.cache.fresh_skip_state())


class StalledRedis:
    """A port that accepts connections (the kernel completes them) and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.listener.accept()[0])

    def close(self) -> None:
        for sock in [self.listener, *self.accepted]:
            sock.close()


def token_client(school) -> tuple[APIClient, str]:
    client = api_client_create(
        network=school.network, name="Board", schools=[school], can_write=False, by=None
    )
    _, key = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api, key


def test_token_requests_are_checked_against_the_database_while_redis_is_unreachable(caplog):
    world = published_school()
    api, key = token_client(world.school)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Token {key[:-2]}xx")
    url = schedule_url(world.school.pk)

    with redis_unreachable(), caplog.at_level("WARNING", logger="rocketship.cache"):
        first, again = api.get(url), api.get(url)
        refused = wrong.get(url)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["version"] == again.json()["version"] == 1
    assert refused.status_code == 401
    # One line for the outage's first seconds, however many operations it skipped.
    (skipped,) = [r.getMessage() for r in caplog.records if r.name == "rocketship.cache"]
    assert "error=ConnectionError" in skipped and "(1 operation(s)" in skipped
    assert key.split("_")[1] not in skipped  # no token prefix in the log


def test_a_redis_that_stalls_costs_a_request_one_timeout_not_one_per_cache_operation():
    """The token's principal, the rate count, the published version and the rendered body are
    all cache operations: after the first times out, the cache rests (CACHE_REST_SECONDS)."""
    world = published_school()
    api, _ = token_client(world.school)
    stalled = StalledRedis()
    try:
        with redis_unreachable(stalled.port):
            response = api.get(schedule_url(world.school.pk))
    finally:
        stalled.close()

    assert response.status_code == 200
    assert len(stalled.accepted) == 1  # one connection, given up after its socket timeout


def test_a_principal_read_while_the_cache_could_not_be_read_is_never_cached():
    """The read failed (Redis restarting) and the write works again: caching the database's
    answer blind could cover a stale marker's absence, so nothing is kept."""
    world = published_school()
    api, key = token_client(world.school)

    with (
        mock.patch("students.clients.read_and_count", side_effect=DOWN),
        mock.patch.object(cache, "get_many", side_effect=DOWN),
    ):
        assert api.get(schedule_url(world.school.pk)).status_code == 200

    assert cache.get(principal_cache_key(key.split("_")[1])) is None


def test_a_publish_whose_cache_writes_fail_still_publishes(django_capture_on_commit_callbacks):
    """The published-version cache is marked stale inside the publish's transaction and set
    after its commit: with Redis unreachable both are skipped, the publish stands."""
    school = kindergarten().school
    options = work_limited(workers=1, first_solution_only=True)

    with redis_unreachable(), django_capture_on_commit_callbacks(execute=True):
        built = schedule_build(school=school, date=K_DATE, publish=True, options=options)

    assert built.schedule is not None and built.schedule.status == ScheduleStatus.PUBLISHED
    published = Schedule.objects.filter(school=school, date=K_DATE, status=ScheduleStatus.PUBLISHED)
    assert list(published) == [built.schedule]


def test_what_cannot_go_on_without_redis_answers_503_with_retry_after(school_a):
    """The password-reset limit fails closed (rocketship.cache): a page of its own saying try
    again, not a 500 and not an unlimited form."""
    with redis_unreachable():
        response = Client().post("/accounts/password_reset/", {"email": "x@example.org"})

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert b"cannot reach a service it needs" in response.content


def test_a_redis_error_under_the_api_answers_problem_json_503(school_a):
    client = client_for(school_a.leader.user)

    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=redis.exceptions.TimeoutError("Timeout reading from socket"),
    ):
        response = client.get(f"/api/v1/schools/{school_a.school.pk}/schedules/2026-09-01/")

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert "service the site needs is unreachable" in json.loads(response.content)["detail"]


def test_a_redis_command_error_is_a_bug_and_stays_a_500(school_a):
    client = client_for(school_a.leader.user)
    client.raise_request_exception = False

    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=redis.exceptions.ResponseError("WRONGTYPE"),
    ):
        response = client.get(f"/schools/{school_a.school.pk}/")

    assert response.status_code == 500


def test_a_session_save_that_loses_the_database_answers_503_not_400(school_a):
    """Django's database sessions read any error of the session's UPDATE as "the session was
    deleted meanwhile" (400); a lost database is an outage (students.sessions)."""
    client = client_for(school_a.leader.user)
    client.raise_request_exception = False  # Django answers 500 first; the middleware replaces it

    with mock.patch.object(
        Session, "save", side_effect=OperationalError("server closed the connection")
    ):
        response = client.get(f"/schools/{school_a.school.pk}/")  # picks the school: a save

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert b"cannot reach its database" in response.content


@pytest.mark.django_db(transaction=True)  # the task is queued as the job commits, in the view
def test_a_build_request_whose_task_cannot_be_queued_answers_503_and_keeps_its_job():
    """The broker (Redis) refuses the task once the job committed: the caller is told to try
    again, and the job waits for the sweeper (students.jobs) instead of being lost."""
    k = kindergarten()
    api = token_for(k.school, can_write=True)
    refused = kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    with mock.patch("scheduling.tasks.build_job_run_task.delay", side_effect=refused):
        response = api.post(build_url(k.school.pk))

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "service the site needs is unreachable" in response.json()["detail"]
    assert BuildJob.objects.filter(school=k.school, state=BuildState.QUEUED).count() == 1
