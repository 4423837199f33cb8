"""What a schedule changes against the published day: the cohorts and staff whose day moves.

Reads only. A version is compared with its *baseline*: the published version of the same date
or, when the date has none, the latest published day of the same day type before it (the day
the engine tried to keep, S1). A cohort's day moves when any of its blocks changes station,
time, room or staff; a staff member's day moves when any block they teach changes cohort,
station, time or room.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from ..models import Schedule, ScheduledBlock, ScheduleStatus, time_span
from .problem import published_before


@dataclass(frozen=True)
class BlockView:
    """One block as a person's day shows it; ``changed`` when the other side has no such block."""

    start: datetime.time
    end: datetime.time
    station: str
    station_label: str
    room: str
    other: str  # the staff member on a cohort's day, the cohort on a staff member's day
    changed: bool
    # Ids for readers that write their own words later (family notices keep ids, not names);
    # not compared: the names above already tell two blocks apart.
    room_id: int | None = field(default=None, compare=False)
    staff_id: int | None = field(default=None, compare=False)

    @property
    def span(self) -> str:
        return time_span(self.start, self.end)


@dataclass(frozen=True)
class DayChange:
    """One cohort's or staff member's day before and after."""

    id: int
    name: str
    before: tuple[BlockView, ...]
    after: tuple[BlockView, ...]

    @property
    def blocks_changed(self) -> int:
        """Blocks that differ: the larger of those gone from before and those new after."""
        return max(
            sum(1 for b in self.before if b.changed), sum(1 for b in self.after if b.changed)
        )


@dataclass(frozen=True)
class ScheduleChanges:
    baseline: Schedule | None
    cohorts: tuple[DayChange, ...] = ()
    staff: tuple[DayChange, ...] = ()

    @property
    def nothing_moved(self) -> bool:
        return not self.cohorts and not self.staff


def schedule_baseline(*, schedule: Schedule) -> Schedule | None:
    """The published version to compare ``schedule`` with (never ``schedule`` itself)."""
    same_date = (
        Schedule.objects.filter(
            school=schedule.school_id, date=schedule.date, status=ScheduleStatus.PUBLISHED
        )
        .exclude(pk=schedule.pk)
        .first()
    )
    if same_date is not None:
        return same_date
    return published_before(
        school=schedule.school_id, day_type=schedule.day_type_id, date=schedule.date
    ).first()


def _view(block: ScheduledBlock, other: str, changed: bool) -> BlockView:
    return BlockView(
        start=block.start,
        end=block.end,
        station=block.station,
        station_label=block.get_station_display(),
        room=block.room.name if block.room else "",
        other=other,
        changed=changed,
        room_id=block.room_id,
        staff_id=block.staff_id,
    )


def _staff_name(block: ScheduledBlock) -> str:
    return str(block.staff) if block.staff else ""


def _days(
    draft: list[ScheduledBlock],
    published: list[ScheduledBlock],
    *,
    owner: str,
) -> tuple[DayChange, ...]:
    """Days (of each cohort, or each staff member) that differ between the two block lists."""

    def key(block: ScheduledBlock) -> tuple:
        if owner == "cohort":
            return (block.station, block.start, block.end, block.room_id, block.staff_id)
        return (block.cohort_id, block.station, block.start, block.end, block.room_id)

    def owner_of(block: ScheduledBlock) -> int | None:
        return block.cohort_id if owner == "cohort" else block.staff_id

    def name_of(block: ScheduledBlock) -> str:
        return block.cohort.name if owner == "cohort" else _staff_name(block)

    def other_of(block: ScheduledBlock) -> str:
        return _staff_name(block) if owner == "cohort" else block.cohort.name

    before: dict[int, list[ScheduledBlock]] = defaultdict(list)
    after: dict[int, list[ScheduledBlock]] = defaultdict(list)
    names: dict[int, str] = {}
    for blocks, side in ((published, before), (draft, after)):
        for block in blocks:
            who = owner_of(block)
            if who is None:
                continue
            side[who].append(block)
            names[who] = name_of(block)
    changes = []
    for who in before.keys() | after.keys():
        old = {key(b) for b in before[who]}
        new = {key(b) for b in after[who]}
        if old == new:
            continue
        changes.append(
            DayChange(
                id=who,
                name=names[who],
                before=tuple(
                    _view(b, other_of(b), key(b) not in new)
                    for b in sorted(before[who], key=lambda b: b.start)
                ),
                after=tuple(
                    _view(b, other_of(b), key(b) not in old)
                    for b in sorted(after[who], key=lambda b: b.start)
                ),
            )
        )
    return tuple(sorted(changes, key=lambda change: (change.name, change.id)))


def schedule_changes(*, draft: Schedule, published: Schedule | None) -> ScheduleChanges:
    """The cohorts and staff whose day differs between ``draft`` and ``published``, block by
    block; with nothing published to compare with, nothing is listed. One query."""
    if published is None:
        return ScheduleChanges(baseline=None)
    blocks = list(
        ScheduledBlock.objects.filter(schedule__in=[draft.pk, published.pk]).select_related(
            "cohort", "room", "staff__user"
        )
    )
    new = [b for b in blocks if b.schedule_id == draft.pk]
    old = [b for b in blocks if b.schedule_id == published.pk]
    return ScheduleChanges(
        baseline=published,
        cohorts=_days(new, old, owner="cohort"),
        staff=_days(new, old, owner="staff"),
    )
