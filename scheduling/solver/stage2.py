"""Stage 2: what each present student does inside lab and flexible blocks, session by session.

A student's block is a short sequence of sessions (program time, a tutoring group, a service
group), each long enough to teach and at most ``max_changes`` changes apart, so the planner
works with sessions and intervals on the ``grid_minutes`` grid, never with fixed segments.
Three greedy phases, scarcest resource first, in plain Python (a 5-minute grid, variable
session lengths and places made the old per-segment CP-SAT repair model large; the greedy with
an ejection repair meets every service minute of the reference shapes well inside the budget):

1. Services. Each service's sessions either join an existing group (same kind, provider, grade
   band and interval, room under every member's limit and in the place) or open one at a start
   on the grid where the provider and a place are free. Preference, in order: the previous
   plan's provider, interval and place; taking a student out of a lab that lacks computer seats
   at that time; for a student with another service still to place, fewer sessions in the
   block; joining over opening; the least excess; intervals where more waiting students of the
   grade could join; no stranded minutes in the provider's day; a block's edge. A few orders
   are tried (the least flexible services first; then those left short so far first, the seed
   shuffling the rest) and the best kept (fewest minutes short, then most of the previous plan
   kept); the first re-creates the previous plan's service groups where they still fit. What is
   still short is repaired by ejection: where one or two groups of an eligible provider stand
   in the way, they are taken off, the short student's group opened there and the displaced
   members placed again, kept only when fewer minutes are short (``_Services.repair``).
2. Tutoring, strictly by need: students in order of need (highest first, above
   ``min_tutoring_need``) join a tutoring group of their grade and subject or open one while a
   tutor and a place are free; a student is skipped only when nothing fits them.
3. Programs fill the gaps: each gap left between groups is one program session (two when the
   gap holds two minimum sessions, the changes budget allows and the need shares call for it),
   the subject furthest below its share of the day's program minutes. Program time in a lab
   block then takes seats in the lab's computer zones, minute by minute within capacity
   (students away in groups have freed theirs); sessions no zone can seat are counted in the
   status as ``seats_short`` (the validator names them).

Every placement is checked for each member before it is committed: the gaps it leaves are 0 or
long enough for a program session, and the block keeps within the changes budget
(``_sessions_if_legal``). The same problem, options and seed give the same plan: every tie
breaks on ids and times, and the seed only reorders the later service attempts.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

# The interval helpers the validator shares (under the names this module has always used).
from .intervals import Span
from .intervals import inside as _inside
from .intervals import overlaps as _overlaps
from .intervals import round_up as _round_up
from .plans import (
    ActivityKind,
    BlockKind,
    LabBlock,
    LabPlan,
    LabProgram,
    Place,
    PlaceKind,
    PlanGroup,
    PlanProblem,
    PlanSegment,
    PlanStats,
    Provider,
    ServiceDue,
    Shortfall,
    StudentDay,
    Tutor,
)

REPAIR_ROUNDS = 3  # repairs of what is short, while each still gains
# Greedy service orders times students: the orders tried by default (16 for shape M's 600
# students, 8 for L's 1,200), so the work grows no faster than the school.
GREEDY_STUDENT_ORDERS = 9_600
MAX_EJECTED = 2  # groups a repair may take off to make room for one short session
# A new group's score (lower is better), adult, interval and block, before a place is chosen.
_Candidate = tuple[tuple[int, ...], int, Span, LabBlock]


@dataclass(frozen=True)
class PlanOptions:
    """``seed`` perturbs the service orders after the first; ``greedy_orders`` bounds them and
    ``repair_tries`` the repair's trials. ``time_limit`` (wall seconds) is a safety net: no
    further order or repair round starts after it. The bounds bind long before it on shapes up
    to L, which keeps the plan deterministic."""

    seed: int = 0
    greedy_orders: int | None = None  # None: ``GREEDY_STUDENT_ORDERS`` // students, 4 to 16
    repair_tries: int = 400  # ejection trials for the services still short (see ``repair``)
    time_limit: float = 10.0


def solve(problem: PlanProblem, options: PlanOptions | None = None) -> LabPlan:
    """The day's lab plan; partial (with ``shortfalls``) when service minutes cannot be met."""
    options = options or PlanOptions()
    began = time.perf_counter()
    day = _Day(problem)
    board, status = _plan_services(day, options)
    _Tutoring(board).run()
    programs = _Programs(board).run()
    seats_short = _seat(board, programs)
    status += " tutoring=greedy programs=greedy"
    if seats_short:
        status += f" seats_short={seats_short}"
    stats = PlanStats(status=status, wall_seconds=time.perf_counter() - began, seed=options.seed)
    return board.plan(programs, stats)


