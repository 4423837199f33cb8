"""Roster imports over the API: upload a OneRoster export, follow its import, apply a dry run.

``POST networks/{network_id}/roster-imports/`` (multipart: ``file``, ``dry_run`` default true,
``cohorts_from`` optional: the classes that define cohorts, kept by the network) queues an
import and answers 202 with it and a ``Location``; ``GET .../{import_id}/`` shows its state,
counts, the first changes, errors, warnings and a dry run's cohort candidates; ``POST
.../{import_id}/apply/`` imports a reviewed dry run's file for real, as a new import (202).

Who (``students.permissions.import_refusal``): a network admin or superuser signed in, or a
token whose client is network-wide (every school of the network, the write grant, registered by a
network admin).
The network is scoped first: a caller who cannot see it gets 404 whatever its grant; one who sees
it but may not import gets 403 with the reason (a read-only token: "read-only"), for reads too,
since an import lists changes to every school's people.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import DomainError
from ..models import Network, RosterImport, RosterImportState
from ..oneroster.cohort_sources import CohortSource, CohortSourceError
from ..oneroster.imports import roster_import_apply, roster_import_start
from ..permissions import api_via
from ..roster_views import max_upload_bytes, zip_problem
from ..scoping import get_import_network_or_404

# The answer lists this many changes; ``counts`` and ``change_count`` cover them all.
MAX_API_CHANGES = 500
# Multipart framing around the file: the body may exceed the file's own limit by this much.
MULTIPART_ALLOWANCE = 1024 * 1024
ACTIONS = ("create", "update", "end", "restore", "adopt")


class NotApplicable(DomainError):
    code = "not-applicable"
    title = gettext_lazy("This import cannot be applied")
    status = 409


class FileTooLarge(exceptions.APIException):
    """The export is over ``ROSTER_IMPORT_MAX_BYTES`` (a body far over it never gets here:
    ``ApiBodyLimitMiddleware`` refuses it unread)."""

    status_code = 413
    default_code = "file-too-large"


def body_limit() -> int:
    """The largest body the upload takes, read at each request: the file's limit and framing."""
    return max_upload_bytes() + MULTIPART_ALLOWANCE


# --- serializers ---------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "enum": [value for value, _ in RosterImportState.choices],
        "description": "queued, running, reviewed (a dry run done: apply it to import), "
        "applied, unchanged (nothing to change), rejected (the export has errors; nothing "
        "changed) or failed (an unexpected error; nothing changed).",
    }
)
class RosterImportStateField(serializers.CharField):
    pass


class RosterImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=gettext_lazy(
            "The OneRoster 1.1 or 1.2 CSV export as a .zip (manifest.csv included)."
        )
    )
    dry_run = serializers.BooleanField(
        default=True,
        help_text=gettext_lazy(
            "Only work out what would change (the default); apply it afterwards."
        ),
    )
    cohorts_from = serializers.CharField(
        required=False,
        help_text=gettext_lazy(
            "Which classes define cohorts, kept by the network for later imports: "
            "`homerooms` (homeroom classes, the default), `courses:ID,ID` (the classes of these "
            "courses, by sourcedId) or `codes:CODE,CODE` (the classes with these class codes). "
            "Omitted: the network's last choice."
        ),
    )

    def validate_cohorts_from(self, value: str) -> CohortSource:
        try:
            return CohortSource.parse(value)
        except CohortSourceError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_file(self, upload: Any) -> Any:
        problem = zip_problem(upload)
        if problem:
            raise serializers.ValidationError(problem)
        return upload


def first_changes_help() -> str:
    return ngettext(
        "The first %(count)d change.", "The first %(count)d changes.", MAX_API_CHANGES
    ) % {"count": MAX_API_CHANGES}


class ActionCountsSerializer(serializers.Serializer):
    # The API's field names; DRF reads declared fields from the class, so that they shadow
    # Serializer methods of the same name is harmless (mypy sees an override).
    create = serializers.IntegerField()  # type: ignore[assignment]
    update = serializers.IntegerField()  # type: ignore[assignment]
    end = serializers.IntegerField()
    restore = serializers.IntegerField()
    adopt = serializers.IntegerField(
        help_text=gettext_lazy("Existing login accounts matched by username (kind account only).")
    )


class ChangeSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text=gettext_lazy(
            "school, cohort, student, staff, guardian, or account (an existing login "
            "account the import adopts or changes)."
        )
    )
    action = serializers.CharField(help_text=gettext_lazy("create, update, end, restore or adopt."))
    sourced_id = serializers.CharField(
        help_text=gettext_lazy("The record's sourcedId in the export.")
    )
    label = serializers.CharField()  # type: ignore[assignment]  # the API's name (as above)
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text=gettext_lazy("What an update changes.")
    )


class ExportLineSerializer(serializers.Serializer):
    file = serializers.CharField()
    row = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("As in a spreadsheet (the header is row 1); null: the file."),
    )
    column = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class RosterImportLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    apply = serializers.URLField(
        allow_null=True,
        help_text=gettext_lazy("POST here to apply a reviewed dry run; null otherwise."),
    )
    page = serializers.URLField(help_text=gettext_lazy("The import's page for people."))


class RosterImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    network = serializers.IntegerField(source="network_id")
    state = RosterImportStateField()
    dry_run = serializers.BooleanField()
    file_name = serializers.CharField()
    version = serializers.CharField(
        help_text=gettext_lazy("OneRoster 1.1 or 1.2; empty until read.")
    )
    requested_by = serializers.IntegerField(source="requested_by_id", allow_null=True)
    counts = serializers.DictField(
        child=ActionCountsSerializer(),
        help_text=gettext_lazy(
            "kind (school, cohort, student, staff, guardian, account) -> how many are "
            "created, "
            "updated, ended, restored and (existing login accounts) adopted."
        ),
    )
    change_count = serializers.IntegerField(help_text=gettext_lazy("All changes, listed or not."))
    changes = ChangeSerializer(many=True, help_text=lazy(first_changes_help, str)())
    error_count = serializers.IntegerField(help_text=gettext_lazy("All errors, listed or not."))
    errors = ExportLineSerializer(  # type: ignore[assignment]  # the API's name (as above)
        many=True, help_text=gettext_lazy("Every error (the first 2,000).")
    )
    warnings = ExportLineSerializer(many=True)
    cohort_preview = serializers.JSONField(
        help_text=gettext_lazy(
            "A dry run's candidates for the classes that define cohorts: `source` (the "
            "choice used), the `classes` and `students` it placed, and `courses` (or, for exports "
            "without courses, `codes`) each with `value`, `label`, `classes`, `students` placed "
            "and `overlaps`; `missing` chosen values no class has. Empty for an import that is no "
            "dry run."
        )
    )
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    links = RosterImportLinksSerializer()


def import_data(request: Request, record: RosterImport) -> dict[str, Any]:
    counts = {
        kind: {action: int(actions.get(action, 0)) for action in ACTIONS}
        for kind, actions in (record.counts or {}).items()
    }
    kwargs = {"network_id": record.network_id, "import_id": record.pk}
    applicable = record.dry_run and record.state == RosterImportState.REVIEWED and bool(record.file)
    data = {
        "id": record.pk,
        "network_id": record.network_id,
        "state": record.state,
        "dry_run": record.dry_run,
        "file_name": record.file_name,
        "version": record.version,
        "requested_by_id": record.requested_by_id,
        "counts": counts,
        "change_count": sum(sum(actions.values()) for actions in counts.values()),
        "changes": [_change(change) for change in record.changes[:MAX_API_CHANGES]],
        "error_count": record.error_count,
        "errors": [_line(line) for line in record.errors],
        "warnings": [_line(line) for line in record.warnings],
        "cohort_preview": record.cohort_preview or {},
        "message": record.message,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "links": {
            "self": _url(request, "api-roster-import", **kwargs),
            "apply": _url(request, "api-roster-import-apply", **kwargs) if applicable else None,
            "page": request.build_absolute_uri(reverse("roster-import", kwargs=kwargs)),
        },
    }
    return RosterImportSerializer(data).data


def _change(change: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": change.get("kind", ""),
        "action": change.get("action", ""),
        "sourced_id": change.get("sourced_id", ""),
        "label": change.get("label", ""),
        "fields": list(change.get("fields") or []),
    }


def _line(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": line.get("file") or "",
        "row": line.get("row"),
        "column": line.get("column"),
        "reason": line.get("reason") or "",
    }


def _url(request: Request, name: str, **kwargs: Any) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return request.build_absolute_uri(
        reverse(f"{namespace}:{name}" if namespace else name, kwargs=kwargs)
    )


# --- views ---------------------------------------------------------------------------------


