"""``GET /api/v1/staff/{id}/calendar.ics`` and ``/api/v1/cohorts/{id}/calendar.ics``.

Calendar apps send no headers, so a feed is opened by the secret in its address (``?token=``);
a wrong or revoked secret answers 404, exactly like a feed that does not exist. Without a token,
a signed-in user (or a client's token in the ``Authorization`` header) who may see the staff
member or cohort gets the same calendar. Errors answer as problem JSON like the rest of the API.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from students.models import Cohort, Staff
from students.permissions import api_via
from students.scoping import get_scoped_or_404

from ..models import FeedKind
from ..selectors.feeds import (
    FeedEvent,
    cohort_feed_events,
    cohort_feed_name,
    feed_for_token,
    feed_ics,
    staff_feed_events,
    staff_feed_name,
)

CALENDAR_MEDIA_TYPE = "text/calendar"
# Calendar apps poll; a few minutes of private caching spares the server without hiding a
# republished day for long. "private": the address holds a secret, so no shared cache keeps it.
CACHE_CONTROL = "private, max-age=300"


class ICalendarRenderer(BaseRenderer):
    media_type = CALENDAR_MEDIA_TYPE
    format = "ics"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return data


class CalendarOnly(BaseContentNegotiation):
    """A feed is iCalendar whatever the client's Accept header says (calendar apps send odd
    ones); errors switch to JSON in ``finalize_response``."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        # ``?format=`` may only name the calendar: any other value (the schema lists ``ics``
        # and ``json``, the errors' format) is no feed, as DRF answers an unknown format.
        wanted = format_suffix or request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)
        if wanted and wanted != ICalendarRenderer.format:
            raise exceptions.NotFound(gettext("There is no calendar feed at this address."))
        renderer = next(iter(renderers))  # the view's renderer_classes are never empty
        return renderer, renderer.media_type


TOKEN_PARAMETER = OpenApiParameter(
    "token",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description="The feed's secret, as given once when the feed was made. Without it the caller "
    "must be signed in (or send a client token) and allowed to see the staff member or cohort.",
)


_Subject = TypeVar("_Subject", bound=Model)


class _CalendarFeedView(APIView):
    permission_classes = [permissions.AllowAny]  # the secret or the scope decides, below
    renderer_classes = [ICalendarRenderer, JSONRenderer]
    content_negotiation_class = CalendarOnly
    kind: str = ""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            # Errors are problem JSON like everywhere in the API (rendered lazily, after this).
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    def subject(self, request: Request, queryset: QuerySet[_Subject], subject_id: int) -> _Subject:
        """The staff member or cohort: through the feed's secret when one is given, else through
        the caller's scope; any failure is a 404 that names nothing."""
        token = request.query_params.get("token")
        if token is not None:
            feed = feed_for_token(token=token, kind=self.kind, subject_id=subject_id)
            if feed is None:
                raise exceptions.NotFound(gettext("There is no calendar feed at this address."))
            found = feed.staff if self.kind == FeedKind.STAFF else feed.cohort
            # The check constraint calendar_feed_subject_matches_kind guarantees a feed of this
            # view's kind holds a subject of the queryset's model.
            assert isinstance(found, queryset.model)
            return found
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotFound(gettext("There is no calendar feed at this address."))
        return get_scoped_or_404(queryset, request.user, via=api_via(request), pk=subject_id)

    def calendar(self, name: str, school: Any, events: list[FeedEvent], filename: str) -> Response:
        body = feed_ics(school=school, name=name, events=events)
        return Response(
            body,
            content_type=f"{CALENDAR_MEDIA_TYPE}; charset=utf-8",
            headers={
                "Cache-Control": CACHE_CONTROL,
                "Content-Disposition": f'inline; filename="{filename}"',
            },
        )


CALENDAR_RESPONSES = {
    (200, CALENDAR_MEDIA_TYPE): OpenApiResponse(
        OpenApiTypes.STR,
        description="An iCalendar (RFC 5545) document: one VEVENT per published block from 7 "
        "days ago to 28 days ahead, times in the school's zone (TZID with a VTIMEZONE).",
    ),
    401: OpenApiResponse(
        description="An Authorization header with a token that is unknown or revoked (calendar "
        "apps send none; the feed's own token goes in the address)."
    ),
    404: OpenApiResponse(
        description="No such feed: a wrong or revoked token, or without a token a staff member "
        "or cohort outside the caller's schools (or no caller at all)."
    ),
}


class StaffCalendarView(_CalendarFeedView):
    kind = FeedKind.STAFF

    @extend_schema(
        operation_id="staff_calendar",
        summary="A staff member's published blocks as an iCalendar feed",
        parameters=[TOKEN_PARAMETER],
        responses=CALENDAR_RESPONSES,
    )
    def get(self, request: Request, staff_id: int) -> Response:
        staff = self.subject(
            request,
            Staff.objects.filter(active=True).select_related("school", "user"),
            staff_id,
        )
        return self.calendar(
            staff_feed_name(staff),
            staff.school,
            staff_feed_events(staff=staff),
            f"staff-{staff.pk}.ics",
        )


class CohortCalendarView(_CalendarFeedView):
    kind = FeedKind.COHORT

    @extend_schema(
        operation_id="cohort_calendar",
        summary="A cohort's published blocks as an iCalendar feed",
        parameters=[TOKEN_PARAMETER],
        responses=CALENDAR_RESPONSES,
    )
    def get(self, request: Request, cohort_id: int) -> Response:
        cohort = self.subject(request, Cohort.objects.select_related("school"), cohort_id)
        return self.calendar(
            cohort_feed_name(cohort),
            cohort.school,
            cohort_feed_events(cohort=cohort),
            f"cohort-{cohort.pk}.ics",
        )
