"""Stage 2: what each present student does, segment by segment, inside lab and flexible blocks.

Decomposed in three phases, scarcest resource first, because a single model over every student,
segment and activity (about 600 x 9 x 10 choices for shape M) costs far more than the 2 s budget
while the phases barely interact:

1. Services. Hard: one activity per student and segment, groups no larger than their members'
   limits, a provider in one group at a time, inside their hours and caseload. A greedy pass
   places the least flexible services first (a few orders, the seed perturbing all but the
   first; about 0.03 s each on shape M); when minutes are still short, CP-SAT re-plans the
   services around the gaps (the neighbourhood: every service that could use a short service's
   providers while the short student is in lab or flex), hinted with the greedy answer, and
   stops at the first assignment meeting every minute. Minutes due are soft with a large weight
   there, so the model is always feasible and what it cannot meet comes back as named
   shortfalls rather than a bare "infeasible". A single CP-SAT model of the whole school's
   services (about 8,000 literals for M) found no useful answer within 2 s, hence the split.
2. Tutoring (greedy by need). Students in order of need, highest first, join a tutor's group
   (same grade, subject and segment) or open one while a tutor is free; ties prefer yesterday's
   tutor and time and a second segment right after the first. The order makes "tutoring goes to
   the students furthest behind" literal rather than a weighted trade-off.
3. Programs (greedy). Each student's remaining segments are shared among their subjects in
   proportion to need, one subject per run of segments as long as its share lasts (few switches).
   Where no program serves a student's grade, the segments are open lab time (no program).

The same problem, options and seed give the same plan: the greedy passes break every tie by ids
and times, and CP-SAT runs with one worker and a deterministic work limit (``work_limit``, which
binds before the wall-clock ``time_limit`` unless the machine is much slower than the reference).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from ortools.sat.python import cp_model

from .plans import (
    ActivityKind,
    LabPlan,
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
from .problem import Window

Slot = tuple[int, int]  # (start, end) of one segment
ServiceAssignment = dict[tuple[int, Slot], int]  # (service id, slot) -> provider id
# A missing service minute must outweigh every bonus one segment can earn (stability, switches).
SHORTFALL_WEIGHT = 1000


@dataclass(frozen=True)
class PlanOptions:
    """``time_limit`` (wall seconds) and ``work_limit`` (CP-SAT deterministic units) bound the
    services model; the work limit normally binds first, which keeps the plan deterministic."""

    seed: int = 0
    workers: int = 1
    time_limit: float = 1.5
    # About 2 wall seconds per unit on the 2-core reference machine; binds before time_limit.
    work_limit: float = 0.6
    greedy_orders: int = 8  # greedy service orders tried before CP-SAT (the first is fixed)


def solve(problem: PlanProblem, options: PlanOptions | None = None) -> LabPlan:
    """The day's lab plan; partial (with ``shortfalls``) when service minutes cannot be met."""
    options = options or PlanOptions()
    began = time.perf_counter()
    day = _Day(problem)
    chosen, status = _plan_services(day, options)
    day.apply_services(chosen)
    _Tutoring(day).run()
    _Programs(day).run()
    stats = PlanStats(status=status, wall_seconds=time.perf_counter() - began, seed=options.seed)
    return day.plan(stats)


def _plan_services(day: _Day, options: PlanOptions) -> tuple[ServiceAssignment, str]:
    """Phase 1: the best of a few greedy orders, then CP-SAT around what is still short."""
    if not day.p.services:
        return {}, "services=none"
    rng = random.Random(options.seed)
    best: ServiceAssignment = {}
    best_key: tuple[int, int, int] | None = None
    for attempt in range(max(1, options.greedy_orders)):
        assignment = _GreedyServices(day, rng if attempt else None).run()
        key = (
            day.missing(assignment),
            day.moved(assignment),
            len({(s, p) for (_, s), p in assignment.items()}),
        )
        if best_key is None or key < best_key:
            best, best_key = assignment, key
        if key[0] == 0:
            break
    status = f"services=greedy short={best_key[0] if best_key else 0}"
    if best_key is None or best_key[0] == 0 or options.work_limit <= 0:
        return best, status
    repaired, cp_status = _Services(day, options).run(best, day.neighbourhood(best))
    if day.missing(repaired) <= best_key[0]:
        return repaired, f"{status} repair={cp_status} short={day.missing(repaired)}"
    return best, f"{status} repair={cp_status} kept greedy"


