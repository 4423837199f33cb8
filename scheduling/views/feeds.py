"""My calendars: the user's calendar feeds, to subscribe to in a calendar app, make or revoke.

Thin: list through ``scheduling.selectors.feeds``, and on POST call ``calendar_feed_create`` or
``calendar_feed_revoke`` (``scheduling.services.feeds``). A new feed's address holds its secret and
is shown once, in the answer to the POST that made it; it is never stored, so it cannot be shown
again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from rocketship.request_types import AuthenticatedHttpRequest
from students.errors import DomainError
from students.models import Cohort, Staff
from students.permissions import page_via
from students.scoping import get_scoped_or_404

from ..models import CalendarFeed
from ..selectors.feeds import feed_path, feed_targets, feeds_of_user
from ..services.feeds import calendar_feed_create, calendar_feed_revoke


def _create(request: AuthenticatedHttpRequest) -> tuple[str | None, str | None]:
    """The new feed's address, or an error to show."""
    kind, _, raw_id = request.POST.get("target", "").partition(":")
    staff: Staff | None = None
    cohort: Cohort | None = None
    if kind == "staff" and raw_id.isdigit():
        staff = get_scoped_or_404(
            Staff.objects.select_related("school", "user"),
            request.user,
            via=page_via(request),
            pk=raw_id,
        )
    elif kind == "cohort" and raw_id.isdigit():
        cohort = get_scoped_or_404(
            Cohort.objects.select_related("school"), request.user, via=page_via(request), pk=raw_id
        )
    else:
        return None, gettext("Choose whose blocks the calendar shows.")
    try:
        _, path = calendar_feed_create(by=request.user, staff=staff, cohort=cohort)
    except DomainError as refused:
        return None, str(refused)
    return request.build_absolute_uri(path), None


@login_required
@require_http_methods(["GET", "POST"])
def my_calendars(request: AuthenticatedHttpRequest) -> HttpResponse:
    new_url = error = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        feed = get_scoped_or_404(
            CalendarFeed.objects.select_related("staff"),
            request.user,
            via=page_via(request),
            pk=request.POST.get("feed", ""),
        )
        try:
            calendar_feed_revoke(feed=feed, by=request.user)
        except DomainError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, gettext("The calendar feed is revoked; its address stops working.")
            )
        return redirect("my-calendars")
    if request.method == "POST":
        new_url, error = _create(request)
    feeds = feeds_of_user(user=request.user)
    return render(
        request,
        "scheduling/feeds/list.html",
        {
            "feeds": [(feed, request.build_absolute_uri(feed_path(feed))) for feed in feeds],
            "targets": feed_targets(user=request.user),
            "new_url": new_url,
            "new_webcal": "webcal://" + new_url.split("://", 1)[1] if new_url else None,
            "error": error,
        },
    )
