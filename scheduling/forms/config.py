"""Forms of the leader's configuration pages.

Each form checks what it can beside the field at fault (the model forms run the models' own
``clean()``), and the services in ``scheduling.services.configuration`` check again before writing,
so a refusal the service raises lands beside the same field (``add_service_errors``).
"""

import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from students.models import Cohort, GradeLevel, Role, School, Staff

from ..dates import validate_school_day
from ..models import (
    CalendarDay,
    DayType,
    LabZone,
    Room,
    RoomKind,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    StationCode,
)
from ..time_grid import span_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Stations someone teaches; launch, lunch, recess and the lab have no teacher of their own.
TAUGHT_STATIONS = [
    StationCode.LITERACY,
    StationCode.MATH,
    StationCode.FLEX,
    StationCode.ELD,
    StationCode.SPECIALS,
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's refusal beside the form's field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def grade_levels_field(**kwargs: Any) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        choices=GradeLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        **kwargs,
    )


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        roles = ", ".join(sorted(str(Role(code).label) for code in obj.role_codes))
        return f"{obj} ({roles})" if roles else str(obj)


def staff_of(school: School, *, keep: Any = ()) -> Any:
    """The school's active staff, and the inactive ones in ``keep`` (already chosen, so a save
    does not silently drop them)."""
    return (
        Staff.objects.filter(school=school)
        .filter(Q(active=True) | Q(pk__in=[getattr(s, "pk", s) for s in keep]))
        .select_related("user")
        .prefetch_related("role_grants")
        .order_by("user__last_name", "user__first_name")
    )


class SchoolModelForm(forms.ModelForm):
    """A model form for one school's rows: the instance belongs to ``school`` before the model's
    ``clean()`` runs, so its checks (another school's objects, names) see the school."""

    unique_name_message: "StrOrPromise" = ""

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        model = self._meta.model
        same = model.objects.filter(school=self.school, name__iexact=name)
        if self.instance.pk:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise ValidationError(self.unique_name_message % {"name": name})
        return name


# -- rooms ---------------------------------------------------------------------------------------