def _available(windows: tuple[Window, ...], slot: Slot) -> bool:
    return any(w.contains(*slot) for w in windows)


@dataclass
class _Group:
    kind: ActivityKind
    slot: Slot
    staff: int
    members: list[int]
    service_kind: str | None = None
    subject: str | None = None
    grade: int | None = None


class _Day:
    """The problem indexed, and the plan as it is filled in phase by phase."""

    def __init__(self, problem: PlanProblem) -> None:
        if problem.segment_minutes <= 0:
            raise ValueError("segment_minutes must be positive")
        self.p = problem
        self.students: dict[int, StudentDay] = {s.id: s for s in problem.students}
        cohort_slots: dict[int, list[Slot]] = defaultdict(list)
        self.next_slot: dict[Slot, Slot] = {}
        for block in sorted(problem.blocks, key=lambda b: (b.cohort, b.start)):
            slots = problem.segments_of(block)
            cohort_slots[block.cohort].extend(slots)
            for a, b in pairwise(slots):
                self.next_slot[a] = b
        self.slots: dict[int, list[Slot]] = {
            s.id: sorted(cohort_slots.get(s.cohort, [])) for s in problem.students
        }
        for service in problem.services:
            if service.student not in self.students:
                raise ValueError(
                    f"services: service {service.id} names student {service.student}, "
                    "who is not among today's present students"
                )
        self.services = {s.id: s for s in problem.services}
        # (student, slot) -> the segment chosen so far
        self.chosen: dict[tuple[int, Slot], PlanSegment] = {}
        self.groups: list[_Group] = []
        self.previous: dict[tuple[int, int], PlanSegment] = {
            (seg.student, seg.start): seg for seg in problem.previous
        }
        self.previous_programs: dict[int, set[int]] = defaultdict(set)
        for seg in problem.previous:
            if seg.program is not None:
                self.previous_programs[seg.student].add(seg.program)

    def free(self, student: int, slot: Slot) -> bool:
        return (student, slot) not in self.chosen

    def plan(self, stats: PlanStats) -> LabPlan:
        ordered = sorted(self.groups, key=lambda g: (g.slot, g.kind, g.staff, g.service_kind or ""))
        group_ids = {id(g): n for n, g in enumerate(ordered, start=1)}
        groups = tuple(
            PlanGroup(
                id=group_ids[id(g)],
                kind=g.kind,
                start=g.slot[0],
                end=g.slot[1],
                members=tuple(sorted(g.members)),
                tutor=g.staff if g.kind == ActivityKind.TUTORING else None,
                provider=g.staff if g.kind == ActivityKind.SERVICE else None,
                service_kind=g.service_kind,
                subject=g.subject,
            )
            for g in ordered
        )
        member_group = {
            (member, g.slot): group_ids[id(g)] for g in self.groups for member in g.members
        }
        segments = []
        for (student, slot), seg in sorted(self.chosen.items()):
            group = member_group.get((student, slot))
            segments.append(
                PlanSegment(
                    student=seg.student,
                    start=seg.start,
                    end=seg.end,
                    kind=seg.kind,
                    program=seg.program,
                    tutor=seg.tutor,
                    provider=seg.provider,
                    service=seg.service,
                    subject=seg.subject,
                    group=group,
                )
            )
        return LabPlan(
            segments=tuple(segments),
            groups=groups,
            shortfalls=self.shortfalls(),
            stats=stats,
        )

    def apply_services(self, chosen: ServiceAssignment) -> None:
        by_id = {s.id: s for s in self.p.services}
        groups: dict[tuple[int, Slot, str], _Group] = {}
        for (service_id, slot), provider in sorted(chosen.items()):
            service = by_id[service_id]
            key = (provider, slot, service.kind)
            group = groups.get(key)
            if group is None:
                group = _Group(ActivityKind.SERVICE, slot, provider, [], service_kind=service.kind)
                groups[key] = group
                self.groups.append(group)
            group.members.append(service.student)
            self.chosen[service.student, slot] = PlanSegment(
                student=service.student,
                start=slot[0],
                end=slot[1],
                kind=ActivityKind.SERVICE,
                provider=provider,
                service=service.id,
            )

    def missing(self, chosen: ServiceAssignment) -> int:
        """Service minutes ``chosen`` leaves unmet, over every service due."""
        met: dict[int, int] = defaultdict(int)
        for (service_id, slot), _provider in chosen.items():
            met[service_id] += slot[1] - slot[0]
        return sum(max(0, s.minutes - met[s.id]) for s in self.p.services)

    def moved(self, chosen: ServiceAssignment) -> int:
        """Yesterday's service segments that ``chosen`` does not keep (same provider, time)."""
        kept = sum(
            1
            for (service_id, slot), provider in chosen.items()
            if (before := self.previous.get((self.services[service_id].student, slot[0])))
            and before.service == service_id
            and before.provider == provider
        )
        return sum(1 for seg in self.p.previous if seg.service is not None) - kept

    def neighbourhood(self, chosen: ServiceAssignment) -> set[int]:
        """Services CP-SAT may move to close the gaps ``chosen`` leaves: every service that
        could use a provider of a short service at a time overlapping the short student's
        blocks. The rest stay where the greedy put them."""
        met: dict[int, int] = defaultdict(int)
        for (service_id, slot), _provider in chosen.items():
            met[service_id] += slot[1] - slot[0]
        short = [s for s in self.p.services if met[s.id] < s.minutes]
        providers = {p.id for s in short for p in self.eligible(s)}
        spans = [slot for s in short for slot in self.slots[s.student]]
        free = set()
        for service in self.p.services:
            if not providers & {p.id for p in self.eligible(service)}:
                continue
            if any(a < d and c < b for a, b in self.slots[service.student] for c, d in spans):
                free.add(service.id)
        return free

    def eligible(self, service: ServiceDue) -> list[Provider]:
        return [
            p
            for p in self.p.providers
            if service.kind in p.kinds and (not service.providers or p.id in service.providers)
        ]

    def shortfalls(self) -> tuple[Shortfall, ...]:
        met: dict[int, int] = defaultdict(int)
        for seg in self.chosen.values():
            if seg.service is not None:
                met[seg.service] += seg.minutes
        return tuple(
            Shortfall(
                student=s.student,
                service=s.id,
                kind=s.kind,
                providers=tuple(sorted(p.id for p in self.eligible(s))),
                due=s.minutes,
                met=met[s.id],
            )
            for s in sorted(self.p.services, key=lambda s: s.id)
            if met[s.id] < s.minutes
        )


