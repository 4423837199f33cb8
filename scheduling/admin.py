"""The scheduling configuration in the admin, every page scoped to the user's schools.

Configuration (day types, calendar, templates, staffing, absences, pins) is edited here; stored
schedules are read-only, because a schedule changes only by building and publishing a new version.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from students.admin_base import SameSchoolForm, ScopedModelAdmin
from students.permissions import can_administer

from .models import (
    BuildJob,
    CalendarDay,
    CalendarFeed,
    DayType,
    LabSupervision,
    Pin,
    Room,
    RotationTemplate,
    Schedule,
    ScheduledBlock,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    SubstituteDay,
    TeachingRoom,
    TemplateStation,
    day_fill_error,
)
from .services.templates import STATION_FIELDS

OWN_SCHOOLS = ("school", admin.RelatedOnlyFieldListFilter)


@admin.register(Room)
class RoomAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "capacity", "homeroom_of", "school"]
    list_filter = ["kind", OWN_SCHOOLS]
    search_fields = ["name", "homeroom_of__name"]
    filter_horizontal = ["grades"]
    list_select_related = ["school", "homeroom_of"]


@admin.register(DayType)
class DayTypeAdmin(ScopedModelAdmin):
    list_display = [
        "name",
        "arrival",
        "day_start",
        "dismissal",
        "passing_minutes",
        "granularity_minutes",
        "school",
    ]
    list_filter = [OWN_SCHOOLS]
    search_fields = ["name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedModelAdmin):
    list_display = ["date", "instructional", "day_type", "note", "school"]
    list_filter = ["instructional", "day_type", OWN_SCHOOLS]
    search_fields = ["note"]
    date_hierarchy = "date"
    list_select_related = ["school", "day_type"]


class TemplateStationFormSet(BaseInlineFormSet):
    """Checks the stations as entered against the day's length, before any is saved."""

    def clean(self) -> None:
        super().clean()
        template = self.instance
        if any(self.errors) or not template.grade_id or not template.day_type_id:
            return
        stations = [
            (form.cleaned_data["minutes"], form.cleaned_data.get("max_blocks") or 1)
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("minutes")
        ]
        message = day_fill_error(
            grade=template.grade, day_type=template.day_type, stations=stations
        )
        if message:
            raise ValidationError(message)


class RotationTemplateForm(SameSchoolForm):
    def _post_clean(self) -> None:
        # The stations inline checks the day's total on the stations as entered; the saved ones
        # that the model's clean() would read are about to change.
        self.instance.stations_checked_by_formset = True
        super()._post_clean()  # type: ignore[misc]  # private Django API, not in django-stubs


class TemplateStationInline(admin.TabularInline):
    model = TemplateStation
    formset = TemplateStationFormSet
    extra = 0
    fields = list(STATION_FIELDS)  # the same fields, in the same order, as the leader's editor

    # Leaders have roles, not Django permissions: whoever may change the template may change
    # its stations.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_administer(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return ScopedModelAdmin.has_change_permission(self, request, obj)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return ScopedModelAdmin.has_change_permission(self, request, obj)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return ScopedModelAdmin.has_change_permission(self, request, obj)  # type: ignore[arg-type]


@admin.register(RotationTemplate)
class RotationTemplateAdmin(ScopedModelAdmin):
    list_display = ["grade", "day_type", "school"]
    list_filter = ["day_type", "grade__level", OWN_SCHOOLS]
    list_select_related = ["school", "grade", "day_type"]
    inlines = [TemplateStationInline]

    form = RotationTemplateForm


@admin.register(StaffingAssignment)
class StaffingAssignmentAdmin(ScopedModelAdmin):
    list_display = ["cohort", "station", "school"]
    list_filter = ["station", "cohort__grade__level", OWN_SCHOOLS]
    search_fields = ["cohort__name", "staff__user__last_name", "staff__user__first_name"]
    filter_horizontal = ["staff"]
    list_select_related = ["school", "cohort"]


