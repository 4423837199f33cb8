"""Counting checks made before solving: cheap, and each failure named in school terms.

They catch the common impossible configurations in milliseconds: a grade whose stations do not
fill the day, a station whose minutes cannot be cut into allowed blocks, an event longer than its
window, a lab without enough seat-minutes for the grades it serves, a staff pool without enough
minutes for the blocks only it can teach, a pin on a station the grade lacks.

Each check is a necessary condition only, so a refusal is always true; the lab is counted per
stretch of the day (a grade's fixed lunch takes that grade out of the lab, not the lab away from
the others) and only while supervisors present can watch its seats (H6).

A suggestion with a number in it is one that removes its reason: lab seats and teachers to add
are found by counting again on the problem with the fix applied (the seats of the largest
cohorts sharing the lab at its peak, as few as pass), and are left out when no such number
passes; the minutes to add to a rotation and the cohorts a shared room must hold at once pass
their check by construction. A supervision shortage is answered with supervision, never seats.
Staff out all day are named once each, with what they leave uncovered.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from .clock import clock, clock_span, grade_name
from .problem import (
    Cohort,
    Problem,
    Reason,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    Window,
)
from .rules import cannot_split, day_gap, day_gap_message
from .words import tr, trn


def precheck(problem: Problem) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    reasons += _templates(problem)
    if reasons:
        return tuple(reasons)
    reasons += _staffing(problem)
    reasons += _labs(problem)
    reasons += _cohort_rooms(problem)
    reasons += _pins(problem)
    return tuple(reasons)


def _templates(problem: Problem) -> list[Reason]:
    reasons = []
    day = problem.day
    for template in problem.templates:
        grade = grade_name(template.grade)
        passing = problem.passing_minutes
        gap = day_gap(
            ((s.minutes, s.max_blocks) for s in template.stations),
            day_minutes=day.minutes,
            passing=passing,
        )
        if gap is not None:
            reasons.append(
                Reason(
                    code="minutes-do-not-fill-day",
                    message=day_gap_message(
                        grade.capitalize(),
                        gap,
                        passing=passing,
                        day=tr("%(start)s to %(end)s", start=clock(day.start), end=clock(day.end)),
                        day_minutes=day.minutes,
                    ),
                    suggestion=(
                        tr(
                            "Add %(minutes)s minutes of stations in %(grade)s's rotation "
                            "template, or change the bell times.",
                            minutes=gap.short,
                            grade=grade,
                        )
                        if gap.short > 0
                        else tr(
                            "Remove %(minutes)s minutes of stations in %(grade)s's rotation "
                            "template, or change the bell times.",
                            minutes=-gap.short,
                            grade=grade,
                        )
                    ),
                    setting=f"template:{template.grade}",
                )
            )
        for station in template.stations:
            setting = f"station:{template.grade}:{station.code}"
            split = cannot_split(
                station.code,
                station.minutes,
                station.block_min,
                station.block_max,
                station.step,
                station.max_blocks,
                grade=grade.capitalize(),
            )
            if split is not None:
                reasons.append(
                    Reason(
                        code="minutes-do-not-split",
                        message=split,
                        suggestion=tr("Change the minutes, the block lengths or allow a split."),
                        setting=setting,
                    )
                )
            window = station.window
            if window is not None and (
                not day.contains(window.start, window.end) or window.minutes < station.block_min
            ):
                reasons.append(
                    Reason(
                        code="window-too-short",
                        message=tr(
                            "%(grade)s's %(station)s window %(window)s does not hold a "
                            "%(minutes)s-minute block inside the day (%(day)s).",
                            grade=grade.capitalize(),
                            station=station.code,
                            window=clock_span(window.start, window.end),
                            minutes=station.block_min,
                            day=clock_span(day.start, day.end),
                        ),
                        suggestion=tr("Widen the %(station)s window.", station=station.code),
                        setting=setting,
                    )
                )
    return reasons


def _available_minutes(problem: Problem, staff_id: int) -> int:
    """A teacher's minutes of the day left for teaching: their hours less prep and lunch."""
    member = problem.member(staff_id)
    day = problem.day
    inside = sum(max(0, min(w.end, day.end) - max(w.start, day.start)) for w in member.available)
    return max(0, inside - member.prep_minutes - _lunch_minutes(problem, staff_id))


