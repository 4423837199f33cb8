"""Stage 1's search: how the day model (``model.py``) is solved within a solve's limits.

What makes it fast on the tight reference shapes (see bench/FINDINGS.md):
- a first day constructed lab by lab from narrowed problems (decompose.py), then completed in
  the whole model and optimised from there; each lab's search races two branching orders (the
  labs early to late, or the labs and then the whole day early to late) on a worker each;
- solution hints from the last published day of the same day type, which also anchor S1.

The bound: each term has its own minimum in the model (a teacher's span at least the minutes
they teach, a lab's peak at least its average load), and before optimising, each team (a
grade's cohorts with the teachers only they have) is solved alone with the rest of the school
relaxed; its optimum bounds the team's terms in any day (``SolvePhases.add_team_bounds``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from ..decompose import (
    assign_pools,
    components,
    independent,
    lab_lanes_by_grade,
    later_demand,
    restricted_to,
    room_shares,
    team_relaxation,
    teams,
    whole_lab_blocks,
)
from ..precheck import precheck
from ..problem import Cohort, Infeasible, PlacedBlock, Problem, Reason, Solution, SolveStats
from ..words import tr
from .model import LABS, LABS_THEN_DAY, DayModel

# Deterministic work of the first restart (about 0.3 s on this machine), growing geometrically:
# the reference shapes' labs build within 0.05 (M) to 0.15 (L) units at the median over seeds,
# with a tail to 6 times that which restarts with new seeds cut off. Tripling rather than
# doubling: L's last lab (its shared specials teachers' days already fixed) often needs 0.3-0.8
# units in one search, which doubling restarts reach only after throwing away 0.7.
RESTART_WORK = 0.1
RESTART_GROWTH = 3
# Shares of the budget (seconds, or deterministic work when ``work_limit`` is set) by phase.
# The construction may take 70% (it was 60% until L's labs, built with tripling restarts, needed
# more): the rest is left for the whole-school search when it fails, and for optimising when it
# succeeds. More would give L's slowest seeds a first day more often at the cost of the days'
# quality (less time to optimise) and of the time left to prove that no day exists.
CONSTRUCT_SHARE = 0.7
# The published day as it was is a complete, fixed hint: CP-SAT accepts or refuses it in about
# 10 ms, so the fast path gets a quarter of the budget and never more than 2 seconds (0.6 units
# of work, about as long on the 2-core reference machine): a day that no longer holds costs
# that little before the construction starts.
PREVIOUS_SHARE = 0.25
PREVIOUS_SECONDS = 2.0
PREVIOUS_WORK = 0.6
# The team bounds (``SolvePhases.add_team_bounds``) take at most this share of what is left, and
# each team at most TEAM_WORK units: a reference grade's team proves its optimum in 0.15-0.4.
TEAM_SHARE = 0.2
TEAM_WORK = 0.5
# The top of a team cost variable's domain: far above any day's cost (minutes times the soft
# goals' weights), so it never binds, yet far below CP-SAT's 64-bit overflow checks of the
# objective that sums these costs.
TEAM_COST_MAX = 10**9
# CP-SAT reports its bound as a float: an integral bound may come back a hair above the integer
# (193.0000001), whose ceiling would overstate it by one. Far below the objective's step of 1.
BOUND_TOLERANCE = 1e-6
# A lab whose day the ones before it make impossible has the lab before rebuilt from this much
# further along the seeds: each restart takes the next seed, and no lab takes 1,000 restarts
# within a budget (RESTART_GROWTH makes the 15th alone about 480,000 units), so the rebuilt lab
# never repeats a seed it already tried.
REBUILD_SEED_STRIDE = 1000
# Each CP-SAT call gets at least this many seconds, and this much work under a work limit, even
# when its share is spent (no reason is recorded; what they trade): a late phase still runs
# rather than being handed a limit of zero or less, which is enough for a day given as a
# complete hint (about 10 ms) and for the optimiser to return the day it starts from, at the
# price of overrunning the time limit by up to 0.1 s a call.
MIN_SECONDS = 0.1
MIN_WORK = 0.001
# A share with less than this left starts no more restarts (no reason is recorded; what they
# trade): a search that short does little more than CP-SAT's set-up and presolve, so it would
# spend the budget without a chance of a day; a larger margin would give up on a lab earlier.
EXHAUSTED_WORK = 0.005
EXHAUSTED_SECONDS = 0.05
# Each check of the explanation's deletion filter stops after this many seconds (under a work
# limit, the work limit, with these seconds only a safety net): the reference shapes' conflicts
# are proven in 1-5 ms, and a setting whose check times out stays in the explanation (it is
# named rather than dropped on a guess), so a longer limit only makes a rare explanation shorter.
EXPLAIN_CHECK_SECONDS = 2.0
# How often the racers' watcher asks the losers to stop once the race is won (seconds): a losing
# search runs at most about this long after the winner, for a hundred wake-ups a second.
RACE_POLL_SECONDS = 0.01
# How often the patience watcher looks at the silence since the last solution (seconds, or the
# patience itself when shorter): patience is measured to a tenth of a second.
IDLE_POLL_SECONDS = 0.1
# The first finds S's and M's days fastest (0.06-0.3 units against 0.3-0.6), the second L's
# (0.3-1.1 units over five seeds where the first takes 0.8-5): the construction races them on
# two workers, or takes them in turn on one worker or under a work limit.
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

    # The limit the bench measures every shape at (bench/FINDINGS.md: first days and gaps at 10 s).
    time_limit: float = 10.0
    # One per core of the 2-core reference machine: more workers than cores only share them.
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
        self.options = options
        self.began = time.perf_counter()
        self.work_spent = 0.0

    def seconds(self, share: float = 1.0) -> float:
        """Seconds left before ``share`` of the time limit is used (at least MIN_SECONDS)."""
        return max(
            MIN_SECONDS, self.options.time_limit * share - (time.perf_counter() - self.began)
        )

    def work(self, share: float = 1.0) -> float | None:
        """Work left before ``share`` of the work limit is used, or None without one."""
        if self.options.work_limit is None:
            return None
        return max(MIN_WORK, self.options.work_limit * share - self.work_spent)

    def exhausted(self, share: float = 1.0) -> bool:
        work_limit = self.options.work_limit
        if work_limit is not None and work_limit * share - self.work_spent < EXHAUSTED_WORK:
            return True
        elapsed = time.perf_counter() - self.began
        return self.options.time_limit * share - elapsed <= EXHAUSTED_SECONDS

    def charge(self, solver: cp_model.CpSolver) -> None:
        self.work_spent += solver.deterministic_time

    def fork(self) -> _Budget:
        """A budget for a search run beside others: the same clock and work spent so far, then
        charged on its own (the caller adds what it spent back)."""
        child = _Budget(self.options)
        child.began, child.work_spent = self.began, self.work_spent
        return child


def solve(problem: Problem, options: SolveOptions | None = None) -> Solution | Infeasible:
    """Build the day's rotations, or say why none exists."""
    options = options or SolveOptions()
    reasons = precheck(problem)
    if reasons:
        return Infeasible(reasons=reasons)
    result = SolvePhases(problem, options).run()
    if isinstance(result, Infeasible) and result.stats and result.stats.status == "INFEASIBLE":
        core = ModelSearch(DayModel(problem, explain=True), options).conflicting_settings()
        if core:
            return Infeasible(reasons=core, stats=result.stats)
    return result


