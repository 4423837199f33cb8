"""The dates a page or API call may ask for: one parser for ``?date=``, ``?month=`` and a URL's
date, and the month arithmetic of the calendar's navigation.

A school day is a ``YYYY-MM-DD`` date from 1900 to 2999. Python's dates stop at 0001-01-01 and
9999-12-31, so a day at either end would overflow the moment a page computes the day before,
the next week or the following month (``OverflowError``, a 500); keeping a wide margin inside
them means every neighbour a page links to is still a date. Anything else (``2026-02-30``,
``-1``, ``10000-01-01``, an ISO week such as ``9999-W53``) is refused with a message naming the
value, which pages show beside today and the API answers as a 400 on ``date``.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTH_PATTERN = re.compile(r"\d{4}-\d{2}")
# The same range for an API schema's date parameter: years 1900 to 2999.
DAY_SCHEMA_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"


class NotADay(ValueError):
    """A value that names no school day; ``str()`` is the message to show."""


def _shown(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def parse_day(raw: str) -> datetime.date:
    """``raw`` as a date, if it is written ``YYYY-MM-DD`` and falls from 1900 to 2999."""
    try:
        if not DAY_PATTERN.fullmatch(raw):
            raise ValueError(raw)
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise NotADay(
            _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": _shown(raw)}
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise NotADay(
            _("%(value)s is outside the dates schools keep (%(first)s to %(last)s).")
            % {"value": raw, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    return day


def parse_month(raw: str) -> datetime.date:
    """The first day of the ``YYYY-MM`` month ``raw``, from 1900 to 2999."""
    if not MONTH_PATTERN.fullmatch(raw):
        raise NotADay(_("“%(value)s” is not a month (use YYYY-MM).") % {"value": _shown(raw)})
    return parse_day(f"{raw}-01")


def shift_month(month: datetime.date, months: int) -> datetime.date | None:
    """The first day of the month ``months`` after ``month`` (before, when negative), or None
    beyond the dates schools keep."""
    index = month.year * 12 + month.month - 1 + months
    year, month_number = divmod(index, 12)
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        return None
    return datetime.date(year, month_number + 1, 1)


def validate_school_day(value: datetime.date) -> None:
    """A form field's validator: the date is one schools keep (1900 to 2999)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            _("Choose a date from %(first)s to %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            code="out_of_range",
        )
