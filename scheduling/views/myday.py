"""A staff member's own pages: my day (with student lists and the lab groups they lead), my
week, a lab's day (seats, and who sits in which zone: names only on request, and then audited),
and the lab plan of one cohort's lab or flexible block.

Thin: find the user's staff row in the school asked for, read through
``scheduling.selectors.rosters`` and ``scheduling.selectors.lab_plan_pages``, lay the day out
with ``scheduling.selectors.day_sheet`` (each cohort's list once), record the read of student
records in the audit trail, render.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from rocketship.request_types import AuthenticatedHttpRequest
from students.audit import audit_reads
from students.models import AuditAction, Cohort, School, Staff
from students.permissions import led_schools, page_via
from students.scoping import get_scoped_or_404

from ..models import Room, RoomKind, ScheduleStatus
from ..navigation import SESSION_KEY
from ..selectors.day_sheet import day_sheet
from ..selectors.lab_plan_pages import block_plan, lab_stay_plans, lab_zone_plans, staff_lab_groups
from ..selectors.rosters import lab_day, roster_for_staff_days, staff_memberships, week_of
from .pictures import requested_date, weekday_after
from .school_scope import school_schedule, visible_school


def _membership(request: AuthenticatedHttpRequest) -> tuple[Staff | None, HttpResponse | None]:
    """The user's staff row in ``?school=`` (else the school picked last, else their only one),
    or the page to show instead: a chooser, or why there is no day to show."""
    memberships = staff_memberships(user=request.user)
    raw = request.GET.get("school", "").strip()
    if raw:
        school = get_scoped_or_404(
            School.objects.all(), request.user, via=page_via(request), pk=raw
        )
        mine = next((m for m in memberships if m.school_id == school.pk), None)
        if mine is None:
            return None, render(request, "scheduling/myday/not_staff.html", {"school": school})
        request.session[SESSION_KEY] = school.pk
        return mine, None
    if len(memberships) == 1:
        return memberships[0], None
    remembered = request.session.get(SESSION_KEY)
    mine = next((m for m in memberships if m.school_id == remembered), None)
    if mine is not None:
        return mine, None
    match = request.resolver_match
    assert match is not None  # set on every request its URL routed to a view
    return None, render(
        request,
        "scheduling/myday/choose_school.html",
        {"memberships": memberships, "target": match.url_name},
    )


@login_required
@require_GET
def my_day(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff, instead = _membership(request)
    if instead is not None:
        return instead
    assert staff is not None  # _membership gives a staff row or the page to show instead
    school = staff.school
    date, date_error = requested_date(request, school)
    roster = roster_for_staff_days(staff=staff, dates=[date], viewer=request.user)
    groups = staff_lab_groups(staff=staff, date=date, viewer=request.user)
    # A student both in a block and in one of the groups is one read, recorded once.
    records: dict[tuple[str, object], models.Model] = {
        (obj._meta.label_lower, obj.pk): obj for obj in (*roster.records, *groups.records)
    }
    audit_reads(
        user=request.user, objects=records.values(), via=page_via(request), action=AuditAction.LIST
    )
    return render(
        request,
        "scheduling/myday/day.html",
        {
            "school": school,
            "staff": staff,
            "date": date,
            "date_error": date_error,
            "previous_date": weekday_after(date, -1),
            "next_date": weekday_after(date, 1),
            "day": roster.days[0],
            "sheet": day_sheet(day=roster.days[0]),
            "labs": roster.labs,
            "lab_groups": groups.groups,
        },
    )


@login_required
@require_GET
def my_week(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff, instead = _membership(request)
    if instead is not None:
        return instead
    assert staff is not None  # _membership gives a staff row or the page to show instead
    school = staff.school
    date, date_error = requested_date(request, school)
    days = week_of(date)
    with_students = request.GET.get("rosters") == "1"
    roster = roster_for_staff_days(
        staff=staff, dates=days, with_students=with_students, viewer=request.user
    )
    if with_students:
        audit_reads(
            user=request.user,
            objects=roster.records,
            via=page_via(request),
            action=AuditAction.LIST,
        )
    return render(
        request,
        "scheduling/myday/week.html",
        {
            "school": school,
            "staff": staff,
            "date": date,
            "date_error": date_error,
            "monday": days[0],
            "friday": days[-1],
            "previous_week": days[0] - datetime.timedelta(days=7),
            "next_week": days[0] + datetime.timedelta(days=7),
            "days": roster.days,
            "sheets": [day_sheet(day=day) for day in roster.days] if with_students else [],
            "labs": roster.labs,
            "with_students": with_students,
        },
    )


@login_required
@require_GET
def lab_view(request: HttpRequest, school_id: int, room_id: int) -> HttpResponse:
    school = visible_school(request, school_id)
    room = get_scoped_or_404(
        Room.objects.filter(school=school, kind=RoomKind.LEARNING_LAB),
        request.user,
        via=page_via(request),
        pk=room_id,
    )
    date, date_error = requested_date(request, school)
    lab = lab_day(room=room, date=date)
    stays = lab_stay_plans(lab=lab)
    # Seats by default; the students' names only when asked for, and then the read is recorded.
    with_names = request.GET.get("names") == "1"
    zones = lab_zone_plans(lab=lab, stays=stays, viewer=request.user, names=with_names)
    if with_names:
        audit_reads(
            user=request.user,
            objects=zones.records,
            via=page_via(request),
            action=AuditAction.LIST,
        )
    return render(
        request,
        "scheduling/myday/lab.html",
        {
            "school": school,
            "room": room,
            "date": date,
            "date_error": date_error,
            "previous_date": weekday_after(date, -1),
            "next_date": weekday_after(date, 1),
            "lab": lab,
            "stays": stays,
            "zones": zones,
            "with_names": with_names,
            "day_url": f"{reverse('schedule-day', args=[school.pk])}?date={date.isoformat()}",
        },
    )


def _clock_of_url(hhmm: str) -> datetime.time:
    """``0905`` in a URL as 9:05; anything else is no page."""
    if len(hhmm) != 4 or not hhmm.isdigit():
        raise Http404(gettext("No block starts then."))
    try:
        return datetime.time(int(hhmm[:2]), int(hhmm[2:]))
    except ValueError:
        raise Http404(gettext("No block starts then.")) from None


@login_required
@require_GET
def lab_block_plan(
    request: HttpRequest, school_id: int, schedule_id: int, cohort_id: int, start: str
) -> HttpResponse:
    """The lab plan of one cohort's lab or flexible block, for the school's staff and leaders.

    Staff see published versions only; a draft or an older version is the leaders' to review,
    and to anyone else it answers 404 as a missing one does."""
    school = visible_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    if (
        schedule.status != ScheduleStatus.PUBLISHED
        and not led_schools(request.user).filter(pk=school.pk).exists()
    ):
        raise Http404(gettext("No schedule matches the given query."))
    cohort = get_scoped_or_404(
        Cohort.objects.filter(school=school), request.user, via=page_via(request), pk=cohort_id
    )
    plan = block_plan(
        schedule=schedule, cohort=cohort, start=_clock_of_url(start), viewer=request.user
    )
    if plan is None:
        raise Http404(gettext("The cohort has no lab or flexible block then."))
    audit_reads(
        user=request.user, objects=plan.records, via=page_via(request), action=AuditAction.LIST
    )
    return render(
        request,
        "scheduling/myday/block_plan.html",
        {"school": school, "schedule": schedule, "plan": plan},
    )