def _lunch_minutes(problem: Problem, staff_id: int) -> int:
    """The minutes of the day a teacher's duty-free lunch (W1) surely takes from their teaching.

    Exempt exactly as in the model (``stage1.wellbeing.WellbeingRules.lunch_starts``): nobody
    whose hours hold no whole lunch, on the grid, inside the lunch window needs one. Otherwise
    it is the lunch less any of the window that lies outside the day (a lunch there takes no
    teaching minutes)."""
    wellbeing = problem.wellbeing
    if wellbeing is None:
        return 0
    unit, window, day = problem.granularity, wellbeing.lunch_window, problem.day
    size = -(-wellbeing.lunch_minutes // unit)
    spans: list[tuple[int, int]] = []
    for w in sorted(problem.member(staff_id).available, key=lambda w: w.start):
        if spans and w.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], w.end))
        else:
            spans.append((w.start, w.end))
    if not any(
        -(-max(start, window.start) // unit) <= min(end, window.end) // unit - size
        for start, end in spans
    ):
        return 0
    outside = max(0, day.start - window.start) + max(0, window.end - day.end)
    return max(0, wellbeing.lunch_minutes - outside)


def weekday(date: str) -> str:
    """The English weekday of an ISO date ("Monday"), or "" when it is not one."""
    try:
        return _dt.date.fromisoformat(date).strftime("%A")
    except ValueError:
        return ""


def _date(problem: Problem) -> str:
    """The day as the messages write it after "on": its weekday and ISO date ("Monday
    2026-09-14"), or the date alone."""
    day = weekday(problem.date)
    return f"{day} {problem.date}" if day else problem.date


def _names(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return tr("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def _any_of(items: list[str]) -> str:
    """``items`` as alternatives ("specials or music"): "" for none."""
    text = items[0] if items else ""
    for item in items[1:]:
        text = tr("%(first)s or %(other)s", first=text, other=item)
    return text


def _absence(
    problem: Problem, absent: tuple[int, ...], left: list[tuple[Cohort, Station]]
) -> Reason:
    """One reason for the staff out all day whose stations nobody else present can take."""
    names = _names([problem.member(sid).name for sid in absent])
    by_station: dict[str, list[str]] = defaultdict(list)
    for cohort, station in left:
        by_station[station.code].append(cohort.name)
    parts = [
        trn(
            "%(station)s for %(count)s cohort (%(cohorts)s)",
            "%(station)s for %(count)s cohorts (%(cohorts)s)",
            len(cohorts),
            station=code,
            cohorts=", ".join(cohorts),
        )
        for code, cohorts in by_station.items()
    ]
    roles = sorted({s.staff_role for _, s in left if s.staff_role})
    return Reason(
        code="staff-absent",
        message=trn(
            "%(names)s is out on %(date)s, and nobody present can take the %(stations)s.",
            "%(names)s are out on %(date)s, and nobody present can take their %(stations)s.",
            len(absent),
            names=names,
            date=_date(problem),
            stations=_names(parts),
        ),
        suggestion=tr(
            "Add a substitute for %(names)s on that day, or assign another %(role)s teacher to "
            "these cohorts.",
            names=names,
            role=_any_of(roles),
        ),
        setting="staff:" + ",".join(str(sid) for sid in absent),
        detail=tuple((code, len(cohorts)) for code, cohorts in by_station.items()),
    )


def _with_teachers(problem: Problem, members: set[int], role: str, count: int) -> Problem:
    """``problem`` with ``count`` new full-day ``role`` teachers (prep as the pool's) beside
    ``members`` on every assignment they share."""
    first = max(s.id for s in problem.staff) + 1
    prep = max(problem.member(sid).prep_minutes for sid in members)
    new = tuple(
        StaffMember(first + n, f"new {role} teacher", frozenset({role}), None, (problem.day,), prep)
        for n in range(count)
    )
    ids = tuple(m.id for m in new)
    return replace(
        problem,
        staff=problem.staff + new,
        assignments=tuple(
            replace(a, staff=a.staff + ids) if members & set(a.staff) else a
            for a in problem.assignments
        ),
    )


def _teachers_to_add(problem: Problem, members: set[int], role: str, short: int) -> int | None:
    """The fewest new full-day teachers that remove the pool's shortage, checked by counting
    again with them on the staff; None when a few more than the minutes suggest do not."""
    per_teacher = max(1, problem.day.minutes - max(problem.member(s).prep_minutes for s in members))
    least = math.ceil(short / per_teacher)
    for count in range(least, least + 3):
        fixed = _with_teachers(problem, members, role, count)
        if not any(
            (r.code == "staff-minutes-short" and members & set(_ids_of(r.setting)))
            # A lunch shortage names the School settings, not its teachers: any one counts.
            or r.code == "staff-lunch"
            for r in _staffing(fixed, suggest=False)
        ):
            return count
    return None


def _ids_of(setting: str) -> list[int]:
    return [int(part) for part in setting.partition(":")[2].split(",") if part.isdigit()]


def _staffing(problem: Problem, *, suggest: bool = True) -> list[Reason]:
    """Every staffed block has someone, and each pool of staff has the minutes its blocks need.

    Blocks left without a teacher because their teachers are out are named once per absence
    (who is out, and what they leave), not once per cohort."""
    reasons = []
    demand: dict[tuple[int, ...], int] = defaultdict(int)
    cohorts_of: dict[tuple[int, ...], list[str]] = defaultdict(list)
    station_of: dict[tuple[int, ...], str] = {}
    role_of: dict[tuple[int, ...], str] = {}
    left_by: dict[tuple[int, ...], list[tuple[Cohort, Station]]] = defaultdict(list)
    for cohort in problem.cohorts:
        for station in problem.template_of(cohort).stations:
            if station.staff_role is None or problem.follows(cohort.id, station.code):
                continue  # a combined cohort's shared block counts once, with the lead's
            able = [
                sid
                for sid in problem.candidates(cohort.id, station.code)
                if station.staff_role in problem.member(sid).roles
            ]
            pool = tuple(sorted(sid for sid in able if problem.member(sid).available))
            if not pool and able:
                left_by[tuple(sorted(able))].append((cohort, station))
                continue
            if not pool:
                reasons.append(
                    Reason(
                        code="no-staff",
                        message=tr(
                            "Nobody present can teach %(station)s to %(cohort)s on %(date)s.",
                            station=station.code,
                            cohort=cohort.name,
                            date=problem.date,
                        ),
                        suggestion=tr(
                            "Assign a %(role)s teacher (or a substitute) to %(cohort)s's "
                            "%(station)s.",
                            role=station.staff_role,
                            cohort=cohort.name,
                            station=station.code,
                        ),
                        setting=f"staffing:{cohort.id}:{station.code}",
                    )
                )
                continue
            demand[pool] += station.minutes
            cohorts_of[pool].append(cohort.name)
            station_of[pool] = station.code
            role_of[pool] = station.staff_role
    reasons += [_absence(problem, absent, left) for absent, left in left_by.items()]
    # A pool's blocks can only go to its members: compare with every union of pools inside it.
    pools = list(demand)
    for pool in pools:
        members = set(pool)
        needed = sum(minutes for other, minutes in demand.items() if set(other) <= members)
        has = sum(_available_minutes(problem, sid) for sid in members)
        if needed > has:
            names = ", ".join(problem.member(sid).name for sid in sorted(members))
            role = station_of[pool]
            extra = (
                _teachers_to_add(problem, members, role_of[pool], needed - has) if suggest else None
            )
            day = problem.day
            part_day = [
                tr(
                    "%(teacher)s is in only %(times)s",
                    teacher=m.name,
                    times=", ".join(clock_span(w.start, w.end) for w in m.available),
                )
                for m in (problem.member(sid) for sid in sorted(members))
                if not any(w.start <= day.start and day.end <= w.end for w in m.available)
            ]
            lunch = sum(_lunch_minutes(problem, sid) for sid in members)
            if needed <= has + lunch:
                reasons.append(_lunch_short(problem, members, needed, has + lunch, extra, role))
                continue
            values: dict[str, object] = {
                "role": role.capitalize(),
                "needed": needed,
                "names": names,
                "has": has,
            }
            count = len(cohorts_of[pool])
            reasons.append(
                Reason(
                    code="staff-minutes-short",
                    message=(
                        trn(
                            "%(role)s staffing: %(count)s cohort needs %(needed)s minutes of "
                            "%(names)s, who have %(has)s minutes after prep (%(away)s on "
                            "%(date)s).",
                            "%(role)s staffing: %(count)s cohorts need %(needed)s minutes of "
                            "%(names)s, who have %(has)s minutes after prep (%(away)s on "
                            "%(date)s).",
                            count,
                            away="; ".join(part_day),
                            date=_date(problem),
                            **values,
                        )
                        if part_day
                        else trn(
                            "%(role)s staffing: %(count)s cohort needs %(needed)s minutes of "
                            "%(names)s, who have %(has)s minutes after prep.",
                            "%(role)s staffing: %(count)s cohorts need %(needed)s minutes of "
                            "%(names)s, who have %(has)s minutes after prep.",
                            count,
                            **values,
                        )
                    ),
                    suggestion=(
                        trn(
                            "Add %(count)s %(role)s teacher for these cohorts, shorten "
                            "%(role)s, or reduce prep minutes.",
                            "Add %(count)s %(role)s teachers for these cohorts, shorten "
                            "%(role)s, or reduce prep minutes.",
                            extra,
                            role=role,
                        )
                        if extra is not None
                        else tr(
                            "Add %(role)s teachers for these cohorts, shorten %(role)s, or "
                            "reduce prep minutes.",
                            role=role,
                        )
                    ),
                    setting="staff:" + ",".join(str(s) for s in sorted(members)),
                )
            )
    return reasons


def _lunch_short(
    problem: Problem, members: set[int], needed: int, has: int, extra: int | None, role: str
) -> Reason:
    """A pool whose blocks fit in its minutes after prep, but not with the staff lunch (W1):
    the lunch setting is at fault as much as the staffing, so the reason links School
    settings and names the teachers."""
    wellbeing = problem.wellbeing
    assert wellbeing is not None
    names = _names([problem.member(sid).name for sid in sorted(members)])
    window = wellbeing.lunch_window
    return Reason(
        code="staff-lunch",
        message=trn(
            "%(names)s has %(has)s minutes after prep and %(role)s needs %(needed)s of them, "
            "which leaves no time for %(names)s's %(lunch)s-minute staff lunch between "
            "%(start)s and %(end)s.",
            "%(names)s have %(has)s minutes after prep and %(role)s needs %(needed)s of them, "
            "which leaves no time for each one's %(lunch)s-minute staff lunch between "
            "%(start)s and %(end)s.",
            len(members),
            names=names,
            has=has,
            role=role,
            needed=needed,
            lunch=wellbeing.lunch_minutes,
            start=clock(window.start),
            end=clock(window.end),
        ),
        suggestion=(
            trn(
                "Shorten the staff lunch or reduce prep minutes in School settings, add "
                "%(count)s %(role)s teacher for these cohorts, or shorten %(role)s.",
                "Shorten the staff lunch or reduce prep minutes in School settings, add "
                "%(count)s %(role)s teachers for these cohorts, or shorten %(role)s.",
                extra,
                role=role,
            )
            if extra is not None
            else tr(
                "Shorten the staff lunch or reduce prep minutes in School settings, add "
                "%(role)s teachers for these cohorts, or shorten %(role)s.",
                role=role,
            )
        ),
        setting="school",  # the lunch rule lives in School settings
        detail=(("needed", needed), ("minutes", has), ("lunch", wellbeing.lunch_minutes)),
    )


def _forced_windows(problem: Problem, grade: int) -> list[Window]:
    """Windows a cohort of ``grade`` spends entirely at a fixed event (launch, lunch at a set
    time): blocks that must add up to the whole window fill it."""
    day = problem.day
    return [
        Window(max(w.start, day.start), min(w.end, day.end))
        for s in problem.template(grade).stations
        if (w := s.window) is not None
        and s.venue != Venue.LAB
        and w.minutes == s.minutes
        and w.start < day.end
        and day.start < w.end
    ]


@dataclass(frozen=True)
class _LabJob:
    """One cohort's lab station: its minutes, and the minutes of each segment of the day its
    blocks may use (outside the grade's fixed events, inside the station's window)."""

    cohort: Cohort
    station: Station
    open: tuple[int, ...]


@dataclass(frozen=True)
class _LabShortfall:
    start: int
    end: int
    needed_seat_minutes: int
    has_seat_minutes: int
    needed_lanes: int
    needed_cohort_minutes: int
    has_cohort_minutes: int
    lanes: int
    seats: int


def _segments(problem: Problem, lab: Room, jobs_of: list[tuple[Cohort, Station]]) -> list[Window]:
    """The day cut at every time where what the lab may hold can change: a grade's fixed event,
    a lab window, a supervisor arriving or leaving."""
    day = problem.day
    points = {day.start, day.end}
    for cohort, station in jobs_of:
        for w in _forced_windows(problem, cohort.grade):
            points |= {w.start, w.end}
        if station.window is not None:
            points |= {station.window.start, station.window.end}
    for sup in problem.supervision:
        if sup.lab == lab.id:
            for sid in sup.supervisors:
                for w in problem.member(sid).available:
                    points |= {w.start, w.end}
    cuts = sorted(t for t in points if day.start <= t <= day.end)
    return [Window(a, b) for a, b in itertools.pairwise(cuts)]


def _supervised_seats(problem: Problem, lab: Room, segments: list[Window]) -> list[int]:
    """Per segment, the students the supervisors present can watch (H6); a lab without
    supervision settings is watched throughout."""
    # The last setting for a lab wins, as in the model.
    sup = {s.lab: s for s in problem.supervision}.get(lab.id)
    if sup is None:
        return [lab.capacity] * len(segments)
    present = [
        sum(
            1
            for sid in sup.supervisors
            if any(w.start <= seg.start and seg.end <= w.end for w in problem.member(sid).available)
        )
        for seg in segments
    ]
    return [n * sup.students_per_adult for n in present]


def _lab_jobs(
    problem: Problem, users: list[tuple[Cohort, Station]], segments: list[Window]
) -> list[_LabJob]:
    jobs = []
    for cohort, station in users:
        forced = _forced_windows(problem, cohort.grade)
        allowed = station.window or problem.day
        jobs.append(
            _LabJob(
                cohort,
                station,
                tuple(
                    seg.minutes
                    if allowed.contains(seg.start, seg.end)
                    and not any(w.start < seg.end and seg.start < w.end for w in forced)
                    else 0
                    for seg in segments
                ),
            )
        )
    return jobs


def _fits(sizes: list[int], seats: int) -> int:
    """How many of these cohorts fit in ``seats`` at once: the smallest first."""
    count = total = 0
    for size in sorted(sizes):
        total += size
        if total > seats:
            break
        count += 1
    return count


def _lab_shortfall(
    jobs: list[_LabJob], segments: list[Window], seats: list[int]
) -> _LabShortfall | None:
    """The stretch of the day where the lab holds least of what must happen in it, if short.

    A necessary condition, checked on every stretch T of consecutive segments: a cohort spends at
    least its lab minutes less its usable minutes outside T inside T, and at each minute the lab
    holds at most its seats (and as many cohorts as fit in them) of the cohorts that may be there.
    A cohort may only be where its whole class fits in the seats watched then.
    """
    usable = [
        tuple(m if seats[i] >= job.cohort.students else 0 for i, m in enumerate(job.open))
        for job in jobs
    ]
    totals = [sum(u) for u in usable]
    cap_seats, cap_lanes = [], []
    for i, seg in enumerate(segments):
        here = [job.cohort.students for job, u in zip(jobs, usable, strict=True) if u[i]]
        cap_seats.append(min(seats[i], sum(here)) * seg.minutes)
        cap_lanes.append(_fits(here, seats[i]) * seg.minutes)
    worst: tuple[int, int, _LabShortfall] | None = None
    for a in range(len(segments)):
        inside = [0] * len(jobs)
        has_seat_minutes = has_lanes = 0
        for b in range(a, len(segments)):
            has_seat_minutes += cap_seats[b]
            has_lanes += cap_lanes[b]
            needed_seat_minutes = needed_lanes = 0
            for k, job in enumerate(jobs):
                inside[k] += usable[k][b]
                must = max(0, job.station.minutes - (totals[k] - inside[k]))
                needed_seat_minutes += must * job.cohort.students
                needed_lanes += must
            over = max(needed_seat_minutes - has_seat_minutes, needed_lanes - has_lanes)
            if over <= 0:
                continue
            span = segments[b].end - segments[a].start
            if worst is None or (over, span) > worst[:2]:
                # Report the stretch the lab is really open to these cohorts.
                used = [i for i in range(a, b + 1) if any(u[i] for u in usable)] or [a]
                start, end = segments[used[0]].start, segments[used[-1]].end
                worst = (
                    over,
                    span,
                    _LabShortfall(
                        start,
                        end,
                        needed_seat_minutes,
                        has_seat_minutes,
                        math.ceil(needed_lanes / max(1, end - start)),
                        needed_lanes,
                        has_lanes,
                        max(cap_lanes[i] // segments[i].minutes for i in used),
                        max(min(seats[i], cap_seats[i] // segments[i].minutes) for i in used),
                    ),
                )
    return worst[2] if worst else None


def _merged(
    segments: list[Window], values: list[int], keep: Callable[[int], bool]
) -> list[tuple[int, int, int]]:
    """Consecutive segments whose value ``keep`` accepts, merged while the value stays the same."""
    parts: list[tuple[int, int, int]] = []
    for seg, value in zip(segments, values, strict=True):
        if not keep(value):
            continue
        if parts and parts[-1][1] == seg.start and parts[-1][2] == value:
            parts[-1] = (parts[-1][0], seg.end, value)
        else:
            parts.append((seg.start, seg.end, value))
    return parts


def _supervision_text(lab: Room, segments: list[Window], watchable: list[int]) -> tuple[str, str]:
    """How the supervisors present limit the lab ("supervised only 8:00-12:00 (nobody
    12:00-15:15)"), and the stretches more supervision would fix."""
    gaps = _merged(segments, watchable, lambda can: can < lab.capacity)
    full = _merged(
        segments, [min(can, lab.capacity) for can in watchable], lambda can: can >= lab.capacity
    )
    covered = ", ".join(clock_span(a, b) for a, b, _ in full) or tr("at no time")
    gap_text = ", ".join(
        tr("nobody %(times)s", times=clock_span(a, b))
        if can == 0
        else tr("only %(students)s students %(times)s", students=can, times=clock_span(a, b))
        for a, b, can in gaps
    )
    when = ", ".join(clock_span(a, b) for a, b, _ in gaps)
    if all(can == 0 for _, _, can in gaps):
        text = tr(
            "%(lab)s is supervised only %(times)s (%(gaps)s)",
            lab=lab.name,
            times=covered,
            gaps=gap_text,
        )
    else:
        text = tr(
            "%(lab)s is supervised for all %(seats)s seats only %(times)s (%(gaps)s)",
            lab=lab.name,
            seats=lab.capacity,
            times=covered,
            gaps=gap_text,
        )
    return text, when


def _supervision_short(problem: Problem, lab: Room, *, message: str, suggestion: str) -> Reason:
    """The lab's supervision shortage; the supervisors out all day named first, once, with a
    substitute offered for them: the absence is the cause, not the lab."""
    supervision = next((s for s in problem.supervision if s.lab == lab.id), None)
    out = [
        problem.member(sid).name
        for sid in (supervision.supervisors if supervision else ())
        if not problem.member(sid).available
    ]
    if out:
        names = _names(out)
        message = trn(
            "%(names)s is out on %(date)s: %(shortage)s",
            "%(names)s are out on %(date)s: %(shortage)s",
            len(out),
            names=names,
            date=_date(problem),
            shortage=message,
        )
        suggestion = tr(
            "Add a substitute to supervise %(lab)s in place of %(names)s. %(suggestion)s",
            lab=lab.name,
            names=names,
            suggestion=suggestion,
        )
    return Reason(
        code="lab-supervision-short",
        message=message,
        suggestion=suggestion,
        setting=f"room:{lab.id}",
    )


def _seat_suggestion(
    problem: Problem, lab: Room, sharing: list[Cohort], grade_text: str, suggest: bool
) -> str:
    """Seats to add, only if counting again with them removes the seat shortage: the seats of
    the largest cohorts that share the lab at its peak, as few of them as that takes. A lab
    smaller than a class (``grade_text`` empty) has no shorter block to offer instead."""
    fallback = (
        tr("Shorten the lab block of %(grades)s, or give the lab more seats.", grades=grade_text)
        if grade_text
        else tr("Give the lab seats for a whole class.")
    )
    if not suggest:
        return fallback
    total = 0
    for size in sorted((c.students for c in sharing), reverse=True):
        total += size
        if total <= lab.capacity:
            continue
        bigger = replace(lab, capacity=total)
        fixed = replace(
            problem, rooms=tuple(bigger if r.id == lab.id else r for r in problem.rooms)
        )
        after = {r.code for r in _lab_reasons(fixed, bigger, suggest=False)}
        if "lab-seat-minutes-short" in after:
            continue
        # Seats alone may leave the lab short of supervisors for them: say so, never less.
        seats = total - lab.capacity
        if after and grade_text:
            return trn(
                "Add %(count)s lab seat (and lab staff to supervise it), or shorten the lab "
                "block of %(grades)s.",
                "Add %(count)s lab seats (and lab staff to supervise them), or shorten the lab "
                "block of %(grades)s.",
                seats,
                grades=grade_text,
            )
        if after:
            return trn(
                "Add %(count)s lab seat (and lab staff to supervise it).",
                "Add %(count)s lab seats (and lab staff to supervise them).",
                seats,
            )
        if grade_text:
            return trn(
                "Add %(count)s lab seat, or shorten the lab block of %(grades)s.",
                "Add %(count)s lab seats, or shorten the lab block of %(grades)s.",
                seats,
                grades=grade_text,
            )
        return trn("Add %(count)s lab seat.", "Add %(count)s lab seats.", seats)
    return fallback


def _labs(problem: Problem) -> list[Reason]:
    """Seats (H5) and supervision (H6) of each lab, counted per stretch of the day."""
    return [
        reason
        for lab in problem.rooms
        if lab.kind == RoomKind.LEARNING_LAB
        for reason in _lab_reasons(problem, lab)
    ]


def _lab_reasons(problem: Problem, lab: Room, *, suggest: bool = True) -> list[Reason]:
    """One lab's reasons; ``suggest``: work out the seats that would fix a seat shortage (the
    re-check of such a fix does not)."""
    reasons: list[Reason] = []
    users = [
        (c, s)
        for c in problem.cohorts
        if problem.lab_for_grade(c.grade) == lab
        for s in problem.template_of(c).stations
        if s.venue == Venue.LAB
    ]
    if not users:
        return reasons
    grades = sorted({c.grade for c, _ in users})
    grade_text = (
        grade_name(grades[0])
        if len(grades) == 1
        else tr(
            "grades %(first)s-%(last)s",
            first=grade_name(grades[0], short=True),
            last=grade_name(grades[-1], short=True),
        )
    )
    segments = _segments(problem, lab, users)
    jobs = _lab_jobs(problem, users, segments)
    watchable = _supervised_seats(problem, lab, segments)
    seats = [min(lab.capacity, can) for can in watchable]
    unsupervised = [lab.capacity] * len(segments)
    supervision_short = any(s < lab.capacity for s in seats)
    setting = f"room:{lab.id}"

    # A cohort whose lab minutes do not fit where it may be in the lab at all: its windows
    # are too short, its class is larger than the lab, or the lab is not supervised for it.
    boxed_in, too_big, unsupervised_for = [], [], []
    for job in jobs:
        if sum(job.open) < job.station.minutes:
            boxed_in.append(job)
        elif job.cohort.students > lab.capacity:
            too_big.append(job)
        elif (
            sum(m for i, m in enumerate(job.open) if seats[i] >= job.cohort.students)
            < job.station.minutes
        ):
            unsupervised_for.append(job)
    if boxed_in:
        reasons.append(
            Reason(
                code="lab-window-too-short",
                message=tr(
                    "%(cohorts)s need %(minutes)s minutes in %(lab)s, but their lab window and "
                    "fixed events leave less time than that.",
                    cohorts=", ".join(job.cohort.name for job in boxed_in),
                    minutes=max(job.station.minutes for job in boxed_in),
                    lab=lab.name,
                ),
                suggestion=tr("Widen the lab window or move the fixed events."),
                setting=f"station:{boxed_in[0].cohort.grade}:{boxed_in[0].station.code}",
            )
        )
    if too_big:
        largest = max(job.cohort.students for job in too_big)
        reasons.append(
            Reason(
                code="lab-seat-minutes-short",
                message=tr(
                    "%(lab)s has %(seats)s seats; %(cohorts)s have up to %(students)s students.",
                    lab=lab.name,
                    seats=lab.capacity,
                    cohorts=", ".join(job.cohort.name for job in too_big),
                    students=largest,
                ),
                suggestion=_seat_suggestion(problem, lab, [j.cohort for j in jobs], "", suggest),
                setting=setting,
            )
        )
    if unsupervised_for:
        limited, when = _supervision_text(lab, segments, watchable)
        reasons.append(
            _supervision_short(
                problem,
                lab,
                message=tr(
                    "%(supervision)s: %(cohorts)s need %(minutes)s lab minutes while the lab is "
                    "supervised for their whole class.",
                    supervision=limited,
                    cohorts=", ".join(job.cohort.name for job in unsupervised_for),
                    minutes=max(job.station.minutes for job in unsupervised_for),
                ),
                suggestion=tr(
                    "Have lab staff supervise %(lab)s %(times)s, or move these cohorts' lab "
                    "window.",
                    lab=lab.name,
                    times=when,
                ),
            )
        )
    if boxed_in or too_big or unsupervised_for:
        return reasons

    short = _lab_shortfall(jobs, segments, seats)
    if short is None:
        return reasons
    if supervision_short and _lab_shortfall(jobs, segments, unsupervised) is None:
        # Seats are enough: the supervisors present at the time are not (H6).
        limited, when = _supervision_text(lab, segments, watchable)
        reasons.append(
            _supervision_short(
                problem,
                lab,
                message=(
                    tr(
                        "%(supervision)s: %(grades)s need %(needed)s seat-minutes between "
                        "%(start)s and %(end)s; supervised, it has %(has)s.",
                        supervision=limited,
                        grades=grade_text,
                        needed=f"{short.needed_seat_minutes:,}",
                        start=clock(short.start),
                        end=clock(short.end),
                        has=f"{short.has_seat_minutes:,}",
                    )
                    if short.needed_seat_minutes > short.has_seat_minutes
                    else tr(
                        "%(supervision)s: %(grades)s need %(needed)s cohort-minutes in the lab "
                        "between %(start)s and %(end)s; the supervised seats hold whole classes "
                        "for %(has)s.",
                        supervision=limited,
                        grades=grade_text,
                        needed=f"{short.needed_cohort_minutes:,}",
                        start=clock(short.start),
                        end=clock(short.end),
                        has=f"{short.has_cohort_minutes:,}",
                    )
                ),
                suggestion=tr(
                    "Have lab staff supervise all %(seats)s seats of %(lab)s %(times)s, or "
                    "shorten the lab block of %(grades)s.",
                    seats=lab.capacity,
                    lab=lab.name,
                    times=when,
                    grades=grade_text,
                ),
            )
        )
        return reasons
    # The cohorts that may be in the lab during the stretch it is short of.
    peak = [
        job.cohort
        for job in jobs
        if any(
            m and short.start < seg.end and seg.start < short.end
            for m, seg in zip(job.open, segments, strict=True)
        )
    ]
    reasons.append(
        Reason(
            code="lab-seat-minutes-short",
            message=tr(
                "%(lab)s: %(grades)s need %(needed)s seat-minutes between %(start)s and %(end)s; "
                "it has %(has)s (%(seats)s usable seats, room for %(lanes)s cohorts at once "
                "where %(needed_lanes)s are needed).",
                lab=lab.name,
                grades=grade_text,
                needed=f"{short.needed_seat_minutes:,}",
                start=clock(short.start),
                end=clock(short.end),
                has=f"{short.has_seat_minutes:,}",
                seats=short.seats,
                lanes=short.lanes,
                needed_lanes=short.needed_lanes,
            ),
            suggestion=_seat_suggestion(problem, lab, peak, grade_text, suggest),
            setting=setting,
        )
    )
    return reasons


def _cohort_rooms(problem: Problem) -> list[Reason]:
    reasons = []
    for room in problem.rooms:
        if room.kind not in (RoomKind.CAFETERIA, RoomKind.GYM):
            continue
        venue = Venue.CAFETERIA if room.kind == RoomKind.CAFETERIA else Venue.GYM
        uses = [
            (c, s)
            for c in problem.cohorts
            for s in problem.template_of(c).stations
            if s.venue == venue
        ]
        if not uses:
            continue
        windows = {s.window or problem.day for _, s in uses}
        span = Window(min(w.start for w in windows), max(w.end for w in windows))
        needed = sum(s.minutes for _, s in uses)
        has = room.capacity * span.minutes
        if needed > has:
            reasons.append(
                Reason(
                    code="shared-room-short",
                    message=tr(
                        "%(room)s: %(blocks)s cohort blocks need %(needed)s cohort-minutes "
                        "between %(start)s and %(end)s; it has %(has)s.",
                        room=room.name,
                        blocks=len(uses),
                        needed=f"{needed:,}",
                        start=clock(span.start),
                        end=clock(span.end),
                        has=f"{has:,}",
                    ),
                    suggestion=tr(
                        "Let %(room)s hold %(cohorts)s cohorts at once, or widen the window.",
                        room=room.name,
                        cohorts=math.ceil(needed / span.minutes),
                    ),
                    setting=f"room:{room.id}",
                )
            )
    return reasons


def _pins(problem: Problem) -> list[Reason]:
    reasons = []
    cohort_ids = {c.id for c in problem.cohorts}
    for pin in problem.pins:
        setting = f"pin:{pin.cohort}:{pin.station}"
        if pin.cohort not in cohort_ids:
            reasons.append(
                Reason(
                    "pin-unknown-cohort",
                    tr(
                        "A pin names cohort %(cohort)s, which is not in this school.",
                        cohort=pin.cohort,
                    ),
                    tr("Clear the pin."),
                    setting,
                )
            )
            continue
        cohort = problem.cohort(pin.cohort)
        station = problem.template_of(cohort).station(pin.station)
        if station is None:
            reasons.append(
                Reason(
                    "pin-station-missing",
                    tr(
                        "%(cohort)s is pinned to %(station)s at %(time)s, but %(grade)s's "
                        "rotation has no %(station)s.",
                        cohort=cohort.name,
                        station=pin.station,
                        time=clock(pin.start),
                        grade=grade_name(cohort.grade),
                    ),
                    tr(
                        "Clear the pin or add %(station)s to the grade's template.",
                        station=pin.station,
                    ),
                    setting,
                )
            )
            continue
        window = station.window or problem.day
        end = pin.end if pin.end is not None else pin.start + station.block_min
        if not window.contains(pin.start, end):
            reasons.append(
                Reason(
                    "pin-outside-window",
                    tr(
                        "%(cohort)s's %(station)s is pinned at %(time)s, outside %(window)s.",
                        cohort=cohort.name,
                        station=pin.station,
                        time=clock(pin.start),
                        window=clock_span(window.start, window.end),
                    ),
                    tr(
                        "Move the pin inside %(window)s.",
                        window=clock_span(window.start, window.end),
                    ),
                    setting,
                )
            )
    return reasons
