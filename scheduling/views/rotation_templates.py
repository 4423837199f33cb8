"""The rotation template pages: a school's templates, and the editor of one template's stations
with its live checks. Thin: scope, bind the form, call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from students.models import School
from students.permissions import page_via
from students.scoping import get_scoped_or_404

from ..forms.rotation_templates import (
    StationFormSet,
    TemplateCreateForm,
    stored_station_data,
    with_new_row,
)
from ..models import RotationTemplate
from ..services.templates import (
    TemplateInvalid,
    template_create,
    template_save,
    templates_for_school,
)
from ..solver.clock import grade_name
from .school_scope import led_school


def _template(request: HttpRequest, school: School, template_id: int) -> RotationTemplate:
    """The template, looked up within ``school``: another school's id answers 404."""
    return get_scoped_or_404(
        RotationTemplate.objects.filter(school=school).select_related("grade", "day_type"),
        request.user,
        via=page_via(request),
        pk=template_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest, school_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    form = TemplateCreateForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_create(
                school=school,
                grade_level=form.cleaned_data["grade"],
                day_type=form.cleaned_data["day_type"],
                copy_from=form.cleaned_data["copy_from"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("Created the template for %(template)s.") % {"template": _title(template)},
            )
            return redirect("template-edit", school_id=school.pk, template_id=template.pk)
    return render(
        request,
        "scheduling/rotation_templates/list.html",
        {"school": school, "summaries": templates_for_school(school=school), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, school_id: int, template_id: int) -> HttpResponse:
    school = led_school(request, school_id)
    template = _template(request, school, template_id)
    if request.method == "GET":
        # Bound to what is stored, so the page opens showing what a save would refuse.
        formset = StationFormSet(stored_station_data(template), instance=template)
    elif request.POST.get("action") == "add":
        data, new_row = with_new_row(request.POST)
        formset = StationFormSet(data, instance=template)
        formset.focus(new_row)
    else:
        formset = StationFormSet(request.POST, instance=template)
        if formset.is_valid():
            try:
                template_save(template=template, stations=formset.station_inputs())
            except TemplateInvalid as error:
                formset.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("Saved the stations of %(template)s.") % {"template": _title(template)},
                )
                return redirect("template-edit", school_id=school.pk, template_id=template.pk)
    formset.is_valid()  # every row's errors, shown beside its fields
    return render(
        request,
        "scheduling/rotation_templates/edit.html",
        {
            "school": school,
            "template": template,
            "title": _title(template),
            "formset": formset,
        },
    )


@login_required
@require_POST
def template_validate(request: HttpRequest, school_id: int, template_id: int) -> HttpResponse:
    """The editor's live check (htmx): the posted stations checked exactly as a save would,
    answered with the summary and every field's error slot; nothing is saved, and no input is
    sent back, so the field being typed in keeps its value and focus."""
    school = led_school(request, school_id)
    template = _template(request, school, template_id)
    formset = StationFormSet(request.POST, instance=template)
    formset.is_valid()
    # A fragment: rendered without the page's context processors (the navigation bar).
    return HttpResponse(
        render_to_string(
            "scheduling/rotation_templates/_validation.html",
            {"school": school, "template": template, "formset": formset},
        )
    )


def _title(template: RotationTemplate) -> str:
    return f"{grade_name(template.grade.level)}, {template.day_type.name}"
