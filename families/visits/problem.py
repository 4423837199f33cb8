"""The home-visit planning problem and its answer, as frozen plain data: no Django.

A visit goes to a *household* (guardians and children living together, across cohorts and the
network's schools) and is made by a *pair* of educators: the *lead* teaches one of the
household's children; the *partner* is a colleague at the lead's school, and the pair includes
someone who speaks the family's language whenever the lead's school has such a person. Visits
happen inside both educators' windows (after dismissal, chosen weekends) on days the family said
suit them, within each educator's weekly cap; one pair's visits of one day are ordered to cut
travel. Times are minutes since local midnight; days are ``datetime.date``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

ENGLISH = "en"


class Weekday(IntEnum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


class DayPart(StrEnum):
    """When in a day a family can host: before 5 p.m. (``AFTERNOON``) or from 5 p.m."""

    AFTERNOON = "afternoon"
    EVENING = "evening"


EVENING_FROM = 17 * 60


@dataclass(frozen=True)
class Preference:
    """A time a family said suits them: a weekday and, optionally, a part of the day."""

    weekday: Weekday
    part: DayPart | None = None

    def allows(self, day: datetime.date, start: int) -> bool:
        if day.weekday() != self.weekday:
            return False
        if self.part is None:
            return True
        return (start >= EVENING_FROM) == (self.part == DayPart.EVENING)


@dataclass(frozen=True)
class Window:
    """An educator's time for visits on one day."""

    day: datetime.date
    start: int
    end: int


@dataclass(frozen=True)
class Educator:
    id: int
    school: int
    windows: tuple[Window, ...]
    weekly_cap: int = 3
    languages: frozenset[str] = frozenset({ENGLISH})


@dataclass(frozen=True)
class Household:
    """A household that said yes. ``teachers`` are the educators who teach one of its children;
    empty ``prefers`` means any time the educators can come; ``location`` is (latitude,
    longitude) when the address has coordinates."""

    id: int
    teachers: tuple[int, ...]
    language: str = ENGLISH
    prefers: tuple[Preference, ...] = ()
    location: tuple[float, float] | None = None

    def starts(
        self, day: datetime.date, start: int, end: int, minutes: int
    ) -> tuple[int, int] | None:
        """The earliest and latest start of a ``minutes`` visit inside ``start``..``end`` on
        ``day`` that the family said suits them, or ``None``."""
        latest = end - minutes
        if latest < start:
            return None
        if not self.prefers:
            return (start, latest)
        parts = {p.part for p in self.prefers if p.weekday == day.weekday()}
        if not parts:
            return None
        if None in parts or parts == {DayPart.AFTERNOON, DayPart.EVENING}:
            return (start, latest)
        if parts == {DayPart.AFTERNOON}:
            lo, hi = start, min(latest, EVENING_FROM - 1)
        else:
            lo, hi = max(start, EVENING_FROM), latest
        return (lo, hi) if lo <= hi else None


@dataclass(frozen=True)
class PlannedVisit:
    """One visit: the household, the pair, the day and time, and its place in the pair's route
    that day (1 for the first)."""

    household: int
    lead: int
    partner: int
    day: datetime.date
    start: int
    end: int
    order: int = 1


@dataclass(frozen=True)
class VisitProblem:
    households: tuple[Household, ...]
    educators: tuple[Educator, ...]
    target: datetime.date  # first visits should happen on or before this day
    visit_minutes: int = 60
    # Between two visits when either address has no coordinates; otherwise from the distance.
    travel_minutes: int = 15
    speed_kmh: float = 25.0  # door to door in town, parking included
    # Visits already planned or made: kept as they are, counted against windows and caps.
    kept: tuple[PlannedVisit, ...] = ()
    # Partners considered per lead and day: the best-suited few keep the model small.
    partners_per_lead: int = 4


class UnplacedReason(StrEnum):
    """Why a household got no visit.

    ``NO_TEACHER``: no educator teaches one of its children. ``NO_SHARED_WINDOW``: no day when
    one of its teachers and a colleague are both free and the family can host.
    ``NO_LANGUAGE_MATCH``: such days exist, but never with one of the school's speakers of the
    family's language. ``CAPS_FULL``: possible days exist, but the educators' weekly caps and
    afternoons are taken by other visits.
    """

    NO_TEACHER = "no-teacher"
    NO_SHARED_WINDOW = "no-shared-window"
    NO_LANGUAGE_MATCH = "no-language-match"
    CAPS_FULL = "caps-full"


@dataclass(frozen=True)
class Unplaced:
    household: int
    reason: UnplacedReason


@dataclass(frozen=True)
class VisitPlan:
    """The visits planned and the households left out, each with its reason. ``placeable``
    counts the households with at least one visit the rules allow (kept ones included): no plan
    places more, so a plan that places them all is ``optimal`` in what matters most."""

    visits: tuple[PlannedVisit, ...]
    unplaced: tuple[Unplaced, ...]
    optimal: bool = False
    placeable: int = 0
    stats: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def placed_share(self) -> float:
        total = len(self.visits) + len(self.unplaced)
        return len(self.visits) / total if total else 1.0
