"""Read queries for the students pages, each a fixed number of SQL queries."""

import datetime

from django.db.models import Count, Q, QuerySet

from .models import Cohort, School, ServiceNeed, Student
from .permissions import AnyUser, service_details_q, with_service_sight
from .scoping import scope_for_user


def schools_for_user(*, user: AnyUser) -> QuerySet[School]:
    return scope_for_user(School.objects.select_related("network"), user).order_by("name")


def cohorts_with_counts(*, school: School, day: datetime.date) -> QuerySet[Cohort]:
    enrolled = Q(students__enrollment_start__lte=day) & (
        Q(students__enrollment_end__isnull=True) | Q(students__enrollment_end__gte=day)
    )
    return (
        Cohort.objects.filter(school=school)
        .select_related("grade")
        .annotate(student_count=Count("students", filter=enrolled))
        .order_by("grade__level", "name")
    )


def roster_for_cohort(*, cohort: Cohort, day: datetime.date, user: AnyUser) -> QuerySet[Student]:
    """The cohort's students enrolled on ``day``, each with ``services_visible``: whether
    ``user`` may see their IEP flag (``students.permissions``)."""
    return with_service_sight(
        Student.objects.filter(cohort=cohort)
        .enrolled_on(day)
        .select_related("grade")  # their own: a combination homeroom holds several grades
        .order_by("last_name", "first_name"),
        user,
    )


def service_needs_for_student(*, student: Student, user: AnyUser) -> QuerySet[ServiceNeed]:
    """``student``'s service needs that ``user`` may see (none unless they need to know)."""
    return (
        ServiceNeed.objects.filter(service_details_q(user, to_student="student__"), student=student)
        .select_related("student")
        .order_by("kind")
    )
