"""One job framework: builds, nightly runs and both imports are claimed once, finished once (an
import's upload deleted when the finish commits) and swept when their worker is lost: run again,
or failed with the reason after ``JOBS_MAX_ATTEMPTS``, and their pages stop polling."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from families.visit_models import VisitPlanJob
from learninglabs.imports import progress_import_start
from learninglabs.models import ImportState, ProgressImport, ProgressRecord
from scheduling.models import BuildJob, BuildState, NightlyRun, RunState
from scheduling.services.builds import build_job_start
from students.clients import api_client_create
from students.jobs import job_claim, job_finish, job_kind, job_kinds, jobs_sweep
from students.models import Role, RosterImport, RosterImportState
from students.oneroster.imports import roster_import_apply, roster_import_run, roster_import_start

from ..conftest import client_for
from ..factories import StaffFactory
from ..learninglabs.test_import_command import GOOD, HEADER, mapping  # noqa: F401 (fixture)
from ..scheduling.test_selectors import DATE, kindergarten
from .oneroster_files import small_school

pytestmark = pytest.mark.django_db

ONE_MINUTE = datetime.timedelta(minutes=1)


def later(model, *, seconds: float = 1) -> datetime.datetime:
    """A moment just past ``model``'s stale limit from now: every job active now is lost."""
    return timezone.now() + job_kind(model).stale_after() + datetime.timedelta(seconds=seconds)


