"""From a stage-1 schedule and the day's Learning Lab inputs to the stage-2 ``PlanProblem``.

Plain data, no Django: the Django side reads the inputs that do not depend on stage 1
(``PlanInputs``: present students and their need, today's service minutes, who may deliver or
tutor, the programs, yesterday's plan); this module combines them with a stage-1 ``Problem`` and
its placed blocks, so the same inputs give the same problem for the same blocks, and a build can
keep stage 1 and re-plan stage 2 alone when only the Learning Lab inputs changed.

An adult's time for groups is their hours today (absences already taken out by stage 1's
``StaffMember.available``) minus:

- the blocks they teach in the stage-1 schedule;
- their prep: stage 1 guarantees each teacher one stretch of ``prep_minutes`` (H7), and groups
  must not eat it. Of the stretches stage 1 left free, the one overlapping students' lab and
  flexible time the least is kept for prep (the earliest on a tie), so services lose the least;
- for lab supervisors, every minute their lab has students: pulling them out for a group would
  break the supervision ratio (H6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .plans import (
    BlockKind,
    LabBlock,
    LabProgram,
    Place,
    PlaceKind,
    PlanProblem,
    PlanSegment,
    PlanWeights,
    Provider,
    ServiceDue,
    StudentDay,
    Tutor,
)
from .problem import PlacedBlock, Problem, Window

PREP_STEP = 5  # minutes between the prep starts tried


@dataclass(frozen=True)
class Adult:
    """Someone who may lead groups in lab and flexible time: the service kinds they deliver,
    whether they tutor, and (for a tutor) the grades they take; empty ``grades``: any."""

    id: int
    delivers: frozenset[str] = frozenset()
    tutors: bool = False
    grades: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PlanSettings:
    grid_minutes: int = 5
    tutoring_minutes: int = 30
    tutoring_session_minutes: int = 20
    min_tutoring_need: float = 0.0
    tutor_group_size: int = 4
    max_changes: int = 2
    adjacent_grades: bool = False
    passing_minutes: int = 5
    stability_weight: int = PlanWeights().stability


@dataclass(frozen=True)
class PlanInputs:
    """Everything stage 2 reads that does not depend on the stage-1 schedule."""

    students: tuple[StudentDay, ...]
    programs: tuple[LabProgram, ...]
    services: tuple[ServiceDue, ...]
    adults: tuple[Adult, ...]
    previous: tuple[PlanSegment, ...] = ()
    settings: PlanSettings = PlanSettings()
    places: tuple[Place, ...] = ()  # available all day; ``plan_problem`` takes stage 1's use out


def lab_blocks(problem: Problem, placed: Iterable[PlacedBlock]) -> tuple[LabBlock, ...]:
    """The lab and flexible blocks of a stage-1 schedule, as stage 2 reads them."""
    known = {c.id for c in problem.cohorts}
    kinds = {"lab": BlockKind.LAB, "flex": BlockKind.FLEX}
    return tuple(
        sorted(
            (
                LabBlock(b.cohort, kinds[b.station], b.start, b.end, b.room)
                for b in placed
                if b.station in kinds and b.cohort in known
            ),
            key=lambda b: (b.cohort, b.start),
        )
    )


def plan_problem(
    inputs: PlanInputs, problem: Problem, placed: Iterable[PlacedBlock]
) -> PlanProblem:
    """The stage-2 problem of ``problem``'s day scheduled as ``placed``."""
    placed = tuple(placed)
    blocks = lab_blocks(problem, placed)
    free = _group_time(inputs, problem, placed, blocks)
    providers = tuple(
        Provider(adult.id, adult.delivers, free[adult.id])
        for adult in inputs.adults
        if adult.delivers and adult.id in free
    )
    tutors = tuple(
        Tutor(
            adult.id,
            free[adult.id],
            max_group_size=inputs.settings.tutor_group_size,
            grades=adult.grades,
        )
        for adult in inputs.adults
        if adult.tutors and adult.id in free
    )
    settings = inputs.settings
    return PlanProblem(
        school=problem.school,
        date=problem.date,
        blocks=blocks,
        students=inputs.students,
        programs=inputs.programs,
        services=inputs.services,
        providers=providers,
        tutors=tutors,
        places=_places_today(inputs.places, placed),
        grid_minutes=settings.grid_minutes,
        tutoring_minutes=settings.tutoring_minutes,
        tutoring_session_minutes=settings.tutoring_session_minutes,
        min_tutoring_need=settings.min_tutoring_need,
        max_changes=settings.max_changes,
        adjacent_grades=settings.adjacent_grades,
        passing_minutes=settings.passing_minutes,
        previous=inputs.previous,
        weights=PlanWeights(stability=settings.stability_weight),
    )


