"""Celery tasks of the students app: thin wrappers over services."""

from celery import shared_task
from django.core import management

from .sessions import sessions_forget_expired


@shared_task(name="students.tasks.sessions_clear_expired")
def sessions_clear_expired() -> dict[str, int]:
    """Delete expired sessions and their bookkeeping; safe to run twice."""
    management.call_command("clearsessions")
    return {"forgotten": sessions_forget_expired()}
