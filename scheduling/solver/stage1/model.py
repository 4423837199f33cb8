"""Stage 1's CP-SAT model of a day: the variables and constraints of every cohort's blocks.

The model works in units of the school's granularity (5 minutes). Each station of a cohort's
template becomes up to ``max_blocks`` interval variables with flexible lengths (the first one
mandatory, the rest optional and ordered after it). Staff and single-cohort rooms are NoOverlap
resources; staff absences and hours are fixed intervals in the same NoOverlap, and each teacher's
prep is one more interval there (H7). Shared rooms are capacities over time: the lab is a
cumulative over students, capped by its seats and by its supervisors (H5, H6), the cafeteria a
cumulative over cohorts. Staff well-being (W1-W3, when ``Problem.wellbeing`` is set) is
``wellbeing.py``'s: a teacher's lunch and breaks, a lab's supervisors' rests. A supervisor who
also teaches keeps both sets of rules.

Redundant constraints that make it fast on the tight reference shapes (see bench/FINDINGS.md):
"lanes" per lab, a cumulative over cohorts whose capacity is how many cohorts fit at once, which
CP-SAT propagates far better than the seat cumulative alone; symmetry breaking among cohorts that
are interchangeable (same grade, size and staff) and among interchangeable staff (identical
specials teachers); each objective term's own minimum (a teacher's span at least the minutes they
teach, a lab's peak at least its average load), so the bound sees what every day must pay.

How the model is searched (a first day built lab by lab, races, hints, optimisation) is
``search.py``'s.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from ..clock import clock, grade_name
from ..decompose import cohorts_that_fit
from ..problem import (
    Cohort,
    LabSupervision,
    PlacedBlock,
    Problem,
    Reason,
    RoomKind,
    Station,
    Venue,
    Window,
)
from ..words import tr
from .hours import unavailable
from .wellbeing import WellbeingRules

LinearExpr = cp_model.LinearExprT
# Search orders for a first day (``DayModel.use_strategy``): the labs' first blocks early to late
# (then CP-SAT's own choices), or the same followed by every block of the day early to late,
# which builds a packed day the way a person would. Which one wins depends on the school
# (``search.RESTART_STRATEGIES`` races them).
LABS, LABS_THEN_DAY = "labs", "labs then day"
# Upper end of a padded block's end (units) when there is passing time. Only a domain: the
# constraint beside it holds the end inside the day plus one passing time. 10,000 units is more
# than a whole day at the finest grid (1,440 one-minute units), so it never binds; a tighter
# domain would change the model CP-SAT presolves, and with it the days a seed finds.
PADDED_END_MAX = 10_000


@dataclass
class Block:
    """One block of a cohort's station: the ``index``-th of up to ``station.max_blocks``."""

    cohort: Cohort
    station: Station
    index: int
    start: cp_model.IntVar
    length: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar | int  # 1 for the mandatory first block
    interval: cp_model.IntervalVar
    # Who may take the block, and where: (staff id, literal choosing them, interval on their
    # timeline, room id); one entry with the block's own literal when there is no choice.
    staffings: list[tuple[int | None, cp_model.IntVar | int, cp_model.IntervalVar, int | None]] = (
        field(default_factory=list)
    )