def importing_network(request: Request, network_id: int) -> Network:
    """The network, scoped before the grant: 404 when the caller cannot see it, 403 (with the
    reason) when it may not import into it."""
    try:
        return get_import_network_or_404(request.user, network_id, via=api_via(request))
    except DjangoPermissionDenied as refused:
        raise exceptions.PermissionDenied(str(refused)) from None


def import_of(network: Network, import_id: int) -> RosterImport:
    record = (
        RosterImport.objects.filter(network=network).select_related("network").filter(pk=import_id)
    ).first()
    if record is None:
        raise exceptions.NotFound(gettext("No roster import of this network has this id."))
    return record


def _by(request: Request) -> Any:
    return None if hasattr(request.user, "api_client") else request.user


def problem(description: str) -> OpenApiResponse:
    # The project's schema class gives every 4xx the Problem body; the view only says when.
    return OpenApiResponse(description=description)


ERRORS = {
    401: problem("No valid credentials."),
    403: problem(
        "Not allowed to import this network's rosters: a leader or teacher, a read-only token, "
        "or a client that is not network-wide."
    ),
    404: problem("No such network (or import) among what the caller may see."),
}


class RosterImportsView(APIView):
    parser_classes = [MultiPartParser, FormParser]
    max_body_bytes = staticmethod(body_limit)

    @extend_schema(
        operation_id="network_roster_import_start",
        summary="Import a network's rosters from a OneRoster export",
        description="Upload the export as a .zip (multipart field `file`). The import is "
        "queued and the answer (202) is the import to follow (`Location`). A dry run (the "
        "default) changes nothing: its state becomes `reviewed` with the changes, and POSTing "
        "to its `links.apply` imports the same file for real. An export with any error is "
        "`rejected` with every error (file, row, column) and changes nothing. Network admins "
        "(signed in) and network-wide clients with the write grant only.",
        request={"multipart/form-data": RosterImportUploadSerializer},
        responses={
            202: RosterImportSerializer,
            400: problem("No file, or not a .zip (`errors.file`)."),
            413: problem("The file is over ROSTER_IMPORT_MAX_BYTES (50 MB unless set)."),
            **ERRORS,
        },
    )
    def post(self, request: Request, network_id: int) -> Response:
        network = importing_network(request, network_id)
        sent = request.FILES.get("file")
        if sent is not None and sent.size > max_upload_bytes():
            raise FileTooLarge(
                gettext(
                    "The file is larger than %(limit)s, the most a roster import accepts "
                    "(ROSTER_IMPORT_MAX_BYTES)."
                )
                % {"limit": filesizeformat(max_upload_bytes())}
            )
        upload = RosterImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        source = upload.validated_data.get("cohorts_from")
        if source is not None:
            source.store(network)
        record = roster_import_start(
            network=network,
            file=file,
            file_name=file.name,
            dry_run=upload.validated_data["dry_run"],
            by=_by(request),
        )
        record.network = network
        data = import_data(request, record)
        return Response(data, status=202, headers={"Location": data["links"]["self"]})


class RosterImportView(APIView):
    @extend_schema(
        operation_id="network_roster_import",
        summary="A roster import: its state, counts, changes, errors and warnings",
        description="Poll while `queued` or `running`. `counts` and `change_count` cover every "
        f"change; `changes` lists the first {MAX_API_CHANGES}.",
        responses={200: RosterImportSerializer, **ERRORS},
    )
    def get(self, request: Request, network_id: int, import_id: int) -> Response:
        network = importing_network(request, network_id)
        return Response(import_data(request, import_of(network, import_id)))


class RosterImportApplyView(APIView):
    @extend_schema(
        operation_id="network_roster_import_apply",
        summary="Apply a reviewed dry run",
        description="Imports the dry run's file for real, as a new import (202, `Location`). "
        "Only a dry run in the `reviewed` state can be applied (else 409).",
        request=None,
        responses={
            202: RosterImportSerializer,
            **ERRORS,
            409: problem("The import is not a reviewed dry run."),
        },
    )
    def post(self, request: Request, network_id: int, import_id: int) -> Response:
        network = importing_network(request, network_id)
        record = import_of(network, import_id)
        try:
            applied = roster_import_apply(record=record, by=_by(request))
        except DomainError as error:
            raise NotApplicable(str(error)) from None
        data = import_data(request, applied)
        return Response(data, status=202, headers={"Location": data["links"]["self"]})
