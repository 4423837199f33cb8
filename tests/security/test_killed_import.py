"""A killed import: kill -9 the worker in the middle of a progress CSV import or a roster import.

The attack (or accident): an import whose worker dies stays "running" forever, its page polls
forever, and its uploaded file (student ids and names) is never deleted. Here a real Celery
worker (its own process group, prefork pool) takes the import and is killed with SIGKILL while
the import is under way; the import waits on a marker file (``JOBS_TEST_GATE_DIR``) once
claimed, so the kill lands mid-import without any guess at timing. A new worker is started and
the jobs' sweeper runs, with the clock moved past the kind's stale limit: the import is run
again to completion, or, once it has used up ``JOBS_MAX_ATTEMPTS``, failed with the reason,
its file deleted and its page no longer polling.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from learninglabs.models import (
    ImportState,
    Program,
    ProgramKind,
    ProgressImport,
    ProgressRecord,
    Subject,
    VendorMapping,
)
from students.jobs import JobKind, job_kind, jobs_sweep
from students.models import RosterImport, RosterImportState, Student
from students.models.jobs import Job
from students.oneroster.imports import roster_import_start

from ..conftest import SchoolWorld, client_for
from ..faults.conftest import Faults, faults  # noqa: F401  (the fixture)
from ..faults.harness import Worker, wait_until
from ..students.oneroster_files import small_school

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]

TIMEOUT = 120  # a worker's start and an import, on a busy two-core machine
ENROLLED = datetime.date(2026, 1, 5)
CSV = "Student,Day,Minutes\nS-1,2026-11-02,30\nS-1,2026-11-03,45\n"


# --- the two kinds of import ---------------------------------------------------------------------


def queued_progress_import(world: SchoolWorld) -> ProgressImport:
    world.student.local_id = "S-1"
    world.student.enrollment_start = ENROLLED
    world.student.save()
    program = Program.objects.create(
        school=world.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )
    mapping = VendorMapping.objects.create(
        school=world.school,
        name="ST Math export",
        source="csv:stmath",
        program=program,
        student_column="Student",
        date_column="Day",
        minutes_column="Minutes",
    )
    record = ProgressImport.objects.create(
        school=world.school, mapping=mapping, file_name="export.csv"
    )
    record.file.save("export.csv", ContentFile(CSV.encode()), save=True)
    return record


def queued_roster_import(world: SchoolWorld) -> RosterImport:
    return roster_import_start(
        network=world.school.network,
        file=small_school().zip_bytes(),
        file_name="roster.zip",
        dry_run=False,
        queue=False,  # the test sends its task to the workers
    )


@dataclass(frozen=True)
class ImportKind:
    model: type[Job]
    make: Callable[[SchoolWorld], Job]
    done: str  # the state of an import run to completion
    stored: Callable[[], int]  # what the import stores, counted

    @property
    def task_name(self) -> str:
        return import_string(job_kind(self.model).task).name

    def status_url(self, job: Job) -> str:
        if isinstance(job, ProgressImport):
            return reverse("progress-import-status", args=[job.school_id, job.pk])
        return reverse("roster-import", args=[job.network_id, job.pk])  # type: ignore[attr-defined]


PROGRESS = ImportKind(
    ProgressImport, queued_progress_import, ImportState.SUCCEEDED, ProgressRecord.objects.count
)
ROSTER = ImportKind(
    RosterImport,
    queued_roster_import,
    RosterImportState.APPLIED,
    lambda: Student.objects.filter(sourced_id__startswith="st").count(),
)
KINDS = [pytest.param(PROGRESS, id="progress-csv"), pytest.param(ROSTER, id="roster")]


# --- the gate and the workers --------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """The marker files of ``students.jobs.job_gate``: ``.started`` once a worker claimed the
    job (holding its attempt), ``.go`` to let it on."""

    folder: Path

    def _path(self, job: Job, suffix: str) -> Path:
        return self.folder / f"{job._meta.app_label}_{job._meta.model_name}-{job.pk}.{suffix}"

    def attempt_started(self, job: Job) -> int:
        path = self._path(job, "started")
        return int(path.read_text() or 0) if path.exists() else 0

    def open(self, job: Job) -> None:
        self._path(job, "go").touch()


@dataclass
class Imports:
    faults: Faults
    gate: Gate
    var_dir: Path

    def worker(self, name: str) -> Worker:
        return self.faults.worker(
            name,
            env={
                "ROCKETSHIP_VAR_DIR": str(self.var_dir),
                "JOBS_TEST_GATE_DIR": str(self.gate.folder),
            },
        )

    def send(self, kind: ImportKind, job: Job) -> None:
        self.faults.client.send_task(kind.task_name, args=[job.pk], queue=self.faults.queue)


@pytest.fixture
def imports(faults: Faults, tmp_path: Path, settings, monkeypatch) -> Imports:  # noqa: F811
    """Workers sharing the test's upload folder (``VAR_DIR``) and gate. The sweeper runs in
    the test; the tasks it sends again go to this test's Redis and workers."""
    folder = tmp_path / "gate"
    folder.mkdir()
    assert Path(settings.VAR_DIR) == tmp_path
    env = Imports(faults, Gate(folder), tmp_path)

    def queue(kind: JobKind, job_id: int) -> None:
        faults.client.send_task(import_string(kind.task).name, args=[job_id], queue=faults.queue)

    monkeypatch.setattr(JobKind, "queue", queue)
    return env


