"""Riding out an outage of PostgreSQL or Redis: one retry policy for every task, and workers that
stop taking tasks while the database is down.

**The retry policy** (``OutageTask``, every task's base class: ``rocketship.celery``). A task
that fails on a transient error (``TRANSIENT_ERRORS``: the database or Redis unreachable, a
connection dropped) is sent again after a wait that doubles from ``OUTAGE_RETRY_FLOOR_SECONDS``
up to ``OUTAGE_RETRY_CAP_SECONDS``, drawn at random between three quarters of that and all of it
(workers spread out) and never under the floor: retries never come milliseconds apart. It keeps
trying for at least ``OUTAGE_RETRY_BUDGET_SECONDS``: the number of retries is the one whose
shortest waits alone add up to the budget. A task waiting for its retry is held by a worker
unacknowledged, so the cap must stay under the broker's visibility timeout, or Redis would give
the task to a second worker meanwhile: ``RetryPolicy.from_settings`` refuses such settings, and
a worker does not start with them.

**The pause** (``OutagePause``, a step of each worker's consumer). Retries alone would let a
worker that cannot reach the database take every queued task in turn and send each back to wait,
tasks that would then all come due together. Instead, when a task of the worker fails or is
retried, the worker's main process asks the database (a new connection, given up after
``DATABASE_CONNECT_TIMEOUT``) and Redis, and if either does not answer, stops consuming its
queues: the queued tasks stay in Redis for a worker that can run them. It asks again every
``OUTAGE_PROBE_SECONDS`` and takes tasks again once both answer. The task in hand waits for its
retry as above (``acks_late``: its retry is a new message, sent before the old one is
acknowledged).

**Jobs** (``students.jobs``). A job's task claims its row before it runs; a retry must take
back the row its own delivery claimed, and no other delivery's: ``job_task_run`` gives the
retry the attempt it claimed (``job_claim``'s ``reclaim``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from celery import Task, bootsteps
from celery.worker.request import Request
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, connections
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# The database or Redis unreachable, or a connection to them dropped: worth retrying later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    BrokerError,
    RedisConnectionError,
    RedisTimeoutError,
)
# Redis's own default when the broker's transport options name none.
DEFAULT_VISIBILITY_TIMEOUT = 60 * 60


# --- the retry policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between retries (seconds): doubling from ``floor`` to ``cap``, for ``budget``."""

    floor: float
    cap: float
    budget: float

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        policy = cls(
            floor=settings.OUTAGE_RETRY_FLOOR_SECONDS,
            cap=settings.OUTAGE_RETRY_CAP_SECONDS,
            budget=settings.OUTAGE_RETRY_BUDGET_SECONDS,
        )
        policy.check(visibility_timeout())
        return policy

    def check(self, visibility_timeout: float) -> None:
        """Refuse a policy whose waits would not work (ImproperlyConfigured)."""
        if not 0 < self.floor <= self.cap:
            raise ImproperlyConfigured(
                f"OUTAGE_RETRY_FLOOR_SECONDS ({self.floor}) must be above 0 and at most "
                f"OUTAGE_RETRY_CAP_SECONDS ({self.cap})"
            )
        if self.cap >= visibility_timeout:
            # A worker holds a task waiting for its retry unacknowledged: past the visibility
            # timeout Redis hands it to another worker as well.
            raise ImproperlyConfigured(
                f"OUTAGE_RETRY_CAP_SECONDS ({self.cap}) must be below the broker's visibility "
                f"timeout ({visibility_timeout} s: CELERY_VISIBILITY_TIMEOUT, "
                "NIGHTLY_VISIBILITY_TIMEOUT)"
            )

    def longest(self, retries: int) -> float:
        """The longest wait before retry number ``retries + 1``."""
        return min(self.cap, self.floor * 2 ** min(retries, 32))

    def shortest(self, retries: int) -> float:
        return max(self.floor, 0.75 * self.longest(retries))

    def countdown(self, retries: int, draw: Callable[[], float] = random.random) -> float:
        """The wait before retry number ``retries + 1``, between its shortest and longest."""
        low, high = self.shortest(retries), self.longest(retries)
        return low + (high - low) * draw()

    def max_retries(self) -> int:
        """Retries enough for their shortest waits alone to cover the budget."""
        retries, waited = 0, 0.0
        while waited < self.budget:
            waited += self.shortest(retries)
            retries += 1
        return retries


