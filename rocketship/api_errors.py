"""One error path for the API: every error answers as problem JSON (RFC 9457).

Services raise ``students.errors.DomainError`` (or Django's ValidationError); this handler turns
them, and DRF's own exceptions, into ``{"type", "title", "status", "detail", "errors"}``.

Errors that never reach a DRF view answer in the same shape under ``/api/``: the project's
``handler404`` / ``handler500`` / ``handler400`` / ``handler403`` below (an unknown API URL, an
uncaught exception), and ``rocketship.middleware.ApiProblemMiddleware`` for error responses that a
plain Django view returns (a 405 from ``require_GET``, say). Elsewhere the HTML pages stay.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views import defaults
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from students.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if request is not None:
        # Errors are JSON whatever the client accepts: the browsable API would otherwise render
        # an HTML page labelled application/problem+json.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, DomainError):
        body = problem_body(exc.status, str(exc), errors=exc.errors, kind=exc.code)
        body["title"] = str(exc.title)
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)

    response = exception_handler(exc, context)
    if response is None:
        return None
    errors = errors_by_field(response.data) if isinstance(exc, exceptions.ValidationError) else {}
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = problem_body(
        response.status_code,
        str(detail) if detail else gettext("The request has errors; see errors."),
        errors=errors,
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def errors_by_field(data: Any) -> dict[str, Any]:
    """``errors`` is always an object: a list of messages becomes ``non_field_errors``, and a
    bulk body's per-item errors are keyed by the item's index (only the items that failed)."""
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        if all(isinstance(item, dict) for item in data):
            return {str(index): item for index, item in enumerate(data) if item}
        return {"non_field_errors": data}
    return {"non_field_errors": [str(data)]}


def problem_body(
    status: int, detail: str, *, errors: dict[str, Any] | None = None, kind: str = ""
) -> dict[str, Any]:
    return {
        "type": f"about:blank#{kind}" if kind else "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "errors": errors or {},
    }


def problem_response(
    status: int,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """A problem answer made outside DRF (middleware, Django's error handlers)."""
    return JsonResponse(
        problem_body(status, detail, errors=errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def status_title(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return gettext("Error")


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


# --- Django's error handlers (rocketship.urls names them) ----------------------------------------
# Their messages never echo the exception: a 500's text may hold data, and a 404's names nothing
# a client should learn about another school.


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(404, gettext("There is no API resource at this address."))
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return problem_response(500, gettext("The server failed to answer; the error was logged."))
    return defaults.server_error(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(400, gettext("The request could not be read."))
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_response(403, gettext("You may not do this."))
    return defaults.permission_denied(request, exception)
