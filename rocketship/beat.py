"""The beat's scheduler: RedBeat's, surviving the loss of its lock or of Redis for a while.

RedBeat keeps the schedule in Redis and holds a lock there (``CELERY_REDBEAT_LOCK_TIMEOUT``)
that each tick renews, so a second beat started for failover waits instead of sending every
task twice. RedBeat's own scheduler raises when the renewal fails, and the beat exits: after a
Redis restart without persistence (the lock is gone, and the schedule with it), while Redis is
unreachable, or after the beat stalled past the lock's timeout. The sweeper and the nightly
fan-out would then stop until someone restarts the beat. This scheduler instead:

- Redis unreachable: skips the tick, logs it, and tries again ``RETRY_SECONDS`` later;
- the lock gone (Redis restarted empty, or the lock expired): takes it again if it is free,
  logs that, and goes on; a Redis that restarted empty lost the schedule and the queued tasks
  too: the entries are installed again, due at once, so the sweep and the fan-out run now;
- the lock held by another beat: sends nothing (two beats would send everything twice) and
  tries for the lock on each tick, as a beat waiting at its start does; it takes over once the
  other stops renewing it.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, get_redis
from redis.exceptions import LockError

logger = logging.getLogger(__name__)

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
# While Redis cannot be reached, ask again this often (seconds; at most the beat's loop interval).
RETRY_SECONDS = 5.0


class LockKeepingRedBeatScheduler(RedBeatScheduler):
    """RedBeat's scheduler that takes its lost lock again rather than exiting (module doc)."""

    standing_by = False  # another beat holds the lock: this one sends nothing
    lock: redis.lock.Lock | None  # RedBeat's; None while this beat never held it
    redis_down = False  # logged once an outage, not on every retry

    def tick(self, min: Any = min, **kwargs: Any) -> float:
        try:
            interval = self._tick_holding_the_lock(min=min, **kwargs)
        except REDIS_DOWN as error:
            if not self.redis_down:
                logger.warning(
                    "beat: Redis unreachable (%s); nothing is sent until it answers, asking "
                    "every %g s",
                    error,
                    self.retry_seconds,
                )
            self.redis_down = True
            return self.retry_seconds
        if self.redis_down:
            logger.warning("beat: Redis answers again")
            self.redis_down = False
        return interval

    def _tick_holding_the_lock(self, min: Any, **kwargs: Any) -> float:
        if self.lock_key and self.lock is None and not self._take_lock():
            return self.max_interval  # never took it (Redis was down at the start)
        try:
            return super().tick(min=min, **kwargs)
        except LockError:
            # Renewing failed (the tick's first step, before anything is sent): the lock is no
            # longer ours. Taken again, the next tick runs at once.
            return 0 if self._take_lock() else self.max_interval

    @property
    def retry_seconds(self) -> float:
        return float(min(RETRY_SECONDS, self.max_interval))

    def _take_lock(self) -> bool:
        """Take the lock if no other beat holds it; install the schedule again once taken."""
        never_held = self.lock is None  # RedBeat's start could not take it (Redis was down)
        if never_held:
            # As RedBeat's start makes it: same key and timeout, its extend-to script.
            client = get_redis(self.app)
            lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
            lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        else:
            lock = self.lock
        if not lock.acquire(blocking=False):
            if not self.standing_by:
                logger.warning(
                    "beat: another beat holds the lock %s; this one sends nothing and tries "
                    "for the lock every %g s",
                    self.lock_key,
                    self.max_interval,
                )
            self.standing_by = True
            self.lock = lock
            return False
        self.lock = lock
        if self.standing_by:
            logger.warning("beat: took the lock %s over from another beat", self.lock_key)
        elif never_held:
            logger.warning("beat: took the lock %s (Redis answers again)", self.lock_key)
        else:
            logger.warning(
                "beat: took the lock %s again: it was lost (Redis restarted without "
                "persistence, or the lock expired)",
                self.lock_key,
            )
        self.standing_by = False
        client = get_redis(self.app)
        if not client.exists(self.app.redbeat_conf.schedule_key):
            # Redis restarted empty: it lost the queued tasks with the schedule. The entries
            # go back as never run, due at once: the sweep finds what was lost, the fan-out
            # starts who is due, now rather than one interval later.
            for name, definition in self.app.redbeat_conf.schedule.items():
                entry = self._maybe_entry(name, definition)
                entry.last_run_at = None
                entry.save()
        # Entries still there keep their last run (RedBeat's update_from_dict).
        self.setup_schedule()
        return True

    def close(self) -> None:
        """RedBeat's, but a Redis gone at shutdown does not turn a clean stop into a crash."""
        try:
            super().close()
        except (*REDIS_DOWN, LockError) as error:
            logger.warning("beat: could not release the lock at shutdown: %s", error)
            self.lock = None
