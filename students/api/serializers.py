from rest_framework import serializers

from ..models import Cohort, Grade, School, ServiceNeed, Staff, Student


class SchoolSerializer(serializers.ModelSerializer):
    network = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = School
        fields = ["id", "name", "slug", "network", "time_zone"]


class GradeSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="get_level_display")

    class Meta:
        model = Grade
        fields = ["id", "school", "level"]


class CohortSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(source="grade.get_level_display")

    class Meta:
        model = Cohort
        fields = ["id", "school", "grade", "name"]


class StudentSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(source="grade.get_level_display")

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


class ServiceNeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceNeed
        fields = ["id", "student", "kind", "minutes_per_week", "max_group_size", "provider_role"]


class StaffSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "school", "name", "roles", "grades", "cohorts", "work_start", "work_end"]

    def get_roles(self, staff: Staff) -> list[str]:
        return sorted(grant.role for grant in staff.role_grants.all())
