"""Home-visit pages: a leader's households and plan (``/schools/<id>/home-visits/``) with the
one-click "Plan first visits" (in the request, or queued for a worker and polled), a
household's and a visit's page for the school's staff, an educator's own visits
(``/my/home-visits/``) and their calendar feed.

Thin: reads through ``families.visit_selectors``, writes through ``families.visit_plan_jobs``
and ``families.visit_feeds``. Another school's household or visit answers 404; the address is
shown to the visit's pair and the school's leaders only; every household shown is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from rocketship.request_types import AuthenticatedHttpRequest, HtmxHttpRequest
from students.errors import DomainError
from students.models import AuditAction, School, Staff
from students.permissions import leads, page_via
from students.scoping import get_led_school_or_404, get_scoped_or_404

from ..access import school_today
from ..households import households_from_roster
from ..visit_feeds import (
    visit_feed_body,
    visit_feed_create,
    visit_feed_for_token,
    visit_feed_revoke,
)
from ..visit_forms import (
    WEEKDAY_CHOICES,
    HouseholdForm,
    ReflectionForm,
    VisitMoveForm,
    VisitSettingsForm,
    VisitWindowForm,
)
from ..visit_models import Visit, VisitPlanJob, VisitPlanJobState, VisitSettings, VisitStatus
from ..visit_plan_jobs import visit_plan_job_latest, visit_plan_request
from ..visit_planning import first_visit_target, households_of_school
from ..visit_selectors import (
    audit_households,
    household_rows,
    language_name,
    latest_unplaced,
    may_see_address,
    plan_by_educator,
    visits_of_user,
)
from ..visit_services import (
    household_update,
    visit_settings_set,
    visit_window_add,
    visit_window_remove,
)
from ..visit_tracking import is_pair, may_track, reflection_for

WEEKDAYS = dict(WEEKDAY_CHOICES)


def _led_school(request: HttpRequest, school_id: int) -> School:
    return get_led_school_or_404(request.user, school_id, via=page_via(request))


def _seen_school(request: HttpRequest, school_id: int) -> School:
    return get_scoped_or_404(
        School.objects.select_related("network"), request.user, via=page_via(request), pk=school_id
    )


@login_required
@require_GET
def school_visits(request: HttpRequest, school_id: int) -> HttpResponse:
    school = _led_school(request, school_id)
    rows = household_rows(school)
    run, unplaced = latest_unplaced(school)
    job = visit_plan_job_latest(school=school)
    audit_households(
        user=request.user,
        households=[row.household for row in rows],
        school=school,
        via=page_via(request),
        action=AuditAction.LIST,
    )
    return render(
        request,
        "families/visits/school.html",
        {
            "school": school,
            "rows": [(row, language_name(row.household.language)) for row in rows],
            "plan": plan_by_educator(school),
            "run": run,
            "unplaced": unplaced,
            "target": first_visit_target(school),
            "job": job,
            # A queued plan that failed after the last stored one: its reason stays in view.
            "job_failed": job is not None
            and job.state == VisitPlanJobState.FAILED
            and (run is None or (job.finished_at is not None and job.finished_at > run.created_at)),
        },
    )


@login_required
@require_POST
def school_visits_plan(request: AuthenticatedHttpRequest, school_id: int) -> HttpResponse:
    school = _led_school(request, school_id)
    try:
        outcome = visit_plan_request(school=school, user=request.user)
    except DomainError:
        messages.error(request, _("The plan broke a rule when checked, so nothing was stored."))
    else:
        # A queued job: the page shows "Planning…" and polls it.
        if not isinstance(outcome, VisitPlanJob):
            messages.success(
                request, planned_message(placed=outcome.placed, unplaced=len(outcome.unplaced))
            )
    return redirect("home-visits-school", school_id=school.pk)


@login_required
@require_GET
def school_visits_plan_status(
    request: HtmxHttpRequest, school_id: int, job_id: int
) -> HttpResponse:
    """Polled by the leader's page while a queued plan runs: nothing new (204) until it ends,
    then the page reloads to show the plan (htmx), or, without htmx, goes back to it."""
    school = _led_school(request, school_id)
    job = get_scoped_or_404(
        VisitPlanJob.objects.filter(school=school).select_related("run"),
        request.user,
        via=page_via(request),
        pk=job_id,
    )
    if job.polling and request.htmx:
        return HttpResponse(status=204)
    if job.state == VisitPlanJobState.DONE and job.run is not None and request.htmx:
        run = job.run
        messages.success(request, planned_message(placed=run.placed, unplaced=len(run.unplaced)))
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("home-visits-school", school_id=school.pk)


def planned_message(*, placed: int, unplaced: int) -> str:
    """What a plan did, each number with its own plural form."""
    planned = ngettext("%(count)d visit planned.", "%(count)d visits planned.", placed) % {
        "count": placed
    }
    if not unplaced:
        return planned
    left = ngettext(
        "%(count)d household could not be placed.",
        "%(count)d households could not be placed.",
        unplaced,
    ) % {"count": unplaced}
    return f"{planned} {left}"


@login_required
@require_POST
def school_households_sync(request: HttpRequest, school_id: int) -> HttpResponse:
    """Group the network's guardians into households again, from today's roster."""
    school = _led_school(request, school_id)
    sync = households_from_roster(school.network)
    messages.success(
        request,
        _("Households updated from the roster: %(created)d new, %(moved)d guardians moved.")
        % {"created": sync.created, "moved": sync.moved},
    )
    return redirect("home-visits-school", school_id=school.pk)


def _preferences(raw: object) -> list[str]:
    parts = {"afternoon": _("afternoon"), "evening": _("evening")}
    said = []
    for item in raw if isinstance(raw, list) else []:
        try:
            day = WEEKDAYS[int(item["weekday"])]  # KeyError past Sunday
        except (KeyError, TypeError, ValueError):
            continue
        part = parts.get(item.get("part") or "")
        said.append(f"{day} ({part})" if part else str(day))
    return said


@login_required
@require_http_methods(["GET", "POST"])
def household_page(request: HttpRequest, school_id: int, household_id: int) -> HttpResponse:
    """A household for the school's staff; its leaders also record the family's answer, the
    address and the times that suit them here."""
    school = _seen_school(request, school_id)
    household = get_scoped_or_404(
        households_of_school(school, today=school_today(school)).prefetch_related("guardians"),
        request.user,
        via=page_via(request),
        pk=household_id,
    )
    is_leader = leads(request.user, school.pk)
    form = None
    if is_leader:
        form = HouseholdForm(request.POST if request.method == "POST" else None, instance=household)
        if request.method == "POST" and form.is_valid():
            household_update(
                household=household,
                fields={name: form.cleaned_data[name] for name in form.Meta.fields},
                preferred_times=form.preferred_times(),
            )
            messages.success(request, _("The household is saved."))
            return redirect("home-visits-household", school_id=school.pk, household_id=household.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only the school's leaders can change a household."))
    show_address = may_see_address(request.user, household, school)
    visits = list(
        Visit.objects.filter(school=school, household=household)
        .select_related("lead__user", "partner__user")
        .order_by("-date", "-start")
    )
    audit_households(
        user=request.user,
        households=[household],
        school=school,
        via=page_via(request),
        addresses=show_address,
    )
    return render(
        request,
        "families/visits/household.html",
        {
            "school": school,
            "household": household,
            "language": language_name(household.language),
            "preferences": _preferences(household.preferred_times),
            "show_address": show_address,
            "visits": visits,
            "is_leader": is_leader,
            "form": form,
        },
    )


@login_required
@require_GET
def visit_page(request: HttpRequest, school_id: int, visit_id: int) -> HttpResponse:
    school = _seen_school(request, school_id)
    visit = get_scoped_or_404(
        Visit.objects.filter(school=school).select_related(
            "household", "lead__user", "partner__user"
        ),
        request.user,
        via=page_via(request),
        pk=visit_id,
    )
    show_address = may_see_address(request.user, visit.household, school)
    audit_households(
        user=request.user,
        households=[visit.household],
        school=school,
        via=page_via(request),
        addresses=show_address,
    )
    pair = is_pair(request.user, visit)
    return render(
        request,
        "families/visits/visit.html",
        {
            "school": school,
            "visit": visit,
            "language": language_name(visit.household.language),
            "show_address": show_address,
            # Tracking and the reflection (families.visit_tracking): the read is audited.
            "can_track": visit.status == VisitStatus.PLANNED and may_track(request.user, visit),
            "move_form": VisitMoveForm(),
            "reflection": reflection_for(user=request.user, visit=visit, via=page_via(request)),
            "may_reflect": pair and visit.status == VisitStatus.DONE,
            "reflection_form": ReflectionForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_visits(request: AuthenticatedHttpRequest) -> HttpResponse:
    mine = list(Staff.objects.filter(user=request.user, active=True).select_related("school"))
    new_feeds: list[tuple[Staff, str]] = []
    if request.method == "POST":
        chosen = [s for s in mine if str(s.pk) == request.POST.get("staff", "")]
        if not chosen:
            raise Http404("No such staff membership.")
        if request.POST.get("action") == "revoke":
            visit_feed_revoke(staff=chosen[0])
            messages.success(request, _("Your visits' calendar address is revoked."))
            return redirect("home-visits-mine")
        _feed, path = visit_feed_create(staff=chosen[0])
        new_feeds.append((chosen[0], request.build_absolute_uri(path)))
    visits = visits_of_user(request.user)
    by_school: dict[int, list[Visit]] = {}
    for visit in visits:
        by_school.setdefault(visit.school_id, []).append(visit)
    for theirs in by_school.values():
        audit_households(
            user=request.user,
            households=[v.household for v in theirs],
            school=theirs[0].school,
            via=page_via(request),
            action=AuditAction.LIST,
            addresses=True,
        )
    return render(
        request,
        "families/visits/mine.html",
        {"visits": visits, "memberships": mine, "new_feeds": new_feeds},
    )


@require_GET
def visit_calendar(request: HttpRequest, staff_id: int) -> HttpResponse:
    """The feed, for calendar apps: no session; a wrong or revoked secret answers 404."""
    feed = visit_feed_for_token(staff_id=staff_id, token=request.GET.get("token", ""))
    if feed is None:
        raise Http404("No such calendar.")
    body, visits = visit_feed_body(staff=feed.staff)
    audit_households(
        user=feed.staff.user,
        households=[v.household for v in visits],
        school=feed.staff.school,
        via=f"feed {request.path}",
        action=AuditAction.LIST,
        addresses=True,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=0"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_visit_times(request: AuthenticatedHttpRequest, staff_id: int) -> HttpResponse:
    """An educator's windows for visits at one school, their languages and weekly cap."""
    staff = Staff.objects.filter(pk=staff_id, user=request.user, active=True).first()
    if staff is None:
        raise Http404("No such staff membership.")
    own = VisitSettings.objects.filter(staff=staff).first() or VisitSettings(staff=staff)
    window_form = VisitWindowForm()
    settings_form = VisitSettingsForm(instance=own)
    action = request.POST.get("action")
    if action == "remove":
        visit_window_remove(staff=staff, window_id=int(request.POST.get("window") or 0))
        return redirect("home-visits-times", staff_id=staff.pk)
    if action == "add":
        window_form = VisitWindowForm(request.POST)
        if window_form.is_valid():
            visit_window_add(staff=staff, **window_form.cleaned_data)
            messages.success(request, _("The time for visits is added."))
            return redirect("home-visits-times", staff_id=staff.pk)
    if action == "settings":
        settings_form = VisitSettingsForm(request.POST, instance=own)
        if settings_form.is_valid():
            visit_settings_set(
                staff=staff,
                weekly_cap=settings_form.cleaned_data["weekly_cap"],
                languages=settings_form.cleaned_data["languages"],
            )
            messages.success(request, _("Your visit settings are saved."))
            return redirect("home-visits-times", staff_id=staff.pk)
    return render(
        request,
        "families/visits/times.html",
        {
            "staff": staff,
            "windows": [
                (w, WEEKDAYS.get(w.weekday) if w.weekday is not None else None)
                for w in staff.visit_windows.all()
            ],
            "window_form": window_form,
            "settings_form": settings_form,
        },
    )
