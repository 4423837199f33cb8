"""Fixtures of the fault tests: each test's own Redis, workers and proxies, all killed afterwards,
and schools with a published day that a rebuild replaces."""

from __future__ import annotations

import contextlib
import datetime
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
from django.test import Client

from rocketship.broker import nightly_unacked_keys
from rocketship.demo import seed_school
from rocketship.demo.plan import SHAPE_S, DemoSchool
from scheduling.models import CalendarDay, NightlyRun, RunTrigger, Schedule, ScheduleStatus
from scheduling.services.builds import schedule_build
from students.models import Cohort, Role, School

from ..factories import StaffFactory
from ..solver_limits import work_limited
from .harness import (
    SOLVE_WORK,
    VISIBILITY_TIMEOUT,
    DatabaseProxy,
    RedisServer,
    Worker,
    celery_client,
    database_address,
    database_url,
)

Pairs = list[tuple[bytes, float]]  # a sorted set read with its scores


@dataclass
class Faults:
    """One test's Redis server, queue and workers. Everything it started dies in ``close``."""

    directory: Path
    appendonly: bool = True  # False: a Redis that keeps nothing, whose restart loses every queue
    redis: RedisServer = field(init=False)
    queue: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex[:10]}")
    workers: list[Worker] = field(default_factory=list)
    proxies: list[DatabaseProxy] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.redis = RedisServer(self.directory, appendonly=self.appendonly)
        self.redis.start()
        self.client = celery_client(self.redis.url())

    def worker(
        self,
        name: str,
        *,
        concurrency: int = 1,
        database: tuple[str, int] | None = None,
        work: float = SOLVE_WORK,
        env: dict[str, str] | None = None,
        queues: list[str] | None = None,
    ) -> Worker:
        """A worker on this test's queues (default: both, the test's default and nightly
        queues), using the test database (through a proxy if given); ``env``: more of the
        worker's environment (settings read from it). Its builds stop at ``work`` units of
        CP-SAT deterministic work: what they find does not depend on the machine's load."""
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "rocketship.settings",
            "REDIS_URL": self.redis.url(),
            "DATABASE_URL": database_url(address=database),
            "SOLVER_WORK_LIMIT": str(work),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            # The test's own queues: a rebuild the app routes (a sweep's re-queue) reaches the
            # test's workers; what goes to the default queue (a notification, the sweep a
            # starting worker asks for) waits there unless a test starts a worker for it.
            "CELERY_DEFAULT_QUEUE": self.default_queue,
            "NIGHTLY_QUEUE": self.nightly_queue,
            # The outage policy, shrunk: retries 1 s doubling to 5 s; the pause asks every 1 s.
            "OUTAGE_RETRY_FLOOR_SECONDS": "1",
            "OUTAGE_RETRY_CAP_SECONDS": "5",
            "OUTAGE_PROBE_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        worker = Worker(
            name=name,
            queue=queues or [self.queue, self.nightly_queue],
            env={**environment, **(env or {})},
            log_dir=self.directory,
            concurrency=concurrency,
        )
        self.workers.append(worker)
        return worker

    def proxy(self) -> DatabaseProxy:
        proxy = DatabaseProxy(database_address())
        self.proxies.append(proxy)
        return proxy

    @property
    def nightly_queue(self) -> str:
        """The test's NIGHTLY_QUEUE, where the app routes the rebuilds."""
        return f"{self.queue}-nightly"

    @property
    def default_queue(self) -> str:
        """The test's CELERY_TASK_DEFAULT_QUEUE: what the app sends without a route."""
        return f"{self.queue}-default"

    def send_rebuild(self, run: NightlyRun) -> None:
        """Queue the run's rebuild by name to the nightly queue, as ``scheduling.services.nightly``
        does (through CELERY_TASK_ROUTES) once a run commits."""
        self.client.send_task(
            "scheduling.tasks.nightly_rebuild", args=[run.pk], queue=self.nightly_queue
        )

    def send_sweep(self) -> None:
        """Queue a jobs sweep, as the beat does every few minutes."""
        self.client.send_task("students.tasks.jobs_sweep", queue=self.default_queue)

    def queued(self) -> int:
        """Messages waiting in the queues (not those a worker holds unacknowledged)."""
        client = self.redis.client()
        return int(client.llen(self.queue)) + int(client.llen(self.nightly_queue))

    def unacknowledged(self) -> dict[bytes, float]:
        """Delivered but unacknowledged messages, by delivery tag, with when they went out:
        those of workers on both queues and of nightly-only workers (``rocketship.broker``)."""
        client = self.redis.client()
        index = nightly_unacked_keys(self.nightly_queue)["unacked_index_key"]
        return {
            # With scores, redis-py gives (member, score) pairs; its stubs type any reply.
            **dict(cast(Pairs, client.zrange("unacked_index", 0, -1, withscores=True))),
            **dict(cast(Pairs, client.zrange(index, 0, -1, withscores=True))),
        }

    def close(self) -> None:
        """Kill everything this test started, each step whatever the others did."""
        with contextlib.ExitStack() as stack:
            stack.callback(self.redis.stop)
            stack.callback(self.client.close)
            for proxy in self.proxies:
                stack.callback(proxy.close)
            for worker in self.workers:
                stack.callback(worker.kill)


