"""Production settings pass Django's deploy checks; unsafe ones are caught."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from rocketship.env import env_bool

from .faults.harness import RedisServer

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#pQ2v!Lk9sWm4@Tz8rYc1&Nb6Hd3Jf5Gq0Ve-Ua_Ro+Ei*Oy",
    "ALLOWED_HOSTS": "rocketship.example.org",
    "HTTPS": "true",
    "DATABASE_URL": "postgres://rocketship@db.example.org:5432/rocketship",
    "REDIS_URL": "redis://cache.example.org:6379/0",
}


def deploy_check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Only what a production host would have: none of the test run's own switches.
    leave_out = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in leave_out}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env, "ROCKETSHIP_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check(tmp_path):
    # Redis as production must run it, persisting (rocketship.redis_persistence asks it).
    redis_server = RedisServer(tmp_path, appendonly=True)
    redis_server.start()
    try:
        result = deploy_check({**PRODUCTION, "REDIS_URL": redis_server.url()}, tmp_path)
    finally:
        redis_server.stop()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_the_deploy_check_catches_plain_http(tmp_path):
    result = deploy_check({**PRODUCTION, "HTTPS": "false"}, tmp_path)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_a_mistyped_boolean_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='ture': expected one of true/false"):
        env_bool("DEBUG", False)


def test_debug_is_off_unless_asked(settings):
    assert settings.DEBUG is False
