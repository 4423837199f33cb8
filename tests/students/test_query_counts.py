"""Pages and API lists of people read in a fixed number of queries, however many rows."""

import pytest
from django.urls import reverse

from ..conftest import client_for
from ..factories import ServiceNeedFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_cohort(school_a):
    cohort = school_a.student.cohort
    for _ in range(30):
        student = StudentFactory(school=school_a.school, cohort=cohort, has_iep=True)
        ServiceNeedFactory(student=student)
    return cohort


def test_a_cohort_roster_reads_in_fixed_queries(school_a, big_cohort, django_assert_num_queries):
    client = client_for(school_a.teacher.user)
    # session, user, the cohort's school's time zone (rocketship.school_zone), the scoped
    # cohort, the roster, one bulk insert of audit events; the top bar's schools, led schools
    # and supervised labs
    with django_assert_num_queries(9):
        response = client.get(reverse("cohort-roster", args=[big_cohort.pk]))
    assert len(response.context["students"]) == 31


@pytest.mark.parametrize("endpoint", ["students", "service-needs"])
def test_api_lists_of_student_records_read_in_fixed_queries(
    school_a, big_cohort, endpoint, django_assert_num_queries
):
    # A leader, who sees every student's service needs (a teacher sees none of these).
    client = client_for(school_a.leader.user)
    # session, user, count, page of rows, one bulk insert of audit events
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/{endpoint}/")
    assert response.json()["count"] == 31
