"""A calendar feed's address holds its secret (``?token=``): no log line writes it, neither
Django's (the development server's request lines, 4xx paths, our own loggers) nor gunicorn's
access log; nor a password-reset link's token."""

import datetime
import logging
from types import SimpleNamespace
from typing import cast

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import Client
from gunicorn.config import Config
from gunicorn.glogging import Logger

from rocketship.gunicorn_logging import RedactingLogger
from scheduling.services.feeds import calendar_feed_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(school_a):
    teacher = school_a.teacher
    _, path = calendar_feed_create(by=teacher.user, staff=teacher)
    secret = path.split("token=", 1)[1]
    assert len(secret) > 20
    return SimpleNamespace(path=path, secret=secret, bare=path.split("?")[0])


@pytest.fixture
def server_log(caplog):
    """The development server's logger does not propagate: listen to it directly."""
    server = logging.getLogger("django.server")
    server.addHandler(caplog.handler)
    yield caplog
    server.removeHandler(caplog.handler)


def log_request_line(path: str, status: str) -> None:
    """What ``manage.py runserver`` logs for each request it serves."""
    handler = SimpleNamespace(request=None, log_date_time_string=lambda: "04/Dec/2026 18:00:00")
    WSGIRequestHandler.log_message(
        cast(WSGIRequestHandler, handler),  # a stand-in with what log_message reads
        '"%s" %s %s',
        f"GET {path} HTTP/1.1",
        status,
        "512",
    )


def test_serving_a_feed_logs_no_secret(feed, server_log):
    with server_log.at_level(logging.DEBUG):
        answer = Client().get(feed.path)
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
        log_request_line(feed.path, "200")
        wrong = feed.path[: -len(feed.secret)] + feed.secret[:-4] + "zzzz"
        assert Client().get(wrong).status_code == 404
        log_request_line(wrong, "404")
    text = server_log.text + "".join(r.getMessage() for r in server_log.records)
    assert feed.bare in text  # the request lines are there...
    assert "token=[redacted]" in text
    assert feed.secret not in text and feed.secret[:-4] not in text  # ...without the secret


def test_a_password_reset_links_token_is_not_logged(school_a, server_log):
    path = "/accounts/reset/MQ/ce4xyz-0123456789abcdef0123456789abcdef/"
    with server_log.at_level(logging.DEBUG):
        log_request_line(path, "302")
        logging.getLogger("django.request").warning("Not Found: %s", path)
    assert "0123456789abcdef0123456789abcdef" not in server_log.text
    assert "/accounts/reset/MQ/[redacted]/" in server_log.text


def gunicorn_access_line(logger_class: type[Logger], path: str, tmp_path) -> str:
    config = Config()
    access_log = tmp_path / f"{logger_class.__name__}.log"
    config.set("accesslog", str(access_log))
    log = logger_class(config)
    query = path.split("?", 1)[1]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://example.org{path}",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://example.org{path}")])
    log.access(response, request, environ, datetime.timedelta(milliseconds=3))
    for handler in log.access_log.handlers:
        handler.flush()
    return access_log.read_text()


def test_gunicorns_access_log_with_our_logger_class_holds_no_secret(feed, tmp_path):
    plain = gunicorn_access_line(Logger, feed.path, tmp_path)
    assert feed.secret in plain  # what gunicorn writes on its own
    redacted = gunicorn_access_line(RedactingLogger, feed.path, tmp_path)
    assert feed.bare in redacted and "token=[redacted]" in redacted
    assert feed.secret not in redacted
