"""Celery tasks of the Learning Lab: thin wrappers that load by id and call one service."""

from celery import shared_task

from .imports import progress_import_run


# A million-row import takes under a minute; the hard limit only catches a hang.
@shared_task(name="learninglabs.tasks.progress_import_run", time_limit=30 * 60)
def progress_import_run_task(import_id: int) -> str | None:
    """Run one queued CSV import; its outcome is recorded on its row. Safe to run twice."""
    record = progress_import_run(import_id=import_id)
    return record.state if record is not None else None