@admin.register(TeachingRoom)
class TeachingRoomAdmin(ScopedModelAdmin):
    list_display = ["staff", "room", "school"]
    list_filter = [OWN_SCHOOLS]
    search_fields = ["staff__user__last_name", "staff__user__first_name", "room__name"]
    list_select_related = ["school", "room", "staff__user"]


@admin.register(LabSupervision)
class LabSupervisionAdmin(ScopedModelAdmin):
    list_display = ["lab", "students_per_adult", "school"]
    list_filter = [OWN_SCHOOLS]
    search_fields = ["lab__name"]
    filter_horizontal = ["supervisors"]
    list_select_related = ["school", "lab"]


@admin.register(SchoolSchedulingSettings)
class SchoolSchedulingSettingsAdmin(ScopedModelAdmin):
    list_display = [
        "school",
        "prep_minutes",
        "stability_weight",
        "preferences_weight",
        "transitions_weight",
        "lab_balance_weight",
        "compact_staff_weight",
    ]
    list_filter = [OWN_SCHOOLS]


@admin.register(StaffAbsence)
class StaffAbsenceAdmin(ScopedModelAdmin):
    list_display = ["date", "staff", "start", "end", "reason", "school"]
    list_filter = ["reason", OWN_SCHOOLS]
    search_fields = ["staff__user__last_name", "staff__user__first_name"]
    date_hierarchy = "date"
    list_select_related = ["school", "staff__user"]


@admin.register(SubstituteDay)
class SubstituteDayAdmin(ScopedModelAdmin):
    list_display = ["date", "staff", "school"]
    list_filter = [OWN_SCHOOLS]
    search_fields = ["staff__user__last_name", "staff__user__first_name"]
    date_hierarchy = "date"
    list_select_related = ["school", "staff__user"]


@admin.register(Pin)
class PinAdmin(ScopedModelAdmin):
    list_display = ["cohort", "station", "date", "day_type", "start", "end", "school"]
    list_filter = ["station", "day_type", OWN_SCHOOLS]
    search_fields = ["cohort__name"]
    list_select_related = ["school", "cohort", "day_type"]


class ScheduledBlockInline(admin.TabularInline):
    model = ScheduledBlock
    extra = 0
    # A tuple: django-stubs types a list of names as wider than readonly_fields takes.
    fields = readonly_fields = ("cohort", "station", "start", "end", "room", "staff")
    can_delete = False
    ordering = ["cohort__name", "start"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_administer(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("cohort", "room", "staff__user")


class ReadOnlyAdmin(ScopedModelAdmin):
    """Rows the product writes (schedules, build runs, feed secrets): read, never hand-edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    """Read-only: schedules are built and published by the engine, never edited by hand."""

    list_display = ["date", "version", "status", "day_type", "built_at", "moved_blocks", "school"]
    list_filter = ["status", "day_type", OWN_SCHOOLS]
    date_hierarchy = "date"
    list_select_related = ["school", "day_type"]
    readonly_fields = [
        "school",
        "date",
        "day_type",
        "version",
        "status",
        "built_at",
        "built_via",
        "built_by",
        "built_by_client",
        "published_at",
        "input_fingerprint",
        "solver_stats",
        "moved_blocks",
    ]
    inlines = [ScheduledBlockInline]


@admin.register(BuildJob)
class BuildJobAdmin(ReadOnlyAdmin):
    list_display = ["date", "state", "phase", "percent", "schedule", "created_at", "school"]
    list_filter = ["state", OWN_SCHOOLS]
    date_hierarchy = "date"
    list_select_related = ["school", "schedule"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """The secret is never shown (only its hash is stored); revoke on the Calendars page."""

    list_display = ["kind", "staff", "cohort", "prefix", "created_at", "revoked_at", "school"]
    list_filter = ["kind", OWN_SCHOOLS]
    list_select_related = ["school", "staff__user", "cohort"]
    exclude = ["token_hash"]
