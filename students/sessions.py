"""Sessions that can all be ended: each session a user is signed in with is remembered
(``UserSession``), including the new key a session gets when it is rotated (a password change
calls ``cycle_key`` through ``update_session_auth_hash``), so deactivating a user ends every one.

This module is also the session engine (``SESSION_ENGINE = "students.sessions"``): Django's
database sessions, with ``cycle_key`` moving the bookkeeping row to the new key, and a save
that lets a lost database be one: Django's turns any database error of an update into
``UpdateError`` ("the session was deleted meanwhile"), which its middleware answers 400; an
unreachable database is an outage, answered 503 with Retry-After (``rocketship.unavailable``).
"""

import logging
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .models import UserSession

logger = logging.getLogger(__name__)


class SessionStore(DatabaseSessionStore):
    """Database sessions whose rotation keeps the user's session remembered under its new key."""

    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            lost = error.__context__
            if isinstance(lost, (OperationalError, InterfaceError)):
                raise lost from None  # the database went away, not the session
            raise

    def cycle_key(self) -> None:
        old_key = self.session_key
        super().cycle_key()
        user_id = self.get(SESSION_KEY)
        if old_key:
            UserSession.objects.filter(session_key=old_key).delete()
        if user_id is not None and self.session_key:
            UserSession.objects.update_or_create(
                session_key=self.session_key, defaults={"user_id": user_id}
            )


def sessions_end_for_user(*, user_id: int) -> int:
    """End every session the user is signed in with; returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user_id=user_id, session_key__in=keys).delete()
    logger.info("ended %d session(s) of user_id=%s", len(keys), user_id)
    return len(keys)


def sessions_forget_expired() -> int:
    """Drop bookkeeping rows of sessions old enough to have expired anyway."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    deleted, _ = UserSession.objects.filter(started_at__lt=cutoff).delete()
    return deleted
