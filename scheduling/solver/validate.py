"""The independent checker of stage-1 schedules: does a list of blocks keep every hard constraint?

This module is written apart from the solver on purpose, and it must stay that way. It reads only
the frozen data contract of ``problem.py`` (a ``Problem`` and the ``PlacedBlock`` list to judge)
and re-derives H1-H8 of ``shared/design/domain.md`` (and W1-W3, staff well-being, when the
problem sets it: see ``problem.WellBeing``) from scratch, without importing the solver,
its model or OR-Tools. A bug in the solver's model then shows up here as a violation instead of
being published; the nightly rebuild refuses any schedule for which ``validate`` returns anything.

``validate`` lists every violation, not just the first, sorted by constraint and then message, in
school terms: cohort, staff and room names with their ids and clock times like "9:05" (never a
student's name). Times are minutes since midnight; a block's ``end`` is exclusive.

Checks that hold "at every minute" (H5, H6, overlaps) sweep over block boundaries instead of
walking minutes, so a school of ~50 cohorts and ~400 blocks validates in a few milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from .clock import clock, clock_span, grade_name
from .problem import (
    Cohort,
    GradeTemplate,
    PlacedBlock,
    Problem,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    WellBeing,
    Window,
)
from .words import tr, trn


@dataclass(frozen=True)
class Violation:
    """One broken hard constraint, with the ids of what it concerns so a page can link to it."""

    constraint: str  # "H1".."H8", "W1".."W3" (staff well-being)
    message: str
    cohort: int | None = None
    staff: int | None = None
    room: int | None = None


def validate(problem: Problem, blocks: Sequence[PlacedBlock]) -> tuple[Violation, ...]:
    """Every hard constraint ``blocks`` break for ``problem``; ``()`` for a valid schedule."""
    school = _School.index(problem, blocks)
    violations = [
        *_check_h1_coverage(school),
        *_check_h2_station_minutes(school),
        *_check_h3_windows(school),
        *_check_h4_staff_and_rooms(school),
        *_check_h5_shared_room_capacity(school),
        *_check_h6_lab_supervision(school),
        *_check_h7_prep(school),
        *_check_h8_pins(school),
        *_check_wellbeing(school),
        *_check_combined(school),
    ]
    return tuple(sorted(violations, key=_violation_order))


# --- lookups -----------------------------------------------------------------------------------


@dataclass
class _School:
    """The problem indexed by id, and the blocks to judge grouped the ways the checks need.

    Blocks that end at or before they start, and blocks of cohorts the problem does not know, are
    reported once under H1 and left out of every other check (``blocks`` holds the rest).
    """

    problem: Problem
    cohorts: dict[int, Cohort]
    rooms: dict[int, Room]
    staff: dict[int, StaffMember]
    templates: dict[int, GradeTemplate]  # by cohort id: the template each cohort follows
    empty_blocks: list[PlacedBlock]
    stray_blocks: list[PlacedBlock]
    blocks: list[PlacedBlock]
    by_cohort: dict[int, list[PlacedBlock]] = field(default_factory=dict)
    by_staff: dict[int, list[PlacedBlock]] = field(default_factory=dict)
    by_room: dict[int, list[PlacedBlock]] = field(default_factory=dict)

    @classmethod
    def index(cls, problem: Problem, blocks: Sequence[PlacedBlock]) -> _School:
        cohorts = {c.id: c for c in problem.cohorts}
        school = cls(
            problem=problem,
            cohorts=cohorts,
            rooms={r.id: r for r in problem.rooms},
            staff={s.id: s for s in problem.staff},
            templates={
                c.id: problem.template_of(c)
                for c in problem.cohorts
                if any(
                    c.id in t.cohorts or (t.grade == c.grade and not t.cohorts)
                    for t in problem.templates
                )
            },
            empty_blocks=[b for b in blocks if b.end <= b.start],
            stray_blocks=[b for b in blocks if b.end > b.start and b.cohort not in cohorts],
            blocks=sorted(
                (b for b in blocks if b.end > b.start and b.cohort in cohorts), key=_block_order
            ),
        )
        by_cohort: dict[int, list[PlacedBlock]] = defaultdict(list)
        by_staff: dict[int, list[PlacedBlock]] = defaultdict(list)
        by_room: dict[int, list[PlacedBlock]] = defaultdict(list)
        for block in school.blocks:
            by_cohort[block.cohort].append(block)
            for staff_id in sorted(set(block.staff)):
                by_staff[staff_id].append(block)
            if block.room is not None:
                by_room[block.room].append(block)
        school.by_cohort, school.by_staff, school.by_room = by_cohort, by_staff, by_room
        return school

    def station(self, block: PlacedBlock) -> Station | None:
        """The station of ``block`` in its cohort's template, if the template has it."""
        template = self.templates.get(block.cohort)
        return template.station(block.station) if template else None

    # --- names for messages ---
    def cohort_name(self, cohort_id: int) -> str:
        cohort = self.cohorts.get(cohort_id)
        if cohort is None:
            return tr("unknown cohort %(cohort)s", cohort=cohort_id)
        return tr("%(name)s (cohort %(cohort)s)", name=cohort.name, cohort=cohort_id)

    def staff_name(self, staff_id: int) -> str:
        member = self.staff.get(staff_id)
        if member is None:
            return tr("unknown staff %(staff)s", staff=staff_id)
        return tr("%(name)s (staff %(staff)s)", name=member.name, staff=staff_id)

    def room_name(self, room_id: int | None) -> str:
        if room_id is None:
            return tr("outdoors")
        room = self.rooms.get(room_id)
        if room is None:
            return tr("unknown room %(room)s", room=room_id)
        return tr("%(name)s (room %(room)s)", name=room.name, room=room_id)

    def owned(self, block: PlacedBlock) -> str:
        """``block`` with its cohort: "K Stanford (cohort 1)'s literacy 8:00-9:00"."""
        return tr(
            "%(cohort)s's %(block)s", cohort=self.cohort_name(block.cohort), block=_describe(block)
        )


