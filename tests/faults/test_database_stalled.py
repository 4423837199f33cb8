"""A stalled PostgreSQL (connections open, no byte moves: a hung server or network) costs a page
seconds and then a 503 with Retry-After, whether the request's connection is persistent or new,
and pages answer 200 again once it moves.

A real gunicorn worker serves the pages, its database through ``DatabaseProxy``, with the time
limits of ``rocketship.db_timeouts`` shortened by their settings. Without them the first request
after the stall would wait until gunicorn killed its worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from ..api.world import token_for
from ..scheduling.test_selectors import kindergarten
from .conftest import published_day
from .harness import ROOT, DatabaseProxy, database_address, database_url, free_port, wait_until

pytestmark = pytest.mark.celery_worker  # with the other fault tests: needs bin/test's PostgreSQL

READ_TIMEOUT = 3  # DATABASE_READ_TIMEOUT of the server
CONNECT_TIMEOUT = 2  # DATABASE_CONNECT_TIMEOUT
# The longest a request may wait for its 503: a persistent connection's health check waits out
# the read deadline, then a new connection the connect deadline. The rest is the busy machine's
# share (rendering, gunicorn), generous: without the limits the request never ends.
BOUND = READ_TIMEOUT + CONNECT_TIMEOUT + 15


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **kwargs: Any) -> tuple[requests.Response, float]:
        began = time.monotonic()
        response = requests.get(f"{self.url}{path}", timeout=120, allow_redirects=False, **kwargs)
        return response, time.monotonic() - began


@pytest.fixture
def gunicorn(transactional_db, tmp_path: Path) -> Iterator[tuple[Server, DatabaseProxy]]:
    """One gunicorn worker (one process: its persistent connection is reused by each request)
    whose database is behind a proxy the test stalls."""
    proxy = DatabaseProxy(database_address())
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "DATABASE_URL": database_url(address=proxy.address),
        "DATABASE_CONN_MAX_AGE": "600",
        "DATABASE_READ_TIMEOUT": str(READ_TIMEOUT),
        "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "DATABASE_STATEMENT_TIMEOUT": "2",
        "SECRET_KEY": settings.SECRET_KEY,  # the test's sessions are the server's
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "true",  # static files without collectstatic's manifest
        "ROCKETSHIP_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "rocketship.wsgi",
                "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--timeout", "300",  # gunicorn's own limit must not be what answers
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text(errors='replace')}")
        try:
            return server.get("/healthz")[0].status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(answers, timeout=90, what="gunicorn to answer", every=0.3)
        yield server, proxy
    finally:
        process.kill()
        process.wait(timeout=30)
        proxy.close()


def test_a_stalled_database_answers_pages_503_within_seconds_then_200_once_it_moves(gunicorn):
    server, proxy = gunicorn
    day = published_day(kindergarten().school)
    cookies = {settings.SESSION_COOKIE_NAME: day.leader.cookies[settings.SESSION_COOKIE_NAME].value}
    page = f"/schools/{day.school.pk}/"
    api = f"/api/v1/schools/{day.school.pk}/schedules/{day.date}/"
    token = {"Authorization": f"Token {token_for(day.school)}"}  # never seen: the database
    response, _ = server.get(page, cookies=cookies)
    assert response.status_code == 200  # the worker's connection is open, and kept

    proxy.stall()
    on_kept, kept_seconds = server.get(page, cookies=cookies)  # the persistent connection
    on_new, new_seconds = server.get(page, cookies=cookies)  # the kept one was dropped: a new one
    health, _ = server.get("/healthz")
    from_api, _ = server.get(api, headers=token)

    for response in (on_kept, on_new):
        assert response.status_code == 503, response.text[:500]
        assert response.headers["Retry-After"] == "30"
        assert "cannot reach its database" in response.text
    assert kept_seconds < BOUND and new_seconds < BOUND, (kept_seconds, new_seconds)
    assert health.status_code == 503
    assert from_api.status_code == 503 and from_api.headers["Retry-After"] == "30"
    assert from_api.json()["status"] == 503

    proxy.flow()
    recovered = wait_until(
        lambda: server.get(page, cookies=cookies)[0].status_code == 200,
        timeout=60,
        what="the page to answer 200 again",
        every=0.5,
    )
    assert recovered
    assert server.get(api, headers=token)[0].json()["version"] == 1
    print(f"503 after {kept_seconds:.1f} s (kept connection), {new_seconds:.1f} s (new one)")
