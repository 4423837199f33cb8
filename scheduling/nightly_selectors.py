"""Reads of the nightly runs: a school's recent nights for its leaders' page, and the runs the
API lists. Reads only; each in a fixed number of queries however many runs there are."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from students.models import School

from .models import NightlyRun

# Two school weeks and their weekends: enough to see a pattern (the same failure every night)
# without a page that grows all year.
NIGHTS_PER_PAGE = 14


@dataclass(frozen=True)
class Night:
    night: datetime.date
    runs: tuple[NightlyRun, ...]  # newest first: a manual re-run above the nightly one


@dataclass(frozen=True)
class NightsPage:
    nights: tuple[Night, ...]  # newest night first
    older: datetime.date | None  # pass as ``before`` for the next, older page; None at the end

    @property
    def runs(self) -> tuple[NightlyRun, ...]:
        return tuple(run for night in self.nights for run in night.runs)


def nightly_runs() -> QuerySet[NightlyRun]:
    """Every run with what a listing prints (its school, the version it names, the day a draft
    was carried forward from, who started it by hand), newest night first, in a stable order.
    Not scoped: callers narrow it to what the user may see."""
    return NightlyRun.objects.select_related(
        "school", "schedule__carried_forward_from", "started_by"
    ).order_by("-night", "school_id", "-queued_at", "-pk")


def nightly_runs_page(
    *,
    school: School,
    night: datetime.date | None = None,
    before: datetime.date | None = None,
    per_page: int = NIGHTS_PER_PAGE,
) -> NightsPage:
    """The school's runs of one ``night``, or of its ``per_page`` latest nights with a run
    (before ``before`` when given), grouped by night. Two queries."""
    runs = nightly_runs().filter(school=school)
    if night is not None:
        nights = [night]
        older = None
    else:
        earlier = runs if before is None else runs.filter(night__lt=before)
        # One more than a page: whether an older page exists, without counting them all.
        found = list(
            earlier.order_by("-night").values_list("night", flat=True).distinct()[: per_page + 1]
        )
        nights = found[:per_page]
        older = nights[-1] if len(found) > per_page else None
    by_night: dict[datetime.date, list[NightlyRun]] = {day: [] for day in nights}
    if nights:
        for run in runs.filter(night__in=nights):
            by_night[run.night].append(run)
    return NightsPage(
        nights=tuple(Night(day, tuple(found_runs)) for day, found_runs in by_night.items()),
        older=older,
    )
