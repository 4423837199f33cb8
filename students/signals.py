"""Session bookkeeping: remember each login's session so deactivating a user ends them all."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from .models import UserSession
from .sessions import sessions_end_for_user

User = get_user_model()


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@receiver(pre_save, sender=User)
def note_deactivation(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is None or instance.is_active:
        instance._deactivated = False
        return
    was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()
    instance._deactivated = was_active


@receiver(post_save, sender=User)
def end_sessions_of_deactivated(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "_deactivated", False):
        user_id = instance.pk
        transaction.on_commit(lambda: sessions_end_for_user(user_id=user_id))
