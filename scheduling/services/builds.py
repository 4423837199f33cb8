"""Build, validate, store and publish schedules.

A build (``scheduling.services.day_builds``) solves the day's rotations and its lab plan, checks
both with their independent validators, and stores them as a new draft version. Publishing flips the
published version inside one transaction, after validating the stored blocks and lab plan again
against today's configuration, so readers always see one complete published version. An unchanged
input (same fingerprints) makes no new version: checked before solving and again under the school's
build lock before storing, so builds of one input running at once (leaders', the nightly's) store
one version between them. Restoring makes an older version published again, under the same
validation as a publish. Every publication (publish, restore, the nightly's) goes through
``_make_published``, which sends ``scheduling.signals.day_published`` once the transaction commits.

A leader's build from a page is a *build job*: ``build_job_start`` stores the job and queues the
Celery task when the transaction commits; ``build_job_run`` (the task's one call) runs the build
and records each step it reaches and its outcome on the job row the leader's page polls.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from students.errors import DomainError
from students.jobs import fresh_active_q, job_claim, job_finish
from students.models import ApiClient, School

from ..locks import lock_school_builds
from ..models import (
    BuildJob,
    BuildOrigin,
    BuildPhase,
    BuildState,
    LabPlan,
    Schedule,
    ScheduleStatus,
)
from ..models.builds import phase_percent
from ..selectors.configuration import school_settings_for
from ..selectors.explanations import engine_text
from ..selectors.lab_plans import plan_inputs_for, stored_plan
from ..selectors.problem import calendar_day_for, problem_for
from ..signals import day_published
from ..solver.plan_inputs import plan_problem
from ..solver.problem import Reason
from ..solver.stage1 import SolveOptions
from ..solver.validate import validate
from ..solver.validate_stage2 import validate_plan
from .day_builds import (
    SolvedDay,
    day_inputs,
    day_solve,
    day_store,
    day_with_option,
    latest_same_day,
    stored_blocks,
    work_limited,
)
from .recovery import problem_with_recovery

logger = logging.getLogger(__name__)

# The longest a leader's build may search ("Try for longer" stops doubling here).
LONGEST_BUILD_SECONDS = 600


class ScheduleRejected(DomainError):
    """The validator found hard-constraint violations; nothing was stored or published."""

    code = "schedule-invalid"
    title = gettext_lazy("The schedule breaks a hard constraint")
    status = 409


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: a stored schedule, or the reasons there is none."""

    school_id: int
    date: datetime.date
    schedule: Schedule | None
    reasons: tuple[Reason, ...] = ()
    unchanged: bool = False  # the input matched an existing version; nothing new was stored
    # With staff out: every recovery option found, best first (the schedule uses one of them).
    recovery_options: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return self.schedule is not None


def schedule_build(
    *,
    school: School,
    date: datetime.date,
    by: User | None = None,
    client: ApiClient | None = None,
    origin: BuildOrigin | None = None,
    publish: bool = False,
    options: SolveOptions | None = None,
    on_phase: Callable[[BuildPhase], None] | None = None,
) -> BuildResult:
    """Build one school's schedule for one date; store it as a draft (and publish it if asked).

    A new version records who built it: ``by`` (a person), ``client`` (an API client), else
    ``origin`` (e.g. the demo setup); without any of them, a command run on the server.

    ``on_phase`` is told each step as the build reaches it (loading, solving, validating,
    storing): the solver reports no progress of its own, so the steps are the progress.
    """
    report = on_phase or (lambda phase: None)
    report(BuildPhase.LOADING)
    inputs = day_inputs(school=school, date=date)
    same = latest_same_day(school=school, date=date, inputs=inputs)
    if same is not None:
        return _build_unchanged(same, publish=publish)

    solved = day_solve(school=school, date=date, inputs=inputs, options=options, on_phase=report)
    if not isinstance(solved, SolvedDay):
        return BuildResult(school.pk, date, None, reasons=solved)
    with transaction.atomic():
        lock_school_builds(school.pk)
        # Another build of the date (a second leader, the nightly) may have stored these very
        # inputs while this one solved: checked again under the lock, they make one version.
        same = latest_same_day(school=school, date=date, inputs=inputs)
        if same is not None:
            logger.info(
                "build school_id=%s date=%s same inputs as version %s, stored meanwhile: "
                "nothing new stored",
                school.pk,
                date,
                same.version,
            )
            return _build_unchanged(same, publish=publish)
        report(BuildPhase.STORING)  # only a build that stores says so: its job shows the step
        schedule = day_store(
            school=school, date=date, solved=solved, by=by, client=client, origin=origin
        )
        if publish:
            schedule = schedule_publish(schedule=schedule)
    return BuildResult(school.pk, date, schedule, recovery_options=solved.recovery_options)


