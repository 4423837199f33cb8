"""Telling people what the night did: leaders get each run's outcome, teachers what changed.

Each leader of the run's school (active, with an email address) gets one message: the version
published and how many blocks moved, that nothing changed, or why nothing was published with
what the school has for the day now (the version kept, a draft carried forward, or nothing), so
they know to act. When a version was published over an earlier one, each teacher whose day
changed gets their day before and after; the others get nothing.

Once per run: the run is claimed (``notified_at`` set where it was empty) in the transaction that
sends, so a second delivery of the task waits for the first and then finds the run claimed, and
a mail server that refuses rolls the claim back and leaves the run to be told again. Bodies are
plain text rendered from ``templates/scheduling/email/``; links start with ``SITE_URL``. Logs
carry ids and counts, never names.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from students.models import Role, Staff

from ..models import FINISHED_RUN_STATES, NightlyRun, RunState
from ..selectors.explanations import explanations_for
from ..selectors.schedule_changes import DayChange, ScheduleChanges, schedule_changes

logger = logging.getLogger(__name__)

TEMPLATES = "scheduling/email"


def nightly_notify(*, run_id: int) -> int:
    """Send the run's messages once; the number of messages sent (0 when the run is not
    finished, was already told, or has nobody to tell)."""
    with transaction.atomic():
        claimed = NightlyRun.objects.filter(
            pk=run_id, notified_at__isnull=True, state__in=FINISHED_RUN_STATES
        ).update(notified_at=timezone.now())
        if not claimed:
            return 0
        run = NightlyRun.objects.select_related(
            "school", "schedule__carried_forward_from", "baseline"
        ).get(pk=run_id)
        changes = _changes(run)
        to_leaders = _leader_messages(run, changes)
        to_teachers = _teacher_messages(run, changes)
        messages = to_leaders + to_teachers
        sent = 0
        if messages:  # one connection for the whole school's messages
            sent = get_connection().send_messages(messages) or 0
    logger.info(
        "nightly notified run_id=%s school_id=%s state=%s leaders=%d teachers=%d sent=%d",
        run.pk,
        run.school_id,
        run.state,
        len(to_leaders),
        len(to_teachers),
        sent,
    )
    return sent


def _message(template: str, context: dict[str, object], to: str) -> EmailMessage:
    subject = render_to_string(f"{TEMPLATES}/{template}_subject.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # a header: one line, whatever the template's spacing
        body=render_to_string(f"{TEMPLATES}/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )


# --- leaders: the outcome -----------------------------------------------------------------------


def _leaders(run: NightlyRun) -> list[Staff]:
    return list(
        Staff.objects.filter(
            school=run.school_id,
            active=True,
            user__is_active=True,
            role_grants__role=Role.LEADER,
        )
        .exclude(user__email="")
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def link(path: str) -> str:
    """The full address of a page of the site, for a message read outside it."""
    return settings.SITE_URL + path


def _changes(run: NightlyRun) -> ScheduleChanges | None:
    """Whose day the run's new version changed; None unless it published over an earlier
    version (a first publication, or no publication, changes nobody's known day)."""
    if run.state != RunState.PUBLISHED or run.schedule is None or run.baseline is None:
        return None
    return schedule_changes(draft=run.schedule, published=run.baseline)


def _outcome_context(run: NightlyRun, changes: ScheduleChanges | None) -> dict[str, object]:
    school_id = run.school_id
    schedule = run.schedule
    day_path = reverse("schedule-day", kwargs={"school_id": school_id})
    return {
        "run": run,
        "school": run.school,
        "schedule": schedule,
        "changes": changes,
        "published": run.state == RunState.PUBLISHED,
        "unchanged": run.state == RunState.UNCHANGED,
        "failed": run.state == RunState.FAILED,
        "explanations": (
            explanations_for(run.reasons, school_id=school_id, date=run.date)
            if run.state == RunState.FAILED
            else []
        ),
        "day_path": link(f"{day_path}?date={run.date.isoformat()}"),
        "review_path": (
            link(
                reverse(
                    "schedule-review", kwargs={"school_id": school_id, "schedule_id": schedule.pk}
                )
            )
            if schedule is not None
            else ""
        ),
        "build_path": link(reverse("build", kwargs={"school_id": school_id})),
        "nights_path": link(reverse("nightly-runs", kwargs={"school_id": school_id})),
    }


def _leader_messages(run: NightlyRun, changes: ScheduleChanges | None) -> list[EmailMessage]:
    leaders = _leaders(run)
    if not leaders:
        return []
    context = _outcome_context(run, changes)
    return [
        _message("nightly_outcome", {**context, "name": str(leader)}, leader.user.email)
        for leader in leaders
    ]


# --- teachers: what changed in their day ----------------------------------------------------


def _teacher_messages(run: NightlyRun, changes: ScheduleChanges | None) -> list[EmailMessage]:
    if changes is None:
        return []
    changed: dict[int, DayChange] = {change.id: change for change in changes.staff}
    if not changed:
        return []
    teachers = (
        Staff.objects.filter(
            pk__in=changed, school=run.school_id, active=True, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )
    day_path = link(f"{reverse('my-day')}?school={run.school_id}&date={run.date.isoformat()}")
    return [
        _message(
            "day_changed",
            {
                "run": run,
                "school": run.school,
                "schedule": run.schedule,
                "baseline": run.baseline,
                "name": str(teacher),
                "change": changed[teacher.pk],
                "day_path": day_path,
            },
            teacher.user.email,
        )
        for teacher in teachers
    ]
