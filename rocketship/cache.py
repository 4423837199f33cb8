"""Django's Redis cache with one redis-py client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the (reused)
connection pool for every cache operation. The connections are reused, but building the client
costs about 0.1-0.2 ms of Python each time (redis-py 5+ sets up retries, callbacks and its
response parser per client), which on the API's hot path (the principal, the published version,
the body and the rate counter: four operations a request) was more than the Redis round trips.
A redis-py client holds no connection of its own (it borrows one from the pool per command), so
one client per pool is safe to share, as redis-py documents.

``incr`` is one round trip too: Django checks ``EXISTS`` and then sends ``INCRBY`` (two round
trips, for every API request's rate counter); a short Lua script does both atomically, with the
same contract (``ValueError`` for a missing key, which must not be created without its timeout).

``read_and_count`` reads some entries and counts a request in a window counter in one round trip
(a pipeline), for the API's token requests: the principal, the cached answer and the rate
counter together. Other cache backends get the same result in several operations.

The cache is never the truth (the database is), so most uses go on without it: ``best_effort``
is the default cache for them, answering "not cached" for a read and skipping a write when
Redis cannot be reached (refused, dropped, timed out, or still loading its append-only file
after a restart), with one warning that names the operation and the error's class, never a key
(keys carry token prefixes and ids). Each use decides (fail open or closed, and why) where it
reads or writes:

- fail open, the database answers: the published version and the rendered schedule
  (``scheduling.published_cache``: a publish never fails for its cache), a token's principal
  (``students.clients``: read from the database), the API's rate counter
  (``students.api.throttling``: a rate limit stops runaway clients, it does not protect data;
  counting resumes with Redis);
- fail closed (the error reaches ``rocketship.unavailable``: 503 with Retry-After): marking a
  token's principal stale when it is revoked or changed (``students.clients.forget_principals``,
  before the change commits: a revocation Redis did not hear of could be undone by a cached
  principal once Redis is back with its append-only file, so the change waits for Redis) and
  the password-reset limit (``rocketship.login_guard``: an unlimited reset form could flood an
  inbox; the form can wait a minute). Login lockouts (django-axes) are in the database.

After an operation given up, the cache *rests* for ``CACHE_REST_SECONDS``: operations in that
process fail at once without touching the network, so a Redis that stalls (rather than refuses)
costs a request one ``CACHE_REDIS_SOCKET_TIMEOUT``, not one for each of its cache operations.
"""

import logging
import threading
import time
from collections.abc import Collection, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a cache that cannot be reached raises: redis-py's errors, among them ConnectionError
# (refused, dropped, or BusyLoadingError while a restarted server reads its append-only file)
# and TimeoutError (CACHE_REDIS_SOCKET_TIMEOUT). The in-memory cache of a Redis-less setup raises
# none of them.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError,)

# Increment an existing key; nil (None) when there is none, so it is never created unexpiring.
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""


