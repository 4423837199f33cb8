"""Roster imports as jobs: a leader's upload, an API client's push or the command's file.

``roster_import_start`` keeps the file on a ``RosterImport`` row and queues its run when the row
commits. ``roster_import_run`` reads the export, plans it against the network and records the
plan (counts, the diff, errors and warnings); unless it is a dry run and the plan is clean, it
applies it in one transaction. ``roster_import_apply`` turns a reviewed dry run into an import
of the same file. Imports are jobs (``students.jobs``): claimed once, finished once, swept when
their worker is lost. The file holds students' names: it is deleted when the import ends (once
that commits), except by a dry run that waits to be applied, whose file goes when it is applied.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rocketship.db_timeouts import long_statements

from ..errors import DomainError
from ..jobs import job_claim, job_files_delete_on_commit, job_finish, job_gate
from ..models import (
    Network,
    RosterImport,
    RosterImportState,
)
from ..models.rostering import MAX_STORED_LINES
from .apply import roster_apply_checked
from .cohort_sources import CohortPreview, cohort_preview
from .plan import RosterPlan, roster_plan
from .reader import read_export
from .records import ExportError
from .source import ExportLimits

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


def roster_import_start(
    *,
    network: Network,
    file: File | bytes,
    file_name: str,
    dry_run: bool,
    by: User | None = None,
    queue: bool = True,
) -> RosterImport:
    """Keep ``file`` and queue its import (``queue=False``: the caller runs it)."""
    from ..tasks import roster_import_run_task

    content = ContentFile(file, name=file_name) if isinstance(file, bytes) else file
    name = (file_name or "roster.zip").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        record = RosterImport.objects.create(
            network=network, requested_by=by, file_name=name, dry_run=dry_run
        )
        record.file.save(name, content, save=True)
        if queue:
            transaction.on_commit(lambda: roster_import_run_task.delay(record.pk))
    logger.info(
        "roster import queued id=%s network_id=%s dry_run=%s", record.pk, network.pk, dry_run
    )
    return record


def roster_import_apply(*, record: RosterImport, by: User | None) -> RosterImport:
    """Apply a reviewed dry run: the same file imported for real, as a new import."""
    if not record.dry_run or record.state != RosterImportState.REVIEWED or not record.file:
        raise DomainError(
            gettext(
                "Only a dry run that finished without errors can be applied; upload the export "
                "again."
            )
        )
    with record.file.open("rb") as stored:
        content = stored.read()
    with transaction.atomic():
        applied = roster_import_start(
            network=record.network, file=content, file_name=record.file_name, dry_run=False, by=by
        )
        # The dry run waits no longer: its copy of the export (students' names) goes.
        job_files_delete_on_commit(record, ["file"])
    return applied


def roster_dry_runs_expire(now: datetime.datetime) -> list[int]:
    """Delete the export of every reviewed dry run not applied within
    ``ROSTER_DRY_RUN_KEEP_HOURS`` of its review (the sweeper's ``expire_files``): it holds
    students' names. Such a dry run can no longer be applied; its diff stays. Returns their ids."""
    before = now - datetime.timedelta(hours=settings.ROSTER_DRY_RUN_KEEP_HOURS)
    waiting = RosterImport.objects.filter(
        dry_run=True, state=RosterImportState.REVIEWED, finished_at__lt=before
    ).exclude(file="")
    expired = []
    for record in waiting:
        job_files_delete_on_commit(record, ["file"])
        expired.append(record.pk)
    return expired


def roster_import_run(
    *,
    import_id: int,
    today: datetime.date | None = None,
    progress: Progress | None = None,
    reclaim: int | None = None,
) -> RosterImport | None:
    """Run a queued import and record its outcome; safe to run twice (a started import is
    returned as it is, unless ``reclaim`` names the attempt of this task's retry:
    ``students.jobs.job_claim``). Unexpected errors are recorded as failed, never half-applied;
    an outage of the database is raised for the task to retry."""
    claimed = job_claim(RosterImport, import_id, reclaim=reclaim)
    record = RosterImport.objects.select_related("network").filter(pk=import_id).first()
    if record is None or not claimed:
        return record
    job_gate(record)  # fault tests only
    say = progress or (lambda step: None)
    try:
        say("reading")
        with record.file.open("rb") as stored:
            export = read_export(stored, ExportLimits.from_settings(settings))
        say("checking")
        # A district's roster: statements over every student may outlast the statement limit.
        with long_statements(), transaction.atomic():
            # One import of a network at a time: the plan is made and applied under the lock,
            # so a concurrent import never applies a plan made from rows that changed meanwhile.
            Network.objects.select_for_update().get(pk=record.network_id)
            plan = roster_plan(
                network=record.network, export=export, today=today or timezone.localdate()
            )
            if plan.ok and plan.changes:
                # A dry run applies too, and rolls back: whatever the database would refuse
                # at the real apply is an error of the dry run, naming its row.
                say("applying")
                plan.errors.extend(
                    roster_apply_checked(
                        plan,
                        by=record.requested_by,
                        via=f"roster import {record.pk}",
                        keep=not record.dry_run,
                    )
                )
            # A dry run lists the classes that could define cohorts, for its page to offer.
            preview = (
                cohort_preview(export=export, network=record.network, today=plan.today)
                if record.dry_run
                else None
            )
            _record_plan(
                record, plan, version=export.version, modes=dict(export.modes), preview=preview
            )
    except (OperationalError, InterfaceError):  # rolled back: the task retries it
        raise
    except Exception:
        logger.exception("roster import id=%s network_id=%s failed", record.pk, record.network_id)
        job_finish(
            record,
            state=RosterImportState.FAILED,  # type: ignore[arg-type]  # a choice (a str)
            message=gettext(
                "The import stopped on an unexpected error; nothing was changed. Try "
                "again; if it happens again, report it with the import's number."
            ),
        )
    say("done")
    return record


def _record_plan(
    record: RosterImport,
    plan: RosterPlan,
    *,
    version: str,
    modes: dict[str, str],
    preview: CohortPreview | None = None,
) -> None:
    if not plan.ok:
        state = RosterImportState.REJECTED
        # The same English for one and many (the wording the pages have always shown); the
        # catalogs give each language its plural forms.
        message = ngettext(
            "The export has %(count)d error(s); nothing was changed.",
            "The export has %(count)d error(s); nothing was changed.",
            len(plan.errors),
        ) % {"count": len(plan.errors)}
    elif not plan.changes:
        state = RosterImportState.UNCHANGED
        message = gettext("The export matches what is stored; nothing to change.")
    elif record.dry_run:
        state = RosterImportState.REVIEWED
        message = gettext("Dry run: nothing was changed. Review the changes, then apply them.")
    else:
        state = RosterImportState.APPLIED
        message = ngettext(
            "%(count)d change(s) applied.", "%(count)d change(s) applied.", len(plan.changes)
        ) % {"count": len(plan.changes)}
    # The export is deleted once this commits, unless a dry run waits to be applied.
    job_finish(
        record,
        state=state,  # type: ignore[arg-type]  # a choice (a str)
        message=message,
        version=version,
        modes=modes,
        counts=plan.counts(),
        changes=[c.as_dict() for c in plan.changes[:MAX_STORED_LINES]],
        errors=[_line(e) for e in plan.errors[:MAX_STORED_LINES]],
        warnings=[_line(w) for w in plan.warnings[:MAX_STORED_LINES]],
        error_count=len(plan.errors),
        cohort_preview=preview.as_dict() if preview is not None else {},
    )
    logger.info(
        "roster import id=%s network_id=%s state=%s changes=%d errors=%d",
        record.pk,
        record.network_id,
        state,
        len(plan.changes),
        len(plan.errors),
    )


def _line(error: ExportError) -> dict[str, object]:
    return dataclasses.asdict(error)