class _GreedyServices:
    """Phase 1's first answer: services placed one by one, the least flexible first.

    Each segment goes, in order of preference, next to the student's previous service segment
    with the same provider, into an existing group with room, to yesterday's provider and time,
    where more students still waiting could join, to the provider with the fewest minutes so far.
    """

    def __init__(self, day: _Day, rng: random.Random | None = None) -> None:
        self.day = day
        self.rng = rng  # None: the plain least-flexible-first order
        self.chosen: ServiceAssignment = {}
        self.groups: dict[tuple[int, Slot, str], list[ServiceDue]] = {}
        self.busy: dict[int, list[Slot]] = defaultdict(list)
        self.minutes: dict[int, int] = defaultdict(int)
        self.students: dict[int, set[int]] = defaultdict(set)
        self.taken: set[tuple[int, Slot]] = set()
        # (kind, slot) -> services still waiting whose student has that slot
        self.waiting: dict[tuple[str, Slot], set[int]] = defaultdict(set)

    def run(self) -> ServiceAssignment:
        day = self.day
        services = list(day.p.services)
        eligible = {s.id: day.eligible(s) for s in services}
        for service in services:
            for slot in day.slots[service.student]:
                self.waiting[service.kind, slot].add(service.id)

        def flexibility(service: ServiceDue) -> tuple[float, int, int]:
            options: float = sum(
                1
                for slot in day.slots[service.student]
                for p in eligible[service.id]
                if _available(p.available, slot)
            )
            if self.rng is not None:
                options *= self.rng.uniform(0.5, 1.5)
            return (options, -service.minutes, service.id)

        for service in sorted(services, key=flexibility):
            self.place(service, eligible[service.id])
            for slot in day.slots[service.student]:
                self.waiting[service.kind, slot].discard(service.id)
        return self.chosen

    def place(self, service: ServiceDue, providers: list[Provider]) -> None:
        day = self.day
        met = 0
        mine: list[tuple[Slot, int]] = []
        while met < service.minutes:
            best: tuple[tuple[int, ...], Slot, int] | None = None
            for slot in day.slots[service.student]:
                if (service.student, slot) in self.taken:
                    continue
                for provider in providers:
                    score = self.score(service, provider, slot, mine)
                    if score is not None and (best is None or score < best[0]):
                        best = (score, slot, provider.id)
            if best is None:
                return
            _score, slot, provider_id = best
            key = (provider_id, slot, service.kind)
            if key not in self.groups:
                self.groups[key] = []
                self.busy[provider_id].append(slot)
                self.minutes[provider_id] += slot[1] - slot[0]
            self.groups[key].append(service)
            self.students[provider_id].add(service.student)
            self.taken.add((service.student, slot))
            self.chosen[service.id, slot] = provider_id
            mine.append((slot, provider_id))
            met += slot[1] - slot[0]

    def score(
        self, service: ServiceDue, provider: Provider, slot: Slot, mine: list[tuple[Slot, int]]
    ) -> tuple[int, ...] | None:
        """Lower is better; ``None`` when ``provider`` cannot take the student at ``slot``."""
        if not _available(provider.available, slot):
            return None
        if (
            provider.max_students is not None
            and service.student not in self.students[provider.id]
            and len(self.students[provider.id]) >= provider.max_students
        ):
            return None
        group = self.groups.get((provider.id, slot, service.kind))
        if group is not None:
            limit = min([service.max_group_size, *(m.max_group_size for m in group)])
            if len(group) >= limit:
                return None
            opens = 0
        else:
            length = slot[1] - slot[0]
            if any(a < slot[1] and slot[0] < b for a, b in self.busy[provider.id]):
                return None
            if (
                provider.max_minutes is not None
                and self.minutes[provider.id] + length > provider.max_minutes
            ):
                return None
            opens = 1
        next_slot = self.day.next_slot
        adjacent = any(
            p == provider.id and (next_slot.get(s) == slot or next_slot.get(slot) == s)
            for s, p in mine
        )
        before = self.day.previous.get((service.student, slot[0]))
        kept = (
            before is not None and before.service == service.id and before.provider == provider.id
        )
        waiting = len(self.waiting[service.kind, slot]) if opens else 0
        remaining = service.minutes - sum(b - a for (a, b), _ in mine)
        short_slot = slot[1] - slot[0] < min(remaining, self.day.p.segment_minutes)
        follow = next_slot.get(slot)
        room_after = follow is not None and (service.student, follow) not in self.taken
        return (
            0 if kept else 1,
            0 if adjacent or not mine else 1,
            1 if short_slot else 0,
            opens,
            0 if room_after or mine else 1,
            -waiting,
            self.minutes[provider.id],
            slot[0],
            provider.id,
        )


