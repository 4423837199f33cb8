"""A member of staff's hours as the day model sees them: the parts of the day they are away,
and their windows merged into disjoint stretches."""

from __future__ import annotations

from collections.abc import Iterable

from ..problem import Window


def unavailable(available: tuple[Window, ...], day: Window) -> list[Window]:
    """The parts of ``day`` outside the ``available`` windows."""
    gaps, cursor = [], day.start
    for window in sorted(available, key=lambda w: w.start):
        if window.start > cursor:
            gaps.append(Window(cursor, min(window.start, day.end)))
        cursor = max(cursor, window.end)
        if cursor >= day.end:
            break
    if cursor < day.end:
        gaps.append(Window(cursor, day.end))
    return [g for g in gaps if g.start < day.end and g.end > day.start]


def merged(windows: Iterable[Window]) -> list[tuple[int, int]]:
    """The union of ``windows`` as sorted, disjoint ``(start, end)`` pairs (touching ones join)."""
    spans: list[tuple[int, int]] = []
    for window in sorted(windows, key=lambda w: w.start):
        if spans and window.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], window.end))
        else:
            spans.append((window.start, window.end))
    return spans
