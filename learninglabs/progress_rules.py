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

from django.utils.formats import date_format
from django.utils.translation import gettext

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
    return gettext("Give 0 to %(most)s minutes.") % {"most": MAX_MINUTES_PER_DAY}


def lessons_problem(lessons_completed: int) -> str | None:
    if 0 <= lessons_completed <= MAX_LESSONS_PER_DAY:
        return None
    return gettext("Give 0 to %(most)s lessons completed that day.") % {"most": MAX_LESSONS_PER_DAY}


def mastery_problem(mastery_level: Decimal) -> str | None:
    """``mastery_level`` is a measured level; no level (None) is always good and not asked."""
    if not Decimal(0) <= mastery_level <= MAX_MASTERY:
        return gettext("Give a mastery level from 0 to 100.")
    if mastery_level.as_tuple().exponent < -2:  # type: ignore[operator]
        return gettext("Give at most 2 decimal places.")
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
    return gettext("%(day)s is in the future; today is %(today)s at the school.") % {
        "day": date_format(day),
        "today": date_format(today),
    }


def enrollment_problem(
    day: datetime.date, start: datetime.date, end: datetime.date | None
) -> str | None:
    """Whether the student (enrolled from ``start``, until ``end`` when they left) was enrolled
    on ``day``."""
    if start <= day and (end is None or day <= end):
        return None
    if end is None:
        message = gettext("The student was not enrolled on %(day)s (enrolled from %(start)s).")
    else:
        message = gettext(
            "The student was not enrolled on %(day)s (enrolled from %(start)s to %(end)s)."
        )
    return message % {
        "day": date_format(day),
        "start": date_format(start),
        "end": date_format(end) if end else "",
    }


def date_problem(
    day: datetime.date,
    *,
    today: datetime.date,
    start: datetime.date,
    end: datetime.date | None,
) -> str | None:
    """A record's date: not in the future at the school, then within the enrollment."""
    return future_problem(day, today) or enrollment_problem(day, start, end)


def unknown_student(shown_id: str, school: str | None) -> str:
    """No student ``shown_id`` (as the caller sent it) at ``school`` (its name), or, without
    one, among the schools the caller may write to."""
    if school is None:
        return gettext("No student with id %(id)s among the schools you may write to.") % {
            "id": shown_id
        }
    return gettext("No student with id %(id)s at %(school)s.") % {"id": shown_id, "school": school}


def unknown_program(code: str, school: str | None) -> str:
    """No program ``code`` at ``school`` (its name), or, without one, at the student's school."""
    if school is None:
        return gettext("No program with code %(code)s at the student's school.") % {
            "code": repr(code)
        }
    return gettext("No program with code %(code)s at %(school)s.") % {
        "code": repr(code),
        "school": school,
    }
