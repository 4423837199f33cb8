"""The schedule endpoints of API v1: published schedules, versions, rosters, a student's day, and
builds. Thin: parse the date, scope the object through ``students.scoping`` (another school's ids
answer 404), call one selector or service, render.

A published version never changes, so the school's schedule answers with a strong ETag made of the
schedule's id and version and with Last-Modified set to its publication; a matching ``If-None-
Match`` (or a recent enough ``If-Modified-Since``) answers 304 before any body is built, and the
body comes from ``scheduling.published_cache.published_body`` (cached by schedule id and
version). The scope check and the lookup of the published version are one query; for a token
whose cached principal lists the school, the version comes from ``scheduling.published_cache``
instead (read with the principal in one cache round trip), so a warm request or a 304 runs no
query. A school outside the token's schools always takes the query (404, audited), so the cache
never answers a client that may not see the school.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from students.api.permissions import CanWrite
from students.audit import audit_reads
from students.errors import DomainError
from students.models import AuditAction, School, Staff, Student
from students.permissions import (
    api_via,
    led_schools,
    sees_drafts,
    with_service_sight,
)
from students.scoping import get_scoped_or_404

from ..dates import DAY_SCHEMA_PATTERN, NotADay, parse_day
from ..models import BuildJob
from ..published_cache import (
    PublishedRef,
    cached_published,
    published_body,
    published_cache_key,
    remember_published,
)
from ..selectors import api as selectors
from ..services.builds import build_job_start
from . import serializers

if TYPE_CHECKING:
    # The stubs' companion is a dev dependency: annotations only.
    from django_stubs_ext import WithAnnotations


class NothingPublished(DomainError):
    code = "nothing-published"
    title = gettext_lazy("No schedule is published for this date")
    status = 404


def parse_date(raw: str) -> datetime.date:
    """The ``YYYY-MM-DD`` date of the URL, or a 400 problem naming ``date``."""
    try:
        return parse_day(raw)
    except NotADay as error:
        raise exceptions.ValidationError({"date": [str(error)]}) from None


def nothing_published(school: School, date: datetime.date) -> NothingPublished:
    return NothingPublished(
        gettext("No schedule is published for %(school)s on %(date)s.")
        % {"school": school.name, "date": date_format(date)}
    )


def api_reverse(request: Request, name: str, **kwargs: object) -> str:
    """An absolute URL of one of these endpoints, in whatever namespace they were included."""
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    path = reverse(f"{namespace}:{name}" if namespace else name, kwargs=kwargs)
    return request.build_absolute_uri(path)


# --- schema helpers -----------------------------------------------------------------------------


def problem(description: str) -> OpenApiResponse:
    # The project's schema class gives every 4xx the Problem body; the view only says when.
    return OpenApiResponse(description=description)


DATE_PARAMETER = OpenApiParameter(
    "date",
    OpenApiTypes.DATE,
    OpenApiParameter.PATH,
    pattern=DAY_SCHEMA_PATTERN,
    description="The school day, YYYY-MM-DD, from 1900-01-01 to 2999-12-31.",
)
READ_ERRORS = {
    400: problem("The date is not a YYYY-MM-DD date (``errors.date`` says so)."),
    401: problem("No valid credentials."),
    404: problem("Not found, or another school's: nothing outside your schools is shown."),
}


# --- GET schools/{id}/schedules/{date}/ -------------------------------------------------------


def schedule_etag(schedule_id: int, version: int) -> str:
    return f'"sched-{schedule_id}-v{version}"'


def _unchanged(request: Request, etag: str, last_modified: datetime.datetime | None) -> bool:
    """Whether the client's copy is current (RFC 9110 section 13.2.2: ``If-None-Match`` wins;
    ``If-Modified-Since`` counts only without it). ETags compare weakly, as a GET may."""
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        tags = parse_etags(if_none_match)
        return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    # HTTP dates have whole seconds: a publication at 22:30:00.25 is "not modified since 22:30:00".
    return (
        since is not None and last_modified is not None and int(last_modified.timestamp()) <= since
    )


class _Published(TypedDict):
    """``schools_with_published_schedule``'s annotations: all None when nothing is published."""

    published_id: int | None
    published_version: int | None
    published_at: datetime.datetime | None


class _Led(TypedDict):
    """An ``Exists`` of the caller's led schools: whether the caller leads the school."""

    led: bool


