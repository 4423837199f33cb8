"""Celery tasks of the students app: thin wrappers over services."""

from celery import shared_task
from django.core import management
from django.db import InterfaceError, OperationalError

from .jobs import jobs_sweep
from .oneroster.imports import roster_import_run
from .sessions import sessions_forget_expired


@shared_task(name="students.tasks.sessions_clear_expired")
def sessions_clear_expired() -> dict[str, int]:
    """Delete expired sessions and their bookkeeping; safe to run twice."""
    management.call_command("clearsessions")
    return {"forgotten": sessions_forget_expired()}


# A 12,000-student network imports in well under a minute; the hard limit only catches a hang.
@shared_task(name="students.tasks.roster_import_run", time_limit=30 * 60)
def roster_import_run_task(import_id: int) -> str | None:
    """Run one queued roster import; its outcome is recorded on its row. Safe to run twice."""
    record = roster_import_run(import_id=import_id)
    return record.state if record is not None else None


@shared_task(
    name="students.tasks.jobs_sweep",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
)
def jobs_sweep_task() -> dict[str, dict[str, list[int]]]:
    """Queue again, or fail, the jobs of every kind lost with their worker (beat, every 5 min)."""
    swept = jobs_sweep()
    return {"requeued": swept.requeued, "failed": swept.failed, "expired": swept.expired}
