from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from django.utils.translation import gettext, ngettext

        from .models import Schedule
        from .solver import words

        # The engine's messages (plain Python) come out in the language active where made.
        words.install(gettext, ngettext)
        from .published_cache import forget_deleted_schedule, forget_saved_schedule

        # The API's cache of which version is published follows every change of a schedule.
        post_save.connect(forget_saved_schedule, sender=Schedule, dispatch_uid="published-save")
        post_delete.connect(
            forget_deleted_schedule, sender=Schedule, dispatch_uid="published-delete"
        )
        register_jobs()


def register_jobs() -> None:
    """Builds and nightly runs are jobs the sweeper (``students.jobs``) looks after. Both may
    be taken over by a redelivered task at once: their finish is guarded by the school's build
    lock and the row's state, so two deliveries still finish once."""
    from django.conf import settings

    from students.jobs import JobKind, job_kind_register

    from .models import BuildJob, NightlyRun

    job_kind_register(
        JobKind(model=BuildJob, task="scheduling.tasks.build_job_run_task", reclaims_running=True)
    )
    job_kind_register(
        JobKind(
            model=NightlyRun,
            task="scheduling.tasks.nightly_rebuild_task",
            send="scheduling.services.nightly._queue",
            give_up="scheduling.services.nightly.nightly_give_up",
            time_limit=lambda: settings.NIGHTLY_TIME_LIMIT,
            stale_seconds=lambda: settings.NIGHTLY_STALE_SECONDS,
            max_attempts=lambda: settings.NIGHTLY_MAX_ATTEMPTS,
            reclaims_running=True,
        )
    )
