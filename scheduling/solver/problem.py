"""The stage-1 problem and its answers, as frozen plain data: no Django, no OR-Tools.

Times are whole minutes since the school's local midnight (8:15 is 495). A ``Problem`` holds one
school's configuration for one date, with ids and numbers only; the solver returns a ``Solution``
or an ``Infeasible``, and the validator reads a ``Problem`` and a list of ``PlacedBlock`` alone.

Who staffs a block and where it happens follow from the configuration rather than being searched:
a station is taught in its teacher's room, the lab in the lab that serves the grade, lunch in the
cafeteria, flex in the cohort's homeroom. Where several staff may take a cohort's station (two
specials teachers for the whole school), the solver picks one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RoomKind(StrEnum):
    CLASSROOM = "classroom"
    LEARNING_LAB = "learning_lab"
    RESOURCE_ROOM = "resource_room"
    CAFETERIA = "cafeteria"
    GYM = "gym"


class Venue(StrEnum):
    """Where a station takes place, resolved per cohort into a room id (or no room)."""

    STAFF_ROOM = "staff_room"  # the room of the staff member who teaches it
    HOMEROOM = "homeroom"  # the cohort's own classroom
    LAB = "lab"  # the Learning Lab that serves the cohort's grade
    CAFETERIA = "cafeteria"  # the school's cafeteria (a shared room counted in cohorts)
    GYM = "gym"  # the gym (shared, counted in cohorts)
    OUTDOORS = "outdoors"  # the yard: no room to book


@dataclass(frozen=True)
class Window:
    """A stretch of the day, ``start`` inclusive, ``end`` exclusive, in minutes since midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"window ends ({self.end}) at or before it starts ({self.start})")

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class Station:
    """One station of a grade's rotation template (H2, H3) and its preferences (S2).

    ``minutes`` are split into at most ``max_blocks`` blocks, each ``block_min`` to ``block_max``
    minutes long in multiples of ``step``. A fixed event (lunch, recess, launch) has a ``window``
    its blocks must fall inside; ``preferred`` is where the leader would like it (soft).
    """

    code: str
    minutes: int
    block_min: int
    block_max: int
    max_blocks: int = 1
    step: int = 5
    venue: Venue = Venue.HOMEROOM
    staff_role: str | None = None
    window: Window | None = None
    preferred: Window | None = None
    avoid_right_after: str | None = None  # e.g. math avoids starting right after lunch

    @property
    def splittable(self) -> bool:
        return self.max_blocks > 1


@dataclass(frozen=True)
class GradeTemplate:
    """A grade's rotation. With ``cohorts``, it replaces the grade's template for those cohorts
    only: a recovery option turns an absent teacher's station into lab or flex time for the
    cohorts it affects (see ``recovery.py``)."""

    grade: int
    stations: tuple[Station, ...]
    cohorts: frozenset[int] = frozenset()

    def station(self, code: str) -> Station | None:
        return next((s for s in self.stations if s.code == code), None)

    def open_window(self, day: Window) -> Window:
        """The part of ``day`` the movable stations can use: a fixed event that fills its whole
        window at the start or end of the day (the launch) leaves them only the rest."""
        open_from, open_until = day.start, day.end
        for event in self.stations:
            window = event.window
            if window is not None and window.minutes == event.minutes and event.max_blocks == 1:
                if window.start <= open_from:
                    open_from = max(open_from, window.end)
                if window.end >= open_until:
                    open_until = min(open_until, window.start)
        return Window(open_from, open_until)


@dataclass(frozen=True)
class Room:
    """``capacity`` counts students for a lab or classroom and cohorts for a cafeteria or gym."""

    id: int
    name: str
    kind: RoomKind
    capacity: int
    grades: frozenset[int] = frozenset()  # for a lab: the grades it serves

    @property
    def shared(self) -> bool:
        return self.kind in (RoomKind.LEARNING_LAB, RoomKind.CAFETERIA, RoomKind.GYM)

    @property
    def counts_students(self) -> bool:
        return self.kind in (RoomKind.LEARNING_LAB, RoomKind.CLASSROOM, RoomKind.RESOURCE_ROOM)


@dataclass(frozen=True)
class Cohort:
    id: int
    name: str
    grade: int
    students: int
    homeroom: int  # room id


