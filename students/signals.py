"""Session bookkeeping: remember each login's session (and its new key when rotated, see
``students.sessions``) so deactivating or reactivating a user ends them all; and
API clients changed outside ``students.clients`` (the admin's form) drop their cached
principals, so a token sees its client's new schools and write grant at once."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from .clients import forget_client_principals, forget_principals
from .models import ApiClient, ApiToken, UserSession
from .sessions import sessions_end_for_user

User = get_user_model()

# Sent once a roster import that wrote guardians has committed, with ``guardian_ids`` (list of
# int): the guardians it created or updated and still lists. ``families`` listens (it invites
# those with an email when their school asks it to); ``students`` never imports ``families``.
guardians_imported = Signal()


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
    instance._deactivated = instance._reactivated = False
    if instance.pk is None:
        return
    was_active = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    if was_active is None:
        return
    instance._deactivated = was_active and not instance.is_active
    instance._reactivated = not was_active and instance.is_active


@receiver(post_save, sender=User)
def end_sessions_of_deactivated(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Reactivating ends sessions too: one that was being rotated while the user was deactivated
    # (remembered under its new key after the deactivation ended the others) must not come back.
    if getattr(instance, "_deactivated", False) or getattr(instance, "_reactivated", False):
        user_id = instance.pk
        transaction.on_commit(lambda: sessions_end_for_user(user_id=user_id))


@receiver(post_save, sender=ApiClient)
def forget_changed_client(sender: Any, instance: ApiClient, created: bool, **kwargs: Any) -> None:
    if not created:  # a new client has no tokens yet, so nothing cached
        forget_client_principals(instance.pk)


@receiver(m2m_changed, sender=ApiClient.schools.through)
def forget_client_with_new_schools(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    # pre_*: the tokens must be stale before the new schools can be read; reverse: a school's
    # clients changed (pk_set holds clients; None for a clear, so all of the school's clients).
    if action not in {"pre_add", "pre_remove", "pre_clear"}:
        return
    if not reverse:
        forget_client_principals(instance.pk)
        return
    client_ids = pk_set if pk_set is not None else instance.api_clients.values_list("pk", flat=True)
    for client_id in client_ids:
        forget_client_principals(client_id)


@receiver(post_delete, sender=ApiToken)
def forget_deleted_token(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    forget_principals([instance.prefix])
