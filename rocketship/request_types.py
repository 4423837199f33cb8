"""Request types for views' annotations, narrower than ``HttpRequest`` where a view may rely on
more: a signed-in account (``login_required``), or django-htmx's ``request.htmx``."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a ``login_required`` view: its user is an account."""

    user: User


class HtmxHttpRequest(HttpRequest):
    """The request of a view that answers htmx: django-htmx's middleware (settings.MIDDLEWARE)
    sets ``request.htmx`` on every request."""

    htmx: HtmxDetails
