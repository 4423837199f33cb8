"""Reads of home visits for the pages: a school's households and plan, one educator's visits,
who may read an address, and the audit record of every household read.

Addresses are shown only to a visit's pair and the school's leaders (``may_see_address``);
other staff of the school see a household without it. Each page that shows households records
one audit event per household (``audit_households``), with ids only.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from students.models import AuditAction, AuditEvent, School, Staff, Student
from students.permissions import AnyUser, is_token, leads

from .access import school_today
from .visit_models import Household, Visit, VisitPlanRun, VisitStatus
from .visit_planning import households_of_school, school_year
from .visits.problem import UnplacedReason

logger = logging.getLogger("rocketship.audit")


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def reason_text(reason: str, language: str) -> str:
    """An unplaced household's reason, in plain words for a leader."""
    if reason == UnplacedReason.NO_TEACHER:
        return _("No teacher of a child at this school")
    if reason == UnplacedReason.NO_LANGUAGE_MATCH:
        return _("None of the school's speakers of %(language)s is free with a teacher") % {
            "language": language_name(language)
        }
    if reason == UnplacedReason.CAPS_FULL:
        return _("The educators' weekly visits are all taken")
    return _("No time when one of the child's teachers, a colleague and the family are all free")


# --- audit -------------------------------------------------------------------------------------


def audit_households(
    *,
    user: AnyUser | None,
    households: Iterable[Household],
    school: School,
    via: str,
    action: str = AuditAction.VIEW,
    addresses: bool = False,
) -> None:
    """Record a read of each household (``students.audit`` records student records only)."""
    who = user if user is not None and user.is_authenticated else None
    events = [
        AuditEvent(
            user_id=who.pk if who is not None else None,
            username=who.get_username() if who is not None else "",
            action=action,
            model=Household._meta.label_lower,
            object_id=str(h.pk),
            school_id=school.pk,
            via=via[:200],
            detail={"address": addresses},
        )
        for h in households
    ]
    if events:
        AuditEvent.objects.bulk_create(events)
        logger.info(
            "audit %s user_id=%s model=families.household count=%d via=%s",
            action,
            events[0].user_id,
            len(events),
            via,
        )


# --- who may read what -------------------------------------------------------------------------


def may_see_address(user: AnyUser, household: Household, school: School) -> bool:
    """The school's leaders, and the pair of one of the household's visits planned or done (a
    visit moved or declined no longer makes its pair the household's visitors)."""
    if leads(user, school.pk):
        return True
    return Visit.objects.filter(
        Q(lead__user_id=user.pk, lead__active=True)
        | Q(partner__user_id=user.pk, partner__active=True),
        household=household,
        school=school,
        status__in=Visit.KEPT,
    ).exists()


# --- a school's households and plan ------------------------------------------------------------


@dataclass
class HouseholdRow:
    household: Household
    teachers: list[Staff] = field(default_factory=list)
    children: int = 0
    visit: Visit | None = None


def household_rows(school: School) -> list[HouseholdRow]:
    """The school's households with their teachers here and this year's visit. Four queries."""
    today = school_today(school)
    first, last = school_year(today)
    rows = {
        h.pk: HouseholdRow(h)
        for h in households_of_school(school, today=today)
        .prefetch_related("guardians")
        .order_by("pk")
    }
    cohorts: dict[int, set[int]] = defaultdict(set)
    for household_id, cohort_id in (
        Student.objects.filter(school=school)
        .enrolled_on(today)
        .filter(guardians__household_member__household__in=list(rows))
        .values_list("guardians__household_member__household_id", "cohort_id")
        .distinct()
    ):
        rows[household_id].children += 1
        if cohort_id:
            cohorts[household_id].add(cohort_id)
    serving: dict[int, list[Staff]] = defaultdict(list)
    for staff in (
        Staff.objects.filter(school=school, active=True, cohorts__isnull=False)
        .select_related("user")
        .prefetch_related("cohorts")
        .distinct()
    ):
        for cohort in staff.cohorts.all():
            serving[cohort.pk].append(staff)
    for household_id, row in rows.items():
        seen: dict[int, Staff] = {}
        for cohort_id in cohorts[household_id]:
            seen.update({s.pk: s for s in serving[cohort_id]})
        row.teachers = sorted(seen.values(), key=str)
    for visit in (
        Visit.objects.filter(school=school, household__in=list(rows), date__range=(first, last))
        .exclude(status=VisitStatus.MOVED)
        .select_related("lead__user", "partner__user")
        .order_by("date", "start")
    ):
        rows[visit.household_id].visit = rows[visit.household_id].visit or visit
    return list(rows.values())


@dataclass
class EducatorPlan:
    educator: Staff
    days: list[tuple[datetime.date, list[Visit]]]


def plan_by_educator(school: School) -> list[EducatorPlan]:
    """This school year's planned and done visits, by educator (lead or partner) and day."""
    first, last = school_year(school_today(school))
    visits = list(
        Visit.objects.filter(school=school, status__in=Visit.KEPT, date__range=(first, last))
        .select_related("lead__user", "partner__user", "household")
        .prefetch_related("household__guardians")
        .order_by("date", "start", "pk")
    )
    by: dict[int, dict[datetime.date, list[Visit]]] = defaultdict(lambda: defaultdict(list))
    staff: dict[int, Staff] = {}
    for v in visits:
        for s in (v.lead, v.partner):
            staff[s.pk] = s
            by[s.pk][v.date].append(v)
    return [
        EducatorPlan(staff[pk], sorted(days.items()))
        for pk, days in sorted(by.items(), key=lambda kv: str(staff[kv[0]]))
    ]


@dataclass(frozen=True)
class UnplacedRow:
    household: Household
    reason: str


def latest_unplaced(school: School) -> tuple[VisitPlanRun | None, list[UnplacedRow]]:
    """The last plan's households left out that still have no visit, with their reason."""
    run = VisitPlanRun.objects.filter(school=school).first()
    if run is None:
        return None, []
    first, last = school_year(school_today(school))
    ids = [item["household"] for item in run.unplaced]
    visited = set(
        Visit.objects.filter(
            household_id__in=ids, status__in=Visit.KEPT, date__range=(first, last)
        ).values_list("household_id", flat=True)
    )
    households = Household.objects.prefetch_related("guardians").in_bulk(
        [i for i in ids if i not in visited]
    )
    return run, [
        UnplacedRow(
            households[item["household"]],
            reason_text(item["reason"], households[item["household"]].language),
        )
        for item in run.unplaced
        if item["household"] in households
    ]


# --- one educator ------------------------------------------------------------------------------


def visits_of_user(user: AnyUser) -> list[Visit]:
    """The user's visits (as lead or partner, at any school they work at now), this school
    year's and later, planned or done."""
    if is_token(user) or not user.is_authenticated:
        return []  # only an account has visits
    mine = Staff.objects.filter(user_id=user.pk, active=True)
    first = school_year(timezone.localdate())[0] - datetime.timedelta(days=1)
    return list(
        Visit.objects.filter(
            Q(lead__in=mine) | Q(partner__in=mine), status__in=Visit.KEPT, date__gt=first
        )
        .select_related("school", "household", "lead__user", "partner__user")
        .prefetch_related("household__guardians")  # the family's names on My home visits
        .order_by("date", "start", "pk")
    )


def visits_of_staff(staff: Staff, *, first: datetime.date) -> list[Visit]:
    return list(
        Visit.objects.filter(
            Q(lead=staff) | Q(partner=staff), status__in=Visit.KEPT, date__gte=first
        )
        .select_related("household", "lead__user", "partner__user")
        .order_by("date", "start", "pk")
    )
