"""Leader pages to build a date's schedule, follow the build, review what it changes, publish it,
and list or restore a date's versions. Thin: scope, parse, call one service, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rocketship.request_types import AuthenticatedHttpRequest, HtmxHttpRequest
from students.audit import audit_reads
from students.errors import DomainError
from students.models import AuditAction, School
from students.permissions import page_via
from students.scoping import get_scoped_or_404

from ..forms.builds import BuildForm, DateForm
from ..models import BuildJob, BuildState, Schedule
from ..selectors.explanations import explanations_for
from ..selectors.lab_plan_pages import plan_summary
from ..selectors.problem import next_instructional_day
from ..selectors.schedule_changes import schedule_baseline, schedule_changes
from ..services.builds import (
    RecoveryOptionNotFound,
    build_job_longer_seconds,
    build_job_start,
    build_job_use_option,
    schedule_publish,
    schedule_restore,
)
from ..services.recovery import options_for_page
from .school_scope import led_school, school_schedule

RECENT_BUILDS = 10
RECENT_DATES = 10


def _date_to_build(school: School) -> datetime.date:
    """The next instructional day after today in the school's zone (tomorrow if none is set)."""
    today = timezone.localdate(timezone=school.zone)
    return next_instructional_day(school=school, after=today) or today + datetime.timedelta(days=1)


def _day(schedule: Schedule) -> str:
    return date_format(schedule.date, "WEEKDAY_DATE_FORMAT")


def _versions_url(schedule: Schedule) -> str:
    url = reverse("schedule-versions", kwargs={"school_id": schedule.school_id})
    return f"{url}?date={schedule.date.isoformat()}"


