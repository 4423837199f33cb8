"""Claim, finish and sweep every kind of job (``students.models.jobs.Job``) the same way.

Each app registers its job kinds when it is ready (``job_kind_register``): the model, the
Celery task that runs one job by id, and how a lost job is queued again or given up. Then:

- ``job_claim``: a worker takes a queued job (or a running one whose worker was lost) with one
  conditional UPDATE, so two deliveries of a task never both run it; ``attempts`` counts each
  claim.
- ``job_finish``: the job ends in one of its kind's finished states with its message; the files
  it no longer needs (uploads holding student ids) are deleted once the finish commits.
- ``jobs_sweep`` (a periodic task, and once each time a worker starts): a job queued or running
  longer than its kind's stale limit (about twice its task's hard time limit) was lost with its
  worker. It is queued again (``queued_at`` moves on, ``first_queued_at`` stays), its task sent
  once the change commits, or, once it has used up its kind's attempts (``JOBS_MAX_ATTEMPTS``),
  failed with the reason, its files deleted. Each re-queue is one conditional UPDATE, so sweeps
  running at once (a beat and workers starting) queue a lost job once. Files a finished job
  kept for later (a reviewed roster dry run's export) are deleted once they expire.
- ``job_is_lost``: a job whose worker died, shown "lost, running again" until it runs again or
  finishes: running past its task's hard limit (no live worker can still be at it), or re-queued
  by the sweeper and not yet taken up.

This module lives in ``students`` so that every app may import it; it imports no other app.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from .models.jobs import FAILED, QUEUED, RUNNING, Job

logger = logging.getLogger(__name__)
J = TypeVar("J", bound=Job)


@dataclass(frozen=True)
class JobKind:
    """One kind of job and how the sweeper treats its lost jobs. Callables are named by dotted
    path and imported when used, so registering one imports nothing heavy."""

    model: type[Job]
    # The Celery task that runs one job given its id; its hard time limit sets the stale limit.
    task: str
    # The task's hard time limit in seconds (default: read from the task).
    time_limit: Callable[[], float] | None = None
    # A callable(job_id) that queues the job's task (default: the task's ``delay``).
    send: str = ""
    # A callable(job, reason) that fails a lost job (default: ``job_finish`` as failed).
    give_up: str = ""
    # A callable(now) -> ids that deletes files finished jobs kept for later and no longer need.
    expire_files: str = ""
    # Seconds after which a queued or running job is lost (default: from the task).
    stale_seconds: Callable[[], float] | None = None
    # Claims before a lost job is failed instead of queued again (default: JOBS_MAX_ATTEMPTS).
    max_attempts: Callable[[], int] | None = None
    # A redelivered task may take over a running job at once (kinds whose finish is guarded by a
    # lock, so two deliveries running side by side still finish once); otherwise only a job
    # running for longer than the stale limit is taken over.
    reclaims_running: bool = False

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def hard_limit(self) -> datetime.timedelta:
        """How long its task may run before Celery kills it."""
        if self.time_limit is not None:
            return datetime.timedelta(seconds=self.time_limit())
        task = import_string(self.task)
        limit = getattr(task, "time_limit", None) or settings.CELERY_TASK_TIME_LIMIT
        return datetime.timedelta(seconds=limit)

    def stale_after(self) -> datetime.timedelta:
        """Queued or running this long, a job is lost: twice the hard limit by default, long
        enough that no live worker still holds it (a killed task's message comes back after
        the broker's visibility timeout, which outlasts the hard limit), short enough that a
        night loses minutes."""
        if self.stale_seconds is not None:
            return datetime.timedelta(seconds=self.stale_seconds())
        return 2 * self.hard_limit()

    def lost_after(self) -> datetime.timedelta:
        """Running this long, a job's worker is gone: its task would have been killed."""
        return self.hard_limit() + datetime.timedelta(seconds=settings.JOBS_LOST_GRACE_SECONDS)

    def attempts_allowed(self) -> int:
        if self.max_attempts is not None:
            return self.max_attempts()
        return settings.JOBS_MAX_ATTEMPTS

    def queue(self, job_id: int) -> None:
        if self.send:
            import_string(self.send)(job_id)
        else:
            import_string(self.task).delay(job_id)


_KINDS: dict[type[Job], JobKind] = {}


def job_kind_register(kind: JobKind) -> None:
    """Make ``kind`` known to the helpers and the sweeper (an app's ``ready``)."""
    _KINDS[kind.model] = kind


def job_kinds() -> list[JobKind]:
    return list(_KINDS.values())


def job_kind(model: type[Job]) -> JobKind:
    try:
        return _KINDS[model]
    except KeyError:
        raise LookupError(f"{model._meta.label} is not a registered job kind") from None


# --- staleness ----------------------------------------------------------------------------------


def stale_q(kind: JobKind, now: datetime.datetime) -> Q:
    """Jobs of ``kind`` lost with their worker at ``now``: queued, or running, for too long."""
    before = now - kind.stale_after()
    return (
        Q(state=QUEUED, queued_at__lt=before)
        | Q(state=RUNNING, started_at__lt=before)
        | Q(state=RUNNING, started_at__isnull=True, queued_at__lt=before)
    )


def fresh_active_q(model: type[Job], now: datetime.datetime | None = None) -> Q:
    """Jobs queued or running that a worker may still answer (not lost)."""
    now = now or timezone.now()
    return Q(state__in=(QUEUED, RUNNING)) & ~stale_q(job_kind(model), now)


def job_is_stale(job: Job, now: datetime.datetime | None = None) -> bool:
    if job.state not in (QUEUED, RUNNING):
        return False
    before = (now or timezone.now()) - job_kind(type(job)).stale_after()
    since = job.queued_at if job.state == QUEUED else (job.started_at or job.queued_at)
    return since is not None and since < before


def job_is_lost(job: Job, now: datetime.datetime | None = None) -> bool:
    """Whether ``job``'s worker died and it is coming back (redelivered, or re-queued by the
    sweeper) but is not running again yet: running past its task's hard limit, re-queued and
    waiting, or stale (the sweeper's next pass re-queues or fails it)."""
    if job.state == QUEUED and job.requeued:
        return True
    if job.state != RUNNING:
        return job_is_stale(job, now)
    since = job.started_at or job.queued_at
    before = (now or timezone.now()) - job_kind(type(job)).lost_after()
    return since is not None and since < before


# --- claim and finish -----------------------------------------------------------------------------


def job_claim(
    model: type[Job],
    job_id: int,
    *,
    now: datetime.datetime | None = None,
    reclaim: int | None = None,
    **fields: Any,
) -> bool:
    """Take job ``job_id`` for this worker: running, started now, one more attempt (and
    ``fields``). One conditional UPDATE: of two deliveries, only one claims a queued job.
    False when the job is gone, finished, or running under a worker that may still answer.
    ``reclaim``: the attempt this task claimed before an outage stopped it (its retry takes its
    running job back, unless another delivery claimed it since: ``rocketship.outages``)."""
    kind = job_kind(model)
    now = now or timezone.now()
    claimable = Q(state=QUEUED)
    if reclaim is not None:
        claimable |= Q(state=RUNNING, attempts=reclaim)
    if kind.reclaims_running:
        claimable |= Q(state=RUNNING)
    else:
        claimable |= Q(state=RUNNING) & stale_q(kind, now)
    return bool(
        model.objects.filter(claimable, pk=job_id).update(
            state=RUNNING, started_at=now, attempts=F("attempts") + 1, **fields
        )
    )


def job_finish(
    job: J,
    *,
    state: str,
    message: str | None = None,
    now: datetime.datetime | None = None,
    **fields: Any,
) -> J:
    """End ``job`` in ``state`` (one of its kind's finished states) with ``message`` and
    ``fields``; the files it no longer needs are deleted when this commits."""
    if state in (QUEUED, RUNNING):
        raise ValueError(f"{state!r} is not a finished state")
    changes: dict[str, Any] = {"state": state, "finished_at": now or timezone.now(), **fields}
    if message is not None:
        changes[job.message_field] = message
    for name, value in changes.items():
        setattr(job, name, value)
    job.save(update_fields=list(changes))
    job_files_delete_on_commit(job, job.files_to_delete())
    return job


def job_files_delete_on_commit(job: Job, field_names: Iterable[str]) -> None:
    """Delete the files of ``job``'s ``field_names`` (and blank the fields) once the current
    transaction commits: a rolled-back finish keeps them."""
    files = [(name, getattr(job, name).name) for name in field_names]
    files = [(name, stored) for name, stored in files if stored]
    if files:
        transaction.on_commit(partial(_delete_files, job, files))


def _delete_files(job: Job, files: Iterable[tuple[str, str]]) -> None:
    model = type(job)
    for field_name, stored in files:
        field = model._meta.get_field(field_name)
        assert isinstance(field, models.FileField)  # field_names name the job's file fields
        field.storage.delete(stored)
        model.objects.filter(pk=job.pk, **{field_name: stored}).update(**{field_name: ""})
        current = getattr(job, field_name)
        if current.name == stored:
            current.name = None
    logger.info("job files deleted kind=%s id=%s", job._meta.label_lower, job.pk)


# --- the sweeper ----------------------------------------------------------------------------------


@dataclass
class Swept:
    requeued: dict[str, list[int]]
    failed: dict[str, list[int]]
    expired: dict[str, list[int]] = field(default_factory=dict)  # whose kept files went

    def ids(self, model: type[Job]) -> tuple[list[int], list[int]]:
        label = model._meta.label_lower
        return self.requeued.get(label, []), self.failed.get(label, [])


def lost_reason(attempts: int) -> str:
    return gettext(
        "The worker running it stopped %(attempts)d times; it was given up after "
        "%(attempts)d attempts. See the workers' logs, then start it again."
    ) % {"attempts": attempts}


def jobs_sweep(
    *, now: datetime.datetime | None = None, models: Iterable[type[Job]] | None = None
) -> Swept:
    """Queue again, or fail, every job lost with its worker (of ``models``, default every
    registered kind). Safe to run any number of times, from any number of beats."""
    now = now or timezone.now()
    kinds = job_kinds() if models is None else [job_kind(model) for model in models]
    swept = Swept(requeued={}, failed={})
    for kind in kinds:
        requeued, failed = [], []
        lost = kind.model.objects.filter(stale_q(kind, now)).order_by("pk")
        allowed = kind.attempts_allowed()
        for job in lost:
            if job.attempts >= allowed:
                if _give_up(kind, job, now):
                    failed.append(job.pk)
            elif _requeue(kind, job.pk, now):
                requeued.append(job.pk)
        if requeued:
            swept.requeued[kind.label] = requeued
            logger.warning("jobs sweep re-queued kind=%s ids=%s", kind.label, requeued)
        if failed:
            swept.failed[kind.label] = failed
            logger.warning("jobs sweep gave up kind=%s ids=%s", kind.label, failed)
        if kind.expire_files and (expired := import_string(kind.expire_files)(now)):
            swept.expired[kind.label] = expired
            logger.info("jobs sweep deleted kept files kind=%s ids=%s", kind.label, expired)
    return swept


def jobs_sweep_on_worker_ready(**kwargs: Any) -> None:
    """``worker_ready``: a worker that starts (after a crash, a deploy, a Redis that came back
    empty) has a sweep queued at once rather than at the beat's next tick, for any worker of the
    default queue to run. Many workers starting queue many sweeps: each re-queues a lost job at
    most once between them (``_requeue``), so that is harmless."""
    from .tasks import jobs_sweep_task

    try:
        jobs_sweep_task.apply_async()
    except Exception:  # the broker is away again: the beat's sweep follows
        logger.warning("jobs sweep not queued at worker start", exc_info=True)


def _requeue(kind: JobKind, job_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        moved = kind.model.objects.filter(stale_q(kind, now), pk=job_id).update(
            state=QUEUED, queued_at=now
        )
        if moved:
            transaction.on_commit(partial(kind.queue, job_id))
    return bool(moved)


def _give_up(kind: JobKind, job: Job, now: datetime.datetime) -> bool:
    reason = lost_reason(job.attempts)
    if kind.give_up:
        import_string(kind.give_up)(job, reason)
        return True
    with transaction.atomic():
        locked = (
            kind.model.objects.select_for_update().filter(stale_q(kind, now), pk=job.pk).first()
        )
        if locked is None:  # claimed or finished meanwhile
            return False
        job_finish(locked, state=FAILED, message=reason)
    return True


# --- a test hook ----------------------------------------------------------------------------------


def job_gate(job: Job) -> None:
    """For fault tests only (``JOBS_TEST_GATE_DIR`` set): say the job is claimed, by writing
    ``<kind>-<id>.started`` in that folder, and wait until ``<kind>-<id>.go`` appears there, so
    a test kills a worker mid-job without guessing at timing. Does nothing otherwise."""
    folder = getattr(settings, "JOBS_TEST_GATE_DIR", "")
    if not folder:
        return
    name = f"{job._meta.app_label}_{job._meta.model_name}-{job.pk}"
    Path(folder, f"{name}.started").write_text(str(job.attempts))
    go = Path(folder, f"{name}.go")
    deadline = time.monotonic() + 10 * 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
