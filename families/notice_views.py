"""The guardian's message settings page, and the one-click unsubscribe link of each email."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .access import family_required
from .language import language_for
from .models import NoticeChoice
from .notice_messages import unsubscribe_account
from .notices import account_notices_set


class NoticesForm(forms.Form):
    notices = forms.ChoiceField(
        label=_("Messages when your child's day changes"),
        choices=NoticeChoice.choices,
        widget=forms.RadioSelect,
    )


@family_required
@require_http_methods(["GET", "POST"])
def family_settings(request: HttpRequest) -> HttpResponse:
    """How often the guardian hears of changes (each, a daily digest, never). The page has one
    form per setting, told apart by the submit button's ``form`` value: the language is the
    other (``families.language``)."""
    account = request.family_account  # type: ignore[attr-defined]
    form = NoticesForm(initial={"notices": account.notices})
    if request.method == "POST" and request.POST.get("form") == "notices":
        form = NoticesForm(request.POST)
        if form.is_valid():
            account_notices_set(account=account, notices=form.cleaned_data["notices"])
            messages.success(request, gettext("Saved."))
            return HttpResponseRedirect(reverse("family-settings"))
    return render(request, "families/notices/settings.html", {"notices_form": form})


@csrf_exempt  # the signed token is the credential; mail apps' one-click POST has no cookie
@require_http_methods(["GET", "POST"])
def family_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop change messages from an email's link, without signing in: the link asks, a POST
    (the button, or a mail app's one-click) turns them off. Once used, the link only says
    they are off; a changed token is 404."""
    account = unsubscribe_account(token)
    if account is None:
        return render(request, "families/notices/unsubscribe_invalid.html", status=404)
    used = account.notices == NoticeChoice.OFF
    with translation.override(language_for(account)):
        if request.method == "POST" and not used:
            account_notices_set(account=account, notices=NoticeChoice.OFF)
            return render(request, "families/notices/unsubscribe.html", {"done": True})
        response = render(
            request,
            "families/notices/unsubscribe.html",
            {"done": used, "token": token},
            status=410 if used and request.method == "POST" else 200,
        )
        response.headers["Content-Language"] = translation.get_language()
    return response
