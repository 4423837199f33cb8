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
less driving across days). The solve stops at a deterministic work limit (CP-SAT's own units),
so the same problem gives the same plan on any machine.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
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
from .routes import order_day, travel_minutes

PLACE_WEIGHT = 10_000
EARLY_WEIGHT = 100
LOAD_WEIGHT = 20
PAIR_DAY_WEIGHT = 1
REPLAN_PASSES = 2


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
    chosen, optimal, stats = season.solve(options)
    visits, dropped = season.routes(chosen)
    for _ in range(REPLAN_PASSES):
        if not dropped:
            break
        # Every household not yet visited gets another chance around the visits that stand.
        retry = _Season(replace(problem, kept=tuple(visits)))
        picked = [retry.candidates[i] for i in retry.greedy()]
        visits, dropped = retry.routes(picked)
    placed = {v.household for v in visits}
    unplaced = tuple(
        Unplaced(h.id, UnplacedReason.CAPS_FULL if h.id in dropped else season.reason(h))
        for h in problem.households
        if h.id not in placed
    )
    return VisitPlan(
        visits=tuple(sorted(visits, key=lambda v: (v.day, v.lead, v.partner, v.order))),
        unplaced=unplaced,
        optimal=optimal and not dropped,
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
        self.p = problem
        self.educators = {e.id: e for e in problem.educators}
        self.households = {h.id: h for h in problem.households}
        self.kept_households = {v.household for v in problem.kept}
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
                    if window is None or window[1] - window[0] < self.p.visit_minutes:
                        continue
                    if household.starts(day, *window, self.p.visit_minutes) is None:
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
                    for partner, _ in partners[: self.p.partners_per_lead]
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
        step = self.p.visit_minutes + self.p.travel_minutes
        return (window[1] - window[0] + self.p.travel_minutes) // step

    def solve(self, options: PlanOptions) -> tuple[list[_Candidate], bool, dict[str, float]]:
        """The greedy plan, improved school by school: partners are colleagues, so a school's
        visits share nothing with another's but the households with children at both (placed
        by the first school that visits them). The work limit is shared evenly."""
        greedy = {self.candidates[i] for i in self.greedy()}
        schools = sorted({self.educators[c.lead].school for c in self.candidates})
        chosen: list[_Candidate] = []
        visited: set[int] = set()
        optimal = True
        stats: dict[str, float] = {
            "candidates": float(len(self.candidates)),
            "greedy": float(len(greedy)),
        }
        for school in schools:
            cands = [
                c
                for c in self.candidates
                if self.educators[c.lead].school == school and c.household not in visited
            ]
            start = {i for i, c in enumerate(cands) if c in greedy}
            picked, part_optimal, part = self._solve_part(
                cands, start, options.work_limit / len(schools), options
            )
            chosen += picked
            visited |= {c.household for c in picked}
            optimal = optimal and part_optimal
            for name in ("seconds", "work"):
                stats[name] = stats.get(name, 0.0) + part.get(name, 0.0)
        return chosen, optimal, stats

    def _solve_part(
        self, cands: list[_Candidate], start: set[int], work: float, options: PlanOptions
    ) -> tuple[list[_Candidate], bool, dict[str, float]]:
        """Choose among ``cands`` (one school's), starting from the plan ``start`` (indices)."""
        model = cp_model.CpModel()
        x = [model.new_bool_var("") for _ in cands]
        by_household: dict[int, list[int]] = defaultdict(list)
        by_pair_day: dict[tuple[int, int, datetime.date], list[int]] = defaultdict(list)
        by_week: dict[tuple[int, tuple[int, int]], list[int]] = defaultdict(list)
        for i, c in enumerate(cands):
            by_household[c.household].append(i)
            pair = (min(c.lead, c.partner), max(c.lead, c.partner))
            by_pair_day[(*pair, c.day)].append(i)
            for e in (c.lead, c.partner):
                by_week[(e, _week(c.day))].append(i)

        kept_pair_days: dict[tuple[int, int, datetime.date], int] = defaultdict(int)
        kept_week: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        schools = {self.educators[c.lead].school for c in cands}
        for v in (v for v in self.p.kept if self.educators[v.lead].school in schools):
            pair = (min(v.lead, v.partner), max(v.lead, v.partner))
            kept_pair_days[(*pair, v.day)] += 1
            for e in (v.lead, v.partner):
                kept_week[(e, _week(v.day))] += 1

        placed = []
        for indices in by_household.values():
            p = model.new_bool_var("")
            model.add(sum(x[i] for i in indices) == p)
            placed.append(p)

        pair_day_vars: dict[tuple[int, int, datetime.date], cp_model.IntVar] = {}
        by_educator_day: dict[tuple[int, datetime.date], list[cp_model.IntVar]] = defaultdict(list)
        for key in set(by_pair_day) | set(kept_pair_days):
            a, b, day = key
            q = model.new_bool_var("")
            pair_day_vars[key] = q
            room = self.capacity(a, b, day) - kept_pair_days.get(key, 0)
            if key in kept_pair_days:
                model.add(q == 1)
            model.add(sum(x[i] for i in by_pair_day.get(key, [])) <= max(room, 0) * q)
            by_educator_day[(a, day)].append(q)
            by_educator_day[(b, day)].append(q)
        for qs in by_educator_day.values():
            if len(qs) > 1:
                model.add_at_most_one(qs)
        for (e, week), indices in by_week.items():
            cap = self.educators[e].weekly_cap - kept_week.get((e, week), 0)
            model.add(sum(x[i] for i in indices) <= max(cap, 0))

        involving: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(cands):
            involving[c.lead].append(i)
            involving[c.partner].append(i)
        max_load = model.new_int_var(0, len(self.households) + len(self.p.kept), "max_load")
        kept_load: dict[int, int] = defaultdict(int)
        for v in (v for v in self.p.kept if self.educators[v.lead].school in schools):
            kept_load[v.lead] += 1
            kept_load[v.partner] += 1
        for e, indices in involving.items():
            model.add(sum(x[i] for i in indices) + kept_load.get(e, 0) <= max_load)

        early = [x[i] for i, c in enumerate(cands) if c.day <= self.p.target]
        model.maximize(
            PLACE_WEIGHT * sum(placed)
            + EARLY_WEIGHT * sum(early)
            - LOAD_WEIGHT * max_load
            - PAIR_DAY_WEIGHT * sum(pair_day_vars.values())
        )
        # Start from the greedy plan, complete and feasible: the search begins from a good
        # answer, and what it returns is never worse.
        for i, var in enumerate(x):
            model.add_hint(var, i in start)
        placed_by = {c.household for i, c in enumerate(cands) if i in start}
        for household, p in zip(by_household, placed, strict=True):
            model.add_hint(p, household in placed_by)
        open_days = {_pair_day(cands[i]) for i in start} | set(kept_pair_days)
        for key, q in pair_day_vars.items():
            model.add_hint(q, key in open_days)
        loads: dict[int, int] = defaultdict(int, kept_load)
        for i in start:
            loads[cands[i].lead] += 1
            loads[cands[i].partner] += 1
        model.add_hint(max_load, max(loads.values(), default=0))

        solver = cp_model.CpSolver()
        solver.parameters.max_deterministic_time = work
        solver.parameters.max_time_in_seconds = options.time_limit
        solver.parameters.num_workers = options.workers
        solver.parameters.random_seed = options.seed
        status = solver.solve(model)
        if status == cp_model.MODEL_INVALID:
            raise ValueError(model.validate())
        stats = {
            "candidates": float(len(cands)),
            "seconds": solver.wall_time,
            "work": solver.deterministic_time,
        }
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [cands[i] for i in sorted(start)], False, stats
        chosen = [c for i, c in enumerate(cands) if solver.boolean_value(x[i])]
        return chosen, status == cp_model.OPTIMAL, stats

    def greedy(self) -> list[int]:
        """A first plan: the households with the fewest possible visits first, each on the
        pair-day that is already open, before the target, with the lightest load."""
        room: dict[tuple[int, int, datetime.date], int] = {}
        partner_day: dict[tuple[int, datetime.date], tuple[int, int, datetime.date]] = {}
        week_left: dict[tuple[int, tuple[int, int]], int] = {}
        load: dict[int, int] = defaultdict(int)
        for v in self.p.kept:
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
                score = (
                    key not in room,
                    c.day > self.p.target,
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
        days: dict[tuple[int, int, datetime.date], list[_Candidate]] = defaultdict(list)
        for c in chosen:
            days[(c.lead, c.partner, c.day)].append(c)
        visits = list(self.p.kept)
        dropped: list[int] = []
        kept_by_pair_day: dict[tuple[int, int, datetime.date], list[PlannedVisit]] = defaultdict(
            list
        )
        for v in self.p.kept:
            kept_by_pair_day[(min(v.lead, v.partner), max(v.lead, v.partner), v.day)].append(v)
        # One educator may lead some visits of a pair-day and partner others: one route.
        merged: dict[tuple[int, int, datetime.date], list[_Candidate]] = defaultdict(list)
        for (lead, partner, day), cs in days.items():
            merged[(min(lead, partner), max(lead, partner), day)] += cs
        for (a, b, day), cs in sorted(
            merged.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        ):
            window = shared_window(self.educators[a], self.educators[b], day)
            assert window is not None
            start, end = window
            busy = sorted(kept_by_pair_day[(a, b, day)], key=lambda v: v.start)
            stops = [self.households[c.household] for c in cs]
            if busy:
                # Kept visits stand; new ones go after the last of them, with time to reach
                # whichever stop comes first.
                last = self.households[busy[-1].household]
                start = busy[-1].end + max(travel_minutes(last, h, self.p) for h in stops)
            timed = order_day(stops, start, end, self.p, day)
            while timed is None and stops:
                dropped.append(stops.pop().id)
                timed = order_day(stops, start, end, self.p, day)
            by_household = {c.household: c for c in cs}
            for order, (household, s, e) in enumerate(timed or [], len(busy) + 1):
                c = by_household[household]
                visits.append(PlannedVisit(household, c.lead, c.partner, day, s, e, order))
        return visits, dropped


def _pair_day(visit: _Candidate | PlannedVisit) -> tuple[int, int, datetime.date]:
    return (min(visit.lead, visit.partner), max(visit.lead, visit.partner), visit.day)


def _week(day: datetime.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso.year, iso.week)


def windows_on(educator: Educator, day: datetime.date) -> tuple[Window, ...]:
    return tuple(w for w in educator.windows if w.day == day)
