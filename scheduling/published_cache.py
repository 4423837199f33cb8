"""The API's published schedules in Django's cache: which version of a school's date is
published, and that version's rendered body.

``GET /api/v1/schools/{id}/schedules/{date}/`` is polled by display boards and syncs; most
polls only need the published version's id to answer 304 or the cached body. The answer for
``(school, date)`` is cached here, and a newly published version must be served at once, so:

- Saving or deleting a Schedule (a publish or restore saves the versions it changes) marks the
  entry *stale* inside its transaction (``forget_published``, from the signal receivers below),
  and once it commits sets the entry to what the database then says (``refresh_published``).
  A bulk ``update()`` of schedules' status would bypass this: the services never do one.
- A request that finds no entry reads the database and fills with ``cache.add``: it cannot
  overwrite the stale marker or a newer answer with rows it read before the change.
- A stale entry sends requests to the database (which is then the truth) and caches nothing, so
  a transaction that rolls back or a refresh that never ran costs only queries, never a wrong
  answer.

The timeout bounds the one race left: two publishes of the same date whose after-commit
refreshes run in the opposite order of their commits would leave the older one cached for at
most this long.

Absence is not cached (a date with nothing published answers 404 from the database, with the
school's name in the problem): a refresh that finds nothing published leaves the marker.

Every read and write here is best effort (``rocketship.cache.best_effort``): with Redis down or
restarting, a read finds nothing (the database answers and nothing is cached) and a write is
skipped, logged; a publish never fails, nor is rolled back, for its cache. A marker that could
not be written leaves the previous answer cached (a Redis that kept its data across a restart)
for at most ``PUBLISHED_CACHE_SECONDS``, the same bound as the race above.

The body of a published version never changes, so ``published_body`` keeps its rendered JSON bytes
by schedule id and version in three tiers: this process's memory (``RenderedBodies``), then
Django's default cache, which the processes share, then rendering it from the database (and
keeping it in both). The API view keeps the HTTP side (ETag, Last-Modified, 304).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from django.conf import settings
from django.db import transaction
from rest_framework.renderers import JSONRenderer

from rocketship.cache import best_effort
from students.models import School

from .api import serializers
from .models import Schedule, ScheduleStatus
from .selectors import api as api_selectors

PUBLISHED_CACHE_SECONDS = 60
STALE = "stale"
# The cached bytes are a rendering of the version: bump this when the response shape changes,
# so no client gets the old shape from a cache filled before a deploy.
RENDERING = 1
# A version's bytes never go stale; the timeout only bounds how long an old date's schedule
# keeps memory that newer dates could use.
SCHEDULE_CACHE_SECONDS = 7 * 24 * 60 * 60


@dataclass(frozen=True)
class PublishedRef:
    schedule_id: int
    version: int
    published_at: datetime.datetime | None


def published_cache_key(school_id: int, date: datetime.date) -> str:
    return f"api:v1:published:{school_id}:{date:%Y-%m-%d}"


def cached_published(
    school_id: int, date: datetime.date, prefetched: Mapping[str, Any] | None = None
) -> tuple[PublishedRef | None, bool]:
    """(the cached published version or None, whether a database answer may be cached).

    ``prefetched``: the entries already read for this request (the token's authentication reads
    the key with the principal); absent from it means absent from the cache."""
    key = published_cache_key(school_id, date)
    cached = prefetched.get(key) if prefetched is not None else best_effort.get(key)
    if cached is None:
        return None, True
    if cached == STALE:
        return None, False
    return cached, False


def remember_published(school_id: int, date: datetime.date, ref: PublishedRef) -> None:
    """Cache a database answer, unless an entry (a stale marker, a newer answer) is there."""
    best_effort.add(published_cache_key(school_id, date), ref, PUBLISHED_CACHE_SECONDS)


def forget_published(school_id: int, date: datetime.date) -> None:
    """Mark the date's entry stale now and refresh it once the current transaction commits."""
    best_effort.set(published_cache_key(school_id, date), STALE, PUBLISHED_CACHE_SECONDS)
    transaction.on_commit(lambda: refresh_published(school_id, date))


