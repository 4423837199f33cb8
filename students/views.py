"""Pages for schools, cohort rosters and student records. Thin: scope, select, audit, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from .audit import audit_reads
from .models import AuditAction, Cohort, Student
from .permissions import led_schools, page_via, with_service_sight
from .scoping import get_scoped_or_404
from .selectors import (
    roster_for_cohort,
    schools_for_user,
    service_needs_for_student,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Leaders land on their school, teachers on their day; the school picker comes here too.
    A guardian (a family account, which ``students`` knows only by its name) lands on their
    family page."""
    if hasattr(request.user, "family_account"):
        return redirect("family-home")
    schools = list(schools_for_user(user=request.user))
    picked = request.GET.get("school", "")
    chosen = [s for s in schools if str(s.pk) == picked]
    if not led_schools(request.user).exists() and schools:
        query = f"?school={chosen[0].pk}" if chosen else ""
        return redirect(reverse("my-day") + query)
    if chosen or len(schools) == 1:
        return redirect("school-detail", school_id=(chosen or schools)[0].pk)
    return render(request, "students/home.html", {"schools": schools})


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    """Every school the user may see, without the home page's redirect to the only one: a
    network admin's schools, from their top bar."""
    schools = list(schools_for_user(user=request.user))
    return render(request, "students/home.html", {"schools": schools})


@login_required
def cohort_roster(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_scoped_or_404(
        Cohort.objects.select_related("school", "grade"),
        request.user,
        via=page_via(request),
        pk=cohort_id,
    )
    today = timezone.localdate()  # in the school's zone (rocketship.school_zone)
    students = list(roster_for_cohort(cohort=cohort, day=today, user=request.user))
    audit_reads(user=request.user, objects=students, via=page_via(request), action=AuditAction.LIST)
    return render(
        request,
        "students/cohort_roster.html",
        {
            "cohort": cohort,
            "school": cohort.school,
            "today": today,
            "students": students,
            "combination": any(s.grade_id != cohort.grade_id for s in students),
        },
    )


@login_required
def student_detail(request: HttpRequest, student_id: int) -> HttpResponse:
    students = Student.objects.select_related("school", "grade", "cohort")
    student = get_scoped_or_404(
        with_service_sight(students, request.user),
        request.user,
        via=page_via(request),
        pk=student_id,
    )
    needs = list(service_needs_for_student(student=student, user=request.user))
    audit_reads(user=request.user, objects=[student, *needs], via=page_via(request))
    return render(
        request,
        "students/student_detail.html",
        {"student": student, "school": student.school, "needs": needs},
    )
