"""WSGI entry point: ``gunicorn rocketship.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")

application = get_wsgi_application()
