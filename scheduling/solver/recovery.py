"""Absence recovery: when staff are out, days the school can still run, ranked by disruption.

Each option is a ``Recovery``, plain data saying what changes in the day's problem (who joins,
who may take which cohort's station, which cohorts follow a template of their own, which cohorts
are taught together), solved by stage 1 under a share of the build's limits and kept only when
the independent validator accepts the day for the changed problem. Only the absent staff's
stations are touched; everything else stays as configured. The kinds, tried in this order:

- SUBSTITUTE: a substitute from the pool joins (in the absent teacher's room when they have one,
  holding the roles of the stations they take, for the hours given) and may take every cohort's
  station an absent member could; when only lab supervisors are out, they watch those labs
  instead. Pool order; the first that works (at most two tried).
- COVER: present staff who hold a station's role may take it too; prep stays protected (it is a
  hard interval of their day). Their cover load is counted from the day found.
- COMBINE: cohorts of a grade whose teacher is out are taught with another cohort of the grade
  (its present teacher takes both at once) or with each other (any present teacher holding the
  role), up to ``combine_cap`` cohorts in a classroom seating all their students; what cannot be
  combined is covered.
- CONVERT: the absent teacher's station becomes Learning Lab time (the template's lab station
  gets its minutes: the solver decides whether seats and supervision allow) or, failing that,
  flex time in the homeroom, for the affected cohorts only (per-cohort templates); someone out
  for part of the day keeps the cohorts their hours hold, and only the others are converted
  (all of them if that finds no day). When only lab supervisors are out, every cohort of
  their labs keeps the lab minutes the present supervisors can watch and has the rest as flex
  time.

When teachers and lab supervisors are out together, two substitutes take one each; otherwise
every option above (one substitute teaching, cover, combining, flex) also shortens the labs as
when only supervisors are out. With nobody at all present there is no option.

Ranking (lower is better; ties go by the order above, then by pool order)::

    disruption = 3 x minutes lost            (instruction a cohort does not get, per cohort)
               + cover minutes               (minutes present staff teach beyond their own day)
               + joining students x minutes / 10   (each combined block: the students of every
                                              cohort but the leading one, times its minutes)

A substitute loses and moves nothing (0), so it ranks first; covering a station costs its
minutes once; combining a 25-student cohort into another's 90-minute math costs 225, less than
losing it (270) but more than a present teacher covering it (90); converting costs three times
the minutes, as instruction the cohort does not get.

A recovery is stored as JSON on the published day (``recovery_to_json``) and re-applied to the
day's problem (``apply_recovery``, pure and deterministic) whenever the stored day is validated.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from .clock import clock_span
from .decompose import cohorts_that_fit
from .problem import (
    Assignment,
    Cohort,
    Combination,
    GradeTemplate,
    PlacedBlock,
    Problem,
    Room,
    Solution,
    StaffMember,
    Station,
    Venue,
    Window,
)
from .rules import reachable
from .stage1 import SolveOptions, solve
from .validate import validate
from .words import tr

JSON_VERSION = 1
MAX_SUBSTITUTES_TRIED = 2
LOST_WEIGHT = 3  # a minute of instruction lost weighs three minutes of cover
COMBINED_DIVISOR = 10  # a joining student's minute in a combined class: a tenth of cover
# A lab short of supervisors keeps this share of the seat-minutes the others can watch: the
# reference shapes run their labs at about 90-95% of the day, and a packing needs some slack.
LAB_FILL = 0.9


class RecoveryKind(StrEnum):
    SUBSTITUTE = "substitute"
    COVER = "cover"
    CONVERT = "convert"
    COMBINE = "combine"


# Ties in disruption go this way: fewer people's days change first.
_KIND_ORDER = {
    RecoveryKind.SUBSTITUTE: 0,
    RecoveryKind.COVER: 1,
    RecoveryKind.COMBINE: 2,
    RecoveryKind.CONVERT: 3,
}


@dataclass(frozen=True)
class Recovery:
    """What an option changes in the day's problem, as plain data: stored as JSON on
    Schedule.recovery, and re-applied to problem_for(...) whenever the stored day is validated."""

    kind: RecoveryKind
    absent: tuple[int, ...]  # staff ids out (the cause)
    staff_added: tuple[StaffMember, ...] = ()  # (a) substitutes brought in
    assignments_added: tuple[Assignment, ...] = ()  # (a)/(b) extra candidates per cohort-station
    templates_added: tuple[GradeTemplate, ...] = ()  # (c) per-cohort templates
    combined: tuple[Combination, ...] = ()  # (d)
    # (a) for an absent lab supervisor: (lab room id, staff id) watching it besides its own.
    supervision_added: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RecoveryOption:
    recovery: Recovery
    solution: Solution  # valid for apply_recovery(problem, recovery): validate() == ()
    summary: str  # one line for the leader
    minutes_lost: tuple[tuple[int, str, int], ...]  # (cohort id, station code, minutes lost)
    cover: tuple[tuple[int, int], ...]  # (staff id, minutes of cover they take)
    moves: tuple[str, ...]  # who moves, one line each
    disruption: int  # ranking key: lower is better; options sorted by it


# --- applying a recovery ------------------------------------------------------------------------


def apply_recovery(problem: Problem, recovery: Recovery) -> Problem:
    """``problem`` with ``recovery``'s changes: staff added (replacing any of the same id),
    candidates added to assignments (after the ones there, without repeats), the per-cohort
    templates (taking those cohorts out of any per-cohort template they followed), combinations
    added, and pins on stations a cohort no longer has dropped. Pure and deterministic."""
    added_ids = {m.id for m in recovery.staff_added}
    staff = tuple(m for m in problem.staff if m.id not in added_ids) + recovery.staff_added

    assignments = list(problem.assignments)
    position = {(a.cohort, a.station): n for n, a in enumerate(assignments)}
    for extra in recovery.assignments_added:
        key = (extra.cohort, extra.station)
        if key in position:
            old = assignments[position[key]]
            more = tuple(dict.fromkeys(s for s in extra.staff if s not in old.staff))
            assignments[position[key]] = replace(old, staff=old.staff + more)
        else:
            position[key] = len(assignments)
            assignments.append(replace(extra, staff=tuple(dict.fromkeys(extra.staff))))

    overridden = frozenset(c for t in recovery.templates_added for c in t.cohorts)
    templates = tuple(
        replace(t, cohorts=t.cohorts - overridden) if t.cohorts & overridden else t
        for t in problem.templates
        if not t.cohorts or t.cohorts - overridden
    ) + tuple(recovery.templates_added)

    supervision = tuple(
        replace(
            lab,
            supervisors=tuple(
                dict.fromkeys(
                    (
                        *lab.supervisors,
                        *(s for room, s in recovery.supervision_added if room == lab.lab),
                    )
                )
            ),
        )
        for lab in problem.supervision
    )
    changed = replace(
        problem,
        staff=staff,
        assignments=tuple(assignments),
        templates=templates,
        combined=problem.combined + recovery.combined,
        supervision=supervision,
    )
    if overridden:
        pins = tuple(
            pin
            for pin in changed.pins
            if pin.cohort not in overridden
            or changed.template_of(changed.cohort(pin.cohort)).station(pin.station) is not None
        )
        changed = replace(changed, pins=pins)
    return changed


# --- finding options ----------------------------------------------------------------------------


def recovery_options(
    problem: Problem,
    *,
    absent: tuple[int, ...],
    substitutes: tuple[StaffMember, ...] = (),
    options: SolveOptions | None = None,
    combine_cap: int = 2,
) -> tuple[RecoveryOption, ...]:
    """The valid days the school can run with ``absent`` out, best first; ``()`` when none.

    ``problem`` is the day's problem with the absences applied (the absent staff's hours
    reduced); each candidate option is solved by stage 1 under an equal share of ``options``'
    limits and kept only if the validator accepts it."""
    options = options or SolveOptions()
    out = frozenset(absent)
    known = {m.id for m in problem.staff}
    absent = tuple(a for a in absent if a in known)
    affected = _affected(problem, out)
    watched = [lab.lab for lab in problem.supervision if out & set(lab.supervisors)]
    if not affected and not watched:
        return ()
    if not any(m.available for m in problem.staff if m.id not in out):
        return ()  # nobody is there: no day turns the whole school into unwatched flex time
    orphaned = [(c, s) for c, s in affected if not _present_candidates(problem, out, c, s)]
    targets = orphaned or affected

    pool = [s for s in substitutes if s.id not in out and s.available][:MAX_SUBSTITUTES_TRIED]
    cover = _cover(problem, absent, out, affected)
    combine = _combine(problem, absent, out, targets, combine_cap)
    if affected and watched:
        # Teachers and supervisors out: each way of replacing the teaching also shortens the
        # labs to what the present supervisors can watch (more lab time is not an option).
        cover, combine = (_and_labs_shortened(problem, r, out, watched) for r in (cover, combine))

    def conversions(stations: list[tuple[Cohort, Station]]) -> list[Recovery | None]:
        """``stations`` turned into lab time, else flex time; with supervisors out, flex time
        only, the labs shortened as well."""
        flex = _convert(problem, absent, stations, "flex")
        if watched:
            return [_and_labs_shortened(problem, flex, out, watched)]
        return [_convert(problem, absent, stations, "lab"), flex]

    if affected:
        # Someone out for part of the day still teaches the cohorts their hours hold: only the
        # others' stations are converted, tried before converting them all.
        fewer = _beyond_hours(problem, out, targets)
        converts = [*(conversions(fewer) if fewer else []), *conversions(targets)]
    else:
        # Only supervisors are out: their labs' time shrinks to what the others can watch.
        converts = [_shortened_labs(problem, absent, out, watched)]
    substituted = _substitutions(problem, absent, out, affected, watched, pool)
    attempts = len(substituted) + sum(r is not None for r in (cover, combine, *converts))
    share = _Share(options, attempts)

    found: list[tuple[tuple[int, int, int], RecoveryOption]] = []
    order = 0

    def attempt(recovery: Recovery | None) -> bool:
        nonlocal order
        if recovery is None:
            return False
        order += 1
        option = _solved(problem, recovery, share.next())
        if option is None:
            return False
        found.append(((option.disruption, _KIND_ORDER[recovery.kind], order), option))
        return True

    for recovery in substituted:
        if attempt(recovery):
            break
    attempt(cover)
    attempt(combine)
    for conversion in converts:  # the first conversion that works, fewest cohorts first
        if attempt(conversion):
            break
    return tuple(option for _key, option in sorted(found, key=lambda pair: pair[0]))


class _Share:
    """Each attempt's limits: under a work limit, an equal share of it (so the options depend
    on the inputs alone); on seconds, what is left split among the attempts still to come."""

    def __init__(self, options: SolveOptions, attempts: int) -> None:
        self.o = options
        self.total = max(1, attempts)
        self.left = self.total
        self.began = time.perf_counter()

    def next(self) -> SolveOptions:
        n, self.left = max(1, self.left), self.left - 1
        if self.o.work_limit is not None:
            return replace(
                self.o,
                work_limit=self.o.work_limit / self.total,
                time_limit=self.o.time_limit / self.total,
            )
        remaining = max(0.5, self.o.time_limit - (time.perf_counter() - self.began))
        return replace(self.o, time_limit=remaining / n)


def _affected(problem: Problem, out: frozenset[int]) -> list[tuple[Cohort, Station]]:
    """Every staffed cohort-station an absent member may take."""
    return [
        (cohort, station)
        for cohort in problem.cohorts
        for station in problem.template_of(cohort).stations
        if station.staff_role is not None and out & set(problem.candidates(cohort.id, station.code))
    ]


def _beyond_hours(
    problem: Problem, out: frozenset[int], targets: list[tuple[Cohort, Station]]
) -> list[tuple[Cohort, Station]] | None:
    """Of ``targets``, those a member out for only part of the day cannot also take in the
    hours they are there: each keeps, in order, the cohort-stations whose minutes fit in those
    hours (inside the cohorts' day, less their prep). None when that keeps none of them, or
    all."""
    kept: set[tuple[int, str]] = set()
    for member in problem.staff:
        if member.id not in out or not member.available:
            continue
        theirs = [
            (c, s)
            for c, s in targets
            if problem.candidates(c.id, s.code) == (member.id,) and _holds(member, s)
        ]
        if not theirs:
            continue
        day = problem.template_of(theirs[0][0]).open_window(problem.day)
        free = (
            sum(max(0, min(w.end, day.end) - max(w.start, day.start)) for w in member.available)
            - member.prep_minutes
        )
        for cohort, station in theirs:
            if station.minutes > free:
                break
            kept.add((cohort.id, station.code))
            free -= station.minutes
    fewer = [(c, s) for c, s in targets if (c.id, s.code) not in kept]
    return fewer if kept and fewer else None


def _present_candidates(
    problem: Problem, out: frozenset[int], cohort: Cohort, station: Station
) -> list[int]:
    return [
        sid
        for sid in problem.candidates(cohort.id, station.code)
        if sid not in out and _holds(problem.member(sid), station)
    ]


def _holds(member: StaffMember, station: Station) -> bool:
    return bool(member.available) and station.staff_role in member.roles


def _role_holders(problem: Problem, out: frozenset[int], station: Station) -> list[StaffMember]:
    """Present staff holding ``station``'s role, most free minutes first (then by id)."""
    holders = [m for m in problem.staff if m.id not in out and _holds(m, station)]
    return sorted(holders, key=lambda m: (-_free_minutes(problem, m), m.id))


def _free_minutes(problem: Problem, member: StaffMember) -> int:
    """Minutes ``member`` is there, less prep and the stations only they may take."""
    there = sum(
        max(0, min(w.end, problem.day.end) - max(w.start, problem.day.start))
        for w in member.available
    )
    owed = sum(
        station.minutes
        for cohort in problem.cohorts
        for station in problem.template_of(cohort).stations
        if problem.candidates(cohort.id, station.code) == (member.id,)
    )
    return there - member.prep_minutes - owed


def _substitute(
    problem: Problem,
    absent: tuple[int, ...],
    affected: list[tuple[Cohort, Station]],
    watched: list[int],
    substitute: StaffMember,
) -> Recovery:
    rooms = [r for a in absent if (r := problem.member(a).room) is not None]
    roles = frozenset(s.staff_role for _c, s in affected if s.staff_role is not None)
    member = replace(
        substitute, room=rooms[0] if rooms else substitute.room, roles=substitute.roles | roles
    )
    return Recovery(
        kind=RecoveryKind.SUBSTITUTE,
        absent=absent,
        staff_added=(member,),
        assignments_added=tuple(Assignment(c.id, s.code, (member.id,)) for c, s in affected),
        supervision_added=tuple((lab, member.id) for lab in watched),
    )


def _substitutions(
    problem: Problem,
    absent: tuple[int, ...],
    out: frozenset[int],
    affected: list[tuple[Cohort, Station]],
    watched: list[int],
    pool: list[StaffMember],
) -> list[Recovery]:
    """The substitute options to try, best first. A substitute either teaches or watches a lab:
    the lab's supervision counts the hours they are there, not whether they teach meanwhile, so
    one person is never given both. With teachers and supervisors out, two substitutes take one
    each; one alone teaches, and the labs shrink to what the present supervisors can watch."""
    if not (affected and watched):
        return [_substitute(problem, absent, affected, watched, s) for s in pool]
    found: list[Recovery] = []
    if len(pool) >= 2:
        teaching = _substitute(problem, absent, affected, [], pool[0])
        watching = _substitute(problem, absent, [], watched, pool[1])
        found.append(
            replace(
                teaching,
                staff_added=teaching.staff_added + watching.staff_added,
                supervision_added=watching.supervision_added,
            )
        )
    for substitute in pool:
        teaching = _substitute(problem, absent, affected, [], substitute)
        shortened = _and_labs_shortened(problem, teaching, out, watched)
        if shortened is not None:
            found.append(shortened)
    return found


def _and_labs_shortened(
    problem: Problem, recovery: Recovery | None, out: frozenset[int], watched: list[int]
) -> Recovery | None:
    """``recovery`` with the labs in ``watched`` shortened to what their present supervisors
    can watch, on the day ``recovery`` makes (a cohort whose template it changed keeps that
    change); None without ``recovery`` or when the labs cannot be shortened."""
    if recovery is None:
        return None
    shortened = _shortened_labs(apply_recovery(problem, recovery), recovery.absent, out, watched)
    if shortened is None:
        return recovery  # the labs need no shortening (or cannot take it: the solve will say)
    taken = frozenset(c for t in shortened.templates_added for c in t.cohorts)
    kept = tuple(
        replace(t, cohorts=t.cohorts - taken) for t in recovery.templates_added if t.cohorts - taken
    )
    return replace(recovery, templates_added=kept + shortened.templates_added)


def _cover(
    problem: Problem,
    absent: tuple[int, ...],
    out: frozenset[int],
    affected: list[tuple[Cohort, Station]],
) -> Recovery | None:
    added = []
    for cohort, station in affected:
        have = problem.candidates(cohort.id, station.code)
        extra = tuple(m.id for m in _role_holders(problem, out, station) if m.id not in have)
        if extra:
            added.append(Assignment(cohort.id, station.code, extra))
    if not added:
        return None
    return Recovery(kind=RecoveryKind.COVER, absent=absent, assignments_added=tuple(added))


def _combine(
    problem: Problem,
    absent: tuple[int, ...],
    out: frozenset[int],
    targets: list[tuple[Cohort, Station]],
    cap: int,
) -> Recovery | None:
    """Each target cohort taught with a cohort of its grade whose teacher is there (that teacher
    takes both), else with other target cohorts (any present teacher holding the role takes
    them), in a classroom that seats them all; targets left alone are covered."""
    if cap < 2:
        return None
    target_ids = {c.id for c, _s in targets}
    by_station: dict[tuple[int, Station], list[Cohort]] = defaultdict(list)
    for cohort, station in targets:
        by_station[(cohort.grade, station)].append(cohort)
    combined: list[Combination] = []
    added: list[Assignment] = []
    for (grade, station), waiting in by_station.items():
        waiting = list(waiting)
        partners = [
            (partner, teachers)
            for partner in problem.cohorts
            if partner.grade == grade
            and partner.id not in target_ids
            and problem.template_of(partner).station(station.code) == station
            and (teachers := _present_candidates(problem, out, partner, station))
        ]
        for partner, teachers in partners:
            if not waiting:
                break
            group = [partner]
            room = None
            for cohort in list(waiting):
                if len(group) >= cap:
                    break
                fits = _room_for(problem, [*group, cohort], teachers)
                if fits is not None:
                    group.append(cohort)
                    waiting.remove(cohort)
                    room = fits
            if room is None:
                continue
            combined.append(Combination(station.code, tuple(c.id for c in group), room.id))
            added += [Assignment(c.id, station.code, tuple(teachers)) for c in group[1:]]
        holders = [m.id for m in _role_holders(problem, out, station)]
        while len(waiting) >= 2 and holders:
            group = [waiting.pop(0)]
            room = None
            for cohort in list(waiting):
                if len(group) >= cap:
                    break
                fits = _room_for(problem, [*group, cohort], [])
                if fits is not None:
                    group.append(cohort)
                    waiting.remove(cohort)
                    room = fits
            if room is None:
                added.append(Assignment(group[0].id, station.code, tuple(holders)))
                continue
            combined.append(Combination(station.code, tuple(c.id for c in group), room.id))
            added += [Assignment(c.id, station.code, tuple(holders)) for c in group]
        for cohort in waiting:
            if holders:
                added.append(Assignment(cohort.id, station.code, tuple(holders)))
    if not combined:
        return None
    return Recovery(
        kind=RecoveryKind.COMBINE,
        absent=absent,
        assignments_added=tuple(added),
        combined=tuple(combined),
    )


def _room_for(problem: Problem, cohorts: list[Cohort], teachers: list[int]) -> Room | None:
    """A classroom seating all of ``cohorts``: the teacher's room, else one of the cohorts'
    homerooms, else a classroom nobody teaches or lives in (the smallest that fits)."""
    students = sum(c.students for c in cohorts)

    def seats(room: Room | None) -> bool:
        return (
            room is not None
            and room.counts_students
            and not room.shared
            and room.capacity >= students
        )

    teacher_rooms = [problem.member(t).room for t in teachers[:1]]
    homerooms = sorted(
        (problem.room(c.homeroom) for c in cohorts), key=lambda r: (-r.capacity, r.id)
    )
    used = {c.homeroom for c in problem.cohorts} | {
        m.room for m in problem.staff if m.room is not None
    }
    spare = sorted((r for r in problem.rooms if r.id not in used), key=lambda r: (r.capacity, r.id))
    for room in [*(problem.room(r) for r in teacher_rooms if r is not None), *homerooms, *spare]:
        if seats(room):
            return room
    return None


def _convert(
    problem: Problem, absent: tuple[int, ...], targets: list[tuple[Cohort, Station]], into: str
) -> Recovery | None:
    """The target stations' minutes given to the lab station (``into="lab"``) or to flex, per
    cohort; None when a cohort's template cannot take them."""
    lost: dict[int, list[Station]] = defaultdict(list)
    for cohort, station in targets:
        lost[cohort.id].append(station)
    groups: dict[tuple[int, tuple[Station, ...]], list[int]] = {}
    for cohort in problem.cohorts:
        if cohort.id not in lost:
            continue
        template = problem.template_of(cohort)
        stations = _converted(template, lost[cohort.id], into)
        if stations is None:
            return None
        groups.setdefault((cohort.grade, stations), []).append(cohort.id)
    return _templates_recovery(absent, groups)


def _templates_recovery(
    absent: tuple[int, ...], groups: Mapping[tuple[int, tuple[Station, ...]], list[int]]
) -> Recovery:
    """A conversion: each group of cohorts (grade, stations) follows a template of its own."""
    return Recovery(
        kind=RecoveryKind.CONVERT,
        absent=absent,
        templates_added=tuple(
            GradeTemplate(grade, stations, frozenset(cohorts))
            for (grade, stations), cohorts in groups.items()
        ),
    )


def _converted(
    template: GradeTemplate, lost: list[Station], into: str
) -> tuple[Station, ...] | None:
    codes = {s.code for s in lost}
    kept = [s for s in template.stations if s.code not in codes]
    if into == "lab":
        target = next((s for s in kept if s.venue == Venue.LAB), None)
        if target is None:
            return None
    else:
        target = next((s for s in kept if s.code == "flex"), None)
        if target is None:
            # A new homeroom station, sized like the stations it replaces.
            first = lost[0]
            target = Station(
                "flex", 0, first.block_min, first.block_max, max_blocks=0, step=first.step
            )
            kept.append(target)
    parts = [target, *lost]
    merged = replace(
        target,
        minutes=sum(s.minutes for s in parts),
        block_min=min(s.block_min for s in parts if s.max_blocks),
        block_max=max(s.block_max for s in parts if s.max_blocks),
        max_blocks=sum(s.max_blocks for s in parts),
        step=math.gcd(*(s.step for s in parts if s.max_blocks)),
    )
    if not reachable(
        merged.minutes, merged.block_min, merged.block_max, merged.step, merged.max_blocks
    ):
        return None
    return tuple(merged if s is target else s for s in kept)


def _shortened_labs(
    problem: Problem, absent: tuple[int, ...], out: frozenset[int], watched: list[int]
) -> Recovery | None:
    """Each lab whose supervisors are out gives every cohort it serves the lab minutes the
    present supervisors can watch (at LAB_FILL of the supervised seat-minutes, on the station's
    step), the rest as flex time in the homeroom; None when that leaves a lab as it was or a
    template cannot take it."""
    groups: dict[tuple[int, tuple[Station, ...]], list[int]] = {}
    for supervision in problem.supervision:
        if supervision.lab not in watched:
            continue
        lab = problem.room(supervision.lab)
        cohorts = [c for c in problem.cohorts if c.grade in lab.grades]
        students = sum(c.students for c in cohorts)
        if not students:
            continue
        open_window = problem.template_of(cohorts[0]).open_window(problem.day)
        open_from, open_until = open_window.start, open_window.end
        present = [sid for sid in supervision.supervisors if sid not in out]
        watch = sum(
            max(0, min(w.end, open_until) - max(w.start, open_from))
            * supervision.students_per_adult
            for sid in present
            for w in problem.member(sid).available
        )
        # Whole cohorts sit in the lab: of the seats watched at once, only those they fill.
        at_once = min(lab.capacity, len(present) * supervision.students_per_adult)
        sizes = [c.students for c in cohorts]
        filled = sum(sorted(sizes)[: cohorts_that_fit(at_once, sizes)])
        seat_minutes = min(watch, lab.capacity * (open_until - open_from))
        per_student = int(seat_minutes * LAB_FILL * filled / at_once) // students if at_once else 0
        for cohort in cohorts:
            template = problem.template_of(cohort)
            station = next((s for s in template.stations if s.venue == Venue.LAB), None)
            if station is None:
                continue
            minutes = min(station.minutes, per_student // station.step * station.step)
            if minutes == station.minutes:
                return None  # enough watch for this lab: the shortage is not the lab's time
            stations = _lab_shortened(template, station, minutes)
            if stations is None:
                return None
            groups.setdefault((cohort.grade, stations), []).append(cohort.id)
    if not groups:
        return None
    return _templates_recovery(absent, groups)


def _lab_shortened(
    template: GradeTemplate, lab: Station, minutes: int
) -> tuple[Station, ...] | None:
    """``template`` with ``lab`` cut to ``minutes`` (gone below its shortest block) and flex
    given the rest."""
    moved = lab.minutes - (minutes if minutes >= lab.block_min else 0)
    blocks = min(lab.max_blocks, max(1, math.ceil(moved / lab.block_max)))
    rest = replace(lab, code=f"{lab.code}-moved", minutes=moved, max_blocks=blocks, window=None)
    kept = tuple(
        replace(lab, minutes=lab.minutes - moved, block_max=min(lab.block_max, lab.minutes - moved))
        if s is lab
        else s
        for s in template.stations
        if s is not lab or moved < lab.minutes
    )
    if moved < lab.minutes and not reachable(
        lab.minutes - moved,
        lab.block_min,
        min(lab.block_max, lab.minutes - moved),
        lab.step,
        lab.max_blocks,
    ):
        return None
    return _converted(replace(template, stations=kept), [rest], "flex")


# --- solving and describing an option ---------------------------------------------------------


def _solved(problem: Problem, recovery: Recovery, options: SolveOptions) -> RecoveryOption | None:
    applied = apply_recovery(problem, recovery)
    result = solve(applied, options)
    if not isinstance(result, Solution) or validate(applied, result.blocks):
        return None
    return _described(problem, applied, recovery, result)


def _described(
    problem: Problem, applied: Problem, recovery: Recovery, solution: Solution
) -> RecoveryOption:
    blocks = solution.blocks
    out = set(recovery.absent)
    supervisors_out = {s for lab in problem.supervision for s in lab.supervisors} & out
    # Whose teaching is replaced (everyone out, when only supervisors are).
    absent_names = _names(
        problem.member(a).name
        for a in recovery.absent
        if a not in supervisors_out or supervisors_out == out
    )
    lost = tuple(
        (cohort, station.code, station.minutes - _kept_minutes(template, station))
        for template in recovery.templates_added
        for cohort in sorted(template.cohorts)
        for station in problem.template_of(problem.cohort(cohort)).stations
        if _kept_minutes(template, station) < station.minutes
    )
    added = {m.id for m in recovery.staff_added}
    cover = _cover_minutes(problem, applied, blocks, exclude=out | added)
    joining = sum(
        _station_minutes(applied, combination)
        * sum(applied.cohort(c).students for c in combination.cohorts[1:])
        for combination in recovery.combined
    )
    disruption = (
        LOST_WEIGHT * sum(m for _c, _s, m in lost)
        + sum(m for _s, m in cover)
        + joining // COMBINED_DIVISOR
    )
    moves: list[str] = []
    stations = _names(dict.fromkeys(code for _c, code in _affected_codes(problem, out)))
    labs = _names(dict.fromkeys(applied.room(lab).name for lab, _s in recovery.supervision_added))
    # The lab minutes lost because a supervisor is out (beside another way of replacing a
    # teacher): described apart from what replaces the teaching.
    shortened = [
        (c, code, m)
        for c, code, m in lost
        if supervisors_out
        and stations
        and (station := problem.template_of(problem.cohort(c)).station(code)) is not None
        and station.venue == Venue.LAB
    ]
    if recovery.kind == RecoveryKind.SUBSTITUTE:
        watchers = {s for _lab, s in recovery.supervision_added}
        takes = []
        for sub in recovery.staff_added:
            if sub.id in watchers:
                takes.append(
                    tr(
                        "%(substitute)s (substitute) takes the watch of %(labs)s",
                        substitute=sub.name,
                        labs=labs,
                    )
                )
            else:
                takes.append(
                    tr(
                        "%(substitute)s (substitute) takes %(absent)s's %(stations)s blocks",
                        substitute=sub.name,
                        absent=absent_names,
                        stations=stations,
                    )
                )
            moves += [
                tr(
                    "%(substitute)s (substitute) teaches %(station)s for %(cohorts)s",
                    substitute=sub.name,
                    station=code,
                    cohorts=cohorts,
                )
                for code, cohorts in _teaching(applied, blocks, sub.id)
            ]
            if sub.id in watchers:
                moves.append(
                    tr(
                        "%(substitute)s (substitute) supervises %(labs)s",
                        substitute=sub.name,
                        labs=labs,
                    )
                )
        # One clause per substitute (one teaches, one may watch the labs).
        summary = "; ".join(takes)
    elif recovery.kind == RecoveryKind.COVER:
        who = _names(
            tr("%(teacher)s (%(minutes)s min)", teacher=applied.member(s).name, minutes=m)
            for s, m in cover
        )
        summary = tr(
            "Present staff cover %(absent)s's %(stations)s blocks: %(who)s",
            absent=absent_names,
            stations=stations,
            who=who,
        )
    elif recovery.kind == RecoveryKind.COMBINE:
        # One clause per combined class, as many as the recovery made.
        together = "; ".join(
            tr(
                "%(cohorts)s have %(station)s together in %(room)s",
                cohorts=_names(applied.cohort(c).name for c in comb.cohorts),
                station=comb.station,
                room=applied.room(comb.room).name,
            )
            for comb in recovery.combined
        )
        summary = tr("%(absent)s is out: %(together)s", absent=absent_names, together=together)
        for comb in recovery.combined:
            lead = [b for b in blocks if b.cohort == comb.cohorts[0] and b.station == comb.station]
            teacher = _names(applied.member(s).name for b in lead for s in b.staff)
            cohorts = _names(applied.cohort(c).name for c in comb.cohorts)
            room = applied.room(comb.room).name
            moves.append(
                tr(
                    "%(cohorts)s have %(station)s together with %(teacher)s in %(room)s, %(times)s",
                    cohorts=cohorts,
                    station=comb.station,
                    teacher=teacher,
                    room=room,
                    times=_times(lead),
                )
                if teacher
                else tr(
                    "%(cohorts)s have %(station)s together with nobody in %(room)s, %(times)s",
                    cohorts=cohorts,
                    station=comb.station,
                    room=room,
                    times=_times(lead),
                )
            )
    elif not stations:
        # Supervisors out: the lab keeps what the others can watch, flex takes the rest.
        summary = tr(
            "%(absent)s is out: shorter lab time, flex for the rest, for %(cohorts)s",
            absent=absent_names,
            cohorts=_names(dict.fromkeys(problem.cohort(c).name for c, _s, _m in lost)),
        )
        moves += _shortened_lines(problem, recovery, lost)
    else:
        into = _names(dict.fromkeys(_gained(problem, recovery)))
        converted = [entry for entry in lost if entry not in shortened]
        summary = tr(
            "%(absent)s is out: %(stations)s becomes %(into)s time for %(cohorts)s",
            absent=absent_names,
            stations=stations,
            into=into,
            cohorts=_names(dict.fromkeys(problem.cohort(c).name for c, _s, _m in converted)),
        )
        moves += [
            tr(
                "%(cohort)s has %(minutes)s minutes of %(into)s instead of %(station)s",
                cohort=problem.cohort(c).name,
                minutes=m,
                into=into,
                station=code,
            )
            for c, code, m in converted
        ]
    if shortened:
        summary = tr(
            "%(summary)s; with %(supervisors)s out, shorter lab time and flex for %(cohorts)s",
            summary=summary,
            supervisors=_names(problem.member(a).name for a in sorted(supervisors_out)),
            cohorts=_names(dict.fromkeys(problem.cohort(c).name for c, _s, _m in shortened)),
        )
        moves += _shortened_lines(problem, recovery, shortened)
    if recovery.kind != RecoveryKind.SUBSTITUTE:
        for sid, minutes in cover:
            moves += [
                tr(
                    "%(teacher)s covers %(station)s for %(cohorts)s (%(minutes)s minutes of cover)",
                    teacher=applied.member(sid).name,
                    station=code,
                    cohorts=cohorts,
                    minutes=minutes,
                )
                for code, cohorts in _teaching(applied, blocks, sid, only_not_own=problem)
            ]
    return RecoveryOption(
        recovery=recovery,
        solution=solution,
        summary=summary,
        minutes_lost=lost,
        cover=cover,
        moves=tuple(moves),
        disruption=disruption,
    )


def _shortened_lines(
    problem: Problem, recovery: Recovery, lost: Iterable[tuple[int, str, int]]
) -> list[str]:
    """One line per cohort whose lab time was cut for want of supervisors."""
    return [
        tr(
            "%(cohort)s has %(kept)s minutes of %(station)s instead of %(minutes)s, "
            "and %(flex)s more of flex",
            cohort=problem.cohort(c).name,
            kept=_kept_minutes(_template_for(recovery, c), station),
            station=code,
            minutes=station.minutes,
            flex=m,
        )
        for c, code, m in lost
        if (station := problem.template_of(problem.cohort(c)).station(code)) is not None
    ]


def _gained(problem: Problem, recovery: Recovery) -> list[str]:
    """The stations a conversion gave more minutes (or added) than the cohorts had."""
    gained = []
    for template in recovery.templates_added:
        before = problem.template_of(problem.cohort(min(template.cohorts)))
        for station in template.stations:
            had = before.station(station.code)
            if had is None or station.minutes > had.minutes:
                gained.append(station.code)
    return gained


def _template_for(recovery: Recovery, cohort: int) -> GradeTemplate:
    return next(t for t in recovery.templates_added if cohort in t.cohorts)


def _kept_minutes(template: GradeTemplate, station: Station) -> int:
    kept = template.station(station.code)
    return kept.minutes if kept is not None else 0


def _affected_codes(problem: Problem, out: set[int]) -> list[tuple[int, str]]:
    return [(c.id, s.code) for c, s in _affected(problem, frozenset(out))]


def _station_minutes(problem: Problem, combination: Combination) -> int:
    station = problem.template_of(problem.cohort(combination.cohorts[0])).station(
        combination.station
    )
    return station.minutes if station else 0


def _cover_minutes(
    problem: Problem, applied: Problem, blocks: Sequence[PlacedBlock], *, exclude: set[int]
) -> tuple[tuple[int, int], ...]:
    """Per present staff member, the minutes they teach beyond their own blocks (the ones they
    were assigned before the recovery); a combined block is one stretch of time, counted once."""
    cover = []
    for member in applied.staff:
        if member.id in exclude:
            continue
        mine = [b for b in blocks if member.id in b.staff]
        own = [b for b in mine if member.id in problem.candidates(b.cohort, b.station)]
        extra = _measure(mine) - _measure(own)
        if extra > 0:
            cover.append((member.id, extra))
    return tuple(cover)


def _measure(blocks: Iterable[PlacedBlock]) -> int:
    """Minutes covered by the union of the blocks' times."""
    total, end = 0, -1
    for block in sorted(blocks, key=lambda b: (b.start, b.end)):
        if block.end > end:
            total += block.end - max(block.start, end)
            end = block.end
    return total


def _teaching(
    applied: Problem,
    blocks: Sequence[PlacedBlock],
    staff_id: int,
    *,
    only_not_own: Problem | None = None,
) -> list[tuple[str, str]]:
    """Per station ``staff_id`` teaches, its code and the cohorts with their times
    ("math", "K Duke 9:00-10:30, 1 Lee 11:00-12:00"), for a line saying who teaches it."""
    by_station: dict[str, list[PlacedBlock]] = defaultdict(list)
    for block in sorted(blocks, key=lambda b: (b.start, b.cohort)):
        if staff_id not in block.staff:
            continue
        if only_not_own is not None and staff_id in only_not_own.candidates(
            block.cohort, block.station
        ):
            continue
        by_station[block.station].append(block)
    # A list of names and times, one item per block.
    return [
        (
            code,
            ", ".join(f"{applied.cohort(b.cohort).name} {_times([b])}" for b in station_blocks),
        )
        for code, station_blocks in by_station.items()
    ]


def _times(blocks: Sequence[PlacedBlock]) -> str:
    return ", ".join(clock_span(b.start, b.end) for b in blocks)


def _names(names: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return tr("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])


# --- JSON ---------------------------------------------------------------------------------------


def recovery_to_json(recovery: Recovery) -> dict[str, object]:
    """``recovery`` as JSON-ready data; ``recovery_from_json`` reads it back exactly."""
    return {
        "version": JSON_VERSION,
        "kind": recovery.kind.value,
        "absent": list(recovery.absent),
        "staff_added": [
            {
                "id": m.id,
                "name": m.name,
                "roles": sorted(m.roles),
                "room": m.room,
                "available": [_window_json(w) for w in m.available],
                "prep_minutes": m.prep_minutes,
            }
            for m in recovery.staff_added
        ],
        "assignments_added": [
            {"cohort": a.cohort, "station": a.station, "staff": list(a.staff)}
            for a in recovery.assignments_added
        ],
        "templates_added": [
            {
                "grade": t.grade,
                "cohorts": sorted(t.cohorts),
                "stations": [_station_json(s) for s in t.stations],
            }
            for t in recovery.templates_added
        ],
        "combined": [
            {"station": c.station, "cohorts": list(c.cohorts), "room": c.room}
            for c in recovery.combined
        ],
        "supervision_added": [
            {"lab": lab, "staff": staff} for lab, staff in recovery.supervision_added
        ],
    }


def _window_json(window: Window | None) -> list[int] | None:
    return None if window is None else [window.start, window.end]


def _station_json(station: Station) -> dict[str, object]:
    return {
        "code": station.code,
        "minutes": station.minutes,
        "block_min": station.block_min,
        "block_max": station.block_max,
        "max_blocks": station.max_blocks,
        "step": station.step,
        "venue": station.venue.value,
        "staff_role": station.staff_role,
        "window": _window_json(station.window),
        "preferred": _window_json(station.preferred),
        "avoid_right_after": station.avoid_right_after,
    }


def recovery_from_json(data: Mapping[str, object]) -> Recovery:
    """The ``Recovery`` that ``recovery_to_json`` wrote. Raises ``ValueError`` naming the first
    malformed field (as "recovery.staff_added[0].available[1]"); keys it does not know are
    ignored, so a page may store display fields beside them."""
    read = _Reader("recovery")
    data = read.mapping(data)
    version = read.integer(data, "version")
    if version != JSON_VERSION:
        raise ValueError(
            tr(
                "%(where)s: %(version)s is not a known version (%(known)s)",
                where="recovery.version",
                version=version,
                known=JSON_VERSION,
            )
        )
    kind_text = read.text(data, "kind")
    try:
        kind = RecoveryKind(kind_text)
    except ValueError:
        known = ", ".join(k.value for k in RecoveryKind)
        raise ValueError(
            tr(
                "%(where)s: %(kind)s is not one of %(known)s",
                where="recovery.kind",
                kind=repr(kind_text),
                known=known,
            )
        ) from None
    return Recovery(
        kind=kind,
        absent=tuple(read.integers(data, "absent")),
        staff_added=tuple(
            _member(read.at(f"staff_added[{n}]"), item)
            for n, item in enumerate(read.items(data, "staff_added"))
        ),
        assignments_added=tuple(
            _assignment(read.at(f"assignments_added[{n}]"), item)
            for n, item in enumerate(read.items(data, "assignments_added"))
        ),
        templates_added=tuple(
            _template(read.at(f"templates_added[{n}]"), item)
            for n, item in enumerate(read.items(data, "templates_added"))
        ),
        combined=tuple(
            _combination(read.at(f"combined[{n}]"), item)
            for n, item in enumerate(read.items(data, "combined"))
        ),
        # Days stored before supervisors could be replaced have no such key.
        supervision_added=tuple(
            _supervision(read.at(f"supervision_added[{n}]"), item)
            for n, item in enumerate(
                read.items(data, "supervision_added") if "supervision_added" in data else []
            )
        ),
    )


# What a JSON value was expected to be, for ``_Reader.fail``'s message.
_Expected = Literal["object", "integer", "text", "list", "window", "venue"]


class _Reader:
    """Typed reads of JSON data, each failure naming where it is."""

    def __init__(self, path: str) -> None:
        self.path = path

    def at(self, part: str) -> _Reader:
        return _Reader(f"{self.path}.{part}")

    def where(self, key: str) -> str:
        """The path of ``key`` here ("recovery.staff_added[0].available[1]")."""
        return f"{self.path}.{key}" if key else self.path

    def fail(self, key: str, expected: _Expected, value: object) -> ValueError:
        """The error of a value at ``key`` that is not what was ``expected``."""
        where, got = self.where(key), repr(value)
        if expected == "object":
            message = tr("%(where)s: expected an object, got %(value)s", where=where, value=got)
        elif expected == "integer":
            message = tr(
                "%(where)s: expected a whole number, got %(value)s", where=where, value=got
            )
        elif expected == "text":
            message = tr("%(where)s: expected text, got %(value)s", where=where, value=got)
        elif expected == "list":
            message = tr("%(where)s: expected a list, got %(value)s", where=where, value=got)
        elif expected == "window":
            message = tr(
                "%(where)s: expected [start, end] in minutes, got %(value)s", where=where, value=got
            )
        else:
            message = tr("%(where)s: expected a venue, got %(value)s", where=where, value=got)
        return ValueError(message)

    def mapping(self, value: object) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail("", "object", value)
        return value

    def get(self, data: Mapping[str, object], key: str) -> object:
        if key not in data:
            raise ValueError(tr("%(where)s: missing", where=self.where(key)))
        return data[key]

    def integer(self, data: Mapping[str, object], key: str) -> int:
        value = self.get(data, key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "integer", value)
        return value

    def optional_integer(self, data: Mapping[str, object], key: str) -> int | None:
        return None if self.get(data, key) is None else self.integer(data, key)

    def text(self, data: Mapping[str, object], key: str) -> str:
        value = self.get(data, key)
        if not isinstance(value, str):
            raise self.fail(key, "text", value)
        return value

    def optional_text(self, data: Mapping[str, object], key: str) -> str | None:
        return None if self.get(data, key) is None else self.text(data, key)

    def items(self, data: Mapping[str, object], key: str) -> list[object]:
        value = self.get(data, key)
        if not isinstance(value, list):
            raise self.fail(key, "list", value)
        return value

    def integers(self, data: Mapping[str, object], key: str) -> list[int]:
        values = self.items(data, key)
        for n, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(f"{key}[{n}]", "integer", value)
        return [int(v) for v in values]  # type: ignore[call-overload]

    def texts(self, data: Mapping[str, object], key: str) -> list[str]:
        values = self.items(data, key)
        for n, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{n}]", "text", value)
        return [str(v) for v in values]

    def window(self, value: object, key: str) -> Window:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
        ):
            raise self.fail(key, "window", value)
        try:
            return Window(value[0], value[1])
        except ValueError as error:
            raise ValueError(
                tr("%(where)s: %(error)s", where=self.where(key), error=error)
            ) from None

    def optional_window(self, data: Mapping[str, object], key: str) -> Window | None:
        value = self.get(data, key)
        return None if value is None else self.window(value, key)


def _supervision(read: _Reader, item: object) -> tuple[int, int]:
    data = read.mapping(item)
    return read.integer(data, "lab"), read.integer(data, "staff")


def _member(read: _Reader, item: object) -> StaffMember:
    data = read.mapping(item)
    return StaffMember(
        id=read.integer(data, "id"),
        name=read.text(data, "name"),
        roles=frozenset(read.texts(data, "roles")),
        room=read.optional_integer(data, "room"),
        available=tuple(
            read.window(w, f"available[{n}]") for n, w in enumerate(read.items(data, "available"))
        ),
        prep_minutes=read.integer(data, "prep_minutes"),
    )


def _assignment(read: _Reader, item: object) -> Assignment:
    data = read.mapping(item)
    return Assignment(
        cohort=read.integer(data, "cohort"),
        station=read.text(data, "station"),
        staff=tuple(read.integers(data, "staff")),
    )


def _template(read: _Reader, item: object) -> GradeTemplate:
    data = read.mapping(item)
    return GradeTemplate(
        grade=read.integer(data, "grade"),
        stations=tuple(
            _station(read.at(f"stations[{n}]"), s)
            for n, s in enumerate(read.items(data, "stations"))
        ),
        cohorts=frozenset(read.integers(data, "cohorts")),
    )


def _station(read: _Reader, item: object) -> Station:
    data = read.mapping(item)
    venue_text = read.text(data, "venue")
    try:
        venue = Venue(venue_text)
    except ValueError:
        raise read.fail("venue", "venue", venue_text) from None
    return Station(
        code=read.text(data, "code"),
        minutes=read.integer(data, "minutes"),
        block_min=read.integer(data, "block_min"),
        block_max=read.integer(data, "block_max"),
        max_blocks=read.integer(data, "max_blocks"),
        step=read.integer(data, "step"),
        venue=venue,
        staff_role=read.optional_text(data, "staff_role"),
        window=read.optional_window(data, "window"),
        preferred=read.optional_window(data, "preferred"),
        avoid_right_after=read.optional_text(data, "avoid_right_after"),
    )


def _combination(read: _Reader, item: object) -> Combination:
    data = read.mapping(item)
    return Combination(
        station=read.text(data, "station"),
        cohorts=tuple(read.integers(data, "cohorts")),
        room=read.integer(data, "room"),
    )


__all__ = [
    "Recovery",
    "RecoveryKind",
    "RecoveryOption",
    "apply_recovery",
    "recovery_from_json",
    "recovery_options",
    "recovery_to_json",
]
