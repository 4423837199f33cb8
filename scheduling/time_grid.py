"""A leader's times checked against a day type's grid and day, worded for the field at fault.

The rule itself is ``solver.grid.span_problems`` (shared with the problem builder's guard);
this module only turns its findings into translated messages with times localised by Django,
for the models' ``clean()`` and so for every form, the admin and any serializer that cleans them.
"""

from __future__ import annotations

import datetime
from typing import Protocol

from django.utils.formats import time_format
from django.utils.translation import gettext as _

from .solver.clock import minutes_of, time_of
from .solver.grid import length_off_grid, span_problems
from .solver.problem import Window


class DayLike(Protocol):
    day_start: datetime.time
    dismissal: datetime.time
    granularity_minutes: int


def _minutes(value: datetime.time | None) -> int | None:
    return None if value is None else minutes_of(value)


def _time(minutes: int) -> str:
    return time_format(time_of(minutes % (24 * 60)))


def span_errors(
    start: datetime.time | None,
    end: datetime.time | None,
    *,
    day_type: DayLike,
    fields: tuple[str, str],
    label: str,
    within_day: bool = True,
) -> dict[str, str]:
    """Errors by field name for the span ``start``-``end`` (either end may be open): each end
    on ``day_type``'s grid, inside its day (unless ``within_day`` is False), end after start."""
    if not (day_type.day_start and day_type.dismissal and day_type.granularity_minutes):
        return {}
    day_start, dismissal = _minutes(day_type.day_start), _minutes(day_type.dismissal)
    assert day_start is not None and dismissal is not None
    if dismissal <= day_start:
        return {}  # the day type's own form says so
    grid = day_type.granularity_minutes
    errors: dict[str, str] = {}
    # Messages that end in a localised time carry no full stop: "9:05 a.m.." reads as a typo.
    for problem in span_problems(
        _minutes(start), _minutes(end), grid=grid, day=Window(day_start, dismissal)
    ):
        if problem.kind == "outside-day" and not within_day:
            continue
        field = fields[0] if problem.side == "start" else fields[1]
        if problem.kind == "off-grid":
            message = _(
                "%(time)s is not on the schedule's %(grid)d-minute grid: use %(earlier)s or "
                "%(later)s"
            ) % {
                "time": _time(problem.value),
                "grid": grid,
                "earlier": _time(problem.earlier),
                "later": _time(problem.later),
            }
        elif problem.kind == "order":
            message = _("%(label)s must end after it starts (%(start)s).") % {
                "label": label,
                "start": _time(_minutes(start) or 0),
            }
        else:
            message = _("%(label)s at %(time)s is outside the day from %(start)s to %(end)s") % {
                "label": label,
                "time": _time(problem.value),
                "start": _time(day_start),
                "end": _time(dismissal),
            }
        errors.setdefault(field, message)
    return errors


def length_errors(lengths: dict[str, int | None], *, grid: int) -> dict[str, str]:
    """Errors by field name for durations that are not whole steps of the ``grid``."""
    errors: dict[str, str] = {}
    for field, minutes in lengths.items():
        gap = length_off_grid(minutes, grid) if minutes else None
        if gap is not None and gap[0] == 0:
            errors[field] = _(
                "%(minutes)d minutes is shorter than one step of the schedule's %(grid)d-minute "
                "grid: use %(longer)d"
            ) % {"minutes": minutes, "grid": grid, "longer": gap[1]}
        elif gap is not None:
            errors[field] = _(
                "%(minutes)d minutes is not a whole number of the schedule's %(grid)d-minute "
                "steps: use %(shorter)d or %(longer)d"
            ) % {"minutes": minutes, "grid": grid, "shorter": gap[0], "longer": gap[1]}
    return errors
