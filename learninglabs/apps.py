from django.apps import AppConfig


class LearningLabsConfig(AppConfig):
    name = "learninglabs"
    verbose_name = "Learning Labs"

    def ready(self) -> None:
        from students.jobs import JobKind, job_kind_register

        from .models import ProgressImport

        # A progress import is a job the sweeper (``students.jobs``) looks after.
        job_kind_register(
            JobKind(model=ProgressImport, task="learninglabs.tasks.progress_import_run_task")
        )
