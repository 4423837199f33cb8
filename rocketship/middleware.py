"""A request id on every request and every log line, so a log can be followed without names; and
no secret carried in an address (a calendar feed's ``?token=``, a password-reset link) in a log.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request being served ("-" outside one)."""
    return _request_id.get()


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        # Accept a caller's id only if it looks like one; never echo arbitrary text into logs.
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[self.header] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# A calendar feed's secret (?token=..., scheduling.selectors.feeds) and other secrets in query
# strings; a password-reset link's token (/accounts/reset/<uid>/<token>/, before Django swaps it
# for "set-password"). Matched in a request line, a path or a whole URL.
_SECRET_IN_QUERY = re.compile(r"([?&](?:token|key|secret|password)=)[^&\s\"']+", re.IGNORECASE)
_RESET_TOKEN = re.compile(r"(/reset/[^/\s\"']+/)(?!set-password/)[^/\s\"'?]+")
REDACTED = "[redacted]"


def redact_secrets(text: str) -> str:
    """``text`` with the secrets an address can carry replaced by ``[redacted]``."""
    if "=" not in text and "/reset/" not in text:
        return text
    return _RESET_TOKEN.sub(rf"\1{REDACTED}", _SECRET_IN_QUERY.sub(rf"\1{REDACTED}", text))


class RedactSecretsLogFilter(logging.Filter):
    """Rewrites a log line that holds an address's secret (django.server's request lines,
    django.request's paths, anything else) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
