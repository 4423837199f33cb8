"""The invitation emails a leader's "invite everyone" and a roster import queue: thin tasks that
take ids, call ``families.invitations`` and are safe to run twice (a guardian already invited or
with an account is skipped)."""

from __future__ import annotations

from celery import shared_task

from .invitations import invitations_email_many


@shared_task(name="families.invitation_tasks.invite_by_email")
def invite_by_email_task(
    guardian_ids: list[int], school_id: int, by_id: int | None, via: str
) -> int:
    """Email an invitation to each guardian of ``guardian_ids`` still waiting for one."""
    return invitations_email_many(
        guardian_ids=guardian_ids, school_id=school_id, by_id=by_id, via=via
    )
