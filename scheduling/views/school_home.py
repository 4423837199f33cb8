"""A school's home page: its cohorts and, for its leaders (and its network's admins), the morning
above them: today and the next school day at a glance (``scheduling.selectors.pages``). It lives
here rather than in ``students`` because it reads the day's schedules, and ``students`` stays
unaware of scheduling."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from students.audit import audit_reads
from students.models import AuditAction, School
from students.permissions import leads, page_via
from students.scoping import get_scoped_or_404
from students.selectors import cohorts_with_counts

from ..selectors.pages import morning_of


@login_required
def school_detail(request: HttpRequest, school_id: int) -> HttpResponse:
    school = get_scoped_or_404(
        School.objects.select_related("network"), request.user, via=page_via(request), pk=school_id
    )
    today = timezone.localdate()  # in the school's zone (rocketship.school_zone)
    morning = None
    if leads(request.user, school.pk):
        morning = morning_of(school=school, user=request.user, today=today)
        audit_reads(
            user=request.user,
            objects=morning.students_read,
            via=page_via(request),
            action=AuditAction.LIST,
        )
    return render(
        request,
        "students/school_detail.html",
        {
            "school": school,
            "today": today,
            "morning": morning,
            "cohorts": cohorts_with_counts(school=school, day=today),
        },
    )
