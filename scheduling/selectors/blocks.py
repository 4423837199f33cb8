"""A stored block as the pages read it: one frozen dataclass every picture and roster shares.

``BlockRead`` holds what a page prints of a ``ScheduledBlock`` (its times, station, room, cohort
and staff, by id and by name), read from a block loaded with its cohort, room and staff
(``BlockRead.fields_of``), plus the words every page prints of it: the span, the station's
label and short name, the length. A page's own block (the picture's, placed on a time axis; the
roster's, with its students) adds its own fields to it, so a template reads the same attribute
names on both. The API keeps its own blocks: they are the JSON contract (datetimes and nested
references), not a page's words.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from ..models import ScheduledBlock, StationCode, minutes_of, time_span

# A short name per station, printed on every block so colour is never the only signal.
STATION_SHORT: dict[str, Promise] = {
    StationCode.LAUNCH: gettext_lazy("Launch"),
    StationCode.LITERACY: gettext_lazy("Literacy"),
    StationCode.MATH: gettext_lazy("Math"),
    StationCode.LAB: gettext_lazy("Lab"),
    StationCode.FLEX: gettext_lazy("Flex"),
    StationCode.ELD: gettext_lazy("ELD"),
    StationCode.SPECIALS: gettext_lazy("Specials"),
    StationCode.LUNCH: gettext_lazy("Lunch"),
    StationCode.RECESS: gettext_lazy("Recess"),
}


def station_label(code: str) -> str:
    try:
        return str(StationCode(code).label)
    except ValueError:
        return code


def station_short(code: str) -> str:
    short = STATION_SHORT.get(code)
    return str(short) if short is not None else code


def clock_span(start: datetime.time, end: datetime.time) -> str:
    """A block's times as every picture and roster prints them."""
    return time_span(start, end)


@dataclass(frozen=True)
class BlockRead:
    """One stored block as read for a page; names are "" when the block has no room or staff."""

    id: int
    station: str
    start: datetime.time
    end: datetime.time
    room_id: int | None
    room_name: str
    cohort_id: int
    cohort_name: str
    staff_id: int | None
    staff_name: str

    @staticmethod
    def fields_of(block: ScheduledBlock) -> dict[str, Any]:
        """The fields of ``block``, loaded with its cohort, room and staff (``staff__user``):
        no query. A page's block passes them on with its own: ``PictureBlock(**fields, ...)``."""
        return {
            "id": block.pk,
            "station": block.station,
            "start": block.start,
            "end": block.end,
            "room_id": block.room_id,
            "room_name": block.room.name if block.room else "",
            "cohort_id": block.cohort_id,
            "cohort_name": block.cohort.name,
            "staff_id": block.staff_id,
            "staff_name": str(block.staff) if block.staff else "",
        }

    @property
    def span(self) -> str:
        return clock_span(self.start, self.end)

    @property
    def station_label(self) -> str:
        return station_label(self.station)

    @property
    def short(self) -> str:
        return station_short(self.station)

    @property
    def minutes(self) -> int:
        return minutes_of(self.end) - minutes_of(self.start)
