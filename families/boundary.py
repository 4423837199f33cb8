"""Guardians never reach a staff page, the admin or the API.

A guardian's user has no staff membership and no network admin grant, so every staff page
already finds nothing of theirs (404/403). This middleware is the second wall: a request in a
family's session reaches only family URLs (named ``family-*``) and the few account pages every
user has (the home redirect, logging out, resetting a password); anything else answers 404, as
a page that does not exist for them. It reads a flag the session got at login
(``account_receivers.family_session``), so staff requests cost no query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import loader
from django.utils import translation

from rocketship.unavailable import SERVICE_ERRORS, UNAVAILABLE_ERRORS

from .language import FALLBACK, normalise
from .language import SESSION_KEY as LANGUAGE_KEY

SESSION_FLAG = "family_account"

# Pages every signed-in user may open whoever they are; "home" sends a guardian to their page.
OPEN_TO_FAMILIES = frozenset(
    {
        "home",
        "login",
        "logout",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "password_change",
        "password_change_done",
        "healthz",
        "set_language",
    }
)


def family_may_open(url_name: str | None, namespace: str) -> bool:
    if namespace:  # the admin, the API's namespaced routes
        return False
    if not url_name:
        return False
    return url_name.startswith("family-") or url_name in OPEN_TO_FAMILIES


class FamilyBoundaryMiddleware:
    """Sits after the authentication middleware; refuses family sessions outside family URLs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        session = getattr(request, "session", None)
        if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None  # an API client's token request, or a visitor: no family session
        try:
            flagged = session.get(SESSION_FLAG)
        except (*UNAVAILABLE_ERRORS, *SERVICE_ERRORS):
            # The session store is unreachable: the view's own first use of the session fails
            # the same way, inside the view, where it answers 503 (rocketship.unavailable);
            # failing here, outside any view, would be a 500. Nothing is served without it.
            return None
        if not flagged:
            return None
        match = request.resolver_match
        if match is None or not family_may_open(match.url_name, match.namespace):
            return not_found_in_their_language(request, session.get(LANGUAGE_KEY))
        return None


def not_found_in_their_language(request: HttpRequest, language: str | None) -> HttpResponse:
    """The site's 404 page, in the language the guardian last read a family page in (the
    language middleware keeps only family URLs in their language)."""
    code = normalise(language) or FALLBACK
    with translation.override(code):
        response = HttpResponseNotFound(loader.render_to_string("404.html", request=request))
    response["Content-Language"] = code
    return response
