"""A staff member's day as "My day" shows it and prints it: the blocks in time order, and each
cohort's student list once.

A teacher often sees the same cohort more than once a day (the two halves of a split literacy
block, a cohort back after lunch). Repeating a 25-student list for every such block made the page
thousands of pixels taller and the print several pages long, so the list stands in the cohort's
first block of the day and its later blocks refer to it. Pure computation on the ``StaffDay`` that
``scheduling.selectors.rosters`` read: no query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .rosters import RosterBlock, StaffDay

# The marks paper prints beside a name (``Badge.mark``), in the order of the printed legend.
MARKS = {
    "IEP": _("has an IEP"),
    "EL": _("English learner"),
    "T2": _("intervention tier 2"),
    "T3": _("intervention tier 3"),
    "SpEd": _("special-education minutes"),
    "ELD": _("English language development minutes"),
    "Int": _("intervention minutes"),
}


@dataclass(frozen=True)
class SheetBlock:
    """One block of the day; ``roster_here`` when its cohort's student list stands in it,
    otherwise ``roster_in`` is the earlier block of the same cohort that holds it."""

    block: RosterBlock
    roster_here: bool
    roster_in: RosterBlock | None
    anchor: str  # the id of the cohort's list on the page ("roster-20260901-7")
    also: tuple[str, ...]  # the spans of the cohort's other blocks with this staff member today


@dataclass(frozen=True)
class DaySheet:
    day: StaffDay
    blocks: tuple[SheetBlock, ...]
    legend: tuple[tuple[str, str], ...]  # (mark, meaning) of the marks on the day's lists


def roster_anchor(date: datetime.date, cohort_id: int) -> str:
    """The page id of a cohort's list on a date; unique on a week printed day by day too."""
    return f"roster-{date:%Y%m%d}-{cohort_id}"


def day_sheet(*, day: StaffDay) -> DaySheet:
    """``day``'s blocks, each cohort's list placed in its first block of the day."""
    first_of: dict[int, RosterBlock] = {}
    spans_of: dict[int, list[str]] = {}
    for block in day.blocks:
        first_of.setdefault(block.cohort_id, block)
        spans_of.setdefault(block.cohort_id, []).append(block.span)
    blocks = []
    for block in day.blocks:
        first = first_of[block.cohort_id]
        here = first.id == block.id
        blocks.append(
            SheetBlock(
                block=block,
                roster_here=here,
                roster_in=None if here else first,
                anchor=roster_anchor(day.date, block.cohort_id),
                also=tuple(s for s in spans_of[block.cohort_id] if s != block.span),
            )
        )
    seen = {
        badge.mark
        for block in first_of.values()
        for student in block.students
        for badge in student.badges
    }
    legend = tuple((mark, str(meaning)) for mark, meaning in MARKS.items() if mark in seen)
    return DaySheet(day=day, blocks=tuple(blocks), legend=legend)