class SolvePhases:
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
        self.problem = problem
        self.options = options
        self.budget = _Budget(options)
        self.began = self.budget.began

    def left(self) -> float:
        return self.budget.seconds()

    def searched(
        self,
        problem: Problem,
        *,
        symmetry: bool = True,
        reserved: Mapping[int, tuple[int, ...]] | None = None,
        options: SolveOptions | None = None,
        budget: _Budget | None = None,
    ) -> ModelSearch:
        """The built day model of ``problem``, searched under this solve's options and budget
        (or ``options`` and ``budget``)."""
        day = DayModel(problem, symmetry=symmetry, reserved=reserved)
        day.build()
        return ModelSearch(day, options or self.options, budget or self.budget)

    def run(self) -> Solution | Infeasible:
        budget = self.budget
        stage = self.searched(self.problem, symmetry=False)
        solver: cp_model.CpSolver | None = None
        if self.problem.previous and self.options.use_hints:
            work = budget.work()
            solver = stage.first_from(
                self.problem.previous,
                min(PREVIOUS_SECONDS, self.left() * PREVIOUS_SHARE),
                work=None if work is None else min(PREVIOUS_WORK, work * PREVIOUS_SHARE),
            )
        if solver is None:
            built = self.construct(share=CONSTRUCT_SHARE)
            if built is not None:
                solver = stage.first_from(built, self.left(), work=budget.work())
        if solver is None:
            stage = self.searched(self.problem, symmetry=True)
            solver, searched = stage.first(self.left(), work=budget.work())
            if searched not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return Infeasible(
                    reasons=(stage.unexplained(searched),),
                    stats=self.stats(solver, searched, False),
                )
        status: cp_model.CpSolverStatus = cp_model.FEASIBLE
        optimised_day = False
        if not self.options.first_solution_only:
            found = list(stage.day.extract(solver))
            self.add_team_bounds(stage.day)
            optimiser, optimised = stage.optimise(solver, self.left(), work=budget.work())
            # The found day's stability literals are not tied down (only the objective does
            # that), so its cost can overstate the moves: keep it if optimising moved more.
            if optimised in (cp_model.OPTIMAL, cp_model.FEASIBLE) and moved_blocks(
                self.problem.previous, stage.day.extract(optimiser)
            ) <= moved_blocks(self.problem.previous, found):
                solver, status, optimised_day = optimiser, optimised, True
        blocks = tuple(stage.day.extract(solver))
        return Solution(
            blocks=blocks,
            stats=self.stats(solver, status, optimised_day),
            moved_blocks=moved_blocks(self.problem.previous, blocks),
        )

    def construct(self, share: float) -> list[PlacedBlock] | None:
        """A valid day built lab by lab from the narrowed problem within ``share`` of the
        budget, or None. Labs that share nothing that holds one class at a time are built apart,
        on a worker each (in turn on one worker)."""
        narrowed = whole_lab_blocks(self.problem)
        labs = components(narrowed)
        narrowed = assign_pools(lab_lanes_by_grade(narrowed), [c for lab in labs for c in lab])
        if narrowed == self.problem and len(labs) == 1:
            return None  # nothing easier than the whole problem to try
        sets = independent(narrowed, labs)
        parts = (
            room_shares(narrowed, [[c for i in lab_set for c in labs[i]] for lab_set in sets])
            if len(sets) > 1
            else None
        )
        if parts is None:
            return self.build_labs(narrowed, labs, share, self.options, self.budget, _Race())
        jobs = [
            (part, [labs[i] for i in lab_set]) for part, lab_set in zip(parts, sets, strict=True)
        ]
        if self.options.workers < 2:
            built: list[PlacedBlock] = []
            for part, part_labs in jobs:
                found = self.build_labs(part, part_labs, share, self.options, self.budget, _Race())
                if found is None:
                    return None  # the day needs every set
                built.extend(found)
            return built
        return self.build_sets_beside(jobs, share)

    def build_sets_beside(
        self, jobs: list[tuple[Problem, list[list[Cohort]]]], share: float
    ) -> list[PlacedBlock] | None:
        """Each set of labs built on a worker of its own, each with a budget of its own forked
        from this one, so a set's search depends on its own work alone (under a work limit the
        day is still a function of the seed). On seconds, a set that finds no day stops the
        others: the day needs them all. Under a work limit every set runs its course, so the
        work charged, and what the solve does next, does not depend on the threads' timing."""
        alone = replace(self.options, workers=1)
        forked_at = self.budget.work_spent
        budgets = [self.budget.fork() for _ in jobs]
        race = _Race()
        found: dict[int, list[PlacedBlock] | None] = {}

        def build(index: int) -> None:
            part, part_labs = jobs[index]
            found[index] = self.build_labs(part, part_labs, share, alone, budgets[index], race)
            if found[index] is None and self.options.work_limit is None:
                race.finish()

        pending = list(range(len(jobs)))
        while pending and not race.over():
            threads = [
                threading.Thread(target=build, args=(index,), daemon=True)
                for index in pending[: self.options.workers]
            ]
            pending = pending[self.options.workers :]
            for thread in threads:
                thread.start()
            race.wait_for(threads)
        self.budget.work_spent += sum(b.work_spent - forked_at for b in budgets)
        if len(found) < len(jobs) or any(built is None for built in found.values()):
            return None
        return [block for index in range(len(jobs)) for block in found[index] or ()]

    def build_labs(
        self,
        problem: Problem,
        labs: list[list[Cohort]],
        share: float,
        options: SolveOptions,
        budget: _Budget,
        race: _Race,
    ) -> list[PlacedBlock] | None:
        """``labs`` built in order, each held where it is; when a lab finds no day around the
        ones before it (they share a specials teacher), the lab before is built again."""
        built: list[list[PlacedBlock]] = [[]]
        tries = [0] * len(labs)
        while len(built) <= len(labs):
            index = len(built) - 1
            stage = self.searched(
                restricted_to(problem, labs[index], built[-1]),
                reserved=later_demand(
                    problem, labs[index], [c for lab in labs[index + 1 :] for c in lab]
                ),
                options=options,
                budget=budget,
            )
            found, proven = stage.first_with_restarts(share, first_seed=tries[index], race=race)
            if found is not None:
                built.append(found)
            elif proven and index > 0:
                built.pop()
                tries[index - 1] += REBUILD_SEED_STRIDE
            else:
                return None
        return built[-1]

    def add_team_bounds(self, day: DayModel) -> None:
        """Redundant constraints for the bound: each team's terms (a grade's cohorts with the
        teachers only they have) cost at least the optimum of that team alone with the rest of
        the school relaxed (``team_relaxation``), which CP-SAT proves in a fraction of a second
        where the whole school's linear relaxation sees only each term's own minimum. Teams
        alike up to names (a school's grades often are) are solved once."""
        if self.problem.combined:
            return  # a combination ties cohorts together in ways the relaxation does not keep
        share = self.left() * TEAM_SHARE
        work = self.budget.work()
        work_cap = None if work is None else work * TEAM_SHARE
        spent, began = self.budget.work_spent, time.perf_counter()
        known: dict[str, int] = {}
        for cohorts, own in teams(self.problem):
            used = self.budget.work_spent - spent
            if (work_cap is not None and used >= work_cap) or time.perf_counter() - began >= share:
                break
            relaxed = self.searched(team_relaxation(self.problem, cohorts, own))
            ids = [c.id for c in cohorts]
            terms = relaxed.day.team_terms(ids, own)
            if isinstance(terms, int):
                continue  # nothing of theirs to bound
            relaxed.day.model.minimize(terms)
            shape = relaxed.day.model.clone().proto
            for variable in shape.variables:
                variable.clear_name()
            for constraint in shape.constraints:
                constraint.clear_name()
            key = str(shape)
            if key not in known:
                solver = relaxed.solver(
                    max(MIN_SECONDS, share - (time.perf_counter() - began)),
                    first_only=False,
                    work=None if work_cap is None else min(TEAM_WORK, work_cap - used),
                )
                status = relaxed.run(solver)
                # Any bound CP-SAT proves on the relaxation holds, optimum or not.
                proven = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                bound = math.ceil(solver.best_objective_bound - BOUND_TOLERANCE)
                known[key] = bound if proven else 0
            if known[key] > 0:
                # The team's cost as one variable in the objective: propagation alone then
                # carries its bound into the objective's (a search without the linear
                # relaxation, as one worker's, sees only each term's own minimum).
                terms = day.team_terms(ids, own)
                if not isinstance(terms, cp_model.LinearExpr):
                    continue  # a constant: nothing the search chooses
                cost = day.model.new_int_var(known[key], TEAM_COST_MAX, "team_cost")
                day.model.add(cost == terms)
                day.team_costs.append((cost, terms))

    def stats(
        self, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, objective: bool
    ) -> SolveStats:
        return SolveStats(
            status=solver.status_name(status),
            objective=solver.objective_value if objective else None,
            bound=solver.best_objective_bound if objective else None,
            wall_seconds=time.perf_counter() - self.began,
            workers=solver.parameters.num_workers,
            seed=self.options.seed,
        )


