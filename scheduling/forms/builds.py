"""Forms of the build pages."""

from django import forms
from django.utils.translation import gettext_lazy

from ..dates import validate_school_day


class BuildForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date to build"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_school_day],
        help_text=gettext_lazy(
            "The engine reads the school's configuration as it is now. The result is a "
            "draft: nobody sees it until you publish it."
        ),
    )


class DateForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_school_day],
    )