def queued_progress_import(mapping, django_capture_on_commit_callbacks) -> ProgressImport:  # noqa: F811
    """An upload kept and its import queued, its task not run (the worker never got it)."""
    upload = SimpleUploadedFile("export.csv", (HEADER + GOOD).encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks() as sent:
        record = progress_import_start(mapping=mapping, upload=upload, by=None)
    assert len(sent) == 1 and record.file
    return record


def file_exists(record) -> bool:
    return record.file.storage.exists(record.file.name)


# --- one model, one registry ---------------------------------------------------------------------


def test_every_kind_of_job_is_registered_with_its_task():
    kinds = {kind.model: kind for kind in job_kinds()}

    assert set(kinds) == {BuildJob, NightlyRun, ProgressImport, RosterImport, VisitPlanJob}
    assert kinds[VisitPlanJob].task == "families.tasks.visit_plan_job_run_task"
    assert kinds[ProgressImport].task == "learninglabs.tasks.progress_import_run_task"
    assert kinds[RosterImport].task == "students.tasks.roster_import_run_task"
    # Imports are lost after twice their task's hard time limit (30 min).
    assert kinds[ProgressImport].stale_after() == datetime.timedelta(minutes=60)
    for model in kinds:
        names = {field.name for field in model._meta.get_fields()}
        assert {
            "state",
            "attempts",
            "first_queued_at",
            "queued_at",
            "started_at",
            "finished_at",
        } <= names


# --- claim ----------------------------------------------------------------------------------------


def test_a_queued_import_is_claimed_once_and_a_running_one_only_once_its_worker_is_lost(
    mapping,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    record = queued_progress_import(mapping, django_capture_on_commit_callbacks)

    assert job_claim(ProgressImport, record.pk)
    assert not job_claim(ProgressImport, record.pk)  # a second delivery finds it running
    record.refresh_from_db()
    assert (record.state, record.attempts) == (ImportState.RUNNING, 1)
    assert record.started_at is not None
    # Once its worker has been silent past the stale limit, a redelivered task takes it over.
    assert job_claim(ProgressImport, record.pk, now=later(ProgressImport))
    record.refresh_from_db()
    assert record.attempts == 2


def test_a_finished_jobs_upload_is_deleted_only_when_the_finish_commits(
    mapping,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    record = queued_progress_import(mapping, django_capture_on_commit_callbacks)
    job_claim(ProgressImport, record.pk)
    record.refresh_from_db()
    name = record.file.name

    with django_capture_on_commit_callbacks() as pending:
        job_finish(record, state=ImportState.FAILED, message="Stopped.")
        assert record.file.storage.exists(name)  # not yet committed: a rollback keeps it
    for callback in pending:
        callback()

    record.refresh_from_db()
    assert not record.file and not record.file.storage.exists(name)
    assert (record.state, record.message) == (ImportState.FAILED, "Stopped.")
    assert record.finished_at is not None


# --- the sweeper ----------------------------------------------------------------------------------


def test_a_progress_import_lost_with_its_worker_is_run_again_to_completion(
    mapping,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    record = queued_progress_import(mapping, django_capture_on_commit_callbacks)
    job_claim(ProgressImport, record.pk)  # a worker took it, then died: it stays "running"

    assert jobs_sweep().ids(ProgressImport) == ([], [])  # not lost yet
    with django_capture_on_commit_callbacks(execute=True):  # the task, sent again, runs
        swept = jobs_sweep(now=later(ProgressImport))

    assert swept.ids(ProgressImport) == ([record.pk], [])
    record.refresh_from_db()
    assert (record.state, record.attempts, record.created) == (ImportState.SUCCEEDED, 2, 2)
    assert ProgressRecord.objects.count() == 2
    assert not record.file


def test_a_job_lost_too_often_fails_with_its_reason_its_file_deleted_and_its_page_stops_polling(
    mapping,  # noqa: F811
    school_a,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.JOBS_MAX_ATTEMPTS = 2
    record = queued_progress_import(mapping, django_capture_on_commit_callbacks)
    name = record.file.name
    # Its second worker died too, long ago.
    lost_since = timezone.now() - job_kind(ProgressImport).stale_after() - ONE_MINUTE
    ProgressImport.objects.filter(pk=record.pk).update(
        state=ImportState.RUNNING, attempts=2, queued_at=lost_since, started_at=lost_since
    )
    page = client_for(school_a.leader.user)
    url = reverse("progress-import-status", args=[school_a.school.pk, record.pk])
    lost = page.get(url).content.decode()

    # (Were it queued again, its task would run here, and import the file.)
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep()

    assert swept.ids(ProgressImport) == ([], [record.pk])
    record.refresh_from_db()
    assert record.state == ImportState.FAILED and record.attempts == 2
    assert record.message.startswith("The worker running it stopped 2 times;")
    assert not record.file and not record.file.storage.exists(name)
    assert "stopped answering" in lost and "hx-trigger" not in lost  # lost: no more polling
    html = page.get(url).content.decode()
    assert "The worker running it stopped 2 times;" in html and "hx-trigger" not in html


def test_a_roster_import_lost_too_often_fails_and_its_export_is_deleted(
    school_a, settings, django_capture_on_commit_callbacks
):
    settings.JOBS_MAX_ATTEMPTS = 1
    network = school_a.school.network
    with django_capture_on_commit_callbacks():
        record = roster_import_start(
            network=network, file=small_school().zip_bytes(), file_name="r.zip", dry_run=True
        )
    name = record.file.name
    assert job_claim(RosterImport, record.pk)

    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep(now=later(RosterImport))

    assert swept.ids(RosterImport) == ([], [record.pk])
    record.refresh_from_db()
    assert record.state == RosterImportState.FAILED
    assert "stopped 1 times" in record.message
    assert not record.file and not record.file.storage.exists(name)


def test_a_reviewed_dry_run_keeps_its_export_until_it_is_applied(
    school_a, django_capture_on_commit_callbacks
):
    network = school_a.school.network
    with django_capture_on_commit_callbacks(execute=True):
        dry = roster_import_start(
            network=network,
            file=small_school().zip_bytes(),
            file_name="r.zip",
            dry_run=True,
            queue=False,
        )
        roster_import_run(import_id=dry.pk, today=datetime.date(2024, 9, 3))
    dry.refresh_from_db()
    assert dry.state == RosterImportState.REVIEWED and file_exists(dry)
    name = dry.file.name

    with django_capture_on_commit_callbacks(execute=True):
        applied = roster_import_apply(record=dry, by=None)

    dry.refresh_from_db()
    applied.refresh_from_db()
    assert not dry.file and not dry.file.storage.exists(name)  # it waits no longer
    assert applied.state in (RosterImportState.APPLIED, RosterImportState.UNCHANGED)
    assert not applied.file  # applied: its own copy is gone too


def test_the_sweeper_runs_a_lost_build_again_and_leaves_a_busy_one(
    django_capture_on_commit_callbacks,
):
    k = kindergarten()
    now = timezone.now()
    lost_since = now - job_kind(BuildJob).stale_after() - ONE_MINUTE
    lost = BuildJob.objects.create(
        school=k.school,
        date=DATE,
        state=BuildState.RUNNING,
        queued_at=lost_since,
        started_at=lost_since,
        attempts=1,
    )
    busy = BuildJob.objects.create(
        school=k.school, date=DATE, state=BuildState.RUNNING, started_at=now, attempts=1
    )

    with django_capture_on_commit_callbacks() as sent:
        swept = jobs_sweep(now=now)

    assert swept.ids(BuildJob) == ([lost.pk], [])
    assert len(sent) == 1  # its task, sent again once the sweep commits
    lost.refresh_from_db()
    busy.refresh_from_db()
    assert (lost.state, lost.queued_at) == (BuildState.QUEUED, now)
    assert busy.state == BuildState.RUNNING


def test_a_nightly_run_lost_too_often_is_not_published_with_the_reason(settings):
    settings.NIGHTLY_MAX_ATTEMPTS = 2
    k = kindergarten()
    long_ago = timezone.now() - datetime.timedelta(days=1)
    run = NightlyRun.objects.create(
        school=k.school,
        night=DATE,
        date=DATE,
        state=RunState.RUNNING,
        queued_at=long_ago,
        started_at=long_ago,
        attempts=2,
    )

    swept = jobs_sweep()

    assert swept.ids(NightlyRun) == ([], [run.pk])
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.error.startswith("The worker running it stopped")


# --- builds record which API client asked ---------------------------------------------------------


def test_a_build_asked_for_by_an_api_client_names_it_on_the_build_page(
    django_capture_on_commit_callbacks,
):
    k = kindergarten()
    leader = StaffFactory(school=k.school, roles=[Role.LEADER])
    client = api_client_create(
        network=k.school.network, name="District sync", schools=[k.school], can_write=True, by=None
    )
    with django_capture_on_commit_callbacks():
        job = build_job_start(school=k.school, date=DATE, client=client)

    page = client_for(leader.user).get(reverse("build-status", args=[k.school.pk, job.pk]))

    assert job.requested_by_client == client and job.requested_by is None
    assert page.status_code == 200
    assert "through API client District sync" in page.content.decode()


def test_a_command_import_whose_process_died_fails_saying_its_file_is_gone(
    mapping,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    lost_since = timezone.now() - job_kind(ProgressImport).stale_after() - ONE_MINUTE
    record = ProgressImport.objects.create(  # as manage.py import_progress makes it
        school=mapping.school,
        mapping=mapping,
        file_name="export.csv",
        state=ImportState.RUNNING,
        started_at=lost_since,
        queued_at=lost_since,
        attempts=1,
    )

    with django_capture_on_commit_callbacks(execute=True):  # the task, sent again, runs
        swept = jobs_sweep()

    assert swept.ids(ProgressImport) == ([record.pk], [])
    record.refresh_from_db()
    assert record.state == ImportState.FAILED and record.attempts == 2
    assert "its file is no longer kept" in record.message


def test_a_reviewed_dry_run_not_applied_in_time_has_its_export_deleted(
    school_a, network_admin, settings, django_capture_on_commit_callbacks
):
    settings.ROSTER_DRY_RUN_KEEP_HOURS = 24
    with django_capture_on_commit_callbacks(execute=True):
        dry = roster_import_start(
            network=school_a.school.network,
            file=small_school().zip_bytes(),
            file_name="r.zip",
            dry_run=True,
            queue=False,
        )
        roster_import_run(import_id=dry.pk, today=datetime.date(2024, 9, 3))
    dry.refresh_from_db()
    name = dry.file.name

    assert jobs_sweep(now=timezone.now() + datetime.timedelta(hours=23)).expired == {}
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep(now=timezone.now() + datetime.timedelta(hours=25))

    assert swept.expired == {"students.rosterimport": [dry.pk]}
    dry.refresh_from_db()
    assert dry.state == RosterImportState.REVIEWED and dry.changes  # the diff stays
    assert not dry.file and not dry.file.storage.exists(name)
    html = (
        client_for(network_admin)
        .get(reverse("roster-import", args=[dry.network_id, dry.pk]))
        .content.decode()
    )
    assert "Apply these changes" not in html and "upload the export again" in html
