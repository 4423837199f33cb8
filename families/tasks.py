"""Celery tasks of the families app: thin, by id, safe to run twice (``families.notices``)."""

import smtplib
from typing import Any

from celery import shared_task

from rocketship.outages import TRANSIENT_ERRORS, job_task_run

from . import notices, visit_plan_jobs, visit_reminders
from .visit_models import VisitPlanJob

# A mail server that refuses rolls the sent marks back: try again later, as for an outage.
MAIL_ERRORS = (*TRANSIENT_ERRORS, smtplib.SMTPException, ConnectionError)


@shared_task(name="families.tasks.day_published", autoretry_for=TRANSIENT_ERRORS)
def day_published_task(schedule_id: int, previous_id: int | None) -> list[int]:
    """Record what a publication moved for each child; send at once to accounts set to each."""
    accounts = notices.notices_record(schedule_id=schedule_id, previous_id=previous_id)
    for account_id in accounts:
        notices_send_task.delay(account_id)
    return accounts


@shared_task(name="families.tasks.notices_send", autoretry_for=MAIL_ERRORS)
def notices_send_task(account_id: int) -> int:
    """Send one account what it is owed, in one email."""
    return notices.notices_send(account_id=account_id).messages


@shared_task(name="families.tasks.notices_send_due", autoretry_for=MAIL_ERRORS)
def notices_send_due_task() -> int:
    """The beat: each digest whose local hour has come, and any notice that lost its task."""
    return notices.notices_send_due()


@shared_task(name="families.tasks.visit_reminders_send_due", autoretry_for=MAIL_ERRORS)
def visit_reminders_send_due_task() -> int:
    """The beat: the day before their home visits, one email to each educator (once a day)."""
    return visit_reminders.reminders_send_due()


# A 600-household season plans in about 10 s; the hard limit only catches a hang.
@shared_task(name="families.tasks.visit_plan_job_run", time_limit=15 * 60, bind=True)
def visit_plan_job_run_task(self: Any, job_id: int, reclaim: int | None = None) -> str | None:
    """Run one queued "Plan first visits"; its outcome is recorded on its row. Safe to run
    twice. ``reclaim``: set by a retry after an outage (``rocketship.outages.job_task_run``)."""
    job = job_task_run(
        self,
        VisitPlanJob,
        job_id,
        reclaim,
        lambda again: visit_plan_jobs.visit_plan_job_run(job_id=job_id, reclaim=again),
    )
    return job.state if job is not None else None
