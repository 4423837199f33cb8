"""The API's edges: a body size limit on writes, and problem JSON for every error under /api/.

Apart from ``rocketship.middleware`` because logging loads that module (its request-id filter)
before Django's apps are ready, and this one needs DRF, which cannot be imported that early.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from rest_framework.exceptions import APIException

from .api_errors import PROBLEM_CONTENT_TYPE, is_api_request, problem_response, status_title

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequestBodyTooLarge(APIException):
    """A body grew past the limit while it was read (it came without a Content-Length)."""

    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(too_large_detail(limit))
        self.limit = limit


def too_large_detail(limit: int) -> str:
    return ngettext(
        "The request body is larger than this endpoint accepts (%(limit)d byte).",
        "The request body is larger than this endpoint accepts (%(limit)d bytes).",
        limit,
    ) % {"limit": limit}


class CappedStream:
    """Reads through to ``stream`` and raises once more than ``limit`` bytes came out of it."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._seen = 0

    def _count(self, chunk: bytes) -> bytes:
        self._seen += len(chunk)
        if self._seen > self._limit:
            raise RequestBodyTooLarge(self._limit)
        return chunk

    def read(self, size: int = -1) -> bytes:
        # Never ask for more than one byte past the limit: enough to know it was exceeded.
        allowed = self._limit + 1 - self._seen
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.read(max(size, 0)))

    def readline(self, size: int = -1) -> bytes:
        allowed = self._limit + 1 - self._seen
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.readline(max(size, 0)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def cap_request_body(request: HttpRequest, limit: int) -> bool:
    """Hold ``request``'s body to ``limit`` bytes: False when its Content-Length already says
    more (refuse it before a byte is read), else True with the stream capped, so a body that
    declares less than it sends (or nothing, chunked) raises ``RequestBodyTooLarge`` when read
    past the limit."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.strip().isdigit() and int(declared) > limit:
        return False
    # _stream: the request's private body stream, which CappedStream wraps (not a BinaryIO).
    request._stream = CappedStream(request._stream, limit)  # type: ignore[assignment]
    return True


def body_limit_for(view_func: Callable[..., Any]) -> int:
    """The view's ``max_body_bytes`` (a DRF view class attribute: a number, or a function
    giving it, read at each request) or ``API_MAX_BODY_BYTES``."""
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    limit = getattr(view_class, "max_body_bytes", None)
    if limit is None:
        limit = getattr(view_func, "max_body_bytes", None)
    if callable(limit):
        limit = limit()
    return int(limit if limit is not None else settings.API_MAX_BODY_BYTES)


class ApiBodyLimitMiddleware:
    """Writes under /api/ with a body over the limit answer 413 before anything reads the body.

    A middleware rather than a parser wrapper: it refuses from the Content-Length header before
    authentication, throttling or any query runs and before a byte is read, and it also covers a
    write whose view never parses a body. It sits in ``process_view`` because that is where the
    view, and so its own ``max_body_bytes``, is known. A body without a truthful Content-Length
    (chunked) is capped while read: the stream raises ``RequestBodyTooLarge`` past the limit,
    an APIException that DRF's handler (or ``process_exception``, outside DRF) answers as 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method not in WRITE_METHODS or not is_api_request(request):
            return None
        limit = body_limit_for(view_func)
        if not cap_request_body(request, limit):
            return too_large(limit)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return too_large(exception.limit)
        return None


def too_large(limit: int) -> HttpResponse:
    return problem_response(413, too_large_detail(limit))


# Headers an error answer must keep when its body is replaced.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary", "Cache-Control")


class ApiProblemMiddleware:
    """Any error under /api/ that is not problem JSON yet becomes problem JSON of the same status.

    DRF views and the project's error handlers answer problem JSON already; this catches what
    plain Django views return on their own (``require_GET``'s 405, a bare ``HttpResponseNotFound``)
    so a client never has to parse HTML from the API.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_request(request):
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
        if response.status_code == 405:
            detail = gettext("%(method)s is not allowed here.") % {"method": request.method}
        elif response.status_code == 404:
            detail = gettext("There is no API resource at this address.")
        else:
            detail = gettext("%(title)s.") % {"title": status_title(response.status_code)}
        return problem_response(response.status_code, detail, headers=headers)
