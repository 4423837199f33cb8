"""Celery tasks of the Learning Lab: thin wrappers that load by id and call one service. Every
task retries outages of the database or Redis with the outage policy (``rocketship.outages``)."""

from typing import Any

from celery import shared_task

from rocketship.outages import job_task_run

from .imports import progress_import_run
from .models import ProgressImport


# A million-row import takes under a minute; the hard limit only catches a hang.
@shared_task(name="learninglabs.tasks.progress_import_run", time_limit=30 * 60, bind=True)
def progress_import_run_task(self: Any, import_id: int, reclaim: int | None = None) -> str | None:
    """Run one queued CSV import; its outcome is recorded on its row. Safe to run twice.
    ``reclaim``: set by a retry after an outage (``rocketship.outages.job_task_run``)."""
    record = job_task_run(
        self,
        ProgressImport,
        import_id,
        reclaim,
        lambda again: progress_import_run(import_id=import_id, reclaim=again),
    )
    return record.state if record is not None else None
