from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = gettext_lazy("Schools and people")

    def ready(self) -> None:
        from . import (
            signals,  # noqa: F401  (connects the session and deactivation receivers)
            workers,  # noqa: F401  (connects a Celery worker's start-up receivers)
        )
        from .jobs import JobKind, job_kind_register
        from .models import RosterImport

        # A roster import is a job the sweeper (``students.jobs``) looks after.
        job_kind_register(
            JobKind(
                model=RosterImport,
                task="students.tasks.roster_import_run_task",
                expire_files="students.oneroster.imports.roster_dry_runs_expire",
            )
        )
