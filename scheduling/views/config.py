"""The leader's configuration pages: rooms and labs, staff, cohorts, day types, the calendar,
absences and the school's settings. Thin: scope the school (leaders only), look objects up within
it, parse a form, call one service from ``scheduling.services.configuration``, render or redirect.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from students.accounts import account_management
from students.models import Cohort, Role, School, Staff
from students.permissions import page_via
from students.scoping import get_scoped_or_404

from ..dates import NotADay, parse_day, parse_month, shift_month
from ..forms.config import (
    AbsenceForm,
    CalendarRangeForm,
    CohortForm,
    DayTypeForm,
    LabZoneForm,
    RoomForm,
    SchoolModelForm,
    SchoolSettingsForm,
    StaffForm,
    StaffingForm,
    SubstituteDayForm,
    add_service_errors,
)
from ..models import (
    DayType,
    LabZone,
    Room,
    RoomKind,
    StaffAbsence,
    StaffingAssignment,
    SubstituteDay,
)
from ..selectors import configuration as config_reads
from ..services import configuration as config
from .school_scope import led_school

page = require_http_methods(["GET", "POST"])


def _in_school(request: HttpRequest, queryset: QuerySet, school: School, pk: object) -> Any:
    """One of ``school``'s rows: another school's id answers 404, as a missing one does."""
    return get_scoped_or_404(
        queryset.filter(school=school), request.user, via=page_via(request), pk=pk
    )


def _saved(request: HttpRequest, form: Any, service: Callable[..., Model], **kwargs: Any) -> Any:
    """Run ``service`` with the form's values; None (errors beside the fields) when refused."""
    if not form.is_valid():
        return None
    try:
        return service(**kwargs, **form.service_kwargs())
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _deleted(request: HttpRequest, service: Callable[..., None], **kwargs: Any) -> bool:
    try:
        service(**kwargs)
    except config.StillInUse as error:
        messages.error(request, str(error))
        return False
    return True


def _render(request: HttpRequest, template: str, school: School, **context: Any) -> HttpResponse:
    return render(request, f"scheduling/config/{template}", {"school": school, **context})


