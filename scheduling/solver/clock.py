"""Times of day and grade names as the engine writes them, in one place.

The engine counts time in minutes since midnight and writes it as 24-hour "H:MM" ("9:05"), a span
as "H:MM-H:MM" with a plain hyphen. Its text (pre-checks, validators, recovery options, the grid's
refusals) is English for the log and for tests; a page re-clocks it into the reader's locale with
``reclocked``, so the pattern it finds is the one ``clock`` writes. Pages that start from a
``datetime.time`` format it through Django's localisation instead (``scheduling.models.clock``),
never through ``clock``.

A grade is its level (0 is kindergarten); ``grade_name`` is the one way to write it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

# A plain hyphen: engine text is ASCII, and every validator and pre-check message reads "8:00-9:00".
DASH = "-"

# What ``clock`` writes, and nothing a longer number or a ratio ("12:30:00", "1:2:3") holds.
CLOCK_PATTERN = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")


def minutes_of(clock_time: datetime.time) -> int:
    """Minutes since midnight, the engine's unit of time (8:15 is 495)."""
    return clock_time.hour * 60 + clock_time.minute


def time_of(minutes: int) -> datetime.time:
    """The clock time ``minutes`` after midnight: ``minutes_of``'s inverse."""
    return datetime.time(minutes // 60, minutes % 60)


def clock(minutes: int) -> str:
    """Minutes since midnight as "H:MM" (545 is "9:05")."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def clock_span(start: int, end: int) -> str:
    """A stretch of the day as "H:MM-H:MM" ("8:00-9:00")."""
    return f"{clock(start)}{DASH}{clock(end)}"


def reclocked(text: str, render: Callable[[int], str]) -> str:
    """``text`` with each "H:MM" that ``clock`` wrote replaced by ``render`` of its minutes."""
    return CLOCK_PATTERN.sub(lambda m: render(int(m[1]) * 60 + int(m[2])), text)


def grade_name(grade: int, *, short: bool = False) -> str:
    """A grade level in words ("kindergarten", "grade 3"), or ``short`` as a label ("K", "3")."""
    label = "K" if grade == 0 else str(grade)
    if short:
        return label
    return "kindergarten" if grade == 0 else f"grade {label}"
