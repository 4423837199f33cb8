"""The outage policy (``rocketship.outages``): waits with a floor and a cap, retries for the
whole budget, a cap under the visibility timeout, and an import's retry that takes its own job
back. The workers' pause is exercised with real processes in tests/faults/test_database_outage.py.
"""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from celery import Task
from celery.exceptions import Retry
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from learninglabs.imports import job as progress_imports
from learninglabs.imports import progress_import_run
from learninglabs.models import ImportState
from rocketship.celery import app
from rocketship.outages import (
    TRANSIENT_ERRORS,
    OutagePause,
    OutageTask,
    RetryPolicy,
    job_task_run,
    outage_suspected,
)
from scheduling import tasks as scheduling_tasks

from .learninglabs.test_import_command import mapping  # noqa: F401 (fixture)
from .students.test_jobs import queued_progress_import

ROOT = Path(__file__).resolve().parent.parent
POLICY = RetryPolicy(floor=5, cap=60, budget=30 * 60)
DRAWS = (0.0, 0.5, 1.0)


def test_waits_never_fall_under_the_floor_nor_rise_over_the_cap():
    waits = [POLICY.countdown(n, lambda d=d: d) for n in range(60) for d in DRAWS]
    assert min(waits) == POLICY.floor and max(waits) == POLICY.cap


