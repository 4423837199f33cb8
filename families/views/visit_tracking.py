"""Tracking a home visit from its page: the pair (or the school's leaders) mark it done, moved
or declined; the pair write their reflection after a done visit.

Thin: scoping as the visit's page (another school's visit answers 404), who may act through
``families.visit_tracking``, which also holds the writes. A refused action says why on the
visit's page and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from students.models import School
from students.permissions import page_via
from students.scoping import get_scoped_or_404

from ..visit_forms import ReflectionForm, VisitMoveForm
from ..visit_models import Visit
from ..visit_tracking import (
    VisitTrackingRefused,
    is_pair,
    may_track,
    reflection_write,
    visit_decline,
    visit_mark_done,
    visit_move,
)


def _visit(request: HttpRequest, school_id: int, visit_id: int) -> Visit:
    school = get_scoped_or_404(
        School.objects.select_related("network"), request.user, via=page_via(request), pk=school_id
    )
    return get_scoped_or_404(
        Visit.objects.filter(school=school).select_related("school", "household"),
        request.user,
        via=page_via(request),
        pk=visit_id,
    )


def _first_error(form: VisitMoveForm | ReflectionForm) -> str:
    # An ErrorList yields its messages as strings; django-stubs types its items wider.
    return next(iter(str(e) for errors in form.errors.values() for e in errors))


@login_required
@require_POST
def visit_status(request: HttpRequest, school_id: int, visit_id: int) -> HttpResponse:
    visit = _visit(request, school_id, visit_id)
    if not may_track(request.user, visit):
        raise PermissionDenied(_("Only the visit's educators and the school's leaders mark it."))
    action = request.POST.get("action")
    target = visit
    try:
        if action == "done":
            visit_mark_done(visit=visit)
            messages.success(request, _("The visit is marked done."))
        elif action == "declined":
            visit_decline(visit=visit)
            messages.success(request, _("The visit is marked declined."))
        elif action == "moved":
            form = VisitMoveForm(request.POST)
            if not form.is_valid():
                messages.error(request, _first_error(form))
                return redirect("home-visits-visit", school_id=visit.school_id, visit_id=visit.pk)
            new = visit_move(visit=visit, **form.cleaned_data)
            if new is None:
                messages.success(
                    request, _("The visit is moved; the next plan finds the family a new time.")
                )
            else:
                target = new
                messages.success(request, _("The visit is moved to its new time."))
        else:
            return HttpResponseBadRequest("Unknown action.")
    except VisitTrackingRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("home-visits-visit", school_id=target.school_id, visit_id=target.pk)


@login_required
@require_POST
def visit_reflection(request: HttpRequest, school_id: int, visit_id: int) -> HttpResponse:
    visit = _visit(request, school_id, visit_id)
    if not is_pair(request.user, visit):
        raise PermissionDenied(_("Only the visit's educators write its reflection."))
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        try:
            reflection_write(visit=visit, user=request.user, text=form.cleaned_data["text"])
        except VisitTrackingRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your reflection is saved."))
    return redirect("home-visits-visit", school_id=visit.school_id, visit_id=visit.pk)
