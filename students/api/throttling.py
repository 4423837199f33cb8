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
"""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

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

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope, caller = caller_key(request, self)
        # Read at each request, not at import, so settings overrides apply (tests, env reloads).
        rate = (api_settings.DEFAULT_THROTTLE_RATES or {}).get(scope)
        if not rate:
            return True
        limit, duration = parse_rate(rate)
        now = self.timer()
        window = int(now // duration)
        key = f"throttle:{caller}:{duration}:{window}"
        try:
            count = cache.incr(key)  # the usual case: one operation on the shared cache
        except ValueError:  # the window's first request (or its key just expired)
            count = 1 if cache.add(key, 1, timeout=duration + 1) else cache.incr(key)
        self._retry_after = (window + 1) * duration - now
        return count <= limit

    def wait(self) -> float | None:
        # Whole seconds, rounded up: "Retry-After: 0" would invite an immediate retry.
        return max(1, math.ceil(self._retry_after))
