"""The family pages: the list of a guardian's children, one child's day and their week.

Thin: who may see which child is ``families.access`` (every child read goes through
``child_or_404``, audited; another family's child, a withdrawn child or a guessed id is 404, and
so are these pages for staff), what the page shows is ``families.selectors``. The family's
language is active already (``families.language.FamilyLanguageMiddleware``).
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from scheduling.dates import NotADay, parse_day
from scheduling.selectors.rosters import week_of
from students.audit import audit_reads
from students.models import AuditAction, Student
from students.permissions import page_via

from ..access import child_or_404, children_of, family_required, school_today
from ..selectors import (
    child_day,
    child_week,
    lab_progress,
    next_published_day,
    progress_chart,
    services_delivered,
)


def requested_date(request: HttpRequest, child: Student) -> tuple[datetime.date, str | None]:
    """``?date=`` (YYYY-MM-DD), or today at the child's school (the next published school day
    when today has none: a weekend, a holiday); with why a bad value was ignored."""
    today = school_today(child.school)
    raw = request.GET.get("date", "").strip()
    if not raw:
        return next_published_day(child, today) or today, None
    try:
        return parse_day(raw), None
    except NotADay as error:
        return today, _("%(error)s Showing today instead.") % {"error": error}


def _weekday_after(date: datetime.date, step: int) -> datetime.date:
    """The next (``step`` 1) or previous (-1) weekday: schools have no weekend blocks."""
    date += datetime.timedelta(days=step)
    while date.weekday() >= 5:
        date += datetime.timedelta(days=step)
    return date


def _switcher(request: HttpRequest, child: Student) -> list[Student]:
    """The guardian's children, for the switcher; their names are read, so audited as a list."""
    children = children_of(request.family_account)  # type: ignore[attr-defined]
    others = [c for c in children if c.pk != child.pk]
    if others:
        audit_reads(
            user=request.user, objects=others, via=page_via(request), action=AuditAction.LIST
        )
    return children if len(children) > 1 else []


@family_required
@require_GET
def family_home(request: HttpRequest) -> HttpResponse:
    """One child: their page. Several: a list to pick from. None (all withdrawn): say so."""
    children = children_of(request.family_account)  # type: ignore[attr-defined]
    if len(children) == 1:
        return redirect("family-child", student_id=children[0].pk)
    if children:
        audit_reads(
            user=request.user, objects=children, via=page_via(request), action=AuditAction.LIST
        )
    return render(request, "families/home.html", {"children": children})


@family_required
@require_GET
def family_child(request: HttpRequest, student_id: int) -> HttpResponse:
    child = child_or_404(
        request.family_account,  # type: ignore[attr-defined]
        student_id,
        via=page_via(request),
    )
    date, date_error = requested_date(request, child)
    day = child_day(child, date)
    progress = lab_progress(child)
    services = services_delivered(child, date)
    audit_reads(user=request.user, objects=services.records, via=page_via(request))
    return render(
        request,
        "families/child.html",
        {
            "child": child,
            "children": _switcher(request, child),
            "date": date,
            "date_error": date_error,
            "is_today": date == school_today(child.school),
            # The date shown without ?date= (today, or the next published day): no link to it.
            "is_default": not request.GET.get("date"),
            "previous_date": _weekday_after(date, -1),
            "next_date": _weekday_after(date, 1),
            "day": day,
            "progress": progress,
            "chart": progress_chart(progress),
            "services": services,
        },
    )


@family_required
@require_GET
def family_child_week(request: HttpRequest, student_id: int) -> HttpResponse:
    child = child_or_404(
        request.family_account,  # type: ignore[attr-defined]
        student_id,
        via=page_via(request),
    )
    date, date_error = requested_date(request, child)
    days = week_of(date)
    return render(
        request,
        "families/week.html",
        {
            "child": child,
            "children": _switcher(request, child),
            "date": date,
            "date_error": date_error,
            "monday": days[0],
            "friday": days[-1],
            "previous_week": days[0] - datetime.timedelta(days=7),
            "next_week": days[0] + datetime.timedelta(days=7),
            "days": child_week(child, days[0]),
            "today": school_today(child.school),
        },
    )
