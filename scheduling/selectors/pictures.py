"""The pictures of a stored schedule, as plain data a template draws without more queries.

Three pictures of one schedule: the timeline grid (a row per cohort, a block per stretch of its
day, placed on a shared time axis in percent of its width), the staff grid (a row per staff
member, the blocks they teach) and, per Learning Lab, the occupancy curve (students present at
every moment against the lab's seats, as an SVG step line drawn with ``rocketship.charts`` and
as the table it is drawn from).

``day_picture`` reads a schedule in four queries, whatever its size: the blocks with their
cohort, room and staff; the cohorts' enrolled students on the date; the school's labs; and the
pins of the date. Everything else is arithmetic on those rows.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext, ngettext

from rocketship.charts import Box, ChartPoint, Scale, nice_ceiling, quarter_ticks, step_line
from students.models import Cohort, Staff, Student

from ..models import (
    Pin,
    Room,
    RoomKind,
    Schedule,
    ScheduledBlock,
    StationCode,
    clock,
    minutes_of,
    time_of,
    time_span,
)
from .blocks import BlockRead, station_label, station_short

# The lab chart's drawing box (SVG user units); the axes' labels sit in the margins.
LAB_CHART_BOX = Box(width=720, height=220, left=48, right=16, top=16, bottom=32)
# Minutes between an hour's tick and an end of the axis below which the hour is left out.
TICK_GAP = 20


def span_label(start: int, end: int) -> str:
    return time_span(time_of(start), time_of(end))


def clock_of(minutes: int) -> str:
    return clock(time_of(minutes))


@dataclass(frozen=True)
class TimeAxis:
    """The stretch of the day every row of a picture shares, in minutes since midnight."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return max(self.end - self.start, 1)

    def percent(self, minutes: int) -> float:
        return round((minutes - self.start) * 100 / self.length, 3)

    def ticks(self) -> tuple[Tick, ...]:
        """A tick at both ends of the axis and at each full hour between them, except an hour
        so close to an end that their labels would run into each other."""
        marks = [self.start]
        hour = math.ceil(self.start / 60) * 60
        while hour < self.end:
            if min(hour - self.start, self.end - hour) >= TICK_GAP:
                marks.append(hour)
            hour += 60
        marks.append(self.end)
        return tuple(Tick(m, clock_of(m), self.percent(m)) for m in marks)


@dataclass(frozen=True)
class Tick:
    minutes: int
    label: str
    left: float  # percent of the axis


@dataclass(frozen=True)
class PictureBlock(BlockRead):
    """One block placed on the axis: ``left`` and ``width`` are percent of the axis width."""

    left: float
    width: float
    pinned: bool = False
    pinned_every_day: bool = False  # held by a pin on every day of the day type

    @property
    def late(self) -> bool:
        """In the day's second half: its tooltip and panel open leftwards, inside the page."""
        return self.left >= 50

    @property
    def where(self) -> str:
        return self.room_name or gettext("no room")

    @property
    def who(self) -> str:
        return self.staff_name or gettext("no staff")


@dataclass(frozen=True)
class PictureRow:
    """A row of a grid: a cohort (``detail`` its students) or a staff member."""

    id: int
    name: str
    detail: str
    blocks: tuple[PictureBlock, ...]


@dataclass(frozen=True)
class LabStep:
    """A stretch of the day during which the same cohorts are in the lab."""

    start: int
    end: int
    seats: int
    capacity: int
    cohorts: tuple[str, ...]

    @property
    def span(self) -> str:
        return span_label(self.start, self.end)

    @property
    def free(self) -> int:
        return self.capacity - self.seats

    @property
    def over(self) -> bool:
        return self.seats > self.capacity


@dataclass(frozen=True)
class LabCurve:
    """One lab's occupancy over the day, with the SVG geometry of its step line."""

    room_id: int
    name: str
    capacity: int
    steps: tuple[LabStep, ...]  # consecutive, covering the axis, empty stretches included
    line: str  # SVG path of the step line
    area: str  # the same line closed down to zero, for a light fill
    capacity_y: float
    x_ticks: tuple[ChartPoint, ...]
    y_ticks: tuple[ChartPoint, ...]
    box: Box = LAB_CHART_BOX

    @property
    def peak(self) -> int:
        return peak_seats(self.steps)

    @property
    def busy_steps(self) -> tuple[LabStep, ...]:
        return tuple(s for s in self.steps if s.seats)

    @property
    def seat_minutes(self) -> int:
        return sum(s.seats * (s.end - s.start) for s in self.steps)


