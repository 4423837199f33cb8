"""Guessing passwords: failed logins lock a username and an address (django-axes), and
password-reset requests are limited per address and per email.

Axes counts failures per username and per client address as separate criteria
(``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]``): either one over its limit refuses
the login, even with the right password, until ``LOGIN_LOCKOUT_MINUTES`` pass without a new
failure. The two limits differ: a school's staff often share one public address, so the
address's limit (``LOGIN_ADDRESS_FAILURE_LIMIT``) is higher than a username's
(``LOGIN_FAILURE_LIMIT``). Axes itself compares one number with one limit, so
``LoginGuardHandler`` reports each criterion's failures scaled to the username's limit.

Failed logins are logged by axes (logger ``axes.handlers.database``) with the username, the
address and the path; a password is never logged or stored (axes masks the ``password`` field
in what it keeps of the form).
"""

import hashlib
import logging
import time
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .cache import count_in_window
from .client_address import client_address

logger = logging.getLogger(__name__)


def axes_client_address(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the one client address of ``rocketship.client_address``."""
    return client_address(request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: a page saying logging in is paused and for how long (429)."""
    minutes = int(settings.LOGIN_LOCKOUT_MINUTES)
    response = render(
        request, "registration/locked_out.html", {"lockout_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def _limit_of(parameter: Any) -> int:
    if parameter == "ip_address":
        return int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    return int(settings.AXES_FAILURE_LIMIT)


class LoginGuardHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per criterion: a username locks after
    ``AXES_FAILURE_LIMIT`` failures, an address after ``LOGIN_ADDRESS_FAILURE_LIMIT``."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        limit = int(settings.AXES_FAILURE_LIMIT)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            # In units of the username's limit: floor(f * limit / own) >= limit exactly when
            # f >= own, so axes' own comparison with AXES_FAILURE_LIMIT decides correctly.
            worst = max(worst, failures * limit // max(1, _limit_of(parameter)))
        return worst


# --- Password-reset requests ------------------------------------------------------------------


def _over_limit(kind: str, who: str, limit: int) -> bool:
    window_seconds = int(settings.PASSWORD_RESET_WINDOW_MINUTES) * 60
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]  # no address or email in cache keys
    return count_in_window(f"reset:{kind}:{digest}:{window}", window_seconds + 1) > limit


class LimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's password-reset form, answering 429 past the limits. The answer is the same
    whether or not the email belongs to an account, so the limit reveals nothing."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_address(request)
        email = request.POST.get("email", "").strip().lower()
        if _over_limit("address", address, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS) or (
            email and _over_limit("email", email, settings.PASSWORD_RESET_LIMIT_PER_EMAIL)
        ):
            logger.warning("password reset refused: over the limit, address=%s", address)
            response = render(
                request,
                "registration/password_reset_limited.html",
                {"minutes": settings.PASSWORD_RESET_WINDOW_MINUTES},
                status=429,
            )
            response["Retry-After"] = str(int(settings.PASSWORD_RESET_WINDOW_MINUTES) * 60)
            return response
        return super().post(request, *args, **kwargs)
