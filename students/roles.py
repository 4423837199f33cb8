"""Who a user is to the product: network admin, leader, staff. Reads only; no scoping here."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from .models import NetworkAdmin, Role, School, StaffRole

AnyUser = AbstractBaseUser | AnonymousUser


def visible_schools(user: AnyUser) -> QuerySet[School]:
    """The schools whose data this user may read: every school for a superuser, each school of
    the networks they administer, the schools where they are active staff, and for an API
    client's token, the schools the client was registered for."""
    if not user.is_authenticated or not user.is_active:
        return School.objects.none()
    if hasattr(user, "api_client"):  # a token: its client's schools, read when it was checked
        return School.objects.filter(pk__in=user.school_ids)
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        Q(network__admins__user=user) | Q(staff__user=user, staff__active=True)
    ).distinct()


def is_network_admin(user: AnyUser) -> bool:
    if not user.is_authenticated or not user.is_active or hasattr(user, "api_client"):
        return False
    return user.is_superuser or NetworkAdmin.objects.filter(user=user).exists()


def led_schools(user: AnyUser) -> QuerySet[School]:
    """The schools this user may configure: as a leader, or as admin of their network (an API
    client configures none; its write grant is checked on its own)."""
    if not user.is_authenticated or not user.is_active or hasattr(user, "api_client"):
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
    if not user.is_authenticated or not user.is_active or hasattr(user, "api_client"):
        return False
    return (
        user.is_superuser
        or NetworkAdmin.objects.filter(user=user).exists()
        or StaffRole.objects.filter(staff__user=user, staff__active=True, role=Role.LEADER).exists()
    )