class RoomForm(SchoolModelForm):
    unique_name_message = gettext_lazy("This school already has a room named %(name)s.")

    grade_levels = grade_levels_field(
        label=gettext_lazy("Grades it serves"),
        help_text=gettext_lazy("For a Learning Lab: the grades whose cohorts use it."),
    )
    supervisors = StaffChoiceField(
        queryset=Staff.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Lab supervisors"),
        help_text=gettext_lazy("For a Learning Lab: the ILS staff who supervise it."),
    )
    students_per_adult = forms.IntegerField(
        min_value=1,
        max_value=200,
        required=False,
        initial=30,
        label=gettext_lazy("Students per adult"),
        help_text=gettext_lazy("For a Learning Lab: how many students one supervisor may watch."),
    )

    class Meta:
        model = Room
        fields = ["name", "kind", "capacity", "homeroom_of"]
        labels = {"homeroom_of": gettext_lazy("Homeroom of")}
        error_messages = {
            "homeroom_of": {
                "unique": gettext_lazy(
                    "That cohort already has a homeroom; change that room first."
                )
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["homeroom_of"]).queryset = Cohort.objects.filter(
            school=self.school
        ).select_related("grade")
        cast(forms.ModelChoiceField, self.fields["homeroom_of"]).empty_label = _("(not a homeroom)")
        room = self.instance
        supervisors: list[Staff] = []
        if room.pk:
            self.initial["grade_levels"] = [g.level for g in room.grades.all()]
            supervision = getattr(room, "supervision", None)
            if supervision is not None:
                supervisors = list(supervision.supervisors.all())
                self.initial["supervisors"] = supervisors
                self.initial["students_per_adult"] = supervision.students_per_adult
        cast(forms.ModelChoiceField, self.fields["supervisors"]).queryset = staff_of(
            self.school, keep=supervisors
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == RoomKind.LEARNING_LAB:
            if not data.get("grade_levels"):
                self.add_error("grade_levels", _("A Learning Lab serves at least one grade."))
            if data.get("students_per_adult") is None and "students_per_adult" not in self.errors:
                self.add_error(
                    "students_per_adult",
                    _("Give how many students one supervisor may watch."),
                )
        elif kind:
            if data.get("grade_levels"):
                self.add_error(
                    "grade_levels",
                    _("Only a Learning Lab serves grades: untick them, or make the room a lab."),
                )
            if data.get("supervisors"):
                self.add_error(
                    "supervisors",
                    _("Only a Learning Lab has supervisors: untick them, or make the room a lab."),
                )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "capacity": data["capacity"],
            "homeroom_of": data["homeroom_of"],
            "grade_levels": data["grade_levels"],
            "supervisors": list(data["supervisors"]),
            "students_per_adult": data["students_per_adult"],
        }


class LabZoneForm(forms.ModelForm):
    """One zone of a lab: the lab is the page's, never the form's."""

    class Meta:
        model = LabZone
        fields = ["name", "seats", "computers"]

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


# -- staff ---------------------------------------------------------------------------------------


ACCOUNT_NAME_FIELDS = ("first_name", "last_name", "email")


class StaffForm(SchoolModelForm):
    """A staff member's account names, roles, hours and what they teach; ``username`` is asked
    only when the form creates a new account. ``account_manager`` (who manages the account,
    from ``students.accounts.account_management``) shows the names and email read-only: the
    account also works elsewhere, and a posted change to them is refused beside the field."""

    username = forms.CharField(
        max_length=150,
        help_text=gettext_lazy("What they log in with. They set a password by email."),
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text=gettext_lazy("Where the password-reset link goes."))
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Roles")
    )
    grade_levels = grade_levels_field(label=gettext_lazy("Grades"))
    teaching_room = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
        help_text=gettext_lazy("Where a station held in the teacher's room happens."),
    )

    class Meta:
        model = Staff
        fields = ["active", "work_start", "work_end", "cohorts"]
        labels = {
            "work_start": gettext_lazy("Working hours start"),
            "work_end": gettext_lazy("Working hours end"),
        }
        widgets = {
            "work_start": TimeInput(),
            "work_end": TimeInput(),
            "cohorts": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, account_manager: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_manager = account_manager
        cast(forms.ModelChoiceField, self.fields["cohorts"]).queryset = Cohort.objects.filter(
            school=self.school
        ).order_by("grade__level", "name")
        self.fields["cohorts"].help_text = _("The homerooms they serve.")
        cast(forms.ModelChoiceField, self.fields["teaching_room"]).queryset = Room.objects.filter(
            school=self.school,
            kind__in=[RoomKind.CLASSROOM, RoomKind.RESOURCE_ROOM, RoomKind.GYM],
        ).order_by("name")
        staff = self.instance
        if staff.pk:
            del self.fields["username"]
            user = staff.user
            self.initial.update(
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                roles=sorted(staff.role_codes),
                grade_levels=[g.level for g in staff.grades.all()],
            )
            place = getattr(staff, "teaching_room", None)
            self.initial["teaching_room"] = place.room_id if place else None
        else:
            del self.fields["active"]
        if account_manager:
            for name in ACCOUNT_NAME_FIELDS:
                field = self.fields[name]
                field.disabled, field.required = True, False
                field.help_text = account_manager if name == "email" else ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.account_manager:
            # A read-only field takes its stored value; a request that posts another one
            # anyway (the browser sends none) is refused, not silently ignored.
            for name in ACCOUNT_NAME_FIELDS:
                posted = self.data.get(name)
                if posted is not None and posted.strip() != str(self.initial.get(name) or ""):
                    self.add_error(
                        name,
                        _("Not changed: %(manager)s") % {"manager": self.account_manager},
                    )
        # Hours may reach past the day (arrival, meetings) but sit on every day type's grid,
        # which the engine counts them in; the check lives here as students cannot import it.
        start, end = cleaned.get("work_start"), cleaned.get("work_end")
        if start and end and end > start:  # the model refuses hours ending before they start
            for day_type in DayType.objects.filter(school=self.school).order_by("name"):
                errors = span_errors(
                    start,
                    end,
                    day_type=day_type,
                    fields=("work_start", "work_end"),
                    label=_("Working hours"),
                    within_day=False,
                )
                for field, message in errors.items():
                    self.add_error(field, message)
                if errors:
                    break
        return cleaned

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(_("That username is taken; choose another."))
        return username

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in (
                "first_name",
                "last_name",
                "email",
                "roles",
                "work_start",
                "work_end",
                "grade_levels",
                "teaching_room",
            )
        }
        kwargs["cohorts"] = list(data["cohorts"])
        if "username" in self.fields:
            kwargs["username"] = data["username"]
        if "active" in self.fields:
            kwargs["active"] = data["active"]
        return kwargs