@dataclass(frozen=True)
class DayPicture:
    schedule: Schedule
    axis: TimeAxis
    cohorts: tuple[PictureRow, ...]
    staff: tuple[PictureRow, ...]
    labs: tuple[LabCurve, ...]

    @property
    def ticks(self) -> tuple[Tick, ...]:
        return self.axis.ticks()

    @property
    def blocks(self) -> tuple[PictureBlock, ...]:
        return tuple(b for row in self.cohorts for b in row.blocks)

    @property
    def stations(self) -> tuple[tuple[str, str, str], ...]:
        """The stations of the day as (code, short name, full name), for the legend."""
        seen = {b.station for b in self.blocks}
        return tuple(
            (code, station_short(code), station_label(code))
            for code in StationCode.values
            if code in seen
        )

    def block(
        self, *, cohort_id: int, station: str, start: datetime.time, end: datetime.time | None
    ) -> PictureBlock | None:
        for b in self.blocks:
            if (b.cohort_id, b.station, b.start) == (cohort_id, station, start) and (
                end is None or b.end == end
            ):
                return b
        return None


def enrolled_counts(*, cohort_ids: Iterable[int], date: datetime.date) -> dict[int, int]:
    """Students enrolled on ``date`` in each cohort, in one query."""
    rows = (
        Student.objects.filter(cohort_id__in=list(cohort_ids))
        .enrolled_on(date)
        .values("cohort_id")
        .annotate(n=Count("pk"))
        .values_list("cohort_id", "n")
    )
    return dict(rows)


def stays_of(
    blocks: Iterable[ScheduledBlock], counts: dict[int, int]
) -> list[tuple[int, int, int, str]]:
    """``blocks`` (their cohorts loaded) as the (start, end, students, cohort) stays, in minutes,
    that ``occupancy_steps`` reads; ``counts`` is each cohort's enrolled students."""
    return [
        (minutes_of(b.start), minutes_of(b.end), counts.get(b.cohort_id, 0), b.cohort.name)
        for b in blocks
    ]


def occupancy_steps(
    *,
    axis: TimeAxis,
    capacity: int,
    stays: Sequence[tuple[int, int, int, str]],
) -> tuple[LabStep, ...]:
    """Students present from each boundary to the next, for (start, end, students, cohort)
    stays; the steps cover the whole axis, the empty stretches too."""
    bounds = sorted({axis.start, axis.end, *(s for s, *_ in stays), *(e for _, e, *_ in stays)})
    steps: list[LabStep] = []
    for start, end in itertools.pairwise(bounds):
        here = [(n, name) for s, e, n, name in stays if s < end and start < e]
        step = LabStep(
            start, end, sum(n for n, _ in here), capacity, tuple(sorted(name for _, name in here))
        )
        if steps and (steps[-1].seats, steps[-1].cohorts) == (step.seats, step.cohorts):
            step = LabStep(steps.pop().start, end, step.seats, capacity, step.cohorts)
        steps.append(step)
    return tuple(steps)


def peak_seats(steps: Iterable[LabStep]) -> int:
    return max((s.seats for s in steps), default=0)


def busiest_seats(steps: Iterable[LabStep], start: int, end: int) -> int:
    """The most seats taken at any moment between ``start`` and ``end`` (minutes)."""
    return peak_seats(s for s in steps if s.start < end and start < s.end)


