"""Plan a season of first home visits with CP-SAT: each household that said yes gets a pair and
a day; then each pair's day is ordered into a route with times.

The model chooses among *candidate visits* (household, lead, partner, day). A lead teaches one
of the household's children; the partners considered for a lead on a day are the few colleagues
free with them that day who best suit the family (a speaker of the family's language first, when
the lead does not speak it and the school has one), so the model stays small enough for a whole
network. An educator keeps one partner a day (their afternoon is one route), a pair's day holds
as many visits as fit its shared window, and each educator's week stays within their cap.

Objective, in order: place every household it can; then visit before the target day; then
spread the load (the most visits any educator makes); then fewer pair-days (longer routes,
less driving across days).

How: a greedy first plan (the households with the fewest possible visits first; a day takes
one more visit only when a route still fits it), then a large-neighbourhood search: a few
households at a time are planned afresh by CP-SAT around the rest (measured on generated
networks of 600 households: a whole-school model from the greedy hint improved nothing in
the time allowed, while small neighbourhoods solve to the end and place the households the
greedy could not). A chosen day that no route fits is forbidden and its neighbourhood solved
again. Each solve stops at a deterministic work limit (CP-SAT's own units), never after some
seconds, so a busy machine plans as well as an idle one (and one worker, the same plan).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from .problem import (
    ENGLISH,
    Educator,
    Household,
    PlannedVisit,
    Unplaced,
    UnplacedReason,
    VisitPlan,
    VisitProblem,
    Window,
)
from .routes import fits, order_day, travel_minutes

PLACE_WEIGHT = 10_000
EARLY_WEIGHT = 100
LOAD_WEIGHT = 20
PAIR_DAY_WEIGHT = 1
REPLAN_PASSES = 2
# A chosen day that no route fits is forbidden and the neighbourhood solved again, this many
# times at most.
FIT_ROUNDS = 2
# A neighbourhood's work at most (CP-SAT's deterministic units): a few dozen households
# solve to the end well within it.
NEIGHBOURHOOD_WORK = 0.25


@dataclass(frozen=True)
class PlanOptions:
    work_limit: float = 20.0  # CP-SAT deterministic time; about 10 s on the 2-core machine
    time_limit: float = 120.0  # a safety net only
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True)
class _Candidate:
    household: int
    lead: int
    partner: int
    day: datetime.date


def plan_visits(problem: VisitProblem, options: PlanOptions | None = None) -> VisitPlan:
    """Plan every household of ``problem`` that can be placed; ``problem.kept`` stays as it is.

    A pair-day's visits are routed once chosen; when a route runs past the window (addresses
    further apart than the model's allowance) its last stops are dropped, and every household
    not yet visited is planned again around the visits that stand, up to ``REPLAN_PASSES``
    times, before it is listed with the reason it could not be placed.
    """
    options = options or PlanOptions()
    season = _Season(problem)
    chosen, stats = season.solve(options)
    visits, dropped = season.routes(chosen)
    for _ in range(REPLAN_PASSES):
        if not dropped:
            break
        # Every household not yet visited gets another chance around the visits that stand.
        retry = _Season(replace(problem, kept=tuple(visits)))
        picked = [retry.candidates[i] for i in retry.greedy()]
        visits, dropped = retry.routes(picked)
    placed = {v.household for v in visits}
    placeable = season.kept_households | {c.household for c in season.candidates}
    unplaced = tuple(
        Unplaced(h.id, UnplacedReason.CAPS_FULL if h.id in dropped else season.reason(h))
        for h in problem.households
        if h.id not in placed
    )
    return VisitPlan(
        visits=tuple(sorted(visits, key=lambda v: (v.day, v.lead, v.partner, v.order))),
        unplaced=unplaced,
        placeable=len(placeable),
        optimal=placed >= placeable,
        stats=stats,
    )


def shared_window(a: Educator, b: Educator, day: datetime.date) -> tuple[int, int] | None:
    """The longest stretch both are free on ``day``, if any."""
    best: tuple[int, int] | None = None
    for wa in (w for w in a.windows if w.day == day):
        for wb in (w for w in b.windows if w.day == day):
            start, end = max(wa.start, wb.start), min(wa.end, wb.end)
            if end > start and (best is None or end - start > best[1] - best[0]):
                best = (start, end)
    return best


def speaks(educator: Educator, language: str) -> bool:
    return language == ENGLISH or language in educator.languages


class _Season:
    def __init__(self, problem: VisitProblem) -> None:
        self.problem = problem
        self.educators = {e.id: e for e in problem.educators}
        self.households = {h.id: h for h in problem.households}
        self.kept_households = {v.household for v in problem.kept}
        self.kept_by_pair_day: dict[tuple[int, int, datetime.date], list[PlannedVisit]] = (
            defaultdict(list)
        )
        for v in sorted(problem.kept, key=lambda v: v.start):
            self.kept_by_pair_day[_pair_day(v)].append(v)
        self.colleagues: dict[int, list[Educator]] = defaultdict(list)
        for e in problem.educators:
            self.colleagues[e.school].append(e)
        self.days: dict[int, set[datetime.date]] = {
            e.id: {w.day for w in e.windows} for e in problem.educators
        }
        self.candidates: list[_Candidate] = []
        for household in problem.households:
            if household.id not in self.kept_households:
                self.candidates += self._candidates(household, language_needed=True)

    # -- candidates --------------------------------------------------------------------------

    def _leads(self, household: Household) -> list[Educator]:
        return [self.educators[t] for t in household.teachers if t in self.educators]

    def _school_speaks(self, school: int, language: str) -> bool:
        return any(speaks(e, language) for e in self.colleagues[school])

    def _candidates(self, household: Household, *, language_needed: bool) -> list[_Candidate]:
        found: list[_Candidate] = []
        for lead in self._leads(household):
            need_speaker = (
                language_needed
                and not speaks(lead, household.language)
                and self._school_speaks(lead.school, household.language)
            )
            for day in sorted(self.days[lead.id]):
                partners = []
                for partner in self.colleagues[lead.school]:
                    if partner.id == lead.id or day not in self.days[partner.id]:
                        continue
                    if need_speaker and not speaks(partner, household.language):
                        continue
                    window = shared_window(lead, partner, day)
                    if window is None or window[1] - window[0] < self.problem.visit_minutes:
                        continue
                    if household.starts(day, *window, self.problem.visit_minutes) is None:
                        continue
                    partners.append((partner, window))
                # Partners who share more of the lead's afternoons first: they can take the
                # lead's other households the same day. Ties by id, for a stable model.
                partners.sort(
                    key=lambda pw: (
                        not speaks(pw[0], household.language),
                        -(pw[1][1] - pw[1][0]),
                        -len(self.days[pw[0].id] & self.days[lead.id]),
                        pw[0].id,
                    )
                )
                found += [
                    _Candidate(household.id, lead.id, partner.id, day)
                    for partner, _ in partners[: self.problem.partners_per_lead]
                ]
        return found

    def reason(self, household: Household) -> UnplacedReason:
        """Why ``household`` got no visit, decided from the rules alone (not from the solve)."""
        if not self._leads(household):
            return UnplacedReason.NO_TEACHER
        if self._candidates(household, language_needed=True):
            return UnplacedReason.CAPS_FULL
        if self._candidates(household, language_needed=False):
            return UnplacedReason.NO_LANGUAGE_MATCH
        return UnplacedReason.NO_SHARED_WINDOW

    # -- the model ---------------------------------------------------------------------------

    def capacity(self, lead: int, partner: int, day: datetime.date) -> int:
        window = shared_window(self.educators[lead], self.educators[partner], day)
        if window is None:
            return 0
        step = self.problem.visit_minutes + self.problem.travel_minutes
        return (window[1] - window[0] + self.problem.travel_minutes) // step

    def solve(self, options: PlanOptions) -> tuple[list[_Candidate], dict[str, float]]:
        """The greedy plan, then improved neighbourhood by neighbourhood with CP-SAT, school by
        school (partners are colleagues, so a school's visits share nothing with another's; a
        household with children at two schools is planned by the first that visits it). The
        work limit is shared evenly between schools."""
        chosen = [self.candidates[i] for i in self.greedy()]
        stats: dict[str, float] = {
            "candidates": float(len(self.candidates)),
            "greedy": float(len(chosen)),
        }
        schools = sorted({self.educators[c.lead].school for c in self.candidates})
        for school in schools:
            mine = [c for c in chosen if self.educators[c.lead].school == school]
            others = [c for c in chosen if self.educators[c.lead].school != school]
            elsewhere = {c.household for c in others}
            cands = [
                c
                for c in self.candidates
                if self.educators[c.lead].school == school and c.household not in elsewhere
            ]
            search = _Neighbourhoods(self, cands, options, stats)
            chosen = others + search.improve(mine, options.work_limit / len(schools))
        return chosen, stats

    def route_window(
        self, key: tuple[int, int, datetime.date], stops: list[Household]
    ) -> tuple[int, int]:
        """Where a pair-day's new visits may go: the pair's shared window, after the visits
        already kept on that day with time to reach whichever new stop comes first."""
        a, b, day = key
        window = shared_window(self.educators[a], self.educators[b], day)
        assert window is not None
        start, end = window
        busy = self.kept_by_pair_day.get(key)
        if busy and stops:
            last = self.households[busy[-1].household]
            start = busy[-1].end + max(travel_minutes(last, h, self.problem) for h in stops)
        return start, end

    def day_fits(self, key: tuple[int, int, datetime.date], stops: list[Household]) -> bool:
        return fits(stops, *self.route_window(key, stops), self.problem, key[2])

    def greedy(self) -> list[int]:
        """A first plan: the households with the fewest possible visits first, each on the
        pair-day that is already open, before the target, with the lightest load."""
        room: dict[tuple[int, int, datetime.date], int] = {}
        stops: dict[tuple[int, int, datetime.date], list[Household]] = defaultdict(list)
        partner_day: dict[tuple[int, datetime.date], tuple[int, int, datetime.date]] = {}
        week_left: dict[tuple[int, tuple[int, int]], int] = {}
        load: dict[int, int] = defaultdict(int)
        for v in self.problem.kept:
            key = _pair_day(v)
            room[key] = room.get(key, self.capacity(*key)) - 1
            for e in (v.lead, v.partner):
                partner_day[(e, v.day)] = key
                week = (e, _week(v.day))
                week_left[week] = week_left.get(week, self.educators[e].weekly_cap) - 1
                load[e] += 1
        options: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(self.candidates):
            options[c.household].append(i)
        chosen: list[int] = []
        for household in sorted(options, key=lambda h: (len(options[h]), h)):
            best: tuple[tuple[int, ...], int] | None = None
            for i in options[household]:
                c = self.candidates[i]
                key = _pair_day(c)
                if room.get(key, self.capacity(*key)) <= 0:
                    continue
                if any(partner_day.get((e, c.day), key) != key for e in (c.lead, c.partner)):
                    continue
                if any(
                    week_left.get((e, _week(c.day)), self.educators[e].weekly_cap) <= 0
                    for e in (c.lead, c.partner)
                ):
                    continue
                # A day already holding visits takes one more only if a route still fits.
                if stops[key] and not self.day_fits(key, [*stops[key], self.households[household]]):
                    continue
                score = (
                    key not in room,
                    c.day > self.problem.target,
                    load[c.lead] + load[c.partner],
                    c.day.toordinal(),
                    i,
                )
                if best is None or score < best[0]:
                    best = (score, i)
            if best is None:
                continue
            i = best[1]
            c = self.candidates[i]
            key = _pair_day(c)
            room[key] = room.get(key, self.capacity(*key)) - 1
            stops[key].append(self.households[household])
            for e in (c.lead, c.partner):
                partner_day[(e, c.day)] = key
                week = (e, _week(c.day))
                week_left[week] = week_left.get(week, self.educators[e].weekly_cap) - 1
                load[e] += 1
            chosen.append(i)
        return chosen

    # -- routes ------------------------------------------------------------------------------

    def routes(self, chosen: list[_Candidate]) -> tuple[list[PlannedVisit], list[int]]:
        """Each pair-day's visits in route order with times; kept visits stay as they are.
        Households whose pair-day cannot fit them once travel is known are returned apart."""
        # One educator may lead some visits of a pair-day and partner others: one route.
        merged: dict[tuple[int, int, datetime.date], list[_Candidate]] = defaultdict(list)
        for c in chosen:
            merged[_pair_day(c)].append(c)
        visits = list(self.problem.kept)
        dropped: list[int] = []
        for key, cs in sorted(merged.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
            busy = self.kept_by_pair_day.get(key, [])
            stops = [self.households[c.household] for c in cs]
            timed = order_day(stops, *self.route_window(key, stops), self.problem, key[2])
            while timed is None and stops:
                dropped.append(stops.pop().id)
                timed = order_day(stops, *self.route_window(key, stops), self.problem, key[2])
            by_household = {c.household: c for c in cs}
            for order, (household, s, e) in enumerate(timed or [], len(busy) + 1):
                c = by_household[household]
                visits.append(PlannedVisit(household, c.lead, c.partner, key[2], s, e, order))
        return visits, dropped


class _Neighbourhoods:
    """Large-neighbourhood search over one school's plan: a few households are planned afresh
    by CP-SAT around the rest, which stays; a better plan is kept, a worse one forgotten.

    The neighbourhoods: first each household still waiting, week by week, with every household
    visited that week by an educator who could go with it (the chain of moves that frees a
    teacher's week, which a whole-school search rarely finds); then each week, with
    the households waiting that could be visited in it (earlier visits, lighter loads, fewer
    afternoons out). Each is small enough to be solved to the end in a sliver of the work."""

    def __init__(
        self,
        season: _Season,
        cands: list[_Candidate],
        options: PlanOptions,
        stats: dict[str, float],
    ) -> None:
        self.season = season
        self.cands = cands
        self.options = options
        self.stats = stats
        self.of_household: dict[int, list[_Candidate]] = defaultdict(list)
        for c in cands:
            self.of_household[c.household].append(c)
        educators = {e for c in cands for e in (c.lead, c.partner)}
        self.kept = [v for v in season.problem.kept if v.lead in educators]

    def improve(self, chosen: list[_Candidate], work: float) -> list[_Candidate]:
        spent = 0.0
        for free, week in self._neighbourhoods(chosen):
            if spent >= work:
                break
            budget = min(NEIGHBOURHOOD_WORK, work - spent)
            found, used = self._replan(chosen, free, week, budget)
            spent += used
            self.stats["neighbourhoods"] = self.stats.get("neighbourhoods", 0.0) + 1
            if found is not None and self._score(found) > self._score(chosen):
                self.stats["improved"] = self.stats.get("improved", 0.0) + 1
                chosen = found
        self.stats["work"] = self.stats.get("work", 0.0) + spent
        return chosen

    def _neighbourhoods(
        self, chosen: list[_Candidate]
    ) -> Iterator[tuple[set[int], tuple[int, int] | None]]:
        """Households to plan afresh, and the one week their visits may move within (``None``
        for any week: a household freed to make room may move to another week)."""
        placed = {c.household for c in chosen}
        for household in sorted(h for h in self.of_household if h not in placed):
            for week in sorted({_week(c.day) for c in self.of_household[household]}):
                if household in {c.household for c in chosen}:
                    break
                mine = [c for c in self.of_household[household] if _week(c.day) == week]
                educators = {e for c in mine for e in (c.lead, c.partner)}
                yield (
                    {household}
                    | {
                        c.household
                        for c in chosen
                        if _week(c.day) == week and {c.lead, c.partner} & educators
                    },
                    week,
                )
        for week in sorted({_week(c.day) for c in self.cands}):
            placed = {c.household for c in chosen}
            yield (
                {c.household for c in chosen if _week(c.day) == week}
                | {
                    h
                    for h, cs in self.of_household.items()
                    if h not in placed and any(_week(c.day) == week for c in cs)
                },
                week,
            )

    def _replan(
        self,
        chosen: list[_Candidate],
        free: set[int],
        week: tuple[int, int] | None,
        work: float,
    ) -> tuple[list[_Candidate] | None, float]:
        """The plan with the households in ``free`` planned afresh (within ``week`` when one is
        given, or where they are), or ``None``; and the work it took."""
        now = set(chosen)
        stay = [c for c in chosen if c.household not in free]
        cands = [
            c
            for h in sorted(free)
            for c in self.of_household[h]
            if week is None or _week(c.day) == week or c in now
        ]
        part = _PartModel(self.season, cands, stay)
        start = {i for i, c in enumerate(cands) if c in now}
        used = 0.0
        for _ in range(FIT_ROUNDS + 1):
            found, spent = part.solve(start, work / (FIT_ROUNDS + 1), self.options)
            used += spent
            if found is None:
                return None, used
            unfit = part.days_that_do_not_fit(found)
            if not unfit:
                return stay + [cands[i] for i in sorted(found)], used
            for indices in unfit:
                part.forbid(indices)
            start -= {i for indices in unfit for i in indices}
        return None, used

    def _score(self, chosen: list[_Candidate]) -> int:
        """What the model maximises, for the school's plan: households placed, visits before
        the target day, the most visits any educator makes, pair-days used."""
        visits: list[_Candidate | PlannedVisit] = [*self.kept, *chosen]
        load: dict[int, int] = defaultdict(int)
        for v in visits:
            load[v.lead] += 1
            load[v.partner] += 1
        target = self.season.problem.target
        return (
            PLACE_WEIGHT * len({c.household for c in chosen})
            + EARLY_WEIGHT * sum(c.day <= target for c in chosen)
            - LOAD_WEIGHT * max(load.values(), default=0)
            - PAIR_DAY_WEIGHT * len({_pair_day(v) for v in visits})
        )


class _PartModel:
    """The choice among some households' candidates as a CP-SAT model, around visits that
    stay (``stay``, and the problem's kept visits): they hold their days, weeks and loads."""

    def __init__(self, season: _Season, cands: list[_Candidate], stay: list[_Candidate]) -> None:
        self.season = season
        self.cands = cands
        problem = season.problem
        model = self.model = cp_model.CpModel()
        self.x = x = [model.new_bool_var("") for _ in cands]
        by_household: dict[int, list[int]] = defaultdict(list)
        self.by_pair_day: dict[tuple[int, int, datetime.date], list[int]] = defaultdict(list)
        by_week: dict[tuple[int, tuple[int, int]], list[int]] = defaultdict(list)
        for i, c in enumerate(cands):
            by_household[c.household].append(i)
            self.by_pair_day[_pair_day(c)].append(i)
            for e in (c.lead, c.partner):
                by_week[(e, _week(c.day))].append(i)

        educators = {e for c in cands for e in (c.lead, c.partner)}
        everything: list[_Candidate | PlannedVisit] = [*problem.kept, *stay]
        standing = [v for v in everything if {v.lead, v.partner} & educators]
        self.standing_on: dict[tuple[int, int, datetime.date], list[int]] = defaultdict(list)
        taken_week: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        self.standing_load: dict[int, int] = defaultdict(int)
        for v in standing:
            self.standing_on[_pair_day(v)].append(v.household)
            for e in (v.lead, v.partner):
                taken_week[(e, _week(v.day))] += 1
                self.standing_load[e] += 1

        placed = []
        for indices in by_household.values():
            one = model.new_bool_var("")
            model.add(sum(x[i] for i in indices) == one)
            placed.append(one)

        self.pair_days: dict[tuple[int, int, datetime.date], cp_model.IntVar] = {}
        by_educator_day: dict[tuple[int, datetime.date], list[cp_model.IntVar]] = defaultdict(list)
        for key in set(self.by_pair_day) | set(self.standing_on):
            a, b, day = key
            open_ = self.pair_days[key] = model.new_bool_var("")
            room = season.capacity(a, b, day) - len(self.standing_on.get(key, []))
            if key in self.standing_on:
                model.add(open_ == 1)
            indices = self.by_pair_day.get(key, [])
            model.add(sum(x[i] for i in indices) <= max(room, 0) * open_)
            if key not in self.standing_on:
                self._hold_families_times(key, indices)
            by_educator_day[(a, day)].append(open_)
            by_educator_day[(b, day)].append(open_)
        for opens in by_educator_day.values():
            if len(opens) > 1:
                model.add_at_most_one(opens)
        for (e, week), indices in by_week.items():
            cap = season.educators[e].weekly_cap - taken_week.get((e, week), 0)
            model.add(sum(x[i] for i in indices) <= max(cap, 0))

        involving: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(cands):
            involving[c.lead].append(i)
            involving[c.partner].append(i)
        self.max_load = model.new_int_var(
            max(self.standing_load.values(), default=0),
            len(problem.households) + len(standing),
            "max_load",
        )
        for e, indices in involving.items():
            model.add(sum(x[i] for i in indices) + self.standing_load.get(e, 0) <= self.max_load)

        early = [x[i] for i, c in enumerate(cands) if c.day <= problem.target]
        model.maximize(
            PLACE_WEIGHT * sum(placed)
            + EARLY_WEIGHT * sum(early)
            - LOAD_WEIGHT * self.max_load
            - PAIR_DAY_WEIGHT * sum(self.pair_days.values())
        )

    def _hold_families_times(self, key: tuple[int, int, datetime.date], indices: list[int]) -> None:
        """A day's count alone would let four families who can host only before five share a
        pair's afternoon that holds two visits before five: every stretch of the window holds
        no more visits than fit in it, counting the visits that must fall wholly inside it.
        Drives are not counted here (a route with short drives may fit more than the day's
        allowance), so no day a route fits is ever excluded; routes decide the rest."""
        problem = self.season.problem
        a, b, day = key
        window = shared_window(self.season.educators[a], self.season.educators[b], day)
        assert window is not None
        spans: list[tuple[int, int, int]] = []
        for i in indices:
            allowed = self.season.households[self.cands[i].household].starts(
                day, *window, problem.visit_minutes
            )
            assert allowed is not None
            spans.append((allowed[0], allowed[1] + problem.visit_minutes, i))
        whole = self.season.capacity(a, b, day)
        for lo in sorted({s for s, _, _ in spans}):
            for hi in sorted({e for _, e, _ in spans}):
                room = (hi - lo) // problem.visit_minutes
                if room >= whole:
                    continue
                inside = [i for s, e, i in spans if s >= lo and e <= hi]
                if len(inside) > room:
                    self.model.add(sum(self.x[i] for i in inside) <= max(room, 0))

    def forbid(self, indices: list[int]) -> None:
        """These visits together on their day: no route fits them."""
        self.model.add(sum(self.x[i] for i in indices) <= len(indices) - 1)

    def days_that_do_not_fit(self, chosen: set[int]) -> list[list[int]]:
        households = self.season.households
        unfit = []
        for key, indices in self.by_pair_day.items():
            on_day = [i for i in indices if i in chosen]
            stops = [households[h] for h in self.standing_on.get(key, [])]
            stops += [households[self.cands[i].household] for i in on_day]
            if on_day and len(stops) > 1 and not self.season.day_fits(key, stops):
                unfit.append(on_day)
        return unfit

    def solve(
        self, start: set[int], work: float, options: PlanOptions
    ) -> tuple[set[int] | None, float]:
        """The best choice found from ``start`` (a plan of these candidates), and the work."""
        model = self.model
        model.clear_hints()
        for i, var in enumerate(self.x):
            model.add_hint(var, i in start)
        solver = cp_model.CpSolver()
        solver.parameters.max_deterministic_time = work
        solver.parameters.max_time_in_seconds = options.time_limit
        solver.parameters.num_workers = options.workers
        solver.parameters.random_seed = options.seed
        status = solver.solve(model)
        if status == cp_model.MODEL_INVALID:
            raise ValueError(model.validate())
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solver.deterministic_time
        found = {i for i, var in enumerate(self.x) if solver.boolean_value(var)}
        return found, solver.deterministic_time


def _pair_day(visit: _Candidate | PlannedVisit) -> tuple[int, int, datetime.date]:
    return (min(visit.lead, visit.partner), max(visit.lead, visit.partner), visit.day)


def _week(day: datetime.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso.year, iso.week)


def windows_on(educator: Educator, day: datetime.date) -> tuple[Window, ...]:
    return tuple(w for w in educator.windows if w.day == day)
