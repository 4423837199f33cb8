"""The time grid: the one rule for every time or duration a leader sets, and the guard that
keeps the model and the validator reading the same values.

The model counts time in grid steps (``Problem.granularity`` minutes from midnight; a day type's
first block and dismissal are on that grid). A setting off the grid (a pin at 9:02, a lunch
window 12:02-12:35) would otherwise be floored into the model while the validator judges the
exact minutes, so the two would disagree. Settings are therefore checked at input with
``span_problems`` (models' ``clean()`` format its findings), and ``snap_problem`` turns rows
stored before that check into a ``Problem`` both sides can share: windows a block must fall
inside shrink inward to the grid, time someone is away grows outward, and what cannot be moved
without changing its meaning (a pin, a block length) is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from .clock import clock, clock_span, grade_name
from .problem import Pin, Problem, Reason, StaffMember, Station, Window
from .words import tr

Side = Literal["start", "end"]


@dataclass(frozen=True)
class SpanProblem:
    """What is wrong with one end of a span: ``kind`` is ``off-grid`` (``earlier``/``later``
    are the nearest grid times), ``outside-day`` or ``order`` (it ends at or before it starts)."""

    side: Side
    kind: Literal["off-grid", "outside-day", "order"]
    value: int
    earlier: int = 0
    later: int = 0


def off_grid(minutes: int, grid: int, origin: int = 0) -> tuple[int, int] | None:
    """The grid times either side of ``minutes``, or None when it is on the grid."""
    if grid <= 1 or (minutes - origin) % grid == 0:
        return None
    earlier = minutes - (minutes - origin) % grid
    return earlier, earlier + grid


def inward(start: int, end: int, grid: int, origin: int = 0) -> tuple[int, int]:
    """The largest grid span inside ``start``-``end`` (it may be empty: end <= start)."""
    start_gap = off_grid(start, grid, origin)
    end_gap = off_grid(end, grid, origin)
    return (start_gap[1] if start_gap else start, end_gap[0] if end_gap else end)


def outward(start: int, end: int, grid: int, origin: int = 0) -> tuple[int, int]:
    """The smallest grid span covering ``start``-``end``."""
    start_gap = off_grid(start, grid, origin)
    end_gap = off_grid(end, grid, origin)
    return (start_gap[0] if start_gap else start, end_gap[1] if end_gap else end)


def span_problems(
    start: int | None, end: int | None, *, grid: int, day: Window | None = None
) -> list[SpanProblem]:
    """Everything wrong with a leader's span: each end on the grid counted from the day's
    start, inside the day, and ending after it starts. Either end may be absent (open)."""
    origin = day.start if day is not None else 0
    found: list[SpanProblem] = []
    ends: tuple[tuple[Side, int | None], ...] = (("start", start), ("end", end))
    for side, value in ends:
        if value is None:
            continue
        gap = off_grid(value, grid, origin)
        if gap is not None:
            found.append(SpanProblem(side, "off-grid", value, *gap))
    if found:
        return found
    if start is not None and end is not None and end <= start:
        return [SpanProblem("end", "order", end)]
    if day is not None:
        if start is not None and not day.start <= start < day.end:
            found.append(SpanProblem("start", "outside-day", start))
        elif end is not None and not day.start < end <= day.end:
            found.append(SpanProblem("end", "outside-day", end))
    return found


def length_off_grid(minutes: int, grid: int) -> tuple[int, int] | None:
    """The grid lengths either side of a duration, or None when it is a whole number of steps."""
    gap = off_grid(minutes, grid)
    return None if gap is None else (gap[0], gap[1])


@dataclass(frozen=True)
class Snapped:
    """``snap_problem``'s answer: the problem on the grid, what was moved, what could not be."""

    problem: Problem
    adjusted: tuple[str, ...] = ()
    refused: tuple[Reason, ...] = ()