def lab_curve(
    *, room_id: int, name: str, capacity: int, axis: TimeAxis, steps: tuple[LabStep, ...]
) -> LabCurve:
    """What the lab's chart plots: the seats taken along the day, under a round number a tenth
    above the capacity or the peak, whichever is higher."""
    box = LAB_CHART_BOX
    y_max = nice_ceiling(max(capacity, peak_seats(steps), 1) * 11 // 10 or 1)
    x = Scale.across(box, axis.start, axis.start + axis.length, digits=2)
    y = Scale.upward(box, y_max, digits=2)
    line, area = step_line(x, y, start=axis.start, steps=[(s.end, s.seats) for s in steps])
    y_ticks = tuple(ChartPoint(box.plot_left, y(v), str(v)) for v in quarter_ticks(y_max))
    x_ticks = tuple(ChartPoint(x(t.minutes), y(0), t.label) for t in axis.ticks())
    return LabCurve(
        room_id=room_id,
        name=name,
        capacity=capacity,
        steps=steps,
        line=line,
        area=area,
        capacity_y=y(capacity),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )


def _pinned(
    pins: list[tuple[int, str, datetime.time, datetime.time | None, datetime.date | None]],
    block: ScheduledBlock,
) -> tuple[bool, bool]:
    """Whether a pin holds ``block``, and whether one of those is a pin of the day type."""
    holding = [
        date
        for cohort_id, station, start, end, date in pins
        if (cohort_id, station, start) == (block.cohort_id, block.station, block.start)
        and (end is None or end == block.end)
    ]
    return bool(holding), any(date is None for date in holding)


def _cohort_detail(grade: str, students: int) -> str:
    return ngettext(
        "%(grade)s, %(students)d student", "%(grade)s, %(students)d students", students
    ) % {"grade": grade, "students": students}


def _minutes_taught(minutes: int) -> str:
    return ngettext("%(minutes)d minute taught", "%(minutes)d minutes taught", minutes) % {
        "minutes": minutes
    }


def day_picture(*, schedule: Schedule) -> DayPicture:
    """The three pictures of ``schedule``, in four queries."""
    blocks = list(
        ScheduledBlock.objects.filter(schedule=schedule)
        .select_related("cohort__grade", "room", "staff__user")
        .order_by("start", "cohort_id", "pk")
    )
    counts = enrolled_counts(cohort_ids={b.cohort_id for b in blocks}, date=schedule.date)
    labs = list(
        Room.objects.filter(school_id=schedule.school_id, kind=RoomKind.LEARNING_LAB).order_by(
            "name", "pk"
        )
    )
    pins = list(
        Pin.objects.filter(school_id=schedule.school_id)
        .filter(Q(date=schedule.date) | Q(date__isnull=True, day_type_id=schedule.day_type_id))
        .values_list("cohort_id", "station", "start", "end", "date")
    )

    if blocks:
        axis = TimeAxis(
            min(minutes_of(b.start) for b in blocks), max(minutes_of(b.end) for b in blocks)
        )
    else:
        axis = TimeAxis(8 * 60, 15 * 60)

    placed: list[tuple[ScheduledBlock, PictureBlock]] = []
    for b in blocks:
        start, end = minutes_of(b.start), minutes_of(b.end)
        pinned, every_day = _pinned(pins, b)
        placed.append(
            (
                b,
                PictureBlock(
                    **BlockRead.fields_of(b),
                    left=axis.percent(start),
                    width=round((end - start) * 100 / axis.length, 3),
                    pinned=pinned,
                    pinned_every_day=every_day,
                ),
            )
        )

    by_cohort: dict[int, list[PictureBlock]] = defaultdict(list)
    by_staff: dict[int, list[PictureBlock]] = defaultdict(list)
    cohort_of: dict[int, Cohort] = {}
    staff_of: dict[int, Staff] = {}
    for b, picture in placed:
        by_cohort[b.cohort_id].append(picture)
        cohort_of[b.cohort_id] = b.cohort
        if b.staff is not None:  # loaded with the block: no query
            by_staff[b.staff.pk].append(picture)
            staff_of[b.staff.pk] = b.staff
    cohorts = tuple(
        PictureRow(
            cohort.pk,
            cohort.name,
            _cohort_detail(str(cohort.grade), counts.get(cohort.pk, 0)),
            tuple(by_cohort[cohort.pk]),
        )
        for cohort in sorted(cohort_of.values(), key=lambda c: (c.grade.level, c.name, c.pk))
    )
    staff = tuple(
        PictureRow(
            member.pk,
            str(member),
            _minutes_taught(sum(p.minutes for p in by_staff[member.pk])),
            tuple(by_staff[member.pk]),
        )
        for member in sorted(staff_of.values(), key=lambda s: (str(s).lower(), s.pk))
    )
    curves = []
    for lab in labs:
        stays = stays_of((b for b, _ in placed if b.room_id == lab.pk), counts)
        steps = occupancy_steps(axis=axis, capacity=lab.capacity, stays=stays)
        curves.append(
            lab_curve(room_id=lab.pk, name=lab.name, capacity=lab.capacity, axis=axis, steps=steps)
        )
    return DayPicture(
        schedule=schedule, axis=axis, cohorts=cohorts, staff=staff, labs=tuple(curves)
    )
