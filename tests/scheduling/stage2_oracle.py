"""A second, deliberately naive checker of stage-2 plans, for tests only.

``validate_stage2`` reasons about intervals. This one expands every session and group into
minute cells (what each student, adult and place holds at each minute) and reads the same rules
off those cells, so the two are unlikely to share a bug. It answers only which rules are broken.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from scheduling.solver.plans import (
    ActivityKind,
    BlockKind,
    LabPlan,
    PlaceKind,
    PlanGroup,
    PlanProblem,
    PlanSegment,
)

Cells = dict[int, list[int]]  # minute -> indices of the sessions (or groups) held then


def minutes(start: int, end: int) -> set[int]:
    return set(range(start, end))


def broken_rules(problem: PlanProblem, plan: LabPlan) -> set[str]:
    """The names of the rules ``plan`` breaks (the same names as ``validate_plan``)."""
    return {rule for rule, broken in Oracle(problem, plan).checks().items() if broken}


class Oracle:
    def __init__(self, problem: PlanProblem, plan: LabPlan) -> None:
        self.problem, self.plan = problem, plan
        self.students = {s.id: s for s in problem.students}
        self.places = {p.id: p for p in problem.places}
        self.groups = {g.id: g for g in plan.groups}
        self.segs = plan.segments
        # student -> minute -> the block (index into problem.blocks) it belongs to
        self.block_at: dict[int, dict[int, int]] = defaultdict(dict)
        for student in problem.students:
            for b, block in enumerate(problem.blocks):
                if block.cohort == student.cohort:
                    for m in minutes(block.start, block.end):
                        self.block_at[student.id][m] = b
        # student -> minute -> sessions held
        self.doing: dict[int, Cells] = defaultdict(lambda: defaultdict(list))
        for i, seg in enumerate(self.segs):
            for m in minutes(seg.start, seg.end):
                self.doing[seg.student][m].append(i)

    def checks(self) -> dict[str, bool]:
        return {
            "coverage": self.coverage(),
            "session-length": self.session_length(),
            "changes": self.changes(),
            "activity": any(self.misfit(seg) for seg in self.segs if seg.student in self.students),
            "service-minutes": self.service_minutes(),
            "tutoring-minutes": self.tutoring_minutes(),
            "group": self.group(),
            "group-size": self.group_size(),
            "group-grade": self.group_grade(),
            "place": self.place(),
            "staff": self.staff(),
        }

    def block_minutes(self, student: int) -> dict[int, set[int]]:
        by_block: dict[int, set[int]] = defaultdict(set)
        for m, b in self.block_at[student].items():
            by_block[b].add(m)
        return by_block

    def in_one_block(self, student: int, start: int, end: int) -> bool:
        held_in = {self.block_at[student].get(m) for m in minutes(start, end)}
        return len(held_in) == 1 and None not in held_in

    def coverage(self) -> bool:
        if any(s.student not in self.students or s.end <= s.start for s in self.segs):
            return True
        if any(not self.in_one_block(s.student, s.start, s.end) for s in self.segs):
            return True
        for student in self.students:
            cells, blocks = self.doing[student], self.block_at[student]
            if any(len(cells[m]) != 1 for m in blocks) or any(m not in blocks for m in cells):
                return True
            # A new session may start inside a block only on the grid.
            for m in blocks:
                same_block = blocks.get(m - 1) == blocks[m]
                if same_block and cells[m] != cells[m - 1] and m % self.problem.grid_minutes:
                    return True
        return False

    def shortest(self, seg: PlanSegment) -> int:
        if seg.kind == ActivityKind.PROGRAM:
            if seg.program is None:  # open lab time
                return self.problem.program_minimum(self.students[seg.student])
            return min(
                (p.min_minutes for p in self.problem.programs if p.id == seg.program), default=0
            )
        if seg.kind == ActivityKind.SERVICE:
            due = [s.session_minutes for s in self.problem.services if s.id == seg.service]
            return min(due, default=0)
        return self.problem.tutoring_session_minutes

    def session_length(self) -> bool:
        for seg in self.segs:
            if seg.student not in self.students:
                continue
            held = minutes(seg.start, seg.end)
            whole_block = held in self.block_minutes(seg.student).values()
            if len(held) < self.shortest(seg) and not whole_block:
                return True
        return False

    def changes(self) -> bool:
        for student in self.students:
            for block in self.block_minutes(student).values():
                if any(len(self.doing[student][m]) != 1 for m in block):
                    continue  # not a tiling: coverage's business
                doing = [
                    (s.kind, s.program, s.group)
                    for m in sorted(block)
                    for s in [self.segs[self.doing[student][m][0]]]
                ]
                if sum(a != b for a, b in pairwise(doing)) > self.problem.max_changes:
                    return True
        return False

    def misfit(self, seg: PlanSegment) -> bool:
        student = self.students[seg.student]
        if seg.kind == ActivityKind.PROGRAM:
            usable = {
                p.id
                for p in self.problem.programs
                if (not p.grades or student.grade in p.grades)
                and (not student.programs or p.id in student.programs)
            }
            return seg.program not in usable if (usable or seg.program) else False
        if seg.kind == ActivityKind.TUTORING:
            tutor = next((t for t in self.problem.tutors if t.id == seg.tutor), None)
            return (
                tutor is None
                or bool(tutor.subjects and seg.subject not in tutor.subjects)
                or bool(tutor.grades and student.grade not in tutor.grades)
            )
        service = next((s for s in self.problem.services if s.id == seg.service), None)
        provider = next((p for p in self.problem.providers if p.id == seg.provider), None)
        return (
            service is None
            or provider is None
            or service.student != seg.student
            or service.kind not in provider.kinds
            or bool(service.providers and provider.id not in service.providers)
        )

    def service_minutes(self) -> bool:
        got: dict[int | None, int] = defaultdict(int)
        for cells in self.doing.values():
            for held in cells.values():
                for i in held:
                    if self.segs[i].kind == ActivityKind.SERVICE:
                        got[self.segs[i].service] += 1
        owed = {
            (due.id, due.student, due.minutes, got[due.id])
            for due in self.problem.services
            if got[due.id] < due.minutes
        }
        told = {(s.service, s.student, s.due, s.met) for s in self.plan.shortfalls}
        return owed != told

    def tutoring_minutes(self) -> bool:
        for student in self.students:
            held = self.doing[student].values()
            tutored = sum(
                1 for ids in held for i in ids if self.segs[i].kind == ActivityKind.TUTORING
            )
            if tutored > self.problem.tutoring_minutes:
                return True
        return False

    def group(self) -> bool:
        for seg in self.segs:
            if seg.student not in self.students:
                continue
            if seg.kind == ActivityKind.PROGRAM:
                if seg.group is not None:
                    return True
                continue
            group = self.groups.get(seg.group)  # type: ignore[arg-type]
            if group is None or seg.student not in group.members:
                return True
            if minutes(seg.start, seg.end) != minutes(group.start, group.end):
                return True
        for group in self.plan.groups:
            if len(set(group.members)) != len(group.members):
                return True
            for member in group.members:
                if not self.in_one_block(member, group.start, group.end):
                    return True
                for m in minutes(group.start, group.end):
                    if not any(self.seats(self.segs[i], group) for i in self.doing[member][m]):
                        return True
        return False

    @staticmethod
    def seats(seg: PlanSegment, group: PlanGroup) -> bool:
        adult = seg.tutor if seg.kind == ActivityKind.TUTORING else seg.provider
        group_adult = group.tutor if group.kind == ActivityKind.TUTORING else group.provider
        return (seg.group, seg.kind, adult, seg.place) == (
            group.id,
            group.kind,
            group_adult,
            group.place,
        )

    def group_size(self) -> bool:
        for group in self.plan.groups:
            if group.kind == ActivityKind.TUTORING:
                limits = [t.max_group_size for t in self.problem.tutors if t.id == group.tutor]
            else:
                served = {
                    s.service
                    for s in self.segs
                    if s.group == group.id and s.student in self.students
                }
                limits = [s.max_group_size for s in self.problem.services if s.id in served]
            if limits and len(group.members) > min(limits):
                return True
        return False

    def group_grade(self) -> bool:
        for group in self.plan.groups:
            grades = {self.students[m].grade for m in group.members if m in self.students}
            two_adjacent = len(grades) == 2 and max(grades) - min(grades) == 1
            if len(grades) > 1 and not (self.problem.adjacent_grades and two_adjacent):
                return True
        return False

    def place(self) -> bool:
        # place -> minute -> groups meeting there, and the people in it
        meeting: dict[int, Cells] = defaultdict(lambda: defaultdict(list))
        people: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for g, group in enumerate(self.plan.groups):
            if group.place is None:
                if self.places:
                    return True
                continue
            if group.place in self.places and self.places[group.place].computers:
                return True
            for m in minutes(group.start, group.end):
                meeting[group.place][m].append(g)
                people[group.place][m] += len(group.members)
        for seg in self.segs:
            if seg.kind == ActivityKind.PROGRAM and seg.student in self.students:
                if self.badly_seated(seg):
                    return True
                if seg.place is not None:
                    for m in minutes(seg.start, seg.end):
                        people[seg.place][m] += 1
        for place_id, held in people.items():
            place = self.places.get(place_id)
            if place is None:
                return True
            free = set().union(*(minutes(w.start, w.end) for w in place.available))
            if any(m not in free for m in held) or max(held.values()) > place.capacity:
                return True
        return any(len(groups) > 1 for cells in meeting.values() for groups in cells.values())

    def badly_seated(self, seg: PlanSegment) -> bool:
        block_index = self.block_at[seg.student].get(seg.start)
        if block_index is None:
            return False
        block = self.problem.blocks[block_index]
        if block.kind == BlockKind.FLEX:
            return seg.place is not None
        zones = [
            p
            for p in self.problem.places
            if p.kind == PlaceKind.LAB_ZONE and p.lab is not None and p.lab == block.room
        ]
        if not zones:
            return seg.place is not None
        return seg.place not in {z.id for z in zones if z.computers}

    def staff(self) -> bool:
        hours = {t.id: t.available for t in self.problem.tutors}
        hours.update({p.id: p.available for p in self.problem.providers})
        where: dict[int, Cells] = defaultdict(lambda: defaultdict(list))  # adult -> minute
        served: dict[int, set[int]] = defaultdict(set)
        led: dict[tuple[str, int], int] = defaultdict(int)
        for g, group in enumerate(self.plan.groups):
            role = "tutor" if group.kind == ActivityKind.TUTORING else "provider"
            adult = group.tutor if role == "tutor" else group.provider
            if adult is None:
                return True
            if role == "provider":
                served[adult] |= set(group.members)
            for m in minutes(group.start, group.end):
                where[adult][m].append(g)
                led[role, adult] += 1
        for adult, cells in where.items():
            free = set().union(*(minutes(w.start, w.end) for w in hours.get(adult, ())))
            if adult in hours and any(m not in free for m in cells):
                return True
            if any(len(groups) > 1 for groups in cells.values()):
                return True
            if self.rushed(cells):
                return True
        caps = [("provider", p.id, p.max_minutes) for p in self.problem.providers]
        caps += [("tutor", t.id, t.max_minutes) for t in self.problem.tutors]
        if any(most is not None and led[role, a] > most for role, a, most in caps):
            return True
        return any(
            p.max_students is not None and len(served[p.id]) > p.max_students
            for p in self.problem.providers
        )

    def rushed(self, cells: Cells) -> bool:
        """Is the adult anywhere within ``passing_minutes`` after being in another place?"""
        place_at = {
            m: {self.plan.groups[g].place for g in groups} - {None} for m, groups in cells.items()
        }
        for m, here in place_at.items():
            for before in range(m - self.problem.passing_minutes, m):
                if place_at.get(before, set()) - here and here:
                    return True
        return False