class PublishedScheduleView(APIView):
    @extend_schema(
        operation_id="school_schedule",
        summary="A school's published schedule for a date",
        description="Rooms, staff (with roles) and each cohort's blocks, times with the school's "
        "UTC offset. Carries an ETag and Last-Modified; send If-None-Match (or "
        "If-Modified-Since) to get 304 while the published version is the same.",
        parameters=[
            DATE_PARAMETER,
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={
            200: serializers.PublishedScheduleSerializer,
            304: OpenApiResponse(description="Your copy (its ETag) is the published version."),
            **READ_ERRORS,
            404: problem("Nothing is published for the date, or the school is not yours."),
        },
    )
    def get(self, request: Request, school_id: int, date: str) -> HttpResponse:
        day = parse_date(date)
        published, school = self._published(request, school_id, day)
        etag = schedule_etag(published.schedule_id, published.version)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if published.published_at is not None:
            headers["Last-Modified"] = http_date(published.published_at.timestamp())
        if _unchanged(request, etag, published.published_at):
            response: HttpResponse = HttpResponseNotModified(headers=headers)
        else:
            body = published_body(school_id=school_id, date=day, published=published, school=school)
            response = HttpResponse(body, content_type="application/json", headers=headers)
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return response

    def cache_keys_with_principal(self) -> list[str]:
        """Read with a token's principal (``ClientTokenAuthentication``): the published version,
        which every request needs, costs no round trip of its own (the body is in memory)."""
        try:
            day = parse_date(self.kwargs["date"])
        except exceptions.ValidationError:
            return []  # the view answers the bad date itself
        return [published_cache_key(self.kwargs["school_id"], day)]

    @staticmethod
    def _published(
        request: Request, school_id: int, day: datetime.date
    ) -> tuple[PublishedRef, School | None]:
        """The version published for the school and date, once the caller may see the school,
        and the school when it was read (not when the version came from the cache).

        A token's principal carries its client's school ids, so a cached answer needs no query;
        anyone else, a school outside the token's, or no usable cache entry takes the one
        query that scopes the school and finds its version together (404 and the audit of a
        denied attempt happen there)."""
        may_fill = False
        if school_id in getattr(request.user, "school_ids", ()):
            prefetched = getattr(request, "cache_prefetched", None)
            published, may_fill = cached_published(school_id, day, prefetched)
            if published is not None:
                return published, None
        # The selector annotates _Published's fields; its return type does not say so.
        published_schools = cast(
            "QuerySet[WithAnnotations[School, _Published]]",
            selectors.schools_with_published_schedule(date=day),
        )
        school: WithAnnotations[School, _Published] = get_scoped_or_404(
            published_schools,
            request.user,
            via=api_via(request),
            pk=school_id,
        )
        # The id and the version come from the same row: both None when nothing is published.
        if school.published_id is None or school.published_version is None:
            raise nothing_published(school, day)
        published = PublishedRef(school.published_id, school.published_version, school.published_at)
        if may_fill:
            remember_published(school_id, day, published)
        return published, school


# --- GET schools/{id}/schedules/{date}/versions/ ----------------------------------------------


class ScheduleVersionsView(APIView):
    @extend_schema(
        operation_id="school_schedule_versions",
        summary="Every version of a school's schedule for a date",
        description="The published version and superseded ones, newest first, with when "
        "each was built and published, how many blocks it moved and the solver's statistics; "
        "drafts too for the school's leaders and clients with the write grant (teachers and "
        "read-only clients see only what was published).",
        parameters=[DATE_PARAMETER],
        responses={200: serializers.ScheduleVersionsSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, school_id: int, date: str) -> Response:
        day = parse_date(date)
        user = request.user
        school: WithAnnotations[School, _Led] = get_scoped_or_404(
            School.objects.annotate(led=Exists(led_schools(user).filter(pk=OuterRef("pk")))),
            user,
            via=api_via(request),
            pk=school_id,
        )
        versions = selectors.schedule_versions(
            school=school, date=day, drafts=sees_drafts(user, led=school.led)
        )
        return Response(
            serializers.ScheduleVersionsSerializer(
                {"school": school.pk, "date": day, "versions": versions}
            ).data
        )


# --- GET staff/{id}/roster/{date}/ ------------------------------------------------------------


class StaffRosterView(APIView):
    @extend_schema(
        operation_id="staff_roster",
        summary="A staff member's published blocks for a date, with their students",
        description="The blocks they teach and, for a lab supervisor, the blocks in their lab, "
        "each with its cohort, room and the students enrolled that day (IEP and English-learner "
        "flags); and the tutoring and service groups they lead in the day's Learning Lab plan, "
        "each with its students. IEP flags and service kinds are shown only to callers who may "
        "see the students' service details (the school's leaders, special-education staff, the "
        "students' service providers, write-granted clients registered by a leader); others "
        "get null. A published date answers 200 even when they have neither. "
        "Reading it is recorded in the audit trail as a read of those student records.",
        parameters=[DATE_PARAMETER],
        responses={
            200: serializers.StaffRosterSerializer,
            **READ_ERRORS,
            404: problem("Nothing is published for the date, or the person is not yours."),
        },
    )
    def get(self, request: Request, staff_id: int, date: str) -> Response:
        day = parse_date(date)
        via = api_via(request)
        staff = get_scoped_or_404(
            Staff.objects.select_related("school", "user"), request.user, via=via, pk=staff_id
        )
        roster = selectors.staff_roster_day(staff=staff, date=day, viewer=request.user)
        if not roster.published:
            raise nothing_published(staff.school, day)
        audit_reads(user=request.user, objects=roster.records, via=via, action=AuditAction.LIST)
        return Response(serializers.StaffRosterSerializer(roster).data)


# --- GET students/{id}/schedule/{date}/ -------------------------------------------------------


class StudentScheduleView(APIView):
    @extend_schema(
        operation_id="student_schedule",
        summary="A student's published day",
        description="Their cohort's blocks on the date (none when they are not enrolled that "
        "day). Each lab and flexible block's ``segments`` are the student's Learning Lab plan "
        "in it, in time order: program time (which program), tutoring or a service (which "
        "group, led by whom, delivering which service need). A caller who may not see the "
        "student's service details gets a service segment without its group and service need "
        "(the student is away for a service). Reading it is recorded in the audit trail, with "
        "the service needs the segments deliver.",
        parameters=[DATE_PARAMETER],
        responses={
            200: serializers.StudentDaySerializer,
            **READ_ERRORS,
            404: problem("Nothing is published for the date, or the student is not yours."),
        },
    )
    def get(self, request: Request, student_id: int, date: str) -> Response:
        day = parse_date(date)
        via = api_via(request)
        student = get_scoped_or_404(
            with_service_sight(Student.objects.select_related("school", "cohort"), request.user),
            request.user,
            via=via,
            pk=student_id,
        )
        student_day = selectors.student_day(student=student, date=day)
        if not student_day.published:
            raise nothing_published(student.school, day)
        audit_reads(user=request.user, objects=student_day.records, via=via)
        return Response(serializers.StudentDaySerializer(student_day).data)


# --- POST schools/{id}/schedules/{date}/build/ and GET builds/{id}/ ---------------------------


def require_write(request: Request, view: APIView, school: School) -> None:
    """Builds change the school's schedules: a token needs its client's write grant
    (``CanWrite``), a person must lead the school (or administer its network). Checked after
    the school is scoped, so a caller of another school gets 404 whatever its grant."""
    if not CanWrite().has_permission(request, view):
        raise exceptions.PermissionDenied(CanWrite.message)
    if not hasattr(request.user, "api_client") and not (
        led_schools(request.user).filter(pk=school.pk).exists()
    ):
        raise exceptions.PermissionDenied(
            gettext("Only the school's leaders can build its schedule.")
        )


class BuildStartView(APIView):
    @extend_schema(
        operation_id="school_schedule_build",
        summary="Start building a school's schedule for a date",
        description="Queues a build (write scope) and answers at once with the job to follow; "
        "a build of the date already under way is returned instead of a second one. The new "
        "version is stored as a draft.",
        parameters=[DATE_PARAMETER],
        request=None,
        responses={
            202: serializers.BuildStartedSerializer,
            **READ_ERRORS,
            403: problem("A read-only token, or a person who does not lead the school."),
            409: problem("The date is not an instructional day with a day type."),
        },
    )
    def post(self, request: Request, school_id: int, date: str) -> Response:
        day = parse_date(date)
        school = get_scoped_or_404(
            School.objects.all(), request.user, via=api_via(request), pk=school_id
        )
        require_write(request, self, school)
        client = getattr(request.user, "api_client", None)
        by: User | None = None
        if client is None:
            # require_write let through only a client's token or a person who leads the school.
            assert isinstance(request.user, User)
            by = request.user
        try:
            job = build_job_start(school=school, date=day, by=by, client=client)
        except DomainError as error:
            error.errors = error.errors or {"date": [str(error)]}
            raise
        status_url = api_reverse(request, "api-build-status", job_id=job.pk)
        return Response(
            serializers.BuildStartedSerializer({"task_id": job.pk, "status_url": status_url}).data,
            status=202,
            headers={"Location": status_url},
        )


class BuildStatusView(APIView):
    @extend_schema(
        operation_id="build_status",
        summary="A build's state and progress",
        description="queued, running (with the phase reached), succeeded (with the version), "
        "infeasible (with the explanations: code, message, suggestion and the setting at "
        "fault) or failed (with the error).",
        responses={
            200: serializers.BuildStatusSerializer,
            401: READ_ERRORS[401],
            404: READ_ERRORS[404],
        },
    )
    def get(self, request: Request, job_id: int) -> Response:
        user = request.user
        job: WithAnnotations[BuildJob, _Led] = get_scoped_or_404(
            BuildJob.objects.select_related("school", "schedule").annotate(
                led=Exists(led_schools(user).filter(pk=OuterRef("school_id")))
            ),
            user,
            via=api_via(request),
            pk=job_id,
        )
        drafts = sees_drafts(user, led=job.led)
        status = selectors.build_status(job=job, drafts=drafts)
        return Response(serializers.BuildStatusSerializer(status).data)
