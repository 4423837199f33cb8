"""Learning Lab programs and progress in the admin, every page scoped to the user's schools.

Progress normally arrives through the API or an import; the admin lists it and lets a leader
correct a record by hand.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from students.admin_base import ScopedModelAdmin
from students.audit import audit_id_page
from students.permissions import admin_via

from .models import (
    Program,
    ProgramGoal,
    ProgressImport,
    ProgressRecord,
    StudentGoal,
    VendorMapping,
)


@admin.register(Program)
class ProgramAdmin(ScopedModelAdmin):
    list_display = ["name", "code", "subject", "kind", "vendor", "school"]
    list_filter = ["subject", "kind", ("school", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code", "vendor"]
    prepopulated_fields = {"code": ["name"]}
    list_select_related = ["school"]


@admin.register(ProgressRecord)
class ProgressRecordAdmin(ScopedModelAdmin):
    list_display = [
        "date",
        "student",
        "program",
        "minutes",
        "lessons_completed",
        "mastery_level",
        "source",
        "received_at",
    ]
    list_filter = ["source", ("program", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["student__local_id", "program__code"]
    date_hierarchy = "date"
    raw_id_fields = ["student"]
    readonly_fields = ["received_at"]
    list_select_related = ["student", "program"]


@admin.register(ProgramGoal)
class ProgramGoalAdmin(ScopedModelAdmin):
    list_display = ["program", "grade", "weekly_minutes", "lessons_per_week", "mastery_target"]
    list_filter = ["grade", ("program", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["program__name", "program__code"]
    list_select_related = ["program"]


@admin.register(StudentGoal)
class StudentGoalAdmin(ScopedModelAdmin):
    list_display = [
        "student",
        "program",
        "weekly_minutes",
        "lessons_per_week",
        "mastery_target",
        "reason",
    ]
    list_filter = [("program", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["student__local_id", "program__code"]
    raw_id_fields = ["student"]
    list_select_related = ["student", "program"]


@admin.register(VendorMapping)
class VendorMappingAdmin(ScopedModelAdmin):
    """Where leaders' administrators say how to read a vendor's export (no page for it yet)."""

    list_display = ["name", "source", "program", "program_column", "date_format", "school"]
    list_filter = [("school", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "source"]
    list_select_related = ["school", "program"]


@admin.register(ProgressImport)
class ProgressImportAdmin(ScopedModelAdmin):
    """Imports are written by the import service only: read, never edited."""

    list_display = ["created_at", "file_name", "mapping", "state", "rows_done", "error_count"]
    list_filter = ["state", ("school", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["mapping", "school"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and original is not None and original.errors:
            # Its bad rows name student ids: who saw them is recorded.
            audit_id_page(
                user=request.user,
                obj=original,
                via=admin_via(request),
                detail={"errors_shown": len(original.errors)},
            )
        return response
