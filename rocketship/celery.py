"""The Celery app. Tasks live in each app's ``tasks.py``; configuration comes from settings
(``CELERY_*``), so an unset ``REDIS_URL`` runs every task in-process.

Every task rides out an outage of PostgreSQL or Redis the same way (``rocketship.outages``): its
base class retries transient errors with the outage policy, and each worker's consumer stops
taking tasks while the database does not answer."""

import os
from typing import Any

from celery import Celery, signals

from .outages import OutagePause, RetryPolicy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")

app = Celery("rocketship", task_cls="rocketship.outages:OutageTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(OutagePause)
app.autodiscover_tasks()


@signals.worker_init.connect
def _refuse_a_retry_policy_that_cannot_work(**kwargs: Any) -> None:
    """A worker does not start with a retry cap above the visibility timeout (it says why)."""
    RetryPolicy.from_settings()
