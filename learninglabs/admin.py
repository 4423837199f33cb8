"""Learning Lab programs and progress in the admin, every page scoped to the user's schools.

Progress normally arrives through the API or an import; the admin lists it and lets a leader
correct a record by hand.
"""

from django.contrib import admin
from django.http import HttpRequest

from students.admin_base import ScopedModelAdmin

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
