"""The drawing every server-rendered SVG chart shares: the box, scales, bars, lines and labels.

Each app chooses what to plot in its selectors (``scheduling.selectors.pictures``: a lab's seats
over the day; ``learninglabs.pace``: a student's minutes and mastery; ``families.selectors``: a
child's lab minutes) and hands the numbers here; the templates draw the result, the value charts
through ``templates/charts/_value_chart.html``. Nothing here imports an app, so every app may use
it.

Coordinates are numbers for the browser, never for people: the strings built here (paths,
points) hold Python's own float text, and templates write coordinates with localization off
(``{% localize off %}`` or ``|unlocalize``), so a Spanish page never draws at "34,5". Labels are
for people: dates go through Django's formats (``chart_date``) and numbers are localized by the
template. Labels reach the SVG through the templates' autoescaping, never ``mark_safe``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import date_format, get_format


@dataclass(frozen=True)
class Box:
    """A chart's drawing box in SVG user units, and the margins its axes' labels sit in."""

    width: int
    height: int
    left: int
    top: int
    bottom: int
    right: int = 0

    @property
    def plot_left(self) -> int:
        return self.left

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_top(self) -> int:
        return self.top

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_width(self) -> int:
        return self.plot_right - self.plot_left

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top


@dataclass(frozen=True)
class Scale:
    """Values from ``low`` to ``high`` onto user units from ``start`` to ``end``, rounded to
    ``digits`` (a vertical scale starts at the plot's bottom, so its ``start`` is the larger)."""

    low: float
    high: float
    start: float
    end: float
    digits: int = 1

    def __call__(self, value: float) -> float:
        return round(self.start + self._offset(value), self.digits)

    def extent(self, value: float) -> float:
        """How far ``value`` lies from ``low``, in user units: a bar's length."""
        return round(abs(self._offset(value)), self.digits)

    def _offset(self, value: float) -> float:
        # Multiplied before divided, so a whole number of units stays whole.
        return (value - self.low) * (self.end - self.start) / (self.high - self.low)

    @classmethod
    def across(cls, box: Box, low: float, high: float, *, digits: int = 1) -> Scale:
        """From the plot's left edge (``low``) to its right edge (``high``)."""
        return cls(low, high, box.plot_left, box.plot_right, digits)

    @classmethod
    def upward(cls, box: Box, high: float, *, digits: int = 1) -> Scale:
        """From 0 on the plot's bottom edge up to ``high`` on its top edge."""
        return cls(0, high, box.plot_bottom, box.plot_top, digits)


@dataclass(frozen=True)
class ChartPoint:
    """A labelled place on a chart: an axis's tick."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    """A bar standing on the plot's bottom, ``label`` under it and ``title`` its tooltip."""

    datum: object  # what the app plotted (a week), for the page beside the chart
    label: str
    title: str
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class ValueChart:
    """Values against a dashed reference line (a goal, a target): bars, a line through points,
    or both, over a baseline, the axis's top and zero labelled. Drawn by
    ``templates/charts/_value_chart.html``."""

    box: Box
    top: int  # the value at the plot's top edge
    bars: tuple[Bar, ...] = ()
    points: str = ""  # a polyline's "x,y x,y ..."
    reference_y: float | None = None
    reference_label: int | None = None  # the reference's value beside it; None: unlabelled


def headroom_top(reference: int, values: Iterable[int]) -> int:
    """The top of a value axis: the largest value, and at least a quarter above the reference
    line so the line never sits on the chart's edge."""
    return max([reference * 5 // 4, *values, 1])


def nice_ceiling(value: int) -> int:
    """An axis's top: a round number at or above ``value`` (10, 20, 50, 100, ...)."""
    for step in (5, 10, 20, 25, 50, 100):
        if value <= step * 5:
            return max(step, math.ceil(value / step) * step)
    return math.ceil(value / 100) * 100


def quarter_ticks(top: int) -> range:
    """The values of a value axis's ticks: 0, each quarter of ``top``, ``top``."""
    return range(0, top + 1, max(top // 4, 1))


def bars(
    box: Box, scale: Scale, items: Sequence[tuple[object, float, str, str]]
) -> tuple[Bar, ...]:
    """(datum, value, label, title) items as bars side by side across the plot, each in an
    equal slot with a gap either side."""
    slot = box.plot_width / max(len(items), 1)
    return tuple(
        Bar(
            datum=datum,
            label=label,
            title=title,
            x=round(box.plot_left + i * slot + slot * 0.15, 1),
            y=scale(value),
            width=round(slot * 0.7, 1),
            height=scale.extent(value),
            label_x=round(box.plot_left + i * slot + slot / 2, 1),
        )
        for i, (datum, value, label, title) in enumerate(items)
    )


def polyline(points: Iterable[tuple[float, float]]) -> str:
    """An SVG polyline's ``points``."""
    return " ".join(f"{x},{y}" for x, y in points)


def step_line(
    x: Scale, y: Scale, *, start: float, steps: Sequence[tuple[float, float]]
) -> tuple[str, str]:
    """An SVG path of a value held flat from ``start`` to each (end, value) step's end, rising
    or falling between steps; and the same path closed down to zero, for a fill."""
    parts = [f"M{x(start)} {y(steps[0][1] if steps else 0)}"]
    for i, (end, value) in enumerate(steps):
        if i:
            parts.append(f"V{y(value)}")
        parts.append(f"H{x(end)}")
    line = " ".join(parts)
    return line, f"{line} V{y(0)} H{x(start)} Z"


def chart_date(day: datetime.date) -> str:
    """A date under a chart's bar: the project's short chart date where the language defines
    one, else Django's month-and-day format for it."""
    name = "CHART_DATE_FORMAT"
    if get_format(name) == name:  # not defined for the active language
        name = "MONTH_DAY_FORMAT"
    return date_format(day, name)