def _edit_page(
    request: HttpRequest,
    school: School,
    item: Model,
    *,
    noun: str,
    form_class: type[SchoolModelForm],
    save: Callable[..., Model],
    delete: Callable[..., None],
    list_page: str,
    edit_page: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page of one room, cohort or day type: remove it (unless still in use), or save its
    form. ``noun`` (room, cohort, day_type) names the services' keyword, the URL's ``<noun>_id``,
    the template ``<noun>_edit.html`` and the object in its context (with ``context``)."""
    named = {noun: item}
    if request.method == "POST" and request.POST.get("action") == "delete":
        if _deleted(request, delete, **named):
            messages.success(request, _("Removed %(item)s.") % {"item": item})
            return redirect(list_page, school_id=school.pk)
        return redirect(edit_page, school_id=school.pk, **{f"{noun}_id": item.pk})
    form = form_class(request.POST or None, instance=item, school=school)
    if request.method == "POST" and _saved(request, form, save, school=school, **named):
        messages.success(request, _("Saved %(item)s.") % {"item": item})
        return redirect(list_page, school_id=school.pk)
    return _render(request, f"{noun}_edit.html", school, form=form, **named, **(context or {}))


# -- rooms and labs -------------------------------------------------------------------------------


@login_required
@page
def rooms(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = RoomForm(request.POST or None, school=school)
    if request.method == "POST" and (
        room := _saved(request, form, config.room_save, school=school)
    ):
        messages.success(request, _("Added %(room)s.") % {"room": room})
        return redirect("rooms", school_id=school.pk)
    return _render(
        request, "rooms.html", school, rooms=config_reads.rooms_for_school(school=school), form=form
    )


@login_required
@page
def room_edit(request: HttpRequest, school_id: int, room_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    room = _in_school(request, Room.objects.all(), school, room_id)
    return _edit_page(
        request,
        school,
        room,
        noun="room",
        form_class=RoomForm,
        save=config.room_save,
        delete=config.room_delete,
        list_page="rooms",
        edit_page="room-edit",
        context=_zones_context(room),
    )


def _zones_context(room: Room, zone_form: LabZoneForm | None = None) -> dict[str, Any]:
    if room.kind != RoomKind.LEARNING_LAB:
        return {}
    zones = list(room.zones.order_by("name"))
    seated = sum(z.seats for z in zones if z.computers)
    return {
        "zones": zones,
        "zone_form": zone_form or LabZoneForm(),
        "zone_seats": seated,
        # Plans seat students in zones only once the computer zones hold every seat.
        "zones_cover_lab": bool(zones) and seated >= room.capacity,
    }


@login_required
@page
@require_http_methods(["POST"])
def lab_zone_add(request: HttpRequest, school_id: int, room_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    room = _in_school(request, Room.objects.filter(kind=RoomKind.LEARNING_LAB), school, room_id)
    form = LabZoneForm(request.POST)
    if zone := _saved(request, form, config.lab_zone_save, lab=room):
        messages.success(request, _("Added %(zone)s.") % {"zone": zone.name})
        return redirect("room-edit", school_id=school.pk, room_id=room.pk)
    return _render(
        request,
        "room_edit.html",
        school,
        room=room,
        form=RoomForm(instance=room, school=school),
        **_zones_context(room, form),
    )


@login_required
@page
@require_http_methods(["POST"])
def lab_zone_edit(request: HttpRequest, school_id: int, room_id: int, zone_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    room = _in_school(request, Room.objects.all(), school, room_id)
    zone = get_object_or_404(LabZone, lab=room, pk=zone_id)
    if request.POST.get("action") == "delete":
        if _deleted(request, config.lab_zone_delete, zone=zone):
            messages.success(request, _("Removed %(zone)s.") % {"zone": zone.name})
        return redirect("room-edit", school_id=school.pk, room_id=room.pk)
    form = LabZoneForm(request.POST, instance=zone)
    if _saved(request, form, config.lab_zone_save, lab=room, zone=zone):
        messages.success(request, _("Saved %(zone)s.") % {"zone": zone.name})
    else:
        for errors in form.errors.values():
            for error in errors:  # messages, as strings (django-stubs types them wider)
                messages.error(request, str(error))
    return redirect("room-edit", school_id=school.pk, room_id=room.pk)


# -- staff ---------------------------------------------------------------------------------------


@login_required
@page
def staff_list(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = StaffForm(request.POST or None, school=school)
    if request.method == "POST" and (
        staff := _saved(request, form, config.staff_create, school=school)
    ):
        messages.success(
            request,
            _(
                "Added %(staff)s. They choose a password with 'Forgot your password?' and their "
                "email."
            )
            % {"staff": staff},
        )
        return redirect("staff-edit", school_id=school.pk, staff_id=staff.pk)
    return _render(
        request,
        "staff_list.html",
        school,
        staff=config_reads.staff_for_school(school=school),
        form=form,
    )


@login_required
@page
def staff_edit(request: HttpRequest, school_id: int, staff_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    staff = _in_school(request, Staff.objects.select_related("user"), school, staff_id)
    here = reverse("staff-edit", kwargs={"school_id": school.pk, "staff_id": staff.pk})
    action = request.POST.get("action") if request.method == "POST" else None
    management = account_management(account=staff.user, school=school, by=request.user)
    form = StaffForm(
        request.POST if action == "save" else None,
        instance=staff,
        school=school,
        account_manager="" if management.editable else management.manager,
    )
    staffing = StaffingForm(request.POST if action == "assign" else None, school=school)
    available = SubstituteDayForm(request.POST if action == "substitute-add" else None)
    if action == "delete":
        if _deleted(request, config.staff_delete, staff=staff, by=request.user):
            messages.success(
                request,
                _("Removed %(staff)s from %(school)s.") % {"staff": staff, "school": school},
            )
            return redirect("staff-list", school_id=school.pk)
        return redirect(here)
    if action == "unassign":
        assignment = _in_school(
            request,
            StaffingAssignment.objects.filter(staff=staff),
            school,
            request.POST.get("assignment"),
        )
        config.staffing_unassign(assignment=assignment, staff=staff)
        messages.success(
            request,
            _("%(staff)s no longer teaches %(station)s to %(cohort)s.")
            % {
                "staff": staff,
                "station": assignment.get_station_display(),
                "cohort": assignment.cohort,
            },
        )
        return redirect(here)
    if action == "assign" and staffing.is_valid():
        try:
            config.staffing_assign(
                school=school,
                staff=staff,
                station=staffing.cleaned_data["station"],
                cohorts=list(staffing.cleaned_data["cohorts"]),
            )
        except ValidationError as error:
            add_service_errors(staffing, error)
        else:
            messages.success(request, _("Saved what %(staff)s teaches.") % {"staff": staff})
            return redirect(here)
    if action == "substitute-remove":
        day = _in_school(
            request, SubstituteDay.objects.filter(staff=staff), school, request.POST.get("day")
        )
        config.substitute_day_remove(day=day)
        messages.success(
            request,
            _("%(name)s is no longer available on %(date)s.")
            % {"name": staff, "date": date_format(day.date)},
        )
        return redirect(f"{here}#substitute-days")
    if action == "substitute-add" and (
        day := _saved(request, available, config.substitute_day_add, school=school, staff=staff)
    ):
        messages.success(
            request,
            _("%(name)s is available to substitute on %(date)s.")
            % {"name": staff, "date": date_format(day.date)},
        )
        return redirect(f"{here}#substitute-days")
    if action == "save" and _saved(
        request, form, config.staff_update, staff=staff, by=request.user, via=page_via(request)
    ):
        messages.success(request, _("Saved %(staff)s.") % {"staff": staff})
        return redirect(here)
    return _render(
        request,
        "staff_edit.html",
        school,
        staff=staff,
        form=form,
        staffing_form=staffing,
        assignments=config_reads.staffing_of_staff(staff=staff),
        substitute=Role.SUBSTITUTE in staff.role_codes,
        substitute_form=available,
        substitute_days=config_reads.substitute_days_of(staff=staff, since=timezone.localdate()),
    )


# -- cohorts -------------------------------------------------------------------------------------


@login_required
@page
def cohorts(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = CohortForm(request.POST or None, school=school)
    if request.method == "POST" and (
        cohort := _saved(request, form, config.cohort_save, school=school)
    ):
        messages.success(
            request,
            _("Added %(cohort)s; now choose who staffs its stations.") % {"cohort": cohort},
        )
        return redirect("cohort-edit", school_id=school.pk, cohort_id=cohort.pk)
    return _render(
        request,
        "cohorts.html",
        school,
        cohorts=config_reads.cohorts_for_school(school=school),
        form=form,
    )


@login_required
@page
def cohort_edit(request: HttpRequest, school_id: int, cohort_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    cohort = _in_school(request, Cohort.objects.select_related("grade"), school, cohort_id)
    return _edit_page(
        request,
        school,
        cohort,
        noun="cohort",
        form_class=CohortForm,
        save=config.cohort_save,
        delete=config.cohort_delete,
        list_page="cohorts",
        edit_page="cohort-edit",
    )


# -- day types -----------------------------------------------------------------------------------


@login_required
@page
def day_types(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = DayTypeForm(request.POST or None, school=school)
    if request.method == "POST" and (
        day_type := _saved(request, form, config.day_type_save, school=school)
    ):
        messages.success(request, _("Added %(day_type)s.") % {"day_type": day_type})
        return redirect("day-types", school_id=school.pk)
    return _render(
        request,
        "day_types.html",
        school,
        day_types=config_reads.day_types_for_school(school=school),
        form=form,
    )


@login_required
@page
def day_type_edit(request: HttpRequest, school_id: int, day_type_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    day_type = _in_school(request, DayType.objects.all(), school, day_type_id)
    return _edit_page(
        request,
        school,
        day_type,
        noun="day_type",
        form_class=DayTypeForm,
        save=config.day_type_save,
        delete=config.day_type_delete,
        list_page="day-types",
        edit_page="day-type-edit",
    )


# -- calendar ------------------------------------------------------------------------------------


def _month_of(value: str | None, today: datetime.date) -> datetime.date:
    """The ``?month=`` asked for, or this month for none, a bad one or one beyond the dates
    schools keep (``scheduling.dates``)."""
    try:
        return parse_month(value or "")
    except NotADay:
        return today.replace(day=1)


@login_required
@page
def calendar(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    today = timezone.localdate()
    month = _month_of(request.GET.get("month"), today)
    try:
        picked = parse_day(request.GET.get("date", ""))
    except NotADay:
        picked = None
    initial = {"first": picked, "last": picked} if picked else {}
    form = CalendarRangeForm(request.POST or None, school=school, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == CalendarRangeForm.CLEAR:
                count = config.calendar_days_clear(
                    school=school,
                    first=data["first"],
                    last=data["last"],
                    weekdays_only=data["weekdays_only"],
                )
                messages.success(
                    request,
                    ngettext(
                        "Took %(count)s date out of the calendar.",
                        "Took %(count)s dates out of the calendar.",
                        count,
                    )
                    % {"count": count},
                )
            else:
                count = config.calendar_days_set(
                    school=school,
                    first=data["first"],
                    last=data["last"],
                    instructional=data["kind"] == CalendarRangeForm.SCHOOL,
                    day_type=data["day_type"],
                    note=data["note"],
                    weekdays_only=data["weekdays_only"],
                )
                messages.success(
                    request,
                    ngettext("Set %(count)s date.", "Set %(count)s dates.", count)
                    % {"count": count},
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            target = reverse("calendar", kwargs={"school_id": school.pk})
            return redirect(f"{target}?month={data['first']:%Y-%m}")
    return _render(
        request,
        "calendar.html",
        school,
        month=month,
        previous=shift_month(month, -1),
        following=shift_month(month, 1),
        today=today,
        weeks=config_reads.calendar_month(school=school, year=month.year, month=month.month),
        form=form,
        day_types=config_reads.day_types_for_school(school=school),
    )


# -- absences ------------------------------------------------------------------------------------


@login_required
@page
def absences(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    here = reverse("absences", kwargs={"school_id": school.pk})
    source = request.POST if request.method == "POST" else request.GET
    absence = None
    if source.get("absence"):
        absence = _in_school(
            request, StaffAbsence.objects.select_related("staff__user"), school, source["absence"]
        )
    if request.method == "POST" and request.POST.get("action") == "delete" and absence:
        config.absence_delete(absence=absence)
        messages.success(
            request,
            _("Removed the absence of %(staff)s on %(date)s.")
            % {"staff": absence.staff, "date": date_format(absence.date)},
        )
        return redirect(here)
    initial = {"date": timezone.localdate()} if absence is None else {}
    form = AbsenceForm(
        request.POST if request.method == "POST" else None,
        instance=absence,
        school=school,
        initial=initial,
    )
    if request.method == "POST" and (
        saved := _saved(request, form, config.absence_save, school=school, absence=absence)
    ):
        messages.success(request, _("Saved: %(absence)s.") % {"absence": saved})
        return redirect(here)
    today = timezone.localdate()
    return _render(
        request,
        "absences.html",
        school,
        absences=config_reads.absences_for_school(school=school, since=today),
        editing=absence,
        form=form,
        today=today,
    )


# -- settings ------------------------------------------------------------------------------------


@login_required
@page
def school_settings(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    current = config_reads.school_settings_for(school=school)
    form = SchoolSettingsForm(request.POST or None, instance=current, school=school)
    if request.method == "POST" and _saved(
        request, form, config.school_settings_save, school=school
    ):
        messages.success(request, _("Saved the school's scheduling settings."))
        return redirect("school-settings", school_id=school.pk)
    return _render(request, "school_settings.html", school, form=form, saved=current.pk)
