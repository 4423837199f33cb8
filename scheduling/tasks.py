"""Celery tasks of the scheduling app: thin wrappers that load by id and call one service.

Every task retries with the outage policy when the database or the broker is unreachable
(``rocketship.outages``, their base class), and never for a school that cannot be scheduled: the
service records that on the run. Every task is safe to run twice (a redelivery, a second beat)."""

import smtplib

from celery import shared_task
from django.conf import settings

from rocketship.outages import TRANSIENT_ERRORS

from .services import nightly, nightly_notifications
from .services.builds import build_job_run


@shared_task(name="scheduling.tasks.build_job_run")
def build_job_run_task(job_id: int, seconds: float | None = None) -> str | None:
    """Run one queued build job; the outcome is recorded on its row. Safe to run twice.
    ``seconds``: the engine's time limit when a leader asked for longer than the school's."""
    job = build_job_run(job_id=job_id, seconds=seconds)
    return job.state if job is not None else None


@shared_task(name="scheduling.tasks.nightly_fan_out")
def nightly_fan_out_task() -> list[int]:
    """Start tonight's rebuild of every school whose local night has come (beat, every 5 min)."""
    return [run.pk for run in nightly.nightly_fan_out()]


@shared_task(
    name="scheduling.tasks.nightly_rebuild",
    # The solver stops itself at NIGHTLY_SOLVE_SECONDS; the hard limit only catches a hang.
    time_limit=settings.NIGHTLY_TIME_LIMIT,
)
def nightly_rebuild_task(run_id: int) -> str | None:
    """Rebuild, validate and publish one school's night; the outcome is on the run's row."""
    run = nightly.nightly_rebuild(run_id=run_id)
    return run.state if run is not None else None


@shared_task(name="scheduling.tasks.nightly_sweep")
def nightly_sweep_task() -> list[int]:
    """Queue again the runs whose task went missing. Beat runs ``students.tasks.jobs_sweep``,
    which sweeps every kind of job; this stays for a hand-run or an old beat entry."""
    return nightly.nightly_sweep()


# A mail server that refuses rolls the run's claim back: try again later, as for an outage.
@shared_task(
    name="scheduling.tasks.nightly_notify",
    autoretry_for=(*TRANSIENT_ERRORS, smtplib.SMTPException, ConnectionError),
)
def nightly_notify_task(run_id: int) -> int:
    """Tell leaders a run's outcome and teachers what changed in their day; once per run."""
    return nightly_notifications.nightly_notify(run_id=run_id)