class StaffingForm(forms.Form):
    """Make one staff member a teacher of one station for some cohorts."""

    station = forms.ChoiceField(choices=[(s.value, s.label) for s in TAUGHT_STATIONS])
    cohorts = forms.ModelMultipleChoiceField(
        queryset=Cohort.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        # The callers pass data (and files) positionally, never a prefix.
        super().__init__(*args, prefix="staffing", **kwargs)  # type: ignore[misc]
        cast(forms.ModelChoiceField, self.fields["cohorts"]).queryset = (
            Cohort.objects.filter(school=school)
            .select_related("grade")
            .order_by("grade__level", "name")
        )


# -- cohorts -------------------------------------------------------------------------------------


class CohortForm(SchoolModelForm):
    """A cohort's name, grade and homeroom; on an existing cohort also who staffs each taught
    station (fields ``station_<code>``)."""

    unique_name_message = gettext_lazy("This school already has a cohort named %(name)s.")

    grade_level = forms.TypedChoiceField(
        choices=GradeLevel.choices,
        coerce=int,
        label=gettext_lazy("Grade"),
        help_text=gettext_lazy(
            "The grade whose rotation template the cohort's day follows. Students keep their "
            "own grades: in a combination class choose one of theirs; roster imports keep it."
        ),
    )
    homeroom = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
        help_text=gettext_lazy("A classroom; flexible blocks happen here."),
    )

    class Meta:
        model = Cohort
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cohort = self.instance
        free = Q(homeroom_of__isnull=True)
        if cohort.pk:
            free |= Q(homeroom_of=cohort)
        cast(forms.ModelChoiceField, self.fields["homeroom"]).queryset = (
            Room.objects.filter(school=self.school, kind=RoomKind.CLASSROOM)
            .filter(free)
            .order_by("name")
        )
        self.stations: list[str] = []
        if not cohort.pk:
            return
        self.initial["grade_level"] = cohort.grade.level
        self.initial["homeroom"] = getattr(getattr(cohort, "homeroom", None), "pk", None)
        current = {
            a.station: [s.pk for s in a.staff.all()]
            for a in StaffingAssignment.objects.filter(cohort=cohort).prefetch_related("staff")
        }
        people = staff_of(self.school, keep=[pk for pks in current.values() for pk in pks])
        for station in [*TAUGHT_STATIONS, *sorted(set(current) - set(TAUGHT_STATIONS))]:
            name = f"station_{station}"
            self.fields[name] = StaffChoiceField(
                queryset=people,
                required=False,
                widget=forms.SelectMultiple(attrs={"size": 5}),
                label=StationCode(station).label,
                help_text=gettext_lazy(
                    "Who may teach it to this cohort; the engine picks among several."
                ),
            )
            self.initial[name] = current.get(station, [])
            self.stations.append(station)

    def station_fields(self) -> list[forms.BoundField]:
        return [self[f"station_{station}"] for station in self.stations]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "name": data["name"],
            "grade_level": data["grade_level"],
            "homeroom": data["homeroom"],
        }
        if self.stations:
            kwargs["staffing"] = {s: list(data[f"station_{s}"]) for s in self.stations}
        return kwargs


# -- day types, calendar, absences, settings -----------------------------------------------------


