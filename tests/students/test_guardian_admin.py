"""The guardians' admin page: read-only, scoped to the schools of the reader's children's
schools, naming only the children the reader may see, by student id."""

import pytest
from django.urls import reverse

from students.models import AuditAction, AuditEvent, Guardian

from ..conftest import client_for
from ..factories import StudentFactory

pytestmark = pytest.mark.django_db


def guardian_of(*students, sourced_id: str) -> Guardian:
    guardian = Guardian.objects.create(
        network=students[0].school.network,
        sourced_id=sourced_id,
        given_name="Mai",
        family_name="Tran",
        phone="+1 408 555 0100",
    )
    guardian.students.set(students)
    return guardian


def test_a_leader_sees_guardians_of_their_schools_children_only(school_a, school_b):
    sibling_b = StudentFactory(school=school_b.school)
    both = guardian_of(school_a.student, sibling_b, sourced_id="g-both")
    only_b = guardian_of(school_b.student, sourced_id="g-b")
    client = client_for(school_a.leader.user)

    listing = client.get(reverse("admin:students_guardian_changelist"))

    assert listing.status_code == 200
    shown = list(listing.context["cl"].result_list)
    assert shown == [both]
    assert shown[0].children_seen == [school_a.student.local_id]  # not the school B sibling
    page = client.get(reverse("admin:students_guardian_change", args=[both.pk]))
    assert page.status_code == 200
    assert school_a.student.local_id in page.content.decode()
    assert sibling_b.local_id not in page.content.decode()
    assert (
        client.get(reverse("admin:students_guardian_change", args=[only_b.pk])).status_code == 404
    )


def test_guardians_are_read_only_in_the_admin(school_a):
    guardian = guardian_of(school_a.student, sourced_id="g-a")
    client = client_for(school_a.leader.user)

    assert client.get(reverse("admin:students_guardian_add")).status_code == 403
    response = client.post(
        reverse("admin:students_guardian_change", args=[guardian.pk]), {"given_name": "X"}
    )
    assert response.status_code == 403
    guardian.refresh_from_db()
    assert guardian.given_name == "Mai"


def test_the_children_a_guardian_page_shows_are_recorded_as_read(school_a, school_b):
    sibling_b = StudentFactory(school=school_b.school)
    guardian = guardian_of(school_a.student, sibling_b, sourced_id="g-both")
    leader = school_a.leader.user
    client = client_for(leader)

    client.get(reverse("admin:students_guardian_changelist"))
    client.get(reverse("admin:students_guardian_change", args=[guardian.pk]))

    events = AuditEvent.objects.filter(user_id=leader.pk, model="students.student")
    shown = {(e.action, e.object_id, e.detail.get("shown_in")) for e in events}
    assert shown == {
        (AuditAction.LIST, str(school_a.student.pk), "students.guardian_students"),
        (AuditAction.VIEW, str(school_a.student.pk), "students.guardian_students"),
    }
