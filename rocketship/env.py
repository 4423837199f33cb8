"""Typed readers for environment variables, so settings.py reads as a list of decisions.

A malformed value stops start-up with the variable's name rather than surfacing later as a
confusing behaviour: a typo in ``DEBUG`` must never silently turn debugging on.
"""

import datetime
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of true/false, 1/0, yes/no, on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_time(name: str, default: str) -> datetime.time:
    """A clock time written HH:MM, e.g. 02:00."""
    raw = os.environ.get(name, default).strip()
    try:
        hours, minutes = raw.split(":")
        return datetime.time(int(hours), int(minutes))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a time of day like 02:00") from None
