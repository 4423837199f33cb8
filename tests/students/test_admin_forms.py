"""Admin forms keep a row's many-to-many choices inside its own school."""

import pytest
from django.urls import reverse

from students.models import Role

from ..conftest import client_for
from ..factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_leader_of_two_schools_cannot_give_a_teacher_the_other_schools_cohort(school_a, school_b):
    StaffFactory(user=school_a.leader.user, school=school_b.school, roles=[Role.LEADER])
    teacher = school_a.teacher
    client = client_for(school_a.leader.user)
    url = reverse("admin:students_staff_change", args=[teacher.pk])

    response = client.post(
        url,
        {
            "user": teacher.user.pk,
            "school": school_a.school.pk,
            "active": "on",
            "cohorts": [school_a.student.cohort.pk, school_b.student.cohort.pk],
            "work_start": "07:45",
            "work_end": "15:45",
            "role_grants-TOTAL_FORMS": 0,
            "role_grants-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["cohorts"] == [
        f"{school_b.student.cohort}: not of {school_a.school}; choose only {school_a.school}'s."
    ]
    assert list(teacher.cohorts.all()) == [school_a.student.cohort]