class DayTypeForm(SchoolModelForm):
    unique_name_message = gettext_lazy("This school already has a day type named %(name)s.")

    class Meta:
        model = DayType
        fields = [
            "name",
            "arrival",
            "day_start",
            "dismissal",
            "passing_minutes",
            "granularity_minutes",
        ]
        widgets = {"arrival": TimeInput(), "day_start": TimeInput(), "dismissal": TimeInput()}
        labels = {
            "passing_minutes": gettext_lazy("Passing minutes"),
            "granularity_minutes": gettext_lazy("Time grid"),
        }

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class CalendarRangeForm(forms.Form):
    """What a range of dates becomes: school days of a day type, no school, or not set."""

    SCHOOL, NO_SCHOOL, CLEAR = "school", "no_school", "clear"

    first = forms.DateField(
        label=gettext_lazy("First date"), widget=DateInput(), validators=[validate_school_day]
    )
    last = forms.DateField(
        label=gettext_lazy("Last date"), widget=DateInput(), validators=[validate_school_day]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("These dates are"),
        choices=[
            (SCHOOL, gettext_lazy("School days")),
            (NO_SCHOOL, gettext_lazy("No school (holiday, break, staff day)")),
            (CLEAR, gettext_lazy("Not in the calendar (remove)")),
        ],
        widget=forms.RadioSelect,
        initial=SCHOOL,
    )
    day_type = forms.ModelChoiceField(
        queryset=DayType.objects.none(),
        required=False,
        empty_label=gettext_lazy("(choose)"),
        help_text=gettext_lazy("For school days: pick a minimum day's type to mark minimum days."),
    )
    note = forms.CharField(
        max_length=120, required=False, help_text=gettext_lazy("e.g. 'Thanksgiving break'.")
    )
    weekdays_only = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("Skip Saturdays and Sundays")
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        cast(forms.ModelChoiceField, self.fields["day_type"]).queryset = DayType.objects.filter(
            school=school
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error(
                "last",
                _("The last date comes before the first (%(first)s).")
                % {"first": date_format(first)},
            )
        kind = data.get("kind")
        if kind in (self.SCHOOL, self.NO_SCHOOL):
            probe = CalendarDay(
                school=self.school,
                date=first or datetime.date.min,
                instructional=kind == self.SCHOOL,
                day_type=data.get("day_type"),
                note=data.get("note", ""),
            )
            try:
                probe.full_clean(
                    exclude=["date"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                add_service_errors(self, error)
        return data


class AbsenceForm(SchoolModelForm):
    class Meta:
        model = StaffAbsence
        fields = ["staff", "date", "start", "end", "reason"]
        widgets = {"date": DateInput(), "start": TimeInput(), "end": TimeInput()}
        labels = {"start": gettext_lazy("Away from"), "end": gettext_lazy("Away until")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["staff"]).queryset = (
            Staff.objects.filter(school=self.school)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["date"].validators.append(validate_school_day)

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class SubstituteDayForm(forms.Form):
    """A date a substitute can be called in (the staff member is the page's)."""

    date = forms.DateField(
        label=gettext_lazy("Available on"),
        widget=DateInput(),
        validators=[validate_school_day],
        error_messages={"invalid": gettext_lazy("Enter a date as YYYY-MM-DD.")},
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {"date": self.cleaned_data["date"]}


# The settings page's fieldsets, in order: a legend and the fields under it.
SETTINGS_GROUPS = (
    (
        gettext_lazy(
            "Prep time (every teacher of humanities, STEM, specials and special education)"
        ),
        ("prep_minutes", "prep_window_start", "prep_window_end"),
    ),
    (
        gettext_lazy("Staff well-being (every teacher and lab supervisor)"),
        (
            "staff_lunch_minutes",
            "staff_lunch_start",
            "staff_lunch_end",
            "max_teaching_stretch",
            "min_break_minutes",
        ),
    ),
    (
        gettext_lazy(
            "What matters most when several days are possible (0 switches a goal off; a "
            "larger number matters more)"
        ),
        (
            "stability_weight",
            "preferences_weight",
            "transitions_weight",
            "lab_balance_weight",
            "compact_staff_weight",
        ),
    ),
    (
        gettext_lazy("Lab plans (sessions, changes and groups in the Learning Lab)"),
        (
            "lab_max_changes",
            "tutoring_session_minutes",
            "adjacent_grade_groups",
            "group_stability_weight",
        ),
    ),
    (gettext_lazy("Building a day"), ("solve_seconds",)),
)


class SchoolSettingsForm(SchoolModelForm):
    class Meta:
        model = SchoolSchedulingSettings
        fields = [name for _legend, names in SETTINGS_GROUPS for name in names]
        widgets = {
            "prep_window_start": TimeInput(),
            "prep_window_end": TimeInput(),
            "staff_lunch_start": TimeInput(),
            "staff_lunch_end": TimeInput(),
        }
        labels = {
            "prep_minutes": gettext_lazy("Prep minutes"),
            "prep_window_start": gettext_lazy("Prep window from"),
            "prep_window_end": gettext_lazy("Prep window until"),
            # The engine's own names (S1-S5) stay in the model's docstrings, not on the page.
            "stability_weight": gettext_lazy("Keep each day like the last one published"),
            "preferences_weight": gettext_lazy("Stations at their preferred times"),
            "transitions_weight": gettext_lazy("Few changes between stations"),
            "lab_balance_weight": gettext_lazy("An evenly used lab"),
            "compact_staff_weight": gettext_lazy("Compact days for teachers"),
            "solve_seconds": gettext_lazy("Build time limit (seconds)"),
            "staff_lunch_minutes": gettext_lazy("Staff lunch minutes"),
            "staff_lunch_start": gettext_lazy("Staff lunch from"),
            "staff_lunch_end": gettext_lazy("Staff lunch until"),
            "max_teaching_stretch": gettext_lazy("Longest teaching stretch (minutes)"),
            "min_break_minutes": gettext_lazy("Shortest break (minutes)"),
        }

    def groups(self) -> list[tuple["StrOrPromise", list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in SETTINGS_GROUPS]

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


__all__ = [
    "AbsenceForm",
    "CalendarRangeForm",
    "CohortForm",
    "DayTypeForm",
    "LabZoneForm",
    "RoomForm",
    "SchoolSettingsForm",
    "StaffForm",
    "StaffingForm",
    "add_service_errors",
]
