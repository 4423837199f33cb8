"""Staff well-being in the day model (W1-W3, see ``problem.WellBeing``), when the problem sets
it: a teacher's lunch is one more interval in their NoOverlap, their breaks a chain in a
cumulative with their blocks, a split station's blocks are not back to back with one teacher,
and a lab's supervisors rest (lunch, breaks) in a cumulative of the lab's own over what they can
watch together. ``DayModel`` takes these rules in; they read its variables and settings.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from ..clock import clock
from ..problem import LabSupervision, Problem, Reason, StaffMember, Window
from ..words import tr
from .hours import merged, unavailable

if TYPE_CHECKING:
    from .model import Block

LinearExpr = cp_model.LinearExprT


class WellbeingRules(ABC):
    """W1-W3 for ``DayModel``: the attributes below are the day model's own."""

    problem: Problem
    model: cp_model.CpModel
    unit: int
    explain: bool
    lunch: dict[int, cp_model.IntervalVar | None]
    by_cohort_station: Mapping[tuple[int, str], list[Block]]

    def units(self, minutes: int) -> int:
        return minutes // self.unit

    @abstractmethod
    def setting(self, key: str, reason: Reason) -> cp_model.IntVar:
        """The literal that enforces a leader's setting (``DayModel.setting``)."""

    @abstractmethod
    def fixed(self, window: Window, name: str) -> cp_model.IntervalVar:
        """A fixed interval over ``window`` (``DayModel.fixed``)."""

    def lunch_starts(self, member: StaffMember) -> list[tuple[int, int]]:
        """Where ``member``'s lunch may start, as ranges of units: inside the lunch window and
        their hours, on the grid. Empty when their hours hold no whole lunch inside the window
        (a part-day absence): they are not there for lunch and need none (the validator agrees)."""
        wellbeing = self.problem.wellbeing
        assert wellbeing is not None
        size = -(-wellbeing.lunch_minutes // self.unit)
        window = wellbeing.lunch_window
        ranges = []
        for start, end in merged(member.available):
            lo = -(-max(start, window.start) // self.unit)
            hi = min(end, window.end) // self.unit - size
            if lo <= hi:
                ranges.append((lo, hi))
        return ranges

    def school_rule(self, key: str, code: str, message: str, suggestion: str) -> cp_model.IntVar:
        """The literal that enforces one of School settings' well-being rules in explain mode."""
        return self.setting(
            key, Reason(code=code, message=message, suggestion=suggestion, setting="school")
        )

    def lunch_reason(self, member: StaffMember) -> cp_model.IntVar:
        wellbeing = self.problem.wellbeing
        assert wellbeing is not None
        window = wellbeing.lunch_window
        return self.school_rule(
            f"lunch:{member.id}",
            "staff-lunch",
            tr(
                "%(teacher)s's %(minutes)s-minute staff lunch between %(start)s and %(end)s",
                teacher=member.name,
                minutes=wellbeing.lunch_minutes,
                start=clock(window.start),
                end=clock(window.end),
            ),
            tr(
                "Widen the staff lunch window in School settings, or free %(teacher)s's day.",
                teacher=member.name,
            ),
        )

    def breaks_reason(self, member: StaffMember) -> cp_model.IntVar:
        wellbeing = self.problem.wellbeing
        assert wellbeing is not None
        return self.school_rule(
            f"breaks:{member.id}",
            "staff-breaks",
            tr(
                "%(teacher)s's break of %(minutes)s minutes in every %(stretch)s minutes of "
                "teaching or supervising",
                teacher=member.name,
                minutes=wellbeing.min_break,
                stretch=wellbeing.max_stretch,
            ),
            tr(
                "Lengthen the longest teaching stretch in School settings, or give "
                "%(teacher)s fewer blocks.",
                teacher=member.name,
            ),
        )

    def lunch_of(self, member: StaffMember) -> cp_model.IntervalVar | None:
        """W1: a teacher's lunch, one interval for their NoOverlap (so apart from their blocks,
        prep and hours away), or None when they are not there for lunch."""
        if member.id in self.lunch:
            return self.lunch[member.id]
        ranges = self.lunch_starts(member)
        lunch = None
        if ranges:
            assert self.problem.wellbeing is not None
            size = -(-self.problem.wellbeing.lunch_minutes // self.unit)
            start = self.model.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(r) for r in ranges]), f"lunch_{member.id}"
            )
            if self.explain:
                lunch = self.model.new_optional_interval_var(
                    start, size, start + size, self.lunch_reason(member), f"lunch_{member.id}"
                )
            else:
                lunch = self.model.new_fixed_size_interval_var(start, size, f"lunch_{member.id}")
        self.lunch[member.id] = lunch
        return lunch

    def add_breaks(self, member: StaffMember, teaching: list[cp_model.IntervalVar]) -> None:
        """W2 for a teacher: a chain of breaks that no block overlaps, the first starting within
        ``max_stretch`` of the day's start (the time before it is free), each next within
        ``max_stretch`` of the one before, the last ending within it of dismissal. Breaks may
        overlap each other (a cumulative where a block takes all the capacity and a break one
        unit) and prep, lunch and hours away, which are not teaching either.

        Exact: on a day whose teaching stretches (blocks joined across gaps shorter than a
        break) are all short enough, placing each break as late as it may go advances the
        chain by at least ``max_stretch + min_break`` every two breaks, so twice the least
        count that covers the day is always enough; breaks left over stack on the last one.
        """
        wellbeing = self.problem.wellbeing
        assert wellbeing is not None
        stretch = wellbeing.max_stretch // self.unit
        pause = -(-wellbeing.min_break // self.unit)
        lo, hi = self.units(self.problem.day.start), self.units(self.problem.day.end)
        if not teaching or hi - lo <= stretch:
            return
        count = 2 * -(-(hi - lo - stretch) // (stretch + pause))
        enforce = [self.breaks_reason(member)] if self.explain else []
        breaks: list[cp_model.IntervalVar] = []
        ends: LinearExpr = lo
        previous: cp_model.IntVar | None = None
        for _ in range(count):
            start = self.model.new_int_var(lo - pause, hi, f"break_{member.id}")
            breaks.append(
                self.model.new_fixed_size_interval_var(start, pause, f"break_{member.id}")
            )
            self.model.add(start <= ends + stretch).only_enforce_if(enforce)
            if previous is not None:
                self.model.add(start >= previous)
            previous, ends = start, start + pause
        self.model.add(ends + stretch >= hi).only_enforce_if(enforce)
        self.model.add_cumulative(teaching + breaks, [count] * len(teaching) + [1] * count, count)

    def add_split_apart(self) -> None:
        """W3: two blocks of a split station for one cohort are not back to back with the same
        teacher. The model keeps the passing time after every block, so "back to back" is the
        next block starting right after the passing time."""
        if self.problem.wellbeing is None:
            return
        passing = self.units(self.problem.passing_minutes)
        enforce = []
        if self.explain:
            enforce = [
                self.school_rule(
                    "split",
                    "split-apart",
                    tr(
                        "the rule that a split station's blocks are not back to back with the "
                        "same teacher"
                    ),
                    tr("Allow fewer blocks of the split stations."),
                )
            ]
        for blocks in self.by_cohort_station.values():
            for first, then in itertools.pairwise(blocks):
                teachers = {sid: literal for sid, literal, _iv, _room in first.staffings}
                for sid, literal, _iv, _room in then.staffings:
                    if sid is None or sid not in teachers:
                        continue
                    when = [
                        lit
                        for lit in (teachers[sid], literal, *enforce)
                        if not isinstance(lit, int)
                    ]
                    self.model.add(then.start > first.end + passing).only_enforce_if(when)

    def add_supervisor_rests(
        self, supervision: LabSupervision, entries: list[tuple[Block, cp_model.IntervalVar]]
    ) -> None:
        """W1 and W2 for a lab's supervisors: a cumulative of its own (the seat cumulative stays
        as it is) where the students in the lab and each supervisor off duty (away, at lunch, on
        a break) share what all the supervisors can watch together."""
        ratio = supervision.students_per_adult
        supervisors = sorted(set(supervision.supervisors))
        intervals = [iv for _, iv in entries]
        demands = [b.cohort.students for b, _ in entries]
        for sid in supervisors:
            member = self.problem.member(sid)
            for window in unavailable(member.available, self.problem.day):
                intervals.append(self.fixed(window, "away"))
                demands.append(ratio)
            rests = self.supervisor_rests(member)
            intervals.extend(rests)
            demands.extend([ratio] * len(rests))
        self.model.add_cumulative(intervals, demands, len(supervisors) * ratio)

    def supervisor_rests(self, member: StaffMember) -> list[cp_model.IntervalVar]:
        """A supervisor's times off duty in each stretch of the day they are there: a chain of
        disjoint rests, each at least a break long, the gaps of duty before, between and after
        them at most ``max_stretch``, and one of them (when they are there for lunch during the
        day) holding their lunch inside the lunch window. Rests are optional; an absent one
        sits where the one before ends and changes nothing.

        Exact: keeping, out of any valid set of rests, the latest-starting one in reach of the
        one before leaves at most twice the least count that covers the stretch, plus the one
        that holds lunch.
        """
        wellbeing = self.problem.wellbeing
        assert wellbeing is not None
        stretch = wellbeing.max_stretch // self.unit
        pause = -(-wellbeing.min_break // self.unit)
        lunch = -(-wellbeing.lunch_minutes // self.unit)
        window = wellbeing.lunch_window
        lunch_lo, lunch_hi = -(-window.start // self.unit), window.end // self.unit
        day_lo, day_hi = self.units(self.problem.day.start), self.units(self.problem.day.end)
        starts = self.lunch_starts(member)
        # A lunch that fits outside the day (before the first block or after dismissal) takes
        # nothing from the lab.
        needs_lunch = bool(starts) and not any(
            lo + lunch <= day_lo or hi >= day_hi for lo, hi in starts
        )
        rest_enforce = [self.breaks_reason(member)] if self.explain else []
        rests: list[cp_model.IntervalVar] = []
        lunch_flags: list[cp_model.IntVar] = []
        for start_minute, end_minute in merged(member.available):
            lo = max(day_lo, -(-start_minute // self.unit))
            hi = min(day_hi, end_minute // self.unit)
            if hi <= lo:
                continue
            count = 2 * -(-max(0, hi - lo - stretch) // (stretch + pause)) + 1
            ends: LinearExpr = lo
            for _ in range(count):
                present = self.model.new_bool_var(f"rest_{member.id}")
                start = self.model.new_int_var(lo, hi, f"rest_{member.id}")
                length = self.model.new_int_var(0, hi - lo, f"rest_{member.id}")
                end = self.model.new_int_var(lo, hi, f"rest_{member.id}")
                rests.append(
                    self.model.new_optional_interval_var(
                        start, length, end, present, f"rest_{member.id}"
                    )
                )
                self.model.add(end == start + length)
                self.model.add(length >= pause).only_enforce_if(present)
                self.model.add(length == 0).only_enforce_if(present.negated())
                self.model.add(start == ends).only_enforce_if(present.negated())
                self.model.add(start >= ends)
                self.model.add(start <= ends + stretch).only_enforce_if(rest_enforce)
                if needs_lunch and min(hi, lunch_hi) - max(lo, lunch_lo) >= lunch:
                    holds = self.model.new_bool_var(f"lunch_{member.id}")
                    self.model.add_implication(holds, present)
                    # A stretch of ``lunch`` inside the window: long enough, and reaching far
                    # enough into the window from either side.
                    self.model.add(length >= lunch).only_enforce_if(holds)
                    self.model.add(start <= lunch_hi - lunch).only_enforce_if(holds)
                    self.model.add(end >= lunch_lo + lunch).only_enforce_if(holds)
                    lunch_flags.append(holds)
                ends = end
            self.model.add(ends + stretch >= hi).only_enforce_if(rest_enforce)
        # (No rest can hold a lunch that fits only across the day's edge: none is asked for.)
        if needs_lunch and lunch_flags:
            enforce = [self.lunch_reason(member)] if self.explain else []
            self.model.add_bool_or(lunch_flags).only_enforce_if(enforce)
        return rests
