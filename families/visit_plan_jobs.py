""" "Plan first visits" inside or outside the request.

Planning the demo's larger school takes about 10 seconds: too long to hold a request where
Celery has workers. ``visit_plan_request`` plans at once when Celery runs tasks in-process
(``CELERY_TASK_ALWAYS_EAGER``: ``bin/run`` without a broker, the tests), and otherwise queues a
``VisitPlanJob`` whose task is sent once the row commits; the leader's page polls it
(``families.views.visits.school_visits_plan_status``). One job per school at a time: a second
click while one is queued or running returns that one. Lost workers are the sweeper's
(``students.jobs``): the kind is registered in ``families.apps``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext_noop

from students.jobs import fresh_active_q, job_claim, job_finish, job_gate, job_kind
from students.models import School

from .visit_models import SchoolVisitSettings, VisitPlanJob, VisitPlanJobState, VisitPlanRun
from .visit_planning import VisitPlanRefused, plan_first_visits

logger = logging.getLogger(__name__)

# Stored in English and translated when shown (``{% translate job.message %}``).
REFUSED = gettext_noop("The plan broke a rule when checked, so nothing was stored.")
FAILED = gettext_noop(
    "Planning stopped on an unexpected error; nothing was stored. Plan first visits again."
)


def plans_inline() -> bool:
    """Whether Celery runs tasks in-process here, so a queued job would hold the request
    anyway: then the request plans itself, as simply as before."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def visit_plan_request(*, school: School, user: User | None) -> VisitPlanRun | VisitPlanJob:
    """Plan ``school``'s first visits now (a ``VisitPlanRun``; raises ``VisitPlanRefused``) or
    queue them (a ``VisitPlanJob``, the one already waiting or running if there is one)."""
    if plans_inline():
        return plan_first_visits(school, user)
    SchoolVisitSettings.objects.get_or_create(school=school)
    with transaction.atomic():
        # Two leaders clicking at once queue one job: the second waits here, then finds it.
        SchoolVisitSettings.objects.select_for_update().get(school=school)
        active = visit_plan_job_active(school=school)
        if active is not None:
            return active
        job = VisitPlanJob.objects.create(
            school=school,
            requested_by=user if user is not None and user.is_authenticated else None,
        )
        transaction.on_commit(lambda: job_kind(VisitPlanJob).queue(job.pk))
    logger.info("visit plan queued school_id=%s job_id=%s", school.pk, job.pk)
    return job


def visit_plan_job_active(*, school: School) -> VisitPlanJob | None:
    """The school's plan job a worker has or will have (not lost with its worker)."""
    return (
        VisitPlanJob.objects.filter(fresh_active_q(VisitPlanJob), school=school)
        .order_by("-queued_at", "-pk")
        .first()
    )


def visit_plan_job_latest(*, school: School) -> VisitPlanJob | None:
    return (
        VisitPlanJob.objects.filter(school=school)
        .select_related("run")
        .order_by("-queued_at", "-pk")
        .first()
    )


def visit_plan_job_run(*, job_id: int, reclaim: int | None = None) -> VisitPlanJob | None:
    """Run a queued plan job and record its outcome on its row; safe to run twice (a finished
    or running job is returned as it is: ``students.jobs.job_claim``). A refused or broken plan
    is recorded as ``failed``, not raised; an outage of the database is raised for the task to
    retry."""
    claimed = job_claim(VisitPlanJob, job_id, reclaim=reclaim)
    job = VisitPlanJob.objects.select_related("school", "requested_by").filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    job_gate(job)  # fault tests only
    try:
        run = plan_first_visits(job.school, job.requested_by)
    except (OperationalError, InterfaceError):  # the task retries it
        raise
    except VisitPlanRefused:
        job_finish(job, state=VisitPlanJobState.FAILED, message=REFUSED)
    except Exception:
        logger.exception("visit plan job id=%s school_id=%s failed", job.pk, job.school_id)
        job_finish(job, state=VisitPlanJobState.FAILED, message=FAILED)
    else:
        job_finish(job, state=VisitPlanJobState.DONE, run=run)
    return job
