"""Say so when the Redis behind ``REDIS_URL`` keeps nothing on disk.

Queued tasks (tonight's rebuilds among them), tasks a worker holds unacknowledged, the beat's
schedule and its lock all live in Redis. A Redis without its append-only file loses them all on
a restart: the night's rebuilds vanish until the sweeper finds their runs, much later. Nothing
else would tell: the product works the same until the restart. So the broker's ``INFO
persistence`` is read

- by ``manage.py check --deploy`` (``rocketship.W001``; ``rocketship.W002`` when Redis cannot be
  reached to ask), and
- when a worker or the beat starts (logged once per process, at WARNING).

Only with ``REDIS_URL`` set: without it tasks run in-process and no Redis is used. Asking never
fails a check or a start: an unreachable Redis is a warning of its own.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.signals import beat_init, worker_ready
from django.conf import settings
from django.core import checks
from kombu.utils.url import maybe_sanitize_url

logger = logging.getLogger(__name__)

# Asking must not hold up a check or a start for long: Redis answers INFO at once, or not at all.
ASK_TIMEOUT_SECONDS = 3

NOT_PERSISTING = (
    "Redis at {url} keeps nothing on disk (INFO persistence: aof_enabled:0). A restart of it "
    "loses every queued task (the night's rebuilds among them), the tasks workers hold, and the "
    "beat's schedule and lock."
)
NOT_PERSISTING_HINT = (
    "Turn on append-only persistence in redis.conf: 'appendonly yes' and 'appendfsync everysec' "
    "(or at once: redis-cli CONFIG SET appendonly yes, then CONFIG REWRITE)."
)
UNREACHABLE = "Redis at {url} could not be asked whether it persists: {error}"
UNREACHABLE_HINT = "Check REDIS_URL and that Redis is running; then run this check again."


def redis_persistence_problem(url: str) -> tuple[str, str, str] | None:
    """(check id, message, hint) when the Redis at ``url`` keeps nothing on disk or cannot be
    asked; None when it writes an append-only file."""
    shown = maybe_sanitize_url(url)  # no password in a message
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=ASK_TIMEOUT_SECONDS, socket_timeout=ASK_TIMEOUT_SECONDS
        )
        try:
            info = client.info("persistence")
        finally:
            client.close()
    except (redis.RedisError, ValueError) as error:  # ValueError: a URL redis-py cannot read
        return "rocketship.W002", UNREACHABLE.format(url=shown, error=error), UNREACHABLE_HINT
    if int(info.get("aof_enabled", 0)):
        return None
    return "rocketship.W001", NOT_PERSISTING.format(url=shown), NOT_PERSISTING_HINT


@checks.register("redis", deploy=True)
def check_redis_persists(**kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.REDIS_URL:
        return []
    problem = redis_persistence_problem(settings.REDIS_URL)
    if problem is None:
        return []
    check_id, message, hint = problem
    return [checks.Warning(message, hint=hint, id=check_id)]


_warned = False


@worker_ready.connect(dispatch_uid="rocketship-redis-persistence-worker")
@beat_init.connect(dispatch_uid="rocketship-redis-persistence-beat")
def warn_if_redis_does_not_persist(**kwargs: Any) -> None:
    """At a worker's or the beat's start (once per process: a worker with an embedded beat
    starts both): the deploy check's warning, in the log an operator reads."""
    global _warned
    if _warned or not settings.REDIS_URL:
        return
    _warned = True
    problem = redis_persistence_problem(settings.REDIS_URL)
    if problem is not None:
        check_id, message, hint = problem
        logger.warning("%s %s (%s)", message, hint, check_id)
