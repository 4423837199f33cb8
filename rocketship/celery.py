"""The Celery app. Tasks live in each app's ``tasks.py``; configuration comes from settings
(``CELERY_*``), so an unset ``REDIS_URL`` runs every task in-process.

Every task rides out an outage of PostgreSQL or Redis the same way (``rocketship.outages``): its
base class retries transient errors with the outage policy, and each worker's consumer stops
taking tasks while the database does not answer."""

import os

from celery import Celery

from .outages import OutagePause

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")

app = Celery("rocketship", task_cls="rocketship.outages:OutageTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(OutagePause)
app.autodiscover_tasks()
