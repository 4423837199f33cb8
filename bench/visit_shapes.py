"""Generated networks for the home-visit planner: schools, educators with afternoon and
weekend windows, and households with teachers, languages, preferences and addresses.

Used by ``bench.visits`` and the planner's tests (small ones). Seeded: one seed, one network.
"""

from __future__ import annotations

import datetime
import random

from families.visits.problem import (
    DayPart,
    Educator,
    Household,
    Preference,
    VisitProblem,
    Weekday,
    Window,
)

FIRST_MONDAY = datetime.date(2026, 9, 7)
TARGET = datetime.date(2026, 10, 31)
# Roughly a city's east side: schools a few kilometres apart, families within 6 km of theirs.
CENTRE = (37.35, -121.85)
LANGUAGES = (("en", 0.55), ("es", 0.35), ("vi", 0.10))


def visit_network(
    *,
    households: int = 600,
    educators: int = 60,
    weeks: int = 6,
    schools: int = 3,
    weekly_cap: int = 4,
    seed: int = 0,
) -> VisitProblem:
    rng = random.Random(seed)
    centres = [
        (CENTRE[0] + rng.uniform(-0.04, 0.04), CENTRE[1] + rng.uniform(-0.04, 0.04))
        for _ in range(schools)
    ]
    staff: list[Educator] = []
    teachers_of: dict[int, list[int]] = {s: [] for s in range(schools)}
    for i in range(educators):
        school = i % schools
        speaks = {"en"}
        if rng.random() < 0.3:
            speaks.add("es")
        if rng.random() < 0.06:
            speaks.add("vi")
        weekdays = rng.sample(range(5), rng.choice((2, 3)))
        windows = []
        for week in range(weeks):
            monday = FIRST_MONDAY + datetime.timedelta(weeks=week)
            for wd in weekdays:
                end = rng.choice((18 * 60, 19 * 60, 19 * 60 + 30))
                windows.append(Window(monday + datetime.timedelta(days=wd), 15 * 60 + 30, end))
            if week % 2 == i % 2 and rng.random() < 0.5:
                windows.append(Window(monday + datetime.timedelta(days=5), 10 * 60, 13 * 60))
        staff.append(Educator(i + 1, school, tuple(windows), weekly_cap, frozenset(speaks)))
        # Four in five educators teach a homeroom (each school's first always); the rest
        # (resource, lab) partner.
        if i < schools or rng.random() < 0.8:
            teachers_of[school].append(i + 1)
    homes: list[Household] = []
    for h in range(households):
        school = h % schools
        own = teachers_of[school]
        teachers = rng.sample(own, min(len(own), rng.choice((1, 1, 1, 2))))
        language = rng.choices([c for c, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        prefers: tuple[Preference, ...] = ()
        if rng.random() < 0.6:
            prefers = tuple(
                Preference(Weekday(wd), rng.choice((None, DayPart.AFTERNOON, DayPart.EVENING)))
                for wd in rng.sample(range(6), rng.choice((1, 2, 3)))
            )
        location = None
        if rng.random() < 0.85:
            lat, lon = centres[school]
            location = (lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05))
        homes.append(Household(h + 1, tuple(teachers), language, prefers, location))
    return VisitProblem(households=tuple(homes), educators=tuple(staff), target=TARGET)
