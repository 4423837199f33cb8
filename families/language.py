"""Which language a family sees, and the middleware that speaks it.

A guardian's language is the one they chose on the page (``FamilyAccount.language``); blank
means the roster's (``Guardian.language``, which student information systems write in many
ways: "es-MX", "SPA", "Spanish"), and English when the roster has none we speak. Visitors not
signed in (the join and sign-in pages) get their browser's language, or the one they picked.

Staff pages stay in US English (``settings.LANGUAGE_CODE``): only family URLs and a signed-in
family account switch language, so no staff page depends on a guardian's choice.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .access import account_of
from .models import FamilyAccount

FAMILY_PREFIX = "/family/"
# Kept in the session at each family page, so that any other page a guardian reaches (a 404,
# the sign-out page) speaks their language without one more query per staff request.
SESSION_KEY = "family_language"
FALLBACK = "en"

# What rosters write for a language, lowercased, beyond the ISO 639-1 code itself: ISO 639-2
# codes and the language's name in English and in itself.
ALIASES = {
    "spa": "es",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "vie": "vi",
    "vietnamese": "vi",
    "tiếng việt": "vi",
    "tieng viet": "vi",
    "eng": "en",
    "english": "en",
}


def supported() -> list[str]:
    """The language codes families can read: those of ``settings.LANGUAGES``."""
    return [code for code, _name in settings.LANGUAGES]


def normalise(value: str | None) -> str | None:
    """The supported code ``value`` names ('es-MX', 'SPA', 'Spanish' -> 'es'), else ``None``."""
    text = (value or "").strip().lower().replace("_", "-")
    if not text:
        return None
    code = ALIASES.get(text) or ALIASES.get(text.split("-")[0]) or text.split("-")[0]
    return code if code in supported() else None


def language_for(account: FamilyAccount) -> str:
    """The language of everything ``account`` reads: pages, emails, letters."""
    return (
        normalise(account.language)
        or normalise(getattr(account.guardian, "language", ""))
        or FALLBACK
    )


def language_of_visitor(request: HttpRequest) -> str:
    """A visitor's language: the one picked on a family page (cookie), else the browser's
    Accept-Language, limited to the languages families can read."""
    code = translation.get_language_from_request(request)
    return normalise(code) or FALLBACK


def language_of_request(request: HttpRequest) -> str | None:
    """The language to speak for ``request``, or ``None`` for staff pages (US English)."""
    if request.path_info.startswith(FAMILY_PREFIX):
        account = account_of(getattr(request, "user", None))
        if account is not None:
            code = language_for(account)
            remember(request, code)
            return code
        if getattr(getattr(request, "user", None), "is_authenticated", False):
            return None  # staff on a family URL: a 404 in their own language
        return language_of_visitor(request)
    # Other paths never load the session or the user here: a middleware's query fails outside
    # any view, where an unreachable database could not answer 503 (rocketship.unavailable),
    # and staff requests must not pay for the families' language.
    return None


def remember(request: HttpRequest, code: str) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) != code:
        session[SESSION_KEY] = code


class FamilyLanguageMiddleware:
    """Activates the family's language for family URLs and signed-in guardians, and leaves
    every other request in ``settings.LANGUAGE_CODE``. Sits after the authentication
    middleware (it reads ``request.user``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = language_of_request(request)
        if code is None:
            return self.get_response(request)
        with translation.override(code):
            request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)
        if request.path_info.startswith(FAMILY_PREFIX):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
