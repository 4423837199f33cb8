"""The language chooser of the family pages: one small form, on every family page."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .access import account_of
from .language import FAMILY_PREFIX, normalise, remember


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """Keep the chosen language: on the guardian's account when signed in (pages, emails and
    letters follow it), and in a cookie for the join and sign-in pages. Back to ``next``."""
    code = normalise(request.POST.get("language"))
    account = account_of(request.user)
    if request.user.is_authenticated and account is None:
        raise Http404  # staff have no family pages
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith(FAMILY_PREFIX):
        target = FAMILY_PREFIX
    response = HttpResponseRedirect(target)
    if code is None:
        return response
    if account is not None:
        if account.language != code:
            account.language = code
            account.save(update_fields=["language"])
        remember(request, code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE or 60 * 60 * 24 * 365,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response