class DayModel(WellbeingRules):
    """The CP-SAT model of one school day: its variables, constraints and objective terms.

    Building it solves nothing; ``search.ModelSearch`` runs CP-SAT on it. Times are in units of
    the problem's granularity (``unit`` minutes each).
    """

    def __init__(
        self,
        problem: Problem,
        *,
        explain: bool = False,
        symmetry: bool = True,
        reserved: Mapping[int, tuple[int, ...]] | None = None,
    ) -> None:
        self.problem = problem
        # Blocks of minutes to keep free in a teacher's day, anywhere, for cohorts built later.
        self.reserved = reserved or {}
        # Symmetry breaking speeds a search from nothing, but would cut off a day built
        # elsewhere (a published day, a constructed one) that the model starts from.
        self.symmetry = symmetry
        # In explain mode, each leader's setting that can conflict (a pin, an event window, a
        # teacher's prep) is enforced by an assumption literal, so a conflict can be named.
        self.explain = explain
        self.settings: dict[int, tuple[cp_model.IntVar, Reason]] = {}
        self.setting_keys: dict[str, cp_model.IntVar] = {}
        # Minutes in one unit of the model's time: every start, length and end counts these.
        self.unit = problem.granularity
        self.model = cp_model.CpModel()
        self.blocks: list[Block] = []
        self.by_cohort_station: dict[tuple[int, str], list[Block]] = defaultdict(list)
        self.staff_intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        self.staff_blocks: dict[int, list[tuple[Block, cp_model.IntVar | int]]] = defaultdict(list)
        self.room_intervals: dict[int, list[tuple[int, cp_model.IntervalVar]]] = defaultdict(list)
        self.penalties: list[LinearExpr] = []
        # The objective's terms by whom they belong to, for the team bounds (``team_terms``).
        self.spans: dict[int, LinearExpr] = {}
        self.cohort_penalties: dict[int, list[LinearExpr]] = defaultdict(list)
        # Each bounded team's cost variable and its terms (``search.SolvePhases.add_team_bounds``).
        self.team_costs: list[tuple[cp_model.IntVar, cp_model.LinearExpr]] = []
        self.prep: dict[int, cp_model.IntervalVar] = {}
        self.lunch: dict[int, cp_model.IntervalVar | None] = {}
        # A combined cohort's block -> the leading cohort's block it coincides with.
        self.leads: dict[int, Block] = {}

    # --- model ----------------------------------------------------------------------------------
    def add_hard_constraints(self) -> None:
        """H1-H8: everything a valid day must hold (in explain mode, with setting literals)."""
        self.add_blocks()
        self.add_combinations()
        self.add_cohort_days()
        self.add_staff()
        self.add_split_apart()
        self.add_rooms()
        self.add_shared_rooms()
        self.add_pins()

    def build(self) -> None:
        self.add_hard_constraints()
        if self.symmetry:
            self.add_symmetry_breaking()
        self.add_preferences()
        self.add_stability()
        self.objective = sum(self.penalties)
        # Placing the lab blocks early to late first helps a search from nothing; a model that
        # starts from a given day leaves a single worker free to improve it.
        if self.symmetry:
            self.use_strategy(LABS)

    def use_strategy(self, strategy: str, model: cp_model.CpModel | None = None) -> None:
        """Branch on block starts, earliest first, in the order ``strategy`` names (``LABS``,
        ``LABS_THEN_DAY``) in ``model`` (this day's own by default). Which order finds a tight
        school's first day fastest varies with the school (``search.RESTART_STRATEGIES``), so the
        construction races them or takes them in turn (``ModelSearch.first_with_restarts``)."""
        target = model or self.model
        labs = [b for b in self.blocks if b.station.venue == Venue.LAB and b.index == 0]
        # Each list is branched on to the end before the next one starts.
        orders: list[list[Block]] = [labs]
        if strategy == LABS_THEN_DAY:
            orders.append(self.blocks)
        target.proto.search_strategy.clear()
        for order in orders:
            if order:
                target.add_decision_strategy(
                    [b.start for b in order], cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
                )

    def add_blocks(self) -> None:
        day = self.problem.day
        for cohort in self.problem.cohorts:
            template = self.problem.template_of(cohort)
            stations = template.stations
            # Saying up front that the launch leaves the other stations only the rest of the day
            # gives every resource's energy reasoning the true length of the day (in explain
            # mode an event's window is a setting that may be dropped, so the whole day).
            open_window = day if self.explain else template.open_window(day)
            open_from, open_until = open_window.start, open_window.end
            for station in stations:
                window = station.window or Window(open_from, open_until)
                window_setting = None
                if self.explain and station.window is not None:
                    window_setting = self.setting(
                        f"window:{cohort.grade}:{station.code}",
                        Reason(
                            code="event-window",
                            message=tr(
                                "%(grade)s's %(station)s window %(start)s-%(end)s",
                                grade=grade_name(cohort.grade).capitalize(),
                                station=station.code,
                                start=clock(window.start),
                                end=clock(window.end),
                            ),
                            suggestion=tr(
                                "Widen or move the %(station)s window.", station=station.code
                            ),
                            setting=f"station:{cohort.grade}:{station.code}",
                        ),
                    )
                    window = Window(open_from, open_until)
                lo, hi = (
                    self.units(max(window.start, day.start)),
                    self.units(min(window.end, day.end)),
                )
                lengths = [
                    self.units(n)
                    for n in range(station.block_min, station.block_max + 1, station.step)
                    if n <= station.minutes
                ]
                previous: Block | None = None
                for index in range(station.max_blocks):
                    name = f"c{cohort.id}_{station.code}_{index}"
                    if station.max_blocks == 1:
                        lengths_here = [self.units(station.minutes)]
                    else:
                        lengths_here = lengths if index == 0 else [0, *lengths]
                    length = self.model.new_int_var_from_domain(
                        cp_model.Domain.from_values(sorted(set(lengths_here))), f"{name}_len"
                    )
                    start = self.model.new_int_var(lo, hi, f"{name}_start")
                    end = self.model.new_int_var(lo, hi, f"{name}_end")
                    if index == 0:
                        present: cp_model.IntVar | int = 1
                        interval = self.model.new_interval_var(start, length, end, f"{name}_iv")
                    else:
                        present = self.model.new_bool_var(f"{name}_present")
                        interval = self.model.new_optional_interval_var(
                            start, length, end, present, f"{name}_iv"
                        )
                        self.model.add(length == 0).only_enforce_if(present.negated())
                        self.model.add(length >= self.units(station.block_min)).only_enforce_if(
                            present
                        )
                        self.model.add(start == lo).only_enforce_if(present.negated())
                        self.model.add(end == start + length).only_enforce_if(present.negated())
                        assert previous is not None
                        self.model.add(start >= previous.end).only_enforce_if(present)
                        if not isinstance(previous.present, int):
                            self.model.add_implication(present, previous.present)
                        # S3: each block beyond the first is one more transition.
                        self.penalties.append(self.problem.weights.transitions * present)
                    if window_setting is not None and station.window is not None:
                        when = [window_setting] + ([] if isinstance(present, int) else [present])
                        self.model.add(start >= self.units(station.window.start)).only_enforce_if(
                            when
                        )
                        self.model.add(end <= self.units(station.window.end)).only_enforce_if(when)
                    block = Block(cohort, station, index, start, length, end, present, interval)
                    self.blocks.append(block)
                    self.by_cohort_station[(cohort.id, station.code)].append(block)
                    previous = block
                self.model.add(
                    sum(b.length for b in self.by_cohort_station[(cohort.id, station.code)])
                    == self.units(station.minutes)
                )

    def add_cohort_days(self) -> None:
        """H1: a cohort is in one block at a time, with passing time after each block."""
        passing = self.units(self.problem.passing_minutes)
        by_cohort: dict[int, list[Block]] = defaultdict(list)
        for block in self.blocks:
            by_cohort[block.cohort.id].append(block)
        for blocks in by_cohort.values():
            if passing == 0:
                self.model.add_no_overlap(b.interval for b in blocks)
                continue
            # Each block holds the cohort for its length plus the passing time after it, so
            # the day (plus one trailing passing time) is covered exactly.
            padded = []
            for b in blocks:
                held = self.model.new_int_var(
                    0, self.units(self.problem.day.minutes) + passing, "held"
                )
                self.model.add(held == b.length + passing * b.present)
                padded_end = self.model.new_int_var(0, PADDED_END_MAX, "padded_end")
                self.model.add(padded_end == b.start + held)
                padded.append(
                    self.model.new_optional_interval_var(
                        b.start, held, padded_end, b.present, "pad"
                    )
                    if not isinstance(b.present, int)
                    else self.model.new_interval_var(b.start, held, padded_end, "pad")
                )
                self.model.add(padded_end <= self.units(self.problem.day.end) + passing)
            self.model.add_no_overlap(padded)
            self.model.add(
                sum(b.length + passing * b.present for b in blocks)
                == self.units(self.problem.day.minutes) + passing
            )

    def add_combinations(self) -> None:
        """Combined cohorts (absence recovery): each following cohort's blocks of the station
        coincide with the leading cohort's, and take no staff or room of their own, so the
        shared block is one interval on the teacher's and the room's timelines."""
        present = {c.id for c in self.problem.cohorts}
        for combination in self.problem.combined:
            cohorts = [c for c in combination.cohorts if c in present]
            if len(cohorts) < 2:
                continue
            lead = self.by_cohort_station.get((cohorts[0], combination.station), [])
            for cohort in cohorts[1:]:
                follow = self.by_cohort_station.get((cohort, combination.station), [])
                # Blocks beyond the other cohort's count never happen (a mandatory one cannot).
                for extra in [*follow[len(lead) :], *lead[len(follow) :]]:
                    self.model.add(extra.present == 0)
                for block, first in zip(follow, lead, strict=False):
                    self.model.add(block.start == first.start)
                    self.model.add(block.length == first.length)
                    if block.present is not first.present:
                        self.model.add(block.present == first.present)
                    self.leads[id(block)] = first

    def add_staff(self) -> None:
        """H4: qualified, assigned, available staff, one place at a time; H7: prep."""
        for block in self.blocks:
            station = block.station
            if id(block) in self.leads:
                continue  # a combined block: its lead's staff and room (add_combinations)
            if station.staff_role is None:
                room = self.problem.venue_room(block.cohort, station, None)
                block.staffings.append((None, block.present, block.interval, room))
                continue
            candidates = [
                sid
                for sid in self.problem.candidates(block.cohort.id, station.code)
                if self.problem.member(sid).available
                and station.staff_role in self.problem.member(sid).roles
            ]
            if len(candidates) == 1:
                sid = candidates[0]
                block.staffings.append(
                    (
                        sid,
                        block.present,
                        block.interval,
                        self.problem.venue_room(block.cohort, station, sid),
                    )
                )
                continue
            literals = []
            for sid in candidates:
                chosen = self.model.new_bool_var(f"{block.interval.name}_by_{sid}")
                interval = self.model.new_optional_interval_var(
                    block.start, block.length, block.end, chosen, f"{block.interval.name}_{sid}"
                )
                literals.append(chosen)
                block.staffings.append(
                    (sid, chosen, interval, self.problem.venue_room(block.cohort, station, sid))
                )
            self.model.add(sum(literals) == block.present)

        for block in self.blocks:
            for staff_id, literal, interval, _room in block.staffings:
                if staff_id is not None:
                    self.staff_intervals[staff_id].append(interval)
                    self.staff_blocks[staff_id].append((block, literal))

        day = self.problem.day
        prep_window = self.problem.prep_window or day
        for member in self.problem.staff:
            if member.id not in self.staff_intervals and not member.prep_minutes:
                continue
            if not member.available:
                continue
            intervals = self.staff_intervals[member.id]
            teaching = list(intervals)
            intervals.extend(self.fixed(w, "away") for w in unavailable(member.available, day))
            if member.prep_minutes and member.id in self.staff_blocks:
                size = self.units(member.prep_minutes)
                start = self.model.new_int_var(
                    self.units(prep_window.start), self.units(prep_window.end) - size, "prep"
                )
                if self.explain:
                    prep = self.model.new_optional_interval_var(
                        start,
                        size,
                        start + size,
                        self.setting(
                            f"prep:{member.id}",
                            Reason(
                                code="prep",
                                message=tr(
                                    "%(teacher)s's %(minutes)s minutes of prep in one stretch",
                                    teacher=member.name,
                                    minutes=member.prep_minutes,
                                ),
                                suggestion=tr(
                                    "Shorten %(teacher)s's prep or free their day.",
                                    teacher=member.name,
                                ),
                                setting=f"staff:{member.id}",
                            ),
                        ),
                        f"prep_{member.id}",
                    )
                else:
                    prep = self.model.new_interval_var(
                        start, size, start + size, f"prep_{member.id}"
                    )
                self.prep[member.id] = prep
                intervals.append(prep)
            previous_end: LinearExpr | None = None
            for minutes in sorted(self.reserved.get(member.id, ())):
                size = self.units(minutes)
                start = self.model.new_int_var(
                    self.units(day.start), self.units(day.end) - size, ""
                )
                intervals.append(self.model.new_interval_var(start, size, start + size, "reserved"))
                if previous_end is not None:
                    self.model.add(start >= previous_end)  # interchangeable: taken in order
                previous_end = start + size
            if self.problem.wellbeing is not None and member.id in self.staff_blocks:
                lunch = self.lunch_of(member)
                if lunch is not None:
                    intervals.append(lunch)
                self.add_breaks(member, teaching)
            self.model.add_no_overlap(intervals)
            self.add_compactness(member.id)

    def add_compactness(self, staff_id: int) -> None:
        """S5: the span from a teacher's first to last block, in units."""
        weight = self.problem.weights.compact_staff
        blocks = self.staff_blocks.get(staff_id, [])
        if not weight or len(blocks) < 2:
            return
        lo, hi = self.units(self.problem.day.start), self.units(self.problem.day.end)
        first = self.model.new_int_var(lo, hi, f"first_{staff_id}")
        last = self.model.new_int_var(lo, hi, f"last_{staff_id}")
        for block, literal in blocks:
            if isinstance(literal, int):
                self.model.add(first <= block.start)
                self.model.add(last >= block.end)
            else:
                self.model.add(first <= block.start).only_enforce_if(literal)
                self.model.add(last >= block.end).only_enforce_if(literal)
        # Redundant, for the bound: the day spans at least the blocks it holds (the linear
        # relaxation cannot see that from the half-reified bounds above).
        taught: list[LinearExpr] = []
        for block, literal in blocks:
            if literal is block.present:
                # Theirs whenever it happens: all the station's minutes, counted once.
                if block.index == 0:
                    taught.append(self.units(block.station.minutes))
            elif block.station.max_blocks == 1:
                taught.append(self.units(block.station.minutes) * literal)
        # A span variable of its own gives the objective that lower bound by propagation alone
        # (the root LP loses it among the other terms).
        span = self.model.new_int_var(0, hi - lo, f"span_{staff_id}")
        self.model.add(span == last - first)
        self.model.add(span >= sum(taught))
        self.penalties.append(weight * span)
        self.spans[staff_id] = weight * span

    def add_rooms(self) -> None:
        """H4: a single-cohort room holds one block at a time."""
        staff_of_room: dict[int, set[int | None]] = defaultdict(set)
        for block in self.blocks:
            for sid, _literal, interval, room in block.staffings:
                if room is None:
                    continue
                self.room_intervals[room].append((block.cohort.id, interval))
                staff_of_room[room].add(sid)
        for room_id, entries in self.room_intervals.items():
            if self.problem.room(room_id).shared or len({cohort for cohort, _ in entries}) < 2:
                continue
            staff = staff_of_room[room_id]
            if len(staff) == 1 and None not in staff:
                continue  # already one staff member's NoOverlap
            self.model.add_no_overlap(interval for _, interval in entries)

    def add_shared_rooms(self) -> None:
        """H5 and H6: labs by students (seats, supervisors), cafeteria and gym by cohorts."""
        supervision = {s.lab: s for s in self.problem.supervision}
        weight = self.problem.weights.lab_balance
        for room in self.problem.rooms:
            entries = [
                (block, interval)
                for block in self.blocks
                for _sid, _literal, interval, room_id in block.staffings
                if room_id == room.id
            ]
            if not entries:
                continue
            if room.kind == RoomKind.LEARNING_LAB:
                intervals = [iv for _, iv in entries]
                demands = [b.cohort.students for b, _ in entries]
                reserved = []
                if room.id in supervision:
                    reserved = self.supervision_shortfall(room.capacity, supervision[room.id])
                peak: cp_model.IntVar | int = room.capacity
                if weight:
                    # The load is always a multiple of the demands' common divisor, and so is
                    # the least peak: rounding the average up to it tightens the bound.
                    step = math.gcd(*demands, *(d for _, d in reserved))
                    peak = self.model.new_int_var_from_domain(
                        cp_model.Domain.from_values(range(0, room.capacity + 1, step)),
                        f"peak_{room.id}",
                    )
                    self.penalties.append(weight * peak)
                    # Redundant, for the bound: the busiest moment holds at least the average.
                    horizon = self.units(self.problem.day.minutes)
                    self.model.add(
                        peak * horizon
                        >= sum(d * b.length for d, (b, _) in zip(demands, entries, strict=True))
                    )
                self.model.add_cumulative(
                    intervals + [iv for iv, _ in reserved], demands + [d for _, d in reserved], peak
                )
                self.add_lanes(room.id, entries, cohorts_that_fit(room.capacity, demands))
                if room.id in supervision and self.problem.wellbeing is not None:
                    self.add_supervisor_rests(supervision[room.id], entries)
            elif room.kind in (RoomKind.CAFETERIA, RoomKind.GYM) and room.capacity < len(entries):
                self.model.add_cumulative(
                    [iv for _, iv in entries], [1] * len(entries), room.capacity
                )

    def add_lanes(
        self, room_id: int, entries: list[tuple[Block, cp_model.IntervalVar]], lanes: int
    ) -> None:
        """Redundant lanes: when at most ``lanes`` cohorts fit in the lab at once, its blocks can
        be packed into ``lanes`` sequences (intervals of one length of time colour like an
        interval graph). A NoOverlap per lane propagates far more than the cumulative alone."""
        if lanes >= len(entries):
            return
        self.model.add_cumulative([iv for _, iv in entries], [1] * len(entries), lanes)
        lane_intervals: list[list[cp_model.IntervalVar]] = [[] for _ in range(lanes)]
        for position, (block, _interval) in enumerate(entries):
            choices = []
            # Lanes are interchangeable: the i-th block may only open lane i.
            for lane in range(min(lanes, position + 1)):
                chosen = self.model.new_bool_var(f"lane_{room_id}_{lane}")
                lane_intervals[lane].append(
                    self.model.new_optional_interval_var(
                        block.start, block.length, block.end, chosen, ""
                    )
                )
                choices.append(chosen)
            self.model.add(sum(choices) == block.present)
        for intervals in lane_intervals:
            self.model.add_no_overlap(intervals)

    def supervision_shortfall(
        self, seats: int, supervision: LabSupervision
    ) -> list[tuple[cp_model.IntervalVar, int]]:
        """Fixed intervals taking the seats that too few supervisors cannot watch (H6)."""
        day = self.problem.day
        points = sorted(
            {day.start, day.end}
            | {
                t
                for sid in supervision.supervisors
                for w in self.problem.member(sid).available
                for t in (w.start, w.end)
                if day.start < t < day.end
            }
        )
        reserved = []
        for a, b in itertools.pairwise(points):
            present = sum(
                1
                for sid in supervision.supervisors
                if any(w.start <= a and b <= w.end for w in self.problem.member(sid).available)
            )
            watchable = present * supervision.students_per_adult
            if watchable < seats:
                reserved.append((self.fixed(Window(a, b), "unsupervised"), seats - watchable))
        return reserved

    def add_pins(self) -> None:
        """H8: each pin holds."""
        for pin in self.problem.pins:
            matches = []
            for block in self.by_cohort_station.get((pin.cohort, pin.station), []):
                hit = self.model.new_bool_var("pin")
                self.model.add(block.start == self.units(pin.start)).only_enforce_if(hit)
                if pin.end is not None:
                    self.model.add(block.end == self.units(pin.end)).only_enforce_if(hit)
                if not isinstance(block.present, int):
                    self.model.add_implication(hit, block.present)
                matches.append(hit)
            holds = self.model.add_bool_or(matches)
            if self.explain:
                cohort = self.problem.cohort(pin.cohort)
                holds.only_enforce_if(
                    self.setting(
                        f"pin:{pin.cohort}:{pin.station}:{pin.start}",
                        Reason(
                            code="pin",
                            message=tr(
                                "the pin of %(cohort)s's %(station)s at %(time)s",
                                cohort=cohort.name,
                                station=pin.station,
                                time=clock(pin.start),
                            ),
                            suggestion=tr(
                                "Clear or move the pin of %(cohort)s's %(station)s.",
                                cohort=cohort.name,
                                station=pin.station,
                            ),
                            setting=f"pin:{pin.cohort}:{pin.station}",
                        ),
                    )
                )

    def add_symmetry_breaking(self) -> None:
        """Order interchangeable cohorts, and let interchangeable staff be taken in order.

        Cohorts are interchangeable when swapping them maps every valid day to another: same
        grade, size and staff for every station, no pins or published day, and homerooms alike
        that no one else uses (or one homeroom they share).
        """
        pinned = {pin.cohort for pin in self.problem.pins} | {
            b.cohort for b in self.problem.previous
        }
        pinned |= {c for combination in self.problem.combined for c in combination.cohorts}
        room_cohorts: dict[int, set[int]] = defaultdict(set)
        for block in self.blocks:
            for _sid, _literal, _iv, room_id in block.staffings:
                if room_id is not None:
                    room_cohorts[room_id].add(block.cohort.id)
        groups: dict[tuple, list[Cohort]] = defaultdict(list)
        for cohort in self.problem.cohorts:
            if cohort.id in pinned:
                continue
            staffing = tuple(
                (s.code, tuple(sorted(self.problem.candidates(cohort.id, s.code))))
                for s in self.problem.template_of(cohort).stations
            )
            homeroom: object = cohort.homeroom
            if room_cohorts[cohort.homeroom] <= {cohort.id}:
                own = self.problem.room(cohort.homeroom)
                homeroom = ("own", own.kind, own.capacity)
            # A template of its own (a recovery's conversion) makes a cohort unlike its grade.
            template = self.problem.template_of(cohort)
            groups[(cohort.grade, cohort.students, staffing, homeroom, template)].append(cohort)
        for (_grade, _size, staffing, _homeroom, _template), cohorts in groups.items():
            # A station taught by one shared teacher cannot start at the same time for two
            # cohorts, so its first block strictly orders the group.
            shared = next((code for code, staff in staffing if len(staff) == 1), None)
            if shared is None:
                continue
            for a, b in itertools.pairwise(cohorts):
                self.model.add(
                    self.by_cohort_station[(a.id, shared)][0].start
                    < self.by_cohort_station[(b.id, shared)][0].start
                )
        self.break_staff_symmetry()

    def break_staff_symmetry(self) -> None:
        """Interchangeable staff (identical specials teachers) are used in order: the i-th block
        offered to them may only go to the first i of them.

        Sound only for staff whose swap maps every valid day to another: the same blocks open to
        each (a block only one of them may take makes them different, however alike their roles,
        hours and prep), the same day otherwise, and rooms nobody else uses.
        """
        if self.problem.previous:
            return
        blocks_of: dict[int, list[Block]] = defaultdict(list)
        room_users: dict[int, set[int | None]] = defaultdict(set)
        for block in self.blocks:
            for sid, _literal, _iv, room_id in block.staffings:
                if sid is not None:
                    blocks_of[sid].append(block)
                if room_id is not None:
                    room_users[room_id].add(sid)
        supervised: dict[int, set[int]] = defaultdict(set)
        for supervision in self.problem.supervision:
            for sid in supervision.supervisors:
                supervised[sid].add(supervision.lab)
        place = {id(block): n for n, block in enumerate(self.blocks)}
        classes: dict[tuple, list[int]] = defaultdict(list)
        for sid, blocks in blocks_of.items():
            member = self.problem.member(sid)
            # Two teachers in one room swap without moving anything in it; rooms of their own
            # swap when alike; a room of theirs someone else uses too ties them to it.
            room: object = member.room
            if member.room is not None and room_users[member.room] == {sid}:
                own = self.problem.room(member.room)
                room = ("own", own.kind, own.capacity)
            classes[
                (
                    tuple(sorted(place[id(b)] for b in blocks)),
                    # Everything else the model reads about them: roles, hours, prep.
                    replace(member, id=0, name="", room=None),
                    room,
                    tuple(sorted(self.reserved.get(sid, ()))),
                    frozenset(supervised[sid]),
                )
            ].append(sid)
        for ids in classes.values():
            if len(ids) < 2:
                continue
            rank = {sid: r for r, sid in enumerate(ids)}
            for position, block in enumerate(blocks_of[ids[0]]):
                for sid, literal, _iv, _room in block.staffings:
                    if sid in rank and rank[sid] > position and not isinstance(literal, int):
                        self.model.add(literal == 0)

    def add_preferences(self) -> None:
        """S2: blocks inside their preferred windows; not right after the avoided station."""
        weight = self.problem.weights.preferences
        if not weight:
            return
        for block in self.blocks:
            station = block.station
            if station.preferred is not None:
                inside = self.model.new_bool_var("inside")
                self.model.add(block.start >= self.units(station.preferred.start)).only_enforce_if(
                    inside
                )
                self.model.add(block.end <= self.units(station.preferred.end)).only_enforce_if(
                    inside
                )
                # A literal of its own rather than ``present - inside``: the bound then sees
                # that the penalty is never negative.
                outside = self.model.new_bool_var("outside")
                held = [] if isinstance(block.present, int) else [block.present.negated()]
                self.model.add_bool_or([inside, outside, *held])
                self.penalties.append(weight * outside)
                self.cohort_penalties[block.cohort.id].append(weight * outside)
            if station.avoid_right_after is not None:
                for before in self.by_cohort_station.get(
                    (block.cohort.id, station.avoid_right_after), []
                ):
                    adjacent = self.model.new_bool_var("adjacent")
                    self.model.add(block.start != before.end).only_enforce_if(adjacent.negated())
                    self.penalties.append(weight * adjacent)
                    self.cohort_penalties[block.cohort.id].append(weight * adjacent)

    def team_terms(self, cohorts: Iterable[int], staff: Iterable[int]) -> LinearExpr:
        """The objective's terms that belong to a team: its cohorts' preferences (S2) and
        transitions (S3), its own staff's spans (S5)."""
        ids = set(cohorts)
        terms: list[LinearExpr] = [self.spans[sid] for sid in staff if sid in self.spans]
        for block in self.blocks:
            if block.cohort.id in ids and block.index > 0:
                terms.append(self.problem.weights.transitions * block.present)
        for cohort in ids:
            terms.extend(self.cohort_penalties.get(cohort, ()))
        return sum(terms)

    def add_stability(self) -> None:
        """S1: keep each block of the last published day; hint the search with it."""
        weight = self.problem.weights.stability
        for old in self.problem.previous:
            blocks = self.by_cohort_station.get((old.cohort, old.station), [])
            if not blocks:
                continue
            # Reified both ways, so any day's cost counts exactly the blocks it moves: a day
            # found without the objective (a fast path, a construction) is then priced right,
            # and the optimiser's cap at that price is tight.
            kept = self.model.new_bool_var("kept")
            matches = []
            for block in blocks:
                same = self.model.new_bool_var("same")
                at = [
                    self.equals(block.start, self.units(old.start)),
                    self.equals(block.end, self.units(old.end)),
                ]
                if not isinstance(block.present, int):
                    at.append(block.present)
                self.model.add_bool_and(at).only_enforce_if(same)
                self.model.add_bool_or([same, *(a.negated() for a in at)])
                self.model.add_implication(same, kept)
                matches.append(same)
            self.model.add_bool_or(matches).only_enforce_if(kept)
            if weight:
                self.penalties.append(weight * (1 - kept))

    def equals(self, var: cp_model.IntVar, value: int) -> cp_model.IntVar:
        """A literal true exactly when ``var == value``."""
        literal = self.model.new_bool_var("")
        self.model.add(var == value).only_enforce_if(literal)
        self.model.add(var != value).only_enforce_if(literal.negated())
        return literal

    def fixed(self, window: Window, name: str) -> cp_model.IntervalVar:
        start, end = self.units(window.start), self.units(window.end)
        return self.model.new_fixed_size_interval_var(start, end - start, name)

    # --- explanation ----------------------------------------------------------------------------
    def setting(self, key: str, reason: Reason) -> cp_model.IntVar:
        """The assumption literal of one leader's setting (shared by every constraint it makes)."""
        if key not in self.setting_keys:
            literal = self.model.new_bool_var(key)
            self.setting_keys[key] = literal
            self.settings[literal.index] = (literal, reason)
        return self.setting_keys[key]

    def extract(self, solver: cp_model.CpSolver) -> Iterable[PlacedBlock]:
        for block in self.blocks:
            if not isinstance(block.present, int) and not solver.value(block.present):
                continue
            staff: tuple[int, ...] = ()
            room = None
            for sid, literal, _iv, room_id in self.leads.get(id(block), block).staffings:
                if isinstance(literal, int) or solver.value(literal):
                    staff = (sid,) if sid is not None else ()
                    room = room_id
                    break
            yield PlacedBlock(
                cohort=block.cohort.id,
                station=block.station.code,
                start=solver.value(block.start) * self.unit,
                end=solver.value(block.end) * self.unit,
                room=room,
                staff=staff,
            )
