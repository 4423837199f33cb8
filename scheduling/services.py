"""Build, validate, store and publish schedules.

A build reads the configuration once into a solver ``Problem``, solves it, checks the result with
the independent validator, and stores it as a new draft version. Publishing flips the published
version inside one transaction, after validating the stored blocks again against today's
configuration, so readers always see one complete published version. An unchanged input (same
fingerprint) makes no new version.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from students.errors import DomainError
from students.models import School

from .models import Schedule, ScheduledBlock, ScheduleStatus
from .selectors import calendar_day_for, problem_for
from .solver.problem import Infeasible, PlacedBlock, Problem, Reason
from .solver.stage1 import SolveOptions, solve
from .solver.validate import Violation, validate

logger = logging.getLogger(__name__)


class ScheduleRejected(DomainError):
    """The validator found hard-constraint violations; nothing was stored or published."""

    code = "schedule-invalid"
    title = "The schedule breaks a hard constraint"
    status = 409


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: a stored schedule, or the reasons there is none."""

    school_id: int
    date: datetime.date
    schedule: Schedule | None
    reasons: tuple[Reason, ...] = ()
    unchanged: bool = False  # the input matched an existing version; nothing new was stored

    @property
    def ok(self) -> bool:
        return self.schedule is not None


def problem_fingerprint(problem: Problem) -> str:
    """SHA-256 of everything the solver sees, so an unchanged input is recognised."""
    canonical = json.dumps(dataclasses.asdict(problem), sort_keys=True, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)


def _time(minutes: int) -> datetime.time:
    return datetime.time(minutes // 60, minutes % 60)


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def stored_blocks(schedule: Schedule) -> tuple[PlacedBlock, ...]:
    """A stored schedule's blocks as the validator reads them."""
    return tuple(
        PlacedBlock(
            cohort=b.cohort_id,
            station=b.station,
            start=_minutes(b.start),
            end=_minutes(b.end),
            room=b.room_id,
            staff=(b.staff_id,) if b.staff_id else (),
        )
        for b in schedule.blocks.all()
    )


def _violations_as_reasons(violations: tuple[Violation, ...]) -> tuple[Reason, ...]:
    return tuple(
        Reason(
            code=f"violates-{v.constraint.lower()}",
            message=v.message,
            suggestion="Build again; if it persists, report it with the school and date.",
            setting=f"cohort:{v.cohort}" if v.cohort else "school",
        )
        for v in violations
    )


def schedule_build(
    *,
    school: School,
    date: datetime.date,
    by: AbstractBaseUser | None = None,
    publish: bool = False,
    options: SolveOptions | None = None,
) -> BuildResult:
    """Build one school's schedule for one date; store it as a draft (and publish it if asked)."""
    problem = problem_for(school=school, date=date)
    fingerprint = problem_fingerprint(problem)
    same = (
        Schedule.objects.filter(school=school, date=date, input_fingerprint=fingerprint)
        .order_by("-version")
        .first()
    )
    if same is not None:
        if publish and same.status == ScheduleStatus.DRAFT:
            same = schedule_publish(schedule=same)
        return BuildResult(school.pk, date, same, unchanged=True)

    result = solve(problem, options)
    if isinstance(result, Infeasible):
        logger.info(
            "build school_id=%s date=%s infeasible codes=%s",
            school.pk,
            date,
            [r.code for r in result.reasons],
        )
        return BuildResult(school.pk, date, None, reasons=result.reasons)
    violations = validate(problem, result.blocks)
    if violations:
        # The solver and the validator disagree: never store what the validator rejects.
        logger.error(
            "build school_id=%s date=%s rejected by the validator: %d violation(s)",
            school.pk,
            date,
            len(violations),
        )
        return BuildResult(school.pk, date, None, reasons=_violations_as_reasons(violations))

    stats = result.stats
    with transaction.atomic():
        # One build of a school stores at a time, so versions never collide.
        School.objects.select_for_update().get(pk=school.pk)
        version = (
            Schedule.objects.filter(school=school, date=date).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        schedule = Schedule.objects.create(
            school=school,
            date=date,
            day_type=calendar_day_for(school=school, date=date),
            version=version,
            built_by=by,
            input_fingerprint=fingerprint,
            solver_stats={
                "status": stats.status,
                "objective": stats.objective,
                "bound": stats.bound,
                "gap": stats.gap,
                "wall_seconds": round(stats.wall_seconds, 3),
                "workers": stats.workers,
                "seed": stats.seed,
            },
            moved_blocks=result.moved_blocks if problem.previous else None,
        )
        ScheduledBlock.objects.bulk_create(
            ScheduledBlock(
                schedule=schedule,
                cohort_id=b.cohort,
                station=b.station,
                start=_time(b.start),
                end=_time(b.end),
                room_id=b.room,
                staff_id=b.staff[0] if b.staff else None,
            )
            for b in result.blocks
        )
        if publish:
            schedule = schedule_publish(schedule=schedule)
    logger.info(
        "build school_id=%s date=%s version=%s status=%s seconds=%.2f",
        school.pk,
        date,
        schedule.version,
        stats.status,
        stats.wall_seconds,
    )
    return BuildResult(school.pk, date, schedule)


@transaction.atomic
def schedule_publish(*, schedule: Schedule) -> Schedule:
    """Make ``schedule`` the published version of its date, superseding the one before.

    The stored blocks are validated again against the configuration as it is now; a schedule
    that no longer holds is refused and the published version stays as it was.
    """
    versions = list(
        Schedule.objects.select_for_update().filter(school=schedule.school_id, date=schedule.date)
    )
    target = next(s for s in versions if s.pk == schedule.pk)
    if target.status == ScheduleStatus.PUBLISHED:
        return target
    if target.status == ScheduleStatus.SUPERSEDED:
        raise DomainError(
            f"Version {target.version} of {target.date:%Y-%m-%d} was superseded; restore it by "
            "building again."
        )
    problem = problem_for(school=target.school, date=target.date)
    violations = validate(problem, stored_blocks(target))
    if violations:
        raise ScheduleRejected(
            f"Version {target.version} no longer fits the configuration "
            f"({len(violations)} violation(s)); the published schedule is unchanged.",
            errors={"violations": [v.message for v in violations]},
        )
    for other in versions:
        if other.status == ScheduleStatus.PUBLISHED:
            other.status = ScheduleStatus.SUPERSEDED
            other.save(update_fields=["status"])
    target.status = ScheduleStatus.PUBLISHED
    target.published_at = timezone.now()
    target.save(update_fields=["status", "published_at"])
    logger.info(
        "publish school_id=%s date=%s version=%s", target.school_id, target.date, target.version
    )
    return target
