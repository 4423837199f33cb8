"""The admin site's page for login accounts: Django's user admin, for superusers only, whose
email changes go through ``students.accounts.account_email_change`` (audited, the old address
told), as every other email change of a login does."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .accounts import account_email_change
from .admin_base import SuperusersOnly
from .permissions import admin_via

User = get_user_model()


class AccountAdmin(SuperusersOnly, UserAdmin):
    """Accounts span schools and networks, so only superusers see or change them here; leaders
    change the names and email of their own school's staff in Setup > Staff."""

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        if change and "email" in form.changed_data:
            new_email = obj.email
            obj.email = form.initial.get("email") or ""
            account_email_change(
                user=obj, new_email=new_email, by=request.user, via=admin_via(request), save=False
            )
        super().save_model(request, obj, form, change)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