def _describe(block: PlacedBlock) -> str:
    """A block as a leader reads it: "literacy 8:00-9:00"."""
    return tr(
        "%(station)s %(time)s", station=block.station, time=clock_span(block.start, block.end)
    )


def _block_order(block: PlacedBlock) -> tuple[int, int, int, str, int, tuple[int, ...]]:
    room = -1 if block.room is None else block.room
    return (block.start, block.end, block.cohort, block.station, room, block.staff)


def _violation_order(v: Violation) -> tuple[str, str, int, int, int]:
    return (
        v.constraint,
        v.message,
        -1 if v.cohort is None else v.cohort,
        -1 if v.staff is None else v.staff,
        -1 if v.room is None else v.room,
    )


# --- interval helpers --------------------------------------------------------------------------

Interval = tuple[int, int]


def _overlapping_pairs(blocks: Iterable[PlacedBlock]) -> list[tuple[PlacedBlock, PlacedBlock]]:
    """Every pair of blocks sharing at least one minute, earlier-starting block first."""
    pairs: list[tuple[PlacedBlock, PlacedBlock]] = []
    active: list[PlacedBlock] = []
    for block in sorted(blocks, key=_block_order):
        active = [a for a in active if a.end > block.start]
        pairs.extend((a, block) for a in active)
        active.append(block)
    return pairs


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint, non-touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersect(intervals: Iterable[Interval], window: Window) -> list[Interval]:
    clipped = ((max(s, window.start), min(e, window.end)) for s, e in intervals)
    return [(s, e) for s, e in clipped if e > s]


def _longest_free_stretch(within: list[Interval], busy: list[Interval]) -> int:
    """The longest run of minutes inside ``within`` (disjoint) not covered by ``busy`` (merged)."""
    longest = 0
    for start, end in within:
        cursor = start
        for busy_start, busy_end in busy:
            if busy_end <= cursor or busy_start >= end:
                continue
            longest = max(longest, busy_start - cursor)
            cursor = max(cursor, busy_end)
        longest = max(longest, end - cursor)
    return longest


