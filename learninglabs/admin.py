"""Learning Lab programs and progress in the admin, every page scoped to the user's schools.

Progress normally arrives through the API or an import; the admin lists it and lets a leader
correct a record by hand.
"""

from django.contrib import admin

from students.admin_base import ScopedModelAdmin

from .models import Program, ProgressRecord


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
