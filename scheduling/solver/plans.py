"""The stage-2 problem and its answer, as frozen plain data: no Django, no OR-Tools.

Stage 2 decides, inside the published lab and flexible blocks, what each present student does:
a sequence of *sessions* that tile each block, each session program time (which program, in
which lab zone), a tutoring group or a service group (IEP, ELD, intervention). Times are whole
minutes since local midnight, ``end`` exclusive, as in stage 1; session boundaries fall on
``PlanProblem.grid_minutes`` (5) as stage 1's blocks do.

Sessions are long enough to teach: program time at least its program's ``min_minutes``, a
service session at least its need's ``session_minutes``, tutoring at least
``tutoring_session_minutes``; a student changes activity at most ``max_changes`` times in a
block. A group is one grade (or two adjacent grades where ``adjacent_grades`` allows), one
adult, one place and one interval that lies inside every member's block.

The Django side resolves everything the solver must not query: today's share of each weekly
service (``ServiceDue.minutes``), who may deliver it (``ServiceDue.providers``), each student's
need per subject (0..1, from the Learning Lab's one small need function), and yesterday's plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .problem import Window


class BlockKind(StrEnum):
    LAB = "lab"
    FLEX = "flex"


class ActivityKind(StrEnum):
    PROGRAM = "program"
    TUTORING = "tutoring"
    SERVICE = "service"


@dataclass(frozen=True)
class LabBlock:
    """One published lab or flexible block of a cohort's day (from stage 1)."""

    cohort: int
    kind: BlockKind
    start: int
    end: int
    room: int | None = None

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class StudentDay:
    """A student present today. ``need`` maps subject to 0..1 (1: furthest behind their goals).

    ``programs`` lists the program ids the student is enrolled in; empty means every program of
    the school that serves their grade.
    """

    id: int
    cohort: int
    grade: int
    need: tuple[tuple[str, float], ...] = ()
    english_learner: bool = False
    programs: tuple[int, ...] = ()

    def need_for(self, subject: str) -> float:
        return next((value for name, value in self.need if name == subject), 0.0)


@dataclass(frozen=True)
class ServiceDue:
    """Minutes of a service a student must receive today, in groups of at most ``max_group_size``
    and sessions of at least ``session_minutes`` ("ELD 30 minutes, 4 times a week").

    ``providers`` are the ids who may deliver it (resolved from the service's provider role);
    empty means any provider whose ``kinds`` include ``kind``.
    """

    id: int
    student: int
    kind: str  # "iep", "eld", "intervention"
    minutes: int
    max_group_size: int
    providers: tuple[int, ...] = ()
    session_minutes: int = 30


@dataclass(frozen=True)
class Provider:
    """Someone who delivers services: the kinds they deliver, their hours today, their caseload.

    ``max_students`` caps the distinct students they serve today and ``max_minutes`` the minutes
    they spend in groups today; ``None`` means no cap.
    """

    id: int
    kinds: frozenset[str]
    available: tuple[Window, ...]
    max_students: int | None = None
    max_minutes: int | None = None


@dataclass(frozen=True)
class Tutor:
    """A tutor working small groups inside the lab. Empty ``subjects`` or ``grades``: any."""

    id: int
    available: tuple[Window, ...]
    max_group_size: int = 4
    subjects: frozenset[str] = frozenset()
    grades: frozenset[int] = frozenset()
    max_minutes: int | None = None


class PlaceKind(StrEnum):
    RESOURCE_ROOM = "resource_room"
    LAB_ZONE = "lab_zone"
    CLASSROOM = "classroom"


@dataclass(frozen=True)
class Place:
    """Where a group meets or program time sits: a resource room, a zone of a lab (``lab`` is
    the lab room's id; ``computers`` zones seat program time, the others small groups) or a
    classroom while stage 1 leaves it empty. ``available`` is when it is free for stage 2; at
    most one group meets in a place at a time and everyone in it at a minute fits ``capacity``.
    """

    id: int
    kind: PlaceKind
    capacity: int
    available: tuple[Window, ...]
    lab: int | None = None
    computers: bool = False


DEFAULT_PROGRAM_MINUTES = 25  # the shortest program session unless the program says otherwise


@dataclass(frozen=True)
class LabProgram:
    """An online program used in lab time. Empty ``grades``: every grade."""

    id: int
    subject: str
    grades: frozenset[int] = frozenset()
    min_minutes: int = DEFAULT_PROGRAM_MINUTES

    def serves(self, grade: int) -> bool:
        return not self.grades or grade in self.grades