def _plan_services(day: _Day, options: PlanOptions) -> tuple[_Board, str]:
    """Phase 1: a few greedy orders, the best kept. After the first (and, with a previous plan,
    a second without re-creating its groups), each order puts the services left short so far
    first ("squeaky wheel"), the seed shuffling the rest a little."""
    rng = random.Random(options.seed)
    deadline = time.perf_counter() + options.time_limit
    replays = [True, False] if day.p.previous and day.stable else [False]
    boost: dict[int, int] = defaultdict(int)
    best: _Board | None = None
    best_key: tuple[int, int, int] = (0, 0, 0)
    tried = 0
    orders = options.greedy_orders
    if orders is None:
        orders = min(16, max(4, GREEDY_STUDENT_ORDERS // max(1, len(day.p.students))))
    for attempt in range(max(1, orders)):
        board = _Board(day)
        if replays[attempt % len(replays)]:
            board.replay_services()
        _Services(board, rng if attempt >= len(replays) else None, boost).run()
        tried += 1
        key = (board.missing(), -board.kept, len(board.groups))
        if best is None or key < best_key:
            best, best_key = board, key
        if key[0] == 0 or time.perf_counter() > deadline:
            break
        for shortfall in board.shortfalls():
            boost[shortfall.service] += 1
    assert best is not None
    status = f"services=greedy attempts={tried} short={best_key[0]}"
    for _round in range(REPAIR_ROUNDS):
        short = best.missing()
        if not short or options.repair_tries <= 0 or time.perf_counter() > deadline:
            break
        repaired = _Services(best, None).repair(options.repair_tries)
        status += f" repaired={repaired} short={best.missing()}"
        if best.missing() >= short:
            break
    return best, status


@dataclass(eq=False)
class _Group:
    kind: ActivityKind
    start: int
    end: int
    adult: int
    place: int | None
    limit: int  # the smallest member limit so far
    members: list[int] = field(default_factory=list)
    grades: set[int] = field(default_factory=set)
    service_kind: str | None = None
    subject: str | None = None
    services: dict[int, int] = field(default_factory=dict)  # student -> ServiceDue.id

    @property
    def span(self) -> Span:
        return (self.start, self.end)

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class _Before:
    """One group session of the previous plan, as seen by one student."""

    kind: ActivityKind
    adult: int | None
    start: int
    end: int
    place: int | None
    group: int | None


class _Day:
    """The problem indexed once; shared by every attempt."""

    def __init__(self, problem: PlanProblem) -> None:
        if problem.grid_minutes <= 0:
            raise ValueError("grid_minutes must be positive")
        self.p = problem
        self.grid = problem.grid_minutes
        self.students: dict[int, StudentDay] = {s.id: s for s in problem.students}
        for service in problem.services:
            if service.student not in self.students:
                raise ValueError(
                    f"services: service {service.id} names student {service.student}, "
                    "who is not among today's present students"
                )
        by_cohort: dict[int, list[LabBlock]] = defaultdict(list)
        for block in problem.blocks:
            by_cohort[block.cohort].append(block)
        self.blocks: dict[int, list[LabBlock]] = {
            s.id: sorted(by_cohort.get(s.cohort, []), key=lambda b: b.start)
            for s in problem.students
        }
        self.program_minimum = {s.id: problem.program_minimum(s) for s in problem.students}
        self.places = sorted(problem.places, key=lambda p: p.id)
        self.place_by_id = {p.id: p for p in self.places}
        self.crowding = self.lab_crowding()
        self.providers = {p.id: p for p in problem.providers}
        self.eligible: dict[int, list[Provider]] = {
            s.id: [
                p
                for p in sorted(problem.providers, key=lambda p: p.id)
                if s.kind in p.kinds and (not s.providers or p.id in s.providers)
            ]
            for s in problem.services
        }
        self.stable = problem.weights.stability > 0
        self.before: dict[int, list[_Before]] = defaultdict(list)
        self.previous_programs: dict[int, set[int]] = defaultdict(set)
        self.previous_zone: dict[tuple[int, int], int] = {}  # (student, start) -> zone
        for seg in problem.previous:
            if seg.kind == ActivityKind.PROGRAM:
                if seg.program is not None:
                    self.previous_programs[seg.student].add(seg.program)
                if seg.place is not None:
                    self.previous_zone[seg.student, seg.start] = seg.place
                continue
            adult = seg.provider if seg.kind == ActivityKind.SERVICE else seg.tutor
            self.before[seg.student].append(
                _Before(seg.kind, adult, seg.start, seg.end, seg.place, seg.group)
            )

    def lab_crowding(self) -> dict[int, dict[int, int]]:
        """Per lab with computer zones, per grid step, how many more students its lab blocks
        hold than its computer zones seat (only steps where that is positive): groups must
        take that many away."""
        seats: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for place in self.places:
            if place.computers and place.lab is not None:
                for window in place.available:
                    for t in range(window.start, window.end, self.grid):
                        seats[place.lab][t] += place.capacity
        present: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        sizes: dict[int, int] = defaultdict(int)
        for student in self.p.students:
            sizes[student.cohort] += 1
        for block in self.p.blocks:
            if block.kind == BlockKind.LAB and block.room in seats:
                for t in range(block.start, block.end, self.grid):
                    present[block.room][t] += sizes[block.cohort]
        return {
            lab: {t: n - seats[lab][t] for t, n in steps.items() if n > seats[lab][t]}
            for lab, steps in present.items()
        }

    def block_at(self, student: int, start: int, end: int) -> LabBlock | None:
        for block in self.blocks[student]:
            if block.start <= start and end <= block.end:
                return block
        return None

    def grades_fit(self, grades: set[int], grade: int) -> bool:
        """May a group of ``grades`` take a student of ``grade``: one grade, or two adjacent."""
        together = grades | {grade}
        if len(together) == 1:
            return True
        return self.p.adjacent_grades and max(together) - min(together) <= 1

    def was(self, student: int, kind: ActivityKind, adult: int, span: Span) -> bool:
        """Did ``student`` have this session (kind, adult, interval) in the previous plan?
        Always ``False`` when the stability weight is 0 (the previous plan is ignored)."""
        return self.stable and any(
            b.kind == kind and b.adult == adult and (b.start, b.end) == span
            for b in self.before[student]
        )

    def group_places(self, kind: ActivityKind, block: LabBlock | None) -> list[Place | None]:
        """Places a group may meet in, best first; ``[None]`` when the school names none.

        Services prefer resource rooms, tutoring a small-group zone of the student's own lab;
        computer zones seat program time, never a group."""
        if not self.places:
            return [None]
        room = block.room if block is not None else None

        def rank(place: Place) -> tuple[int, int]:
            if kind == ActivityKind.SERVICE:
                order = {PlaceKind.RESOURCE_ROOM: 0, PlaceKind.CLASSROOM: 1}
                return (order.get(place.kind, 2), place.id)
            own_lab = place.kind == PlaceKind.LAB_ZONE and place.lab == room
            return (0 if own_lab else 1 if place.kind == PlaceKind.LAB_ZONE else 2, place.id)

        return [*sorted((p for p in self.places if not p.computers), key=rank)]

    def starts(self, block: LabBlock, length: int) -> list[int]:
        """Grid starts of a ``length`` session in ``block``: edges first, then inside."""
        grid = self.grid
        inner = list(range(block.start + grid, block.end - length, grid))
        edges = [block.start] if block.start + length <= block.end else []
        if block.end - length > block.start:
            edges.append(block.end - length)
        return edges + inner


def _sessions_if_legal(
    block: LabBlock, spans: list[Span], minimum: int, max_changes: int
) -> int | None:
    """How many sessions ``block`` has with group ``spans`` and one program per gap; ``None``
    when a gap is too short for a program session, spans overlap, or the changes run over."""
    at, count = block.start, 0
    for start, end in sorted(spans):
        if start < at:
            return None
        gap = start - at
        if gap:
            if gap < minimum:
                return None
            count += 1
        count += 1
        at = end
    gap = block.end - at
    if gap:
        if gap < minimum:
            return None
        count += 1
    return count if count - 1 <= max_changes else None


class _Board:
    """One attempt's plan as it is filled: groups, and each student's and adult's sessions."""

    def __init__(self, day: _Day) -> None:
        self.day = day
        self.groups: list[_Group] = []
        self.of_student: dict[int, list[_Group]] = defaultdict(list)
        self.of_adult: dict[int, list[_Group]] = defaultdict(list)
        self.of_place: dict[int, list[_Group]] = defaultdict(list)
        self.by_kind: dict[tuple[ActivityKind, str], list[_Group]] = defaultdict(list)
        self.adult_minutes: dict[int, int] = defaultdict(int)
        self.served: dict[int, set[int]] = defaultdict(set)  # provider -> students
        self.met: dict[int, int] = defaultdict(int)  # service id -> minutes
        self.kept = 0  # member sessions identical to the previous plan's
        # Bumped whenever an adult's groups change: keys ``free_starts``'s cache.
        self.version: dict[int, int] = defaultdict(int)
        self.free_cache: dict[tuple[str, int, int, int, int, int], list[int]] = {}
        # Every change, so a trial can be undone: (operation, group, student, service, limit).
        self.log: list[tuple[str, _Group, int, int | None, int]] = []
        # Per lab and grid step, students still without a computer seat (see ``lab_crowding``).
        self.crowded = {lab: dict(steps) for lab, steps in day.crowding.items()}

    # --- checks ----------------------------------------------------------------------------

    def fits(self, student: int, span: Span) -> LabBlock | None:
        """The block ``span`` may go into for ``student``; ``None`` when it breaks a rule."""
        placed = self.placement(student, span)
        return placed[0] if placed is not None else None

    def placement(self, student: int, span: Span) -> tuple[LabBlock, int] | None:
        """The block ``span`` may go into for ``student`` and the block's sessions after it."""
        day = self.day
        block = day.block_at(student, *span)
        if block is None:
            return None
        spans = [g.span for g in self.of_student[student] if block.start <= g.start < block.end]
        spans.append(span)
        legal = _sessions_if_legal(block, spans, day.program_minimum[student], day.p.max_changes)
        return (block, legal) if legal is not None else None

    def free_starts(
        self, role: str, adult: Provider | Tutor, block: LabBlock, length: int
    ) -> list[int]:
        """Starts of a ``length`` group in ``block`` inside ``adult``'s hours (as ``role``) and
        clear of their groups; cached until their groups change."""
        key = (role, adult.id, self.version[adult.id], block.start, block.end, length)
        starts = self.free_cache.get(key)
        if starts is None:
            starts = [
                start
                for start in self.day.starts(block, length)
                if _inside(adult.available, start, start + length)
                and self.adult_free(adult.id, (start, start + length), None)
            ]
            self.free_cache[key] = starts
        return starts

    def idle(self, adult: int, span: Span, useful: int) -> int:
        """Minutes ``span`` strands between it and the adult's nearest groups: gaps shorter
        than ``useful`` (a session) that no later group can use."""
        before = max((g.end for g in self.of_adult[adult] if g.end <= span[0]), default=None)
        after = min((g.start for g in self.of_adult[adult] if g.start >= span[1]), default=None)
        gaps = [span[0] - before if before is not None else 0]
        gaps.append(after - span[1] if after is not None else 0)
        return sum(gap for gap in gaps if gap < useful)

    def previous_place(self, student: int, adult: int, span: Span) -> int | None:
        return next(
            (
                b.place
                for b in self.day.before[student]
                if b.adult == adult and (b.start, b.end) == span
            ),
            None,
        )

    def first_placed(
        self, kind: ActivityKind, student: int, candidates: list[_Candidate]
    ) -> tuple[tuple[int, ...], int, Span, int | None] | None:
        """The best candidate a place is free for: (score, adult, span, place)."""
        candidates.sort(key=lambda c: c[0])
        for score, adult, span, block in candidates:
            prefer = self.previous_place(student, adult, span)
            found, place = self.choose_place(kind, block, adult, span, prefer)
            if found:
                return (score, adult, span, place)
        return None

    def adult_free(self, adult: int, span: Span, place: int | None) -> bool:
        passing = self.day.p.passing_minutes
        start, end = span
        for group in self.of_adult[adult]:
            if group.start < end and start < group.end:
                return False
            # An adult walking between two places needs the passing minutes in between.
            if (
                place is not None
                and group.place is not None
                and group.place != place
                and group.start - passing < end
                and start < group.end + passing
            ):
                return False
        return True

    def place_free(self, place: Place, span: Span, size: int) -> bool:
        if size > place.capacity or not _inside(place.available, *span):
            return False
        return not any(_overlaps(g.span, span) for g in self.of_place[place.id])

    def choose_place(
        self,
        kind: ActivityKind,
        block: LabBlock | None,
        adult: int,
        span: Span,
        prefer: int | None = None,
    ) -> tuple[bool, int | None]:
        """(found, place) for a new group of ``adult`` at ``span``; ``prefer`` first."""
        options = self.day.group_places(kind, block)
        if prefer is not None:
            options.sort(key=lambda p: p is None or p.id != prefer)
        for place in options:
            if place is None:
                return (self.adult_free(adult, span, None), None)
            if self.place_free(place, span, 1) and self.adult_free(adult, span, place.id):
                return (True, place.id)
        return (False, None)

    def room_in(self, group: _Group) -> bool:
        """Does ``group``'s place seat one more member?"""
        if group.place is None:
            return True
        return len(group.members) < self.day.place_by_id[group.place].capacity

    # --- changes ---------------------------------------------------------------------------

    def open(self, group: _Group) -> None:
        self.groups.append(group)
        self.of_adult[group.adult].append(group)
        if group.place is not None:
            self.of_place[group.place].append(group)
        self.by_kind[group.kind, group.service_kind or group.subject or ""].append(group)
        self.adult_minutes[group.adult] += group.minutes
        self.version[group.adult] += 1
        self.log.append(("open", group, 0, None, 0))

    def join(self, group: _Group, student: StudentDay, limit: int, service: int | None) -> None:
        self.log.append(("join", group, student.id, service, group.limit))
        group.members.append(student.id)
        group.grades.add(student.grade)
        group.limit = min(group.limit, limit)
        self.of_student[student.id].append(group)
        self.leave_lab(student.id, group.span, 1)
        if service is not None:
            group.services[student.id] = service
            self.met[service] += group.minutes
            self.served[group.adult].add(student.id)
        if self.day.was(student.id, group.kind, group.adult, group.span):
            self.kept += 1

    def leave_lab(self, student: int, span: Span, away: int) -> None:
        """``away`` more students (negative: back) leave ``student``'s crowded lab at ``span``."""
        block = self.day.block_at(student, *span)
        steps = self.crowded.get(block.room) if block is not None and block.room else None
        if block is None or block.kind != BlockKind.LAB or steps is None:
            return
        for t in range(span[0], span[1], self.day.grid):
            if t in steps:
                steps[t] -= away

    def relief(self, block: LabBlock, span: Span) -> int:
        """Grid steps of ``span`` at which ``block``'s lab still lacks computer seats: taking
        a student away then is worth more than any other choice but keeping last week's."""
        steps = self.crowded.get(block.room) if block.room is not None else None
        if block.kind != BlockKind.LAB or not steps:
            return 0
        return sum(1 for t in range(span[0], span[1], self.day.grid) if steps.get(t, 0) > 0)

    # --- undo, for the repair's trials -----------------------------------------------------

    def remove(self, group: _Group) -> None:
        """Take ``group`` and its members' sessions off the board (undone by ``rollback``)."""
        for member in list(group.members):
            self.log.append(("leave", group, member, group.services.get(member), group.limit))
            self._leave(group, member)
        self.log.append(("close", group, 0, None, 0))
        self._close(group)

    def rollback(self, mark: int) -> None:
        """Undo every change since ``len(self.log)`` was ``mark``."""
        while len(self.log) > mark:
            op, group, student, service, limit = self.log.pop()
            if op == "join":
                self._leave(group, student)
                group.limit = limit
            elif op == "open":
                self._close(group)
            elif op == "close":
                self.open(group)
                self.log.pop()
            else:  # "leave"
                self.join(group, self.day.students[student], limit, service)
                self.log.pop()
                group.limit = limit

    def _leave(self, group: _Group, student: int) -> None:
        group.members.remove(student)
        self.of_student[student].remove(group)
        self.leave_lab(student, group.span, -1)
        service = group.services.pop(student, None)
        if service is not None:
            self.met[service] -= group.minutes
            if not any(student in g.members for g in self.of_adult[group.adult]):
                self.served[group.adult].discard(student)
        if self.day.was(student, group.kind, group.adult, group.span):
            self.kept -= 1
        group.grades = {self.day.students[m].grade for m in group.members}

    def _close(self, group: _Group) -> None:
        self.groups.remove(group)
        self.of_adult[group.adult].remove(group)
        if group.place is not None:
            self.of_place[group.place].remove(group)
        self.by_kind[group.kind, group.service_kind or group.subject or ""].remove(group)
        self.adult_minutes[group.adult] -= group.minutes
        self.version[group.adult] += 1

    def missing(self) -> int:
        return sum(max(0, s.minutes - self.met[s.id]) for s in self.day.p.services)

    # --- the previous plan -----------------------------------------------------------------

    def replay_services(self) -> None:
        """Re-create the previous plan's service groups where every rule still holds."""
        day = self.day
        previous: dict[int, list[PlanSegment]] = defaultdict(list)
        for seg in day.p.previous:
            if seg.kind == ActivityKind.SERVICE and seg.group is not None:
                previous[seg.group].append(seg)
        due = {s.id: s for s in day.p.services}
        for segments in (previous[g] for g in sorted(previous)):
            first = segments[0]
            if first.provider is None or first.provider not in day.providers:
                continue
            span = (first.start, first.end)
            members: list[tuple[StudentDay, ServiceDue]] = []
            for seg in sorted(segments, key=lambda s: s.student):
                service = due.get(seg.service) if seg.service is not None else None
                student = day.students.get(seg.student)
                if (
                    service is None
                    or student is None
                    or service.student != student.id
                    or self.met[service.id] >= service.minutes
                    or first.provider not in {p.id for p in day.eligible[service.id]}
                    or span[1] - span[0] < service.session_minutes
                    or self.fits(student.id, span) is None
                ):
                    continue
                members.append((student, service))
            if members:
                self._replay(first, span, members)

    def _replay(
        self, first: PlanSegment, span: Span, members: list[tuple[StudentDay, ServiceDue]]
    ) -> None:
        day = self.day
        assert first.provider is not None
        provider = day.providers[first.provider]
        if not _inside(provider.available, *span):
            return
        grade = members[0][0].grade
        members = [(s, d) for s, d in members if day.grades_fit({grade}, s.grade)]
        limit = min(d.max_group_size for _, d in members)
        members = members[:limit]
        if provider.max_students is not None:
            room = provider.max_students - len(self.served[provider.id])
            members = members[: max(room, 0)]
        if provider.max_minutes is not None and (
            self.adult_minutes[provider.id] + span[1] - span[0] > provider.max_minutes
        ):
            return
        if not members:
            return
        block = day.block_at(members[0][0].id, *span)
        found, place = self.choose_place(
            ActivityKind.SERVICE, block, provider.id, span, prefer=first.place
        )
        if not found:
            return
        if place is not None and day.place_by_id[place].capacity < len(members):
            members = members[: day.place_by_id[place].capacity]
        group = _Group(
            ActivityKind.SERVICE,
            span[0],
            span[1],
            provider.id,
            place,
            limit,
            service_kind=members[0][1].kind,
        )
        self.open(group)
        for student, service in members:
            self.join(group, student, service.max_group_size, service.id)

    # --- the answer ------------------------------------------------------------------------

    def plan(self, programs: list[PlanSegment], stats: PlanStats) -> LabPlan:
        ordered = sorted(
            self.groups, key=lambda g: (g.start, g.end, g.kind, g.adult, g.service_kind or "")
        )
        numbers = {id(g): n for n, g in enumerate(ordered, start=1)}
        groups = tuple(
            PlanGroup(
                id=numbers[id(g)],
                kind=g.kind,
                start=g.start,
                end=g.end,
                members=tuple(sorted(g.members)),
                tutor=g.adult if g.kind == ActivityKind.TUTORING else None,
                provider=g.adult if g.kind == ActivityKind.SERVICE else None,
                service_kind=g.service_kind,
                subject=g.subject,
                place=g.place,
            )
            for g in ordered
        )
        segments = list(programs)
        for group in ordered:
            tutoring = group.kind == ActivityKind.TUTORING
            for member in group.members:
                segments.append(
                    PlanSegment(
                        student=member,
                        start=group.start,
                        end=group.end,
                        kind=group.kind,
                        tutor=group.adult if tutoring else None,
                        provider=None if tutoring else group.adult,
                        service=group.services.get(member),
                        subject=group.subject,
                        group=numbers[id(group)],
                        place=group.place,
                    )
                )
        segments.sort(key=lambda s: (s.student, s.start))
        return LabPlan(
            segments=tuple(segments),
            groups=groups,
            shortfalls=self.shortfalls(),
            stats=stats,
        )

    def shortfalls(self) -> tuple[Shortfall, ...]:
        return tuple(
            Shortfall(
                student=s.student,
                service=s.id,
                kind=s.kind,
                providers=tuple(p.id for p in self.day.eligible[s.id]),
                due=s.minutes,
                met=self.met[s.id],
            )
            for s in sorted(self.day.p.services, key=lambda s: s.id)
            if self.met[s.id] < s.minutes
        )


class _Services:
    """Phase 1's greedy: each service's sessions, the least flexible services first."""

    def __init__(
        self, board: _Board, rng: random.Random | None, boost: dict[int, int] | None = None
    ) -> None:
        self.board = board
        self.day = board.day
        self.rng = rng  # None: the plain least-flexible-first order
        self.boost = boost or {}  # service id -> how often it was short: first in the order
        # Services not placed yet, by kind and grade, and how many each student has.
        self.pending: dict[tuple[str, int], list[ServiceDue]] = defaultdict(list)
        self.pending_of: dict[int, int] = defaultdict(int)

    def run(self) -> None:
        day = self.day
        services = [s for s in day.p.services if self.board.met[s.id] < s.minutes]

        def flexibility(service: ServiceDue) -> tuple[int, float, int, int]:
            minutes = sum(b.minutes for b in day.blocks[service.student])
            options: float = len(day.eligible[service.id]) * minutes
            if self.rng is not None:
                options *= self.rng.uniform(0.5, 1.5)
            return (-self.boost.get(service.id, 0), options, -service.minutes, service.id)

        services.sort(key=flexibility)
        for service in services:
            self.pending[self.bucket(service)].append(service)
            self.pending_of[service.student] += 1
        for service in services:
            self.pending[self.bucket(service)].remove(service)
            self.pending_of[service.student] -= 1
            self.place(service)

    def bucket(self, service: ServiceDue) -> tuple[str, int]:
        return (service.kind, self.day.students[service.student].grade)

    def place(self, service: ServiceDue) -> None:
        board, day = self.board, self.day
        student = day.students[service.student]
        if not day.eligible[service.id]:
            return
        while board.met[service.id] < service.minutes:
            remaining = service.minutes - board.met[service.id]
            best = self.best_join(service, student, remaining)
            opening = self.best_opening(service, student, remaining)
            if opening is not None and (best is None or opening[0] < best[0]):
                _score, provider, span, place = opening
                self.open_group(service, provider, span, place)
            elif best is not None:
                board.join(best[1], student, service.max_group_size, service.id)
            else:
                return

    def open_group(self, service: ServiceDue, provider: int, span: Span, place: int | None) -> None:
        group = _Group(
            ActivityKind.SERVICE,
            span[0],
            span[1],
            provider,
            place,
            service.max_group_size,
            service_kind=service.kind,
        )
        self.board.open(group)
        student = self.day.students[service.student]
        self.board.join(group, student, service.max_group_size, service.id)

    def repair(self, tries: int) -> int:
        """Services still short, one by one: first the plain greedy again (an earlier repair
        may have made room), then ejection: where one or two groups of an eligible provider
        are all that stand in the way, take them off, open the short student's group there
        and place the displaced members again; kept only if fewer minutes are short. The
        number of trials is bounded by ``tries``; returns the services repaired."""
        board, day = self.board, self.day
        by_id = {s.id: s for s in day.p.services}
        repaired = 0
        for short in board.shortfalls():
            service = by_id[short.service]
            self.place(service)
            if board.met[service.id] >= service.minutes:
                repaired += 1
                continue
            for span, provider, clashes in self.ejections(service):
                if tries <= 0:
                    return repaired
                tries -= 1
                if self.eject(service, span, provider, clashes):
                    repaired += 1
                    break
        return repaired

    def ejections(self, service: ServiceDue) -> list[tuple[Span, Provider, list[_Group]]]:
        """(interval, provider, the groups in the way) for a new session of ``service``: at
        most ``MAX_EJECTED`` service groups, the fewest displaced students first."""
        board, day = self.board, self.day
        student = service.student
        remaining = service.minutes - board.met[service.id]
        length = max(self.session_length(service), _round_up(remaining, day.grid))
        passing = day.p.passing_minutes
        found: list[tuple[tuple[int, int, int, int], Span, Provider, list[_Group]]] = []
        for block in day.blocks[student]:
            if length > block.minutes:
                continue
            for start in day.starts(block, length):
                span = (start, start + length)
                if board.fits(student, span) is None:
                    continue
                margin = (span[0] - passing, span[1] + passing)
                for provider in day.eligible[service.id]:
                    if not _inside(provider.available, *span):
                        continue
                    clashes = [g for g in board.of_adult[provider.id] if _overlaps(g.span, margin)]
                    if not 0 < len(clashes) <= MAX_EJECTED or any(
                        g.kind != ActivityKind.SERVICE for g in clashes
                    ):
                        continue
                    displaced = sum(len(g.members) for g in clashes)
                    key = (len(clashes), displaced, start, provider.id)
                    found.append((key, span, provider, clashes))
        found.sort(key=lambda f: f[0])
        return [(span, provider, clashes) for _key, span, provider, clashes in found]

    def eject(
        self, service: ServiceDue, span: Span, provider: Provider, clashes: list[_Group]
    ) -> bool:
        board, day = self.board, self.day
        mark, before = len(board.log), board.missing()
        by_id = {s.id: s for s in day.p.services}
        displaced = [by_id[sid] for g in clashes for sid in sorted(g.services.values())]
        for clash in clashes:
            board.remove(clash)
        block = day.block_at(service.student, *span)
        if self.caseload_allows(provider, service.student, span[1] - span[0]):
            prefer = board.previous_place(service.student, provider.id, span)
            kind = ActivityKind.SERVICE
            found, place = board.choose_place(kind, block, provider.id, span, prefer)
            if found:
                self.open_group(service, provider.id, span, place)
                for other in displaced:
                    self.place(other)
                if board.missing() < before:
                    return True
        board.rollback(mark)
        return False

    def session_length(self, service: ServiceDue) -> int:
        return _round_up(max(service.session_minutes, self.day.grid), self.day.grid)

    def best_join(
        self, service: ServiceDue, student: StudentDay, remaining: int
    ) -> tuple[tuple[int, ...], _Group] | None:
        board, day = self.board, self.day
        shortest = self.session_length(service)
        eligible = {p.id: p for p in day.eligible[service.id]}
        more = self.more_due(service)
        best: tuple[tuple[int, ...], _Group] | None = None
        for group in board.by_kind[ActivityKind.SERVICE, service.kind]:
            provider = eligible.get(group.adult)
            if provider is None or group.minutes < shortest or student.id in group.members:
                continue
            if len(group.members) >= min(group.limit, service.max_group_size):
                continue
            if not day.grades_fit(group.grades, student.grade) or not board.room_in(group):
                continue
            if not self.caseload_allows(provider, student.id, 0):
                continue
            placed = board.placement(student.id, group.span)
            if placed is None:
                continue
            kept = day.was(student.id, ActivityKind.SERVICE, group.adult, group.span)
            score = (
                0 if kept else 1,
                -board.relief(placed[0], group.span),
                placed[1] if more else 0,
                0,
                max(0, group.minutes - remaining),
                0,
                _edge(placed[0], group.span),
                group.start,
                group.adult,
            )
            if best is None or score < best[0]:
                best = (score, group)
        return best

    def best_opening(
        self, service: ServiceDue, student: StudentDay, remaining: int
    ) -> tuple[tuple[int, ...], int, Span, int | None] | None:
        board, day = self.board, self.day
        shortest = self.session_length(service)
        wanted = max(shortest, _round_up(remaining, day.grid))
        more = self.more_due(service)
        # The minutes due in one session; else a little longer (the gap it leaves would be too
        # short for program time), else shorter sessions down to the least.
        longer = range(wanted + day.grid, wanted + day.program_minimum[student.id] + 1, day.grid)
        lengths = [wanted, *longer, *range(wanted - day.grid, shortest - 1, -day.grid)]
        for length in lengths:
            candidates: list[_Candidate] = []
            waiting: dict[Span, int] = {}
            placements: dict[Span, tuple[LabBlock, int] | None] = {}
            providers = [
                p for p in day.eligible[service.id] if self.caseload_allows(p, student.id, length)
            ]
            for block in day.blocks[student.id]:
                if length > block.minutes:
                    continue
                for provider in providers:
                    for start in board.free_starts("service", provider, block, length):
                        span = (start, start + length)
                        if span not in placements:
                            placements[span] = board.placement(student.id, span)
                        placed = placements[span]
                        if placed is None:
                            continue
                        if span not in waiting:
                            waiting[span] = self.waiting(service, student, span)
                        kept = day.was(student.id, ActivityKind.SERVICE, provider.id, span)
                        score = (
                            0 if kept else 1,
                            -board.relief(block, span),
                            # Leave room for the student's next service: fewer sessions first.
                            placed[1] if more else 0,
                            1,
                            max(0, length - remaining),
                            -waiting[span],
                            board.idle(provider.id, span, shortest),
                            _edge(block, span),
                            board.adult_minutes[provider.id],
                            start,
                            provider.id,
                        )
                        candidates.append((score, provider.id, span, block))
            best = board.first_placed(ActivityKind.SERVICE, student.id, candidates)
            if best is not None:
                return best
        return None

    def more_due(self, service: ServiceDue) -> bool:
        """Has the student another service still to place after this one?"""
        return self.pending_of[service.student] > 0

    def caseload_allows(self, provider: Provider, student: int, minutes: int) -> bool:
        board = self.board
        if (
            provider.max_students is not None
            and student not in board.served[provider.id]
            and len(board.served[provider.id]) >= provider.max_students
        ):
            return False
        return (
            provider.max_minutes is None
            or board.adult_minutes[provider.id] + minutes <= provider.max_minutes
        )

    def waiting(self, service: ServiceDue, student: StudentDay, span: Span) -> int:
        """Students still waiting for this kind who could join a group at ``span``."""
        count = 0
        limit = service.max_group_size - 1
        grades = [student.grade]
        if self.day.p.adjacent_grades:
            grades += [student.grade - 1, student.grade + 1]
        for grade in grades:
            for other in self.pending.get((service.kind, grade), ()):
                if other.student != student.id and self.board.fits(other.student, span):
                    count += 1
                    if count >= limit:
                        return count
        return count


def _edge(block: LabBlock, span: Span) -> int:
    """0 when ``span`` starts or ends its block (one change fewer), else 1."""
    return 0 if span[0] == block.start or span[1] == block.end else 1


class _Tutoring:
    """Phase 2: tutoring groups, highest need first (see the module docstring)."""

    def __init__(self, board: _Board) -> None:
        self.board = board
        self.day = board.day
        self.tutors = sorted(self.day.p.tutors, key=lambda t: t.id)
        self.by_id = {t.id: t for t in self.tutors}
        self.pending: list[tuple[StudentDay, str]] = []

    def run(self) -> None:
        day = self.day
        if not self.tutors:
            return
        queue = []
        for student in day.p.students:
            subject, need = self.subject_for(student)
            if subject is not None and need > day.p.min_tutoring_need:
                queue.append((-need, student.id, subject))
        queue.sort()
        self.pending = [(day.students[sid], subject) for _need, sid, subject in queue]
        while self.pending:
            student, subject = self.pending.pop(0)
            self.place(student, subject)

    def subject_for(self, student: StudentDay) -> tuple[str | None, float]:
        subjects: set[str] = set()
        for tutor in self.tutors:
            if tutor.grades and student.grade not in tutor.grades:
                continue
            subjects |= tutor.subjects or {name for name, _ in student.need}
        ranked = sorted(((student.need_for(s), s) for s in subjects), key=lambda x: (-x[0], x[1]))
        if not ranked:
            return None, 0.0
        return ranked[0][1], ranked[0][0]

    def takes(self, tutor: Tutor, student: StudentDay, subject: str) -> bool:
        return (not tutor.subjects or subject in tutor.subjects) and (
            not tutor.grades or student.grade in tutor.grades
        )

    def place(self, student: StudentDay, subject: str) -> None:
        board, day = self.board, self.day
        budget = day.p.tutoring_minutes
        shortest = _round_up(max(day.p.tutoring_session_minutes, day.grid), day.grid)
        while budget >= shortest:
            join = self.best_join(student, subject, budget, shortest)
            opening = self.best_opening(student, subject, budget, shortest)
            if opening is not None and (join is None or opening[0] < join[0]):
                _score, tutor_id, span, place = opening
                tutor = self.by_id[tutor_id]
                group = _Group(
                    ActivityKind.TUTORING,
                    span[0],
                    span[1],
                    tutor.id,
                    place,
                    tutor.max_group_size,
                    subject=subject,
                )
                board.open(group)
                board.join(group, student, tutor.max_group_size, None)
                budget -= group.minutes
            elif join is not None:
                board.join(join[1], student, join[1].limit, None)
                budget -= join[1].minutes
            else:
                return

    def best_join(
        self, student: StudentDay, subject: str, budget: int, shortest: int
    ) -> tuple[tuple[int, ...], _Group] | None:
        board, day = self.board, self.day
        tutors = {t.id: t for t in self.tutors}
        best: tuple[tuple[int, ...], _Group] | None = None
        for group in board.by_kind[ActivityKind.TUTORING, subject]:
            tutor = tutors[group.adult]
            if not self.takes(tutor, student, subject) or student.id in group.members:
                continue
            if not shortest <= group.minutes <= budget or len(group.members) >= group.limit:
                continue
            if not day.grades_fit(group.grades, student.grade) or not board.room_in(group):
                continue
            block = board.fits(student.id, group.span)
            if block is None:
                continue
            kept = day.was(student.id, ActivityKind.TUTORING, tutor.id, group.span)
            score = (
                0 if kept else 1,
                -board.relief(block, group.span),
                0,
                -group.minutes,
                0,
                _edge(block, group.span),
                group.start,
            )
            if best is None or score < best[0]:
                best = (score, group)
        return best

    def best_opening(
        self, student: StudentDay, subject: str, budget: int, shortest: int
    ) -> tuple[tuple[int, ...], int, Span, int | None] | None:
        board, day = self.board, self.day
        tutors = [t for t in self.tutors if self.takes(t, student, subject)]
        longest = budget - budget % day.grid
        for length in range(longest, shortest - 1, -day.grid):
            candidates: list[_Candidate] = []
            waiting: dict[Span, int] = {}
            fitting: dict[Span, bool] = {}
            free = [t for t in tutors if self.has_minutes(t, length)]
            for block in day.blocks[student.id]:
                if length > block.minutes:
                    continue
                for tutor in free:
                    for start in board.free_starts("tutor", tutor, block, length):
                        span = (start, start + length)
                        if span not in fitting:
                            fitting[span] = board.fits(student.id, span) is not None
                        if not fitting[span]:
                            continue
                        if span not in waiting:
                            waiting[span] = self.waiting(student, subject, span, tutor)
                        kept = day.was(student.id, ActivityKind.TUTORING, tutor.id, span)
                        score = (
                            0 if kept else 1,
                            -board.relief(block, span),
                            1,
                            -length,
                            -waiting[span],
                            _edge(block, span),
                            board.adult_minutes[tutor.id],
                            start,
                            tutor.id,
                        )
                        candidates.append((score, tutor.id, span, block))
            best = board.first_placed(ActivityKind.TUTORING, student.id, candidates)
            if best is not None:
                return best
        return None

    def has_minutes(self, tutor: Tutor, length: int) -> bool:
        return tutor.max_minutes is None or (
            self.board.adult_minutes[tutor.id] + length <= tutor.max_minutes
        )

    def waiting(self, student: StudentDay, subject: str, span: Span, tutor: Tutor) -> int:
        """The next students in need order who could join a group at ``span``."""
        count = 0
        for mate, mate_subject in self.pending:
            if mate_subject != subject or not self.takes(tutor, mate, subject):
                continue
            if not self.day.grades_fit({student.grade}, mate.grade):
                continue
            if self.board.fits(mate.id, span) is not None:
                count += 1
                if count >= tutor.max_group_size - 1:
                    break
        return count


class _Programs:
    """Phase 3: every gap between groups in program time, shared by need."""

    def __init__(self, board: _Board) -> None:
        self.board = board
        self.day = board.day

    def run(self) -> list[PlanSegment]:
        out: list[PlanSegment] = []
        for student in sorted(self.day.p.students, key=lambda s: s.id):
            out += self.student_sessions(student)
        return out

    def student_sessions(self, student: StudentDay) -> list[PlanSegment]:
        day, board = self.day, self.board
        gaps: list[tuple[LabBlock, Span, int]] = []  # block, gap, changes left in the block
        for block in day.blocks[student.id]:
            spans = sorted(
                g.span for g in board.of_student[student.id] if block.start <= g.start < block.end
            )
            block_gaps = _gaps(block, spans)
            left = day.p.max_changes - (len(spans) + len(block_gaps) - 1)
            gaps += [(block, gap, left) for gap in block_gaps]
        programs = self.programs_for(student)
        if not programs:
            # No program serves the grade yet: open lab time, with no program named.
            return [
                PlanSegment(student.id, a, b, ActivityKind.PROGRAM) for _block, (a, b), _ in gaps
            ]
        weight = day.p.weights.program_need / 5
        shares = {s: 1 + weight * student.need_for(s) for s in programs}
        total = sum(b - a for _block, (a, b), _ in gaps)
        target = {s: total * share / sum(shares.values()) for s, share in shares.items()}
        given: dict[str, int] = defaultdict(int)
        out: list[PlanSegment] = []
        splits: dict[int, int] = defaultdict(int)  # block start -> changes spent on splits
        for block, (a, b), left in gaps:
            short_block = block.minutes < day.program_minimum[student.id]
            pieces = self.split(student, programs, target, given, (a, b))
            if len(pieces) > 1 and (short_block or left - splits[block.start] < 1):
                pieces = [(pieces[0][0], (a, b))]  # no change left for a second program
            if len(pieces) > 1:
                splits[block.start] += 1
            for subject, (s, e) in pieces:
                given[subject] += e - s
                program = self.program(programs[subject], e - s, short_block)
                out.append(
                    PlanSegment(
                        student.id,
                        s,
                        e,
                        ActivityKind.PROGRAM,
                        program=program.id,
                        subject=subject,
                    )
                )
        return out

    def split(
        self,
        student: StudentDay,
        programs: dict[str, list[LabProgram]],
        target: dict[str, float],
        given: dict[str, int],
        gap: Span,
    ) -> list[tuple[str, Span]]:
        """One subject for the gap, or two when the first subject's share would run out
        long before the gap does and both halves can hold a program session."""
        grid = self.day.grid
        length = gap[1] - gap[0]
        fitting = [s for s in programs if min(p.min_minutes for p in programs[s]) <= length]
        subjects = sorted(fitting or programs, key=lambda s: (given[s] - target[s], s))
        first = subjects[0]
        if len(subjects) < 2:
            return [(first, gap)]
        second = subjects[1]
        first_min = min(p.min_minutes for p in programs[first])
        second_min = min(p.min_minutes for p in programs[second])
        deficit = target[first] - given[first]
        # Split only when the second subject is also short of its share by a whole session.
        if target[second] - given[second] < second_min or deficit >= length - second_min:
            return [(first, gap)]
        cut = gap[0] + max(_round_up(int(deficit), grid), _round_up(first_min, grid))
        if gap[1] - cut < second_min:
            return [(first, gap)]
        return [(first, (gap[0], cut)), (second, (cut, gap[1]))]

    def program(self, options: list[LabProgram], minutes: int, short_block: bool) -> LabProgram:
        """The first program of a subject (yesterday's first) long enough for the session."""
        for program in options:
            if short_block or program.min_minutes <= minutes:
                return program
        return min(options, key=lambda p: (p.min_minutes, p.id))

    def programs_for(self, student: StudentDay) -> dict[str, list[LabProgram]]:
        """The programs ``student`` may use per subject: yesterday's first, then by id."""
        yesterday = self.day.previous_programs.get(student.id, set())
        allowed = sorted(
            (
                p
                for p in self.day.p.programs
                if p.serves(student.grade) and (not student.programs or p.id in student.programs)
            ),
            key=lambda p: (p.id not in yesterday, p.id),
        )
        out: dict[str, list[LabProgram]] = {}
        for program in allowed:
            out.setdefault(program.subject, []).append(program)
        return out


def _gaps(block: LabBlock, spans: list[Span]) -> list[Span]:
    out, at = [], block.start
    for start, end in spans:
        if start > at:
            out.append((at, start))
        at = max(at, end)
    if at < block.end:
        out.append((at, block.end))
    return out


def _seat(board: _Board, programs: list[PlanSegment]) -> int:
    """Give program time in lab blocks a computer zone of the lab, minute by minute within
    each zone's capacity (the previous plan's zone first); the sessions no zone can seat."""
    day = board.day
    zones: dict[int, list[Place]] = defaultdict(list)
    for place in day.places:
        if place.computers and place.lab is not None:
            zones[place.lab].append(place)
    if not zones:
        return 0
    used: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    short = 0
    order = sorted(range(len(programs)), key=lambda i: (programs[i].start, programs[i].student))
    for index in order:
        seg = programs[index]
        block = day.block_at(seg.student, seg.start, seg.end)
        if block is None or block.kind != BlockKind.LAB or block.room not in zones:
            continue
        steps = range(seg.start, seg.end, day.grid)
        prefer = day.previous_zone.get((seg.student, seg.start))
        candidates = sorted(zones[block.room], key=lambda z: (z.id != prefer, z.id))
        chosen = next(
            (
                z
                for z in candidates
                if _inside(z.available, seg.start, seg.end)
                and all(used[z.id][t] < z.capacity for t in steps)
            ),
            None,
        )
        if chosen is None:
            short += 1
            chosen = max(candidates, key=lambda z: min(z.capacity - used[z.id][t] for t in steps))
        for t in steps:
            used[chosen.id][t] += 1
        programs[index] = PlanSegment(
            seg.student,
            seg.start,
            seg.end,
            seg.kind,
            program=seg.program,
            subject=seg.subject,
            place=chosen.id,
        )
    return short
