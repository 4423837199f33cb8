"""The API's tenancy filter: every list and detail goes through ``scope_for_user``."""

from django.db.models import QuerySet
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView

from ..scoping import scope_for_user


class SchoolScopeFilter(BaseFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        return scope_for_user(queryset, request.user)
