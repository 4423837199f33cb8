"""Absence recovery in a build: when staff are out and stage 1 finds no day, the options.

``recovery_options`` (``solver/recovery.py``) proposes days that work without the absent staff,
each valid for the day's problem with one recovery applied (a substitute, cover by present
staff, the station turned into lab or flex time, two cohorts combined), best ranked first. Here
they become what the database keeps:

- ``Schedule.recovery``: the option a stored day uses (``recovery_record``), re-applied to
  ``problem_for(...)`` by ``problem_with_recovery`` wherever the stored day is validated again
  (publish, restore, a kept stage 1, the nightly): without it a covered day would break H4.
- ``BuildJob.recovery_options``: every option with its blocks (``option_json``), so a leader can
  pick another one without a new solve.

``Schedule.input_fingerprint`` stays the original problem's: the same absences and pool give
the same day again. Who is out and the pool are read in ``selectors.recovery``; a day using a
network substitute gives them a ``Staff`` row here when it is stored (``local_substitutes``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from students.models import Role, School, Staff, StaffRole

from ..models import StationCode
from ..selectors.recovery import KIND_LABELS, absent_staff, substitutes_for
from ..solver.problem import PlacedBlock, Problem, Reason, StaffMember
from ..solver.recovery import (
    Recovery,
    RecoveryOption,
    apply_recovery,
    recovery_from_json,
    recovery_options,
    recovery_to_json,
)
from ..solver.stage1 import SolveOptions

# Enough of the original reasons to say why the day needed a recovery.
WHY_REASONS = 5


def recovered_problem(problem: Problem, recovery: Recovery) -> Problem:
    """``problem`` with ``recovery`` applied. A substitute of the school's own pool is already
    in ``problem.staff`` (as idle staff with their usual hours): ``apply_recovery`` replaces
    that row with the recovery's, which brings them in for the absent teacher's room."""
    return apply_recovery(problem, recovery)


def problem_with_recovery(problem: Problem, record: Mapping[str, Any] | None) -> Problem:
    """``problem`` as the stored day with ``Schedule.recovery`` = ``record`` was built for
    (``problem`` itself without one). Raises ``ValueError`` on a record that does not read."""
    if not record:
        return problem
    if not isinstance(record, Mapping) or not isinstance(record.get("recovery"), Mapping):
        raise ValueError("Schedule.recovery: expected an object with a recovery")
    return recovered_problem(problem, recovery_from_json(record["recovery"]))


def pool_for(problem: Problem, pool: Sequence[StaffMember]) -> tuple[StaffMember, ...]:
    """The substitutes offered: one already on the school's staff only when nothing else needs
    them (no station nor lab of the day is theirs), since the option replaces their row."""
    busy = {s for a in problem.assignments for s in a.staff} | {
        s for lab in problem.supervision for s in lab.supervisors
    }
    return tuple(m for m in pool if m.id not in busy)


def options_for(
    *,
    school: School,
    date: datetime.date,
    problem: Problem,
    options: SolveOptions | None,
) -> tuple[RecoveryOption, ...]:
    """The recovery options of the day (best first), or () when nobody is out or none works."""
    absent = absent_staff(school=school, date=date)
    if not absent:
        return ()
    pool = pool_for(problem, substitutes_for(school=school, date=date))
    return recovery_options(problem, absent=absent, substitutes=pool, options=options)


# --- JSON ---------------------------------------------------------------------------------------


def blocks_json(blocks: Sequence[PlacedBlock]) -> list[dict[str, Any]]:
    return [
        {
            "cohort": b.cohort,
            "station": b.station,
            "start": b.start,
            "end": b.end,
            "room": b.room,
            "staff": list(b.staff),
        }
        for b in blocks
    ]


def blocks_from_json(data: object) -> tuple[PlacedBlock, ...]:
    """Blocks stored by ``blocks_json``; ``ValueError`` on anything else."""
    if not isinstance(data, list):
        raise ValueError("blocks must be a list")
    try:
        return tuple(
            PlacedBlock(
                cohort=int(b["cohort"]),
                station=str(b["station"]),
                start=int(b["start"]),
                end=int(b["end"]),
                room=None if b["room"] is None else int(b["room"]),
                staff=tuple(int(s) for s in b["staff"]),
            )
            for b in data
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"a block does not read: {error}") from None


def _station_name(code: str) -> str:
    try:
        return str(StationCode(code).label)
    except ValueError:
        return code


def _staff_name(problem: Problem, recovery: Recovery, staff_id: int) -> str:
    for member in (*recovery.staff_added, *problem.staff):
        if member.id == staff_id:
            return member.name
    return str(staff_id)


def _cohort_name(problem: Problem, cohort_id: int) -> str:
    return next((c.name for c in problem.cohorts if c.id == cohort_id), str(cohort_id))


def option_facts(problem: Problem, option: RecoveryOption) -> dict[str, Any]:
    """What a leader compares between options, with names: who moves, minutes lost per subject
    per cohort, cover load per person."""
    recovery = option.recovery
    return {
        "kind": str(recovery.kind),
        "summary": option.summary,
        "minutes_lost": [
            {
                "cohort": cohort,
                "cohort_name": _cohort_name(problem, cohort),
                "station": station,
                "station_name": _station_name(station),
                "minutes": minutes,
            }
            for cohort, station, minutes in option.minutes_lost
        ],
        "cover": [
            {"staff": staff, "name": _staff_name(problem, recovery, staff), "minutes": minutes}
            for staff, minutes in option.cover
        ],
        "moves": list(option.moves),
        "disruption": option.disruption,
        "recovery": recovery_to_json(recovery),
    }


def option_json(problem: Problem, option: RecoveryOption, *, rank: int) -> dict[str, Any]:
    """One option as ``BuildJob.recovery_options`` keeps it: its facts and its day's blocks."""
    stats = option.solution.stats
    return {
        "rank": rank,
        **option_facts(problem, option),
        "blocks": blocks_json(option.solution.blocks),
        "moved_blocks": option.solution.moved_blocks,
        "stats": {
            "status": stats.status,
            "objective": stats.objective,
            "bound": stats.bound,
            "wall_seconds": round(stats.wall_seconds, 3),
            "workers": stats.workers,
            "seed": stats.seed,
        },
    }


