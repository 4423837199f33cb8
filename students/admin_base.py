"""The admin's tie to scoping, roles and the audit trail, shared by every app's admin.

Reads go through ``scope_for_user``; changes need the object's school among the schools the user
leads; opening a record of another school answers 404 and is recorded; views and changes of
student records are audited, and so is each student a listed row names (a progress record).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext

from .audit import audit_students_shown, audit_write, school_id_of
from .models import AuditAction
from .permissions import admin_via, can_administer, led_schools, users_choosable_by
from .scoping import record_denied_if_exists, scope_for_user


class SuperusersOnly:
    """An admin page for superusers alone: what it holds spans schools and networks."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class SameSchoolForm(forms.ModelForm):
    """Refuses many-to-many choices from another school than the row's own (a leader of two
    schools could otherwise give school A's teacher a cohort of school B)."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        school = cleaned.get("school") or getattr(self.instance, "school", None)
        if school is None:
            return cleaned
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelMultipleChoiceField):
                continue
            strays = [
                obj
                for obj in cleaned.get(name) or []
                if getattr(obj, "school_id", school.pk) != school.pk
            ]
            if strays:
                listed = ", ".join(str(obj) for obj in strays)
                self.add_error(
                    name,
                    gettext("%(listed)s: not of %(school)s; choose only %(school)s's.")
                    % {"listed": listed, "school": school},
                )
        return cleaned


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id box, naming the object beside the id only when it is among ``choices``.

    Django's widget looks the id up among every row of the model, so a form sent back with
    another school's id (refused, and shown again with the error) would print that record's
    name and link beside it; here it shows nothing, as for an id that does not exist."""

    def __init__(self, rel: Any, admin_site: Any, *, choices: models.QuerySet, **kwargs: Any):
        super().__init__(rel, admin_site, **kwargs)
        self.visible = choices

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            found = self.visible.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            found = False
        return super().label_and_url_for_value(value) if found else ("", "")


class ScopedModelAdmin(admin.ModelAdmin):
    form = SameSchoolForm
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return scope_for_user(super().get_queryset(request), request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            field = self.model._meta.get_field(from_field) if from_field else self.model._meta.pk
            record_denied_if_exists(
                self.model._default_manager.all(),
                request.user,
                via=admin_via(request),
                **{field.name: object_id},
            )
        return obj

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # The admin would redirect with "doesn't exist"; answer 404 like every other door, so a
        # record of another school looks exactly like a missing one.
        raise Http404(
            gettext("No %(name)s with id %(id)r among your schools.")
            % {"name": opts.verbose_name, "id": object_id}
        )

    # --- choices in forms only offer the schools' own objects ------------------------------
    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        choices = self._choices_for(db_field, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        if db_field.name in self.raw_id_fields and "widget" not in kwargs:
            related = db_field.related_model
            assert isinstance(related, type)  # a model class once the apps are loaded
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                using=kwargs.get("using"),
                choices=choices if choices is not None else related._default_manager.none(),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        choices = self._choices_for(db_field, request)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices_for(self, db_field: models.Field, request: HttpRequest) -> models.QuerySet | None:
        related = db_field.related_model
        if not isinstance(related, type):  # only a relation's field has a model (never "self")
            return None
        if related._meta.label == "students.School":
            return led_schools(request.user)
        if related is get_user_model():
            return users_choosable_by(request.user)
        if hasattr(related, "school_scope"):
            return scope_for_user(related._default_manager.all(), request.user)
        return None

    # --- permissions from roles, not from Django's per-model permissions ----------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_administer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_administer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return led_schools(request.user).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return led_schools(request.user).exists()
        school_id = school_id_of(obj)
        return school_id is not None and led_schools(request.user).filter(pk=school_id).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # school data is ended or deactivated, never deleted from the admin

    # --- the audit trail ------------------------------------------------------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and original is not None:
            self.audit_shown(request, [original], AuditAction.VIEW)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self.audit_shown(request, changelist.result_list, AuditAction.LIST)
        return response

    def audit_shown(self, request: HttpRequest, objects: Any, action: str) -> None:
        """Record the students a page of ``objects`` shows (a page naming students some other
        way than by a foreign key adds them here)."""
        audit_students_shown(
            user=request.user, objects=objects, via=admin_via(request), action=action
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        audit_write(user=request.user, obj=obj, action=AuditAction.CREATE, via=admin_via(request))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        changed = [
            field
            for entry in (message or [])
            if isinstance(entry, dict)
            for field in entry.get("changed", {}).get("fields", [])
        ]
        audit_write(
            user=request.user,
            obj=obj,
            action=AuditAction.CHANGE,
            via=admin_via(request),
            changed_fields=changed,
        )
        return super().log_change(request, obj, message)
