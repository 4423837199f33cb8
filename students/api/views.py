"""Read endpoints for schools and people. Every one is scoped; student reads are audited.

Service details are on a need-to-know basis (``students.permissions``): a student's ``has_iep``
is null for a caller who may not see it, ``?has_iep=`` matches only students whose flag the
caller sees, and ``service-needs/`` lists only the needs of those students.
"""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from ..models import Cohort, Grade, School, ServiceNeed, Staff, Student
from ..permissions import service_details_q, with_service_sight
from . import serializers
from .filters import IdFilterSet
from .viewsets import ScopedReadOnlyViewSet


class SchoolViewSet(ScopedReadOnlyViewSet):
    queryset = School.objects.select_related("network")
    serializer_class = serializers.SchoolSerializer


class GradeViewSet(ScopedReadOnlyViewSet):
    queryset = Grade.objects.all()
    serializer_class = serializers.GradeSerializer
    filterset_fields = ["school"]


class CohortViewSet(ScopedReadOnlyViewSet):
    queryset = Cohort.objects.select_related("grade")
    serializer_class = serializers.CohortSerializer
    filterset_fields = ["school", "grade"]


class StudentFilter(IdFilterSet):
    enrolled_on = django_filters.DateFilter(method="filter_enrolled_on")
    has_iep = django_filters.BooleanFilter(
        method="filter_has_iep",
        label=gettext_lazy("Has an IEP (matches only students whose IEP flag you may see)"),
    )

    class Meta:
        model = Student
        fields = ["school", "grade", "cohort", "has_iep", "el_level", "intervention_tier"]

    def filter_enrolled_on(self, queryset, name, value):
        return queryset.enrolled_on(value)

    def filter_has_iep(self, queryset, name, value):
        # Either answer would tell a caller without the need to know who has an IEP.
        return queryset.filter(service_details_q(self.request.user), has_iep=value)


class StudentViewSet(ScopedReadOnlyViewSet):
    queryset = Student.objects.select_related("grade")
    serializer_class = serializers.StudentSerializer
    filterset_class = StudentFilter

    def get_queryset(self) -> QuerySet[Student]:
        return with_service_sight(super().get_queryset(), self.request.user)


class ServiceNeedViewSet(ScopedReadOnlyViewSet):
    queryset = ServiceNeed.objects.select_related("student")
    serializer_class = serializers.ServiceNeedSerializer
    filterset_fields = ["student", "kind", "provider_role"]

    def get_queryset(self) -> QuerySet[ServiceNeed]:
        mine = service_details_q(self.request.user, to_student="student__")
        return super().get_queryset().filter(mine)


class StaffViewSet(ScopedReadOnlyViewSet):
    queryset = (
        Staff.objects.filter(active=True)
        .select_related("user")
        .prefetch_related("role_grants", "grades", "cohorts")
    )
    serializer_class = serializers.StaffSerializer
    filterset_fields = ["school"]
