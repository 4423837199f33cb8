"""Dates as exporters write them. The spec asks for ISO 8601; spreadsheets re-save dates as
month/day/year, which US SIS exports then carry. We read ``1/05/2023`` as month/day (the
reader warns once per column) but refuse two-digit years and anything else: a wrong birth
date or enrollment end is worse than a refused file."""

import re
from datetime import UTC, date, datetime

from students.plain_gettext import gettext

_MONTH_DAY_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")


class DateFormatError(ValueError):
    """The text is not a date we accept; the message says why, for the person fixing it."""


def parse_date(text: str) -> tuple[date, bool]:
    """The date in ``text`` and whether it was written month/day/year.

    ISO dates and ISO date-times (some exporters write midnight timestamps) are accepted."""
    mdy = _month_day_year(text)
    if mdy is not None:
        return mdy, True
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text).date(), False
        return date.fromisoformat(text), False
    except ValueError:
        raise DateFormatError(_refusal(text)) from None


def parse_datetime(text: str) -> tuple[datetime, bool]:
    """The moment in ``text`` (UTC when it names no offset) and whether it was written
    month/day/year. Accepts ISO dates and date-times, with ``Z`` and fractional seconds."""
    mdy = _month_day_year(text)
    if mdy is not None:
        return datetime(mdy.year, mdy.month, mdy.day, tzinfo=UTC), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DateFormatError(_refusal(text)) from None
    if moment.tzinfo is None:
        # The spec's dateLastModified is UTC; an exporter that drops the Z still means UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment, False


def _month_day_year(text: str) -> date | None:
    match = _MONTH_DAY_YEAR.fullmatch(text)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if month > 12 and day <= 12:
        # A day/month export: its other slash dates, read as month/day, are wrong too.
        reason = gettext(
            "'%(text)s' is not a valid month/day/year date; it reads as day/month/year, so "
            "the file's other dates with slashes are in doubt as well: write dates as "
            "YYYY-MM-DD (ISO 8601)"
        )
    else:
        reason = gettext(
            "'%(text)s' is not a valid month/day/year date; write dates as YYYY-MM-DD (ISO 8601)"
        )
    raise DateFormatError(reason % {"text": text})


def _refusal(text: str) -> str:
    if _TWO_DIGIT_YEAR.fullmatch(text):
        reason = gettext(
            "'%(text)s' has a two-digit year, so the date is ambiguous; write dates as "
            "YYYY-MM-DD (ISO 8601)"
        )
    else:
        reason = gettext("'%(text)s' is not a date; write dates as YYYY-MM-DD (ISO 8601)")
    return reason % {"text": text}
