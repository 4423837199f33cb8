"""One school's day built end to end: stage 1's rotations, then stage 2's lab plan inside them.

Every build path (a leader's build button, ``manage.py build_schedules``, the nightly rebuild)
goes through here, so they cannot drift apart:

1. ``day_inputs`` reads the stage-1 ``Problem`` and the stage-2 ``PlanInputs`` once, and
   fingerprints each. A version with both fingerprints already stored is the same day again.
2. ``day_solve`` solves stage 1, or keeps the blocks of the latest version built from the same
   stage-1 inputs when only the Learning Lab's inputs changed (progress arrives every night,
   the rotations rarely change), and checks them with the stage-1 validator. It then assembles
   the stage-2 problem from those blocks, plans the lab and checks the plan with the stage-2
   validator. A plan short of service minutes is kept (it says whose and by how much); one that
   breaks a hard rule is not.
3. ``day_store`` stores blocks and plan as one new draft version, inside the caller's
   transaction holding the school's build lock.

When staff are out and stage 1 finds no day, ``day_solve`` asks for recovery options
(``scheduling.services.recovery``) and builds the best ranked one that both validators accept: the
stored version records it (``Schedule.recovery``) and the job keeps every option.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Max, QuerySet
from django.utils.translation import gettext

from students.models import ApiClient, School

from ..models import BuildOrigin, BuildPhase, Schedule, ScheduledBlock
from ..selectors.lab_plans import (
    plan_fingerprint,
    plan_inputs_for,
    plan_violations_as_reasons,
)
from ..selectors.problem import calendar_day_for, problem_for
from ..solver import stage2
from ..solver.clock import minutes_of, time_of
from ..solver.plan_inputs import PlanInputs, plan_problem
from ..solver.plans import LabPlan, PlanProblem
from ..solver.problem import Infeasible, PlacedBlock, Problem, Reason, Solution, SolveStats
from ..solver.recovery import recovery_from_json
from ..solver.stage1 import SolveOptions, solve
from ..solver.validate import Violation, validate
from ..solver.validate_stage2 import validate_plan
from .lab_plans import lab_plan_store
from .recovery import (
    blocks_from_json,
    local_substitutes,
    option_json,
    options_for,
    problem_with_recovery,
    recovered_problem,
    recovery_record,
    why_of,
    with_staff_swapped,
)

logger = logging.getLogger(__name__)

# With SOLVER_WORK_LIMIT set, seconds only catch a hang: the work limit is what stops a solve.
SOLVER_SAFETY_SECONDS = 120.0


def work_limited(options: SolveOptions | None) -> SolveOptions | None:
    """``options`` bound by SOLVER_WORK_LIMIT (CP-SAT deterministic units) when it is set, so a
    build's outcome depends on its inputs and seed alone (the tests' setting); unset, as in
    production, the configured seconds bind."""
    work = settings.SOLVER_WORK_LIMIT
    if work is None or (options is not None and options.work_limit is not None):
        return options
    options = options or SolveOptions()
    return dataclasses.replace(
        options, work_limit=work, time_limit=max(options.time_limit, SOLVER_SAFETY_SECONDS)
    )


@dataclass(frozen=True)
class DayInputs:
    day_type_id: int
    problem: Problem
    plan_inputs: PlanInputs
    fingerprint: str  # of ``problem``: ``Schedule.input_fingerprint``
    plan_fingerprint: str  # of ``plan_inputs``: ``LabPlan.input_fingerprint``


@dataclass(frozen=True)
class SolvedDay:
    """A day solved and checked by both validators, not yet stored."""

    inputs: DayInputs
    result: Solution
    plan_problem: PlanProblem
    plan: LabPlan
    kept_from: Schedule | None = None  # stage 1 kept from this version
    # With staff out and no day without a recovery: the option used (``Schedule.recovery``)
    # and every option found (``BuildJob.recovery_options``).
    recovery: dict[str, Any] | None = None
    recovery_options: tuple[dict[str, Any], ...] = ()


def problem_fingerprint(problem: Problem) -> str:
    """SHA-256 of everything the solver sees, so an unchanged input is recognised."""
    canonical = json.dumps(dataclasses.asdict(problem), sort_keys=True, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)


def day_inputs(*, school: School, date: datetime.date) -> DayInputs:
    """Both stages' inputs for ``date``; raises the configuration's ``DomainError``s."""
    problem = problem_for(school=school, date=date)
    day_type = calendar_day_for(school=school, date=date)
    plan_inputs = plan_inputs_for(school_id=school.pk, date=date, day_type_id=day_type.pk)
    return DayInputs(
        day_type_id=day_type.pk,
        problem=problem,
        plan_inputs=plan_inputs,
        fingerprint=problem_fingerprint(problem),
        plan_fingerprint=plan_fingerprint(plan_inputs),
    )


def same_day(versions: QuerySet[Schedule], inputs: DayInputs) -> QuerySet[Schedule]:
    """The ``versions`` built from exactly these inputs, stage 1 and stage 2 alike."""
    return versions.filter(
        input_fingerprint=inputs.fingerprint,
        lab_plan__input_fingerprint=inputs.plan_fingerprint,
    )


def latest_same_day(
    *,
    school: School,
    date: datetime.date,
    inputs: DayInputs,
    statuses: tuple[str, ...] | None = None,
) -> Schedule | None:
    """The date's latest version built from exactly these inputs (only of ``statuses`` if
    given), or None. Under ``lock_school_builds`` the answer holds until the transaction ends:
    every build checks it there, just before storing, so two builds of the same inputs running
    at once (a leader's and the nightly's, or five leaders') store one version, not two."""
    versions = Schedule.objects.filter(school=school, date=date)
    if statuses is not None:
        versions = versions.filter(status__in=statuses)
    return same_day(versions, inputs).order_by("-version").first()


def stored_blocks(schedule: Schedule) -> tuple[PlacedBlock, ...]:
    """A stored schedule's blocks as the validator reads them."""
    return tuple(
        PlacedBlock(
            cohort=b.cohort_id,
            station=b.station,
            start=minutes_of(b.start),
            end=minutes_of(b.end),
            room=b.room_id,
            staff=(b.staff_id,) if b.staff_id else (),
        )
        for b in schedule.blocks.all()
    )


def violations_as_reasons(violations: tuple[Violation, ...]) -> tuple[Reason, ...]:
    return tuple(
        Reason(
            code=f"violates-{v.constraint.lower()}",
            message=v.message,
            suggestion=gettext("Build again; if it persists, report it with the school and date."),
            setting=f"cohort:{v.cohort}" if v.cohort else "school",
        )
        for v in violations
    )


def day_solve(
    *,
    school: School,
    date: datetime.date,
    inputs: DayInputs,
    options: SolveOptions | None = None,
    on_phase: Callable[[BuildPhase], None] | None = None,
) -> SolvedDay | tuple[Reason, ...]:
    """Both stages solved and validated, or the reasons there is no day to store. With staff
    out and no day as configured, the best recovery option both validators accept."""
    report = on_phase or (lambda phase: None)
    problem = inputs.problem
    options = work_limited(options)
    report(BuildPhase.SOLVING)
    kept_from = (
        Schedule.objects.filter(school=school, date=date, input_fingerprint=inputs.fingerprint)
        .exclude(carried_forward_from__isnull=False)
        .order_by("-version")
        .first()
    )
    if kept_from is not None:
        try:
            # A kept day that used a recovery is valid only with the recovery applied again.
            problem = problem_with_recovery(inputs.problem, kept_from.recovery)
        except ValueError:
            logger.error(
                "build school_id=%s date=%s version %s: its recovery does not read; solving",
                school.pk,
                date,
                kept_from.version,
            )
            kept_from, problem = None, inputs.problem
    if kept_from is not None:
        result = Solution(
            blocks=stored_blocks(kept_from),
            stats=SolveStats("KEPT", None, None, 0.0, 0, 0),
            moved_blocks=kept_from.moved_blocks or 0,
        )
    else:
        solved = solve(problem, options)
        if isinstance(solved, Infeasible):
            logger.info(
                "build school_id=%s date=%s infeasible codes=%s",
                school.pk,
                date,
                [r.code for r in solved.reasons],
            )
            return day_recover(
                school=school,
                date=date,
                inputs=inputs,
                reasons=solved.reasons,
                options=options,
                on_phase=report,
            )
        result = solved
    report(BuildPhase.VALIDATING)
    violations = validate(problem, result.blocks)
    if violations:
        # The solver and the validator disagree: never store what the validator rejects.
        logger.error(
            "build school_id=%s date=%s rejected by the validator: %d violation(s)",
            school.pk,
            date,
            len(violations),
        )
        return violations_as_reasons(violations)
    return _with_plan(
        school=school,
        date=date,
        inputs=inputs,
        problem=problem,
        result=result,
        options=options,
        kept_from=kept_from,
        recovery=kept_from.recovery if kept_from is not None else None,
    )


def _with_plan(
    *,
    school: School,
    date: datetime.date,
    inputs: DayInputs,
    problem: Problem,
    result: Solution,
    options: SolveOptions | None,
    **solved: Any,
) -> SolvedDay | tuple[Reason, ...]:
    """Stage 2 planned inside stage 1's valid ``result`` (valid for ``problem``) and checked by
    its validator: the day to store, or the plan's violations."""
    plan_problem_ = plan_problem(inputs.plan_inputs, problem, result.blocks)
    plan_options = stage2.PlanOptions(seed=options.seed if options else 0)
    if options is not None and options.work_limit is not None:
        plan_options = dataclasses.replace(plan_options, time_limit=options.time_limit)
    plan = stage2.solve(plan_problem_, plan_options)
    plan_violations = validate_plan(plan_problem_, plan)
    if plan_violations:
        logger.error(
            "build school_id=%s date=%s lab plan rejected by the validator: %d violation(s)",
            school.pk,
            date,
            len(plan_violations),
        )
        return plan_violations_as_reasons(plan_violations)
    if plan.shortfalls:
        logger.warning(
            "build school_id=%s date=%s lab plan short: %d service(s), %d minute(s)",
            school.pk,
            date,
            len(plan.shortfalls),
            sum(s.missing for s in plan.shortfalls),
        )
    return SolvedDay(inputs, result, plan_problem_, plan, **solved)


def day_recover(
    *,
    school: School,
    date: datetime.date,
    inputs: DayInputs,
    reasons: tuple[Reason, ...],
    options: SolveOptions | None = None,
    on_phase: Callable[[BuildPhase], None] | None = None,
) -> SolvedDay | tuple[Reason, ...]:
    """With staff out, the best ranked recovery option whose day both validators accept (every
    option found kept with it for the leader to pick another); ``reasons`` when nobody is out
    or no option works. Each option's solve shares ``options``' limits."""
    found = options_for(school=school, date=date, problem=inputs.problem, options=options)
    if not found:
        return reasons
    every = tuple(
        option_json(inputs.problem, option, rank=rank) for rank, option in enumerate(found, 1)
    )
    (on_phase or (lambda phase: None))(BuildPhase.VALIDATING)
    why = why_of(reasons)
    for option in every:
        solved = day_with_option(
            school=school, date=date, inputs=inputs, option=option, why=why, options=options
        )
        if isinstance(solved, SolvedDay):
            logger.info(
                "build school_id=%s date=%s recovered kind=%s rank=%s of %d option(s)",
                school.pk,
                date,
                option["kind"],
                option["rank"],
                len(every),
            )
            return dataclasses.replace(solved, recovery_options=every)
    return reasons


def day_with_option(
    *,
    school: School,
    date: datetime.date,
    inputs: DayInputs,
    option: Mapping[str, Any],
    why: Sequence[str],
    options: SolveOptions | None = None,
) -> SolvedDay | tuple[Reason, ...]:
    """The day of one recovery option (an ``option_json``: its recovery and blocks, no new
    solve), checked by both validators against ``inputs.problem`` with the recovery applied.
    Raises ``ValueError`` when the option does not read."""
    recovery = recovery_from_json(option["recovery"])
    blocks = blocks_from_json(option["blocks"])
    problem = recovered_problem(inputs.problem, recovery)
    violations = validate(problem, blocks)
    if violations:
        logger.error(
            "build school_id=%s date=%s recovery option %s rejected by the validator: "
            "%d violation(s)",
            school.pk,
            date,
            option.get("rank"),
            len(violations),
        )
        return violations_as_reasons(violations)
    stats = option.get("stats") or {}
    result = Solution(
        blocks=blocks,
        stats=SolveStats(
            str(stats.get("status", "RECOVERY")),
            stats.get("objective"),
            stats.get("bound"),
            float(stats.get("wall_seconds", 0.0)),
            int(stats.get("workers", 0)),
            int(stats.get("seed", 0)),
        ),
        moved_blocks=int(option.get("moved_blocks", 0)),
    )
    return _with_plan(
        school=school,
        date=date,
        inputs=inputs,
        problem=problem,
        result=result,
        options=options,
        recovery=recovery_record(option, why=why),
    )


def next_version(*, school: School, date: datetime.date) -> int:
    """The number the date's next stored version takes; call it holding ``lock_school_builds``."""
    latest = Schedule.objects.filter(school=school, date=date).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def build_origin(
    *,
    by: User | None = None,
    client: ApiClient | None = None,
    origin: BuildOrigin | None = None,
) -> BuildOrigin:
    """What a build records as its origin: a person or client that asked comes first; a build
    nobody named (a script, the build_schedules command) is a server command, never silently
    the nightly rebuild."""
    if by is not None:
        return BuildOrigin.PERSON
    if client is not None:
        return BuildOrigin.API_CLIENT
    return origin or BuildOrigin.COMMAND


def day_store(
    *,
    school: School,
    date: datetime.date,
    solved: SolvedDay,
    by: User | None = None,
    client: ApiClient | None = None,
    origin: BuildOrigin | None = None,
) -> Schedule:
    """Store a solved day as the date's next draft version, blocks and lab plan together. Call it
    inside a transaction holding ``lock_school_builds``, so versions never collide.

    The version records what built it: ``by`` (a person) or ``client`` (an API client), else
    ``origin`` (the nightly rebuild, the demo setup), else a command run on the server."""
    inputs, result = solved.inputs, solved.result
    stats = result.stats
    solver_stats: dict[str, object] = {
        "status": stats.status,
        "objective": stats.objective,
        "bound": stats.bound,
        "gap": stats.gap,
        "wall_seconds": round(stats.wall_seconds, 3),
        "workers": stats.workers,
        "seed": stats.seed,
    }
    if solved.kept_from is not None:
        solver_stats["kept_from_version"] = solved.kept_from.version
    record, swap = solved.recovery, {}
    if record:
        # Another school's substitute teaches here as staff of this school (their row here is
        # made in this transaction): blocks and the stored recovery name that row.
        added = recovery_from_json(record["recovery"]).staff_added
        swap = local_substitutes(school=school, staff_ids={m.id for m in added})
        record = with_staff_swapped(record, swap)
    schedule = Schedule.objects.create(
        school=school,
        date=date,
        day_type_id=inputs.day_type_id,
        version=next_version(school=school, date=date),
        built_by=by,
        built_by_client=client,
        built_via=build_origin(by=by, client=client, origin=origin),
        input_fingerprint=inputs.fingerprint,
        solver_stats=solver_stats,
        moved_blocks=result.moved_blocks if inputs.problem.previous else None,
        recovery=record,
    )
    ScheduledBlock.objects.bulk_create(
        ScheduledBlock(
            schedule=schedule,
            cohort_id=b.cohort,
            station=b.station,
            start=time_of(b.start),
            end=time_of(b.end),
            room_id=b.room,
            staff_id=swap.get(b.staff[0], b.staff[0]) if b.staff else None,
        )
        for b in result.blocks
    )
    lab_plan_store(schedule=schedule, plan=solved.plan, fingerprint=inputs.plan_fingerprint)
    logger.info(
        "build school_id=%s date=%s version=%s status=%s seconds=%.2f plan_short=%d",
        school.pk,
        date,
        schedule.version,
        stats.status,
        stats.wall_seconds,
        len(solved.plan.shortfalls),
    )
    return schedule
