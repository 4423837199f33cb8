"""The Redis broker as the nightly needs it: lost rebuilds come back in minutes, and first.

kombu's Redis transport keeps every delivered, unacknowledged message in one sorted set
(``unacked_index``, with the message itself in the ``unacked`` hash) and gives a message out
again once it has been there longer than the *connection's* ``visibility_timeout``; any worker's
periodic scan (``restore_visible``) restores every such message, whatever its queue. So one
timeout serves every queue a Redis carries, and it must outlast the longest task there (30
minutes): a rebuild whose whole worker died waited 40 minutes for another worker.

The choice here: a worker that consumes only the nightly queue (``NIGHTLY_QUEUE``) keeps its
unacknowledged messages under keys of its own (``unacked_key``, ``unacked_index_key`` and
``unacked_mutex_key`` are transport options) with the nightly timeout
(``NIGHTLY_VISIBILITY_TIMEOUT``, from the rebuild's own hard limit), and scans them every
10 seconds. Its scans never see another queue's messages, and other workers' scans never see
its own, so no short timeout hands out a build still running elsewhere. A worker that consumes
the nightly queue with others keeps the shared keys and the long timeout (it must: it holds long
tasks too); its lost rebuilds then come back through the jobs' sweeper instead.

A lower timeout for everyone, with ``job_claim`` guarding duplicates, was the other way: it
would hand out every long build, import and notification again while it still runs (each
delivery claiming nothing, but each one a duplicate message and a task's worth of noise) and
bring back tasks that are no jobs at all.

Second, where a message handed back goes: kombu publishes with LPUSH and consumers take with
BRPOP, from the right. A message whose visibility timeout passed is restored with RPUSH (the
right: next out), but one *rejected* with ``requeue`` (Celery does so when a pool process dies
under a task, ``task_reject_on_worker_lost``) is restored with LPUSH, behind the whole queue: a
school whose rebuild was killed waited for the rest of the night. Priorities cannot help, as the
restored message keeps its own. ``QoS.reject`` below restores it at the right end instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if not requeue:
            return super().reject(delivery_tag, requeue=False)
        # The consuming end (BRPOP takes from the right): redone next, not after the queue.
        self.restore_by_tag(delivery_tag, leftmost=False)
        # The base QoS's ack only forgets the tag locally (the restore removed it from Redis).
        super(redis.QoS, self).ack(delivery_tag)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    """kombu's Redis transport with the ``QoS`` above (``CELERY_BROKER_TRANSPORT``)."""

    Channel = Channel


def nightly_only(queues: Iterable[str]) -> bool:
    """Whether a worker consuming ``queues`` consumes the nightly queue and nothing else."""
    return set(queues) == {settings.NIGHTLY_QUEUE}


def nightly_unacked_keys(queue: str | None = None) -> dict[str, str]:
    """The keys under which nightly-only workers keep their unacknowledged messages."""
    queue = queue or settings.NIGHTLY_QUEUE
    return {
        "unacked_key": f"unacked:{queue}",
        "unacked_index_key": f"unacked_index:{queue}",
        "unacked_mutex_key": f"unacked_mutex:{queue}",
    }


def worker_transport_options(queues: Iterable[str]) -> dict[str, Any]:
    """The broker's transport options for a worker consuming ``queues``."""
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if not nightly_only(queues):
        return options
    return {
        **options,
        **nightly_unacked_keys(),
        "visibility_timeout": settings.NIGHTLY_VISIBILITY_TIMEOUT,
        # Scan for lost messages every 10 s (kombu's default scans every 100 s, sized for a
        # timeout of an hour), so one comes back within seconds of its timeout.
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }


def on_worker_init(sender: Any, **kwargs: Any) -> None:
    """``worker_init``: choose the worker's transport options from the queues it consumes
    (``-Q``), before it opens its consuming connection."""
    queues = list(sender.app.amqp.queues.consume_from)
    options = worker_transport_options(queues)
    sender.app.conf.broker_transport_options = options
    if nightly_only(queues):
        logger.info(
            "nightly-only worker: visibility_timeout=%ss unacked_index=%s",
            options["visibility_timeout"],
            options["unacked_index_key"],
        )
    elif settings.NIGHTLY_QUEUE in queues:
        logger.warning(
            "this worker consumes %s with other queues: a rebuild lost with it comes back after "
            "the shared visibility timeout (%ss) or the sweeper (NIGHTLY_STALE_SECONDS=%s), not "
            "after NIGHTLY_VISIBILITY_TIMEOUT; start nightly workers with -Q %s alone",
            settings.NIGHTLY_QUEUE,
            options.get("visibility_timeout"),
            settings.NIGHTLY_STALE_SECONDS,
            settings.NIGHTLY_QUEUE,
        )
