"""A Redis that keeps nothing on disk is named: by the deploy check and when a worker starts."""

import logging
from pathlib import Path

import pytest
from django.core import checks

from rocketship import redis_persistence
from rocketship.redis_persistence import check_redis_persists

from .faults.harness import RedisServer, free_port


@pytest.fixture
def redis_server(request, tmp_path: Path):
    """A redis-server of the test's own; ``@pytest.mark.parametrize`` it with appendonly."""
    server = RedisServer(tmp_path, appendonly=request.param)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("redis_server", [False], indirect=True)
def test_a_redis_without_an_append_only_file_is_a_deploy_warning(redis_server, settings):
    settings.REDIS_URL = redis_server.url(3)

    (warning,) = check_redis_persists()

    assert isinstance(warning, checks.Warning) and warning.id == "rocketship.W001"
    assert "aof_enabled:0" in warning.msg and "queued task" in warning.msg
    assert "appendonly yes" in warning.hint and "appendfsync everysec" in warning.hint


@pytest.mark.parametrize("redis_server", [True], indirect=True)
def test_a_redis_with_an_append_only_file_passes(redis_server, settings):
    settings.REDIS_URL = redis_server.url()
    assert check_redis_persists() == []


def test_an_unreachable_redis_is_a_warning_of_its_own_not_a_crash(settings):
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens

    (warning,) = check_redis_persists()

    assert warning.id == "rocketship.W002" and "could not be asked" in warning.msg
    assert "hunter2" not in warning.msg  # the password stays out of the output


def test_a_url_redis_cannot_read_is_a_warning_not_a_crash(settings):
    settings.REDIS_URL = "redis+socket:///nowhere"

    (warning,) = check_redis_persists()

    assert warning.id == "rocketship.W002"


def test_without_redis_there_is_nothing_to_check(settings):
    settings.REDIS_URL = ""
    assert check_redis_persists() == []


def test_the_check_runs_with_the_deploy_checks_only():
    registry = checks.registry.registry
    assert check_redis_persists in registry.get_checks(include_deployment_checks=True)
    assert check_redis_persists not in registry.get_checks()


@pytest.mark.parametrize("redis_server", [False], indirect=True)
def test_a_worker_or_beat_start_logs_the_warning_once(redis_server, settings, monkeypatch, caplog):
    settings.REDIS_URL = redis_server.url()
    monkeypatch.setattr(redis_persistence, "_warned", False)

    # The receiver itself (the signals' other receivers would sweep jobs): the fault tests see
    # it connected, in a real worker's and beat's log (tests/faults/test_beat_faults.py).
    with caplog.at_level(logging.WARNING, logger="rocketship.redis_persistence"):
        redis_persistence.warn_if_redis_does_not_persist()  # the worker is ready
        redis_persistence.warn_if_redis_does_not_persist()  # and its embedded beat starts

    (record,) = caplog.records
    assert "rocketship.W001" in record.getMessage() and "appendonly yes" in record.getMessage()