def visibility_timeout() -> float:
    """How long Redis lets a worker hold a task unacknowledged: the shortest of the broker's
    (``CELERY_BROKER_TRANSPORT_OPTIONS``) and the nightly-only workers' (``rocketship.broker``)."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    timeouts: list[float | None] = [options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)]
    timeouts.append(getattr(settings, "NIGHTLY_VISIBILITY_TIMEOUT", None))
    return float(min(timeout for timeout in timeouts if timeout))


class OutageTask(Task):
    """Every task's base class: transient errors are retried with the outage policy, and the
    worker hears of each failure and retry (``OutageRequest``)."""

    Request = "rocketship.outages:OutageRequest"
    autoretry_for = TRANSIENT_ERRORS

    def retry(
        self,
        args: Any = None,
        kwargs: Any = None,
        exc: BaseException | None = None,
        throw: bool = True,
        eta: Any = None,
        countdown: float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> Any:
        if exc is not None and isinstance(exc, tuple(self.autoretry_for)):
            if self.request.is_eager:
                # Run in-process (no Redis): retrying at once cannot outlast anything.
                raise exc
            policy = RetryPolicy.from_settings()
            eta, countdown = None, policy.countdown(self.request.retries)
            max_retries = policy.max_retries()
            if self.request.retries < max_retries:
                logger.warning(
                    "task %s[%s] retry %d of %d in %.1f s: %s",
                    self.name,
                    self.request.id,
                    self.request.retries + 1,
                    max_retries,
                    countdown,
                    type(exc).__name__,
                )
            else:
                logger.error(
                    "task %s[%s] gave up after %d retries over OUTAGE_RETRY_BUDGET_SECONDS: %s",
                    self.name,
                    self.request.id,
                    self.request.retries,
                    type(exc).__name__,
                )
        return super().retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)


# --- the pause ----------------------------------------------------------------------------------


def database_answers() -> bool:
    """Whether PostgreSQL accepts a new connection (a connection of its own, closed at once: the
    worker's main process keeps none), within DATABASE_CONNECT_TIMEOUT (``DATABASES`` OPTIONS,
    and ``rocketship.db_timeouts``'s deadline)."""
    wrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        return True
    params = wrapper.get_connection_params()
    # The backend's driver module (psycopg2 here), which django-stubs does not declare.
    database: Any = wrapper.Database  # type: ignore[attr-defined]
    try:
        database.connect(**params).close()
    except database.Error:
        return False
    return True


def result_backend_answers() -> bool:
    """Whether the result backend's Redis answers a ping within REDIS_CONNECT_TIMEOUT."""
    url = settings.CELERY_RESULT_BACKEND or ""
    if not url.startswith("redis"):
        return True
    timeout = settings.REDIS_CONNECT_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def services_answer() -> bool:
    return database_answers() and result_backend_answers()


# The running consumer's pause step, in a worker's main process (one consumer a process).
_pause: OutagePause | None = None


def outage_suspected() -> None:
    """A task failed or is retried: ask whether the worker should stop taking tasks."""
    if _pause is not None:
        _pause.suspect()


class OutageRequest(Request):
    """A task's request in the worker's main process, where its outcome arrives."""

    # Asked before the task's message is acknowledged: until then the worker takes no other
    # task (prefetch 1), so a worker that pauses has taken one task at most.
    def on_retry(self, exc_info: Any) -> None:
        outage_suspected()
        super().on_retry(exc_info)

    def on_failure(self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False):
        outage_suspected()
        return super().on_failure(exc_info, send_failed_event, return_ok)


class OutagePause(bootsteps.StartStopStep):
    """A consumer step: stop consuming the task queues while the database (or the result
    backend) does not answer, and consume them again once it does."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, consumer: Any, **kwargs: Any) -> None:
        super().__init__(consumer, **kwargs)
        RetryPolicy.from_settings()  # a worker does not start with a policy that cannot work
        self.consumer: Any = None
        self.paused: list[Any] = []  # the queues no longer consumed
        self.paused_at = 0.0
        self.probing: Any = None  # the timer's entry while paused

    def start(self, consumer: Any) -> None:
        global _pause
        self.consumer = consumer
        _pause = self

    def stop(self, consumer: Any) -> None:
        """The consumer stops or restarts (its broker connection lost): it consumes every queue
        again when it starts, and the next failed task asks again."""
        global _pause
        if self.probing is not None:
            self.probing.cancel()
        self.probing, self.paused, self.consumer = None, [], None
        if _pause is self:
            _pause = None

    shutdown = stop

    def suspect(self) -> None:
        if not self.paused:
            self.check()

    def check(self) -> None:
        """Pause if the services do not answer; resume once they do."""
        if self.consumer is None:
            return
        answers = services_answer()
        if not answers and not self.paused:
            self.pause()
        elif answers and self.paused:
            self.resume()

    def pause(self) -> None:
        tasks = self.consumer.task_consumer
        self.paused = list(tasks.queues)
        for queue in self.paused:
            tasks.cancel_by_queue(queue.name)
        self.paused_at = time.monotonic()
        every = settings.OUTAGE_PROBE_SECONDS
        self.probing = self.consumer.timer.call_repeatedly(every, self.check)
        logger.warning(
            "worker paused: the database or Redis does not answer; not taking tasks from "
            "queues=%s, asking again every %s s",
            ",".join(queue.name for queue in self.paused),
            every,
        )

    def resume(self) -> None:
        if self.probing is not None:
            self.probing.cancel()
            self.probing = None
        tasks = self.consumer.task_consumer
        for queue in self.paused:
            tasks.add_queue(queue)
        tasks.consume()
        logger.warning(
            "worker resumed: the database answers again after %.0f s paused; taking tasks from "
            "queues=%s",
            time.monotonic() - self.paused_at,
            ",".join(queue.name for queue in self.paused),
        )
        self.paused = []


# --- jobs ---------------------------------------------------------------------------------------


def job_task_run(
    task: Task, model: type[Any], job_id: int, reclaim: int | None, run: Callable[[int | None], Any]
) -> Any:
    """Run a job's service from its task: ``run(reclaim)``, where ``reclaim`` is the attempt a
    previous delivery of this task claimed before it met an outage (``students.jobs.job_claim``
    takes that running job back, unless another delivery claimed it since). On an outage the
    retry carries the attempt this delivery claimed: a retry never leaves its job running
    unclaimable, and never takes a job another delivery holds."""
    attempts = model.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
    try:
        return run(reclaim)
    except TRANSIENT_ERRORS as exc:
        claimed = reclaim if attempts is None else attempts + 1
        raise task.retry(exc=exc, kwargs={"reclaim": claimed}) from exc
