from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Cohort, Grade, Network, School, ServiceNeed, Staff, Student


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "07:45"})
class ClockField(serializers.TimeField):
    """A wall-clock time of the school's day, ``HH:MM`` in the school's zone. Not an RFC 3339
    ``time`` (which carries a UTC offset): the offset depends on the date."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class SchoolSerializer(serializers.ModelSerializer):
    network: "serializers.SlugRelatedField[Network]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    timezone = serializers.CharField(
        source="time_zone",
        read_only=True,
        help_text=gettext_lazy("IANA time zone, e.g. America/Los_Angeles."),
    )

    class Meta:
        model = School
        fields = ["id", "name", "timezone", "slug", "network"]


class GradeSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="get_level_display")

    class Meta:
        model = Grade
        fields = ["id", "school", "level"]


class CohortSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(
        source="grade.get_level_display",
        help_text=gettext_lazy(
            "The grade whose rotation template the cohort follows. Its students keep "
            "their own grades (students' grade): a combination class holds several."
        ),
    )

    class Meta:
        model = Cohort
        fields = ["id", "school", "grade", "name"]


class StudentSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(source="grade.get_level_display")
    has_iep = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Whether the student has an IEP; null when you may not see it (shown to the "
            "school's leaders, special-education staff, the student's service providers and "
            "write-granted clients registered by a leader)."
        )
    )

    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "local_id",
            "first_name",
            "last_name",
            "grade",
            "cohort",
            "enrollment_start",
            "enrollment_end",
            "has_iep",
            "el_level",
            "intervention_tier",
        ]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_has_iep(self, student: Student) -> bool | None:
        # The view annotates ``services_visible`` (students.permissions.with_service_sight);
        # without it nothing is shown.
        return student.has_iep if getattr(student, "services_visible", False) else None


class ServiceNeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceNeed
        fields = [
            "id",
            "student",
            "kind",
            "minutes_per_week",
            "max_group_size",
            "provider_role",
            "session_minutes",
        ]


class StaffSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__")
    roles = serializers.SerializerMethodField()
    work_start = ClockField(read_only=True)
    work_end = ClockField(read_only=True)

    class Meta:
        model = Staff
        fields = ["id", "school", "name", "roles", "grades", "cohorts", "work_start", "work_end"]

    def get_roles(self, staff: Staff) -> list[str]:
        return sorted(grant.role for grant in staff.role_grants.all())