class ModelSearch:
    """CP-SAT runs on one ``DayModel`` under a solve's options, each charged to its budget."""

    def __init__(self, day: DayModel, options: SolveOptions, budget: _Budget | None = None) -> None:
        self.day = day
        self.options = options
        self.budget = budget or _Budget(options)

    def first(
        self, time_limit: float, *, work: float | None = None
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """Any valid day, from nothing."""
        solver = self.solver(time_limit, first_only=True, work=work)
        return solver, self.run(solver)

    def first_with_restarts(
        self, share: float, *, first_seed: int = 0, race: _Race | None = None
    ) -> tuple[list[PlacedBlock] | None, bool]:
        """Any valid day, by searches with growing limits and a new seed each, until ``share``
        of the budget is used: the time to a first day has a heavy tail over seeds, which
        restarts cut off. Each search runs on one worker, so a seed's attempts are reproducible;
        with two workers or more and no work limit, one racer per search order
        (``RESTART_STRATEGIES``) on a worker each, the first day found wins. Returns the day, or
        None and whether none exists. An outer ``race`` that is over stops the search too."""
        racers = min(len(RESTART_STRATEGIES), self.options.workers)
        if self.options.work_limit is not None or racers < 2:
            # Deterministic: the orders take turns, each round's limit RESTART_GROWTH times
            # the last's.
            return self.restarts(RESTART_STRATEGIES, share, first_seed, race or _Race())
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
            models[strategy] = self.day.model.clone()
            self.day.use_strategy(strategy, models[strategy])
        attempt = 0
        while not race.over() and not self.budget.exhausted(share):
            rounds, turn = divmod(attempt, len(strategies))
            solver = self.solver(self.budget.seconds(share), first_only=True)
            solver.parameters.num_workers = 1
            solver.parameters.random_seed = self.options.seed + first_seed + attempt
            restart = RESTART_WORK * RESTART_GROWTH**rounds
            work = self.budget.work(share)
            solver.parameters.max_deterministic_time = min(restart, work or restart)
            race.running(solver)
            status = solver.solve(models[strategies[turn]])
            self.budget.charge(solver)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return list(self.day.extract(solver)), False
            if status == cp_model.INFEASIBLE:
                return None, True
            attempt += 1
        return None, False

    def first_from(
        self, blocks: Iterable[PlacedBlock], time_limit: float, *, work: float | None = None
    ) -> cp_model.CpSolver | None:
        """The day of ``blocks`` completed to a full assignment of the model, if it is valid."""
        self.day.model.clear_hints()
        self.add_hints(blocks)
        solver = self.solver(time_limit, first_only=True, work=work)
        solver.parameters.fix_variables_to_their_hinted_value = True
        status = self.run(solver)
        self.day.model.clear_hints()
        return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    def add_hints(self, blocks: Iterable[PlacedBlock]) -> None:
        """Hint every block variable from ``blocks`` (a published or constructed day)."""
        day = self.day
        by_station: dict[tuple[int, str], list[PlacedBlock]] = defaultdict(list)
        for old in sorted(blocks, key=lambda b: b.start):
            by_station[(old.cohort, old.station)].append(old)
        hinted: dict[int, int] = {}  # CP-SAT refuses a variable hinted twice

        def hint(var: cp_model.IntVar | int, value: int) -> None:
            if not isinstance(var, int) and var.index not in hinted:
                hinted[var.index] = value
                day.model.add_hint(var, value)

        for key, model_blocks in day.by_cohort_station.items():
            olds = by_station.get(key, [])
            for position, block in enumerate(model_blocks):
                given = olds[position] if position < len(olds) else None
                hint(block.present, int(given is not None))
                if given is None:
                    continue
                hint(block.start, day.units(given.start))
                hint(block.length, day.units(given.minutes))
                for sid, literal, _iv, _room in block.staffings:
                    hint(literal, int(sid in given.staff))

    def optimise(
        self, found: cp_model.CpSolver, time_limit: float, *, work: float | None = None
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """The soft goals, minimised from the day ``found`` (every variable hinted)."""
        model = self.day.model
        model.clear_hints()
        # Variables made after ``found`` was solved (the team costs) have no value in it.
        known = len(found.response_proto.solution)
        for index in range(known):
            var = model.get_int_var_from_proto_index(index)
            model.add_hint(var, found.value(var))
        for cost, terms in self.day.team_costs:
            if cost.index >= known:
                model.add_hint(cost, found.value(terms))
        # Never worse than the day found: a single worker does not always follow the hint.
        model.add(self.day.objective <= int(found.value(self.day.objective)))
        # The same objective, each bounded team's terms replaced by its cost variable.
        model.minimize(
            cp_model.LinearExpr.sum(
                [self.day.objective, *(cost - terms for cost, terms in self.day.team_costs)]
            )
        )
        solver = self.solver(time_limit, first_only=False, work=work)
        # Patience is measured in seconds: under a work limit it would make the day depend on
        # the machine's speed.
        if self.options.patience is None or self.options.work_limit is not None:
            return solver, self.run(solver)
        with _StopWhenIdle(solver, self.options.patience) as idle:
            return solver, self.run(solver, idle)

    def run(
        self, solver: cp_model.CpSolver, callback: cp_model.CpSolverSolutionCallback | None = None
    ) -> cp_model.CpSolverStatus:
        """``solver`` on the model, its deterministic work charged to the budget."""
        status = solver.solve(self.day.model, callback)
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
        params.num_workers = max(1, self.options.workers)
        if work is not None:
            params.max_deterministic_time = work
            # Parallel workers race on wall time unless interleaved, which is deterministic.
            params.interleave_search = params.num_workers > 1
        params.random_seed = self.options.seed
        params.stop_after_first_solution = first_only
        return solver

    def unexplained(self, status: cp_model.CpSolverStatus) -> Reason:
        """Why a search from nothing found no day: proven, or stopped at its limit."""
        options = self.options
        if status == cp_model.INFEASIBLE:
            return Reason(
                code="conflicting-settings",
                message=tr(
                    "No schedule for %(date)s satisfies every setting together, although each "
                    "count (minutes, seats, staff time) adds up on its own.",
                    date=self.day.problem.date,
                ),
                suggestion=tr("Remove pins one at a time, or widen the fixed events' windows."),
                setting="school",
            )
        # Running out of time proves nothing: say the engine stopped, and at which limit (under
        # a work limit the seconds are only a safety net, so they are not the limit to quote).
        if options.work_limit is not None:
            message = tr(
                "The engine stopped after its work limit (%(units)s units) without finding a "
                "day; this does not mean none exists.",
                units=f"{options.work_limit:g}",
            )
            detail: tuple[tuple[str, int | float], ...] = (("work", options.work_limit),)
        else:
            message = tr(
                "The engine stopped after %(seconds)s s without finding a day; this does not "
                "mean none exists.",
                seconds=f"{options.time_limit:g}",
            )
            detail = (("seconds", options.time_limit),)
        return Reason(
            code="time-limit",
            message=message,
            suggestion=tr("Try for longer: build again with a longer time limit."),
            setting="school",
            detail=detail,
        )

    def conflicting_settings(
        self, check_seconds: float = EXPLAIN_CHECK_SECONDS
    ) -> tuple[Reason, ...]:
        """A minimal set of settings that cannot hold together: the solver's core of assumption
        literals, shrunk by a deletion filter (drop each setting the conflict survives without).
        Under a work limit each check gets that much work, and seconds only as a safety net.
        The model must be in explain mode (``DayModel(..., explain=True)``) and not yet built."""
        day = self.day
        day.add_hard_constraints()
        if not day.settings:
            return ()
        work = self.options.work_limit
        if work is not None:
            check_seconds = max(check_seconds, self.options.time_limit)

        def infeasible_with(literals: list[cp_model.IntVar]) -> tuple[bool, list[int]]:
            day.model.clear_assumptions()
            day.model.add_assumptions(literals)
            solver = self.solver(check_seconds, first_only=True, work=work)
            solver.parameters.num_workers = 1
            status = solver.solve(day.model)
            if status != cp_model.INFEASIBLE:
                return False, []
            return True, list(solver.sufficient_assumptions_for_infeasibility())

        everything = [literal for literal, _ in day.settings.values()]
        proven, core_indices = infeasible_with(everything)
        if not proven:
            return ()
        core = [day.settings[i][0] for i in core_indices if i in day.settings] or everything
        for literal in list(core):
            rest = [other for other in core if other is not literal]
            if rest and infeasible_with(rest)[0]:
                core = rest
        reasons = [day.settings[literal.index][1] for literal in core]
        # The settings' own phrases (``DayModel.setting``), as many as the conflict holds.
        together = "; ".join(r.message for r in reasons)
        return tuple(
            Reason(
                code=r.code,
                message=tr(
                    "These settings cannot all hold on %(date)s: %(settings)s.",
                    date=day.problem.date,
                    settings=together,
                ),
                suggestion=r.suggestion,
                setting=r.setting,
            )
            for r in reasons
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
            if self._over.wait(RACE_POLL_SECONDS):
                with self._lock:
                    for solver in self._solvers:
                        solver.stop_search()
                for thread in threads:
                    thread.join(RACE_POLL_SECONDS)


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
        while not self._done.wait(min(IDLE_POLL_SECONDS, self._patience)):
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
