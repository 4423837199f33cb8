"""Pictures of a schedule (the day grid, the lab curves, the staff grid) and pinning a block.

Thin: scope the school and the schedule, read the picture through ``scheduling.selectors.pictures``,
and render; a pin goes through ``scheduling.services.pins.pin_toggle``.
"""

import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rocketship.request_types import HtmxHttpRequest
from rocketship.school_zone import use_school_zone
from students.models import Cohort, School
from students.permissions import AnyUser, led_schools

from ..dates import NotADay, parse_day
from ..models import Schedule, ScheduleStatus, StationCode, clock
from ..selectors.pictures import DayPicture, day_picture
from ..services import pins
from .school_scope import led_school, school_schedule, visible_school


def requested_date(request: HttpRequest, school: School) -> tuple[datetime.date, str | None]:
    """``?date=`` (YYYY-MM-DD), or today in the school's zone; with the reason a bad value
    was ignored."""
    use_school_zone(request, school.zone)  # My day's school is not in its URL
    today = timezone.localdate()
    raw = request.GET.get("date", "").strip()
    if not raw:
        return today, None
    try:
        return parse_day(raw), None
    except NotADay as error:
        return today, _("%(error)s Showing today instead.") % {"error": error}


def weekday_after(date: datetime.date, step: int) -> datetime.date:
    """The next (``step`` 1) or previous (-1) weekday: schools have no Saturday blocks."""
    date += datetime.timedelta(days=step)
    while date.weekday() >= 5:
        date += datetime.timedelta(days=step)
    return date


def leads(user: AnyUser, school: School) -> bool:
    return led_schools(user).filter(pk=school.pk).exists()


@login_required
@require_GET
def schedule_day(request: HttpRequest, school_id: int) -> HttpResponse:
    school = visible_school(request, school_id)
    date, date_error = requested_date(request, school)
    schedule = (
        Schedule.objects.filter(school=school, date=date, status=ScheduleStatus.PUBLISHED)
        .select_related("school", "day_type", "built_by", "built_by_client")
        .first()
    )
    can_pin = leads(request.user, school)
    build_url = reverse("build", args=[school.pk]) if can_pin else None
    return render(
        request,
        "scheduling/pictures/day.html",
        {
            "school": school,
            "date": date,
            "date_error": date_error,
            "previous_date": weekday_after(date, -1),
            "next_date": weekday_after(date, 1),
            "schedule": schedule,
            "picture": day_picture(schedule=schedule) if schedule else None,
            "can_pin": can_pin,
            "build_url": f"{build_url}?date={date.isoformat()}" if build_url else None,
            "versions_url": reverse("schedule-versions", args=[school.pk]) if can_pin else None,
        },
    )


def _detail(
    request: HttpRequest,
    school: School,
    schedule: Schedule,
    *,
    can_pin: bool,
    picture: DayPicture | None = None,
    pin_error: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "scheduling/pictures/detail.html",
        {
            "school": school,
            "schedule": schedule,
            "picture": picture or day_picture(schedule=schedule),
            "can_pin": can_pin,
            "pin_error": pin_error,
            "day_url": f"{reverse('schedule-day', args=[school.pk])}?date={schedule.date}",
            "review_url": reverse("schedule-review", args=[school.pk, schedule.pk])
            if can_pin
            else None,
            "versions_url": reverse("schedule-versions", args=[school.pk]) if can_pin else None,
        },
        status=status,
    )


@login_required
@require_GET
def schedule_detail(request: HttpRequest, school_id: int, schedule_id: int) -> HttpResponse:
    school = visible_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    can_pin = leads(request.user, school)
    if schedule.status == ScheduleStatus.DRAFT and not can_pin:
        # Teachers see what is published, never a draft that may still change.
        raise PermissionDenied(_("Only the school's leaders see draft schedules."))
    return _detail(request, school, schedule, can_pin=can_pin)


class PinToggleForm(forms.Form):
    """The block a leader clicked: its cohort, station, start and end."""

    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none())
    station = forms.ChoiceField(choices=StationCode.choices)
    start = forms.TimeField()
    end = forms.TimeField(required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["cohort"]).queryset = Cohort.objects.filter(
            school=school
        ).select_related("grade")

    def error_text(self) -> str:
        # An ErrorList yields its messages as strings; django-stubs types its items wider.
        return " ".join(
            f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in self.errors.items()
        )


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
@require_POST
def pin_toggle(request: HtmxHttpRequest, school_id: int, schedule_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    schedule = school_schedule(request, school, schedule_id)
    form = PinToggleForm(request.POST, school=school)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(form.error_text(), status=400, content_type="text/plain")
        messages.error(
            request, _("That block cannot be pinned: %(why)s") % {"why": form.error_text()}
        )
        return redirect(reverse("schedule-detail", args=[school.pk, schedule.pk]))

    data = form.cleaned_data
    cohort, station, start, end = data["cohort"], data["station"], data["start"], data["end"]
    what = _("%(cohort)s's %(station)s at %(time)s") % {
        "cohort": cohort,
        "station": StationCode(station).label,
        "time": clock(start),
    }
    error = message = None
    try:
        toggled = pins.pin_toggle(
            schedule=schedule, cohort=cohort, station=station, start=start, end=end
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        if toggled.pinned:
            message = _("Pinned %(what)s on %(date)s: every build of that day keeps it.") % {
                "what": what,
                "date": date_format(schedule.date),
            }
        else:
            message = _("Unpinned %(what)s: builds may move it again.") % {"what": what}

    default = reverse("schedule-detail", args=[school.pk, schedule.pk])
    if request.htmx:
        picture = day_picture(schedule=schedule)
        block = picture.block(cohort_id=cohort.pk, station=station, start=start, end=end)
        if block is None:
            # Nothing on the page to redraw; the message tells what happened.
            return HttpResponse(error or message, status=200 if error is None else 400)
        return render(
            request,
            "scheduling/pictures/_block.html",
            {
                "block": block,
                "kind": "cohort",
                "picture": picture,
                "can_pin": True,
                "open": True,
                "pin_error": {"block_id": block.id, "message": error} if error else None,
                "pin_message": message,
                "next_url": _next_url(request, default),
            },
        )
    if message is not None:  # set exactly when error is not
        messages.success(request, message)
        return redirect(_next_url(request, default))
    picture = day_picture(schedule=schedule)
    block = picture.block(cohort_id=cohort.pk, station=station, start=start, end=end)
    if block is None:
        assert error is not None  # set exactly when message is not
        messages.error(request, error)
        return redirect(_next_url(request, default))
    # Without JavaScript the page comes back with the error beside the block at fault.
    return _detail(
        request,
        school,
        schedule,
        picture=picture,
        can_pin=True,
        pin_error={"block_id": block.id, "message": error},
        status=400,
    )
