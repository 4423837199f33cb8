"""The API's filter backends: every list and detail goes through ``scope_for_user``, and a filter
that names an object tells nothing of objects the caller may not see.

django-filter makes a ``?school=`` / ``?cohort=`` / ``?student=`` filter a ``ModelChoiceFilter``
over all rows of the model: an id that does not exist answers 400 ("select a valid choice") while
another school's id is a valid choice that matches nothing (200, empty), which tells a client
that the other school's object exists. Here such a filter is an ``ObjectIdFilter`` instead: any
whole number from 1 to ``MAX_ID`` is matched as given, with no check that it exists, so another
school's id and an id that exists nowhere both answer an empty page, byte for byte the same (and
the schema's promise holds: an id the schema allows is never refused). Anything else (``-1``,
``abc``) is a 400 naming the parameter. ``ScopedFilterBackend`` also narrows the choices of any
``ModelChoiceFilter`` a filter set still declares to what the caller may see.
"""

import django_filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django_filters import FilterSet
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView

from ..scoping import scope_for_user

# Ids beyond a 32-bit key exist nowhere; refusing them keeps them out of the database's hands.
MAX_ID = 2**31 - 1


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_ID,
        "description": "An id: only the rows of that object (none for an id that is not yours).",
    }
)
class ObjectIdFilter(django_filters.NumberFilter):
    """A related object's id, matched as given (see the module's docstring)."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilterSet(django_filters.rest_framework.FilterSet):
    """A filter set whose generated filters on a foreign key are ``ObjectIdFilter``s."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": ObjectIdFilter},
        models.OneToOneField: {"filter_class": ObjectIdFilter},
    }


class SchoolScopeFilter(BaseFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        return scope_for_user(queryset, request.user)


def scope_filter_choices(filterset: FilterSet, request: Request) -> FilterSet:
    """``filterset`` with each filter that names objects choosing only among ``request.user``'s
    (the filters are the instance's own copies: the class is untouched)."""
    for model_filter in filterset.filters.values():
        if not isinstance(model_filter, QuerySetRequestMixin):
            continue
        choices = model_filter.get_queryset(request)
        if choices is None:
            field = get_model_field(filterset.queryset.model, model_filter.field_name)
            choices = field.related_model._default_manager.all()
        model_filter.queryset = scope_for_user(choices, request.user)
    return filterset


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter's backend: ``filterset_fields`` filter foreign keys by id, and object
    choices are scoped to the caller (see the module)."""

    filterset_base = IdFilterSet

    def get_filterset(self, request: Request, queryset: QuerySet, view: APIView) -> FilterSet:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        return scope_filter_choices(filterset, request)