def why_of(reasons: Sequence[Reason]) -> list[str]:
    """The original reasons' messages, once each and few: why the day needed a recovery."""
    return list(dict.fromkeys(r.message for r in reasons))[:WHY_REASONS]


def recovery_record(option: Mapping[str, Any], *, why: Sequence[str]) -> dict[str, Any]:
    """``Schedule.recovery`` for a day using ``option`` (an ``option_json``)."""
    return {
        "kind": option["kind"],
        "summary": option["summary"],
        "why": list(why),
        "recovery": option["recovery"],
        "minutes_lost": option["minutes_lost"],
        "cover": option["cover"],
        "moves": option["moves"],
        "rank": option["rank"],
    }


def with_staff_swapped(record: Mapping[str, Any], swap: Mapping[int, int]) -> dict[str, Any]:
    """``record`` with staff ids swapped (another school's substitute row for their row here,
    see ``local_substitutes`` below), in the recovery and in the cover load."""
    if not swap:
        return dict(record)
    recovery = recovery_from_json(record["recovery"])
    recovery = dataclasses.replace(
        recovery,
        staff_added=tuple(
            dataclasses.replace(m, id=swap.get(m.id, m.id)) for m in recovery.staff_added
        ),
        assignments_added=tuple(
            dataclasses.replace(a, staff=tuple(swap.get(s, s) for s in a.staff))
            for a in recovery.assignments_added
        ),
        supervision_added=tuple((lab, swap.get(s, s)) for lab, s in recovery.supervision_added),
    )
    return {
        **record,
        "recovery": recovery_to_json(recovery),
        "cover": [{**c, "staff": swap.get(c["staff"], c["staff"])} for c in record["cover"]],
    }


def options_for_page(
    options: Sequence[Mapping[str, Any]], *, used: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """A build's recovery options as its page shows them side by side: each with its kind's
    label and whether the stored day uses it."""
    used_rank = (used or {}).get("rank")
    return [
        {
            **option,
            "kind_label": KIND_LABELS.get(str(option.get("kind")), option.get("kind")),
            "used": used_rank is not None and option.get("rank") == used_rank,
        }
        for option in options
        if isinstance(option, Mapping)
    ]


def local_substitutes(*, school: School, staff_ids: set[int]) -> dict[int, int]:
    """For each of ``staff_ids`` that is another school's row, the id of its user's active
    ``Staff`` row at ``school`` holding the substitute role, made (or reactivated) here if
    needed. Call it inside the transaction that stores the day using them. Ids already of this
    school map to themselves."""
    swapped: dict[int, int] = {}
    foreign = Staff.objects.filter(pk__in=staff_ids).exclude(school=school).select_related("user")
    for theirs in foreign:
        here, _created = Staff.objects.get_or_create(
            user=theirs.user,
            school=school,
            defaults={"work_start": theirs.work_start, "work_end": theirs.work_end},
        )
        if not here.active:
            here.active = True
            here.save(update_fields=["active"])
        StaffRole.objects.get_or_create(staff=here, role=Role.SUBSTITUTE)
        swapped[theirs.pk] = here.pk
    return swapped
