"""Read endpoints for schools and people. Every one is scoped; student reads are audited."""

import django_filters

from ..models import Cohort, Grade, School, ServiceNeed, Staff, Student
from . import serializers
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


class StudentFilter(django_filters.FilterSet):
    enrolled_on = django_filters.DateFilter(method="filter_enrolled_on")

    class Meta:
        model = Student
        fields = ["school", "grade", "cohort", "has_iep", "el_level", "intervention_tier"]

    def filter_enrolled_on(self, queryset, name, value):
        return queryset.enrolled_on(value)


class StudentViewSet(ScopedReadOnlyViewSet):
    queryset = Student.objects.select_related("grade")
    serializer_class = serializers.StudentSerializer
    filterset_class = StudentFilter


class ServiceNeedViewSet(ScopedReadOnlyViewSet):
    queryset = ServiceNeed.objects.select_related("student")
    serializer_class = serializers.ServiceNeedSerializer
    filterset_fields = ["student", "kind", "provider_role"]


class StaffViewSet(ScopedReadOnlyViewSet):
    queryset = (
        Staff.objects.filter(active=True)
        .select_related("user")
        .prefetch_related("role_grants", "grades", "cohorts")
    )
    serializer_class = serializers.StaffSerializer
    filterset_fields = ["school"]
