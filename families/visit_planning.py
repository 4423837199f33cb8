"""Plan a school's first home visits: read the school into a ``VisitProblem``, let the planner
(``families.visits``, no Django) choose, check its answer independently, and store it.

Fetch once, then compute: ``visit_problem`` reads everything in a fixed number of queries. The
problem's households are those of the school (a child enrolled there today) that said yes and
have no visit this school year; the visits already planned or done this school year stay as they
are (``kept``) and count against windows and caps, so planning again places only the households
still without one. A visit *moved* leaves its household to be planned again; a visit *declined*
(the family turned it down) does not.

The plan is stored only when ``plan_problems`` finds nothing wrong with it; otherwise nothing is
written and the refusal is logged with ids only.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from scheduling.models import minutes_of
from students.errors import DomainError
from students.models import School, Staff, Student

from .access import school_today
from .visit_models import (
    DEFAULT_WEEKLY_CAP,
    Household,
    HouseholdAnswer,
    SchoolVisitSettings,
    Visit,
    VisitPlanRun,
    VisitSettings,
    VisitStatus,
    VisitWindow,
)
from .visits.planner import PlanOptions, plan_visits
from .visits.problem import (
    DayPart,
    Educator,
    PlannedVisit,
    Preference,
    VisitProblem,
    Weekday,
    Window,
)
from .visits.problem import (
    Household as PlanHousehold,
)
from .visits.validate import plan_problems

logger = logging.getLogger("rocketship.families")

# CP-SAT's own work units, not seconds: the same school gives the same plan on any machine. 4 is
# a few seconds on the reference machine for a school of 600 households (bench/visits.py).
DEFAULT_WORK_LIMIT = 4.0
# How far ahead windows are laid out: ten weeks from tomorrow covers a fall season of first
# visits and keeps the model small.
DEFAULT_HORIZON_DAYS = 70
SCHOOL_YEAR_STARTS = 8  # August: a school year runs August to July


class VisitPlanRefused(DomainError):
    code = "visit-plan-refused"
    title = "The visit plan did not pass its check"
    status = 409


@dataclass(frozen=True)
class VisitInputs:
    """What the planner reads, and what the check reads: the same problem, with each kept
    visit's own time added to its pair's windows and its lead to its household's teachers (a
    kept visit is a fact, planned earlier under windows and teachers that may have changed)."""

    problem: VisitProblem
    check: VisitProblem


def school_year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the school year (August to July) holding ``day``."""
    year = day.year if day.month >= SCHOOL_YEAR_STARTS else day.year - 1
    return datetime.date(year, SCHOOL_YEAR_STARTS, 1), datetime.date(year + 1, 7, 31)


def first_visit_target(school: School, *, today: datetime.date | None = None) -> datetime.date:
    """The school's target date for first visits: its own, else 31 October of the school year."""
    chosen = (
        SchoolVisitSettings.objects.filter(school=school)
        .values_list("first_visit_target", flat=True)
        .first()
    )
    if chosen:
        return chosen
    first, _ = school_year(today or school_today(school))
    return datetime.date(first.year, 10, 31)