def _build_unchanged(same: Schedule, *, publish: bool) -> BuildResult:
    """The outcome of a build whose inputs ``same`` was built from: nothing new is stored; a
    draft is published if the build was asked to publish."""
    if publish and same.status == ScheduleStatus.DRAFT:
        same = schedule_publish(schedule=same)
    return BuildResult(same.school_id, same.date, same, unchanged=True)


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
            gettext(
                "Version %(version)s of %(date)s was superseded; restore it from the date's "
                "versions instead."
            )
            % {"version": target.version, "date": date_format(target.date)}
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


def schedule_violations(schedule: Schedule) -> tuple[str, ...]:
    """What a stored version breaks against the configuration and Learning Lab data as they are
    now: its blocks (stage 1) and its lab plan (stage 2), checked by the independent validators."""
    problem = problem_for(school=schedule.school, date=schedule.date)
    try:
        # A day built with an absence recovery holds only with that recovery applied again.
        problem = problem_with_recovery(problem, schedule.recovery)
    except ValueError:
        return (gettext("Its absence recovery can no longer be read: build the date again."),)
    blocks = stored_blocks(schedule)
    found = [engine_text(v.message) for v in validate(problem, blocks)]
    stored = LabPlan.objects.filter(schedule=schedule).first()
    if stored is not None and not found:
        inputs = plan_inputs_for(
            school_id=schedule.school_id, date=schedule.date, day_type_id=schedule.day_type_id
        )
        plan_problem_ = plan_problem(inputs, problem, blocks)
        found += [
            gettext("Lab plan: %(violation)s") % {"violation": engine_text(v.message)}
            for v in validate_plan(plan_problem_, stored_plan(stored))
        ]
    return tuple(found)


def _make_published(target: Schedule, versions: list[Schedule], *, action: str) -> Schedule:
    violations = schedule_violations(target)
    if violations:
        raise ScheduleRejected(
            ngettext(
                "Version %(version)s no longer fits the configuration (%(count)s violation); "
                "the published schedule is unchanged.",
                "Version %(version)s no longer fits the configuration (%(count)s violations); "
                "the published schedule is unchanged.",
                len(violations),
            )
            % {"version": target.version, "count": len(violations)},
            errors={"violations": list(violations)},
        )
    previous = None
    for other in versions:
        if other.status == ScheduleStatus.PUBLISHED:
            other.status = ScheduleStatus.SUPERSEDED
            other.save(update_fields=["status"])
            previous = other
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
    # Listeners (family notices) read the committed day: sent once the outermost transaction
    # commits, never for a publish that rolls back.
    transaction.on_commit(partial(_announce_published, target, previous))
    return target


def _announce_published(schedule: Schedule, previous: Schedule | None) -> None:
    for receiver, outcome in day_published.send_robust(
        sender=Schedule, schedule=schedule, previous=previous
    ):
        if isinstance(outcome, Exception):
            logger.error(
                "day_published receiver %s failed school_id=%s schedule_id=%s",
                getattr(receiver, "__qualname__", receiver),
                schedule.school_id,
                schedule.pk,
                exc_info=outcome,
            )


# --- build jobs: a build a leader starts from a page and follows -----------------------------


def build_job_start(
    *,
    school: School,
    date: datetime.date,
    by: User | None = None,
    client: ApiClient | None = None,
    seconds: int | None = None,
) -> BuildJob:
    """Queue a build of ``school``'s ``date`` and return its job row; ``client``: the API client
    whose token asked, recorded on the job; ``seconds``: how long the engine may search (the
    school's ``solve_seconds`` when None; "Try for longer" asks for more).

    The date must be an instructional day with a day type (``calendar_day_for`` says why not).
    A build of the same date already queued or running (and not lost with its worker) is
    returned instead of starting a second one. The task is queued when the transaction commits,
    so a worker always finds the row.
    """
    from ..tasks import build_job_run_task

    calendar_day_for(school=school, date=date)
    with transaction.atomic():
        lock_school_builds(school.pk)
        running = (
            BuildJob.objects.filter(fresh_active_q(BuildJob), school=school, date=date)
            .order_by("-created_at")
            .first()
        )
        if running is not None:
            return running
        job = BuildJob.objects.create(
            school=school, date=date, requested_by=by, requested_by_client=client
        )
        if seconds is None:
            transaction.on_commit(lambda: build_job_run_task.delay(job.pk))
        else:
            transaction.on_commit(lambda: build_job_run_task.delay(job.pk, seconds))
    logger.info("build queued school_id=%s date=%s job_id=%s", school.pk, date, job.pk)
    return job


def build_job_solve_seconds(*, school: School) -> int:
    """How long a leader's build of ``school`` searches: its ``solve_seconds`` setting."""
    return school_settings_for(school=school).solve_seconds


def build_job_longer_seconds(*, school: School) -> int:
    """The time limit "Try for longer" asks for: twice the school's setting, at most
    ``LONGEST_BUILD_SECONDS``."""
    return min(LONGEST_BUILD_SECONDS, 2 * build_job_solve_seconds(school=school))


def build_job_run(
    *, job_id: int, options: SolveOptions | None = None, seconds: float | None = None
) -> BuildJob | None:
    """Run a queued build job and record its outcome on the row; safe to run twice.

    Without ``options`` the engine searches for ``seconds``, or the school's ``solve_seconds``.

    A job that already finished is returned as it is. The outcome is one of: a schedule
    (``succeeded``), the engine's reasons why there is none (``infeasible``), or the message of
    the error that stopped it (``failed``). Errors are recorded, not raised: the row is what a
    leader reads.
    """
    claimed = job_claim(BuildJob, job_id, phase="", percent=0)
    job = (
        BuildJob.objects.select_related("school", "requested_by", "requested_by_client")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not claimed:
        return job

    def on_phase(phase: BuildPhase) -> None:
        BuildJob.objects.filter(pk=job_id).update(phase=phase, percent=phase_percent(phase))
        job.phase, job.percent = phase, phase_percent(phase)

    if options is None:
        options = SolveOptions(time_limit=seconds or build_job_solve_seconds(school=job.school))
    outcome: dict[str, object] = {}
    try:
        result = schedule_build(
            school=job.school,
            date=job.date,
            by=job.requested_by,
            client=job.requested_by_client,
            options=options,
            on_phase=on_phase,
        )
    except DomainError as error:
        outcome = {"state": BuildState.FAILED, "error": str(error)}
    except (OperationalError, InterfaceError):
        # The database went away: not this build's fault. The task retries it once the
        # database is back (rocketship.outages); a build job may be claimed again while running.
        raise
    except Exception:
        logger.exception("build job_id=%s school_id=%s failed", job_id, job.school_id)
        outcome = {
            "state": BuildState.FAILED,
            "error": gettext(
                "The build stopped on an unexpected error. Try again; if it happens again, "
                "report it with the school and date."
            ),
        }
    else:
        if result.ok:
            outcome = {
                "state": BuildState.SUCCEEDED,
                "schedule": result.schedule,
                "unchanged": result.unchanged,
                "percent": 100,
                "recovery_options": list(
                    result.recovery_options or _options_found_before(result.schedule)
                ),
            }
        else:
            outcome = {
                "state": BuildState.INFEASIBLE,
                "reasons": [dataclasses.asdict(reason) for reason in result.reasons],
            }
    return job_finish(job, **outcome)  # type: ignore[arg-type]


def _options_found_before(schedule: Schedule | None) -> list[dict[str, Any]]:
    """The recovery options of the latest build of ``schedule``'s inputs that found some: an
    unchanged build shows the same choice as the build that made the day."""
    if schedule is None or not schedule.recovery:
        return []
    earlier = (
        BuildJob.objects.filter(
            school=schedule.school_id,
            date=schedule.date,
            schedule__input_fingerprint=schedule.input_fingerprint,
        )
        .exclude(recovery_options=[])
        .order_by("-created_at", "-pk")
        .values_list("recovery_options", flat=True)
        .first()
    )
    return list(earlier or [])


class RecoveryOptionNotFound(DomainError):
    code = "recovery-option-not-found"
    title = gettext_lazy("This build has no such recovery option")
    status = 404


def build_job_use_option(*, job: BuildJob, rank: int, by: User | None = None) -> Schedule:
    """Store the day of ``job``'s recovery option ranked ``rank`` as the date's next draft: its
    blocks as found by the build (no new solve), checked again by both validators against the
    configuration as it is now with the option's recovery applied, and its lab plan planned.

    Raises ``RecoveryOptionNotFound`` for a rank the job does not have, ``ScheduleRejected``
    when the option no longer fits the configuration."""
    option = next(
        (o for o in job.recovery_options or [] if isinstance(o, dict) and o.get("rank") == rank),
        None,
    )
    if option is None:
        raise RecoveryOptionNotFound(
            gettext("This build has no recovery option %(rank)s.") % {"rank": rank}
        )
    inputs = day_inputs(school=job.school, date=job.date)
    chosen = job.schedule.recovery if job.schedule is not None else None
    why = (chosen or {}).get("why") or [r.get("message", "") for r in job.reasons or []][:5]
    try:
        solved = day_with_option(
            school=job.school,
            date=job.date,
            inputs=inputs,
            option=option,
            why=why,
            options=work_limited(None),
        )
    except (ValueError, KeyError, TypeError):
        raise RecoveryOptionNotFound(
            gettext("Recovery option %(rank)s of this build can no longer be read.")
            % {"rank": rank}
        ) from None
    if not isinstance(solved, SolvedDay):
        raise ScheduleRejected(
            gettext(
                "Option %(rank)s no longer fits the configuration; nothing was stored. "
                "Build the date again."
            )
            % {"rank": rank},
            errors={"violations": [reason.message for reason in solved]},
        )
    with transaction.atomic():
        lock_school_builds(job.school_id)
        schedule = day_store(school=job.school, date=job.date, solved=solved, by=by)
    logger.info(
        "recovery option used school_id=%s date=%s job_id=%s rank=%s version=%s",
        job.school_id,
        job.date,
        job.pk,
        rank,
        schedule.version,
    )
    return schedule
