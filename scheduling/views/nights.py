"""The leaders' page of nightly runs: each night's rebuild, its outcome, and why nothing was
published when nothing was. Thin: scope, parse, call one selector, render."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ..selectors.pages import NIGHTS_PER_PAGE, NightsPage, nightly_runs_page
from .school_scope import led_school


class NightsForm(forms.Form):
    night = forms.DateField(
        label=gettext_lazy("Night"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The school's local date the run started, e.g. 2026-09-01."),
    )
    before = forms.DateField(required=False, widget=forms.HiddenInput)


@login_required
@require_http_methods(["GET"])
def nightly_runs(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = NightsForm(request.GET)
    if form.is_valid():
        page = nightly_runs_page(
            school=school,
            night=form.cleaned_data["night"],
            before=form.cleaned_data["before"],
        )
    else:
        page = NightsPage(nights=(), older=None)
    return render(
        request,
        "scheduling/nights.html",
        {
            "school": school,
            "form": form,
            "page": page,
            "night": form.cleaned_data.get("night") if form.is_valid() else None,
            "per_page": NIGHTS_PER_PAGE,
            "starts_at": settings.NIGHTLY_LOCAL_TIME,
        },
        status=200 if form.is_valid() else 400,
    )
