"""The Celery app. Tasks live in each app's ``tasks.py``; configuration comes from settings
(``CELERY_*``), so an unset ``REDIS_URL`` runs every task in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")

app = Celery("rocketship")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