@dataclass(frozen=True)
class PlanWeights:
    """Soft-goal weights of stage 2; 0 switches a goal off. Tutoring has no weight: it goes
    strictly in order of need (see stage2.py)."""

    program_need: int = 10  # how strongly program minutes follow need per subject
    switches: int = 5  # per change of activity within a block
    stability: int = 20  # per session that keeps the last plan's group, adult and time
    service_excess: int = 1  # per service minute beyond what is due (less program time)


@dataclass(frozen=True)
class PlanSegment:
    """One student's session: an activity from ``start`` to ``end``. ``group`` is set for
    tutoring and services; ``place`` is the group's place, or for program time the lab zone
    (``None``: the block's own room)."""

    student: int
    start: int
    end: int
    kind: ActivityKind
    program: int | None = None
    tutor: int | None = None
    provider: int | None = None
    service: int | None = None  # ServiceDue.id
    subject: str | None = None  # of program time or tutoring
    group: int | None = None
    place: int | None = None

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class PlanGroup:
    """A tutoring or service group: one adult, one place, one session, its members."""

    id: int
    kind: ActivityKind
    start: int
    end: int
    members: tuple[int, ...]
    tutor: int | None = None
    provider: int | None = None
    service_kind: str | None = None
    subject: str | None = None
    place: int | None = None


@dataclass(frozen=True)
class PlanProblem:
    """One school's stage-2 problem for one date."""

    school: int
    date: str
    blocks: tuple[LabBlock, ...]
    students: tuple[StudentDay, ...]
    programs: tuple[LabProgram, ...]
    services: tuple[ServiceDue, ...] = ()
    providers: tuple[Provider, ...] = ()
    tutors: tuple[Tutor, ...] = ()
    places: tuple[Place, ...] = ()
    grid_minutes: int = 5  # session boundaries fall on this grid, as stage 1's blocks do
    tutoring_minutes: int = 30  # the most tutoring one student gets in a day
    tutoring_session_minutes: int = 20  # the shortest tutoring session
    min_tutoring_need: float = 0.0  # students at or below this need get no tutoring
    max_changes: int = 2  # changes of activity a student makes within one block
    adjacent_grades: bool = False  # may a group mix two adjacent grades (K with 1, 1 with 2)
    passing_minutes: int = 5  # an adult's (or student's) walk between two places
    previous: tuple[PlanSegment, ...] = ()  # the last plan of this day type, for stability
    weights: PlanWeights = field(default_factory=PlanWeights)

    def program_minimum(self, student: StudentDay) -> int:
        """The shortest program session ``student`` may have: the least minimum among the
        programs they may use, or the default when none serves them (open lab time)."""
        usable = [
            p.min_minutes
            for p in self.programs
            if p.serves(student.grade) and (not student.programs or p.id in student.programs)
        ]
        return min(usable, default=DEFAULT_PROGRAM_MINUTES)


@dataclass(frozen=True)
class Shortfall:
    """Service minutes a plan does not meet: whose, which service, who could have delivered it."""

    student: int
    service: int
    kind: str
    providers: tuple[int, ...]
    due: int
    met: int

    @property
    def missing(self) -> int:
        return self.due - self.met

    @property
    def message(self) -> str:
        who = ", ".join(f"provider {p}" for p in self.providers) or "no eligible provider"
        return (
            f"student {self.student}: {self.kind} service {self.service} gets {self.met} of "
            f"{self.due} minutes today, {self.missing} short ({who})"
        )


@dataclass(frozen=True)
class ProviderShortfall:
    """A provider some of whose eligible students are short, and by how many minutes in all."""

    provider: int
    students: tuple[int, ...]
    missing: int


@dataclass(frozen=True)
class PlanStats:
    status: str  # per phase, e.g. "services=OPTIMAL tutoring=FEASIBLE"
    wall_seconds: float
    seed: int


@dataclass(frozen=True)
class LabPlan:
    """The day's plan. With ``shortfalls`` it is partial: every student is placed, but some
    service minutes are not met, and ``shortfalls`` says whose and by how much."""

    segments: tuple[PlanSegment, ...]
    groups: tuple[PlanGroup, ...]
    shortfalls: tuple[Shortfall, ...] = ()
    stats: PlanStats | None = None

    @property
    def complete(self) -> bool:
        return not self.shortfalls

    def provider_shortfalls(self) -> tuple[ProviderShortfall, ...]:
        """Per eligible provider, the students short and the minutes missing among them."""
        students: dict[int, set[int]] = {}
        missing: dict[int, int] = {}
        for short in self.shortfalls:
            for provider in short.providers:
                students.setdefault(provider, set()).add(short.student)
                missing[provider] = missing.get(provider, 0) + short.missing
        return tuple(
            ProviderShortfall(p, tuple(sorted(students[p])), missing[p]) for p in sorted(students)
        )
