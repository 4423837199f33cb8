"""Receivers of the other apps' signals: families act on publishes and roster imports without
those apps importing ``families``."""

from typing import Any

from django.dispatch import receiver

from scheduling.signals import day_published

from . import account_receivers  # noqa: F401  (roster imports invite; family logins last)


@receiver(day_published, dispatch_uid="families.notices")
def notices_on_publish(sender: Any, schedule: Any, previous: Any = None, **kwargs: Any) -> None:
    """A day published over another may have moved children's blocks: their guardians are
    told (``families.notices``). A first publication of a day moves nobody's known day."""
    if previous is None:
        return
    from .tasks import day_published_task  # the task module imports the notices' models

    day_published_task.delay(schedule.pk, previous.pk)
