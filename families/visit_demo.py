"""Home visits for the demo network: households grouped from its roster, most of them saying
yes, with invented addresses around San Jose and the times they prefer; each educator's
afternoons for visits for the next ten weeks and the languages some of them speak.

Deterministic and safe to run twice: every choice comes from a generator seeded by the row it is
for (a household's first guardian, a staff member's id), and only what is missing is written (a
household's answer still "not asked", a blank address, a staff member without windows).
Addresses and coordinates are invented; nothing here is logged but counts.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction

from students.models import Network, Role, Staff

from .households import households_from_roster
from .visit_models import Household, HouseholdAnswer, VisitSettings, VisitWindow

DEMO_SEED = 22_0022
STREETS = (
    "Alum Rock Avenue",
    "Story Road",
    "King Road",
    "Tully Road",
    "McKee Road",
    "Senter Road",
    "Capitol Expressway",
    "Jackson Avenue",
)
# Around east San Jose: a few kilometres across, so a pair's afternoon is a short drive.
LATITUDES = (37.31, 37.37)
LONGITUDES = (-121.88, -121.81)
ANSWERS = (
    (HouseholdAnswer.YES, 0.72),
    (HouseholdAnswer.NOT_NOW, 0.1),
    (HouseholdAnswer.NO, 0.04),
    (HouseholdAnswer.NOT_ASKED, 0.14),
)
WEEKS = 10
AFTER_DISMISSAL = (datetime.time(15, 45), datetime.time(18, 30))
SATURDAY_MORNING = (datetime.time(10, 0), datetime.time(13, 0))


@dataclass(frozen=True)
class DemoVisits:
    households: int
    answered: int
    windows: int


def _household_rng(household: Household) -> random.Random:
    first = min((g.sourced_id or str(g.pk) for g in household.guardians.all()), default="")
    return random.Random(f"{DEMO_SEED}:{first or household.pk}")


def _fill_household(household: Household) -> bool:
    rng = _household_rng(household)
    draw, answer = rng.random(), HouseholdAnswer.NOT_ASKED
    for choice, share in ANSWERS:
        if draw < share:
            answer = choice
            break
        draw -= share
    lat = round(rng.uniform(*LATITUDES), 6)
    lon = round(rng.uniform(*LONGITUDES), 6)
    address = f"{rng.randint(100, 2999)} {rng.choice(STREETS)}, San Jose, CA"
    days = sorted(rng.sample(range(5), 2))
    part = rng.choice([None, "afternoon", "evening"])
    prefers = [] if rng.random() < 0.5 else [{"weekday": d, "part": part} for d in days]
    changed = []
    if household.answer == HouseholdAnswer.NOT_ASKED and answer != HouseholdAnswer.NOT_ASKED:
        household.answer = answer
        household.preferred_times = prefers
        changed += ["answer", "preferred_times"]
    if not household.address:
        household.address, household.latitude, household.longitude = address, lat, lon
        changed += ["address", "latitude", "longitude"]
    if changed:
        household.save(update_fields=changed)
    return "answer" in changed


@transaction.atomic
def seed_home_visits(network: Network, *, today: datetime.date) -> DemoVisits:
    """Fill in the demo network's households and its teachers' time for visits."""
    households_from_roster(network)
    households = list(
        Household.objects.filter(network=network).prefetch_related("guardians").order_by("pk")
    )
    answered = sum(_fill_household(h) for h in households)
    # Every educator but the leaders: teachers lead their students' visits, and the ILS staff,
    # tutors and specialists go along as partners.
    teachers = (
        Staff.objects.filter(school__network=network, active=True)
        .exclude(role_grants__role=Role.LEADER)
        .order_by("pk")
    )
    windows = 0
    first, last = today + datetime.timedelta(days=1), today + datetime.timedelta(weeks=WEEKS)
    for staff in teachers:
        if staff.visit_windows.exists():
            continue
        rng = random.Random(f"{DEMO_SEED}:staff:{staff.pk}")
        for weekday in sorted(rng.sample(range(4), 2)):  # two of Monday to Thursday
            VisitWindow.objects.create(
                staff=staff,
                weekday=weekday,
                starts_on=first,
                ends_on=last,
                start=AFTER_DISMISSAL[0],
                end=AFTER_DISMISSAL[1],
            )
            windows += 1
        if rng.random() < 0.25:
            VisitWindow.objects.create(
                staff=staff,
                weekday=5,
                starts_on=first,
                ends_on=last,
                start=SATURDAY_MORNING[0],
                end=SATURDAY_MORNING[1],
            )
            windows += 1
        draw = rng.random()
        languages = ["es"] if draw < 0.3 else ["vi"] if draw < 0.38 else []
        VisitSettings.objects.get_or_create(staff=staff, defaults={"languages": languages})
    return DemoVisits(households=len(households), answered=answered, windows=windows)
