"""Who may do what, in one place: pages, API views, the admin and services ask here.

- Schools: ``visible_schools`` (whose data a user may read), ``led_schools`` (which they
  configure), ``is_network_admin``, ``can_administer`` (the admin site at all) and
  ``users_choosable_by`` (accounts a leader may attach to a school).
- Roster imports: ``administers``, ``import_refusal`` and ``client_refusal`` (who may import a
  network's rosters, and why not).
- The audit trail's name for where a read or change came from: ``page_via``, ``api_via`` and
  ``admin_via``.

Reads only; the queryset scoping that uses these answers (``scope_for_user``,
``get_scoped_or_404``, ``get_led_school_or_404``, ``get_import_network_or_404``) lives in
``students.scoping``.

Roster imports
--------------
An import creates, updates and ends schools, cohorts, students and staff across the whole
network, so it is a network admin's action (or a superuser's), never a school leader's or a
teacher's. A network the caller cannot see at all answers 404 (its existence is private, the
attempt is audited); a network the caller sees (they work at one of its schools) but may not
import into answers 403 with the reason.

An API client's token acts for the network only when the client is *network-wide*: registered
for every school of that network, holding the write grant, and registered by someone who
administers the network now (a network admin or a superuser). Clients are registered per set of
schools, and leaders register clients for the schools they lead; without the last condition a
leader of a one-school network could import by registering a client for "every" school, and a
progress-pushing client would gain the power to end every student. ``import_refusal`` says which
condition failed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .models import ApiClient, Network, NetworkAdmin, Role, School, StaffRole

AnyUser = AbstractBaseUser | AnonymousUser

LEADERS_MAY_NOT = (
    "Roster imports change every school of the network, so only the network's admins can "
    "import rosters; ask one of them."
)
READ_ONLY = "This client's tokens are read-only; a leader can grant it write."


# --- Audit naming ------------------------------------------------------------------------------


def page_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change a page makes."""
    return f"page {request.path}"


def api_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change an API call makes."""
    return f"api {request.method} {request.path}"


def admin_via(request: HttpRequest) -> str:
    """How the audit trail names a read or change made on the admin site."""
    return f"admin {request.method} {request.path}"


# --- Schools -----------------------------------------------------------------------------------


def is_token(user: AnyUser) -> bool:
    """Whether ``user`` is an API client's token rather than a person."""
    return hasattr(user, "api_client")


def visible_schools(user: AnyUser) -> QuerySet[School]:
    """The schools whose data this user may read: every school for a superuser, each school of
    the networks they administer, the schools where they are active staff, and for an API
    client's token, the schools the client was registered for."""
    if not user.is_authenticated or not user.is_active:
        return School.objects.none()
    if is_token(user):  # a token: its client's schools, read when it was checked
        return School.objects.filter(pk__in=user.school_ids)
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        Q(network__admins__user=user) | Q(staff__user=user, staff__active=True)
    ).distinct()


def is_network_admin(user: AnyUser) -> bool:
    if not user.is_authenticated or not user.is_active or is_token(user):
        return False
    return user.is_superuser or NetworkAdmin.objects.filter(user=user).exists()


def led_schools(user: AnyUser) -> QuerySet[School]:
    """The schools this user may configure: as a leader, or as admin of their network (an API
    client configures none; its write grant is checked on its own)."""
    if not user.is_authenticated or not user.is_active or is_token(user):
        return School.objects.none()
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        Q(network__admins__user=user)
        | Q(staff__user=user, staff__active=True, staff__role_grants__role=Role.LEADER)
    ).distinct()


def users_choosable_by(user: AnyUser) -> QuerySet:
    """Accounts a leader may attach to their school: its current staff, and accounts that
    belong to no school yet (a new hire). Accounts of other schools stay invisible."""
    users = get_user_model().objects.order_by("last_name", "first_name")
    if user.is_authenticated and user.is_active and user.is_superuser:
        return users
    return users.filter(
        Q(staff_memberships__school__in=visible_schools(user).values("pk"))
        | Q(staff_memberships__isnull=True, network_admin_grants__isnull=True, is_superuser=False)
    ).distinct()


def can_administer(user: AnyUser) -> bool:
    """Whether the user may use the admin site at all (each page is still scoped)."""
    if not user.is_authenticated or not user.is_active or is_token(user):
        return False
    return (
        user.is_superuser
        or NetworkAdmin.objects.filter(user=user).exists()
        or StaffRole.objects.filter(staff__user=user, staff__active=True, role=Role.LEADER).exists()
    )


# --- Roster imports ----------------------------------------------------------------------------


def administers(user: AnyUser, network: Network | int) -> bool:
    """A person (not a token) who is a superuser or an admin of ``network`` (or its id)."""
    if not user.is_authenticated or not user.is_active or is_token(user):
        return False
    network_id = network.pk if isinstance(network, Network) else network
    return bool(
        user.is_superuser or NetworkAdmin.objects.filter(user=user, network_id=network_id).exists()
    )


def client_refusal(client: ApiClient, network: Network) -> str | None:
    """Why ``client`` (of ``network``) may not import its rosters, or None when it may."""
    if not client.active or not client.can_write:
        return READ_ONLY
    missing = network.schools.exclude(pk__in=client.schools.values("pk"))
    if missing.exists():
        return (
            "A roster import changes every school of the network: register this client for "
            "every school of the network to import with it."
        )
    creator = client.created_by
    if creator is None or not administers(creator, network):
        return (
            "Only a client registered by one of the network's admins can import rosters; "
            "leaders' clients cannot."
        )
    return None


def import_refusal(user: AnyUser, network: Network) -> str | None:
    """Why ``user`` (a person or a token's principal who can see ``network``) may not import
    into it, or None."""
    client = getattr(user, "api_client", None)
    if client is not None:
        return client_refusal(client, network)
    if administers(user, network):
        return None
    return LEADERS_MAY_NOT
