"""Celery tasks of the scheduling app: thin wrappers that load by id and call one service."""

from celery import shared_task

from .services import build_job_run


@shared_task(name="scheduling.tasks.build_job_run")
def build_job_run_task(job_id: int) -> str | None:
    """Run one queued build job; the outcome is recorded on its row. Safe to run twice."""
    job = build_job_run(job_id=job_id)
    return job.state if job is not None else None
