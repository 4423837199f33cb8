"""Interval arithmetic shared by the stage-2 planner and its validator.

Times are whole minutes since local midnight and every interval is ``[start, end)``, ``end``
exclusive, as everywhere in the solver. Kept this small on purpose: the validator may lean on
these few lines without sharing the planner's reasoning, and the tests' oracle
(``tests/scheduling/stage2_oracle.py``) shares nothing at all, so the two checkers stay
independent of the planner.
"""

from __future__ import annotations

from collections.abc import Iterable

from .problem import Window

Span = tuple[int, int]  # (start, end) of a session or group


def inside(windows: Iterable[Window], start: int, end: int) -> bool:
    """Does ``[start, end)`` lie wholly inside one of ``windows``?"""
    return any(w.start <= start and end <= w.end for w in windows)


def overlaps(a: Span, b: Span) -> bool:
    """Do two intervals share a minute? Touching ends do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def round_up(minutes: int, grid: int) -> int:
    """``minutes`` rounded up to a whole number of ``grid`` steps."""
    return -(-minutes // grid) * grid