class _Resting(RedisConnectionError):
    """An operation not sent: the cache is resting after a failure (a ConnectionError to every
    caller, who treats it as Redis being down, which it was moments ago)."""


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr_existing: Any = None

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        if time.monotonic() < _skipped["resting_until"]:
            # A cache operation failed moments ago (cache_skipped): a Redis that stalls would
            # cost every operation its socket timeout, so none is tried until the rest is over.
            raise _Resting("the cache failed moments ago; not tried (CACHE_REST_SECONDS)")
        # _get_connection_pool, _client, _serializer, _cache: Django's private cache API, not
        # in django-stubs.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            # A race here builds a second client for the same pool: harmless, either works.
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool
            )
        return client

    def incr(self, key: Any, delta: int) -> int:
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            # redis-py's Script sends EVALSHA and loads the script itself after a NOSCRIPT.
            self._incr_existing = client.register_script(INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    def get_many_and_count(
        self, keys: Collection[Any], counter: Any, timeout: int
    ) -> tuple[dict[Any, Any], int]:
        client = self.get_client(None, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.mget(keys)
        # SET NX EX starts the window's counter with its expiry; INCR keeps that expiry. The
        # cache stores integers unpickled, so cache.incr and cache.get agree with these.
        pipe.set(counter, 0, ex=timeout, nx=True)
        pipe.incr(counter)
        values, _, count = pipe.execute()
        found = {
            k: self._serializer.loads(v)  # type: ignore[attr-defined]  # private, as above
            for k, v in zip(keys, values, strict=True)
            if v is not None
        }
        return found, int(count)


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def get_many_and_count(
        self, keys: Collection[str], counter: str, timeout: int
    ) -> tuple[dict[str, Any], int]:
        key_map = {self.make_and_validate_key(key): key for key in keys}
        found, count = self._cache.get_many_and_count(  # type: ignore[attr-defined]  # private
            list(key_map), self.make_and_validate_key(counter), timeout
        )
        return {key_map[k]: v for k, v in found.items()}, count


def count_in_window(counter: str, timeout: int) -> int:
    """Add one to ``counter`` (created expiring after ``timeout`` seconds) and return it."""
    try:
        return cache.incr(counter)  # the usual case: one operation on the shared cache
    except ValueError:  # the window's first request (or its key just expired)
        return 1 if cache.add(counter, 1, timeout=timeout) else cache.incr(counter)


def read_and_count(keys: Collection[str], counter: str, timeout: int) -> tuple[dict[str, Any], int]:
    """``cache.get_many(keys)`` and ``count_in_window(counter, timeout)``, in one round trip on
    Redis."""
    backend = caches["default"]
    if isinstance(backend, ReusedClientRedisCache):
        return backend.get_many_and_count(keys, counter, timeout)
    return backend.get_many(keys), count_in_window(counter, timeout)


# While Redis is down every request skips a few operations: one line per process this often,
# with how many were skipped since the last, keeps an outage's log readable.
SKIPPED_LOG_SECONDS = 10.0


def fresh_skip_state() -> dict[str, float]:
    """Nothing skipped, logged or resting (the process's start; tests start each from it)."""
    return {"count": 0, "logged_at": float("-inf"), "resting_until": float("-inf")}


_skipped = fresh_skip_state()
_skipped_lock = threading.Lock()


def cache_skipped(operation: str, error: BaseException) -> None:
    """Log a cache operation given up (no key: keys carry ids and prefixes), at most once per
    ``SKIPPED_LOG_SECONDS`` a process."""
    now = time.monotonic()
    with _skipped_lock:
        _skipped["count"] += 1
        if not isinstance(error, _Resting):
            _skipped["resting_until"] = now + settings.CACHE_REST_SECONDS
        if now - _skipped["logged_at"] < SKIPPED_LOG_SECONDS:
            return
        count, _skipped["count"], _skipped["logged_at"] = _skipped["count"], 0, now
    logger.warning(
        "cache unavailable: %s skipped error=%s (%d operation(s) skipped since the last line)",
        operation,
        type(error).__name__,
        count,
    )


class BestEffortCache:
    """The default cache for uses that can go on without it: a read that fails finds nothing,
    a write that fails is skipped (returns False), each logged."""

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return cache.get(key, default)
        except CACHE_ERRORS as error:
            cache_skipped("get", error)
            return default

    def get_many(self, keys: Collection[str]) -> dict[str, Any] | None:
        """The entries found, or None when the cache could not be read (not "none found")."""
        try:
            return cache.get_many(keys)
        except CACHE_ERRORS as error:
            cache_skipped("get_many", error)
            return None

    def add(self, key: str, value: Any, timeout: int) -> bool:
        try:
            return bool(cache.add(key, value, timeout))
        except CACHE_ERRORS as error:
            cache_skipped("add", error)
            return False

    def set(self, key: str, value: Any, timeout: int) -> bool:
        try:
            cache.set(key, value, timeout)
        except CACHE_ERRORS as error:
            cache_skipped("set", error)
            return False
        return True

    def set_many(self, entries: Mapping[str, Any], timeout: int) -> bool:
        try:
            cache.set_many(dict(entries), timeout)
        except CACHE_ERRORS as error:
            cache_skipped("set_many", error)
            return False
        return True

    def decr(self, key: str) -> None:
        """Take one back from a counter; nothing when it expired or the cache is down."""
        try:
            cache.decr(key)
        except ValueError:  # the window expired meanwhile
            pass
        except CACHE_ERRORS as error:
            cache_skipped("decr", error)


best_effort = BestEffortCache()
