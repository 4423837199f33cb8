"""A special-education teacher logs in, finds a homeroom roster and a student's services, and
cannot open another school's student."""

import pytest

from students.models import Role

from ..factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sped_teacher_walks_from_login_to_a_students_services(
    live_server, page, school_a, school_b
):
    student = school_a.student
    # Service needs are need to know: special-education staff see them, a humanities teacher not.
    sped = StaffFactory(school=school_a.school, roles=[Role.SPED], cohorts=[student.cohort])

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", sped.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("h1:has-text('My day')")
    page.click("nav >> text=Cohorts")
    page.wait_for_selector(f"h1:has-text('{school_a.school.name}')")
    page.click(f"text={student.cohort.name}")
    page.click(f"text={student.last_name}, {student.first_name}")
    page.wait_for_selector(f"h1:has-text('{student.full_name}')")
    assert page.locator("td", has_text="IEP special education").count() == 1

    response = page.goto(f"{live_server.url}/students/{school_b.student.pk}/")
    assert response is not None and response.status == 404
    assert school_b.student.last_name not in page.content()
