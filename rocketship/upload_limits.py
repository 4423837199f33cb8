"""Upload pages' body limit: a page view that takes a file says how large a body it accepts,
and a larger one is answered 413 with a page saying so, before the body is parsed.

The API's writes have ``ApiBodyLimitMiddleware`` (``rocketship.api_middleware``); this is its
twin for pages, with the same two checks: a declared ``Content-Length`` over the limit is
refused before a byte is read, and a body without one (chunked, under ASGI) is read through a
``CappedStream`` that stops one byte past the limit. It has to run before
``CsrfViewMiddleware``, which parses a POST's body to find its token: this middleware parses it
first, through the capped stream, so an over-long body is a 413 and not an error inside CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from .api_errors import is_api_request
from .api_middleware import WRITE_METHODS, RequestBodyTooLarge, cap_request_body

# Multipart framing and the form's other fields around an uploaded file.
MULTIPART_ALLOWANCE = 1024 * 1024

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def upload_limit(file_bytes: Callable[[], int]) -> Callable[[ViewT], ViewT]:
    """Mark a page view as taking a file of at most ``file_bytes()`` bytes (read at each
    request, so a setting can be changed in tests): its body may be that plus
    ``MULTIPART_ALLOWANCE``."""

    def mark(view: ViewT) -> ViewT:
        view.max_upload_bytes = file_bytes  # type: ignore[attr-defined]
        return view

    return mark


def too_large_page(request: HttpRequest, limit: int) -> HttpResponse:
    """The 413 page: the file is over ``limit`` bytes."""
    message = gettext(
        "The file is larger than %(limit)s, the most this page accepts. Nothing was uploaded: "
        "split the file into smaller ones and upload each, or ask your administrator."
    ) % {"limit": filesizeformat(limit)}
    return render(request, "413.html", {"message": message}, status=413)


class UploadBodyLimitMiddleware:
    """Bodies of POSTs to upload pages over their limit answer the 413 page (see the module's
    docstring). Listed before ``CsrfViewMiddleware``."""

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
        file_bytes = getattr(view_func, "max_upload_bytes", None)
        if file_bytes is None or request.method not in WRITE_METHODS or is_api_request(request):
            return None
        file_limit = file_bytes()
        limit = file_limit + MULTIPART_ALLOWANCE
        if not cap_request_body(request, limit):
            return too_large_page(request, file_limit)
        try:
            request.POST  # noqa: B018 (parsed here, through the capped stream)
        except RequestBodyTooLarge:
            return too_large_page(request, file_limit)
        return None
