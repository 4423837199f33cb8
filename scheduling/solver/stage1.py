"""Stage 1: every cohort's day of blocks, on OR-Tools CP-SAT.

The model works in units of the school's granularity (5 minutes). Each station of a cohort's
template becomes up to ``max_blocks`` interval variables with flexible lengths (the first one
mandatory, the rest optional and ordered after it). Staff and single-cohort rooms are NoOverlap
resources; staff absences and hours are fixed intervals in the same NoOverlap, and each teacher's
prep is one more interval there (H7). Shared rooms are capacities over time: the lab is a
cumulative over students, capped by its seats and by its supervisors (H5, H6), the cafeteria a
cumulative over cohorts. Staff well-being (W1-W3, when ``Problem.wellbeing`` is set): a teacher's
lunch is one more interval in their NoOverlap, their breaks a chain in a cumulative with their
blocks, and a lab's supervisors rest (lunch, breaks) in a cumulative of the lab's own over what
they can watch together. A supervisor who also teaches keeps both sets of rules.

What makes it fast on the tight reference shapes (see bench/FINDINGS.md):
- a first day constructed lab by lab from narrowed problems (decompose.py), then completed in
  this model and optimised from there; each lab's search races two branching orders (the labs
  early to late, or the labs and then the whole day early to late) on a worker each;
- redundant "lanes" per lab: a cumulative over cohorts whose capacity is how many cohorts fit at
  once, which CP-SAT propagates far better than the seat cumulative alone;
- symmetry breaking among cohorts that are interchangeable (same grade, size and staff) and among
  interchangeable staff (identical specials teachers);
- solution hints from the last published day of the same day type, which also anchor S1.

The bound: each term has its own minimum in the model (a teacher's span at least the minutes
they teach, a lab's peak at least its average load), and before optimising, each team (a
grade's cohorts with the teachers only they have) is solved alone with the rest of the school
relaxed; its optimum bounds the team's terms in any day (``_Search.add_team_bounds``).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from .decompose import (
    assign_pools,
    cohorts_that_fit,
    components,
    lab_lanes_by_grade,
    later_demand,
    restricted_to,
    team_relaxation,
    teams,
    whole_lab_blocks,
)
from .precheck import clock, grade_name, precheck
from .problem import (
    Cohort,
    Infeasible,
    LabSupervision,
    PlacedBlock,
    Problem,
    Reason,
    RoomKind,
    Solution,
    SolveStats,
    StaffMember,
    Station,
    Venue,
    Window,
)

LinearExpr = cp_model.LinearExprT
# Deterministic work of the first restart (about 0.3 s on this machine), growing geometrically:
# the reference shapes' labs build within 0.05 (M) to 0.15 (L) units at the median over seeds,
# with a tail to 6 times that which restarts with new seeds cut off. Tripling rather than
# doubling: L's last lab (its shared specials teachers' days already fixed) often needs 0.3-0.8
# units in one search, which doubling restarts reach only after throwing away 0.7.
RESTART_WORK = 0.1
RESTART_GROWTH = 3
# Shares of the budget (seconds, or deterministic work when ``work_limit`` is set) by phase.
CONSTRUCT_SHARE = 0.7
PREVIOUS_SHARE = 0.25
PREVIOUS_SECONDS = 2.0
PREVIOUS_WORK = 0.6  # about PREVIOUS_SECONDS on the 2-core reference machine
# The team bounds (``_Search.add_team_bounds``) take at most this share of what is left, and
# each team at most TEAM_WORK units: a reference grade's team proves its optimum in 0.15-0.4.
TEAM_SHARE = 0.2
TEAM_WORK = 0.5
TEAM_COST_MAX = 10**9
# Search orders for a first day (``_Stage1.use_strategy``): the labs' first blocks early to late
# (then CP-SAT's own choices), or the same followed by every block of the day early to late,
# which builds a packed day the way a person would. The first finds S's and M's days fastest
# (0.06-0.3 units against 0.3-0.6), the second L's (0.3-1.1 units over five seeds where the
# first takes 0.8-5): the construction races them on two workers, or takes them in turn on one
# worker or under a work limit.
LABS, LABS_THEN_DAY = "labs", "labs then day"
RESTART_STRATEGIES: tuple[str, ...] = (LABS, LABS_THEN_DAY)


@dataclass(frozen=True)
class SolveOptions:
    """``time_limit`` in seconds; ``workers`` CP-SAT search workers; ``seed`` fixes the search.

    With ``first_solution_only`` the search stops at the first schedule (feasibility timing).
    With ``patience`` (seconds), optimising stops once it has found nothing better for that
    long: the nightly rebuild spends its time where the days still improve. The same problem,
    options and seed give the same schedule whenever the search finishes within the limit
    (several workers are interleaved deterministically) and no patience is set.

    ``work_limit`` (CP-SAT deterministic units, as stage 2's) makes the solve a function of the
    problem, options and seed alone: it is then the binding limit, split between the phases as
    ``time_limit`` otherwise is, ``time_limit`` is only a safety net and ``patience`` is ignored.
    Tests use it so a busy machine cannot fail them; production runs on seconds.
    """

    time_limit: float = 10.0
    workers: int = 2
    seed: int = 0
    first_solution_only: bool = False
    use_hints: bool = True
    patience: float | None = None
    work_limit: float | None = None


class _Budget:
    """What is left of a solve's limits: wall seconds always, deterministic work when the options
    set ``work_limit``. Every phase's CP-SAT call is charged the work it reports."""

    def __init__(self, options: SolveOptions) -> None:
        self.o = options
        self.began = time.perf_counter()
        self.work_spent = 0.0

    def seconds(self, share: float = 1.0) -> float:
        """Seconds left before ``share`` of the time limit is used (at least 0.1)."""
        return max(0.1, self.o.time_limit * share - (time.perf_counter() - self.began))

    def work(self, share: float = 1.0) -> float | None:
        """Work left before ``share`` of the work limit is used, or None without one."""
        if self.o.work_limit is None:
            return None
        return max(0.001, self.o.work_limit * share - self.work_spent)

    def exhausted(self, share: float = 1.0) -> bool:
        if self.o.work_limit is not None and self.o.work_limit * share - self.work_spent < 0.005:
            return True
        return self.o.time_limit * share - (time.perf_counter() - self.began) <= 0.05

    def charge(self, solver: cp_model.CpSolver) -> None:
        self.work_spent += solver.deterministic_time


@dataclass
class _Block:
    cohort: Cohort
    station: Station
    index: int
    start: cp_model.IntVar
    length: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar | int  # 1 for the mandatory first block
    interval: cp_model.IntervalVar
    # (staff id, literal choosing them, interval on their timeline, room id)
    options: list[tuple[int | None, cp_model.IntVar | int, cp_model.IntervalVar, int | None]] = (
        field(default_factory=list)
    )


def solve(problem: Problem, options: SolveOptions | None = None) -> Solution | Infeasible:
    """Build the day's rotations, or say why none exists."""
    options = options or SolveOptions()
    reasons = precheck(problem)
    if reasons:
        return Infeasible(reasons=reasons)
    result = _Search(problem, options).run()
    if isinstance(result, Infeasible) and result.stats and result.stats.status == "INFEASIBLE":
        core = _Stage1(problem, options, explain=True).conflicting_settings()
        if core:
            return Infeasible(reasons=core, stats=result.stats)
    return result


class _Search:
    """Find a valid day fast, then optimise from it with the time left.

    1. Rebuilding a published day: try the last published blocks as they were (a substitute with
       the same hours changes nothing).
    2. Otherwise construct a day from easier problems (decompose.py): whole lab blocks, pooled
       staff shared out, one lab's cohorts after another, each with a few short restarts.
    3. Failing both, search the whole problem (with symmetry breaking, without the objective,
       which slows the first find down on tight shapes); only this search can prove there is no
       valid day.
    4. Optimise with the day found as a complete hint.
    """

    def __init__(self, problem: Problem, options: SolveOptions) -> None:
        self.p = problem
        self.o = options
        self.budget = _Budget(options)
        self.began = self.budget.began

    def left(self) -> float:
        return self.budget.seconds()

    def run(self) -> Solution | Infeasible:
        budget = self.budget
        stage = _Stage1(self.p, self.o, symmetry=False, budget=budget)
        stage.build()
        solver: cp_model.CpSolver | None = None
        if self.p.previous and self.o.use_hints:
            work = budget.work()
            solver = stage.first_from(
                self.p.previous,
                min(PREVIOUS_SECONDS, self.left() * PREVIOUS_SHARE),
                work=None if work is None else min(PREVIOUS_WORK, work * PREVIOUS_SHARE),
            )
        if solver is None:
            built = self.construct(share=CONSTRUCT_SHARE)
            if built is not None:
                solver = stage.first_from(built, self.left(), work=budget.work())
        if solver is None:
            stage = _Stage1(self.p, self.o, symmetry=True, budget=budget)
            stage.build()
            solver, searched = stage.first(self.left(), work=budget.work())
            if searched not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return Infeasible(
                    reasons=(stage.unexplained(searched),),
                    stats=self.stats(solver, searched, False),
                )
        status: cp_model.CpSolverStatus = cp_model.FEASIBLE
        optimised_day = False
        if not self.o.first_solution_only:
            found = list(stage.extract(solver))
            self.add_team_bounds(stage)
            optimiser, optimised = stage.optimise(solver, self.left(), work=budget.work())
            # The found day's stability literals are not tied down (only the objective does
            # that), so its cost can overstate the moves: keep it if optimising moved more.
            if optimised in (cp_model.OPTIMAL, cp_model.FEASIBLE) and moved_blocks(
                self.p.previous, stage.extract(optimiser)
            ) <= moved_blocks(self.p.previous, found):
                solver, status, optimised_day = optimiser, optimised, True
        blocks = tuple(stage.extract(solver))
        return Solution(
            blocks=blocks,
            stats=self.stats(solver, status, optimised_day),
            moved_blocks=moved_blocks(self.p.previous, blocks),
        )

    def construct(self, share: float) -> list[PlacedBlock] | None:
        """A valid day built lab by lab from the narrowed problem within ``share`` of the
        budget, or None."""
        narrowed = whole_lab_blocks(self.p)
        labs = components(narrowed)
        narrowed = assign_pools(lab_lanes_by_grade(narrowed), [c for lab in labs for c in lab])
        if narrowed == self.p and len(labs) == 1:
            return None  # nothing easier than the whole problem to try
        # Labs are built in order, each held where it is; when a lab finds no day around the
        # ones before it (they share a specials teacher), the lab before is built again.
        built: list[list[PlacedBlock]] = [[]]
        tries = [0] * len(labs)
        while len(built) <= len(labs):
            index = len(built) - 1
            stage = _Stage1(
                restricted_to(narrowed, labs[index], built[-1]),
                self.o,
                reserved=later_demand(
                    narrowed, labs[index], [c for lab in labs[index + 1 :] for c in lab]
                ),
                budget=self.budget,
            )
            stage.build()
            found, proven = stage.first_with_restarts(share, first_seed=tries[index])
            if found is not None:
                built.append(found)
            elif proven and index > 0:
                built.pop()
                tries[index - 1] += 1000
            else:
                return None
        return built[-1]

    def add_team_bounds(self, stage: _Stage1) -> None:
        """Redundant constraints for the bound: each team's terms (a grade's cohorts with the
        teachers only they have) cost at least the optimum of that team alone with the rest of
        the school relaxed (``team_relaxation``), which CP-SAT proves in a fraction of a second
        where the whole school's linear relaxation sees only each term's own minimum. Teams
        alike up to names (a school's grades often are) are solved once."""
        if self.p.combined:
            return  # a combination ties cohorts together in ways the relaxation does not keep
        share = self.left() * TEAM_SHARE
        work = self.budget.work()
        work_cap = None if work is None else work * TEAM_SHARE
        spent, began = self.budget.work_spent, time.perf_counter()
        known: dict[str, int] = {}
        for cohorts, own in teams(self.p):
            used = self.budget.work_spent - spent
            if (work_cap is not None and used >= work_cap) or time.perf_counter() - began >= share:
                break
            relaxed = _Stage1(team_relaxation(self.p, cohorts, own), self.o, budget=self.budget)
            relaxed.build()
            ids = [c.id for c in cohorts]
            terms = relaxed.team_terms(ids, own)
            if isinstance(terms, int):
                continue  # nothing of theirs to bound
            relaxed.m.minimize(terms)
            shape = relaxed.m.clone().proto
            for variable in shape.variables:
                variable.clear_name()
            for constraint in shape.constraints:
                constraint.clear_name()
            key = str(shape)
            if key not in known:
                solver = relaxed.solver(
                    max(0.1, share - (time.perf_counter() - began)),
                    first_only=False,
                    work=None if work_cap is None else min(TEAM_WORK, work_cap - used),
                )
                status = relaxed.run(solver)
                # Any bound CP-SAT proves on the relaxation holds, optimum or not.
                proven = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                known[key] = math.ceil(solver.best_objective_bound - 1e-6) if proven else 0
            if known[key] > 0:
                # The team's cost as one variable in the objective: propagation alone then
                # carries its bound into the objective's (a search without the linear
                # relaxation, as one worker's, sees only each term's own minimum).
                terms = stage.team_terms(ids, own)
                if not isinstance(terms, cp_model.LinearExpr):
                    continue  # a constant: nothing the search chooses
                cost = stage.m.new_int_var(known[key], TEAM_COST_MAX, "team_cost")
                stage.m.add(cost == terms)
                stage.team_costs.append((cost, terms))

    def stats(
        self, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, objective: bool
    ) -> SolveStats:
        return SolveStats(
            status=solver.status_name(status),
            objective=solver.objective_value if objective else None,
            bound=solver.best_objective_bound if objective else None,
            wall_seconds=time.perf_counter() - self.began,
            workers=solver.parameters.num_workers,
            seed=self.o.seed,
        )


class _Stage1:
    def __init__(
        self,
        problem: Problem,
        options: SolveOptions,
        *,
        explain: bool = False,
        symmetry: bool = True,
        reserved: Mapping[int, tuple[int, ...]] | None = None,
        budget: _Budget | None = None,
    ) -> None:
        self.p = problem
        self.o = options
        self.budget = budget or _Budget(options)
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
        self.u = problem.granularity
        self.m = cp_model.CpModel()
        self.blocks: list[_Block] = []
        self.by_cohort_station: dict[tuple[int, str], list[_Block]] = defaultdict(list)
        self.staff_intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        self.staff_blocks: dict[int, list[tuple[_Block, cp_model.IntVar | int]]] = defaultdict(list)
        self.room_intervals: dict[int, list[tuple[int, cp_model.IntervalVar]]] = defaultdict(list)
        self.penalties: list[LinearExpr] = []
        # The objective's terms by whom they belong to, for the team bounds (``team_terms``).
        self.spans: dict[int, LinearExpr] = {}
        self.cohort_penalties: dict[int, list[LinearExpr]] = defaultdict(list)
        # Each bounded team's cost variable and the terms it stands for (``add_team_bounds``).
        self.team_costs: list[tuple[cp_model.IntVar, cp_model.LinearExpr]] = []
        self.prep: dict[int, cp_model.IntervalVar] = {}
        self.lunch: dict[int, cp_model.IntervalVar | None] = {}
        # A combined cohort's block -> the leading cohort's block it coincides with.
        self.leads: dict[int, _Block] = {}

    # --- units ----------------------------------------------------------------------------------
    def units(self, minutes: int) -> int:
        return minutes // self.u

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
        ``LABS_THEN_DAY``) in ``model`` (this stage's own by default). Which order finds a
        tight school's first day fastest varies with the school (``RESTART_STRATEGIES``), so
        the construction races them or takes them in turn (``first_with_restarts``)."""
        model = model or self.m
        labs = [b for b in self.blocks if b.station.venue == Venue.LAB and b.index == 0]
        # Each list is branched on to the end before the next one starts.
        orders: list[list[_Block]] = [labs]
        if strategy == LABS_THEN_DAY:
            orders.append(self.blocks)
        model.proto.search_strategy.clear()
        for order in orders:
            if order:
                model.add_decision_strategy(
                    [b.start for b in order], cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
                )

    def add_blocks(self) -> None:
        day = self.p.day
        for cohort in self.p.cohorts:
            stations = self.p.template_of(cohort).stations
            # A fixed event that fills its whole window at the start or end of the day (the
            # launch) leaves the other stations only the rest of the day: saying so up front
            # gives every resource's energy reasoning the true length of the day.
            open_from, open_until = day.start, day.end
            for event in stations if not self.explain else ():
                w = event.window
                if w is not None and w.minutes == event.minutes and event.max_blocks == 1:
                    if w.start <= open_from:
                        open_from = max(open_from, w.end)
                    if w.end >= open_until:
                        open_until = min(open_until, w.start)
            for station in stations:
                window = station.window or Window(open_from, open_until)
                window_setting = None
                if self.explain and station.window is not None:
                    window_setting = self.setting(
                        f"window:{cohort.grade}:{station.code}",
                        Reason(
                            code="event-window",
                            message=(
                                f"{grade_name(cohort.grade).capitalize()}'s {station.code} window "
                                f"{clock(window.start)}-{clock(window.end)}"
                            ),
                            suggestion=f"Widen or move the {station.code} window.",
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
                previous: _Block | None = None
                for index in range(station.max_blocks):
                    name = f"c{cohort.id}_{station.code}_{index}"
                    if station.max_blocks == 1:
                        lengths_here = [self.units(station.minutes)]
                    else:
                        lengths_here = lengths if index == 0 else [0, *lengths]
                    length = self.m.new_int_var_from_domain(
                        cp_model.Domain.from_values(sorted(set(lengths_here))), f"{name}_len"
                    )
                    start = self.m.new_int_var(lo, hi, f"{name}_start")
                    end = self.m.new_int_var(lo, hi, f"{name}_end")
                    if index == 0:
                        present: cp_model.IntVar | int = 1
                        interval = self.m.new_interval_var(start, length, end, f"{name}_iv")
                    else:
                        present = self.m.new_bool_var(f"{name}_present")
                        interval = self.m.new_optional_interval_var(
                            start, length, end, present, f"{name}_iv"
                        )
                        self.m.add(length == 0).only_enforce_if(present.negated())
                        self.m.add(length >= self.units(station.block_min)).only_enforce_if(present)
                        self.m.add(start == lo).only_enforce_if(present.negated())
                        self.m.add(end == start + length).only_enforce_if(present.negated())
                        assert previous is not None
                        self.m.add(start >= previous.end).only_enforce_if(present)
                        if not isinstance(previous.present, int):
                            self.m.add_implication(present, previous.present)
                        # S3: each block beyond the first is one more transition.
                        self.penalties.append(self.p.weights.transitions * present)
                    if window_setting is not None and station.window is not None:
                        when = [window_setting] + ([] if isinstance(present, int) else [present])
                        self.m.add(start >= self.units(station.window.start)).only_enforce_if(when)
                        self.m.add(end <= self.units(station.window.end)).only_enforce_if(when)
                    block = _Block(cohort, station, index, start, length, end, present, interval)
                    self.blocks.append(block)
                    self.by_cohort_station[(cohort.id, station.code)].append(block)
                    previous = block
                self.m.add(
                    sum(b.length for b in self.by_cohort_station[(cohort.id, station.code)])
                    == self.units(station.minutes)
                )

    def add_cohort_days(self) -> None:
        """H1: a cohort is in one block at a time, with passing time after each block."""
        passing = self.units(self.p.passing_minutes)
        by_cohort: dict[int, list[_Block]] = defaultdict(list)
        for block in self.blocks:
            by_cohort[block.cohort.id].append(block)
        for blocks in by_cohort.values():
            if passing == 0:
                self.m.add_no_overlap(b.interval for b in blocks)
                continue
            # Each block holds the cohort for its length plus the passing time after it, so
            # the day (plus one trailing passing time) is covered exactly.
            padded = []
            for b in blocks:
                held = self.m.new_int_var(0, self.units(self.p.day.minutes) + passing, "held")
                self.m.add(held == b.length + passing * b.present)
                padded_end = self.m.new_int_var(0, 10_000, "padded_end")
                self.m.add(padded_end == b.start + held)
                padded.append(
                    self.m.new_optional_interval_var(b.start, held, padded_end, b.present, "pad")
                    if not isinstance(b.present, int)
                    else self.m.new_interval_var(b.start, held, padded_end, "pad")
                )
                self.m.add(padded_end <= self.units(self.p.day.end) + passing)
            self.m.add_no_overlap(padded)
            self.m.add(
                sum(b.length + passing * b.present for b in blocks)
                == self.units(self.p.day.minutes) + passing
            )

    def add_combinations(self) -> None:
        """Combined cohorts (absence recovery): each following cohort's blocks of the station
        coincide with the leading cohort's, and take no staff or room of their own, so the
        shared block is one interval on the teacher's and the room's timelines."""
        present = {c.id for c in self.p.cohorts}
        for combination in self.p.combined:
            cohorts = [c for c in combination.cohorts if c in present]
            if len(cohorts) < 2:
                continue
            lead = self.by_cohort_station.get((cohorts[0], combination.station), [])
            for cohort in cohorts[1:]:
                follow = self.by_cohort_station.get((cohort, combination.station), [])
                # Blocks beyond the other cohort's count never happen (a mandatory one cannot).
                for extra in [*follow[len(lead) :], *lead[len(follow) :]]:
                    self.m.add(extra.present == 0)
                for block, first in zip(follow, lead, strict=False):
                    self.m.add(block.start == first.start)
                    self.m.add(block.length == first.length)
                    if block.present is not first.present:
                        self.m.add(block.present == first.present)
                    self.leads[id(block)] = first

    def add_staff(self) -> None:
        """H4: qualified, assigned, available staff, one place at a time; H7: prep."""
        for block in self.blocks:
            station = block.station
            if id(block) in self.leads:
                continue  # a combined block: its lead's staff and room (add_combinations)
            if station.staff_role is None:
                room = self.p.venue_room(block.cohort, station, None)
                block.options.append((None, block.present, block.interval, room))
                continue
            candidates = [
                sid
                for sid in self.p.candidates(block.cohort.id, station.code)
                if self.p.member(sid).available and station.staff_role in self.p.member(sid).roles
            ]
            if len(candidates) == 1:
                sid = candidates[0]
                block.options.append(
                    (
                        sid,
                        block.present,
                        block.interval,
                        self.p.venue_room(block.cohort, station, sid),
                    )
                )
                continue
            literals = []
            for sid in candidates:
                chosen = self.m.new_bool_var(f"{block.interval.name}_by_{sid}")
                interval = self.m.new_optional_interval_var(
                    block.start, block.length, block.end, chosen, f"{block.interval.name}_{sid}"
                )
                literals.append(chosen)
                block.options.append(
                    (sid, chosen, interval, self.p.venue_room(block.cohort, station, sid))
                )
            self.m.add(sum(literals) == block.present)

        for block in self.blocks:
            for staff_id, literal, interval, _room in block.options:
                if staff_id is not None:
                    self.staff_intervals[staff_id].append(interval)
                    self.staff_blocks[staff_id].append((block, literal))

        day = self.p.day
        prep_window = self.p.prep_window or day
        for member in self.p.staff:
            if member.id not in self.staff_intervals and not member.prep_minutes:
                continue
            if not member.available:
                continue
            intervals = self.staff_intervals[member.id]
            teaching = list(intervals)
            intervals.extend(self.fixed(w, "away") for w in unavailable(member.available, day))
            if member.prep_minutes and member.id in self.staff_blocks:
                size = self.units(member.prep_minutes)
                start = self.m.new_int_var(
                    self.units(prep_window.start), self.units(prep_window.end) - size, "prep"
                )
                if self.explain:
                    prep = self.m.new_optional_interval_var(
                        start,
                        size,
                        start + size,
                        self.setting(
                            f"prep:{member.id}",
                            Reason(
                                code="prep",
                                message=(
                                    f"{member.name}'s {member.prep_minutes} minutes of prep in "
                                    "one stretch"
                                ),
                                suggestion=f"Shorten {member.name}'s prep or free their day.",
                                setting=f"staff:{member.id}",
                            ),
                        ),
                        f"prep_{member.id}",
                    )
                else:
                    prep = self.m.new_interval_var(start, size, start + size, f"prep_{member.id}")
                self.prep[member.id] = prep
                intervals.append(prep)
            previous_end: LinearExpr | None = None
            for minutes in sorted(self.reserved.get(member.id, ())):
                size = self.units(minutes)
                start = self.m.new_int_var(self.units(day.start), self.units(day.end) - size, "")
                intervals.append(self.m.new_interval_var(start, size, start + size, "reserved"))
                if previous_end is not None:
                    self.m.add(start >= previous_end)  # interchangeable: taken in order
                previous_end = start + size
            if self.p.wellbeing is not None and member.id in self.staff_blocks:
                lunch = self.lunch_of(member)
                if lunch is not None:
                    intervals.append(lunch)
                self.add_breaks(member, teaching)
            self.m.add_no_overlap(intervals)
            self.add_compactness(member.id)

    def add_compactness(self, staff_id: int) -> None:
        """S5: the span from a teacher's first to last block, in units."""
        weight = self.p.weights.compact_staff
        blocks = self.staff_blocks.get(staff_id, [])
        if not weight or len(blocks) < 2:
            return
        lo, hi = self.units(self.p.day.start), self.units(self.p.day.end)
        first = self.m.new_int_var(lo, hi, f"first_{staff_id}")
        last = self.m.new_int_var(lo, hi, f"last_{staff_id}")
        for block, literal in blocks:
            if isinstance(literal, int):
                self.m.add(first <= block.start)
                self.m.add(last >= block.end)
            else:
                self.m.add(first <= block.start).only_enforce_if(literal)
                self.m.add(last >= block.end).only_enforce_if(literal)
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
        span = self.m.new_int_var(0, hi - lo, f"span_{staff_id}")
        self.m.add(span == last - first)
        self.m.add(span >= sum(taught))
        self.penalties.append(weight * span)
        self.spans[staff_id] = weight * span

    def add_rooms(self) -> None:
        """H4: a single-cohort room holds one block at a time."""
        staff_of_room: dict[int, set[int | None]] = defaultdict(set)
        for block in self.blocks:
            for sid, _literal, interval, room in block.options:
                if room is None:
                    continue
                self.room_intervals[room].append((block.cohort.id, interval))
                staff_of_room[room].add(sid)
        for room_id, entries in self.room_intervals.items():
            if self.p.room(room_id).shared or len({cohort for cohort, _ in entries}) < 2:
                continue
            staff = staff_of_room[room_id]
            if len(staff) == 1 and None not in staff:
                continue  # already one staff member's NoOverlap
            self.m.add_no_overlap(interval for _, interval in entries)

    def add_shared_rooms(self) -> None:
        """H5 and H6: labs by students (seats, supervisors), cafeteria and gym by cohorts."""
        supervision = {s.lab: s for s in self.p.supervision}
        weight = self.p.weights.lab_balance
        for room in self.p.rooms:
            entries = [
                (block, interval)
                for block in self.blocks
                for _sid, _literal, interval, room_id in block.options
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
                    peak = self.m.new_int_var_from_domain(
                        cp_model.Domain.from_values(range(0, room.capacity + 1, step)),
                        f"peak_{room.id}",
                    )
                    self.penalties.append(weight * peak)
                    # Redundant, for the bound: the busiest moment holds at least the average.
                    horizon = self.units(self.p.day.minutes)
                    self.m.add(
                        peak * horizon
                        >= sum(d * b.length for d, (b, _) in zip(demands, entries, strict=True))
                    )
                self.m.add_cumulative(
                    intervals + [iv for iv, _ in reserved], demands + [d for _, d in reserved], peak
                )
                self.add_lanes(room.id, entries, cohorts_that_fit(room.capacity, demands))
                if room.id in supervision and self.p.wellbeing is not None:
                    self.add_supervisor_rests(supervision[room.id], entries)
            elif room.kind in (RoomKind.CAFETERIA, RoomKind.GYM) and room.capacity < len(entries):
                self.m.add_cumulative([iv for _, iv in entries], [1] * len(entries), room.capacity)

    def add_lanes(
        self, room_id: int, entries: list[tuple[_Block, cp_model.IntervalVar]], lanes: int
    ) -> None:
        """Redundant lanes: when at most ``lanes`` cohorts fit in the lab at once, its blocks can
        be packed into ``lanes`` sequences (intervals of one length of time colour like an
        interval graph). A NoOverlap per lane propagates far more than the cumulative alone."""
        if lanes >= len(entries):
            return
        self.m.add_cumulative([iv for _, iv in entries], [1] * len(entries), lanes)
        lane_intervals: list[list[cp_model.IntervalVar]] = [[] for _ in range(lanes)]
        for position, (block, _interval) in enumerate(entries):
            choices = []
            # Lanes are interchangeable: the i-th block may only open lane i.
            for lane in range(min(lanes, position + 1)):
                chosen = self.m.new_bool_var(f"lane_{room_id}_{lane}")
                lane_intervals[lane].append(
                    self.m.new_optional_interval_var(
                        block.start, block.length, block.end, chosen, ""
                    )
                )
                choices.append(chosen)
            self.m.add(sum(choices) == block.present)
        for intervals in lane_intervals:
            self.m.add_no_overlap(intervals)

    # --- staff well-being (W1-W3, see problem.WellBeing) ----------------------------------------
    def lunch_starts(self, member: StaffMember) -> list[tuple[int, int]]:
        """Where ``member``'s lunch may start, as ranges of units: inside the lunch window and
        their hours, on the grid. Empty when their hours hold no whole lunch inside the window
        (a part-day absence): they are not there for lunch and need none (the validator agrees)."""
        wellbeing = self.p.wellbeing
        assert wellbeing is not None
        size = -(-wellbeing.lunch_minutes // self.u)
        window = wellbeing.lunch_window
        ranges = []
        for start, end in merged(member.available):
            lo = -(-max(start, window.start) // self.u)
            hi = min(end, window.end) // self.u - size
            if lo <= hi:
                ranges.append((lo, hi))
        return ranges

    def lunch_reason(self, member: StaffMember) -> cp_model.IntVar:
        wellbeing = self.p.wellbeing
        assert wellbeing is not None
        window = wellbeing.lunch_window
        return self.setting(
            f"lunch:{member.id}",
            Reason(
                code="staff-lunch",
                message=(
                    f"{member.name}'s {wellbeing.lunch_minutes}-minute staff lunch between "
                    f"{clock(window.start)} and {clock(window.end)}"
                ),
                suggestion=(
                    f"Widen the staff lunch window in School settings, or free {member.name}'s day."
                ),
                setting="school",  # the rule lives in School settings
            ),
        )

    def breaks_reason(self, member: StaffMember) -> cp_model.IntVar:
        wellbeing = self.p.wellbeing
        assert wellbeing is not None
        return self.setting(
            f"breaks:{member.id}",
            Reason(
                code="staff-breaks",
                message=(
                    f"{member.name}'s break of {wellbeing.min_break} minutes in every "
                    f"{wellbeing.max_stretch} minutes of teaching or supervising"
                ),
                suggestion=(
                    "Lengthen the longest teaching stretch in School settings, or give "
                    f"{member.name} fewer blocks."
                ),
                setting="school",  # the rule lives in School settings
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
            assert self.p.wellbeing is not None
            size = -(-self.p.wellbeing.lunch_minutes // self.u)
            start = self.m.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(r) for r in ranges]), f"lunch_{member.id}"
            )
            if self.explain:
                lunch = self.m.new_optional_interval_var(
                    start, size, start + size, self.lunch_reason(member), f"lunch_{member.id}"
                )
            else:
                lunch = self.m.new_fixed_size_interval_var(start, size, f"lunch_{member.id}")
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
        wellbeing = self.p.wellbeing
        assert wellbeing is not None
        stretch = wellbeing.max_stretch // self.u
        pause = -(-wellbeing.min_break // self.u)
        lo, hi = self.units(self.p.day.start), self.units(self.p.day.end)
        if not teaching or hi - lo <= stretch:
            return
        count = 2 * -(-(hi - lo - stretch) // (stretch + pause))
        enforce = [self.breaks_reason(member)] if self.explain else []
        breaks: list[cp_model.IntervalVar] = []
        ends: LinearExpr = lo
        previous: cp_model.IntVar | None = None
        for _ in range(count):
            start = self.m.new_int_var(lo - pause, hi, f"break_{member.id}")
            breaks.append(self.m.new_fixed_size_interval_var(start, pause, f"break_{member.id}"))
            self.m.add(start <= ends + stretch).only_enforce_if(enforce)
            if previous is not None:
                self.m.add(start >= previous)
            previous, ends = start, start + pause
        self.m.add(ends + stretch >= hi).only_enforce_if(enforce)
        self.m.add_cumulative(teaching + breaks, [count] * len(teaching) + [1] * count, count)

    def add_split_apart(self) -> None:
        """W3: two blocks of a split station for one cohort are not back to back with the same
        teacher. The model keeps the passing time after every block, so "back to back" is the
        next block starting right after the passing time."""
        if self.p.wellbeing is None:
            return
        passing = self.units(self.p.passing_minutes)
        enforce = []
        if self.explain:
            enforce = [
                self.setting(
                    "split",
                    Reason(
                        code="split-apart",
                        message=(
                            "the rule that a split station's blocks are not back to back with "
                            "the same teacher"
                        ),
                        suggestion="Allow fewer blocks of the split stations.",
                        setting="school",
                    ),
                )
            ]
        for blocks in self.by_cohort_station.values():
            for first, then in itertools.pairwise(blocks):
                teachers = {sid: literal for sid, literal, _iv, _room in first.options}
                for sid, literal, _iv, _room in then.options:
                    if sid is None or sid not in teachers:
                        continue
                    when = [
                        lit
                        for lit in (teachers[sid], literal, *enforce)
                        if not isinstance(lit, int)
                    ]
                    self.m.add(then.start > first.end + passing).only_enforce_if(when)

    def add_supervisor_rests(
        self, supervision: LabSupervision, entries: list[tuple[_Block, cp_model.IntervalVar]]
    ) -> None:
        """W1 and W2 for a lab's supervisors: a cumulative of its own (the seat cumulative stays
        as it is) where the students in the lab and each supervisor off duty (away, at lunch, on
        a break) share what all the supervisors can watch together."""
        ratio = supervision.students_per_adult
        supervisors = sorted(set(supervision.supervisors))
        intervals = [iv for _, iv in entries]
        demands = [b.cohort.students for b, _ in entries]
        for sid in supervisors:
            member = self.p.member(sid)
            for window in unavailable(member.available, self.p.day):
                intervals.append(self.fixed(window, "away"))
                demands.append(ratio)
            rests = self.supervisor_rests(member)
            intervals.extend(rests)
            demands.extend([ratio] * len(rests))
        self.m.add_cumulative(intervals, demands, len(supervisors) * ratio)

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
        wellbeing = self.p.wellbeing
        assert wellbeing is not None
        stretch = wellbeing.max_stretch // self.u
        pause = -(-wellbeing.min_break // self.u)
        lunch = -(-wellbeing.lunch_minutes // self.u)
        window = wellbeing.lunch_window
        lunch_lo, lunch_hi = -(-window.start // self.u), window.end // self.u
        day_lo, day_hi = self.units(self.p.day.start), self.units(self.p.day.end)
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
            lo = max(day_lo, -(-start_minute // self.u))
            hi = min(day_hi, end_minute // self.u)
            if hi <= lo:
                continue
            count = 2 * -(-max(0, hi - lo - stretch) // (stretch + pause)) + 1
            ends: LinearExpr = lo
            for _ in range(count):
                present = self.m.new_bool_var(f"rest_{member.id}")
                start = self.m.new_int_var(lo, hi, f"rest_{member.id}")
                length = self.m.new_int_var(0, hi - lo, f"rest_{member.id}")
                end = self.m.new_int_var(lo, hi, f"rest_{member.id}")
                rests.append(
                    self.m.new_optional_interval_var(
                        start, length, end, present, f"rest_{member.id}"
                    )
                )
                self.m.add(end == start + length)
                self.m.add(length >= pause).only_enforce_if(present)
                self.m.add(length == 0).only_enforce_if(present.negated())
                self.m.add(start == ends).only_enforce_if(present.negated())
                self.m.add(start >= ends)
                self.m.add(start <= ends + stretch).only_enforce_if(rest_enforce)
                if needs_lunch and min(hi, lunch_hi) - max(lo, lunch_lo) >= lunch:
                    holds = self.m.new_bool_var(f"lunch_{member.id}")
                    self.m.add_implication(holds, present)
                    # A stretch of ``lunch`` inside the window: long enough, and reaching far
                    # enough into the window from either side.
                    self.m.add(length >= lunch).only_enforce_if(holds)
                    self.m.add(start <= lunch_hi - lunch).only_enforce_if(holds)
                    self.m.add(end >= lunch_lo + lunch).only_enforce_if(holds)
                    lunch_flags.append(holds)
                ends = end
            self.m.add(ends + stretch >= hi).only_enforce_if(rest_enforce)
        # (No rest can hold a lunch that fits only across the day's edge: none is asked for.)
        if needs_lunch and lunch_flags:
            enforce = [self.lunch_reason(member)] if self.explain else []
            self.m.add_bool_or(lunch_flags).only_enforce_if(enforce)
        return rests

    def supervision_shortfall(
        self, seats: int, supervision: LabSupervision
    ) -> list[tuple[cp_model.IntervalVar, int]]:
        """Fixed intervals taking the seats that too few supervisors cannot watch (H6)."""
        day = self.p.day
        points = sorted(
            {day.start, day.end}
            | {
                t
                for sid in supervision.supervisors
                for w in self.p.member(sid).available
                for t in (w.start, w.end)
                if day.start < t < day.end
            }
        )
        reserved = []
        for a, b in itertools.pairwise(points):
            present = sum(
                1
                for sid in supervision.supervisors
                if any(w.start <= a and b <= w.end for w in self.p.member(sid).available)
            )
            watchable = present * supervision.students_per_adult
            if watchable < seats:
                reserved.append((self.fixed(Window(a, b), "unsupervised"), seats - watchable))
        return reserved

    def add_pins(self) -> None:
        """H8: each pin holds."""
        for pin in self.p.pins:
            matches = []
            for block in self.by_cohort_station.get((pin.cohort, pin.station), []):
                hit = self.m.new_bool_var("pin")
                self.m.add(block.start == self.units(pin.start)).only_enforce_if(hit)
                if pin.end is not None:
                    self.m.add(block.end == self.units(pin.end)).only_enforce_if(hit)
                if not isinstance(block.present, int):
                    self.m.add_implication(hit, block.present)
                matches.append(hit)
            holds = self.m.add_bool_or(matches)
            if self.explain:
                cohort = self.p.cohort(pin.cohort)
                holds.only_enforce_if(
                    self.setting(
                        f"pin:{pin.cohort}:{pin.station}:{pin.start}",
                        Reason(
                            code="pin",
                            message=(
                                f"the pin of {cohort.name}'s {pin.station} at {clock(pin.start)}"
                            ),
                            suggestion=f"Clear or move the pin of {cohort.name}'s {pin.station}.",
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
        pinned = {pin.cohort for pin in self.p.pins} | {b.cohort for b in self.p.previous}
        pinned |= {c for combination in self.p.combined for c in combination.cohorts}
        room_cohorts: dict[int, set[int]] = defaultdict(set)
        for block in self.blocks:
            for _sid, _literal, _iv, room_id in block.options:
                if room_id is not None:
                    room_cohorts[room_id].add(block.cohort.id)
        groups: dict[tuple, list[Cohort]] = defaultdict(list)
        for cohort in self.p.cohorts:
            if cohort.id in pinned:
                continue
            staffing = tuple(
                (s.code, tuple(sorted(self.p.candidates(cohort.id, s.code))))
                for s in self.p.template_of(cohort).stations
            )
            homeroom: object = cohort.homeroom
            if room_cohorts[cohort.homeroom] <= {cohort.id}:
                own = self.p.room(cohort.homeroom)
                homeroom = ("own", own.kind, own.capacity)
            # A template of its own (a recovery's conversion) makes a cohort unlike its grade.
            template = self.p.template_of(cohort)
            groups[(cohort.grade, cohort.students, staffing, homeroom, template)].append(cohort)
        for (_grade, _size, staffing, _homeroom, _template), cohorts in groups.items():
            # A station taught by one shared teacher cannot start at the same time for two
            # cohorts, so its first block strictly orders the group.
            shared = next((code for code, staff in staffing if len(staff) == 1), None)
            if shared is None:
                continue
            for a, b in itertools.pairwise(cohorts):
                self.m.add(
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
        if self.p.previous:
            return
        blocks_of: dict[int, list[_Block]] = defaultdict(list)
        room_users: dict[int, set[int | None]] = defaultdict(set)
        for block in self.blocks:
            for sid, _literal, _iv, room_id in block.options:
                if sid is not None:
                    blocks_of[sid].append(block)
                if room_id is not None:
                    room_users[room_id].add(sid)
        supervised: dict[int, set[int]] = defaultdict(set)
        for supervision in self.p.supervision:
            for sid in supervision.supervisors:
                supervised[sid].add(supervision.lab)
        place = {id(block): n for n, block in enumerate(self.blocks)}
        classes: dict[tuple, list[int]] = defaultdict(list)
        for sid, blocks in blocks_of.items():
            member = self.p.member(sid)
            # Two teachers in one room swap without moving anything in it; rooms of their own
            # swap when alike; a room of theirs someone else uses too ties them to it.
            room: object = member.room
            if member.room is not None and room_users[member.room] == {sid}:
                own = self.p.room(member.room)
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
                for sid, literal, _iv, _room in block.options:
                    if sid in rank and rank[sid] > position and not isinstance(literal, int):
                        self.m.add(literal == 0)

    def add_preferences(self) -> None:
        """S2: blocks inside their preferred windows; not right after the avoided station."""
        weight = self.p.weights.preferences
        if not weight:
            return
        for block in self.blocks:
            station = block.station
            if station.preferred is not None:
                inside = self.m.new_bool_var("inside")
                self.m.add(block.start >= self.units(station.preferred.start)).only_enforce_if(
                    inside
                )
                self.m.add(block.end <= self.units(station.preferred.end)).only_enforce_if(inside)
                # A literal of its own rather than ``present - inside``: the bound then sees
                # that the penalty is never negative.
                outside = self.m.new_bool_var("outside")
                held = [] if isinstance(block.present, int) else [block.present.negated()]
                self.m.add_bool_or([inside, outside, *held])
                self.penalties.append(weight * outside)
                self.cohort_penalties[block.cohort.id].append(weight * outside)
            if station.avoid_right_after is not None:
                for before in self.by_cohort_station.get(
                    (block.cohort.id, station.avoid_right_after), []
                ):
                    adjacent = self.m.new_bool_var("adjacent")
                    self.m.add(block.start != before.end).only_enforce_if(adjacent.negated())
                    self.penalties.append(weight * adjacent)
                    self.cohort_penalties[block.cohort.id].append(weight * adjacent)

    def team_terms(self, cohorts: Iterable[int], staff: Iterable[int]) -> LinearExpr:
        """The objective's terms that belong to a team: its cohorts' preferences (S2) and
        transitions (S3), its own staff's spans (S5)."""
        ids = set(cohorts)
        terms: list[LinearExpr] = [self.spans[sid] for sid in staff if sid in self.spans]
        for block in self.blocks:
            if block.cohort.id in ids and block.index > 0:
                terms.append(self.p.weights.transitions * block.present)
        for cohort in ids:
            terms.extend(self.cohort_penalties.get(cohort, ()))
        return sum(terms)

    def add_stability(self) -> None:
        """S1: keep each block of the last published day; hint the search with it."""
        weight = self.p.weights.stability
        for old in self.p.previous:
            blocks = self.by_cohort_station.get((old.cohort, old.station), [])
            if not blocks:
                continue
            # Reified both ways, so any day's cost counts exactly the blocks it moves: a day
            # found without the objective (a fast path, a construction) is then priced right,
            # and the optimiser's cap at that price is tight.
            kept = self.m.new_bool_var("kept")
            matches = []
            for block in blocks:
                same = self.m.new_bool_var("same")
                at = [
                    self.equals(block.start, self.units(old.start)),
                    self.equals(block.end, self.units(old.end)),
                ]
                if not isinstance(block.present, int):
                    at.append(block.present)
                self.m.add_bool_and(at).only_enforce_if(same)
                self.m.add_bool_or([same, *(a.negated() for a in at)])
                self.m.add_implication(same, kept)
                matches.append(same)
            self.m.add_bool_or(matches).only_enforce_if(kept)
            if weight:
                self.penalties.append(weight * (1 - kept))

    def equals(self, var: cp_model.IntVar, value: int) -> cp_model.IntVar:
        """A literal true exactly when ``var == value``."""
        literal = self.m.new_bool_var("")
        self.m.add(var == value).only_enforce_if(literal)
        self.m.add(var != value).only_enforce_if(literal.negated())
        return literal

    def add_hints(self, blocks: Iterable[PlacedBlock]) -> None:
        """Hint every block variable from ``blocks`` (a published or constructed day)."""
        by_station: dict[tuple[int, str], list[PlacedBlock]] = defaultdict(list)
        for old in sorted(blocks, key=lambda b: b.start):
            by_station[(old.cohort, old.station)].append(old)
        hinted: dict[int, int] = {}  # CP-SAT refuses a variable hinted twice

        def hint(var: cp_model.IntVar | int, value: int) -> None:
            if not isinstance(var, int) and var.index not in hinted:
                hinted[var.index] = value
                self.m.add_hint(var, value)

        for key, model_blocks in self.by_cohort_station.items():
            olds = by_station.get(key, [])
            for position, block in enumerate(model_blocks):
                given = olds[position] if position < len(olds) else None
                hint(block.present, int(given is not None))
                if given is None:
                    continue
                hint(block.start, self.units(given.start))
                hint(block.length, self.units(given.minutes))
                for sid, literal, _iv, _room in block.options:
                    hint(literal, int(sid in given.staff))

    def fixed(self, window: Window, name: str) -> cp_model.IntervalVar:
        start, end = self.units(window.start), self.units(window.end)
        return self.m.new_fixed_size_interval_var(start, end - start, name)

    # --- explanation ----------------------------------------------------------------------------
    def setting(self, key: str, reason: Reason) -> cp_model.IntVar:
        """The assumption literal of one leader's setting (shared by every constraint it makes)."""
        if key not in self.setting_keys:
            literal = self.m.new_bool_var(key)
            self.setting_keys[key] = literal
            self.settings[literal.index] = (literal, reason)
        return self.setting_keys[key]

    def conflicting_settings(self, check_seconds: float = 2.0) -> tuple[Reason, ...]:
        """A minimal set of settings that cannot hold together: the solver's core of assumption
        literals, shrunk by a deletion filter (drop each setting the conflict survives without).
        Under a work limit each check gets that much work, and seconds only as a safety net."""
        self.add_hard_constraints()
        if not self.settings:
            return ()
        work = self.o.work_limit
        if work is not None:
            check_seconds = max(check_seconds, self.o.time_limit)

        def infeasible_with(literals: list[cp_model.IntVar]) -> tuple[bool, list[int]]:
            self.m.clear_assumptions()
            self.m.add_assumptions(literals)
            solver = self.solver(check_seconds, first_only=True, work=work)
            solver.parameters.num_workers = 1
            status = solver.solve(self.m)
            if status != cp_model.INFEASIBLE:
                return False, []
            return True, list(solver.sufficient_assumptions_for_infeasibility())

        everything = [literal for literal, _ in self.settings.values()]
        proven, core_indices = infeasible_with(everything)
        if not proven:
            return ()
        core = [self.settings[i][0] for i in core_indices if i in self.settings] or everything
        for literal in list(core):
            rest = [other for other in core if other is not literal]
            if rest and infeasible_with(rest)[0]:
                core = rest
        reasons = [self.settings[literal.index][1] for literal in core]
        together = "; ".join(r.message for r in reasons)
        return tuple(
            Reason(
                code=r.code,
                message=f"These settings cannot all hold on {self.p.date}: {together}.",
                suggestion=r.suggestion,
                setting=r.setting,
            )
            for r in reasons
        )

    # --- search ---------------------------------------------------------------------------------
    def first(
        self, time_limit: float, *, work: float | None = None
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """Any valid day, from nothing."""
        solver = self.solver(time_limit, first_only=True, work=work)
        return solver, self.run(solver)

    def first_with_restarts(
        self, share: float, *, first_seed: int = 0
    ) -> tuple[list[PlacedBlock] | None, bool]:
        """Any valid day, by searches with growing limits and a new seed each, until ``share``
        of the budget is used: the time to a first day has a heavy tail over seeds, which
        restarts cut off. Each search runs on one worker, so a seed's attempts are reproducible;
        with two workers or more and no work limit, one racer per search order
        (``RESTART_STRATEGIES``) on a worker each, the first day found wins. Returns the day, or
        None and whether none exists."""
        racers = min(len(RESTART_STRATEGIES), self.o.workers)
        if self.o.work_limit is not None or racers < 2:
            # Deterministic: the orders take turns, each round's limit twice the last's.
            return self.restarts(RESTART_STRATEGIES, share, first_seed, _Race())
        race = _Race()
        results: dict[str, tuple[list[PlacedBlock] | None, bool]] = {}

        def racer(strategy: str) -> None:
            results[strategy] = self.restarts((strategy,), share, first_seed, race)
            race.finish()

        threads = [
            threading.Thread(target=racer, args=(strategy,), daemon=True)
            for strategy in RESTART_STRATEGIES[:racers]
        ]
        for thread in threads:
            thread.start()
        race.wait_for(threads)
        for strategy in RESTART_STRATEGIES[:racers]:
            found, proven = results.get(strategy, (None, False))
            if found is not None or proven:
                return found, proven
        return None, False

    def restarts(
        self, strategies: tuple[str, ...], share: float, first_seed: int, race: _Race
    ) -> tuple[list[PlacedBlock] | None, bool]:
        """Searches from nothing in the ``strategies`` orders by turns, until one finds a day or
        proves there is none, ``share`` of the budget is used, or ``race`` is over."""
        models: dict[str, cp_model.CpModel] = {}
        for strategy in strategies:
            models[strategy] = self.m.clone()
            self.use_strategy(strategy, models[strategy])
        attempt = 0
        while not race.over() and not self.budget.exhausted(share):
            rounds, turn = divmod(attempt, len(strategies))
            solver = self.solver(self.budget.seconds(share), first_only=True)
            solver.parameters.num_workers = 1
            solver.parameters.random_seed = self.o.seed + first_seed + attempt
            restart = RESTART_WORK * RESTART_GROWTH**rounds
            work = self.budget.work(share)
            solver.parameters.max_deterministic_time = min(restart, work or restart)
            race.running(solver)
            status = solver.solve(models[strategies[turn]])
            self.budget.charge(solver)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return list(self.extract(solver)), False
            if status == cp_model.INFEASIBLE:
                return None, True
            attempt += 1
        return None, False

    def first_from(
        self, blocks: Iterable[PlacedBlock], time_limit: float, *, work: float | None = None
    ) -> cp_model.CpSolver | None:
        """The day of ``blocks`` completed to a full assignment of the model, if it is valid."""
        self.m.clear_hints()
        self.add_hints(blocks)
        solver = self.solver(time_limit, first_only=True, work=work)
        solver.parameters.fix_variables_to_their_hinted_value = True
        status = self.run(solver)
        self.m.clear_hints()
        return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    def optimise(
        self, found: cp_model.CpSolver, time_limit: float, *, work: float | None = None
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """The soft goals, minimised from the day ``found`` (every variable hinted)."""
        self.m.clear_hints()
        # Variables made after ``found`` was solved (the team costs) have no value in it.
        known = len(found.response_proto.solution)
        for index in range(known):
            var = self.m.get_int_var_from_proto_index(index)
            self.m.add_hint(var, found.value(var))
        for cost, terms in self.team_costs:
            if cost.index >= known:
                self.m.add_hint(cost, found.value(terms))
        # Never worse than the day found: a single worker does not always follow the hint.
        self.m.add(self.objective <= int(found.value(self.objective)))
        # The same objective, each bounded team's terms replaced by its cost variable.
        self.m.minimize(
            cp_model.LinearExpr.sum(
                [self.objective, *(cost - terms for cost, terms in self.team_costs)]
            )
        )
        solver = self.solver(time_limit, first_only=False, work=work)
        # Patience is measured in seconds: under a work limit it would make the day depend on
        # the machine's speed.
        if self.o.patience is None or self.o.work_limit is not None:
            return solver, self.run(solver)
        with _StopWhenIdle(solver, self.o.patience) as idle:
            return solver, self.run(solver, idle)

    def run(
        self, solver: cp_model.CpSolver, callback: cp_model.CpSolverSolutionCallback | None = None
    ) -> cp_model.CpSolverStatus:
        """``solver`` on the model, its deterministic work charged to the budget."""
        status = solver.solve(self.m, callback)
        self.budget.charge(solver)
        return status

    def solver(
        self, time_limit: float, *, first_only: bool, work: float | None = None
    ) -> cp_model.CpSolver:
        """A solver stopping at ``time_limit`` seconds, or at ``work`` deterministic units when
        given (the seconds then only a safety net)."""
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = time_limit
        params.num_workers = max(1, self.o.workers)
        if work is not None:
            params.max_deterministic_time = work
            # Parallel workers race on wall time unless interleaved, which is deterministic.
            params.interleave_search = params.num_workers > 1
        params.random_seed = self.o.seed
        params.stop_after_first_solution = first_only
        return solver

    def unexplained(self, status: cp_model.CpSolverStatus) -> Reason:
        if status == cp_model.INFEASIBLE:
            return Reason(
                code="conflicting-settings",
                message=(
                    f"No schedule for {self.p.date} satisfies every setting together, although "
                    "each count (minutes, seats, staff time) adds up on its own."
                ),
                suggestion="Remove pins one at a time, or widen the fixed events' windows.",
                setting="school",
            )
        # Running out of time proves nothing: say the engine stopped, and at which limit (under
        # a work limit the seconds are only a safety net, so they are not the limit to quote).
        if self.o.work_limit is not None:
            spent = f"its work limit ({self.o.work_limit:g} units)"
            detail: tuple[tuple[str, int | float], ...] = (("work", self.o.work_limit),)
        else:
            spent = f"{self.o.time_limit:g} s"
            detail = (("seconds", self.o.time_limit),)
        return Reason(
            code="time-limit",
            message=(
                f"The engine stopped after {spent} without finding a day; this does not mean "
                "none exists."
            ),
            suggestion="Try for longer: build again with a longer time limit.",
            setting="school",
            detail=detail,
        )

    def extract(self, solver: cp_model.CpSolver) -> Iterable[PlacedBlock]:
        for block in self.blocks:
            if not isinstance(block.present, int) and not solver.value(block.present):
                continue
            staff: tuple[int, ...] = ()
            room = None
            for sid, literal, _iv, room_id in self.leads.get(id(block), block).options:
                if isinstance(literal, int) or solver.value(literal):
                    staff = (sid,) if sid is not None else ()
                    room = room_id
                    break
            yield PlacedBlock(
                cohort=block.cohort.id,
                station=block.station.code,
                start=solver.value(block.start) * self.u,
                end=solver.value(block.end) * self.u,
                room=room,
                staff=staff,
            )


class _Race:
    """Searches racing for a first day on threads of their own (CP-SAT releases the GIL): the
    first to return (a day, a proof that none exists, or its share of the budget spent) stops
    the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._over = threading.Event()
        self._solvers: list[cp_model.CpSolver] = []

    def over(self) -> bool:
        return self._over.is_set()

    def running(self, solver: cp_model.CpSolver) -> None:
        with self._lock:
            self._solvers.append(solver)

    def finish(self) -> None:
        self._over.set()

    def wait_for(self, threads: list[threading.Thread]) -> None:
        """Until every racer has returned. Once the race is over the others' searches are asked
        to stop, again and again: a stop that comes between a solver's set-up and its search
        would otherwise be lost."""
        while any(thread.is_alive() for thread in threads):
            if self._over.wait(0.01):
                with self._lock:
                    for solver in self._solvers:
                        solver.stop_search()
                for thread in threads:
                    thread.join(0.01)


class _StopWhenIdle(cp_model.CpSolverSolutionCallback):
    """Stops ``solver``'s search once no better solution came for ``patience`` seconds.

    CP-SAT calls back only on solutions, so a watcher thread measures the silence between
    them and asks the solver to stop (``stop_search`` is safe from another thread)."""

    def __init__(self, solver: cp_model.CpSolver, patience: float) -> None:
        super().__init__()
        self._solver = solver
        self._patience = patience
        self._last = time.monotonic()
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def on_solution_callback(self) -> None:
        self._last = time.monotonic()

    def _watch(self) -> None:
        while not self._done.wait(min(0.1, self._patience)):
            if time.monotonic() - self._last >= self._patience:
                self._solver.stop_search()
                return

    def __enter__(self) -> _StopWhenIdle:
        self._last = time.monotonic()
        self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._watcher.join()


def unavailable(available: tuple[Window, ...], day: Window) -> list[Window]:
    """The parts of ``day`` outside the ``available`` windows."""
    gaps, cursor = [], day.start
    for window in sorted(available, key=lambda w: w.start):
        if window.start > cursor:
            gaps.append(Window(cursor, min(window.start, day.end)))
        cursor = max(cursor, window.end)
        if cursor >= day.end:
            break
    if cursor < day.end:
        gaps.append(Window(cursor, day.end))
    return [g for g in gaps if g.start < day.end and g.end > day.start]


def merged(windows: Iterable[Window]) -> list[tuple[int, int]]:
    """The union of ``windows`` as sorted, disjoint ``(start, end)`` pairs (touching ones join)."""
    spans: list[tuple[int, int]] = []
    for window in sorted(windows, key=lambda w: w.start):
        if spans and window.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], window.end))
        else:
            spans.append((window.start, window.end))
    return spans


def moved_blocks(previous: Iterable[PlacedBlock], blocks: Iterable[PlacedBlock]) -> int:
    """How many blocks of the previous day are not kept exactly (same cohort, station, times).

    Counted on the schedules themselves rather than read from the model's penalty literals,
    which only the objective ties down.
    """
    kept = Counter((b.cohort, b.station, b.start, b.end) for b in blocks)
    moved = 0
    for old in previous:
        key = (old.cohort, old.station, old.start, old.end)
        if kept[key]:
            kept[key] -= 1
        else:
            moved += 1
    return moved
