"""Admin pages for schools and people, with the search and filters a leader reaches for."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, gettext_lazy

from .admin_base import SameSchoolForm, ScopedModelAdmin, SuperusersOnly
from .clients import api_client_revoke, api_token_issue, api_token_revoke
from .models import (
    ApiClient,
    ApiToken,
    AuditEvent,
    Cohort,
    Grade,
    Guardian,
    Network,
    NetworkAdmin,
    School,
    ServiceNeed,
    Staff,
    StaffRole,
    Student,
    UserSession,
)
from .models.people import StudentQuerySet
from .permissions import (
    is_network_admin,
    led_schools,
    may_see_service_details,
    service_details_q,
    visible_schools,
    with_service_sight,
)
from .services import student_withdraw

Related = admin.RelatedOnlyFieldListFilter  # lists only the schools/cohorts the user can see


@admin.register(Network)
class NetworkAdminPage(ScopedModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    # Chosen on a roster import's page, where the preview shows what a choice places.
    readonly_fields = ["cohorts_from", "cohort_classes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(School)
class SchoolAdmin(ScopedModelAdmin):
    list_display = ["name", "network", "time_zone"]
    list_filter = [("network", Related)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_network_admin(request.user)


@admin.register(Grade)
class GradeAdmin(ScopedModelAdmin):
    list_display = ["__str__", "school"]
    list_filter = [("school", Related), "level"]


@admin.register(Cohort)
class CohortAdmin(ScopedModelAdmin):
    list_display = ["name", "grade", "school"]
    list_filter = [("school", Related), "grade__level"]
    search_fields = ["name"]
    list_select_related = ["grade", "school"]


class EnrollmentFilter(admin.SimpleListFilter):
    title = gettext_lazy("enrollment")
    parameter_name = "enrolled"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("current", gettext("Currently enrolled")), ("withdrawn", gettext("Withdrawn"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        assert isinstance(queryset, StudentQuerySet)  # the filter of the students' list
        if self.value() == "current":
            return queryset.enrolled_on(today)
        if self.value() == "withdrawn":
            return queryset.filter(enrollment_end__lt=today)
        return queryset


class IEPFilter(admin.SimpleListFilter):
    """``has_iep`` among the students whose IEP flag the user may see (either answer would
    otherwise tell who has an IEP)."""

    title = gettext_lazy("IEP")
    parameter_name = "has_iep"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", gettext("Has an IEP")), ("0", gettext("No IEP"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in ("0", "1"):
            return queryset
        return queryset.filter(service_details_q(request.user), has_iep=self.value() == "1")


class ServiceNeedInline(admin.TabularInline):
    model = ServiceNeed
    extra = 0
    can_delete = False


@admin.register(Student)
class StudentAdmin(ScopedModelAdmin):
    list_display = [
        "local_id",
        "last_name",
        "first_name",
        "grade",
        "cohort",
        "school",
        "iep",
        "el_level",
        "intervention_tier",
        "enrollment_end",
    ]
    list_display_links = ["local_id", "last_name"]
    list_filter = [
        EnrollmentFilter,
        ("school", Related),
        "grade__level",
        ("cohort", Related),
        IEPFilter,
        "el_level",
        "intervention_tier",
    ]
    search_fields = ["local_id", "first_name", "last_name"]
    list_select_related = ["grade", "cohort", "school"]
    inlines = [ServiceNeedInline]
    actions = ["withdraw_today"]

    # Service details on a need-to-know basis (students.permissions): someone who leads one
    # school and teaches at another sees the other school's students without them.
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_service_sight(super().get_queryset(request), request.user)

    # No ordering: sorting by it would tell who has one.
    @admin.display(description=gettext_lazy("IEP"))
    def iep(self, student: Student) -> str | None:
        if not getattr(student, "services_visible", False):  # annotated by get_queryset
            return None  # the admin's empty value, as for "not known"
        return gettext("Yes") if student.has_iep else gettext("No")

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if obj is not None and not may_see_service_details(request.user, obj):
            exclude.append("has_iep")
        return exclude

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list:
        if obj is not None and not may_see_service_details(request.user, obj):
            return []
        return list(super().get_inlines(request, obj))

    @admin.action(description=gettext_lazy("Withdraw the selected students (last day: today)"))
    def withdraw_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        for student in queryset.select_related("school"):
            if not self.has_change_permission(request, student):
                messages.error(
                    request,
                    gettext("You do not lead the school of %(student)s.") % {"student": student},
                )
                continue
            student_withdraw(
                student=student,
                last_day=timezone.localdate(timezone=student.school.zone),
                by=request.user,
                via=f"admin action {request.path}",
            )
        messages.success(request, gettext("Withdrawn; their records and history are kept."))


@admin.register(ServiceNeed)
class ServiceNeedAdmin(ScopedModelAdmin):
    list_display = ["student", "kind", "minutes_per_week", "max_group_size", "provider_role"]
    list_filter = ["kind", "provider_role", ("student__school", Related)]
    search_fields = ["student__local_id"]
    list_select_related = ["student"]
    raw_id_fields = ["student"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        mine = service_details_q(request.user, to_student="student__")
        return super().get_queryset(request).filter(mine)


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(Staff)
class StaffAdmin(ScopedModelAdmin):
    list_display = ["__str__", "school", "roles", "active", "work_start", "work_end"]
    list_filter = [("school", Related), "role_grants__role", "active", "grades__level"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user", "school"]
    filter_horizontal = ["grades", "cohorts"]
    inlines = [StaffRoleInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("role_grants")

    @admin.display(description=gettext_lazy("roles"))
    def roles(self, staff: Staff) -> str:
        return ", ".join(sorted(grant.get_role_display() for grant in staff.role_grants.all()))


@admin.register(NetworkAdmin)
class NetworkAdminGrantAdmin(SuperusersOnly, ScopedModelAdmin):
    list_display = ["user", "network"]
    list_filter = [("network", Related)]


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedModelAdmin):
    """The audit trail, for network admins: read-only, newest first."""

    list_display = [
        "at",
        "username",
        "action",
        "model",
        "object_id",
        "school",
        "special_education",
        "via",
    ]
    list_filter = ["action", "special_education", "model", ("school", Related)]
    search_fields = ["=object_id", "username", "via"]
    date_hierarchy = "at"
    list_select_related = ["school"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_network_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_network_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Who is logged in where; superusers only. Deactivating a user ends these sessions."""

    list_display = ["user", "started_at"]
    search_fields = ["user__username"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- REST clients and their tokens ------------------------------------------------------------
# A client may cover several schools: changing it needs leading every one of them (as on the
# leader's page, students.views_api_clients). Keys are shown once, on the answer to "issue".


def _leads_all_schools_of(request: HttpRequest, client: ApiClient) -> bool:
    return not client.schools.exclude(pk__in=led_schools(request.user).values("pk")).exists()


class ApiClientAdminForm(SameSchoolForm):
    class Meta:
        model = ApiClient
        fields = ["network", "name", "schools", "can_write"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        network, schools = cleaned.get("network"), cleaned.get("schools")
        if network is not None and schools is not None:
            strays = [school.name for school in schools if school.network_id != network.pk]
            if strays:
                self.add_error(
                    "schools",
                    gettext("%(schools)s: not a school of %(network)s.")
                    % {"schools": ", ".join(strays), "network": network},
                )
        return cleaned


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    can_delete = False
    # A tuple: django-stubs types a list of names as wider than readonly_fields takes.
    fields = readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the client's "Issue a token" action shows the key; a form here cannot


@admin.register(ApiClient)
class ApiClientAdmin(ScopedModelAdmin):
    form = ApiClientAdminForm
    list_display = ["name", "network", "can_write", "created_at", "revoked_at"]
    list_filter = [("schools", Related), "can_write", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    list_select_related = ["network"]
    filter_horizontal = ["schools"]
    readonly_fields = ["created_by", "created_at", "revoked_at"]
    inlines = [ApiTokenInline]
    actions = ["issue_token", "revoke_clients"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return led_schools(request.user).exists()
        return obj.active and _leads_all_schools_of(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ApiClient, form: forms.Form, change: bool
    ) -> None:
        if not change:
            assert request.user.is_authenticated  # the admin site lets in accounts only
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(
        description=gettext_lazy("Issue a token for each selected client (keys shown once)")
    )
    def issue_token(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        issued = []
        for client in queryset.select_related("network"):
            if not client.active or not _leads_all_schools_of(request, client):
                messages.error(
                    request,
                    gettext("%(client)s: revoked, or serves a school you do not lead.")
                    % {"client": client},
                )
                continue
            token, key = api_token_issue(client=client)
            issued.append((client, token, key))
        if not issued:
            return None
        response = TemplateResponse(
            request,
            "students/api_clients/admin_issued.html",
            {
                **self.admin_site.each_context(request),
                "issued": issued,
                "title": gettext("New tokens"),
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=gettext_lazy("Revoke the selected clients and all their tokens"))
    def revoke_clients(self, request: HttpRequest, queryset: QuerySet) -> None:
        for client in queryset:
            if not _leads_all_schools_of(request, client):
                messages.error(
                    request,
                    gettext("%(client)s: serves a school you do not lead.") % {"client": client},
                )
                continue
            api_client_revoke(client=client)
            messages.success(
                request, gettext("Revoked %(client)s and its tokens.") % {"client": client}
            )


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedModelAdmin):
    """Tokens are issued from their client (the key is shown once) and never edited here."""

    list_display = ["prefix", "client", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("client__schools", Related), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "client__name"]
    list_select_related = ["client"]
    # A tuple: django-stubs types a list of names as wider than readonly_fields takes.
    fields = readonly_fields = (
        "client",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet) -> None:
        for token in queryset.select_related("client"):
            if not _leads_all_schools_of(request, token.client):
                messages.error(
                    request,
                    gettext("%(token)s: its client serves a school you do not lead.")
                    % {"token": token},
                )
                continue
            api_token_revoke(token=token)
            messages.success(request, gettext("Revoked %(token)s.") % {"token": token})


from . import admin_accounts  # noqa: E402, F401  (registers the login accounts' page)


@admin.register(Guardian)
class GuardianAdmin(ScopedModelAdmin):
    """Guardians come from the roster and are read here only (an import changes them). A
    guardian is listed to whoever sees one of their children's schools, and only the children
    at schools the reader sees are named (by student id)."""

    list_display = ["family_name", "given_name", "relationship", "language", "active", "children"]
    list_filter = ["relationship", "active", "language"]
    search_fields = ["family_name", "given_name", "email", "sourced_id"]
    # A tuple: django-stubs types a list of names as wider than readonly_fields takes.
    fields = readonly_fields = (
        "network",
        "sourced_id",
        "given_name",
        "family_name",
        "relationship",
        "email",
        "phone",
        "sms",
        "language",
        "active",
        "children",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        seen = visible_schools(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .select_related("network")
            .annotate(
                children_seen=ArrayAgg(
                    "students__local_id",
                    filter=Q(students__school__in=seen),
                    distinct=True,
                    order_by="students__local_id",
                )
            )
        )

    @admin.display(description=gettext_lazy("children (student ids)"))
    def children(self, guardian: Guardian) -> str:
        return ", ".join(getattr(guardian, "children_seen", None) or [])

    def audit_shown(self, request: HttpRequest, objects: Any, action: str) -> None:
        """The page shows the ids of these guardians' children (those the reader may see): a
        read of each, recorded as shown by the guardian link."""
        links = Guardian.students.through.objects.filter(
            guardian__in=[g.pk for g in objects],
            student__school__in=visible_schools(request.user).values("pk"),
        ).select_related("student")
        super().audit_shown(request, links, action)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