def _places_today(places: tuple[Place, ...], placed: tuple[PlacedBlock, ...]) -> tuple[Place, ...]:
    """Rooms as stage 1 leaves them: a classroom or resource room is free for groups only while
    no block of the day is held in it. Lab zones stay: the lab's seats are stage 1's business
    and its zones' capacities stage 2's."""
    used: dict[int, list[tuple[int, int]]] = {}
    for block in placed:
        if block.room is not None:
            used.setdefault(block.room, []).append((block.start, block.end))
    today = []
    for place in places:
        if place.kind == PlaceKind.LAB_ZONE or place.id not in used:
            today.append(place)
            continue
        windows = _subtract([(w.start, w.end) for w in place.available], used[place.id])
        today.append(replace(place, available=tuple(Window(a, b) for a, b in windows)))
    return tuple(today)


def _group_time(
    inputs: PlanInputs,
    problem: Problem,
    placed: tuple[PlacedBlock, ...],
    blocks: tuple[LabBlock, ...],
) -> dict[int, tuple[Window, ...]]:
    """Each adult's windows free for groups; adults not working today are left out."""
    staff = {member.id: member for member in problem.staff}
    supervised = {s: sup.lab for sup in problem.supervision for s in sup.supervisors}
    lab_time = _merge((b.start, b.end) for b in blocks)
    free: dict[int, tuple[Window, ...]] = {}
    for adult in inputs.adults:
        member = staff.get(adult.id)
        if member is None or not member.available:
            continue
        busy = [(b.start, b.end) for b in placed if adult.id in b.staff]
        if (lab := supervised.get(adult.id)) is not None:
            busy += [(b.start, b.end) for b in placed if b.room == lab and b.station == "lab"]
        windows = _subtract([(w.start, w.end) for w in member.available], busy)
        if member.prep_minutes:
            prep = _prep_stretch(windows, member.prep_minutes, problem.prep_window, lab_time)
            if prep is not None:
                windows = _subtract(windows, [prep])
        free[adult.id] = tuple(Window(a, b) for a, b in windows)
    return free


def _prep_stretch(
    windows: list[tuple[int, int]],
    minutes: int,
    within: Window | None,
    lab_time: list[tuple[int, int]],
) -> tuple[int, int] | None:
    """The stretch of ``minutes`` kept for prep: least overlap with lab time, then earliest."""
    best: tuple[int, int, int] | None = None
    for start, end in windows:
        lo = max(start, within.start) if within else start
        hi = min(end, within.end) if within else end
        for s in range(lo, hi - minutes + 1, PREP_STEP):
            overlap = sum(max(0, min(s + minutes, b) - max(s, a)) for a, b in lab_time)
            if best is None or (overlap, s) < best[:2]:
                best = (overlap, s, s + minutes)
    return (best[1], best[2]) if best is not None else None


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _subtract(
    windows: Iterable[tuple[int, int]], busy: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``windows`` minus every ``busy`` span, as sorted disjoint spans."""
    free = sorted(windows)
    for a, b in _merge(busy):
        remaining = []
        for start, end in free:
            if start < a:
                remaining.append((start, min(end, a)))
            if b < end:
                remaining.append((max(start, b), end))
        free = [(s, e) for s, e in remaining if e > s]
    return free
