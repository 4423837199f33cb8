"""Network admin pages to import a OneRoster export and follow (and apply) the import.

Thin: find the network the user may import into (``students.scoping.get_import_network_or_404``:
404 for a network they cannot see, 403 for a leader or teacher of one of its schools; the rule is
``students.permissions.import_refusal``), check the form, queue the
import (``students.oneroster.imports``), render its row. The import's page polls with htmx
while the import is queued or running, then shows the counts, the diff, warnings and every
error; a reviewed dry run can be applied from there. A dry run also lists the courses (or class
codes) whose classes could define cohorts, with the students each places
(``oneroster.cohort_sources``): the network admin ticks them and the choice is stored on the
network, and the same export is dry-run again with it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from rocketship.request_types import AuthenticatedHttpRequest, HtmxHttpRequest
from rocketship.upload_limits import upload_limit

from .audit import audit_id_page
from .errors import DomainError
from .models import RosterImport, RosterImportState
from .oneroster.cohort_sources import (
    CODES,
    COURSES,
    CohortSource,
    CohortSourceError,
    cohort_source_choose,
)
from .oneroster.imports import roster_import_apply, roster_import_start
from .permissions import page_via
from .scoping import get_import_network_or_404

RECENT_IMPORTS = 20
KINDS = ("school", "cohort", "student", "staff", "account", "guardian")
ACTIONS = (
    ("create", gettext_lazy("Created")),
    ("update", gettext_lazy("Updated")),
    ("end", gettext_lazy("Ended")),
    ("restore", gettext_lazy("Restored")),
    ("adopt", gettext_lazy("Adopted")),  # an existing login account, matched by username
)
KIND_LABELS = {
    "school": gettext_lazy("Schools"),
    "cohort": gettext_lazy("Cohorts"),
    "student": gettext_lazy("Students"),
    "staff": gettext_lazy("Staff"),
    "account": gettext_lazy("Existing login accounts"),
    "guardian": gettext_lazy("Guardians"),
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    """The largest export accepted (``ROSTER_IMPORT_MAX_BYTES``, 50 MB unless set)."""
    return int(getattr(settings, "ROSTER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def zip_problem(upload: Any) -> str | None:
    """Why ``upload`` cannot be a OneRoster export, or None. Shared with the API."""
    if not upload.size:
        return _("The file is empty.")
    limit = max_upload_bytes()
    if upload.size > limit:
        return _("The file is larger than %(limit)s; split the export or ask support.") % {
            "limit": filesizeformat(limit)
        }
    name = getattr(upload, "name", "") or ""
    position = upload.tell() if hasattr(upload, "tell") else None
    try:
        is_zip = zipfile.is_zipfile(upload)
    finally:
        if position is not None:
            upload.seek(position)
    if not name.lower().endswith(".zip") or not is_zip:
        return _("Choose the export as a .zip file (the OneRoster CSV files zipped together).")
    return None


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("OneRoster export (.zip)"),
        help_text=gettext_lazy(
            "The .zip of the SIS's OneRoster 1.1 or 1.2 CSV files, manifest.csv included."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: show what would change"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Nothing is changed; review the changes, then apply them with one click."
        ),
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
def roster_imports(request: AuthenticatedHttpRequest, network_id: int) -> HttpResponse:
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
            "cohort_source": CohortSource.of(network).describe(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def roster_import(request: HtmxHttpRequest, network_id: int, import_id: int) -> HttpResponse:
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
    context = {"network": network, "view": view, "cohorts": CohortChoice.of(record, network)}
    return render(request, template, context)


@login_required
@require_POST
def roster_import_cohorts(
    request: AuthenticatedHttpRequest, network_id: int, import_id: int
) -> HttpResponse:
    """Store which classes define cohorts (network admins only, as every page here) and dry-run
    the import's export again with the choice."""
    network = get_import_network_or_404(request.user, network_id, via=page_via(request))
    record = get_object_or_404(RosterImport.objects.filter(network=network), pk=import_id)
    record.network = network
    form = CohortSourceForm(request.POST, record=record, network=network)
    if not form.is_valid():
        view = ImportView.of(record)
        cohorts = CohortChoice.of(record, network, form=form)
        context = {"network": network, "view": view, "cohorts": cohorts}
        return render(request, "students/roster_imports/status.html", context, status=400)
    source = form.cleaned_data["source"]
    again = cohort_source_choose(record=record, source=source, by=request.user)
    if again is None:
        messages.info(
            request,
            _(
                "Cohorts now come from %(source)s. This import's export is no longer kept: "
                "upload it again to see what the choice places."
            )
            % {"source": source.describe()},
        )
        return redirect("roster-import", network_id=network.pk, import_id=record.pk)
    messages.info(
        request,
        _("Cohorts now come from %(source)s; the export is checked again with it.")
        % {"source": source.describe()},
    )
    return redirect("roster-import", network_id=network.pk, import_id=again.pk)