@dataclass(frozen=True)
class StaffMember:
    """A staff member as the day sees them: roles, room, the hours they are there (H4, H7).

    ``available`` is empty for someone absent all day; ``prep_minutes`` is the one stretch of
    prep they must get inside ``prep_window`` (0 for staff who have no teaching prep).
    """

    id: int
    name: str
    roles: frozenset[str]
    room: int | None
    available: tuple[Window, ...]
    prep_minutes: int = 0


@dataclass(frozen=True)
class Assignment:
    """Who may staff ``station`` for ``cohort``: one id, or several for the solver to pick from."""

    cohort: int
    station: str
    staff: tuple[int, ...]


@dataclass(frozen=True)
class LabSupervision:
    """ILS staff supervising a lab (H6): at any minute the students in it are at most
    ``students_per_adult`` times the supervisors available then."""

    lab: int
    supervisors: tuple[int, ...]
    students_per_adult: int


@dataclass(frozen=True)
class Pin:
    """A leader's fixed choice (H8): a block of ``station`` for ``cohort`` starting at ``start``
    (and ending at ``end`` when given)."""

    cohort: int
    station: str
    start: int
    end: int | None = None


@dataclass(frozen=True)
class Weights:
    """Soft-goal weights, S1-S5, set by the leader; 0 switches a goal off."""

    stability: int = 100  # S1, per block moved against the last published day
    preferences: int = (
        10  # S2, per block outside its preferred window or right after the avoided one
    )
    transitions: int = 5  # S3, per block beyond one per station
    lab_balance: int = 1  # S4, per seat of the busiest moment in each lab
    compact_staff: int = 1  # S5, per 5 minutes of each teacher's day from first to last block


@dataclass(frozen=True)
class WellBeing:
    """Staff well-being, hard rules (W1-W3) the leader sets in School settings.

    W1: every staff member who teaches blocks or supervises a lab that day gets one duty-free
    lunch of ``lunch_minutes`` in a row inside ``lunch_window`` (apart from their prep). Someone
    whose hours hold no such stretch of the window (a part-day absence) is not there for lunch
    and needs none.
    W2: nobody teaches or supervises more than ``max_stretch`` minutes without a break of at
    least ``min_break`` minutes. Any time they do not teach counts (prep, lunch, hours away);
    the passing time between two blocks does not when it is shorter than ``min_break``.
    W3: two blocks of a split station for one cohort are never back to back with the same
    teacher: something else happens between them.
    """

    lunch_minutes: int = 30
    lunch_window: Window = field(default_factory=lambda: Window(645, 810))  # 10:45-13:30
    max_stretch: int = 150
    min_break: int = 10


@dataclass(frozen=True)
class PlacedBlock:
    """One block of a cohort's day: station, time, room and staff."""

    cohort: int
    station: str
    start: int
    end: int
    room: int | None
    staff: tuple[int, ...] = ()

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Combination:
    """Two (or more, up to a cap) cohorts of a grade taught ``station`` together, by one teacher,
    in ``room`` (big enough for all their students): their blocks of it coincide exactly.

    An absence recovery option (see ``recovery.py``): the teacher is one assigned to every cohort
    of it, the block is one stretch of that teacher's and that room's day, and the first cohort
    leads (the others' blocks follow it)."""

    station: str
    cohorts: tuple[int, ...]
    room: int


