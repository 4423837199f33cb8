"""Family accounts listening to other apps: roster imports invite new guardians (when their
school asks for it), and every login of a guardian, on any page, gets a long phone session."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from students.signals import guardians_imported

from .boundary import SESSION_FLAG
from .invitation_tasks import invite_by_email_task  # imported here: workers register the task
from .invitations import invite_imported


@receiver(guardians_imported)
def invite_imported_guardians(sender: Any, guardian_ids: list[int], **kwargs: Any) -> None:
    """Queue the invitation emails of the guardians an import brought (sent after commit)."""
    for school_id, ids in invite_imported(guardian_ids=guardian_ids).items():
        transaction.on_commit(
            partial(invite_by_email_task.delay, ids, school_id, None, "roster import")
        )


@receiver(user_logged_in)
def family_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A guardian's session lasts ``FAMILY_SESSION_DAYS`` (they read on a phone, and an emailed
    link each morning would be friction); staff keep ``SESSION_COOKIE_AGE``. The session also
    remembers it is a family's, so the boundary middleware needs no query per request."""
    session = getattr(request, "session", None)
    if session is None or not hasattr(user, "family_account"):
        return
    session[SESSION_FLAG] = True
    # Seconds, not a date: the session's age counts again from each time it is saved.
    session.set_expiry(int(datetime.timedelta(days=settings.FAMILY_SESSION_DAYS).total_seconds()))
