"""One error path for the API: every error answers as problem JSON (RFC 9457).

Services raise ``students.errors.DomainError`` (or Django's ValidationError); this handler turns
them, and DRF's own exceptions, into ``{"type", "title", "status", "detail", "errors"}``.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from students.errors import DomainError


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, DomainError):
        body = {
            "type": f"about:blank#{exc.code}",
            "title": exc.title,
            "status": exc.status,
            "detail": str(exc),
            "errors": exc.errors,
        }
        return Response(body, status=exc.status, content_type="application/problem+json")

    response = exception_handler(exc, context)
    if response is None:
        return None
    errors = response.data if isinstance(exc, exceptions.ValidationError) else {}
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = {
        "type": "about:blank",
        "title": status_title(response.status_code),
        "status": response.status_code,
        "detail": str(detail) if detail else "The request has errors; see errors.",
        "errors": errors,
    }
    response.content_type = "application/problem+json"
    return response


def status_title(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"