class _Services:
    """Phase 1's repair: CP-SAT over the services in a neighbourhood (see the module docstring)."""

    def __init__(self, day: _Day, options: PlanOptions) -> None:
        self.day = day
        self.o = options
        self.m = cp_model.CpModel()
        # (service id, slot, provider id) -> literal
        self.x: dict[tuple[int, Slot, int], cp_model.IntVar] = {}

    def run(self, hint: ServiceAssignment, free: set[int]) -> tuple[ServiceAssignment, str]:
        """A better assignment than ``hint`` if the search finds one in time, else ``hint``.

        Only services in ``free`` may move; the others keep their segments in ``hint``."""
        day, m, w = self.day, self.m, self.day.p.weights
        services = sorted(day.p.services, key=lambda s: s.id)
        if not services:
            return hint, "services=none"
        if self.o.work_limit <= 0:
            return hint, "services=greedy"
        by_group: dict[tuple[int, Slot, str], list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
        by_student_slot: dict[tuple[int, Slot], list[cp_model.IntVar]] = defaultdict(list)
        by_provider_student: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        shortfall_terms: list[cp_model.IntVar] = []
        excess_terms: list[cp_model.IntVar] = []
        bonus_terms: list[cp_model.LinearExprT] = []
        for service in services:
            providers = day.eligible(service)
            minutes: list[cp_model.LinearExprT] = []
            slots = day.slots[service.student]
            for slot in slots:
                for provider in providers:
                    if not _available(provider.available, slot):
                        continue
                    hinted = hint.get((service.id, slot)) == provider.id
                    if service.id not in free and not hinted:
                        continue
                    lit = m.new_bool_var(f"s{service.id}_{slot[0]}_{provider.id}")
                    if service.id not in free:
                        m.add(lit == 1)
                    self.x[service.id, slot, provider.id] = lit
                    by_group[provider.id, slot, service.kind].append((lit, service.max_group_size))
                    by_student_slot[service.student, slot].append(lit)
                    by_provider_student[provider.id, service.student].append(lit)
                    minutes.append((slot[1] - slot[0]) * lit)
                    bonus_terms.append(self.stability(service, slot, provider.id, lit))
            longest = max((b - a for a, b in slots), default=0)
            met = cp_model.LinearExpr.sum(minutes)
            short = m.new_int_var(0, service.minutes, f"short{service.id}")
            excess = m.new_int_var(0, max(longest - 1, 0), f"excess{service.id}")
            m.add(met + short >= service.minutes)
            m.add(met - service.minutes <= excess)
            shortfall_terms.append(short)
            excess_terms.append(excess)
            # A session continues with the same provider in the next segment: fewer switches.
            for slot in slots:
                following = day.next_slot.get(slot)
                for provider in providers:
                    a = self.x.get((service.id, slot, provider.id))
                    b = self.x.get((service.id, following, provider.id)) if following else None
                    if a is None or b is None:
                        continue
                    both = m.new_bool_var("")
                    m.add_implication(both, a)
                    m.add_implication(both, b)
                    bonus_terms.append(w.switches * both)
        for lits in by_student_slot.values():
            m.add_at_most_one(lits)
        self.add_groups(by_group)
        self.add_caseloads(by_group, by_provider_student)
        m.minimize(
            SHORTFALL_WEIGHT * cp_model.LinearExpr.sum(shortfall_terms)
            + w.service_excess * cp_model.LinearExpr.sum(excess_terms)
            - cp_model.LinearExpr.sum(bonus_terms)
        )
        for (service_id, slot, provider_id), lit in self.x.items():
            m.add_hint(lit, hint.get((service_id, slot)) == provider_id)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = max(1, self.o.workers)
        params.random_seed = self.o.seed
        params.max_time_in_seconds = self.o.time_limit
        params.max_deterministic_time = self.o.work_limit
        # Measured on shape M: symmetry detection and LP cuts cost more than they find here.
        params.symmetry_level = 0
        params.linearization_level = 0
        # Stop at the first assignment that meets every minute: with one worker the sequence of
        # solutions is deterministic, so this stays deterministic and saves most of the budget.
        status = solver.solve(m, _StopWhenMet(shortfall_terms))
        name = solver.status_name(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return self.extract(solver), f"services={name}"
        return hint, f"services=greedy ({name})"

    def stability(
        self, service: ServiceDue, slot: Slot, provider: int, lit: cp_model.IntVar
    ) -> cp_model.LinearExprT:
        before = self.day.previous.get((service.student, slot[0]))
        if before is None or before.service != service.id or before.provider != provider:
            return 0
        return self.day.p.weights.stability * lit

    def add_groups(
        self, by_group: dict[tuple[int, Slot, str], list[tuple[cp_model.IntVar, int]]]
    ) -> None:
        m = self.m
        # provider -> [(slot, group literal)]
        timeline: dict[int, list[tuple[Slot, cp_model.IntVar]]] = defaultdict(list)
        for (provider, slot, _kind), members in sorted(by_group.items()):
            lits = [lit for lit, _ in members]
            largest = max(limit for _, limit in members)
            used = m.new_bool_var("")
            m.add(sum(lits) <= largest * used)
            for lit, limit in members:
                m.add_implication(lit, used)
                if limit < min(largest, len(members)):
                    # Every member's limit holds for the whole group it sits in.
                    m.add(sum(lits) <= limit).only_enforce_if(lit)
            timeline[provider].append((slot, used))
        for entries in timeline.values():
            # One group at a time: at each segment start, the groups covering it are exclusive.
            for start in sorted({slot[0] for slot, _ in entries}):
                covering = [used for (a, b), used in entries if a <= start < b]
                if len(covering) > 1:
                    m.add_at_most_one(covering)

    def add_caseloads(
        self,
        by_group: dict[tuple[int, Slot, str], list[tuple[cp_model.IntVar, int]]],
        by_provider_student: dict[tuple[int, int], list[cp_model.IntVar]],
    ) -> None:
        m = self.m
        for provider in self.day.p.providers:
            if provider.max_students is not None:
                served = []
                for (pid, _student), lits in sorted(by_provider_student.items()):
                    if pid != provider.id:
                        continue
                    seen = m.new_bool_var("")
                    for lit in lits:
                        m.add_implication(lit, seen)
                    served.append(seen)
                if len(served) > provider.max_students:
                    m.add(sum(served) <= provider.max_students)
            if provider.max_minutes is not None:
                busy: list[cp_model.LinearExprT] = []
                for (pid, slot, _kind), members in sorted(by_group.items()):
                    if pid != provider.id:
                        continue
                    on = m.new_bool_var("")
                    for lit, _ in members:
                        m.add_implication(lit, on)
                    busy.append((slot[1] - slot[0]) * on)
                m.add(sum(busy) <= provider.max_minutes)

    def extract(self, solver: cp_model.CpSolver) -> ServiceAssignment:
        return {
            (service, slot): provider
            for (service, slot, provider), lit in sorted(self.x.items())
            if solver.boolean_value(lit)
        }


class _StopWhenMet(cp_model.CpSolverSolutionCallback):
    def __init__(self, shortfalls: list[cp_model.IntVar]) -> None:
        super().__init__()
        self.shortfalls = shortfalls

    def on_solution_callback(self) -> None:
        if all(self.value(v) == 0 for v in self.shortfalls):
            self.stop_search()


class _Tutoring:
    """Phase 2: tutoring groups, highest need first (see the module docstring)."""

    def __init__(self, day: _Day) -> None:
        self.day = day
        # (tutor, slot) -> its group there; a tutor's slots never overlap
        self.at: dict[tuple[int, Slot], _Group] = {}
        # A tutor who also delivers services (ELD, intervention) is busy in their service groups.
        self.busy: dict[int, list[Slot]] = defaultdict(list)
        for group in day.groups:
            self.busy[group.staff].append(group.slot)
        self.minutes_used: dict[int, int] = defaultdict(int)

    def run(self) -> None:
        day = self.day
        tutors = sorted(day.p.tutors, key=lambda t: t.id)
        if not tutors:
            return
        queue = []
        for student in day.p.students:
            subject, need = self.subject_for(student, tutors)
            if subject is not None and need > day.p.min_tutoring_need:
                queue.append((-need, student.id, subject))
        for _negneed, student_id, subject in sorted(queue):
            self.place(day.students[student_id], subject, tutors)

    def subject_for(self, student: StudentDay, tutors: list[Tutor]) -> tuple[str | None, float]:
        subjects: set[str] = set()
        for tutor in tutors:
            if tutor.grades and student.grade not in tutor.grades:
                continue
            if tutor.subjects:
                subjects |= tutor.subjects
            else:
                subjects |= {name for name, _ in student.need}
        ranked = sorted(((student.need_for(s), s) for s in subjects), key=lambda x: (-x[0], x[1]))
        if not ranked:
            return None, 0.0
        return ranked[0][1], ranked[0][0]

    def place(self, student: StudentDay, subject: str, tutors: list[Tutor]) -> None:
        day = self.day
        budget = day.p.tutoring_minutes
        last: tuple[int, Slot] | None = None
        while True:
            options = []
            for slot in day.slots[student.id]:
                length = slot[1] - slot[0]
                if length > budget or not day.free(student.id, slot):
                    continue
                for tutor in tutors:
                    score = self.score(student, subject, tutor, slot, last)
                    if score is not None:
                        options.append((score, slot, tutor.id))
            if not options:
                return
            _score, slot, tutor_id = min(options)
            tutor = next(t for t in tutors if t.id == tutor_id)
            self.join(student, subject, tutor, slot)
            budget -= slot[1] - slot[0]
            last = (tutor_id, slot)

    def score(
        self,
        student: StudentDay,
        subject: str,
        tutor: Tutor,
        slot: Slot,
        last: tuple[int, Slot] | None,
    ) -> tuple[int, ...] | None:
        """Lower is better; ``None`` when ``tutor`` cannot take ``student`` at ``slot``."""
        if tutor.subjects and subject not in tutor.subjects:
            return None
        if tutor.grades and student.grade not in tutor.grades:
            return None
        if not _available(tutor.available, slot):
            return None
        group = self.at.get((tutor.id, slot))
        if group is not None:
            if group.subject != subject or group.grade != student.grade:
                return None
            if len(group.members) >= tutor.max_group_size:
                return None
            opens = 0
        else:
            if self.tutor_busy(tutor.id, slot):
                return None
            length = slot[1] - slot[0]
            if tutor.max_minutes is not None and self.minutes_used[tutor.id] + length > (
                tutor.max_minutes
            ):
                return None
            opens = 1
        if last is not None:
            # A second segment only right after (or before) the first, with the same tutor.
            last_tutor, last_slot = last
            adjacent = (
                self.day.next_slot.get(last_slot) == slot
                or self.day.next_slot.get(slot) == last_slot
            )
            if not adjacent or last_tutor != tutor.id:
                return None
        before = self.day.previous.get((student.id, slot[0]))
        kept = (
            0
            if before is not None
            and before.kind == ActivityKind.TUTORING
            and before.tutor == tutor.id
            else 1
        )
        follow = self.day.next_slot.get(slot)
        room_after = 0 if follow is not None and self.day.free(student.id, follow) else 1
        return (kept, opens, room_after, slot[0], tutor.id)

    def tutor_busy(self, tutor: int, slot: Slot) -> bool:
        return any(a < slot[1] and slot[0] < b for a, b in self.busy[tutor])

    def join(self, student: StudentDay, subject: str, tutor: Tutor, slot: Slot) -> None:
        group = self.at.get((tutor.id, slot))
        if group is None:
            group = _Group(
                ActivityKind.TUTORING, slot, tutor.id, [], subject=subject, grade=student.grade
            )
            self.at[tutor.id, slot] = group
            self.busy[tutor.id].append(slot)
            self.day.groups.append(group)
            self.minutes_used[tutor.id] += slot[1] - slot[0]
        group.members.append(student.id)
        self.day.chosen[student.id, slot] = PlanSegment(
            student=student.id,
            start=slot[0],
            end=slot[1],
            kind=ActivityKind.TUTORING,
            tutor=tutor.id,
            subject=subject,
        )


class _Programs:
    """Phase 3: the remaining segments in programs, shared by need (see the module docstring)."""

    def __init__(self, day: _Day) -> None:
        self.day = day

    def run(self) -> None:
        day = self.day
        for student in sorted(day.p.students, key=lambda s: s.id):
            free = [slot for slot in day.slots[student.id] if day.free(student.id, slot)]
            if not free:
                continue
            programs = self.programs_for(student)
            if not programs:
                # No program serves the grade yet: open lab time, with no program named.
                for slot in free:
                    day.chosen[student.id, slot] = PlanSegment(
                        student.id, slot[0], slot[1], ActivityKind.PROGRAM
                    )
                continue
            subjects = sorted(programs)
            weight = day.p.weights.program_need / 5
            shares = {s: 1 + weight * student.need_for(s) for s in subjects}
            total_minutes = sum(b - a for a, b in free)
            total_share = sum(shares.values())
            left = {s: total_minutes * shares[s] / total_share for s in subjects}
            current: str | None = None
            previous_slot: Slot | None = None
            for slot in free:
                contiguous = previous_slot is not None and day.next_slot.get(previous_slot) == slot
                if not (contiguous and current is not None and left[current] > 0):
                    current = min(subjects, key=lambda s: (-left[s], s))
                left[current] -= slot[1] - slot[0]
                day.chosen[student.id, slot] = PlanSegment(
                    student=student.id,
                    start=slot[0],
                    end=slot[1],
                    kind=ActivityKind.PROGRAM,
                    program=programs[current],
                    subject=current,
                )
                previous_slot = slot

    def programs_for(self, student: StudentDay) -> dict[str, int]:
        """One program per subject: yesterday's if still allowed, else the lowest id."""
        allowed = [
            p
            for p in sorted(self.day.p.programs, key=lambda p: p.id)
            if p.serves(student.grade) and (not student.programs or p.id in student.programs)
        ]
        yesterday = self.day.previous_programs.get(student.id, set())
        chosen: dict[str, int] = {}
        for program in sorted(allowed, key=lambda p: (p.id not in yesterday, p.id)):
            chosen.setdefault(program.subject, program.id)
        return chosen