def refresh_published(school_id: int, date: datetime.date) -> None:
    """Set the entry to the committed published version (left stale when there is none)."""
    row = (
        Schedule.objects.filter(school_id=school_id, date=date, status=ScheduleStatus.PUBLISHED)
        .values_list("pk", "version", "published_at")
        .first()
    )
    if row is not None:
        ref = PublishedRef(*row)
        best_effort.set(published_cache_key(school_id, date), ref, PUBLISHED_CACHE_SECONDS)


def forget_saved_schedule(sender: type, instance: Schedule, **kwargs: object) -> None:
    """``post_save`` of a Schedule: publishing, restoring and superseding all save the rows
    they change (``scheduling.services.builds``), and so does any other path (the admin, fixtures).
    A saved draft cannot change what is published, but telling it apart would need the row's
    previous status; schedules are saved rarely, so any save refreshes the date."""
    forget_published(instance.school_id, instance.date)


def forget_deleted_schedule(sender: type, instance: Schedule, **kwargs: object) -> None:
    """``post_delete`` of a Schedule (a school's deletion cascades to them)."""
    forget_published(instance.school_id, instance.date)


# --- The rendered body of a published version -------------------------------------------------


def schedule_cache_key(school_id: int, day: datetime.date) -> str:
    """Where the rendered body of the school's published day is cached, with the schedule id and
    version it renders: keyed by school and date (not by version), so a new version replaces the
    old one's bytes; the version in the value decides whether it is still the published one."""
    return f"api:v1:schedule:{school_id}:{day.isoformat()}:r{RENDERING}"


class RenderedBodies:
    """The newest rendered versions, kept in this process's memory.

    A published version's bytes never change, so a copy in memory can never be wrong (the key
    holds the version; which version is published still comes from the shared cache on every
    request). Fetching ~60 KB from Redis and unpickling it cost more than the rest of a warm
    request, so each process keeps its own copy of what it serves."""

    def __init__(self, entries: int) -> None:
        self._entries: LRUCache | None = LRUCache(maxsize=entries) if entries > 0 else None
        self._lock = threading.Lock()  # gthread workers serve from several threads

    def get(self, key: tuple) -> bytes | None:
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple, body: bytes) -> None:
        if self._entries is not None:
            with self._lock:
                self._entries[key] = body

    def clear(self) -> None:
        if self._entries is not None:
            with self._lock:
                self._entries.clear()


rendered_bodies = RenderedBodies(settings.API_SCHEDULE_MEMORY_ENTRIES)


def published_body(
    *, school_id: int, date: datetime.date, published: PublishedRef, school: School | None
) -> bytes:
    """The rendered JSON of the published version: from this process's memory, else the shared
    cache, else rendered now (and kept in both). ``school``: the school when the caller has read
    it already, else None (one query, only when the version must be rendered)."""
    this_version = (published.schedule_id, published.version)
    memory_key = (school_id, date, *this_version, RENDERING)
    body = rendered_bodies.get(memory_key)
    if body is not None:
        return body
    key = schedule_cache_key(school_id, date)
    cached = best_effort.get(key)  # Redis down: rendered again (rocketship.cache)
    if cached is not None and tuple(cached[:2]) == this_version:
        body = cached[2]
    else:
        if school is None:  # the version came from the cache: one query for the school
            school = School.objects.get(pk=school_id)
        document = api_selectors.published_day(school=school, schedule_id=published.schedule_id)
        body = JSONRenderer().render(serializers.PublishedScheduleSerializer(document).data)
        best_effort.set(key, (*this_version, body), SCHEDULE_CACHE_SECONDS)
    rendered_bodies.put(memory_key, body)
    return body
