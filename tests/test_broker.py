"""The broker as the nightly needs it (``rocketship.broker``), on a real Redis: a message handed
back by a worker (a pool process killed under its task) is the next one out, and a worker that
consumes only the nightly queue keeps its unacknowledged messages apart, with the nightly
timeout."""

import os
import uuid

import pytest
from kombu import Connection
from kombu.transport import redis as kombu_redis

from rocketship.broker import Transport, nightly_unacked_keys, worker_transport_options

REDIS_URL = os.environ.get("ROCKETSHIP_TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15"


def handed_back_then_next(transport: type) -> list[str]:
    """Publish three messages, take the first, hand it back (reject with requeue, as Celery
    does when a pool process dies), and say what comes out after it."""
    queue = f"test-broker-{uuid.uuid4().hex[:10]}"
    with Connection(REDIS_URL, transport=transport) as connection:
        simple = connection.SimpleQueue(queue)
        try:
            for body in ("first", "second", "third"):
                simple.put(body)
            message = simple.get(timeout=5)
            assert message.payload == "first"
            message.reject(requeue=True)
            out = []
            for _ in range(3):
                message = simple.get(timeout=5)
                out.append(message.payload)
                message.ack()
            return out
        finally:
            simple.queue.delete()
            simple.close()


@pytest.mark.celery_worker
def test_a_message_handed_back_is_the_next_one_out():
    assert handed_back_then_next(Transport) == ["first", "second", "third"]


@pytest.mark.celery_worker
def test_kombus_own_transport_puts_it_behind_the_queue():
    """Why ours exists: kombu restores a rejected message with LPUSH, the far end."""
    assert handed_back_then_next(kombu_redis.Transport) == ["second", "third", "first"]


def test_a_nightly_only_worker_keeps_its_unacknowledged_messages_apart(settings):
    settings.NIGHTLY_QUEUE = "nightly"
    settings.NIGHTLY_VISIBILITY_TIMEOUT = 480
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2400, "socket_timeout": 5}

    nightly = worker_transport_options(["nightly"])
    assert nightly["visibility_timeout"] == 480 and nightly["socket_timeout"] == 5
    assert nightly["unacked_index_key"] == "unacked_index:nightly"
    assert nightly_unacked_keys() == {
        key: nightly[key] for key in ("unacked_key", "unacked_index_key", "unacked_mutex_key")
    }
    # A worker holding other queues' long tasks keeps the shared keys and the long timeout.
    for queues in (["celery"], ["celery", "nightly"]):
        assert worker_transport_options(queues) == {"visibility_timeout": 2400, "socket_timeout": 5}
