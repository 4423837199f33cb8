"""The one place that decides which school data a user may read.

Every page, API view and admin queryset goes through ``scope_for_user``; a lookup by id goes
through ``get_scoped_or_404``, which also records an attempt to reach another school's record.
A model says how it reaches its school with ``school_scope`` (``"school"``,
``"student__school"``, ``""`` for School itself); a model without it cannot be scoped, and
``scope_for_user`` refuses it rather than returning everything.
"""

from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext

from .models import Network, School
from .permissions import AnyUser, administers, import_refusal, led_schools, visible_schools

M = TypeVar("M", bound=models.Model)


class UnscopedModel(TypeError):
    """A model without ``school_scope`` was asked to be scoped: a programming error."""


def school_lookup(model: type[models.Model]) -> str:
    try:
        path: str = model.school_scope  # type: ignore[attr-defined]
    except AttributeError:
        raise UnscopedModel(f"{model._meta.label} declares no school_scope") from None
    return f"{path}__in" if path else "pk__in"


def _crosses_many(model: type[models.Model], path: str) -> bool:
    """Whether following ``path`` can multiply rows (a reverse or many-to-many hop)."""
    opts = model._meta
    for name in path.split("__") if path else []:
        field = opts.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        related = field.related_model
        # Each hop of a school_scope path is a relation to a model.
        assert related is not None and not isinstance(related, str)
        opts = related._meta
    return False


def scope_for_user(queryset: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """``queryset`` narrowed to the rows of schools ``user`` may see."""
    model = queryset.model
    lookup = school_lookup(model)
    if user.is_authenticated and user.is_active and user.is_superuser:
        return queryset
    scoped = queryset.filter(**{lookup: visible_schools(user).values("pk")})
    if _crosses_many(model, model.school_scope):  # type: ignore[attr-defined]
        scoped = scoped.distinct()
    return scoped


def get_scoped_or_404(queryset: QuerySet[M], user: AnyUser, *, via: str, **lookup: object) -> M:
    """The one object matching ``lookup`` among those ``user`` may see, or 404.

    An object that exists but belongs to another school answers 404 too (its existence is
    itself private) and the attempt is recorded in the audit trail.
    """
    try:
        return scope_for_user(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, ValidationError):  # type: ignore[attr-defined]
        record_denied_if_exists(queryset, user, via=via, **lookup)
        raise Http404(
            gettext("No %(name)s matches the given query.")
            % {"name": queryset.model._meta.verbose_name}
        ) from None


def record_denied_if_exists(
    queryset: QuerySet[M], user: AnyUser, *, via: str, **lookup: object
) -> None:
    from .audit import audit_denied

    try:
        hidden = queryset.model._default_manager.get(**lookup)
    except (
        # django-stubs declares these per concrete model, not on Model (M's bound).
        queryset.model.DoesNotExist,  # type: ignore[attr-defined]
        queryset.model.MultipleObjectsReturned,  # type: ignore[attr-defined]
        ValueError,
        ValidationError,
    ):
        return
    audit_denied(user=user, obj=hidden, via=via)


def get_led_school_or_404(user: AnyUser, school_id: int, *, via: str) -> School:
    """The school ``user`` configures: 404 when they may not see it at all, 403 when they see
    it (a teacher there) but do not lead it."""
    school = get_scoped_or_404(
        School.objects.select_related("network"), user, via=via, pk=school_id
    )
    if not led_schools(user).filter(pk=school.pk).exists():
        raise PermissionDenied(gettext("Only the school's leaders can change its settings."))
    return school


def get_import_network_or_404(user: AnyUser, network_id: int, *, via: str) -> Network:
    """The network ``user`` may import rosters into (``permissions.import_refusal``): 404 when
    they cannot see it, 403 (with the reason) when they see it but may not import."""
    network = Network.objects.filter(pk=network_id).first()
    if network is None or not administers(user, network):
        # Not an admin: the network must be among what they see (a token: its client's).
        network = get_scoped_or_404(Network.objects.all(), user, via=via, pk=network_id)
    refusal = import_refusal(user, network)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return network