@dataclass(frozen=True)
class Problem:
    """One school's stage-1 problem for one date."""

    school: int
    date: str  # ISO date, for messages and fingerprints
    day: Window  # arrival of the first block to dismissal: every cohort is covered throughout
    passing_minutes: int
    granularity: int
    rooms: tuple[Room, ...]
    cohorts: tuple[Cohort, ...]
    templates: tuple[GradeTemplate, ...]
    staff: tuple[StaffMember, ...]
    assignments: tuple[Assignment, ...]
    supervision: tuple[LabSupervision, ...] = ()
    prep_window: Window | None = None  # where prep must fall; None: anywhere in ``day``
    pins: tuple[Pin, ...] = ()
    previous: tuple[PlacedBlock, ...] = ()  # the last published day of this day type (S1)
    weights: Weights = field(default_factory=Weights)
    combined: tuple[Combination, ...] = ()  # cohorts taught a station together (recovery)
    wellbeing: WellBeing | None = None  # staff lunch, breaks, split stations; None: rules off

    # --- lookups the solver, explainer and validator all need --------------------------------
    def room(self, room_id: int) -> Room:
        return next(r for r in self.rooms if r.id == room_id)

    def cohort(self, cohort_id: int) -> Cohort:
        return next(c for c in self.cohorts if c.id == cohort_id)

    def member(self, staff_id: int) -> StaffMember:
        return next(s for s in self.staff if s.id == staff_id)

    def template(self, grade: int) -> GradeTemplate:
        """The grade's template, as every cohort of the grade without one of its own follows."""
        return next(t for t in self.templates if t.grade == grade and not t.cohorts)

    def template_of(self, cohort: Cohort) -> GradeTemplate:
        """The template ``cohort``'s day follows: its own if it has one, else its grade's."""
        own = next((t for t in self.templates if cohort.id in t.cohorts), None)
        return own or self.template(cohort.grade)

    def candidates(self, cohort_id: int, station: str) -> tuple[int, ...]:
        """Who may staff ``station`` for the cohort; for combined cohorts, one teacher takes them
        all, so only those assigned to every cohort of the combination."""
        combination = self.combination(cohort_id, station) if self.combined else None
        if combination is None:
            return self.assigned(cohort_id, station)
        pools = [self.assigned(c, station) for c in combination.cohorts]
        return tuple(s for s in pools[0] if all(s in pool for pool in pools[1:]))

    def assigned(self, cohort_id: int, station: str) -> tuple[int, ...]:
        """The staff assigned to the cohort's station, combined or not."""
        for assignment in self.assignments:
            if assignment.cohort == cohort_id and assignment.station == station:
                return assignment.staff
        return ()

    def combination(self, cohort_id: int, station: str) -> Combination | None:
        """The combination the cohort is taught ``station`` in, if any."""
        return next(
            (c for c in self.combined if c.station == station and cohort_id in c.cohorts), None
        )

    def follows(self, cohort_id: int, station: str) -> bool:
        """Whether the cohort's ``station`` blocks follow another cohort's in a combination: the
        shared blocks are the leading cohort's, counted once for staff and rooms."""
        combination = self.combination(cohort_id, station)
        return combination is not None and combination.cohorts[0] != cohort_id

    def lab_for_grade(self, grade: int) -> Room | None:
        return next(
            (r for r in self.rooms if r.kind == RoomKind.LEARNING_LAB and grade in r.grades), None
        )

    def room_of_kind(self, kind: RoomKind) -> Room | None:
        return next((r for r in self.rooms if r.kind == kind), None)

    def venue_room(self, cohort: Cohort, station: Station, staff_id: int | None) -> int | None:
        """The room a block of ``station`` for ``cohort`` takes place in (a combination's own
        room for combined cohorts)."""
        combination = self.combination(cohort.id, station.code) if self.combined else None
        if combination is not None:
            return combination.room
        if station.venue == Venue.HOMEROOM:
            return cohort.homeroom
        if station.venue == Venue.STAFF_ROOM:
            return self.member(staff_id).room if staff_id is not None else None
        if station.venue == Venue.LAB:
            lab = self.lab_for_grade(cohort.grade)
            return lab.id if lab else None
        if station.venue == Venue.CAFETERIA:
            room = self.room_of_kind(RoomKind.CAFETERIA)
            return room.id if room else None
        if station.venue == Venue.GYM:
            room = self.room_of_kind(RoomKind.GYM)
            return room.id if room else None
        return None


@dataclass(frozen=True)
class SolveStats:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    objective: float | None
    bound: float | None
    wall_seconds: float
    workers: int
    seed: int

    @property
    def gap(self) -> float | None:
        """Relative distance between the schedule found and the best possible one (0 = proven)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return abs(self.objective - self.bound) / abs(self.objective)


@dataclass(frozen=True)
class Solution:
    blocks: tuple[PlacedBlock, ...]
    stats: SolveStats
    moved_blocks: int  # blocks of ``Problem.previous`` not kept exactly


@dataclass(frozen=True)
class Reason:
    """Why no schedule exists, in school terms: what conflicts, and what would fix it.

    ``setting`` names the configuration at fault (``"room:12"``, ``"station:3:lab"``,
    ``"staff:7"``, ``"pin:4:math"``) so a page can link to it. ``detail`` carries the figures
    of the message as pairs (``("math", 4)``, ``("seconds", 20)``) so a page can say it again in
    the reader's language; the message is the engine's English.
    """

    code: str
    message: str
    suggestion: str
    setting: str
    detail: tuple[tuple[str, int | float], ...] = ()


@dataclass(frozen=True)
class Infeasible:
    reasons: tuple[Reason, ...]
    stats: SolveStats | None = None