def snap_problem(problem: Problem) -> Snapped:
    """``problem`` with every stored time on its grid, converted only where that cannot make
    a day valid that the settings as written forbid (see the module docstring)."""
    grid, day = problem.granularity, problem.day
    adjusted: list[str] = []
    refused: list[Reason] = []

    def shrink(window: Window | None, what: str) -> Window | None:
        if window is None:
            return None
        start, end = inward(window.start, window.end, grid, day.start)
        if (start, end) == (window.start, window.end):
            return window
        span = clock_span(window.start, window.end)
        if end <= start:
            adjusted.append(f"{what} {span} holds no whole {grid}-minute step: dropped")
            return None
        adjusted.append(f"{what} {span} narrowed to {clock_span(start, end)}")
        return Window(start, end)

    for edge in (day.start, day.end):
        if off_grid(edge, grid) is not None:
            refused.append(
                Reason(
                    code="off-grid",
                    message=tr(
                        "The day %(day)s is off its %(grid)s-minute grid",
                        day=clock_span(day.start, day.end),
                        grid=grid,
                    ),
                    suggestion=tr("Put the first block and dismissal on the grid."),
                    setting="day",
                )
            )
            return Snapped(problem, (), tuple(refused))

    templates = []
    for template in problem.templates:
        stations: list[Station] = []
        for station in template.stations:
            lengths = (station.minutes, station.block_min, station.block_max, station.step)
            if any(length_off_grid(n, grid) for n in lengths):
                refused.append(
                    Reason(
                        code="off-grid",
                        message=tr(
                            "%(station)s of %(grade)s has block lengths (%(minutes)s minutes, "
                            "%(shortest)s-%(longest)s in steps of %(step)s) off the "
                            "%(grid)s-minute grid",
                            station=station.code,
                            grade=grade_name(template.grade),
                            minutes=station.minutes,
                            shortest=station.block_min,
                            longest=station.block_max,
                            step=station.step,
                            grid=grid,
                        ),
                        suggestion=tr("Use whole steps of the grid for the station's minutes."),
                        setting=f"station:{template.grade}:{station.code}",
                    )
                )
            label = f"{grade_name(template.grade)}'s {station.code}"
            window = shrink(station.window, f"{label} window")
            if station.window is not None and (window is None or window.minutes < station.minutes):
                refused.append(
                    Reason(
                        code="off-grid",
                        message=tr(
                            "%(grade)s's %(station)s window %(window)s leaves less than "
                            "%(minutes)s minutes on the %(grid)s-minute grid",
                            grade=grade_name(template.grade),
                            station=station.code,
                            window=clock_span(station.window.start, station.window.end),
                            minutes=station.minutes,
                            grid=grid,
                        ),
                        suggestion=tr(
                            "Put the %(station)s window on the grid.", station=station.code
                        ),
                        setting=f"station:{template.grade}:{station.code}",
                    )
                )
            preferred = shrink(station.preferred, f"{label} preferred time")
            stations.append(replace(station, window=window, preferred=preferred))
        templates.append(replace(template, stations=tuple(stations)))

    staff: list[StaffMember] = []
    for member in problem.staff:
        available = []
        for window in member.available:
            # Time away grows outward, so the hours left shrink inward.
            kept = shrink(window, f"{member.name}'s hours")
            if kept is not None:
                available.append(kept)
        staff.append(replace(member, available=tuple(available)))

    pins: list[Pin] = []
    for pin in problem.pins:
        ends = [pin.start] + ([pin.end] if pin.end is not None else [])
        if any(off_grid(t, grid, day.start) for t in ends):
            at = clock(pin.start) if pin.end is None else clock_span(pin.start, pin.end)
            refused.append(
                Reason(
                    code="off-grid",
                    message=tr(
                        "The pin of %(station)s at %(time)s is off the %(grid)s-minute grid",
                        station=pin.station,
                        time=at,
                        grid=grid,
                    ),
                    suggestion=tr("Move the pin onto the grid, or remove it."),
                    setting=f"pin:{pin.cohort}:{pin.station}",
                )
            )
        pins.append(pin)

    prep_window = problem.prep_window
    if prep_window is not None:
        # Prep outside the day was never possible (a window after dismissal): keep what lies
        # inside the day, on the grid, and refuse when nothing does. A window left too short
        # for the prep minutes is the engine's to explain, as any short window is.
        start, end = inward(
            max(prep_window.start, day.start), min(prep_window.end, day.end), grid, day.start
        )
        span = clock_span(prep_window.start, prep_window.end)
        if end <= start:
            refused.append(
                Reason(
                    code="off-grid",
                    message=tr(
                        "The prep window %(window)s has no time on the %(grid)s-minute grid of "
                        "the day %(day)s",
                        window=span,
                        grid=grid,
                        day=clock_span(day.start, day.end),
                    ),
                    suggestion=tr("Move the prep window inside the day, on the grid."),
                    setting="settings:prep",
                )
            )
        elif (start, end) != (prep_window.start, prep_window.end):
            adjusted.append(f"The prep window {span} narrowed to {clock_span(start, end)}")
            prep_window = Window(start, end)
    wellbeing = problem.wellbeing
    if wellbeing is not None:
        # A staff lunch must fall inside its window: the window shrinks inward to the grid, and
        # is refused when what is left holds no lunch.
        lunch = wellbeing.lunch_window
        start, end = inward(lunch.start, lunch.end, grid, day.start)
        span = clock_span(lunch.start, lunch.end)
        if end - start < wellbeing.lunch_minutes:
            refused.append(
                Reason(
                    code="off-grid",
                    message=tr(
                        "The staff lunch window %(window)s leaves less than %(minutes)s minutes "
                        "on the %(grid)s-minute grid",
                        window=span,
                        minutes=wellbeing.lunch_minutes,
                        grid=grid,
                    ),
                    suggestion=tr("Put the staff lunch window on the grid."),
                    setting="settings:staff_lunch",
                )
            )
        elif (start, end) != (lunch.start, lunch.end):
            adjusted.append(f"The staff lunch window {span} narrowed to {clock_span(start, end)}")
            wellbeing = replace(wellbeing, lunch_window=Window(start, end))
    snapped = replace(
        problem,
        templates=tuple(templates),
        staff=tuple(staff),
        prep_window=prep_window,
        pins=tuple(pins),
        wellbeing=wellbeing,
    )
    return Snapped(snapped, tuple(adjusted), tuple(refused))
