"""503 Service Unavailable, not 500, while the database (or Redis) cannot be reached.

A database that refuses connections (a restart, a failover, a full connection table) is an outage
to wait out, not a bug: pages answer a short "try again" page and the API a problem JSON body,
both with ``Retry-After``, so browsers, API clients and load balancers retry instead of reporting
an error. Neither answer touches the database: the page is rendered without a request context,
so no context processor (the navigation, the user) runs.

Two paths reach it. ``process_exception`` catches the error raised in a view (DRF passes
exceptions it does not know, such as ``OperationalError``, on to Django unhandled), which is
where the first query of a request runs: the session and the user load lazily, inside the view.
A middleware's own query (the session saved on the way out) fails outside any view, where Django
turns the error into a 500 before an outer middleware could catch it; a ``got_request_exception``
receiver marks the request then, and ``__call__`` answers 503 in place of that 500. Hence the
middleware sits above the session and authentication middleware.

Redis is the other server a request may need: most uses of the cache go on without it
(``rocketship.cache``), but what cannot (revoking a token, the password-reset limit, queueing a
task on the broker) answers the same 503 with Retry-After, naming "a service" instead of the
database. A database that does not answer in time (``rocketship.db_timeouts``) raises the same
``OperationalError`` as one that refuses.
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

import kombu.exceptions
import redis.exceptions
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext, gettext_noop

from .api_errors import is_api_request, problem_response
from .middleware import RequestIdMiddleware, current_request_id

logger = logging.getLogger(__name__)

# Connection-level failures: the server refused or dropped the connection, or it was closed.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# Redis refused, dropped or timed out (or is loading its append-only file after a restart:
# BusyLoadingError is a ConnectionError), as the cache or, through kombu, as the broker. A
# ResponseError (a wrong command) is a bug and stays a 500.
SERVICE_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)
RETRY_AFTER_SECONDS = 30
DETAIL = gettext_noop("The database is unreachable right now; try again in a moment.")
SERVICE_DETAIL = gettext_noop(
    "A service the site needs is unreachable right now; try again in a moment."
)
_MARK = "_rocketship_database_unavailable"
_REQUEST_ID = "_rocketship_request_id"


def is_unavailable(exception: BaseException | None) -> bool:
    """The database or Redis cannot be reached: an outage to wait out, a 503."""
    return isinstance(exception, UNAVAILABLE_ERRORS + SERVICE_ERRORS)


def unavailable_response(
    request: HttpRequest, exception: BaseException | None = None
) -> HttpResponse:
    """The 503 answer: problem JSON under /api/, else the standalone page; no query either way.
    It names the database unless ``exception`` says Redis was the one unreachable."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    database = not isinstance(exception, SERVICE_ERRORS)
    if is_api_request(request):
        detail = gettext(DETAIL if database else SERVICE_DETAIL)
        return problem_response(503, detail, headers=headers)
    # No request: no context processors (they would query the database).
    body = loader.get_template("503.html").render({"database": database})
    return HttpResponse(body, status=503, headers=headers)


def _logged(response: HttpResponse) -> HttpResponse:
    """Our warning is the outage's log line: Django would log every 5xx again as an error."""
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log
    return response


def _log(request: HttpRequest, exception: BaseException | None, request_id: str) -> None:
    # The path without its query string (a search may hold a name), and the error's class only:
    # its message names hosts and databases, which the operator's database logs already have.
    logger.warning(
        "%s unavailable: answered 503 request_id=%s method=%s path=%s error=%s",
        "redis" if isinstance(exception, SERVICE_ERRORS) else "database",
        request_id,
        request.method,
        request.path,
        type(exception).__name__ if exception is not None else "-",
    )


def _mark_unavailable(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django is about to answer 500 for an uncaught error: remember when it was the database's."""
    error = sys.exc_info()[1]
    if request is not None and is_unavailable(error):
        setattr(request, _MARK, error)


got_request_exception.connect(_mark_unavailable, dispatch_uid="rocketship.unavailable")


class DatabaseUnavailableMiddleware:
    """503 for a view's database error (``process_exception``) and for a middleware's
    (``__call__``, after the receiver above marked the request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _MARK, None)
        if error is None or response.status_code != 500:
            return response
        # Outside the request id middleware's span by now: the id was kept in process_view.
        request_id = getattr(request, _REQUEST_ID, "-")
        _log(request, error, request_id)
        unavailable = unavailable_response(request, error)
        if request_id != "-":
            unavailable[RequestIdMiddleware.header] = request_id
        return _logged(unavailable)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # Inside every middleware here, the request id is known: keep it for __call__.
        setattr(request, _REQUEST_ID, current_request_id())

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        return answer_unavailable(request, exception)


def answer_unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The logged 503 for a database error met where no view runs yet (a middleware's
    ``process_view``): Django would log it as a 500 before ``__call__`` could answer."""
    _log(request, exception, current_request_id())
    return _logged(unavailable_response(request, exception))
