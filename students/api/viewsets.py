"""The base of every API view over school data: scoped, 404 outside scope, audited."""

from typing import Any

from django.db.models import Model
from django.http import Http404
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from ..audit import audit_reads
from ..models import AuditAction
from ..permissions import api_via
from ..scoping import record_denied_if_exists


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Reads through the default filter backends, which start with ``SchoolScopeFilter``.

    A detail outside the user's schools answers 404 exactly like a missing one, and the attempt
    is recorded; reads of student records are audited.
    """

    def get_object(self) -> Model:
        try:
            obj = super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            record_denied_if_exists(
                self.get_queryset(),
                self.request.user,
                via=api_via(self.request),
                **{self.lookup_field: lookup},
            )
            raise
        audit_reads(user=self.request.user, objects=[obj], via=api_via(self.request))
        return obj

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        audit_reads(user=request.user, objects=rows, via=api_via(request), action=AuditAction.LIST)
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)