def killed_mid_import(imports: Imports, kind: ImportKind, world: SchoolWorld) -> Job:
    """An import taken by a worker that is killed with SIGKILL (its pool too) mid-import."""
    job = kind.make(world)
    first = imports.worker("first")
    imports.send(kind, job)
    wait_until(lambda: imports.gate.attempt_started(job) == 1, timeout=TIMEOUT, what="the import")

    first.kill()  # kill -9 the main process and its pool: nothing is handed back

    job.refresh_from_db()
    assert (job.state, job.attempts, job.finished_at) == ("running", 1, None)
    assert job.file.storage.exists(job.file.name)  # type: ignore[attr-defined]
    return job


def lost_since_then(kind: ImportKind) -> datetime.datetime:
    """The clock moved past the kind's stale limit: the killed worker's import is lost."""
    return timezone.now() + job_kind(kind.model).stale_after() + datetime.timedelta(seconds=1)


def names_an_upload(job: Job) -> bool:
    """Whether the stored row still names an upload (``job`` is refreshed)."""
    job.refresh_from_db()
    return bool(job.file)  # type: ignore[attr-defined]


def finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return None if job.active else job


# --- the attack ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_import_whose_worker_is_killed_is_run_again_to_completion_and_its_file_deleted(
    imports, school_a, kind
):
    job = killed_mid_import(imports, kind, school_a)
    stored = job.file.name  # type: ignore[attr-defined]
    imports.worker("replacement")
    imports.gate.open(job)  # the next attempt goes straight through

    swept = jobs_sweep(now=lost_since_then(kind))

    assert swept.ids(kind.model) == ([job.pk], [])
    job = wait_until(lambda: finished(job), timeout=TIMEOUT, what="the import run again")
    assert job.state == kind.done, job.failure_message
    assert job.attempts == 2 and imports.gate.attempt_started(job) == 2
    assert kind.stored() > 0
    # The worker deletes the upload, then blanks the field, just after the finish commits: wait
    # for the last of those, not race it.
    storage = job.file.storage  # type: ignore[attr-defined]
    wait_until(lambda: not names_an_upload(job), timeout=TIMEOUT, what="the upload's field blanked")
    assert not job.file and not storage.exists(stored)


@pytest.mark.parametrize("kind", KINDS)
def test_an_import_killed_past_its_last_attempt_fails_with_the_reason_and_its_file_deleted(
    imports, school_a, network_admin, settings, kind
):
    settings.JOBS_MAX_ATTEMPTS = 1
    job = killed_mid_import(imports, kind, school_a)
    stored = job.file.name  # type: ignore[attr-defined]
    imports.worker("replacement").wait_ready()
    user = school_a.leader.user if kind is PROGRESS else network_admin
    page = client_for(user)

    swept = jobs_sweep(now=lost_since_then(kind))

    assert swept.ids(kind.model) == ([], [job.pk])
    job.refresh_from_db()
    assert job.state == "failed" and job.attempts == 1 and job.finished_at is not None
    assert job.failure_message.startswith("The worker running it stopped 1 times;")
    assert not job.file and not job.file.storage.exists(stored)  # type: ignore[attr-defined]
    assert kind.stored() == 0  # nothing half-imported
    html = page.get(kind.status_url(job)).content.decode()
    assert "The worker running it stopped 1 times;" in html
    assert "hx-trigger" not in html  # the page stops polling