@login_required
@require_POST
def roster_import_apply_view(
    request: AuthenticatedHttpRequest, network_id: int, import_id: int
) -> HttpResponse:
    network = get_import_network_or_404(request.user, network_id, via=page_via(request))
    record = get_object_or_404(RosterImport.objects.filter(network=network), pk=import_id)
    try:
        applied = roster_import_apply(record=record, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("roster-import", network_id=network.pk, import_id=record.pk)
    return redirect("roster-import", network_id=network.pk, import_id=applied.pk)


class CohortSourceForm(forms.Form):
    """Tick courses (or class codes) whose classes define cohorts; or go back to homerooms
    with the ``homerooms`` button. Only what the dry run offered, and what the network chose
    before, can be ticked."""

    courses = forms.MultipleChoiceField(
        label=gettext_lazy("Courses whose classes are cohorts"), required=False
    )
    codes = forms.MultipleChoiceField(
        label=gettext_lazy("Class codes whose classes are cohorts"), required=False
    )

    def __init__(self, *args: Any, record: RosterImport, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preview = record.cohort_preview or {}
        current = CohortSource.of(network)
        for name, kind in (("courses", COURSES), ("codes", CODES)):
            offered = [c["value"] for c in preview.get(name, [])]
            if current.kind == kind:
                offered += [v for v in current.values if v not in offered]
            cast(forms.ChoiceField, self.fields[name]).choices = [(v, v) for v in offered]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        courses, codes = data.get("courses") or [], data.get("codes") or []
        try:
            if "homerooms" in self.data:
                data["source"] = CohortSource()
            elif courses and codes:
                raise forms.ValidationError(_("Tick courses or class codes, not both."))
            elif not courses and not codes:
                raise forms.ValidationError(
                    _("Tick at least one course or class code, or choose homeroom classes.")
                )
            else:
                kind, values = (COURSES, courses) if courses else (CODES, codes)
                data["source"] = CohortSource.of_values(kind, values)
        except CohortSourceError as error:
            raise forms.ValidationError(str(error)) from None
        return data


@dataclass(frozen=True)
class CandidateRow:
    value: str
    label: str
    classes: int
    homerooms: int
    students: int
    overlaps: int
    checked: bool
    missing: bool = False  # chosen, but no class of this export has it


@dataclass(frozen=True)
class CohortChoice:
    """The cohort section of a dry run's page: what the network's choice is, what this dry
    run's export offers, and the form to change it."""

    current: str  # the network's choice, described
    used: str  # the choice this dry run was made with (described); differs once changed
    changed: bool
    needed: bool  # the choice places no student, and some candidate would
    students: int  # students the choice placed in this dry run
    classes: int
    overlaps: int
    homerooms: int
    courses: list[CandidateRow]
    codes: list[CandidateRow]
    more: int
    rerun: bool  # the export is kept: saving checks it again
    form: CohortSourceForm | None

    @classmethod
    def of(
        cls, record: RosterImport, network: Any, form: CohortSourceForm | None = None
    ) -> CohortChoice | None:
        preview = record.cohort_preview or {}
        if not record.dry_run or not preview:
            return None
        current = CohortSource.of(network)
        try:
            used = CohortSource.parse(preview.get("source", "homerooms"))
        except CohortSourceError:
            used = CohortSource()
        rows: dict[str, list[CandidateRow]] = {}
        for name, kind in (("courses", COURSES), ("codes", CODES)):
            ticked = set(current.values) if current.kind == kind else set()
            rows[name] = [
                CandidateRow(
                    c["value"],
                    c["label"],
                    c["classes"],
                    c["homerooms"],
                    c["students"],
                    c["overlaps"],
                    c["value"] in ticked,
                )
                for c in preview.get(name, [])
            ]
            listed = {c["value"] for c in preview.get(name, [])}
            rows[name] += [
                CandidateRow(v, "", 0, 0, 0, 0, True, missing=True) for v in sorted(ticked - listed)
            ]
        placing = any(r.students for r in rows["courses"] + rows["codes"])
        return cls(
            current=current.describe(),
            used=used.describe(),
            changed=used != current,
            needed=not preview.get("students") and placing,
            students=int(preview.get("students", 0)),
            classes=int(preview.get("classes", 0)),
            overlaps=int(preview.get("overlaps", 0)),
            homerooms=int(preview.get("homerooms", 0)),
            courses=rows["courses"],
            codes=rows["codes"],
            more=int(preview.get("more", 0)),
            rerun=bool(record.file),
            form=form,
        )


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
        return [str(label) for _action, label in ACTIONS]

    @classmethod
    def of(cls, record: RosterImport) -> ImportView:
        rows = count_rows(record)
        total = sum(sum(row.numbers) for row in rows)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for change in record.changes:
            by_kind.setdefault(str(change.get("kind", "")), []).append(change)
        order = [k for k in KINDS if k in by_kind] + sorted(set(by_kind) - set(KINDS))
        groups = [ChangeGroup(k, str(KIND_LABELS.get(k, k.title())), by_kind[k]) for k in order]
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
            str(KIND_LABELS.get(kind, kind.title())),
            tuple(int(counts[kind].get(action, 0)) for action, _label in ACTIONS),
        )
        for kind in kinds
    ]


@dataclass(frozen=True)
class Summary:
    record: RosterImport
    total_changes: int


def _summary(record: RosterImport) -> Summary:
    return Summary(record, sum(sum(row.numbers) for row in count_rows(record)))
