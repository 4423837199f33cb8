"""Progress pages: a school's cohorts, a cohort ranked by need, one student's charts.

Thin: scope (another school's object answers 404), check the user may see the cohort's progress
(403 for other staff of the school), read through ``learninglabs.pace``, audit student reads,
render. The charts are inline SVG (``learninglabs.pace.ProgramCharts``, drawn with
``rocketship.charts``), each with a data table beside it.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from students.audit import audit_reads
from students.models import AuditAction, Cohort, School, Student
from students.permissions import leads, may_see_cohort, page_via, served_cohorts
from students.scoping import get_scoped_or_404

from .pace import cohort_progress, student_progress_charts


def _today(school: School) -> datetime.date:
    return timezone.localdate(timezone=school.zone)


@login_required
@require_GET
def school_progress(request: HttpRequest, school_id: int) -> HttpResponse:
    """The cohorts whose progress the user may read: all for a leader, their own for staff."""
    school = get_scoped_or_404(
        School.objects.select_related("network"), request.user, via=page_via(request), pk=school_id
    )
    cohorts = Cohort.objects.filter(school=school).select_related("grade")
    if not leads(request.user, school.pk):
        cohorts = cohorts.filter(served_cohorts(request.user, school)).distinct()
    return render(
        request,
        "learninglabs/school_progress.html",
        {
            "school": school,
            "today": _today(school),
            "cohorts": cohorts.order_by("grade__level", "name"),
        },
    )


@login_required
@require_GET
def cohort_progress_page(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_scoped_or_404(
        Cohort.objects.select_related("school", "grade"),
        request.user,
        via=page_via(request),
        pk=cohort_id,
    )
    if not may_see_cohort(request.user, cohort):
        raise PermissionDenied(
            gettext("Only the school's leaders and the cohort's teachers see this.")
        )
    today = _today(cohort.school)
    rows = cohort_progress(cohort=cohort, date=today)
    students = list({row.student.pk: row.student for row in rows}.values())
    audit_reads(user=request.user, objects=students, via=page_via(request), action=AuditAction.LIST)
    return render(
        request,
        "learninglabs/cohort_progress.html",
        {"cohort": cohort, "school": cohort.school, "today": today, "rows": rows},
    )


@login_required
@require_GET
def student_progress_page(request: HttpRequest, student_id: int) -> HttpResponse:
    student = get_scoped_or_404(
        Student.objects.select_related("school", "grade", "cohort__grade"),
        request.user,
        via=page_via(request),
        pk=student_id,
    )
    allowed = leads(request.user, student.school_id) or (
        student.cohort is not None and may_see_cohort(request.user, student.cohort)
    )
    if not allowed:
        raise PermissionDenied(
            gettext("Only the school's leaders and the student's teachers see this.")
        )
    today = _today(student.school)
    programs = student_progress_charts(student=student, date=today)
    audit_reads(user=request.user, objects=[student], via=page_via(request))
    return render(
        request,
        "learninglabs/student_progress.html",
        {"student": student, "school": student.school, "today": today, "programs": programs},
    )
