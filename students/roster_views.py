"""Network admin pages to import a OneRoster export and follow (and apply) the import.

Thin: find the network the user may import into (``students.scoping.get_import_network_or_404``:
404 for a network they cannot see, 403 for a leader or teacher of one of its schools; the rule is
``students.permissions.import_refusal``), check the form, queue the
import (``students.oneroster.imports``), render its row. The import's page polls with htmx
while the import is queued or running, then shows the counts, the diff, warnings and every
error; a reviewed dry run can be applied from there.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods, require_POST

from rocketship.upload_limits import upload_limit

from .audit import audit_id_page
from .errors import DomainError
from .models import RosterImport, RosterImportState
from .oneroster.imports import roster_import_apply, roster_import_start
from .permissions import page_via
from .scoping import get_import_network_or_404

RECENT_IMPORTS = 20
KINDS = ("school", "cohort", "student", "staff", "account", "guardian")
ACTIONS = (
    ("create", "Created"),
    ("update", "Updated"),
    ("end", "Ended"),
    ("restore", "Restored"),
    ("adopt", "Adopted"),  # an existing login account, matched by username
)
KIND_LABELS = {
    "school": "Schools",
    "cohort": "Cohorts",
    "student": "Students",
    "staff": "Staff",
    "account": "Existing login accounts",
    "guardian": "Guardians",
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    """The largest export accepted (``ROSTER_IMPORT_MAX_BYTES``, 50 MB unless set)."""
    return int(getattr(settings, "ROSTER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def zip_problem(upload: Any) -> str | None:
    """Why ``upload`` cannot be a OneRoster export, or None. Shared with the API."""
    if not upload.size:
        return "The file is empty."
    limit = max_upload_bytes()
    if upload.size > limit:
        return f"The file is larger than {filesizeformat(limit)}; split the export or ask support."
    name = getattr(upload, "name", "") or ""
    position = upload.tell() if hasattr(upload, "tell") else None
    try:
        is_zip = zipfile.is_zipfile(upload)
    finally:
        if position is not None:
            upload.seek(position)
    if not name.lower().endswith(".zip") or not is_zip:
        return "Choose the export as a .zip file (the OneRoster CSV files zipped together)."
    return None


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="OneRoster export (.zip)",
        help_text="The .zip of the SIS's OneRoster 1.1 or 1.2 CSV files, manifest.csv included.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    dry_run = forms.BooleanField(
        label="Dry run: show what would change",
        required=False,
        initial=True,
        help_text="Nothing is changed; review the changes, then apply them with one click.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        problem = zip_problem(upload)
        if problem:
            raise forms.ValidationError(problem)
        return upload


@upload_limit(max_upload_bytes)  # a body far over it is refused unread: the 413 page
@login_required
@require_http_methods(["GET", "POST"])
def roster_imports(request: HttpRequest, network_id: int) -> HttpResponse:
    network = get_import_network_or_404(request.user, network_id, via=page_via(request))
    status = 200
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            record = roster_import_start(
                network=network,
                file=upload,
                file_name=upload.name,
                dry_run=form.cleaned_data["dry_run"],
                by=request.user,
            )
            return redirect("roster-import", network_id=network.pk, import_id=record.pk)
        status = 400
    else:
        form = RosterUploadForm()
    recent = RosterImport.objects.filter(network=network).select_related("requested_by")
    return render(
        request,
        "students/roster_imports/upload.html",
        {
            "network": network,
            "form": form,
            "recent": [_summary(record) for record in recent[:RECENT_IMPORTS]],
            "max_bytes": max_upload_bytes(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def roster_import(request: HttpRequest, network_id: int, import_id: int) -> HttpResponse:
    network = get_import_network_or_404(request.user, network_id, via=page_via(request))
    record = get_object_or_404(
        RosterImport.objects.filter(network=network).select_related("requested_by"),
        pk=import_id,
    )
    if request.htmx and request.GET.get("seen") == record.state:
        return HttpResponse(status=204)  # nothing new: htmx keeps the fragment and polls again
    view = ImportView.of(record)
    if view.groups or record.errors or record.warnings:
        # The diff, errors and warnings name students (SIS ids, names): who saw them is recorded.
        audit_id_page(
            user=request.user,
            obj=record,
            via=page_via(request),
            detail={
                "student_changes": sum(len(g.changes) for g in view.groups if g.kind == "student"),
                "changes_shown": sum(len(g.changes) for g in view.groups),
                "errors_shown": len(record.errors),
                "warnings_shown": len(record.warnings),
            },
        )
    template = (
        "students/roster_imports/_import.html"
        if request.htmx
        else "students/roster_imports/status.html"
    )
    return render(request, template, {"network": network, "view": view})


@login_required
@require_POST
def roster_import_apply_view(request: HttpRequest, network_id: int, import_id: int) -> HttpResponse:
    network = get_import_network_or_404(request.user, network_id, via=page_via(request))
    record = get_object_or_404(RosterImport.objects.filter(network=network), pk=import_id)
    try:
        applied = roster_import_apply(record=record, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("roster-import", network_id=network.pk, import_id=record.pk)
    return redirect("roster-import", network_id=network.pk, import_id=applied.pk)


# --- what the templates show ----------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    kind: str
    label: str
    numbers: tuple[int, ...]  # in the order of ACTIONS


@dataclass(frozen=True)
class ChangeGroup:
    kind: str
    label: str
    changes: list[dict[str, Any]]


@dataclass(frozen=True)
class ImportView:
    record: RosterImport
    active: bool
    applicable: bool
    count_rows: list[CountRow]
    total_changes: int
    groups: list[ChangeGroup]
    more_changes: int
    more_errors: int

    @property
    def action_labels(self) -> list[str]:
        return [label for _, label in ACTIONS]

    @classmethod
    def of(cls, record: RosterImport) -> ImportView:
        rows = count_rows(record)
        total = sum(sum(row.numbers) for row in rows)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for change in record.changes:
            by_kind.setdefault(str(change.get("kind", "")), []).append(change)
        order = [k for k in KINDS if k in by_kind] + sorted(set(by_kind) - set(KINDS))
        groups = [ChangeGroup(k, KIND_LABELS.get(k, k.title()), by_kind[k]) for k in order]
        return cls(
            record=record,
            active=record.polling,  # queued or running, and not lost with its worker
            applicable=record.dry_run
            and record.state == RosterImportState.REVIEWED
            and bool(record.file),
            count_rows=rows,
            total_changes=total,
            groups=groups,
            more_changes=max(0, total - len(record.changes)),
            more_errors=max(0, record.error_count - len(record.errors)),
        )


def count_rows(record: RosterImport) -> list[CountRow]:
    counts = record.counts or {}
    kinds = [k for k in KINDS if k in counts] + sorted(set(counts) - set(KINDS))
    return [
        CountRow(
            kind,
            KIND_LABELS.get(kind, kind.title()),
            tuple(int(counts[kind].get(action, 0)) for action, _ in ACTIONS),
        )
        for kind in kinds
    ]


@dataclass(frozen=True)
class Summary:
    record: RosterImport
    total_changes: int


def _summary(record: RosterImport) -> Summary:
    return Summary(record, sum(sum(row.numbers) for row in count_rows(record)))