@login_required
@require_http_methods(["GET", "POST"])
def build(request: AuthenticatedHttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    status = 200
    if request.method == "POST":
        form = BuildForm(request.POST)
        if form.is_valid():
            try:
                job = build_job_start(
                    school=school, date=form.cleaned_data["date"], by=request.user
                )
            except DomainError as error:
                form.add_error("date", str(error))
            else:
                return redirect("build-status", school_id=school.pk, job_id=job.pk)
        status = 400
    else:
        form = BuildForm(initial={"date": _date_to_build(school)})
    recent = BuildJob.objects.filter(school=school).select_related(
        "schedule", "requested_by", "requested_by_client"
    )
    return render(
        request,
        "scheduling/builds/build.html",
        {"school": school, "form": form, "recent": recent[:RECENT_BUILDS]},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def build_status(request: HtmxHttpRequest, school_id: int, job_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    job = get_scoped_or_404(
        BuildJob.objects.filter(school=school).select_related(
            "schedule__day_type", "requested_by", "requested_by_client"
        ),
        request.user,
        via=page_via(request),
        pk=job_id,
    )
    if request.htmx and request.GET.get("seen") == job.progress_key:
        return HttpResponse(status=204)  # nothing new: htmx keeps the fragment and polls again
    context: dict[str, object] = {"school": school, "job": job}
    if job.state == BuildState.INFEASIBLE:
        context["explanations"] = explanations_for(job.reasons, school_id=school.pk, date=job.date)
    if job.timed_out:
        context["longer_seconds"] = build_job_longer_seconds(school=school)
    if job.recovery_options:
        context["recovery_options"] = options_for_page(
            job.recovery_options, used=job.schedule.recovery if job.schedule else None
        )
    if job.schedule is not None:
        context["changes"] = schedule_changes(
            draft=job.schedule, published=schedule_baseline(schedule=job.schedule)
        )
    template = "scheduling/builds/_job.html" if request.htmx else "scheduling/builds/status.html"
    return render(request, template, context)


@login_required
@require_POST
def build_longer(request: AuthenticatedHttpRequest, school_id: int, job_id: int) -> HttpResponse:
    """The "Try for longer" button: build again the date of a job that stopped at its time
    limit, with twice the school's time limit (capped)."""
    school = led_school(request, school_id)
    job = get_scoped_or_404(
        BuildJob.objects.filter(school=school), request.user, via=page_via(request), pk=job_id
    )
    try:
        again = build_job_start(
            school=school,
            date=job.date,
            by=request.user,
            seconds=build_job_longer_seconds(school=school),
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("build-status", school_id=school.pk, job_id=job.pk)
    return redirect("build-status", school_id=school.pk, job_id=again.pk)


@login_required
@require_POST
def build_use_option(
    request: AuthenticatedHttpRequest, school_id: int, job_id: int
) -> HttpResponse:
    """A recovery option's "Use this option" button: its day stored as a new draft version."""
    school = led_school(request, school_id)
    job = get_scoped_or_404(
        BuildJob.objects.filter(school=school).select_related("school", "schedule"),
        request.user,
        via=page_via(request),
        pk=job_id,
    )
    try:
        rank = int(request.POST.get("option", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose one of the build's options."))
    try:
        schedule = build_job_use_option(job=job, rank=rank, by=request.user)
    except RecoveryOptionNotFound as error:
        raise Http404(str(error)) from None
    except DomainError as error:
        messages.error(request, str(error))
        for violation in error.errors.get("violations", []):
            messages.error(request, violation)
        return redirect("build-status", school_id=school.pk, job_id=job.pk)
    messages.success(
        request,
        _("Option %(rank)s is stored as version %(version)s, a draft: review it, then publish.")
        % {"rank": rank, "version": schedule.version},
    )
    return redirect("schedule-review", school_id=school.pk, schedule_id=schedule.pk)


@login_required
@require_http_methods(["GET"])
def schedule_versions(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = DateForm(request.GET or {"date": _date_to_build(school).isoformat()})
    return _render_versions(request, school, form)


def _render_versions(
    request: HttpRequest, school: School, form: DateForm, *, error: DomainError | None = None
) -> HttpResponse:
    versions: list[Schedule] = []
    date = form.cleaned_data["date"] if form.is_valid() else None
    if date is not None:
        versions = list(
            Schedule.objects.filter(school=school, date=date)
            .select_related("built_by", "built_by_client", "day_type")
            .order_by("-version")
        )
    recent_dates = (
        Schedule.objects.filter(school=school)
        .order_by("-date")
        .values_list("date", flat=True)
        .distinct()[:RECENT_DATES]
    )
    return render(
        request,
        "scheduling/builds/versions.html",
        {
            "school": school,
            "form": form,
            "date": date,
            "versions": versions,
            "recent_dates": recent_dates,
            "error": error,
        },
        status=409 if error else (200 if form.is_valid() else 400),
    )


@login_required
@require_http_methods(["GET"])
def schedule_review(request: HttpRequest, school_id: int, schedule_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    return _render_review(request, school, schedule)


def _render_review(
    request: HttpRequest,
    school: School,
    schedule: Schedule,
    *,
    error: DomainError | None = None,
) -> HttpResponse:
    baseline = schedule_baseline(schedule=schedule)
    summary = plan_summary(schedule=schedule)
    if summary is not None:  # the shortfalls name students: a read of their records
        audit_reads(
            user=request.user,
            objects=summary.records,
            via=page_via(request),
            action=AuditAction.LIST,
        )
    return render(
        request,
        "scheduling/builds/review.html",
        {
            "school": school,
            "schedule": schedule,
            "changes": schedule_changes(draft=schedule, published=baseline),
            "lab_plan": summary,
            "error": error,
            "violations": error.errors.get("violations", []) if error else [],
        },
        status=409 if error else 200,
    )


@login_required
@require_POST
def publish(request: HttpRequest, school_id: int, schedule_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    try:
        published = schedule_publish(schedule=schedule)
    except DomainError as error:
        schedule.refresh_from_db()
        return _render_review(request, school, schedule, error=error)
    messages.success(
        request,
        _("Version %(version)s of %(day)s is published.")
        % {"version": published.version, "day": _day(published)},
    )
    return redirect(_versions_url(published))


@login_required
@require_POST
def restore(request: HttpRequest, school_id: int, schedule_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    try:
        restored = schedule_restore(schedule=schedule)
    except DomainError as error:
        form = DateForm({"date": schedule.date.isoformat()})
        return _render_versions(request, school, form, error=error)
    messages.success(
        request,
        _("Version %(version)s of %(day)s is published again.")
        % {"version": restored.version, "day": _day(restored)},
    )
    return redirect(_versions_url(restored))
