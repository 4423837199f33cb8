"""Leader pages to import a vendor's CSV progress export and follow the import.

Thin: scope to a school the user leads (another school's import answers 404), check the form,
queue the import (``learninglabs.imports``), render its row. The status page polls with htmx
while the import runs, then shows the counts or every bad row. A file over
``PROGRESS_UPLOAD_MAX_BYTES`` answers the 413 page (``rocketship.upload_limits``: a larger
body is refused before it is parsed).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from rocketship.request_types import AuthenticatedHttpRequest, HtmxHttpRequest
from rocketship.upload_limits import too_large_page, upload_limit
from students.audit import audit_id_page
from students.models import School
from students.permissions import page_via
from students.scoping import get_led_school_or_404, get_scoped_or_404

from .imports import progress_import_start
from .models import ProgressImport, VendorMapping

RECENT_IMPORTS = 10


class UploadForm(forms.Form):
    mapping = forms.ModelChoiceField(
        queryset=VendorMapping.objects.none(),
        label=gettext_lazy("Vendor export"),
        help_text=gettext_lazy("How to read the file: its columns, date format and program."),
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 (Excel: 'CSV UTF-8'); the first row names the columns."),
    )

    def __init__(self, *args: object, school: School, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["mapping"]
        field.queryset = VendorMapping.objects.filter(school=school).select_related(  # type: ignore[attr-defined]
            "school", "program"
        )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise forms.ValidationError(gettext("The file is empty."))
        return upload


def max_upload_bytes() -> int:
    """The largest progress CSV accepted (``PROGRESS_UPLOAD_MAX_BYTES``)."""
    return int(settings.PROGRESS_UPLOAD_MAX_BYTES)


@upload_limit(max_upload_bytes)
@login_required
@require_http_methods(["GET", "POST"])
def progress_imports(request: AuthenticatedHttpRequest, school_id: int) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None and (upload.size or 0) > max_upload_bytes():
            return too_large_page(request, max_upload_bytes())
        form = UploadForm(request.POST, request.FILES, school=school)
        if form.is_valid():
            record = progress_import_start(
                mapping=form.cleaned_data["mapping"],
                upload=form.cleaned_data["file"],
                by=request.user,
            )
            return redirect("progress-import-status", school_id=school.pk, import_id=record.pk)
        status = 400
    else:
        form = UploadForm(school=school)
    recent = ProgressImport.objects.filter(school=school).select_related("mapping", "requested_by")
    return render(
        request,
        "learninglabs/imports/upload.html",
        {"school": school, "form": form, "recent": recent[:RECENT_IMPORTS]},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def progress_import_status(
    request: HtmxHttpRequest, school_id: int, import_id: int
) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    record = get_scoped_or_404(
        ProgressImport.objects.filter(school=school).select_related("mapping", "requested_by"),
        request.user,
        via=page_via(request),
        pk=import_id,
    )
    if request.htmx and request.GET.get("seen") == record.progress_key:
        return HttpResponse(status=204)  # nothing new: htmx keeps the fragment and polls again
    if record.errors:  # bad rows name student ids: who saw them is recorded
        audit_id_page(
            user=request.user,
            obj=record,
            via=page_via(request),
            detail={"errors_shown": len(record.errors)},
        )
    template = (
        "learninglabs/imports/_import.html" if request.htmx else "learninglabs/imports/status.html"
    )
    return render(request, template, {"school": school, "record": record})