@pytest.fixture
def faults(transactional_db, tmp_path: Path) -> Iterator[Faults]:
    """Workers see only committed rows: the test writes outside a transaction."""
    env = Faults(tmp_path)
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def volatile_faults(transactional_db, tmp_path: Path) -> Iterator[Faults]:
    """``faults`` on a Redis that keeps nothing on disk: a restart empties every queue."""
    env = Faults(tmp_path, appendonly=False)
    try:
        yield env
    finally:
        env.close()


# --- schools -------------------------------------------------------------------------------------


@dataclass
class PublishedDay:
    """A school's day with version 1 published and its roster changed since: a rebuild of it
    publishes version 2."""

    school: School
    date: datetime.date
    first: Schedule
    leader: Client

    def read_published(self) -> int:
        """The version a leader reads from the API; fails if none is published."""
        response = self.leader.get(f"/api/v1/schools/{self.school.pk}/schedules/{self.date}/")
        assert response.status_code == 200, response.content
        return int(response.json()["version"])

    def published(self) -> list[Schedule]:
        return list(
            Schedule.objects.filter(
                school=self.school, date=self.date, status=ScheduleStatus.PUBLISHED
            )
        )

    def versions(self) -> list[tuple[int, str]]:
        return list(
            Schedule.objects.filter(school=self.school, date=self.date)
            .order_by("version")
            .values_list("version", "status")
        )

    def run(self, trigger: str = RunTrigger.NIGHTLY) -> NightlyRun:
        return NightlyRun.objects.create(
            school=self.school, night=self.date, date=self.date, trigger=trigger
        )


def published_day(school: School) -> PublishedDay:
    date = (
        CalendarDay.objects.filter(school=school, instructional=True, day_type__isnull=False)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    assert date is not None
    leader = StaffFactory.create(school=school, roles=[Role.LEADER])
    built = schedule_build(
        school=school,
        date=date,
        publish=True,
        # The first schedule is enough to publish; it stops at deterministic work, so a busy
        # machine only makes it slower to come, never absent.
        options=work_limited(workers=1, first_solution_only=True),
    )
    assert built.schedule is not None and built.schedule.status == ScheduleStatus.PUBLISHED
    cohort = Cohort.objects.filter(school=school).order_by("pk").first()
    assert cohort is not None
    Cohort.objects.filter(pk=cohort.pk).update(name=f"{cohort.name} (renamed)")  # roster change
    client = Client()
    client.force_login(leader.user)
    return PublishedDay(school, date, built.schedule, client)


@pytest.fixture
def busy_day(faults: Faults) -> PublishedDay:
    """A demo school of the small reference shape (12 cohorts): its solve uses the whole
    SOLVE_WORK (2-3 s), long enough to kill a worker in the middle of it."""
    school, _ = seed_school(school=DemoSchool("Fault Street", "fault-street", "F", SHAPE_S, 6001))
    return published_day(school)


@pytest.fixture
def small_day(faults: Faults) -> PublishedDay:
    """The kindergarten of the selector tests: it builds in a fraction of a second."""
    from ..scheduling.test_selectors import kindergarten

    return published_day(kindergarten().school)


@pytest.fixture
def small_days(faults: Faults) -> list[PublishedDay]:
    """Five kindergartens (``small_day``): a night of several schools for two workers."""
    from ..scheduling.test_selectors import kindergarten

    return [published_day(kindergarten().school) for _ in range(5)]
