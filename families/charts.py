"""The family page's small chart: lab minutes of each recent week as bars, the weekly goal as a
dashed line. Numbers to SVG coordinates, the way ``learninglabs.views.ProgramCharts`` draws the
staff's chart, on a narrower box that a phone shows whole (the SVG scales to its width)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format, get_format

from .selectors import LabProgress, WeekMinutes

WIDTH = 320
HEIGHT = 170
LEFT = 34  # the minutes' labels
BOTTOM = 22  # the weeks' labels
TOP = 10


def chart_date(day: datetime.date) -> str:
    """A week's label: the project's short chart date where the language defines one, else
    Django's month-and-day format for it."""
    name = "CHART_DATE_FORMAT"
    if get_format(name) == name:  # not defined for the active language
        name = "MONTH_DAY_FORMAT"
    return date_format(day, name)


@dataclass(frozen=True)
class ChartBar:
    week: WeekMinutes
    label: str
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class ProgressChart:
    bars: tuple[ChartBar, ...]
    goal: int
    goal_y: float
    top_minutes: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline_y: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - 6


def progress_chart(progress: LabProgress) -> ProgressChart:
    top = max([progress.goal * 5 // 4, *(w.minutes for w in progress.weeks), 1])
    plot_w = WIDTH - LEFT
    plot_h = HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(progress.weeks), 1)

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    return ProgressChart(
        bars=tuple(
            ChartBar(
                week=w,
                label=chart_date(w.start),
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=y_of(w.minutes),
                width=round(slot * 0.7, 1),
                height=round(plot_h * w.minutes / top, 1),
                label_x=round(LEFT + i * slot + slot / 2, 1),
            )
            for i, w in enumerate(progress.weeks)
        ),
        goal=progress.goal,
        goal_y=y_of(progress.goal),
        top_minutes=top,
    )
