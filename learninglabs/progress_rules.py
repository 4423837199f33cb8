"""The rules a Learning Lab progress record meets, whichever way it arrives: the bulk JSON push
(``learninglabs.services``) and the vendors' CSV import (``learninglabs.imports``) both ask
these functions, so a record refused by one is refused by the other with the same words.

Each check takes plain values and answers None (the value is good) or the message a user reads;
none touches the database. How a value is found (a JSON field, a CSV cell, a student looked up
by id or by local id) stays with each caller, which also says where a reference was looked for.
The CSV import calls these for a million rows: each is a few comparisons, and builds its
message only for a refused value.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from .models import (
    MAX_LESSONS_PER_DAY,
    MAX_MASTERY,
    MAX_MINUTES_PER_DAY,
    SOURCE_PATTERN,
    source_validator,
)


def minutes_problem(minutes: int) -> str | None:
    if 0 <= minutes <= MAX_MINUTES_PER_DAY:
        return None
    return f"Give 0 to {MAX_MINUTES_PER_DAY} minutes."


def lessons_problem(lessons_completed: int) -> str | None:
    if 0 <= lessons_completed <= MAX_LESSONS_PER_DAY:
        return None
    return f"Give 0 to {MAX_LESSONS_PER_DAY} lessons completed that day."


def mastery_problem(mastery_level: Decimal) -> str | None:
    """``mastery_level`` is a measured level; no level (None) is always good and not asked."""
    if not Decimal(0) <= mastery_level <= MAX_MASTERY:
        return "Give a mastery level from 0 to 100."
    if mastery_level.as_tuple().exponent < -2:  # type: ignore[operator]
        return "Give at most 2 decimal places."
    return None


def source_problem(source: str) -> str | None:
    if re.match(SOURCE_PATTERN, source):
        return None
    return str(source_validator.message)  # the model's own words for a bad source


def school_today(zone: datetime.tzinfo, now: datetime.datetime) -> datetime.date:
    """The date at the school at ``now``: what "the future" means for a record's date."""
    return now.astimezone(zone).date()


def future_problem(day: datetime.date, today: datetime.date) -> str | None:
    if day <= today:
        return None
    return f"{day:%Y-%m-%d} is in the future; today is {today:%Y-%m-%d} at the school."


def enrollment_problem(
    day: datetime.date, start: datetime.date, end: datetime.date | None
) -> str | None:
    """Whether the student (enrolled from ``start``, until ``end`` when they left) was enrolled
    on ``day``."""
    if start <= day and (end is None or day <= end):
        return None
    span = f"from {start:%Y-%m-%d}" + (f" to {end:%Y-%m-%d}" if end else "")
    return f"The student was not enrolled on {day:%Y-%m-%d} (enrolled {span})."


def date_problem(
    day: datetime.date,
    *,
    today: datetime.date,
    start: datetime.date,
    end: datetime.date | None,
) -> str | None:
    """A record's date: not in the future at the school, then within the enrollment."""
    return future_problem(day, today) or enrollment_problem(day, start, end)


def unknown_student(shown_id: str, where: str) -> str:
    """No student ``shown_id`` (as the caller sent it) ``where`` the caller looked, e.g.
    "at Alder" or "among the schools you may write to"."""
    return f"No student with id {shown_id} {where}."


def unknown_program(code: str, school: str) -> str:
    """No program ``code`` at ``school`` (its name, or "the student's school")."""
    return f"No program with code {code!r} at {school}."
