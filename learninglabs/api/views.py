"""``POST /api/v1/progress/``: a client pushes a batch of Learning Lab progress records.

Thin: parse every item, let ``learninglabs.services`` check them against the database and store
all or nothing, answer the counts.
"""

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rocketship.api_parsers import BoundedJSONParser
from students.api.permissions import CanWrite
from students.permissions import api_via

from ..services import (
    MAX_RECORDS_PER_PUSH,
    ProgressRejected,
    progress_record_errors,
    progress_records_upsert,
    writable_schools,
)
from .serializers import (
    ProgressPushResultSerializer,
    ProgressRecordInSerializer,
    parse_progress_items,
)

# 5,000 records of about 200 bytes each, with room for pretty-printed JSON.
MAX_BODY_BYTES = 5 * 1024 * 1024


class LeadsASchool(permissions.BasePermission):
    """After ``CanWrite`` (a token needs the write grant): a person must lead a school or
    administer a network. Which schools' students they may write is checked per record."""

    message = gettext_lazy("Only a school's leaders (or network admins) can push progress.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request.user, "api_client", None) is not None:
            return True  # CanWrite has checked the client's write grant
        return writable_schools(request.user).exists()


def _by_index(errors: dict[str, Any]) -> dict[str, Any]:
    """Item errors in the order of the items (JSON keys are strings: "10" sorts after "9")."""
    return dict(
        sorted(errors.items(), key=lambda item: (0, int(item[0])) if item[0].isdigit() else (1, 0))
    )


class ProgressPushView(APIView):
    permission_classes = [CanWrite, LeadsASchool]
    parser_classes = [BoundedJSONParser]
    max_body_bytes = MAX_BODY_BYTES  # the API's body-size check answers 413 above this

    @extend_schema(
        operation_id="progress_push",
        summary="Push Learning Lab progress records",
        description=(
            "A JSON list of at most "
            f"{MAX_RECORDS_PER_PUSH} records. Every item is checked (the student among the "
            "caller's schools and enrolled on the date, the program's code at the student's "
            "school, the date not in the future, minutes 0-600, ...). When any item is refused "
            "the answer is 400 with `errors` keyed by item index and field, and nothing is "
            "stored. Otherwise all are stored in one transaction: a record is identified by "
            "(student, program, date, source), so pushing it again replaces its numbers and "
            "pushing the same body twice changes nothing. 201 when a record was created, else 200."
        ),
        request=ProgressRecordInSerializer(many=True),
        responses={
            200: ProgressPushResultSerializer,
            201: ProgressPushResultSerializer,
            400: OpenApiResponse(description="Some items are refused; nothing was stored."),
            401: OpenApiResponse(description="No or an invalid token or session."),
            403: OpenApiResponse(description="The caller has no write access."),
            413: OpenApiResponse(description="The body is larger than 5 MiB."),
        },
        examples=[
            OpenApiExample(
                "Two records",
                request_only=True,
                value=[
                    {
                        "student": 812,
                        "program": "st-math",
                        "date": "2026-11-23",
                        "minutes": 32,
                        "lessons_completed": 2,
                        "mastery_level": "71.50",
                    },
                    {
                        "student": 813,
                        "program": "lexia",
                        "date": "2026-11-23",
                        "minutes": 25,
                        "lessons_completed": 1,
                        "mastery_level": None,
                        "source": "csv:lexia",
                    },
                ],
            ),
            OpenApiExample(
                "Refused items",
                response_only=True,
                status_codes=["400"],
                value={
                    "type": "about:blank#progress-rejected",
                    "title": "Progress records were refused",
                    "status": 400,
                    "detail": "2 of 40 records have errors; nothing was stored.",
                    "errors": {
                        "3": {"minutes": ["Ensure this value is less than or equal to 600."]},
                        "17": {
                            "student": ["No student with id 9 among the schools you may write to."]
                        },
                    },
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, list):
            raise ProgressRejected(
                gettext("Send a JSON list of progress records."),
                errors={"non_field_errors": [gettext("Expected a list of records.")]},
            )
        if len(body) > MAX_RECORDS_PER_PUSH:
            raise ProgressRejected.too_many(len(body))
        via = api_via(request)
        items, shape_errors = parse_progress_items(body)
        if shape_errors:
            errors = {
                **shape_errors,
                **progress_record_errors(records=items, by=request.user, via=via),
            }
            raise ProgressRejected.with_errors(_by_index(errors), len(body))
        try:
            result = progress_records_upsert(records=items, by=request.user, via=via)
        except ProgressRejected as refused:
            refused.errors = _by_index(refused.errors)
            raise
        answer = ProgressPushResultSerializer(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "total": result.total,
            }
        )
        return Response(
            answer.data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )
