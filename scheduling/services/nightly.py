"""The nightly rebuild: every school's next instructional day rebuilt, validated and published.

How a night goes (``scheduling.tasks`` holds the Celery wrappers, beat fires them):

1. ``nightly_fan_out`` runs every few minutes. A school is *due* once its own local time passes
   ``NIGHTLY_LOCAL_TIME`` (02:00), until ``NIGHTLY_WINDOW_HOURS`` later; its *night* is that
   local date and its target the first instructional day from then on (within
   ``NIGHTLY_HORIZON_DAYS``; holidays and weekends are skipped by the calendar). Each due school
   gets one ``NightlyRun`` row for the night (a partial unique index makes a second beat, or a
   second tick, find the row instead) and its rebuild task is queued when the row commits.
2. ``nightly_rebuild`` claims its row and rebuilds the date: unchanged inputs (both stages'
   fingerprints equal the published version's) publish nothing; otherwise it solves the
   rotations (kept when only Learning Lab inputs changed) and the lab plan, checks both with the
   independent validators, and stores and publishes the version in one
   transaction under the school's build lock, finishing the row in the same transaction. A
   second delivery of the same task finds the row finished and stops, so a build is published
   once. Database and broker outages propagate, for the task to retry with backoff. With staff
   out and no day as configured, the best ranked absence recovery option that validates is
   published (``scheduling.services.recovery``); the version records which and why
   (``Schedule.recovery``) and the leader's email says so.
3. When a rebuild publishes nothing, the published version of the date stays. With none, the
   latest published day of the same day type is copied forward as a draft, marked as such
   (``Schedule.carried_forward_from``), for the leader to publish or rebuild.
4. A rebuild lost with its worker comes back: a killed pool process's task first in the
   nightly queue (``rocketship.broker``), a whole worker's after ``NIGHTLY_VISIBILITY_TIMEOUT``
   (nightly-only workers), and any run whose task went missing through the jobs' sweeper
   (``students.jobs.jobs_sweep``, every few minutes and when a worker starts: queued or running
   longer than ``NIGHTLY_STALE_SECONDS``, twice the hard limit), which gives up on a row after
   ``NIGHTLY_MAX_ATTEMPTS`` (``nightly_give_up``: not published, with the reason). Meanwhile
   the run reads "lost, running again" (``Job.lost``).
5. Once a row finishes, leaders are told the outcome and teachers whose day changed get what
   changed (``scheduling.services.nightly_notifications``), once per row.

Rows are never deleted: they are the history a leader's page and the API show.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from students.cohort_moves import cohort_moves_make
from students.errors import DomainError
from students.jobs import job_claim, job_finish, jobs_sweep
from students.models import School

from ..locks import lock_school_builds
from ..models import (
    ACTIVE_RUN_STATES,
    BuildOrigin,
    CalendarDay,
    Fallback,
    NightlyRun,
    RunState,
    RunTrigger,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
)
from ..selectors.problem import next_instructional_day, published_before
from ..selectors.schedule_changes import schedule_baseline
from ..solver.problem import Reason
from ..solver.stage1 import SolveOptions
from .builds import ScheduleRejected, schedule_publish
from .day_builds import (
    SolvedDay,
    day_inputs,
    day_solve,
    day_store,
    latest_same_day,
    next_version,
    same_day,
)

logger = logging.getLogger(__name__)

# The database or its connection failing: the task retries these, never records them as failed.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def nightly_solve_options() -> SolveOptions:
    """One CP-SAT worker per build by default: a network's nights scale by worker processes.
    Optimising stops once it stalls (``NIGHTLY_SOLVE_PATIENCE``): most nights keep yesterday's
    day, and a network's night is spent where days still improve."""
    return SolveOptions(
        time_limit=settings.NIGHTLY_SOLVE_SECONDS,
        workers=settings.NIGHTLY_SOLVE_WORKERS,
        patience=settings.NIGHTLY_SOLVE_PATIENCE or None,
    )


# --- which schools are due ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueSchool:
    school: School
    night: datetime.date
    date: datetime.date


def local_night(school: School, now: datetime.datetime) -> datetime.date:
    return now.astimezone(school.zone).date()


def next_day_to_rebuild(school: School, night: datetime.date) -> datetime.date | None:
    """The first instructional day (with a day type) from ``night`` on, within the horizon."""
    return next_instructional_day(
        school=school,
        after=night - datetime.timedelta(days=1),
        before=night + datetime.timedelta(days=settings.NIGHTLY_HORIZON_DAYS),
    )


def nightly_due(*, now: datetime.datetime | None = None) -> list[DueSchool]:
    """The schools whose nightly rebuild is due now, each with its night and target date."""
    now = now or timezone.now()
    start = settings.NIGHTLY_LOCAL_TIME
    window = datetime.timedelta(hours=settings.NIGHTLY_WINDOW_HOURS)
    due = []
    for school in School.objects.order_by("pk"):
        local = now.astimezone(school.zone)
        opens = datetime.datetime.combine(local.date(), start, tzinfo=school.zone)
        if not opens <= local < opens + window:
            continue
        date = next_day_to_rebuild(school, local.date())
        if date is not None:
            due.append(DueSchool(school, local.date(), date))
    return due


# --- starting runs ------------------------------------------------------------------------------


def _queue(run_id: int) -> None:
    from ..tasks import nightly_rebuild_task

    nightly_rebuild_task.delay(run_id)


def nightly_fan_out(*, now: datetime.datetime | None = None) -> list[NightlyRun]:
    """Create tonight's run of every due school that has none yet, and queue each one's rebuild
    when its row commits. Safe to run any number of times, from any number of beats."""
    started = []
    for due in nightly_due(now=now):
        try:
            with transaction.atomic():
                run, created = NightlyRun.objects.get_or_create(
                    school=due.school,
                    night=due.night,
                    trigger=RunTrigger.NIGHTLY,
                    defaults={"date": due.date},
                )
                if created:
                    transaction.on_commit(partial(_queue, run.pk))
        except IntegrityError:  # another beat created it between our get and create
            continue
        if created:
            logger.info(
                "nightly queued school_id=%s night=%s date=%s run_id=%s",
                due.school.pk,
                due.night,
                due.date,
                run.pk,
            )
            started.append(run)
    return started


@dataclass(frozen=True)
class Started:
    runs: tuple[NightlyRun, ...]
    skipped: tuple[tuple[School, str], ...]  # schools with nothing to rebuild, and why


def nightly_runs_start(
    *,
    schools: Iterable[School],
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> Started:
    """Run the night's rebuild now for ``schools`` (the management command): a run each, marked
    as run by hand, queued when it commits."""
    now = now or timezone.now()
    runs, skipped = [], []
    for school in schools:
        night = local_night(school, now)
        date = next_day_to_rebuild(school, night)
        if date is None:
            skipped.append(
                (
                    school,
                    f"no instructional day in the {settings.NIGHTLY_HORIZON_DAYS} days "
                    f"from {night:%Y-%m-%d}",
                )
            )
            continue
        with transaction.atomic():
            run = NightlyRun.objects.create(
                school=school, night=night, date=date, trigger=RunTrigger.MANUAL, started_by=by
            )
            transaction.on_commit(partial(_queue, run.pk))
        runs.append(run)
    return Started(tuple(runs), tuple(skipped))


# --- one school's rebuild -----------------------------------------------------------------------


def nightly_rebuild(*, run_id: int, options: SolveOptions | None = None) -> NightlyRun | None:
    """Rebuild and publish the run's date; record the outcome on the run. Safe to run twice.

    Raises the database's transient errors (the task retries them); records anything else."""
    claimed = job_claim(NightlyRun, run_id)
    run = NightlyRun.objects.select_related("school").filter(pk=run_id).first()
    if run is None or not claimed:
        return run
    try:
        return _rebuild(run, options or nightly_solve_options())
    except TRANSIENT_DATABASE_ERRORS:  # the task retries them
        raise
    except Exception:
        logger.exception("nightly run_id=%s school_id=%s failed", run.pk, run.school_id)
        return _finish_without_publishing(
            run,
            error=gettext(
                "The rebuild stopped on an unexpected error; it was logged with the run's id."
            ),
        )


def _rebuild(run: NightlyRun, options: SolveOptions) -> NightlyRun:
    school = run.school
    # Homeroom moves a roster import found for a later day are made the night before it.
    cohort_moves_make(school=school, day=run.date)
    try:
        inputs = day_inputs(school=school, date=run.date)
    except DomainError as error:  # the calendar changed, or the configuration is incomplete
        return _finish_without_publishing(run, error=str(error))
    fingerprint = inputs.fingerprint
    if same_day(_published(run), inputs).exists():
        return _finish_unchanged(run, fingerprint)

    solved = day_solve(school=school, date=run.date, inputs=inputs, options=options)
    if not isinstance(solved, SolvedDay):
        return _finish_without_publishing(run, reasons=solved, fingerprint=fingerprint)

    try:
        with transaction.atomic():
            locked = _lock_run(run)
            if locked.state != RunState.RUNNING:  # another delivery finished it meanwhile
                return locked
            if same_day(_published(run), inputs).exists():
                # A concurrent run published these inputs meanwhile.
                return _finish_unchanged(run, fingerprint)
            # A leader's build of the date may have stored these inputs as a draft meanwhile:
            # that draft is published, not a second version of the same inputs.
            schedule = latest_same_day(
                school=school, date=run.date, inputs=inputs, statuses=(ScheduleStatus.DRAFT,)
            ) or day_store(school=school, date=run.date, solved=solved, origin=BuildOrigin.NIGHTLY)
            baseline = schedule_baseline(schedule=schedule)
            schedule = schedule_publish(schedule=schedule)
            _finish(
                locked,
                state=RunState.PUBLISHED,
                schedule=schedule,
                baseline=baseline,
                input_fingerprint=fingerprint,
                solve_seconds=round(solved.result.stats.wall_seconds, 3),
            )
    except ScheduleRejected as rejected:  # publishing validates once more, against the database
        return _finish_without_publishing(run, error=str(rejected), fingerprint=fingerprint)
    logger.info(
        "nightly published school_id=%s date=%s version=%s run_id=%s recovery=%s",
        school.pk,
        run.date,
        schedule.version,
        run.pk,
        # Staff out and no day as configured: the best ranked option, recorded on the schedule.
        (schedule.recovery or {}).get("kind", "none"),
    )
    return locked


def _published(run: NightlyRun) -> QuerySet[Schedule]:
    return Schedule.objects.filter(
        school=run.school_id, date=run.date, status=ScheduleStatus.PUBLISHED
    )


def _lock_run(run: NightlyRun) -> NightlyRun:
    """The run's row, locked with the school's builds until the transaction ends."""
    lock_school_builds(run.school_id)
    return NightlyRun.objects.select_for_update().select_related("school").get(pk=run.pk)


def _finish(run: NightlyRun, *, state: str, **fields: Any) -> NightlyRun:
    """Record the outcome on the (locked) run and tell people once the transaction commits."""
    job_finish(run, state=state, **fields)
    transaction.on_commit(partial(_notify, run.pk))
    return run


def _finish_unchanged(run: NightlyRun, fingerprint: str) -> NightlyRun:
    with transaction.atomic():
        locked = _lock_run(run)
        if locked.state != RunState.RUNNING:
            return locked
        return _finish(
            locked,
            state=RunState.UNCHANGED,
            schedule=_published(run).first(),
            input_fingerprint=fingerprint,
        )


def _finish_without_publishing(
    run: NightlyRun,
    *,
    reasons: Iterable[Reason] = (),
    error: str = "",
    fingerprint: str = "",
    open_states: tuple[str, ...] = (RunState.RUNNING,),
) -> NightlyRun:
    """Record why nothing was published, and keep what the school has for the date: its
    published version or, with none, a draft carried forward from the same kind of day.
    Only a run still in ``open_states`` is finished (a worker's own run: running)."""
    with transaction.atomic():
        locked = _lock_run(run)
        if locked.state not in open_states:
            return locked
        published = _published(run).first()
        schedule, fallback = published, Fallback.KEPT
        if published is None:
            schedule = carry_forward(school=locked.school, date=locked.date)
            fallback = Fallback.CARRIED_FORWARD if schedule is not None else Fallback.NOTHING
        logger.warning(
            "nightly not published school_id=%s date=%s run_id=%s fallback=%s",
            locked.school_id,
            locked.date,
            locked.pk,
            fallback,
        )
        return _finish(
            locked,
            state=RunState.FAILED,
            schedule=schedule,
            fallback=fallback,
            reasons=[dataclasses.asdict(r) for r in reasons],
            error=error,
            input_fingerprint=fingerprint,
        )


def carry_forward(*, school: School, date: datetime.date) -> Schedule | None:
    """A draft of ``date`` copied from the latest published day of the same day type before it
    (the same draft again if one was already carried forward from it), or None without one.
    Call it inside a transaction holding ``lock_school_builds``."""
    day = CalendarDay.objects.filter(school=school, date=date).first()
    if day is None or day.day_type_id is None:
        return None
    source = published_before(school=school, day_type=day.day_type_id, date=date).first()
    if source is None:
        return None
    existing = Schedule.objects.filter(school=school, date=date, carried_forward_from=source)
    if (found := existing.first()) is not None:
        return found
    draft = Schedule.objects.create(
        school=school,
        date=date,
        day_type_id=day.day_type_id,
        version=next_version(school=school, date=date),
        input_fingerprint=source.input_fingerprint,
        built_via=BuildOrigin.NIGHTLY,
        solver_stats={"carried_forward_from": source.pk},
        carried_forward_from=source,
        # The same day, so the same absence recovery (if any) makes its blocks valid.
        recovery=source.recovery,
    )
    ScheduledBlock.objects.bulk_create(
        ScheduledBlock(
            schedule=draft,
            cohort_id=b.cohort_id,
            station=b.station,
            start=b.start,
            end=b.end,
            room_id=b.room_id,
            staff_id=b.staff_id,
        )
        for b in source.blocks.all()
    )
    return draft


def _notify(run_id: int) -> None:
    from ..tasks import nightly_notify_task

    nightly_notify_task.delay(run_id)


# --- the sweeper --------------------------------------------------------------------------------


def nightly_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """The jobs' sweeper for nightly runs only: re-queue runs whose task went missing (queued,
    or running, for longer than ``NIGHTLY_STALE_SECONDS``); a run that used up
    ``NIGHTLY_MAX_ATTEMPTS`` is finished as not published instead. Returns the ids re-queued."""
    requeued, _failed = jobs_sweep(now=now, models=[NightlyRun]).ids(NightlyRun)
    return requeued


def nightly_give_up(run: NightlyRun, reason: str) -> NightlyRun:
    """Finish a run lost with its worker too many times as not published, with ``reason``,
    keeping what the school has for the date (the sweeper's ``give_up`` for nightly runs)."""
    return _finish_without_publishing(run, error=reason, open_states=ACTIVE_RUN_STATES)
