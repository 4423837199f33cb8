"""An independent check of a visit plan against the rules, written apart from the planner: the
planner's answer is only trusted once this finds nothing wrong.

Each problem found is one sentence naming the household, educator or day at fault.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from itertools import pairwise

from .problem import ENGLISH, PlannedVisit, VisitPlan, VisitProblem
from .routes import travel_minutes


def plan_problems(problem: VisitProblem, plan: VisitPlan) -> tuple[str, ...]:
    educators = {e.id: e for e in problem.educators}
    households = {h.id: h for h in problem.households}
    found: list[str] = []
    seen: set[int] = set()
    for v in plan.visits:
        where = f"household {v.household} on {v.day.isoformat()}"
        household = households.get(v.household)
        lead, partner = educators.get(v.lead), educators.get(v.partner)
        if household is None or lead is None or partner is None:
            found.append(f"{where}: unknown household or educator")
            continue
        if v.household in seen:
            found.append(f"{where}: visited twice")
        seen.add(v.household)
        if v.lead not in household.teachers:
            found.append(f"{where}: educator {v.lead} teaches none of its children")
        if v.partner == v.lead or partner.school != lead.school:
            found.append(f"{where}: educator {v.partner} is not a colleague of {v.lead}")
        language = household.language
        school_speaks = any(
            language in e.languages for e in problem.educators if e.school == lead.school
        )
        pair_speaks = language in lead.languages or language in partner.languages
        if language != ENGLISH and school_speaks and not pair_speaks:
            found.append(f"{where}: nobody in the pair speaks {language}")
        if v.end - v.start != problem.visit_minutes:
            found.append(f"{where}: lasts {v.end - v.start} minutes")
        for e in (lead, partner):
            if not any(w.day == v.day and w.start <= v.start and v.end <= w.end for w in e.windows):
                found.append(f"{where}: outside educator {e.id}'s window")
        if household.prefers and not any(p.allows(v.day, v.start) for p in household.prefers):
            found.append(f"{where}: at a time the family did not choose")
    found += _overlaps(problem, plan.visits)
    found += _caps(problem, plan.visits)
    unplaced = {u.household for u in plan.unplaced}
    for h in problem.households:
        if h.id not in seen and h.id not in unplaced:
            found.append(f"household {h.id}: neither visited nor listed with a reason")
    return tuple(found)


def _overlaps(problem: VisitProblem, visits: tuple[PlannedVisit, ...]) -> list[str]:
    """An educator is at one household at a time, with the travel between two in between."""
    households = {h.id: h for h in problem.households}
    days: dict[tuple[int, datetime.date], list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        days[(v.lead, v.day)].append(v)
        days[(v.partner, v.day)].append(v)
    found = []
    for (educator, day), theirs in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        theirs.sort(key=lambda v: v.start)
        for a, b in pairwise(theirs):
            gap = travel_minutes(households[a.household], households[b.household], problem)
            if a.end + gap > b.start:
                found.append(
                    f"educator {educator} on {day.isoformat()}: households {a.household} and "
                    f"{b.household} are {b.start - a.end} minutes apart, {gap} needed"
                )
    return found


def _caps(problem: VisitProblem, visits: tuple[PlannedVisit, ...]) -> list[str]:
    weeks: dict[tuple[int, int, int], int] = defaultdict(int)
    for v in visits:
        iso = v.day.isocalendar()
        for e in (v.lead, v.partner):
            weeks[(e, iso.year, iso.week)] += 1
    caps = {e.id: e.weekly_cap for e in problem.educators}
    return [
        f"educator {e} in week {week} of {year}: {count} visits, cap {caps[e]}"
        for (e, year, week), count in sorted(weeks.items())
        if count > caps.get(e, 0)
    ]
