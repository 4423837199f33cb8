"""Notices: a published day that moves a child's blocks reaches the child's guardians.

When a version of a school's date is published over another (``scheduling.signals.day_published``
with a ``previous`` version), each cohort's blocks are compared with that version
(``scheduling.selectors.schedule_changes``, the diff the staff emails use). For each child of a
cohort whose day moved, and each of the child's guardians whose account wants messages
(``notices`` each or digest) and may see the child (``families.access.children_of``), one
``FamilyNotice`` records what moved, in ids and times: the words are written in the guardian's
language when the message is sent (``families.notice_messages``).

What is not a change, and so sends nothing:

- a date's first publication: the family has never been told a day, so nothing "moved";
- a publication that moves no block of the child's cohort;
- a day already past in the school's time zone (there is nothing left to plan for).

Sending: an account set to ``each`` gets one email as soon as the notices are recorded (a
Celery task, eager in development and tests); one set to ``digest`` gets one email a day at
``FAMILY_DIGEST_HOUR`` in its child's school's zone, with every notice since the last one. A
sender holds the account's row (``select_for_update``) while it sends and marks the notices
sent in the same transaction, so two workers never send a notice twice, and a mail server
that refuses rolls the marks back for the next try. Replaying a publish creates nothing new
(one notice per account, child and version: ``family_notice_once_per_version``), so it sends
nothing new. A restore that publishes a version again whose notices a guardian already had is
not told again for the same child (same version id).

Logs carry ids and counts, never names.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from itertools import zip_longest

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from scheduling.models import Schedule, ScheduleStatus
from scheduling.selectors.schedule_changes import BlockView, DayChange, schedule_changes
from students.models import Guardian, Student

from .access import children_of
from .models import FamilyAccount, FamilyNotice, NoticeChoice
from .notice_messages import notices_message

logger = logging.getLogger(__name__)

# A notice for an account set to "each" that is still unsent this long after it was recorded
# lost its task (a worker died, the broker dropped it): the digest beat sends it then.
EACH_LOST_AFTER = datetime.timedelta(minutes=10)


# --- recording ------------------------------------------------------------------------------


def _slot(block: BlockView | None) -> dict[str, object] | None:
    if block is None:
        return None
    return {
        "start": block.start.strftime("%H:%M"),  # storage, not display: ISO clock times
        "end": block.end.strftime("%H:%M"),
        "room": block.room_id,
        "staff": block.staff_id,
    }


def cohort_moves(change: DayChange) -> list[dict[str, object]]:
    """The blocks of one cohort's day that moved, as ids and times: each changed block before
    paired with the changed block of the same activity after, in time order (a block with no
    partner was added or dropped)."""
    before: dict[str, list[BlockView]] = defaultdict(list)
    after: dict[str, list[BlockView]] = defaultdict(list)
    for block in change.before:
        if block.changed:
            before[block.station].append(block)
    for block in change.after:
        if block.changed:
            after[block.station].append(block)
    moves: list[dict[str, object]] = []
    for station in before.keys() | after.keys():
        for old, new in zip_longest(before[station], after[station]):
            moves.append({"station": station, "before": _slot(old), "after": _slot(new)})
    return sorted(
        moves,
        key=lambda m: ((m["after"] or m["before"])["start"], m["station"]),  # type: ignore[index]
    )


def notices_record(*, schedule_id: int, previous_id: int | None) -> list[int]:
    """Record what publishing ``schedule_id`` over ``previous_id`` moved for each child, owed to
    each guardian who wants messages; the ids of the accounts set to ``each`` that now have
    notices to send. Safe to run twice (the second run records nothing new).

    A first publication of a day (``previous_id`` None) is not a change: nothing is recorded.
    """
    if previous_id is None:
        return []
    schedule = Schedule.objects.select_related("school").filter(pk=schedule_id).first()
    if schedule is None:
        return []
    previous = Schedule.objects.filter(pk=previous_id, school_id=schedule.school_id).first()
    if previous is None or previous.date != schedule.date:
        return []
    if schedule.status != ScheduleStatus.PUBLISHED:
        return []  # published over again meanwhile: that publication tells what changed
    today = timezone.localtime(timezone=schedule.school.zone).date()
    if schedule.date < today:
        return []
    moved = {
        change.id: cohort_moves(change)
        for change in schedule_changes(draft=schedule, published=previous).cohorts
    }
    if not moved:
        logger.info(
            "family notices schedule_id=%s previous_id=%s: no cohort moved",
            schedule.pk,
            previous.pk,
        )
        return []
    links = (
        Guardian.students.through.objects.filter(
            student__school_id=schedule.school_id,
            student__cohort_id__in=moved,
            guardian__active=True,
            guardian__account__isnull=False,
        )
        .exclude(guardian__account__notices=NoticeChoice.OFF)
        .values_list("guardian__account", "student_id")
    )
    wanted: dict[int, set[int]] = defaultdict(set)
    for account_id, student_id in links:
        wanted[account_id].add(student_id)
    accounts = FamilyAccount.objects.filter(pk__in=wanted).select_related("guardian")
    notices = []
    for account in accounts:
        for child in children_of(account):
            if child.pk in wanted[account.pk] and _enrolled_on(child, schedule.date):
                assert child.cohort_id is not None  # wanted holds children of moved cohorts
                notices.append(
                    FamilyNotice(
                        account=account,
                        student=child,
                        date=schedule.date,
                        schedule_id=schedule.pk,
                        changes=moved[child.cohort_id],
                    )
                )
    before = FamilyNotice.objects.filter(schedule_id=schedule.pk).count()
    FamilyNotice.objects.bulk_create(notices, ignore_conflicts=True)
    recorded = FamilyNotice.objects.filter(schedule_id=schedule.pk).count() - before
    logger.info(
        "family notices schedule_id=%s previous_id=%s cohorts_moved=%d recorded=%d",
        schedule.pk,
        previous.pk,
        len(moved),
        recorded,
    )
    return sorted({n.account_id for n in notices if n.account.notices == NoticeChoice.EACH})


def _enrolled_on(child: Student, date: datetime.date) -> bool:
    return child.enrollment_start <= date and (
        child.enrollment_end is None or date <= child.enrollment_end
    )


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    messages: int
    notices: int


def notices_send(*, account_id: int, wait: bool = True) -> Sent:
    """Send ``account_id`` one email with every notice it is owed, and mark them sent.

    The account's row is held while sending: a second sender waits (``wait``) and then finds
    nothing left, or (``wait=False``, the digest beat) skips an account another worker holds.
    Notices the guardian may no longer read (a child withdrawn, messages turned off, a day
    already past) are dropped unsent.
    """
    with transaction.atomic():
        account = (
            FamilyAccount.objects.select_for_update(skip_locked=not wait, of=("self",))
            .select_related("guardian", "user")
            .filter(pk=account_id)
            .first()
        )
        if account is None:
            return Sent(0, 0)
        pending = list(
            account.notices_owed.filter(sent_at__isnull=True).select_related("student__school")
        )
        if not pending:
            return Sent(0, 0)
        keep, drop = _still_owed(account, pending)
        if drop:
            FamilyNotice.objects.filter(pk__in=[n.pk for n in drop]).delete()
        address = account.user.email or account.guardian.email
        if not keep or not address or not account.user.is_active:
            logger.info(
                "family notices account_id=%s dropped=%d unsendable=%d",
                account.pk,
                len(drop),
                len(keep),
            )
            return Sent(0, 0)
        message = notices_message(
            account=account,
            notices=keep,
            to=address,
            digest=account.notices == NoticeChoice.DIGEST,
        )
        sent = get_connection().send_messages([message]) or 0
        FamilyNotice.objects.filter(pk__in=[n.pk for n in keep]).update(sent_at=timezone.now())
    logger.info(
        "family notices sent account_id=%s notices=%d dropped=%d digest=%s",
        account.pk,
        len(keep),
        len(drop),
        account.notices == NoticeChoice.DIGEST,
    )
    return Sent(sent, len(keep))


def _still_owed(
    account: FamilyAccount, pending: list[FamilyNotice]
) -> tuple[list[FamilyNotice], list[FamilyNotice]]:
    if account.notices == NoticeChoice.OFF or not account.guardian.active:
        return [], pending
    visible = {child.pk for child in children_of(account)}
    keep: list[FamilyNotice] = []
    drop: list[FamilyNotice] = []
    for notice in pending:
        today = timezone.localtime(timezone=notice.student.school.zone).date()
        (keep if notice.student_id in visible and notice.date >= today else drop).append(notice)
    return keep, drop


def digest_due_at(notice: FamilyNotice) -> datetime.datetime:
    """When a digest carries ``notice``: the first ``FAMILY_DIGEST_HOUR`` o'clock in its
    child's school's zone after it was recorded."""
    zone = notice.student.school.zone
    recorded = timezone.localtime(notice.created_at, timezone=zone)
    due = recorded.replace(hour=settings.FAMILY_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if due <= recorded:
        due = datetime.datetime.combine(recorded.date() + datetime.timedelta(days=1), due.timetz())
    return due


def _due(notice: FamilyNotice, now: datetime.datetime) -> bool:
    if notice.account.notices == NoticeChoice.DIGEST:
        return digest_due_at(notice) <= now
    return notice.created_at <= now - EACH_LOST_AFTER  # "each": its task was lost


def notices_send_due(*, now: datetime.datetime | None = None) -> int:
    """The digest beat: send each digest account whose digest time has come its one email, and
    each ``each`` account whose notice lost its task; the number of emails sent."""
    now = now or timezone.now()
    pending = FamilyNotice.objects.filter(sent_at__isnull=True).select_related(
        "account", "student__school"
    )
    due = {notice.account_id for notice in pending if _due(notice, now)}
    sent = sum(notices_send(account_id=account_id, wait=False).messages for account_id in due)
    if due:
        logger.info("family digest accounts_due=%d sent=%d", len(due), sent)
    return sent


# --- preferences ----------------------------------------------------------------------------


def account_notices_set(*, account: FamilyAccount, notices: str) -> FamilyAccount:
    """Keep how often ``account`` hears of changes; turning them off drops what was owed."""
    with transaction.atomic():
        if account.notices != notices:
            account.notices = notices
            account.save(update_fields=["notices"])
        if notices == NoticeChoice.OFF:
            account.notices_owed.filter(sent_at__isnull=True).delete()
    logger.info("family notices preference account_id=%s notices=%s", account.pk, notices)
    return account
