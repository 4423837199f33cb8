from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from .models import Schedule
        from .published_cache import forget_deleted_schedule, forget_saved_schedule

        # The API's cache of which version is published follows every change of a schedule.
        post_save.connect(forget_saved_schedule, sender=Schedule, dispatch_uid="published-save")
        post_delete.connect(
            forget_deleted_schedule, sender=Schedule, dispatch_uid="published-delete"
        )
