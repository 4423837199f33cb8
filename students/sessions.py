"""Ending a user's sessions, whatever session backend is configured."""

import logging
from importlib import import_module

from django.conf import settings

from .models import UserSession

logger = logging.getLogger(__name__)


def sessions_end_for_user(*, user_id: int) -> int:
    """End every session the user logged in with; returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user_id=user_id).delete()
    logger.info("ended %d session(s) of user_id=%s", len(keys), user_id)
    return len(keys)


def sessions_forget_expired() -> int:
    """Drop bookkeeping rows of sessions old enough to have expired anyway."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    deleted, _ = UserSession.objects.filter(started_at__lt=cutoff).delete()
    return deleted
