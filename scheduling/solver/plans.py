"""The stage-2 problem and its answer, as frozen plain data: no Django, no OR-Tools.

Stage 2 decides, inside the published lab and flexible blocks, what each present student does in
each time segment: program time (which program), a tutoring group, or a service group (IEP, ELD,
intervention). Times are whole minutes since local midnight, ``end`` exclusive, as in stage 1.

A block is cut into segments of ``PlanProblem.segment_minutes`` counted from the block's start;
the last segment of a block may be shorter (a 100-minute lab block in 15-minute segments ends with
a 10-minute one). Students of different cohorts may share a group only when their segments
coincide exactly, because a group's members sit together for the whole segment.

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
    """Minutes of a service a student must receive today, in groups of at most ``max_group_size``.

    ``providers`` are the ids who may deliver it (resolved from the service's provider role);
    empty means any provider whose ``kinds`` include ``kind``.
    """

    id: int
    student: int
    kind: str  # "iep", "eld", "intervention"
    minutes: int
    max_group_size: int
    providers: tuple[int, ...] = ()


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


@dataclass(frozen=True)
class LabProgram:
    """An online program used in lab time. Empty ``grades``: every grade."""

    id: int
    subject: str
    grades: frozenset[int] = frozenset()

    def serves(self, grade: int) -> bool:
        return not self.grades or grade in self.grades


@dataclass(frozen=True)
class PlanWeights:
    """Soft-goal weights of stage 2; 0 switches a goal off. Tutoring has no weight: it goes
    strictly in order of need (see stage2.py)."""

    program_need: int = 10  # how strongly program minutes follow need per subject
    switches: int = 5  # per change of activity within a block
    stability: int = 20  # per segment that keeps yesterday's provider or tutor and time
    service_excess: int = 1  # per service minute beyond what is due (less program time)


@dataclass(frozen=True)
class PlanSegment:
    """One student's activity in one segment. ``group`` is set for tutoring and services."""

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

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class PlanGroup:
    """A tutoring or service group: one adult, one segment, its members."""

    id: int
    kind: ActivityKind
    start: int
    end: int
    members: tuple[int, ...]
    tutor: int | None = None
    provider: int | None = None
    service_kind: str | None = None
    subject: str | None = None


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
    segment_minutes: int = 15
    tutoring_minutes: int = 30  # the most tutoring one student gets in a day
    min_tutoring_need: float = 0.0  # students at or below this need get no tutoring
    previous: tuple[PlanSegment, ...] = ()  # yesterday's plan, for stability
    weights: PlanWeights = field(default_factory=PlanWeights)

    def segments_of(self, block: LabBlock) -> list[tuple[int, int]]:
        """The block cut into segments from its start; the last may be shorter."""
        step = self.segment_minutes
        return [(s, min(s + step, block.end)) for s in range(block.start, block.end, step)]


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
