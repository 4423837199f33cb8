"""Build, validate, store and publish schedules.

A build reads the configuration once into a solver ``Problem``, solves it, checks the result with
the independent validator, and stores it as a new draft version. Publishing flips the published
version inside one transaction, after validating the stored blocks again against today's
configuration, so readers always see one complete published version. An unchanged input (same
fingerprint) makes no new version. Restoring makes an older version published again, under the
same validation as a publish.

A leader's build from a page is a *build job*: ``build_job_start`` stores the job and queues the
Celery task when the transaction commits; ``build_job_run`` (the task's one call) runs the build
and records each step it reaches and its outcome on the job row the leader's page polls.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from students.errors import DomainError
from students.models import School

from .locks import lock_school_builds
from .models import (
    ACTIVE_BUILD_STATES,
    BuildJob,
    BuildPhase,
    BuildState,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
)
from .models.builds import ABANDONED_AFTER, phase_percent
from .selectors import calendar_day_for, problem_for
from .solver.problem import Infeasible, PlacedBlock, Problem, Reason, Solution
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


def violations_as_reasons(violations: tuple[Violation, ...]) -> tuple[Reason, ...]:
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
    on_phase: Callable[[BuildPhase], None] | None = None,
) -> BuildResult:
    """Build one school's schedule for one date; store it as a draft (and publish it if asked).

    ``on_phase`` is told each step as the build reaches it (loading, solving, validating,
    storing): the solver reports no progress of its own, so the steps are the progress.
    """
    report = on_phase or (lambda phase: None)
    report(BuildPhase.LOADING)
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

    report(BuildPhase.SOLVING)
    result = solve(problem, options)
    if isinstance(result, Infeasible):
        logger.info(
            "build school_id=%s date=%s infeasible codes=%s",
            school.pk,
            date,
            [r.code for r in result.reasons],
        )
        return BuildResult(school.pk, date, None, reasons=result.reasons)
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
        return BuildResult(school.pk, date, None, reasons=violations_as_reasons(violations))

    report(BuildPhase.STORING)
    with transaction.atomic():
        lock_school_builds(school.pk)
        schedule = schedule_store(
            school=school, date=date, problem=problem, fingerprint=fingerprint, result=result, by=by
        )
        if publish:
            schedule = schedule_publish(schedule=schedule)
    return BuildResult(school.pk, date, schedule)


def next_version(*, school: School, date: datetime.date) -> int:
    """The number the date's next stored version takes; call it holding ``lock_school_builds``."""
    latest = Schedule.objects.filter(school=school, date=date).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def schedule_store(
    *,
    school: School,
    date: datetime.date,
    problem: Problem,
    fingerprint: str,
    result: Solution,
    by: AbstractBaseUser | None = None,
) -> Schedule:
    """Store a validated solution as the date's next draft version. Call it inside a transaction
    holding ``lock_school_builds``, so versions never collide."""
    stats = result.stats
    schedule = Schedule.objects.create(
        school=school,
        date=date,
        day_type=calendar_day_for(school=school, date=date),
        version=next_version(school=school, date=date),
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
    logger.info(
        "build school_id=%s date=%s version=%s status=%s seconds=%.2f",
        school.pk,
        date,
        schedule.version,
        stats.status,
        stats.wall_seconds,
    )
    return schedule


@transaction.atomic
def schedule_publish(*, schedule: Schedule) -> Schedule:
    """Make ``schedule`` the published version of its date, superseding the one before.

    The stored blocks are validated again against the configuration as it is now; a schedule
    that no longer holds is refused and the published version stays as it was.
    """
    versions = _lock_versions(schedule)
    target = next(s for s in versions if s.pk == schedule.pk)
    if target.status == ScheduleStatus.PUBLISHED:
        return target
    if target.status == ScheduleStatus.SUPERSEDED:
        raise DomainError(
            f"Version {target.version} of {target.date:%Y-%m-%d} was superseded; restore it "
            "from the date's versions instead."
        )
    return _make_published(target, versions, action="publish")


@transaction.atomic
def schedule_restore(*, schedule: Schedule) -> Schedule:
    """Make an older version of a date published again, superseding the current one.

    It is validated against today's configuration exactly as a publish is: a version that no
    longer fits (a teacher is absent now, a room was removed) is refused and nothing changes.
    """
    versions = _lock_versions(schedule)
    target = next(s for s in versions if s.pk == schedule.pk)
    if target.status == ScheduleStatus.PUBLISHED:
        return target
    return _make_published(target, versions, action="restore")


def _lock_versions(schedule: Schedule) -> list[Schedule]:
    """Every version of ``schedule``'s date, locked until the transaction ends."""
    return list(
        Schedule.objects.select_for_update().filter(school=schedule.school_id, date=schedule.date)
    )


def _make_published(target: Schedule, versions: list[Schedule], *, action: str) -> Schedule:
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
    # save(), never update(): the API's cache of which version is published listens for it
    # (scheduling.published_cache) and serves the new version as soon as this commits.
    target.save(update_fields=["status", "published_at"])
    logger.info(
        "%s school_id=%s date=%s version=%s",
        action,
        target.school_id,
        target.date,
        target.version,
    )
    return target


# --- build jobs: a build a leader starts from a page and follows -----------------------------


def build_job_start(
    *, school: School, date: datetime.date, by: AbstractBaseUser | None = None
) -> BuildJob:
    """Queue a build of ``school``'s ``date`` and return its job row.

    The date must be an instructional day with a day type (``calendar_day_for`` says why not).
    A build of the same date already queued or running is returned instead of starting a second
    one. The task is queued when the transaction commits, so a worker always finds the row.
    """
    from .tasks import build_job_run_task

    calendar_day_for(school=school, date=date)
    with transaction.atomic():
        lock_school_builds(school.pk)
        running = (
            BuildJob.objects.filter(
                school=school,
                date=date,
                state__in=ACTIVE_BUILD_STATES,
                created_at__gte=timezone.now() - ABANDONED_AFTER,
            )
            .order_by("-created_at")
            .first()
        )
        if running is not None:
            return running
        job = BuildJob.objects.create(school=school, date=date, requested_by=by)
        transaction.on_commit(lambda: build_job_run_task.delay(job.pk))
    logger.info("build queued school_id=%s date=%s job_id=%s", school.pk, date, job.pk)
    return job


def build_job_run(*, job_id: int, options: SolveOptions | None = None) -> BuildJob | None:
    """Run a queued build job and record its outcome on the row; safe to run twice.

    A job that already finished is returned as it is. The outcome is one of: a schedule
    (``succeeded``), the engine's reasons why there is none (``infeasible``), or the message of
    the error that stopped it (``failed``). Errors are recorded, not raised: the row is what a
    leader reads.
    """
    now = timezone.now()
    claimed = BuildJob.objects.filter(pk=job_id, state__in=ACTIVE_BUILD_STATES).update(
        state=BuildState.RUNNING, started_at=now, phase="", percent=0
    )
    job = BuildJob.objects.select_related("school", "requested_by").filter(pk=job_id).first()
    if job is None or not claimed:
        return job

    def on_phase(phase: BuildPhase) -> None:
        BuildJob.objects.filter(pk=job_id).update(phase=phase, percent=phase_percent(phase))
        job.phase, job.percent = phase, phase_percent(phase)

    outcome: dict[str, object] = {}
    try:
        result = schedule_build(
            school=job.school,
            date=job.date,
            by=job.requested_by,
            options=options,
            on_phase=on_phase,
        )
    except DomainError as error:
        outcome = {"state": BuildState.FAILED, "error": str(error)}
    except Exception:
        logger.exception("build job_id=%s school_id=%s failed", job_id, job.school_id)
        outcome = {
            "state": BuildState.FAILED,
            "error": "The build stopped on an unexpected error. Try again; if it happens again, "
            "report it with the school and date.",
        }
    else:
        if result.ok:
            outcome = {
                "state": BuildState.SUCCEEDED,
                "schedule": result.schedule,
                "unchanged": result.unchanged,
                "percent": 100,
            }
        else:
            outcome = {
                "state": BuildState.INFEASIBLE,
                "reasons": [dataclasses.asdict(reason) for reason in result.reasons],
            }
    outcome["finished_at"] = timezone.now()
    for field, value in outcome.items():
        setattr(job, field, value)
    job.save(update_fields=list(outcome))
    return job
