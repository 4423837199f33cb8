"""Celery tasks of the students app: thin wrappers over services. Every task retries outages of
the database or Redis with the outage policy (``rocketship.outages``, their base class)."""

from typing import Any

from celery import shared_task
from django.core import management

from rocketship.outages import job_task_run

from .jobs import jobs_sweep
from .models import RosterImport
from .oneroster.imports import roster_import_run
from .sessions import sessions_forget_expired


@shared_task(name="students.tasks.sessions_clear_expired")
def sessions_clear_expired() -> dict[str, int]:
    """Delete expired sessions and their bookkeeping; safe to run twice."""
    management.call_command("clearsessions")
    return {"forgotten": sessions_forget_expired()}


# A 12,000-student network imports in well under a minute; the hard limit only catches a hang.
@shared_task(name="students.tasks.roster_import_run", time_limit=30 * 60, bind=True)
def roster_import_run_task(self: Any, import_id: int, reclaim: int | None = None) -> str | None:
    """Run one queued roster import; its outcome is recorded on its row. Safe to run twice.
    ``reclaim``: set by a retry after an outage (``rocketship.outages.job_task_run``)."""
    record = job_task_run(
        self,
        RosterImport,
        import_id,
        reclaim,
        lambda again: roster_import_run(import_id=import_id, reclaim=again),
    )
    return record.state if record is not None else None


@shared_task(name="students.tasks.jobs_sweep")
def jobs_sweep_task() -> dict[str, dict[str, list[int]]]:
    """Queue again, or fail, the jobs of every kind lost with their worker (beat, every 5 min)."""
    swept = jobs_sweep()
    return {"requeued": swept.requeued, "failed": swept.failed, "expired": swept.expired}
