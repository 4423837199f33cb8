from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "families"
    verbose_name = _("Families")

    def ready(self) -> None:
        from students.jobs import JobKind, job_kind_register

        from . import receivers  # noqa: F401  (connects to publishes and roster imports)
        from .visit_models import VisitPlanJob

        # "Plan first visits" queued for a worker: the sweeper looks after a lost one.
        job_kind_register(
            JobKind(model=VisitPlanJob, task="families.tasks.visit_plan_job_run_task")
        )
