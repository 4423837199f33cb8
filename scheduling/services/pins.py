"""Pins set and cleared from a schedule's picture: a leader clicks a block to keep it there.

Pinning a block stores a pin of that cohort's station at that block's start and end on the
schedule's date, so every later build of the date keeps it (H8). Clicking a pinned block removes
the pins that hold it: the date's pin, or the day type's pin when that is what holds it.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from students.models import Cohort

from ..models import Pin, Schedule, clock, time_span

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PinToggled:
    """What a toggle did: the pin it stored, or how many pins it removed."""

    pinned: bool
    pin: Pin | None = None
    removed: int = 0


def _span(start: datetime.time, end: datetime.time | None) -> str:
    return time_span(start, end) if end else clock(start)


def _overlaps(
    start: datetime.time, end: datetime.time | None, other: Pin
) -> bool:  # a pin without an end is the instant it starts
    mine_end = end or start
    theirs_end = other.end or other.start
    if start == other.start:
        return True
    return start < theirs_end and other.start < mine_end


@transaction.atomic
def pin_toggle(
    *,
    schedule: Schedule,
    cohort: Cohort,
    station: str,
    start: datetime.time,
    end: datetime.time | None,
) -> PinToggled:
    """Pin ``cohort`` at ``station`` from ``start`` to ``end`` on ``schedule``'s date, or remove
    the pins that already hold exactly that block.

    A new pin is checked by ``Pin.clean`` (the grade's template has the station, the time is
    inside the day, the date is an instructional day) and against the cohort's other pins of the
    date, which it must not overlap; a refused pin raises ``ValidationError`` and stores nothing.
    """
    if cohort.school_id != schedule.school_id:
        raise ValidationError(
            {"cohort": gettext("%(cohort)s is not a cohort of this school.") % {"cohort": cohort}}
        )
    # Two toggles of the same cohort at once would both see "no pin" and both store one.
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    same_day = Q(date=schedule.date) | Q(date__isnull=True, day_type_id=schedule.day_type_id)
    pins = list(Pin.objects.filter(same_day, school_id=schedule.school_id, cohort=cohort))
    holding = [
        p
        for p in pins
        if (p.station, p.start) == (station, start) and (p.end is None or p.end == end)
    ]
    if holding:
        Pin.objects.filter(pk__in=[p.pk for p in holding]).delete()
        logger.info(
            "pin removed school_id=%s cohort_id=%s station=%s date=%s count=%d",
            schedule.school_id,
            cohort.pk,
            station,
            schedule.date,
            len(holding),
        )
        return PinToggled(pinned=False, removed=len(holding))

    pin = Pin(
        school_id=schedule.school_id,
        cohort=cohort,
        station=station,
        date=schedule.date,
        day_type=None,
        start=start,
        end=end,
    )
    pin.full_clean()
    for other in pins:
        if _overlaps(start, end, other):
            values = {
                "cohort": cohort,
                "station": other.station,
                "pinned": _span(other.start, other.end),
                "day_type": other.day_type,
                "new": _span(start, end),
            }
            if other.date:
                message = gettext(
                    "%(cohort)s already has %(station)s pinned at %(pinned)s that day; a pin at "
                    "%(new)s would overlap it. Unpin that block first."
                )
            else:
                message = gettext(
                    "%(cohort)s already has %(station)s pinned at %(pinned)s on every "
                    "%(day_type)s; a pin at %(new)s would overlap it. Unpin that block first."
                )
            raise ValidationError({"start": message % values})
    pin.save()
    logger.info(
        "pin stored school_id=%s cohort_id=%s station=%s date=%s pin_id=%s",
        schedule.school_id,
        cohort.pk,
        station,
        schedule.date,
        pin.pk,
    )
    return PinToggled(pinned=True, pin=pin)