def clock(m: int) -> datetime.time:
    return datetime.time(m // 60, m % 60)


def households_of_school(school: School, *, today: datetime.date):
    """The households with a child enrolled at ``school`` on ``today``."""
    enrolled = Student.objects.filter(school=school).enrolled_on(today)
    return Household.objects.filter(guardians__students__in=enrolled.values("pk")).distinct()


def _preferences(raw: object) -> tuple[Preference, ...]:
    found = []
    for item in raw if isinstance(raw, list) else []:
        try:
            weekday = Weekday(int(item["weekday"]))
            part = DayPart(item["part"]) if item.get("part") else None
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry says nothing about when the family is free
        found.append(Preference(weekday, part))
    return tuple(found)


def visit_problem(school: School, *, today: datetime.date | None = None) -> VisitInputs:
    """The school's planning problem, read in a fixed number of queries."""
    today = today or school_today(school)
    year_first, year_last = school_year(today)
    first = today + datetime.timedelta(days=1)  # families are asked ahead: never today
    last = today + datetime.timedelta(
        days=getattr(settings, "HOME_VISIT_HORIZON_DAYS", DEFAULT_HORIZON_DAYS)
    )
    this_year = Q(date__range=(year_first, year_last))

    kept = list(
        Visit.objects.filter(this_year, school=school, status__in=Visit.KEPT).order_by("pk")
    )
    of_school = households_of_school(school, today=today)
    settled = Visit.objects.filter(this_year, household__in=of_school.values("pk")).filter(
        status__in=[*Visit.KEPT, VisitStatus.DECLINED]
    )
    to_plan = set(
        of_school.filter(answer=HouseholdAnswer.YES)
        .exclude(pk__in=settled.values("household_id"))
        .values_list("pk", flat=True)
    )
    wanted = to_plan | {v.household_id for v in kept}
    households = {h.pk: h for h in Household.objects.filter(pk__in=wanted).order_by("pk")}

    # Teachers: active staff of this school who serve the cohort of a child enrolled here.
    child_cohorts = (
        Student.objects.filter(school=school, cohort__isnull=False)
        .enrolled_on(today)
        .filter(guardians__household_member__household__in=list(households))
        .values_list("guardians__household_member__household_id", "cohort_id")
        .distinct()
    )
    cohorts_of: dict[int, set[int]] = defaultdict(set)
    for household_id, cohort_id in child_cohorts:
        cohorts_of[household_id].add(cohort_id)
    serving: dict[int, set[int]] = defaultdict(set)
    for staff_id, cohort_id in Staff.cohorts.through.objects.filter(
        staff__school=school, staff__active=True
    ).values_list("staff_id", "cohort_id"):
        serving[cohort_id].add(staff_id)

    days_of: dict[int, list[Window]] = defaultdict(list)
    for w in VisitWindow.objects.filter(staff__school=school, staff__active=True).order_by("pk"):
        for day in w.days(first, last):
            days_of[w.staff_id].append(Window(day, minutes_of(w.start), minutes_of(w.end)))
    in_kept = {s for v in kept for s in (v.lead_id, v.partner_id)}
    settings_of = {
        s.staff_id: s for s in VisitSettings.objects.filter(staff_id__in=set(days_of) | in_kept)
    }
    educators = []
    for staff_id in sorted(set(days_of) | in_kept):
        own = settings_of.get(staff_id)
        educators.append(
            Educator(
                id=staff_id,
                school=school.pk,
                windows=tuple(sorted(days_of[staff_id], key=lambda w: (w.day, w.start))),
                weekly_cap=own.weekly_cap if own else DEFAULT_WEEKLY_CAP,
                languages=frozenset(own.languages if own else ()) | {"en"},
            )
        )
    planned = tuple(
        PlannedVisit(
            v.household_id,
            v.lead_id,
            v.partner_id,
            v.date,
            minutes_of(v.start),
            minutes_of(v.end),
            v.order,
        )
        for v in kept
    )
    plan_households = []
    for h in households.values():
        teachers = sorted({s for c in cohorts_of[h.pk] for s in serving[c]})
        plan_households.append(
            PlanHousehold(
                id=h.pk,
                teachers=tuple(teachers),
                language=h.language or "en",
                prefers=_preferences(h.preferred_times),
                location=h.location,
            )
        )
    problem = VisitProblem(
        households=tuple(plan_households),
        educators=tuple(educators),
        target=first_visit_target(school, today=today),
        kept=planned,
    )
    return VisitInputs(problem=problem, check=_with_kept_facts(problem))


def _with_kept_facts(problem: VisitProblem) -> VisitProblem:
    """The check's problem. A cap lowered below a week's kept visits is raised to that count
    for the check (the planner adds nothing to such a week), else every later plan would be
    refused for visits it did not make."""
    slots: dict[int, list[Window]] = defaultdict(list)
    leads: dict[int, set[int]] = defaultdict(set)
    weeks: dict[tuple[int, int, int], int] = defaultdict(int)
    for v in problem.kept:
        iso = v.day.isocalendar()
        for e in (v.lead, v.partner):
            slots[e].append(Window(v.day, v.start, v.end))
            weeks[(e, iso.year, iso.week)] += 1
        leads[v.household].add(v.lead)
    most: dict[int, int] = defaultdict(int)
    for (e, _year, _week), count in weeks.items():
        most[e] = max(most[e], count)
    return replace(
        problem,
        educators=tuple(
            replace(
                e,
                windows=e.windows + tuple(slots[e.id]),
                weekly_cap=max(e.weekly_cap, most[e.id]),
            )
            for e in problem.educators
        ),
        households=tuple(
            replace(h, teachers=tuple(sorted(set(h.teachers) | leads[h.id])))
            for h in problem.households
        ),
    )


def plan_first_visits(school: School, user: User | None) -> VisitPlanRun:
    """Plan the first visits of every household of ``school`` that said yes and has none yet,
    store them and the households left out with their reason, in one transaction. Refused
    (``VisitPlanRefused``, nothing written) when the independent check finds a fault."""
    SchoolVisitSettings.objects.get_or_create(school=school)
    with transaction.atomic():
        # One plan of a school at a time: two leaders clicking at once would place twice.
        SchoolVisitSettings.objects.select_for_update().get(school=school)
        inputs = visit_problem(school)
        options = PlanOptions(
            work_limit=float(getattr(settings, "HOME_VISIT_WORK_LIMIT", DEFAULT_WORK_LIMIT))
        )
        plan = plan_visits(inputs.problem, options)
        problems = plan_problems(inputs.check, plan)
        if problems:
            # The sentences name ids only (households, educators, days).
            logger.error(
                "visit plan refused school_id=%s problems=%d first=%s",
                school.pk,
                len(problems),
                problems[0],
            )
            raise VisitPlanRefused(
                "The planner's answer broke a rule, so nothing was stored. Nothing changed."
            )
        kept_households = {v.household for v in inputs.problem.kept}
        new = [v for v in plan.visits if v.household not in kept_households]
        run = VisitPlanRun.objects.create(
            school=school,
            created_by=user if user is not None and user.is_authenticated else None,
            placed=len(new),
            unplaced=[{"household": u.household, "reason": u.reason.value} for u in plan.unplaced],
            stats={
                "optimal": plan.optimal,
                "households": len(inputs.problem.households) - len(kept_households),
                "educators": len(inputs.problem.educators),
            },
        )
        Visit.objects.bulk_create(
            Visit(
                school=school,
                household_id=v.household,
                lead_id=v.lead,
                partner_id=v.partner,
                date=v.day,
                start=clock(v.start),
                end=clock(v.end),
                order=v.order,
                run=run,
            )
            for v in new
        )
    logger.info(
        "visit plan school_id=%s run_id=%s placed=%d unplaced=%d",
        school.pk,
        run.pk,
        len(new),
        len(plan.unplaced),
    )
    return run
