"""The forms of joining and signing in: short, one question at a time, phone-sized."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from students.models import Guardian

from .invitations import password_problems
from .tokens import CODE_LENGTH, normalize_code

PASSWORD = "password"
LINK = "link"


class CodeForm(forms.Form):
    """The letter's number and one-time code, typed at /family/join/."""

    letter = forms.IntegerField(
        label=_("Letter number"),
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH:
            raise forms.ValidationError(
                _("The code has %(count)d letters and numbers.") % {"count": CODE_LENGTH}
            )
        return code


class AcceptForm(forms.Form):
    """How the guardian will sign in: a password they choose, links by email, or both."""

    method = forms.ChoiceField(
        label=_("How do you want to sign in?"),
        choices=[
            (LINK, _("A link sent to my email each time")),
            (PASSWORD, _("A password I choose")),
        ],
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Email (for sign-in links)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, guardian: Guardian, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guardian = guardian
        if guardian.email:
            # The roster's address receives the links; it is changed in the school's records.
            del self.fields["email"]
        self.initial.setdefault("method", LINK if guardian.email else PASSWORD)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        method = data.get("method")
        email = self.guardian.email or data.get("email", "")
        if method == LINK and not email:
            self.add_error("email", _("Type the email address where the links should go."))
        if method == PASSWORD:
            first, second = data.get("password1", ""), data.get("password2", "")
            if not first:
                self.add_error("password1", _("Choose a password."))
            elif first != second:
                self.add_error("password2", _("The two passwords are not the same."))
            else:
                for problem in password_problems(first, self.guardian):
                    self.add_error("password1", problem)
        return data

    @property
    def password(self) -> str | None:
        return self.cleaned_data["password1"] if self.cleaned_data["method"] == PASSWORD else None


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PasswordSignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
