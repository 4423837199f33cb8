"""Forms of the home-visit pages: a leader's record of a household (answer, address, times),
an educator's windows for visits and their languages and weekly cap, a visit moved to a new
time, and the pair's reflection after a visit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .visit_models import REFLECTION_MAX_LENGTH, Household, VisitSettings

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
# The browser's own pickers: they send ISO values, whatever the reader's locale.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
PART_CHOICES = [
    ("", _("Any time")),
    ("afternoon", _("Afternoons (before 5 p.m.)")),
    ("evening", _("Evenings (from 5 p.m.)")),
]


class HouseholdForm(forms.ModelForm):
    """The family's answer and where and when to visit; the preferred times are days of the
    week and one part of the day for all of them."""

    days = forms.TypedMultipleChoiceField(
        label=_("Days that suit the family"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: any day the educators can come."),
    )
    part = forms.ChoiceField(label=_("Part of the day"), choices=PART_CHOICES, required=False)

    class Meta:
        model = Household
        fields = ["answer", "address", "latitude", "longitude", "language", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        said = self.instance.preferred_times or []
        self.fields["days"].initial = sorted(
            {item.get("weekday") for item in said if isinstance(item.get("weekday"), int)}
        )
        parts = {item.get("part") or "" for item in said}
        self.fields["part"].initial = parts.pop() if len(parts) == 1 else ""

    def clean_language(self) -> str:
        return self.cleaned_data["language"].strip().lower() or "en"

    def preferred_times(self) -> list[dict[str, object]]:
        part = self.cleaned_data.get("part") or None
        return [{"weekday": day, "part": part} for day in sorted(self.cleaned_data["days"])]


class VisitWindowForm(forms.Form):
    """Every chosen weekday between two dates, or one date."""

    weekday = forms.TypedChoiceField(
        label=_("Every"),
        choices=[("", "---"), *WEEKDAY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    starts_on = forms.DateField(label=_("From"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DATE)
    date = forms.DateField(label=_("Or on one date"), required=False, widget=DATE)
    start = forms.TimeField(label=_("Start"), widget=TIME)
    end = forms.TimeField(label=_("End"), widget=TIME)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        weekly = data.get("weekday") is not None
        if weekly == bool(data.get("date")):
            raise forms.ValidationError(_("Choose a weekday with two dates, or one date."))
        if weekly and not (data.get("starts_on") and data.get("ends_on")):
            raise forms.ValidationError(_("A weekly time needs the dates it runs between."))
        if weekly and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The last date comes before the first."))
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end comes before the start."))
        return data


class VisitSettingsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak besides English"),
        choices=[(code, name) for code, name in settings.LANGUAGES if code != "en"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = VisitSettings
        fields = ["weekly_cap", "languages"]


class VisitMoveForm(forms.Form):
    """A visit moved: the new day and times the family agreed, or none to plan it again."""

    date = forms.DateField(label=_("New date"), required=False, widget=DATE)
    start = forms.TimeField(label=_("Start"), required=False, widget=TIME)
    end = forms.TimeField(label=_("End"), required=False, widget=TIME)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        given = [data.get(name) is not None for name in ("date", "start", "end")]
        if any(given) and not all(given):
            raise forms.ValidationError(
                _("Give the new date with its start and end, or none to plan the visit again.")
            )
        if all(given) and data["end"] <= data["start"]:
            self.add_error("end", _("The end comes before the start."))
        return data


class ReflectionForm(forms.Form):
    text = forms.CharField(
        label=_("Reflection"),
        max_length=REFLECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What the family hopes for their child, and what to follow up. Read only by the "
            "two of you and the school's leaders."
        ),
    )
