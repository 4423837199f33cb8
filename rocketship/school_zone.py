"""Each request renders in its school's time zone, and no request in the zone another left.

``SchoolTimeZoneMiddleware`` starts every request in ``settings.TIME_ZONE`` and, when the URL
names a school (``school_id``), a cohort (``cohort_id``) or a student (``student_id``) the user
may see, renders the rest of the request under ``timezone.override`` of that school's zone. A
page whose school is not in its URL (My day picks it from ``?school=`` or the session) calls
``use_school_zone`` once it knows it. Whatever was overridden is undone when the request ends,
and the thread is back in ``settings.TIME_ZONE``: a worker thread's next request, whoever it is
for, starts clean. Views never call ``timezone.activate`` themselves.
"""

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .unavailable import UNAVAILABLE_ERRORS, answer_unavailable

_OVERRIDES = "_school_zone_overrides"


def use_school_zone(request: HttpRequest, zone: ZoneInfo | str) -> None:
    """Render the rest of ``request`` in ``zone``; the middleware undoes it when it ends."""
    override = timezone.override(zone)
    override.__enter__()
    overrides = getattr(request, _OVERRIDES, None)
    if overrides is None:  # outside the middleware (a view called directly in a test)
        overrides = []
        setattr(request, _OVERRIDES, overrides)
    overrides.append(override)


def _zone_of_url(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
    """The time zone of the school the URL names, if the user may see it."""
    if not any(name in kwargs for name in ("school_id", "cohort_id", "student_id")):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from students.models import Cohort, School, Student  # apps are ready by the first request
    from students.permissions import visible_schools

    schools = visible_schools(user)
    if "school_id" in kwargs:
        found = School.objects.filter(pk__in=schools.values("pk"), pk=kwargs["school_id"])
        return found.values_list("time_zone", flat=True).first()
    if "cohort_id" in kwargs:
        rows = Cohort.objects.filter(school__in=schools.values("pk"), pk=kwargs["cohort_id"])
        return rows.values_list("school__time_zone", flat=True).first()
    students = Student.objects.filter(school__in=schools.values("pk"), pk=kwargs["student_id"])
    return students.values_list("school__time_zone", flat=True).first()


class SchoolTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()  # whatever an earlier request on this thread left behind
        setattr(request, _OVERRIDES, [])
        try:
            return self.get_response(request)
        finally:
            for override in reversed(getattr(request, _OVERRIDES, [])):
                override.__exit__(None, None, None)
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.path_info.startswith("/api/"):
            return None  # the API writes each school's times with the zone explicitly
        try:
            zone = _zone_of_url(request, view_kwargs)
        except UNAVAILABLE_ERRORS as error:  # the request's first query: an outage, not a bug
            return answer_unavailable(request, error)
        if zone:
            use_school_zone(request, zone)
        return None
