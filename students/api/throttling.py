"""Request rates per caller: each API client's tokens share one budget, each signed-in user has
their own, and anonymous callers are counted by address.

Keys are ``client:<id>``, ``user:<id>`` and ``anon:<ip>``; the rates are
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["client" | "user" | "anon"]`` (settings read them from
``API_RATE_CLIENT``, ``API_RATE_USER``, ``API_RATE_ANON``). Over the rate, DRF answers 429 with
``Retry-After`` and the problem handler gives it the usual body.

A fixed window counter, not DRF's sliding log: one atomic ``incr`` per request in the shared cache
(Redis in production), so the count is right across gunicorn workers and the cost does not grow
with the rate. The price is that a caller may burst up to twice the rate across a window boundary,
which a rate limit meant to stop runaway clients can afford.

A token's request is usually counted before it reaches the throttle: once a process has seen a
token, it knows the token's client, and the authentication counts the request in the same cache
round trip that reads the principal (``client_window``, ``request.throttle_counted``).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from rocketship.cache import CACHE_ERRORS, cache_skipped, count_in_window
from rocketship.client_address import client_address

if TYPE_CHECKING:
    from rest_framework.views import APIView

_PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


_RATE = re.compile(r"(?P<count>[0-9]+)/(?P<multiple>[0-9]*)(?P<unit>[smhd])[a-z]*")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/minute"`` -> (600, 60); ``"5/10s"`` -> (5, 10)."""
    match = _RATE.fullmatch(rate.strip())
    if match is None:
        raise ValueError(f"{rate!r} is not a rate like '600/minute'")
    multiple = int(match["multiple"] or 1)
    return int(match["count"]), multiple * _PERIODS[match["unit"]]


@dataclass(frozen=True)
class Window:
    """The current window of one caller's rate: the counter's key and when it resets."""

    key: str
    limit: int
    timeout: int
    retry_after: float


def window_for(scope: str, caller: str) -> Window | None:
    """The caller's current window, or None when the scope has no rate."""
    # Read at each request, not at import, so settings overrides apply (tests, env reloads).
    rate = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(scope)
    if not rate:
        return None
    limit, duration = parse_rate(str(rate))  # a rate string (django-stubs types it as a number)
    now = PrincipalRateThrottle.timer()
    window = int(now // duration)
    return Window(
        key=f"throttle:{caller}:{duration}:{window}",
        limit=limit,
        timeout=duration + 1,
        retry_after=(window + 1) * duration - now,
    )


def client_window(client_id: int) -> Window | None:
    """The window an API client's request counts in (all its tokens share it)."""
    return window_for("client", f"client:{client_id}")


def caller_key(request: Request, throttle: BaseThrottle) -> tuple[str, str]:
    """(the rate's scope, the cache key's caller part) of this request."""
    user = request.user
    client = getattr(user, "api_client", None)
    if client is not None:
        return "client", f"client:{client.pk}"
    if user is not None and user.is_authenticated:
        return "user", f"user:{user.pk}"
    return "anon", f"anon:{throttle.get_ident(request)}"


class PrincipalRateThrottle(BaseThrottle):
    timer = staticmethod(time.time)

    def get_ident(self, request: Request) -> str:
        # The one client address (rocketship.client_address): X-Forwarded-For only behind a
        # trusted proxy, never DRF's NUM_PROXIES reading of whatever header a caller sends.
        return client_address(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        window = window_for(*caller_key(request, self))
        if window is None:
            return True
        counted = getattr(request, "throttle_counted", None)
        if counted is not None and counted[0] == window.key:
            count = counted[1]
        else:
            try:
                count = count_in_window(window.key, window.timeout)
            except CACHE_ERRORS as error:
                # Fail open: a rate limit stops runaway clients, it guards no data, and the
                # API must not go down with its cache (rocketship.cache).
                cache_skipped("rate count", error)
                return True
        self._retry_after = window.retry_after
        return count <= window.limit

    def wait(self) -> float | None:
        # Whole seconds, rounded up: "Retry-After: 0" would invite an immediate retry.
        return max(1, math.ceil(self._retry_after))