def test_waits_double_from_the_floor_and_are_jittered_only_above_it():
    assert [POLICY.longest(n) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert POLICY.countdown(0, lambda: 0.0) == POLICY.countdown(0, lambda: 1.0) == 5
    assert (POLICY.countdown(2, lambda: 0.0), POLICY.countdown(2, lambda: 1.0)) == (15, 20)
    assert POLICY.longest(10_000) == POLICY.cap  # no overflow after many retries


@pytest.mark.parametrize(
    "policy", [POLICY, RetryPolicy(floor=1, cap=5, budget=300), RetryPolicy(30, 30, 3600)]
)
def test_the_retries_outlast_the_budget_even_with_their_shortest_waits(policy):
    retries = policy.max_retries()
    shortest = [policy.shortest(n) for n in range(retries)]
    assert sum(shortest) >= policy.budget
    assert sum(shortest[:-1]) < policy.budget  # no more than needed


def test_the_default_policy_retries_for_30_minutes_and_more(settings):
    policy = RetryPolicy.from_settings()
    assert policy.budget >= 30 * 60 and policy.floor >= 1
    assert sum(policy.shortest(n) for n in range(policy.max_retries())) >= 30 * 60


def test_a_cap_at_or_over_either_visibility_timeout_is_refused(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    settings.NIGHTLY_VISIBILITY_TIMEOUT = 3600
    settings.OUTAGE_RETRY_CAP_SECONDS = 60
    with pytest.raises(ImproperlyConfigured, match="visibility timeout"):
        RetryPolicy.from_settings()
    settings.OUTAGE_RETRY_CAP_SECONDS = 59
    assert RetryPolicy.from_settings().cap == 59

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    settings.NIGHTLY_VISIBILITY_TIMEOUT = 59  # the nightly-only workers' (rocketship.broker)
    with pytest.raises(ImproperlyConfigured, match="visibility timeout"):
        RetryPolicy.from_settings()


def test_a_worker_with_such_a_cap_refuses_to_start_and_says_why():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rocketship.settings",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # it stops before connecting
        "CELERY_VISIBILITY_TIMEOUT": "50",
        "OUTAGE_RETRY_CAP_SECONDS": "100",
    }
    worker = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "rocketship", "worker", "--pool=solo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode != 0
    assert "OUTAGE_RETRY_CAP_SECONDS (100) must be below" in worker.stderr + worker.stdout


def test_a_floor_of_zero_or_over_the_cap_is_refused(settings):
    for floor in (0, 61):
        settings.OUTAGE_RETRY_FLOOR_SECONDS = floor
        with pytest.raises(ImproperlyConfigured, match="FLOOR"):
            RetryPolicy.from_settings()


# --- the tasks ----------------------------------------------------------------------------------


def test_every_task_has_the_outage_policy_and_every_worker_the_pause():
    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert ours and all(isinstance(task, OutageTask) for task in ours)
    assert all(set(TRANSIENT_ERRORS) <= set(task.autoretry_for) for task in ours)
    assert OutagePause in app.steps["consumer"]


def retried(task: Task, *, retries: int, exc: BaseException) -> dict:
    """What ``task.retry`` asks Celery for, as a worker's delivery number ``retries + 1``."""
    task.push_request(id="t", retries=retries, is_eager=False, called_directly=False)
    try:
        with mock.patch.object(Task, "retry", return_value="sent") as sent:
            assert task.retry(exc=exc, countdown=0.001, max_retries=1) == "sent"
    finally:
        task.pop_request()
    (_, args, _), *_ = sent.mock_calls
    _args, _kwargs, _exc, _throw, eta, countdown, max_retries = args
    return {"eta": eta, "countdown": countdown, "max_retries": max_retries}


def test_a_transient_error_is_retried_with_the_policy_whatever_the_caller_asked(settings):
    settings.OUTAGE_RETRY_FLOOR_SECONDS, settings.OUTAGE_RETRY_CAP_SECONDS = 2, 8
    policy = RetryPolicy.from_settings()
    task = app.tasks["scheduling.tasks.nightly_rebuild"]  # another test's app may be current

    first = retried(task, retries=0, exc=OperationalError("refused"))
    late = retried(task, retries=30, exc=OperationalError("refused"))

    assert first == {"eta": None, "countdown": 2, "max_retries": policy.max_retries()}
    assert 6 <= late["countdown"] <= 8


def test_in_process_a_transient_error_is_raised_at_once():
    """Without Redis tasks run in-process: retrying at once could not outlast anything."""
    with (
        mock.patch.object(
            scheduling_tasks.nightly, "nightly_fan_out", side_effect=OperationalError
        ) as fan_out,
        pytest.raises(OperationalError),
    ):
        app.tasks["scheduling.tasks.nightly_fan_out"].apply()
    assert fan_out.call_count == 1


# --- an import's retry takes its own job back ---------------------------------------------------


class Worker:
    """The task's ``retry`` as a worker's: it records what the retry would carry."""

    def __init__(self) -> None:
        self.kwargs: dict | None = None

    def retry(self, *, exc: BaseException, kwargs: dict) -> Retry:
        self.kwargs = kwargs
        raise Retry(exc=exc)


@pytest.mark.django_db
def test_an_import_that_meets_an_outage_is_retried_by_the_delivery_that_claimed_it(
    mapping,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    record = queued_progress_import(mapping, django_capture_on_commit_callbacks)
    worker = Worker()

    def run(reclaim):
        return progress_import_run(import_id=record.pk, reclaim=reclaim)

    with (
        mock.patch.object(
            progress_imports, "progress_import_execute", side_effect=OperationalError("gone")
        ),
        pytest.raises(Retry),
    ):
        job_task_run(worker, type(record), record.pk, None, run)

    record.refresh_from_db()
    assert (record.state, record.attempts) == (ImportState.RUNNING, 1)  # not failed, not lost
    assert worker.kwargs == {"reclaim": 1}
    # Another delivery (a duplicate, a stale retry) leaves the running import alone...
    assert progress_import_run(import_id=record.pk).state == ImportState.RUNNING
    assert progress_import_run(import_id=record.pk, reclaim=0).attempts == 1
    # ...and the retry takes it back and finishes it, once.
    done = job_task_run(worker, type(record), record.pk, 1, run)
    assert (done.state, done.attempts) == (ImportState.SUCCEEDED, 2)
    assert progress_import_run(import_id=record.pk, reclaim=1).state == ImportState.SUCCEEDED


# --- the pause, with a stand-in consumer ---------------------------------------------------------


class Consumer:
    """What the pause step uses of Celery's consumer: its task consumer and its timer."""

    def __init__(self, queues: list[str]) -> None:
        self.task_consumer = mock.Mock(queues=[SimpleNamespace(name=name) for name in queues])
        self.timer = mock.Mock()


def test_a_worker_stops_consuming_while_the_database_is_down_and_resumes_once_it_answers(
    settings, caplog
):
    consumer = Consumer(["default", "nightly"])
    step = OutagePause(consumer)
    step.start(consumer)
    answers = mock.patch("rocketship.outages.services_answer")
    try:
        with answers as services_answer, caplog.at_level("WARNING", "rocketship.outages"):
            services_answer.return_value = True
            outage_suspected()  # a task failed for another reason: nothing changes
            consumer.task_consumer.cancel_by_queue.assert_not_called()

            services_answer.return_value = False
            outage_suspected()
            assert [c.args for c in consumer.task_consumer.cancel_by_queue.mock_calls] == [
                ("default",),
                ("nightly",),
            ]
            ((every, probe), _) = consumer.timer.call_repeatedly.call_args
            assert every == settings.OUTAGE_PROBE_SECONDS
            outage_suspected()  # paused already: asks nothing more
            assert services_answer.call_count == 2

            probe()  # still down
            consumer.task_consumer.add_queue.assert_not_called()
            services_answer.return_value = True
            probe()
        assert [c.args[0].name for c in consumer.task_consumer.add_queue.mock_calls] == [
            "default",
            "nightly",
        ]
        consumer.task_consumer.consume.assert_called_once()
        consumer.timer.call_repeatedly.return_value.cancel.assert_called_once()
        assert [r.getMessage().split(":")[0] for r in caplog.records] == [
            "worker paused",
            "worker resumed",
        ]
    finally:
        step.stop(consumer)
    assert step.paused == [] and step.consumer is None
