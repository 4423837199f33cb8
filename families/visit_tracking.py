"""Tracking a home visit after it is planned: its pair (or the school's leaders) mark it done,
moved or declined, and the pair write a short reflection after a done visit.

Moving a visit: with a new date and time the family agreed, the visit is marked *moved* and a
new planned visit of the same pair is stored at that time (checked against the pair's other
visits that day, nothing else re-planned); without one, the household simply waits for the next
"Plan first visits", which plans again every household whose visit was moved
(``visit_planning``).

A reflection is read by the visit's pair and the school's leaders (staff with the leader role
there) only: not by the school's other staff, not by a network admin, not by the API (no
endpoint or serializer carries it). Each read is recorded in the audit trail with ids only.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from students.errors import DomainError
from students.models import AuditAction, AuditEvent, Role, School, Staff
from students.permissions import AnyUser, is_token, leads

from .access import school_today
from .visit_models import REFLECTION_MAX_LENGTH, Visit, VisitReflection, VisitStatus

logger = logging.getLogger("rocketship.families")
audit_logger = logging.getLogger("rocketship.audit")


class VisitTrackingRefused(DomainError):
    code = "visit-tracking-refused"
    title = "The visit cannot be changed that way"
    status = 409


# --- who may do what ---------------------------------------------------------------------------


def is_pair(user: AnyUser, visit: Visit) -> bool:
    """Whether ``user`` is the visit's lead or partner (an active membership of its school)."""
    if is_token(user) or not user.is_authenticated:
        return False
    return Staff.objects.filter(
        pk__in=(visit.lead_id, visit.partner_id), user_id=user.pk, active=True
    ).exists()


def is_school_leader(user: AnyUser, school: School) -> bool:
    """Staff of ``school`` with the leader role. Narrower than ``leads`` on purpose: a network
    admin configures the school but does not read what a pair wrote after a family's visit."""
    if is_token(user) or not user.is_authenticated or not user.is_active:
        return False
    return Staff.objects.filter(
        school=school, user_id=user.pk, active=True, role_grants__role=Role.LEADER
    ).exists()


def may_track(user: AnyUser, visit: Visit) -> bool:
    """The pair and whoever leads the school may mark a visit done, moved or declined."""
    return is_pair(user, visit) or leads(user, visit.school_id)


def may_read_reflection(user: AnyUser, visit: Visit) -> bool:
    return is_pair(user, visit) or is_school_leader(user, visit.school)


# --- status ------------------------------------------------------------------------------------


def _open(visit: Visit) -> None:
    if visit.status != VisitStatus.PLANNED:
        raise VisitTrackingRefused(_("Only a planned visit can be marked."))


@transaction.atomic
def visit_mark_done(*, visit: Visit) -> Visit:
    """The visit took place. Refused before its day (in the school's zone)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _open(visit)
    if visit.date > school_today(visit.school):
        raise VisitTrackingRefused(_("A visit can be marked done on its day or later."))
    visit.status = VisitStatus.DONE
    visit.save(update_fields=["status"])
    logger.info("visit done visit_id=%s school_id=%s", visit.pk, visit.school_id)
    return visit


@transaction.atomic
def visit_decline(*, visit: Visit) -> Visit:
    """The family turned the visit down: the household is not planned again this year."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _open(visit)
    visit.status = VisitStatus.DECLINED
    visit.save(update_fields=["status"])
    logger.info("visit declined visit_id=%s school_id=%s", visit.pk, visit.school_id)
    return visit


@transaction.atomic
def visit_move(
    *,
    visit: Visit,
    date: datetime.date | None = None,
    start: datetime.time | None = None,
    end: datetime.time | None = None,
) -> Visit | None:
    """Mark the visit moved. With a new date and times: store the same pair's visit then and
    return it (refused when it is in the past or overlaps another visit of either educator);
    without: return None, and the next plan places the household again."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _open(visit)
    new = None
    if date is not None and start is not None and end is not None:
        if end <= start:
            raise VisitTrackingRefused(_("The end comes before the start."))
        if date <= school_today(visit.school):
            raise VisitTrackingRefused(_("A visit can be moved to a later day only."))
        pair = (visit.lead_id, visit.partner_id)
        clash = (
            Visit.objects.filter(Q(lead_id__in=pair) | Q(partner_id__in=pair))
            .filter(date=date, start__lt=end, end__gt=start, status__in=Visit.KEPT)
            .exclude(pk=visit.pk)
        )
        if clash.exists():
            raise VisitTrackingRefused(
                _("One of the pair has another visit then. Choose another time.")
            )
        new = Visit.objects.create(
            school=visit.school,
            household=visit.household,
            lead_id=visit.lead_id,
            partner_id=visit.partner_id,
            date=date,
            start=start,
            end=end,
            order=1,
            run=visit.run,
        )
    visit.status = VisitStatus.MOVED
    visit.save(update_fields=["status"])
    logger.info(
        "visit moved visit_id=%s school_id=%s new_visit_id=%s",
        visit.pk,
        visit.school_id,
        new.pk if new else None,
    )
    return new


# --- reflections -------------------------------------------------------------------------------


@transaction.atomic
def reflection_write(*, visit: Visit, user: AnyUser, text: str) -> VisitReflection:
    """Keep the pair's reflection on a done visit (the views let the pair alone call this)."""
    if visit.status != VisitStatus.DONE:
        raise VisitTrackingRefused(_("A reflection follows a visit marked done."))
    if len(text.strip()) > REFLECTION_MAX_LENGTH:
        raise VisitTrackingRefused(_("A reflection is kept short: 2000 characters at most."))
    reflection, _created = VisitReflection.objects.update_or_create(
        visit=visit,
        defaults={"text": text.strip(), "written_by": user, "updated_at": timezone.now()},
    )
    # Ids only: the text never reaches a log.
    logger.info("visit reflection visit_id=%s user_id=%s", visit.pk, user.pk)
    return reflection


def reflection_for(*, user: AnyUser, visit: Visit, via: str) -> VisitReflection | None:
    """The visit's reflection when ``user`` may read it (audited), else None."""
    if not may_read_reflection(user, visit):
        return None
    reflection = VisitReflection.objects.filter(visit=visit).first()
    if reflection is not None:
        AuditEvent.objects.create(
            user_id=user.pk,
            username=user.get_username(),
            action=AuditAction.VIEW,
            model=VisitReflection._meta.label_lower,
            object_id=str(reflection.pk),
            school_id=visit.school_id,
            via=via[:200],
            detail={"visit": visit.pk, "household": visit.household_id},
        )
        audit_logger.info(
            "audit view user_id=%s model=families.visitreflection id=%s via=%s",
            user.pk,
            reflection.pk,
            via,
        )
    return reflection
