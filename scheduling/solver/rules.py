"""The configuration rules a rotation template must meet, in one place, free of Django.

The models' ``clean()`` (and so the admin, the template editor and every form) and the solver's
pre-checks ask the same questions of a template: can a station's minutes be cut into its allowed
blocks, and do the stations fill the day. Both ask them here and say the answer in the same words;
each caller only supplies its own way of writing the grade and the day's times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .words import tr, trn


def reachable(minutes: int, shortest: int, longest: int, step: int, blocks: int) -> bool:
    """Whether ``minutes`` is a sum of at most ``blocks`` lengths from ``shortest`` to
    ``longest`` in steps of ``step``."""
    lengths = range(shortest, longest + 1, max(step, 1))
    sums = {0}
    for _ in range(max(blocks, 0)):
        sums |= {s + n for s in sums for n in lengths if s + n <= minutes}
    return minutes in sums


def cannot_split(
    code: str,
    minutes: int,
    shortest: int,
    longest: int,
    step: int,
    blocks: int,
    *,
    grade: str | None = None,
) -> str | None:
    """Why a station's ``minutes`` cannot be cut into its blocks, or None when they can.

    The step is named only when it is the reason (the minutes split with 1-minute steps).
    With ``grade`` (as the reader should see it, "Grade 3") the station is named as that
    grade's ("Grade 3's lab needs ...")."""
    if reachable(minutes, shortest, longest, step, blocks):
        return None
    values: dict[str, object] = {
        "grade": grade,
        "station": code,
        "minutes": minutes,
        "shortest": shortest,
        "longest": longest,
        "step": step,
    }
    if reachable(minutes, shortest, longest, 1, blocks):
        if grade is not None:
            return trn(
                "%(grade)s's %(station)s needs %(minutes)s minutes, which cannot be made of at "
                "most %(count)s block of %(shortest)s-%(longest)s minutes in steps of %(step)s.",
                "%(grade)s's %(station)s needs %(minutes)s minutes, which cannot be made of at "
                "most %(count)s blocks of %(shortest)s-%(longest)s minutes in steps of %(step)s.",
                blocks,
                **values,
            )
        return trn(
            "%(station)s needs %(minutes)s minutes, which cannot be made of at most %(count)s "
            "block of %(shortest)s-%(longest)s minutes in steps of %(step)s.",
            "%(station)s needs %(minutes)s minutes, which cannot be made of at most %(count)s "
            "blocks of %(shortest)s-%(longest)s minutes in steps of %(step)s.",
            blocks,
            **values,
        )
    if grade is not None:
        return trn(
            "%(grade)s's %(station)s needs %(minutes)s minutes, which cannot be made of at most "
            "%(count)s block of %(shortest)s-%(longest)s minutes.",
            "%(grade)s's %(station)s needs %(minutes)s minutes, which cannot be made of at most "
            "%(count)s blocks of %(shortest)s-%(longest)s minutes.",
            blocks,
            **values,
        )
    return trn(
        "%(station)s needs %(minutes)s minutes, which cannot be made of at most %(count)s block "
        "of %(shortest)s-%(longest)s minutes.",
        "%(station)s needs %(minutes)s minutes, which cannot be made of at most %(count)s blocks "
        "of %(shortest)s-%(longest)s minutes.",
        blocks,
        **values,
    )


@dataclass(frozen=True)
class DayGap:
    """Stations that do not fill the day: their ``total`` minutes, and the minutes to add
    (``short``; negative: to remove) for the fewest blocks and their passing times to fill it."""

    total: int
    short: int


def day_gap(
    stations: Iterable[tuple[int, int]], *, day_minutes: int, passing: int
) -> DayGap | None:
    """None when stations of (minutes, at most this many blocks) can fill the day exactly.

    Every cohort is covered from the first block to dismissal; between two blocks there may be
    the passing time, so the stations' minutes plus one passing time per change must be the day.
    """
    stations = list(stations)
    total = sum(minutes for minutes, _ in stations)
    fewest = len(stations)
    most = sum(blocks for _, blocks in stations)
    if any(total + (n - 1) * passing == day_minutes for n in range(fewest, most + 1)):
        return None
    return DayGap(total, day_minutes - total - (fewest - 1) * passing)


def day_gap_message(grade: str, gap: DayGap, *, passing: int, day: str, day_minutes: int) -> str:
    """The day-fill finding in words: ``grade`` as the reader should see it ("grade 3"),
    ``day`` the day's span in the reader's times ("8 a.m. to 3:15 p.m.")."""
    values: dict[str, object] = {
        "grade": grade,
        "minutes": gap.total,
        "day": day,
        "day_minutes": day_minutes,
    }
    if passing:
        return tr(
            "%(grade)s's stations add up to %(minutes)s minutes plus passing time but the day "
            "from %(day)s is %(day_minutes)s minutes.",
            **values,
        )
    return tr(
        "%(grade)s's stations add up to %(minutes)s minutes but the day from %(day)s is "
        "%(day_minutes)s minutes.",
        **values,
    )