def _sweep(*series: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """The timeline cut at every boundary of the weighted intervals ``(start, end, weight)`` of
    each series: pieces ``(start, end, totals)`` where ``totals[i]`` is the summed weight of
    series ``i`` covering the piece. Adjacent pieces with equal totals are merged; only the
    stretch from the first boundary to the last is covered."""
    deltas: dict[int, list[int]] = defaultdict(lambda: [0] * len(series))
    for i, intervals in enumerate(series):
        for start, end, weight in intervals:
            if end > start:
                deltas[start][i] += weight
                deltas[end][i] -= weight
    pieces: list[tuple[int, int, tuple[int, ...]]] = []
    totals = [0] * len(series)
    times = sorted(deltas)
    for start, end in pairwise(times):
        totals = [t + d for t, d in zip(totals, deltas[start], strict=True)]
        value = tuple(totals)
        if pieces and pieces[-1][1] == start and pieces[-1][2] == value:
            pieces[-1] = (pieces[-1][0], end, value)
        else:
            pieces.append((start, end, value))
    return pieces


def _presence(
    school: _School, room_id: int, weight_of: dict[int, int]
) -> list[tuple[int, int, int]]:
    """Weighted intervals of the cohorts present in a room, each cohort counted once at a time."""
    spans: dict[int, list[Interval]] = defaultdict(list)
    for block in school.by_room.get(room_id, []):
        spans[block.cohort].append((block.start, block.end))
    return [
        (start, end, weight_of[cohort_id])
        for cohort_id in sorted(spans)
        for start, end in _merge(spans[cohort_id])
    ]


# --- H1: every cohort's day covered, without overlap, with passing time -------------------------


def _check_h1_coverage(school: _School) -> list[Violation]:
    problem = school.problem
    found: list[Violation] = []
    for block in school.empty_blocks:
        found.append(
            Violation(
                "H1",
                tr("%(block)s ends at or before it starts", block=school.owned(block)),
                cohort=block.cohort,
            )
        )
    for block in school.stray_blocks:
        found.append(
            Violation(
                "H1",
                tr(
                    "%(block)s belongs to unknown cohort %(cohort)s",
                    block=_describe(block),
                    cohort=block.cohort,
                ),
                cohort=block.cohort,
            )
        )
    for cohort in problem.cohorts:
        own = school.by_cohort.get(cohort.id, [])
        if not own:
            found.append(
                Violation(
                    "H1",
                    tr(
                        "%(cohort)s has no blocks between %(start)s and %(end)s",
                        cohort=school.cohort_name(cohort.id),
                        start=clock(problem.day.start),
                        end=clock(problem.day.end),
                    ),
                    cohort=cohort.id,
                )
            )
            continue
        found.extend(_h1_overlaps(school, own))
        found.extend(_h1_day_edges(school, cohort, own))
        found.extend(_h1_gaps_and_passing(school, cohort, own))
        found.extend(_h1_grid(school, own))
    return found


def _h1_overlaps(school: _School, own: list[PlacedBlock]) -> list[Violation]:
    return [
        Violation(
            "H1",
            tr(
                "%(cohort)s has %(first)s and %(second)s at the same time",
                cohort=school.cohort_name(a.cohort),
                first=_describe(a),
                second=_describe(b),
            ),
            cohort=a.cohort,
        )
        for a, b in _overlapping_pairs(own)
    ]


def _h1_day_edges(school: _School, cohort: Cohort, own: list[PlacedBlock]) -> list[Violation]:
    day = school.problem.day
    name = school.cohort_name(cohort.id)
    first = min(own, key=lambda b: (b.start, b.end))
    last = max(own, key=lambda b: (b.end, b.start))
    found: list[Violation] = []
    if first.start > day.start:
        found.append(
            Violation(
                "H1",
                tr(
                    "%(cohort)s has no block from %(start)s to %(first)s; "
                    "the day starts at %(start)s",
                    cohort=name,
                    start=clock(day.start),
                    first=clock(first.start),
                ),
                cohort=cohort.id,
            )
        )
    elif first.start < day.start:
        found.append(
            Violation(
                "H1",
                tr(
                    "%(cohort)s has %(block)s before the day starts at %(start)s",
                    cohort=name,
                    block=_describe(first),
                    start=clock(day.start),
                ),
                cohort=cohort.id,
            )
        )
    if last.end < day.end:
        found.append(
            Violation(
                "H1",
                tr(
                    "%(cohort)s has no block from %(last)s to %(dismissal)s; "
                    "dismissal is at %(dismissal)s",
                    cohort=name,
                    last=clock(last.end),
                    dismissal=clock(day.end),
                ),
                cohort=cohort.id,
            )
        )
    elif last.end > day.end:
        found.append(
            Violation(
                "H1",
                tr(
                    "%(cohort)s has %(block)s after dismissal at %(dismissal)s",
                    cohort=name,
                    block=_describe(last),
                    dismissal=clock(day.end),
                ),
                cohort=cohort.id,
            )
        )
    return found


def _h1_gaps_and_passing(
    school: _School, cohort: Cohort, own: list[PlacedBlock]
) -> list[Violation]:
    """Between a block and the one before it (the latest-ending so far): no gap longer than the
    passing time, and the full passing time when the cohort changes rooms."""
    passing = school.problem.passing_minutes
    name = school.cohort_name(cohort.id)
    found: list[Violation] = []
    previous = own[0]
    for block in own[1:]:
        gap = block.start - previous.end
        if gap > passing:
            found.append(
                Violation(
                    "H1",
                    tr(
                        "%(cohort)s is left without a block from %(start)s to %(end)s, "
                        "longer than the %(passing)s-minute passing time",
                        cohort=name,
                        start=clock(previous.end),
                        end=clock(block.start),
                        passing=passing,
                    ),
                    cohort=cohort.id,
                )
            )
        elif 0 <= gap < passing and block.room != previous.room:
            found.append(
                Violation(
                    "H1",
                    trn(
                        "%(cohort)s has %(count)s minute to pass from %(from_room)s to "
                        "%(to_room)s at %(time)s; passing takes %(passing)s",
                        "%(cohort)s has %(count)s minutes to pass from %(from_room)s to "
                        "%(to_room)s at %(time)s; passing takes %(passing)s",
                        gap,
                        cohort=name,
                        from_room=school.room_name(previous.room),
                        to_room=school.room_name(block.room),
                        time=clock(previous.end),
                        passing=passing,
                    ),
                    cohort=cohort.id,
                )
            )
        if block.end > previous.end:
            previous = block
    return found


def _h1_grid(school: _School, own: list[PlacedBlock]) -> list[Violation]:
    granularity = school.problem.granularity
    if granularity <= 0:
        return []
    return [
        Violation(
            "H1",
            tr(
                "%(block)s is off the %(grid)s-minute grid",
                block=school.owned(block),
                grid=granularity,
            ),
            cohort=block.cohort,
        )
        for block in own
        if block.start % granularity or block.end % granularity
    ]


# --- H2: each station's minutes, in allowed blocks ---------------------------------------------


def _check_h2_station_minutes(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for cohort in school.problem.cohorts:
        name = school.cohort_name(cohort.id)
        grade = grade_name(cohort.grade, short=True)
        template = school.templates.get(cohort.id)
        if template is None:
            found.append(
                Violation(
                    "H2",
                    tr(
                        "%(cohort)s is in grade %(grade)s, which has no rotation template",
                        cohort=name,
                        grade=grade,
                    ),
                    cohort=cohort.id,
                )
            )
            continue
        own = school.by_cohort.get(cohort.id, [])
        for block in own:
            if template.station(block.station) is None:
                found.append(
                    Violation(
                        "H2",
                        tr(
                            "%(cohort)s has %(block)s, a station not in the grade %(grade)s "
                            "template",
                            cohort=name,
                            block=_describe(block),
                            grade=grade,
                        ),
                        cohort=cohort.id,
                    )
                )
        for station in template.stations:
            station_blocks = [b for b in own if b.station == station.code]
            found.extend(_h2_station(school, cohort, station, station_blocks))
    return found


def _h2_station(
    school: _School, cohort: Cohort, station: Station, station_blocks: list[PlacedBlock]
) -> list[Violation]:
    name = school.cohort_name(cohort.id)
    found: list[Violation] = []
    total = sum(b.minutes for b in station_blocks)
    if total != station.minutes:
        found.append(
            Violation(
                "H2",
                tr(
                    "%(cohort)s has %(minutes)s minutes of %(station)s; the grade %(grade)s "
                    "template requires %(required)s",
                    cohort=name,
                    minutes=total,
                    station=station.code,
                    grade=grade_name(cohort.grade, short=True),
                    required=station.minutes,
                ),
                cohort=cohort.id,
            )
        )
    if len(station_blocks) > station.max_blocks:
        found.append(
            Violation(
                "H2",
                tr(
                    "%(cohort)s has %(blocks)s blocks of %(station)s; at most %(most)s allowed",
                    cohort=name,
                    blocks=len(station_blocks),
                    station=station.code,
                    most=station.max_blocks,
                ),
                cohort=cohort.id,
            )
        )
    for block in station_blocks:
        if not station.block_min <= block.minutes <= station.block_max:
            found.append(
                Violation(
                    "H2",
                    tr(
                        "%(cohort)s has %(block)s lasting %(minutes)s minutes; %(station)s "
                        "blocks last %(least)s to %(most)s minutes",
                        cohort=name,
                        block=_describe(block),
                        minutes=block.minutes,
                        station=station.code,
                        least=station.block_min,
                        most=station.block_max,
                    ),
                    cohort=cohort.id,
                )
            )
        if station.step > 0 and block.minutes % station.step:
            found.append(
                Violation(
                    "H2",
                    tr(
                        "%(cohort)s has %(block)s lasting %(minutes)s minutes, not a multiple "
                        "of %(step)s",
                        cohort=name,
                        block=_describe(block),
                        minutes=block.minutes,
                        step=station.step,
                    ),
                    cohort=cohort.id,
                )
            )
    return found


# --- H3: fixed events inside their windows -----------------------------------------------------


def _check_h3_windows(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for block in school.blocks:
        station = school.station(block)
        if station is None or station.window is None:
            continue
        window = station.window
        if not window.contains(block.start, block.end):
            found.append(
                Violation(
                    "H3",
                    tr(
                        "%(cohort)s has %(block)s outside its window %(window)s",
                        cohort=school.cohort_name(block.cohort),
                        block=_describe(block),
                        window=clock_span(window.start, window.end),
                    ),
                    cohort=block.cohort,
                )
            )
    return found


# --- H4: qualified, assigned, available staff; nobody and no classroom in two places -----------


def _check_h4_staff_and_rooms(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for block in school.blocks:
        station = school.station(block)
        if station is None:
            continue  # reported under H2
        found.extend(_h4_block_staff(school, block, station))
        found.extend(_h4_block_room(school, block, station))
    found.extend(_h4_staff_in_two_places(school))
    found.extend(_h4_single_cohort_rooms_shared(school))
    return found


def _available(member: StaffMember, start: int, end: int) -> bool:
    """Whether ``member`` is there for all of ``start``-``end`` (touching windows join up)."""
    windows = _merge((w.start, w.end) for w in member.available)
    return any(s <= start and end <= e for s, e in windows)


def _h4_block_staff(school: _School, block: PlacedBlock, station: Station) -> list[Violation]:
    owned = school.owned(block)
    if station.staff_role is None:
        if not block.staff:
            return []
        names = ", ".join(school.staff_name(s) for s in block.staff)
        return [
            Violation(
                "H4",
                tr(
                    "%(block)s has staff %(names)s; %(station)s takes no staff",
                    block=owned,
                    names=names,
                    station=station.code,
                ),
                cohort=block.cohort,
                staff=block.staff[0],
            )
        ]
    role = station.staff_role
    if not block.staff:
        return [
            Violation(
                "H4",
                tr("%(block)s has no %(role)s staff", block=owned, role=role),
                cohort=block.cohort,
            )
        ]
    if len(block.staff) > 1:
        names = ", ".join(school.staff_name(s) for s in block.staff)
        return [
            Violation(
                "H4",
                tr(
                    "%(block)s has %(count)s staff (%(names)s); it takes exactly one",
                    block=owned,
                    count=len(block.staff),
                    names=names,
                ),
                cohort=block.cohort,
            )
        ]
    staff_id = block.staff[0]
    member = school.staff.get(staff_id)
    if member is None:
        return [
            Violation(
                "H4",
                tr("%(block)s is taken by unknown staff %(staff)s", block=owned, staff=staff_id),
                cohort=block.cohort,
                staff=staff_id,
            )
        ]
    teacher = school.staff_name(staff_id)
    found: list[Violation] = []
    if role not in member.roles:
        found.append(
            Violation(
                "H4",
                tr(
                    "%(teacher)s takes %(block)s without the %(role)s role",
                    teacher=teacher,
                    block=owned,
                    role=role,
                ),
                cohort=block.cohort,
                staff=staff_id,
            )
        )
    if staff_id not in school.problem.candidates(block.cohort, station.code):
        found.append(
            Violation(
                "H4",
                tr(
                    "%(teacher)s takes %(block)s but is not assigned to it",
                    teacher=teacher,
                    block=owned,
                ),
                cohort=block.cohort,
                staff=staff_id,
            )
        )
    if not _available(member, block.start, block.end):
        found.append(
            Violation(
                "H4",
                tr(
                    "%(teacher)s takes %(block)s but is not available then",
                    teacher=teacher,
                    block=owned,
                ),
                cohort=block.cohort,
                staff=staff_id,
            )
        )
    return found


def _h4_block_room(school: _School, block: PlacedBlock, station: Station) -> list[Violation]:
    """The block happens where the configuration puts it (teacher's room, lab, cafeteria...)."""
    staff_id = block.staff[0] if len(block.staff) == 1 else None
    if station.venue == Venue.STAFF_ROOM and (staff_id is None or staff_id not in school.staff):
        return []  # whose room it should be is unclear: the staff fault is reported above
    expected = school.problem.venue_room(school.cohorts[block.cohort], station, staff_id)
    if block.room == expected:
        return []
    return [
        Violation(
            "H4",
            tr(
                "%(block)s is in %(room)s; it belongs in %(expected)s",
                block=school.owned(block),
                room=school.room_name(block.room),
                expected=school.room_name(expected),
            ),
            cohort=block.cohort,
            room=block.room,
        )
    ]


def _h4_staff_in_two_places(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for staff_id in sorted(school.by_staff):
        for a, b in _overlapping_pairs(school.by_staff[staff_id]):
            if _taught_together(school, a, b):
                continue
            found.append(
                Violation(
                    "H4",
                    tr(
                        "%(staff)s is in two places at once: %(first)s and %(second)s",
                        staff=school.staff_name(staff_id),
                        first=school.owned(a),
                        second=school.owned(b),
                    ),
                    staff=staff_id,
                )
            )
    return found


def _h4_single_cohort_rooms_shared(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for room in school.problem.rooms:
        if room.kind not in (RoomKind.CLASSROOM, RoomKind.RESOURCE_ROOM):
            continue
        for a, b in _overlapping_pairs(school.by_room.get(room.id, [])):
            if a.cohort != b.cohort and not _taught_together(school, a, b):
                found.append(
                    Violation(
                        "H4",
                        tr(
                            "%(room)s holds %(first)s and %(second)s at once",
                            room=school.room_name(room.id),
                            first=school.owned(a),
                            second=school.owned(b),
                        ),
                        room=room.id,
                    )
                )
    return found


def _taught_together(school: _School, a: PlacedBlock, b: PlacedBlock) -> bool:
    """Whether ``a`` and ``b`` are one combined block: cohorts combined for the station, at the
    same time with the same staff in the same room (``_check_combined`` checks the rest)."""
    if (a.station, a.start, a.end, a.staff, a.room) != (b.station, b.start, b.end, b.staff, b.room):
        return False
    return any(
        c.station == a.station and a.cohort in c.cohorts and b.cohort in c.cohorts
        for c in school.problem.combined
    )


def _taught(
    school: _School, cohort_id: int, code: str
) -> list[tuple[int, int, tuple[int, ...], int | None]]:
    """The cohort's blocks of station ``code`` as times, staff and room, in order."""
    return [
        (b.start, b.end, b.staff, b.room)
        for b in school.by_cohort.get(cohort_id, [])
        if b.station == code
    ]


def _check_combined(school: _School) -> list[Violation]:
    """Combined cohorts (absence recovery): their blocks of the station coincide, one teacher
    and one room for all, and the room holds all their students."""
    found: list[Violation] = []
    for combination in school.problem.combined:
        code = combination.station
        unknown = [c for c in combination.cohorts if c not in school.cohorts]
        if unknown or len(combination.cohorts) < 2:
            found.append(
                Violation(
                    "H4",
                    trn(
                        "The combined %(station)s names %(count)s cohort(s), %(unknown)s "
                        "unknown; it needs two or more of this school",
                        "The combined %(station)s names %(count)s cohort(s), %(unknown)s "
                        "unknown; it needs two or more of this school",
                        len(combination.cohorts),
                        station=code,
                        unknown=len(unknown),
                    ),
                )
            )
            continue
        names = " and ".join(school.cohort_name(c) for c in combination.cohorts)
        room = school.rooms.get(combination.room)
        students = sum(school.cohorts[c].students for c in combination.cohorts)
        if room is None or not room.counts_students or room.shared:
            found.append(
                Violation(
                    "H4",
                    tr(
                        "%(cohorts)s are combined for %(station)s in %(room)s, not a classroom",
                        cohorts=names,
                        station=code,
                        room=school.room_name(combination.room),
                    ),
                    room=combination.room,
                )
            )
        elif students > room.capacity:
            found.append(
                Violation(
                    "H5",
                    trn(
                        "%(cohorts)s are combined for %(station)s in %(room)s with %(count)s "
                        "student; it seats %(capacity)s",
                        "%(cohorts)s are combined for %(station)s in %(room)s with %(count)s "
                        "students; it seats %(capacity)s",
                        students,
                        cohorts=names,
                        station=code,
                        room=school.room_name(room.id),
                        capacity=room.capacity,
                    ),
                    room=room.id,
                )
            )
        lead = combination.cohorts[0]
        for other in combination.cohorts[1:]:
            if _taught(school, other, code) != _taught(school, lead, code):
                found.append(
                    Violation(
                        "H4",
                        tr(
                            "%(cohort)s's %(station)s does not coincide with %(lead)s's "
                            "(same times, staff and room), though they are combined",
                            cohort=school.cohort_name(other),
                            station=code,
                            lead=school.cohort_name(lead),
                        ),
                        cohort=other,
                    )
                )
    return found


# --- H5: shared rooms within capacity ----------------------------------------------------------


def _check_h5_shared_room_capacity(school: _School) -> list[Violation]:
    found: list[Violation] = []
    students = {c.id: c.students for c in school.problem.cohorts}
    one_each = dict.fromkeys(school.cohorts, 1)
    for room in school.problem.rooms:
        lab = room.kind == RoomKind.LEARNING_LAB
        if not lab and room.kind not in (RoomKind.CAFETERIA, RoomKind.GYM):
            continue
        weights = students if lab else one_each
        for start, end, (present,) in _sweep(_presence(school, room.id, weights)):
            if present <= room.capacity:
                continue
            values: dict[str, object] = {
                "room": school.room_name(room.id),
                "start": clock(start),
                "end": clock(end),
                "capacity": room.capacity,
            }
            if lab:
                message = trn(
                    "%(room)s has %(count)s student from %(start)s to %(end)s; "
                    "it seats %(capacity)s",
                    "%(room)s has %(count)s students from %(start)s to %(end)s; "
                    "it seats %(capacity)s",
                    present,
                    **values,
                )
            else:
                message = trn(
                    "%(room)s has %(count)s cohort from %(start)s to %(end)s; "
                    "it holds %(capacity)s",
                    "%(room)s has %(count)s cohorts from %(start)s to %(end)s; "
                    "it holds %(capacity)s",
                    present,
                    **values,
                )
            found.append(Violation("H5", message, room=room.id))
    return found


# --- H6: enough supervising adults in each lab -------------------------------------------------


def _check_h6_lab_supervision(school: _School) -> list[Violation]:
    found: list[Violation] = []
    students = {c.id: c.students for c in school.problem.cohorts}
    for supervision in school.problem.supervision:
        ratio = supervision.students_per_adult
        on_duty = [
            (start, end, 1)
            for staff_id in sorted(set(supervision.supervisors))
            if staff_id in school.staff
            for start, end in _merge((w.start, w.end) for w in school.staff[staff_id].available)
        ]
        in_lab = _presence(school, supervision.lab, students)
        for start, end, (present, adults) in _sweep(in_lab, on_duty):
            if present <= ratio * adults:
                continue
            # Two counts in one sentence: each is its own plural phrase.
            values: dict[str, object] = {
                "room": school.room_name(supervision.lab),
                "students": trn("%(count)s student", "%(count)s students", present),
                "start": clock(start),
                "end": clock(end),
                "adults": trn(
                    "%(count)s supervising adult", "%(count)s supervising adults", adults
                ),
                "ratio": ratio,
            }
            if ratio > 0:
                message = tr(
                    "%(room)s has %(students)s from %(start)s to %(end)s with %(adults)s; "
                    "at %(ratio)s students per adult it needs %(needed)s",
                    needed=-(-present // ratio),
                    **values,
                )
            else:
                message = tr(
                    "%(room)s has %(students)s from %(start)s to %(end)s with %(adults)s; "
                    "at %(ratio)s students per adult it allows none",
                    **values,
                )
            found.append(Violation("H6", message, room=supervision.lab))
    return found


# --- H7: one stretch of prep for every teacher -------------------------------------------------


def _check_h7_prep(school: _School) -> list[Violation]:
    problem = school.problem
    window = problem.prep_window or problem.day
    found: list[Violation] = []
    for member in problem.staff:
        if member.prep_minutes <= 0 or not member.available:
            continue
        there = _intersect(_merge((w.start, w.end) for w in member.available), window)
        busy = _merge((b.start, b.end) for b in school.by_staff.get(member.id, []))
        longest = _longest_free_stretch(there, busy)
        if longest < member.prep_minutes:
            found.append(
                Violation(
                    "H7",
                    tr(
                        "%(staff)s has at most %(longest)s free minutes in a row for prep "
                        "between %(start)s and %(end)s; needs %(needed)s",
                        staff=school.staff_name(member.id),
                        longest=longest,
                        start=clock(window.start),
                        end=clock(window.end),
                        needed=member.prep_minutes,
                    ),
                    staff=member.id,
                )
            )
    return found


# --- H8: pins hold -----------------------------------------------------------------------------


def _check_h8_pins(school: _School) -> list[Violation]:
    found: list[Violation] = []
    for pin in school.problem.pins:
        own = school.by_cohort.get(pin.cohort, [])
        if any(
            b.station == pin.station
            and b.start == pin.start
            and (pin.end is None or b.end == pin.end)
            for b in own
        ):
            continue
        cohort = school.cohort_name(pin.cohort)
        if pin.end is None:
            message = tr(
                "%(cohort)s is pinned to %(station)s at %(time)s but has no such block",
                cohort=cohort,
                station=pin.station,
                time=clock(pin.start),
            )
        else:
            message = tr(
                "%(cohort)s is pinned to %(station)s %(span)s but has no such block",
                cohort=cohort,
                station=pin.station,
                span=clock_span(pin.start, pin.end),
            )
        found.append(Violation("H8", message, cohort=pin.cohort))
    return found


# --- W1-W3: staff well-being (when the problem sets it) -----------------------------------------


def _check_wellbeing(school: _School) -> list[Violation]:
    """W1 lunch, W2 breaks, W3 split stations apart (see ``problem.WellBeing``).

    Teachers are judged on their blocks. Lab supervisors have no blocks: the day does not say
    when each takes lunch or a break, so for them this checks what the lab's load must leave
    (see ``_w_supervisors``)."""
    rules = school.problem.wellbeing
    if rules is None:
        return []
    return [
        *_check_w1_lunch(school, rules),
        *_check_w2_stretches(school, rules),
        *_check_w3_split_apart(school),
        *_w_supervisors(school, rules),
    ]


def _free_stretches(within: list[Interval], busy: list[Interval]) -> list[Interval]:
    """The parts of ``within`` (disjoint) that ``busy`` (merged) does not cover."""
    free: list[Interval] = []
    for start, end in within:
        cursor = start
        for busy_start, busy_end in busy:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start > cursor:
                free.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
        if end > cursor:
            free.append((cursor, end))
    return free


def _lunch_there(member: StaffMember, rules: WellBeing) -> list[Interval]:
    """The member's hours inside the lunch window; none long enough for lunch means they are not
    there for lunch (a part-day absence) and need none."""
    there = _intersect(_merge((w.start, w.end) for w in member.available), rules.lunch_window)
    return there if any(e - s >= rules.lunch_minutes for s, e in there) else []


def _check_w1_lunch(school: _School, rules: WellBeing) -> list[Violation]:
    """Every teacher with blocks gets a lunch inside the window, apart from their prep: some
    stretch of ``lunch_minutes`` free of blocks leaves a stretch of prep free too."""
    problem = school.problem
    window = rules.lunch_window
    prep_window = problem.prep_window or problem.day
    found: list[Violation] = []
    for member in problem.staff:
        own = school.by_staff.get(member.id, [])
        there = _lunch_there(member, rules)
        if not own or not there:
            continue
        busy = _merge((b.start, b.end) for b in own)
        free = _free_stretches(there, busy)
        longest = max((e - s for s, e in free), default=0)
        name = school.staff_name(member.id)
        if longest < rules.lunch_minutes:
            if longest:
                message = tr(
                    "%(staff)s has at most %(longest)s free minutes in a row for lunch between "
                    "%(start)s and %(end)s; lunch takes %(lunch)s",
                    staff=name,
                    longest=longest,
                    start=clock(window.start),
                    end=clock(window.end),
                    lunch=rules.lunch_minutes,
                )
            else:
                message = tr(
                    "%(staff)s has no free minute for lunch between %(start)s and %(end)s; "
                    "lunch takes %(lunch)s",
                    staff=name,
                    start=clock(window.start),
                    end=clock(window.end),
                    lunch=rules.lunch_minutes,
                )
            found.append(Violation("W1", message, staff=member.id))
            continue
        if member.prep_minutes <= 0:
            continue
        hours = _merge((w.start, w.end) for w in member.available)
        prep_there = _intersect(hours, prep_window)
        if _longest_free_stretch(prep_there, busy) < member.prep_minutes:
            continue  # no prep even without lunch: reported under H7
        # Lunch at either end of a free stretch is enough to try: the room it leaves for prep
        # before it only grows, and after it only shrinks, as it moves later.
        fits = any(
            _longest_free_stretch(prep_there, _merge([*busy, (start, start + rules.lunch_minutes)]))
            >= member.prep_minutes
            for a, b in free
            if b - a >= rules.lunch_minutes
            for start in (a, b - rules.lunch_minutes)
        )
        if not fits:
            found.append(
                Violation(
                    "W1",
                    tr(
                        "%(staff)s has no room for both a %(lunch)s-minute lunch between "
                        "%(lunch_start)s and %(lunch_end)s and %(prep)s minutes of prep "
                        "between %(prep_start)s and %(prep_end)s",
                        staff=name,
                        lunch=rules.lunch_minutes,
                        lunch_start=clock(window.start),
                        lunch_end=clock(window.end),
                        prep=member.prep_minutes,
                        prep_start=clock(prep_window.start),
                        prep_end=clock(prep_window.end),
                    ),
                    staff=member.id,
                )
            )
    return found


def _stretches(busy: Iterable[Interval], min_break: int) -> list[Interval]:
    """Busy time joined across every pause shorter than ``min_break``: the stretches worked
    without a break."""
    joined: list[Interval] = []
    for start, end in _merge(busy):
        if joined and start - joined[-1][1] < min_break:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _check_w2_stretches(school: _School, rules: WellBeing) -> list[Violation]:
    """Nobody teaches longer than ``max_stretch`` without a pause of ``min_break``: the passing
    time between two blocks is no break when it is shorter than that."""
    found: list[Violation] = []
    for staff_id in sorted(school.by_staff):
        blocks = school.by_staff[staff_id]
        for start, end in _stretches(((b.start, b.end) for b in blocks), rules.min_break):
            if end - start > rules.max_stretch:
                found.append(
                    Violation(
                        "W2",
                        tr(
                            "%(staff)s teaches from %(start)s to %(end)s, %(minutes)s minutes "
                            "without a break of %(min_break)s; at most %(max_stretch)s allowed",
                            staff=school.staff_name(staff_id),
                            start=clock(start),
                            end=clock(end),
                            minutes=end - start,
                            min_break=rules.min_break,
                            max_stretch=rules.max_stretch,
                        ),
                        staff=staff_id,
                    )
                )
    return found


def _check_w3_split_apart(school: _School) -> list[Violation]:
    """Two blocks of one station for a cohort, with the same teacher, have something between."""
    found: list[Violation] = []
    for cohort_id in sorted(school.by_cohort):
        own = school.by_cohort[cohort_id]
        by_station: dict[str, list[PlacedBlock]] = defaultdict(list)
        for block in own:
            if block.staff:
                by_station[block.station].append(block)
        for station_blocks in by_station.values():
            for first, then in pairwise(station_blocks):
                shared = sorted(set(first.staff) & set(then.staff))
                between = any(
                    b.start >= first.end and b.end <= then.start and b is not first
                    for b in own
                    if b is not then
                )
                if not shared or between:
                    continue
                found.append(
                    Violation(
                        "W3",
                        tr(
                            "%(cohort)s has %(first)s and %(second)s back to back with the "
                            "same teacher, %(teacher)s",
                            cohort=school.cohort_name(cohort_id),
                            first=_describe(first),
                            second=_describe(then),
                            teacher=school.staff_name(shared[0]),
                        ),
                        cohort=cohort_id,
                        staff=shared[0],
                    )
                )
    return found


def _w_supervisors(school: _School, rules: WellBeing) -> list[Violation]:
    """W1 and W2 for lab supervisors, as what the lab's load must leave room for.

    A supervisor can rest (lunch or a break) only while the others present can watch the lab
    alone: where the students in it need fewer adults than are there. Checked for each
    supervisor: a lunch inside the window at such times (unless it fits outside the day), no
    stretch longer than ``max_stretch`` without a break's worth of such time, and all the
    supervisors' lunches together within the spare adult-minutes of the window. These are
    necessary conditions, not a schedule of who rests when (the solver's model decides that
    exactly); a day that fails one leaves some supervisor without a lunch or a break.
    """
    problem = school.problem
    day = problem.day
    students = {c.id: c.students for c in problem.cohorts}
    window = rules.lunch_window
    found: list[Violation] = []
    for supervision in problem.supervision:
        ratio = supervision.students_per_adult
        supervisors = [s for s in sorted(set(supervision.supervisors)) if s in school.staff]
        if ratio <= 0 or not supervisors:
            continue
        hours = {
            s: _intersect(_merge((w.start, w.end) for w in school.staff[s].available), day)
            for s in supervisors
        }
        on_duty = [(start, end, 1) for s in supervisors for start, end in hours[s]]
        in_lab = _presence(school, supervision.lab, students)
        # Times some supervisor could rest: more adults there than the students need.
        spare_pieces = [
            (start, end, adults - -(-present // ratio))
            for start, end, (present, adults) in _sweep(in_lab, on_duty)
            if adults - -(-present // ratio) > 0
        ]
        spare = _merge((start, end) for start, end, _ in spare_pieces)
        lab = school.room_name(supervision.lab)
        lunchers = 0
        for sid in supervisors:
            name = school.staff_name(sid)
            for start, end in hours[sid]:
                rest = [(a, b) for a, b in _intersect(spare, Window(start, end)) if b - a > 0]
                duty = _free_stretches(
                    [(start, end)], [r for r in rest if r[1] - r[0] >= rules.min_break]
                )
                for run_start, run_end in _stretches(duty, rules.min_break):
                    if run_end - run_start > rules.max_stretch:
                        found.append(
                            Violation(
                                "W2",
                                tr(
                                    "%(staff)s supervises %(lab)s from %(start)s to %(end)s "
                                    "with no one to take over for a break of %(min_break)s "
                                    "minutes; at most %(max_stretch)s allowed",
                                    staff=name,
                                    lab=lab,
                                    start=clock(run_start),
                                    end=clock(run_end),
                                    min_break=rules.min_break,
                                    max_stretch=rules.max_stretch,
                                ),
                                staff=sid,
                                room=supervision.lab,
                            )
                        )
            if not _supervisor_needs_lunch(school.staff[sid], rules, day):
                continue
            lunchers += 1
            there = [
                piece
                for s, e in hours[sid]
                for piece in _intersect(_intersect(spare, window), Window(s, e))
            ]
            if max((b - a for a, b in there), default=0) < rules.lunch_minutes:
                found.append(
                    Violation(
                        "W1",
                        tr(
                            "%(staff)s has no %(lunch)s minutes in a row between %(start)s and "
                            "%(end)s when the others can watch %(lab)s alone, for lunch",
                            staff=name,
                            lunch=rules.lunch_minutes,
                            start=clock(window.start),
                            end=clock(window.end),
                            lab=lab,
                        ),
                        staff=sid,
                        room=supervision.lab,
                    )
                )
        spare_minutes = sum(
            (min(end, window.end) - max(start, window.start)) * count
            for start, end, count in spare_pieces
            if min(end, window.end) > max(start, window.start)
        )
        if lunchers > 1 and spare_minutes < lunchers * rules.lunch_minutes:
            found.append(
                Violation(
                    "W1",
                    tr(
                        "%(lab)s leaves %(spare)s supervisor-minutes free between %(start)s "
                        "and %(end)s; its %(lunchers)s supervisors' lunches need %(needed)s",
                        lab=lab,
                        spare=spare_minutes,
                        start=clock(window.start),
                        end=clock(window.end),
                        lunchers=lunchers,
                        needed=lunchers * rules.lunch_minutes,
                    ),
                    room=supervision.lab,
                )
            )
    return found


def _supervisor_needs_lunch(member: StaffMember, rules: WellBeing, day: Window) -> bool:
    """Whether a supervisor's lunch takes them from the lab: they are there for lunch, and no
    lunch fits wholly outside the day (before the first block or after dismissal)."""
    there = _lunch_there(member, rules)
    if not there:
        return False
    lunch = rules.lunch_minutes
    outside = _intersect(there, Window(0, day.start)) if day.start > 0 else []
    outside += _intersect(there, Window(day.end, 24 * 60 * 2))
    if any(e - s >= lunch for s, e in outside):
        return False
    inside = _intersect(there, day)
    return any(e - s >= lunch for s, e in inside)
