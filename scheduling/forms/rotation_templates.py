"""Forms of the rotation template pages: the stations of one template as a formset, checked row
by row with each station's model ``clean()`` and as a whole with ``template_problems``, and the
form that creates a template for a grade and day type."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext, gettext_lazy

from students.models import GradeLevel, Role, School

from ..models import DayType, RotationTemplate, StationCode, TemplateStation, Venue
from ..services.templates import (
    STATION_FIELDS,
    StationInput,
    TemplateInvalid,
    stations_in_order,
    template_problems,
)

PREFIX = "stations"
# The venues' names short enough for a narrow select; the model's choices explain them in full.
VENUE_LABELS = {
    Venue.STAFF_ROOM: gettext_lazy("Teacher's room"),
    Venue.HOMEROOM: gettext_lazy("Homeroom"),
    Venue.LAB: gettext_lazy("Learning Lab"),
    Venue.CAFETERIA: gettext_lazy("Cafeteria"),
    Venue.GYM: gettext_lazy("Gym"),
    Venue.OUTDOORS: gettext_lazy("Outdoors"),
}
TIME_FORMAT = "%H:%M"
# Values a new, untouched row starts with: the model's defaults, so the row counts as unchanged
# (and is skipped) until the leader types in it.
NEW_ROW_DEFAULTS = {"block_step": "5", "max_blocks": "1", "venue": "homeroom"}


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(format=TIME_FORMAT, attrs={"type": "time"})


def _number_widget(low: int, high: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"})


class StationRowField(forms.Field):
    """The hidden id of a stored station: it must be one of this template's stations."""

    widget = forms.HiddenInput

    def __init__(self, lookup: Callable[[int], TemplateStation | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lookup = lookup

    def to_python(self, value: Any) -> TemplateStation | None:
        if value in self.empty_values:
            return None
        try:
            row = self.lookup(int(value))
        except (TypeError, ValueError):
            row = None
        if row is None:
            raise ValidationError(
                gettext(
                    "This station is not one of this template's stations any more; reload the page."
                ),
                code="invalid_choice",
            )
        return row


class StationForm(forms.ModelForm):
    """One station of a template; errors are shown beside each field (``<auto_id>-error``)."""

    class Meta:
        model = TemplateStation
        fields = STATION_FIELDS
        labels = {
            "code": gettext_lazy("Station"),
            "minutes": gettext_lazy("Minutes a day"),
            "block_min": gettext_lazy("Shortest block (min)"),
            "block_max": gettext_lazy("Longest block (min)"),
            "block_step": gettext_lazy("Lengths in steps of (min)"),
            "max_blocks": gettext_lazy("Split into at most (blocks)"),
            "venue": gettext_lazy("Where"),
            "staff_role": gettext_lazy("Taught by"),
            "window_start": gettext_lazy("Event window from"),
            "window_end": gettext_lazy("Event window to"),
            "preferred_start": gettext_lazy("Preferred from"),
            "preferred_end": gettext_lazy("Preferred to"),
            "avoid_right_after": gettext_lazy("Not right after"),
        }
        widgets = {
            "minutes": _number_widget(5, 600),
            "block_min": _number_widget(5, 600),
            "block_max": _number_widget(5, 600),
            "block_step": _number_widget(1, 60),
            "max_blocks": _number_widget(1, 4),
            "window_start": _time_widget(),
            "window_end": _time_widget(),
            "preferred_start": _time_widget(),
            "preferred_end": _time_widget(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = [
            ("", gettext("Choose a station")),
            *StationCode.choices,
        ]
        cast(forms.ChoiceField, self.fields["staff_role"]).choices = [
            ("", gettext("No staff (lab, lunch, recess)")),
            *Role.choices,
        ]
        cast(forms.ChoiceField, self.fields["avoid_right_after"]).choices = [
            ("", gettext("No preference")),
            *StationCode.choices,
        ]
        cast(forms.ChoiceField, self.fields["venue"]).choices = list(VENUE_LABELS.items())
        for name, field in self.fields.items():
            field.help_text = ""  # explained once above the stations, not in every row
            if name in STATION_FIELDS:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def _post_clean(self) -> None:
        # Values that failed to parse must not be checked as their stored (stale) values, and a
        # message about a row without a station yet names it "this station".
        for name in self._errors or {}:  # type: ignore[attr-defined]  # not in django-stubs
            if name in STATION_FIELDS and name != "code":
                setattr(self.instance, name, None)
        nameless = not self.cleaned_data.get("code")
        if nameless:
            self.instance.code = gettext("this station")
        super()._post_clean()  # type: ignore[misc]  # private Django API, not in django-stubs
        if nameless:
            self.instance.code = ""

    def validate_unique(self) -> None:
        """No check against stored rows: the rows replace them as a whole, and a code is
        checked against the other rows as entered (``template_problems``)."""

    @property
    def row_id(self) -> str:
        """The row's anchor: ``station-<code>`` for a stored station (engine explanations link
        to it), ``station-row-<n>`` for a new one."""
        if self.instance.pk and self.initial.get("code"):
            return f"station-{self.initial['code']}"
        assert self.prefix is not None  # the formset names each of its forms
        return f"station-row-{self.prefix.rsplit('-', 1)[-1]}"

    @property
    def legend(self) -> str:
        code = self.initial.get("code") if self.instance.pk else None
        return StationCode(code).label if code in StationCode.values else gettext("new station")

    @property
    def marked_for_removal(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("DELETE"))

    @property
    def number(self) -> int:
        assert self.prefix is not None  # the formset names each of its forms
        return int(self.prefix.rsplit("-", 1)[-1]) + 1


class BaseStationFormSet(forms.BaseInlineFormSet):
    """The template's stations; ``clean()`` adds the checks that need the whole template."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        if not hasattr(self, "_station_queryset"):
            self._station_queryset = stations_in_order(self.instance)
        return self._station_queryset

    def validate_unique(self) -> None:
        """No check against stored rows: the rows replace them as a whole, and a code is
        checked against the other rows as entered (``template_problems``)."""

    def _construct_form(self, i: int, **kwargs: Any) -> StationForm:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]  # private Django API, not in django-stubs
        form.instance.template = self.instance  # the window checks read the day type through it
        return form

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # Django's own id field accepts any station of any school, one query per row; this one
        # accepts only this template's stations, from the rows already loaded.
        form.fields["id"] = StationRowField(
            self._existing_object,  # type: ignore[attr-defined]  # private Django API, not in django-stubs
            required=False,
        )

    def is_deleting(self, form: StationForm) -> bool:
        # _should_delete_form: Django's private API, not in django-stubs.
        return bool(self.can_delete and self._should_delete_form(form))  # type: ignore[attr-defined]

    def entered(self) -> list[StationForm]:
        """The forms that make the template: not marked for removal, and not new and blank."""
        return [
            form
            for form in self.forms
            if not self.is_deleting(form)
            and (form.instance.pk or form.has_changed() or form in self.initial_forms)
        ]

    def clean(self) -> None:
        super().clean()
        template = self.instance
        entered = self.entered()
        # Each form's instance holds the values as typed (a value that failed to parse is None),
        # even those its own clean() refused, so the whole-template checks see what the leader
        # sees.
        stations = [form.instance for form in entered]
        problems = template_problems(
            grade=template.grade, day_type=template.day_type, stations=stations
        )
        for form, row in zip(entered, problems.rows, strict=True):
            for name, messages in row.items():
                for message in messages:
                    form.add_error(name, message)
        if problems.general:
            raise ValidationError(problems.general)

    def station_inputs(self) -> list[StationInput]:
        """The valid stations as the service takes them (call after ``is_valid()``)."""
        return [
            StationInput(
                id=form.instance.pk,
                **{name: _model_value(name, form.cleaned_data[name]) for name in STATION_FIELDS},
            )
            for form in self.entered()
        ]

    def add_service_errors(self, error: TemplateInvalid) -> None:
        """Show what the service refused beside the same fields (the checks are the same, so
        this only happens when the stored data changed between the two)."""
        for form, row in zip(self.entered(), error.rows, strict=False):
            for name, messages in row.items():
                for message in messages:
                    form.add_error(None if name == "__all__" else name, message)
        self._non_form_errors.extend(error.general)  # type: ignore[attr-defined]  # not in stubs

    def focus(self, index: int) -> None:
        """Put the keyboard in row ``index`` (a row just added) when the page opens."""
        if 0 <= index < len(self.forms):
            self.forms[index].fields["code"].widget.attrs["autofocus"] = True

    def problem_count(self) -> int:
        """How many messages stand between the leader and a save."""
        count = len(self.non_form_errors())
        for form in self.forms:
            if not form.marked_for_removal:
                count += sum(len(errors) for errors in form.errors.values())
        return count

    def total_minutes(self) -> int:
        return sum(form.instance.minutes or 0 for form in self.entered())


def _model_value(name: str, value: object) -> Any:
    if value is None and name in ("code", "venue", "staff_role", "avoid_right_after"):
        return ""
    return value


# A subclass of BaseStationFormSet (``formset=``), which django-stubs' factory does not carry.
StationFormSet = cast(
    "type[BaseStationFormSet]",
    forms.inlineformset_factory(
        RotationTemplate,
        TemplateStation,
        form=StationForm,
        formset=BaseStationFormSet,
        fields=STATION_FIELDS,
        extra=0,
        can_delete=True,
        max_num=len(StationCode.choices) + 5,
        validate_max=True,
    ),
)


def _as_data(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.time):
        return value.strftime(TIME_FORMAT)
    return str(value)


def stored_station_data(template: RotationTemplate) -> QueryDict:
    """The template's stored stations as the editor would post them, so the page can open with
    the same checks (and errors beside the fields) as a save would give."""
    stations = list(stations_in_order(template))
    data = QueryDict(mutable=True)
    data.update(
        {
            f"{PREFIX}-TOTAL_FORMS": str(len(stations)),
            f"{PREFIX}-INITIAL_FORMS": str(len(stations)),
            f"{PREFIX}-MIN_NUM_FORMS": "0",
            f"{PREFIX}-MAX_NUM_FORMS": "1000",
        }
    )
    for index, station in enumerate(stations):
        data[f"{PREFIX}-{index}-id"] = str(station.pk)
        for name in STATION_FIELDS:
            data[f"{PREFIX}-{index}-{name}"] = _as_data(getattr(station, name))
    return data


def with_new_row(data: QueryDict) -> tuple[QueryDict, int]:
    """``data`` (a posted formset) with one more, blank row; and that row's index."""
    data = data.copy()
    try:
        index = int(data.get(f"{PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        index = 0
    data[f"{PREFIX}-TOTAL_FORMS"] = str(index + 1)
    for name, value in NEW_ROW_DEFAULTS.items():
        data[f"{PREFIX}-{index}-{name}"] = value
    return data, index


class TemplateCreateForm(forms.Form):
    """A new template for a grade on a day type, empty or copied from another template."""

    grade = forms.TypedChoiceField(
        label=gettext_lazy("Grade"), coerce=int, choices=GradeLevel.choices
    )
    day_type = forms.ModelChoiceField(
        label=gettext_lazy("Day type"),
        queryset=DayType.objects.none(),
        empty_label=gettext_lazy("Choose a day type"),
    )
    copy_from = forms.ModelChoiceField(
        label=gettext_lazy("Copy the stations of"),
        queryset=RotationTemplate.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nothing: start with no stations"),
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.school = school
        cast(forms.ChoiceField, self.fields["grade"]).choices = [
            (
                level,
                gettext("Kindergarten")
                if level == 0
                else gettext("Grade %(grade)s") % {"grade": label},
            )
            for level, label in GradeLevel.choices
        ]
        cast(forms.ModelChoiceField, self.fields["day_type"]).queryset = DayType.objects.filter(
            school=school
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["copy_from"]).queryset = (
            RotationTemplate.objects.filter(school=school)
            .select_related("grade", "day_type")
            .order_by("day_type__name", "grade__level")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        level, day_type = cleaned.get("grade"), cleaned.get("day_type")
        if (
            level is not None
            and day_type is not None
            and RotationTemplate.objects.filter(
                school=self.school, grade__level=level, day_type=day_type
            ).exists()
        ):
            grade_choices = cast(forms.ChoiceField, self.fields["grade"]).choices
            label = dict(cast("list[tuple[int, str]]", grade_choices))[level]  # set in __init__
            self.add_error(
                "grade",
                gettext("%(grade)s already has a %(day_type)s template; edit that one.")
                % {"grade": label, "day_type": day_type},
            )
        return cleaned
