"""The top bar: links by role, the school picker, and where each person lands after login."""

import pytest
from django.urls import reverse

from students.models import Role
from tests.conftest import client_for
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def nav_links(response) -> list[str]:
    return [link.label for link in response.context["navigation"].day] + [
        link.label for link in response.context["navigation"].setup
    ]


def test_a_leader_sees_the_day_and_the_setup_of_their_school(school_a):
    response = client_for(school_a.leader.user).get(
        reverse("school-detail", kwargs={"school_id": school_a.school.pk})
    )
    labels = nav_links(response)
    assert {"My day", "Schedule", "Build", "Versions", "Rotation templates", "Calendar"} <= set(
        labels
    )
    for link in [*response.context["navigation"].day, *response.context["navigation"].setup]:
        assert client_for(school_a.leader.user).get(link.url).status_code == 200, link


def test_a_teacher_sees_their_day_and_no_setup(school_a):
    response = client_for(school_a.teacher.user).get(
        reverse("school-detail", kwargs={"school_id": school_a.school.pk})
    )
    labels = nav_links(response)
    assert "My day" in labels and "Schedule" in labels
    assert "Build" not in labels and response.context["navigation"].setup == ()
    assert response.context["navigation"].administer is False


def test_a_teacher_lands_on_their_day_and_a_leader_on_their_school(school_a):
    teacher = client_for(school_a.teacher.user).get("/")
    assert teacher.status_code == 302 and teacher["Location"].startswith(reverse("my-day"))
    leader = client_for(school_a.leader.user).get("/")
    assert leader["Location"] == reverse("school-detail", kwargs={"school_id": school_a.school.pk})


def test_someone_in_two_schools_picks_one_and_it_is_remembered(school_a, school_b):
    user = school_a.leader.user
    StaffFactory(user=user, school=school_b.school, roles=[Role.LEADER])
    client = client_for(user)
    picked = client.get("/", {"school": school_b.school.pk})
    assert picked["Location"] == reverse("school-detail", kwargs={"school_id": school_b.school.pk})
    page = client.get(picked["Location"])
    nav = page.context["navigation"]
    assert nav.school == school_b.school
    assert [s.name for s in nav.schools] == ["Alder", "Birch"]
    assert client.get(reverse("my-day")).context["navigation"].school == school_b.school


def test_the_picker_offers_only_schools_the_user_may_see(school_a, school_b):
    client = client_for(school_a.leader.user)
    nav = client.get(reverse("school-detail", kwargs={"school_id": school_a.school.pk})).context[
        "navigation"
    ]
    assert nav.schools == ()  # one school: no picker
    picked = client.get("/", {"school": school_b.school.pk})
    assert picked["Location"] == reverse("school-detail", kwargs={"school_id": school_a.school.pk})


def test_a_network_admin_finds_their_schools_roster_imports_and_the_audit_trail(
    network_admin, school_b
):
    """Before picking a school (two in the network), and on a school's page alike."""
    client = client_for(network_admin)
    for url in ["/", reverse("school-detail", kwargs={"school_id": school_b.school.pk})]:
        network = client.get(url).context["navigation"].network
        assert [link.label for link in network] == [
            "Schools",
            "Roster imports",
            "Home visit progress",
            "Audit trail",
        ]
        assert [link.url for link in network] == [
            reverse("school-list"),
            reverse("roster-imports", kwargs={"network_id": school_b.school.network_id}),
            reverse(
                "home-visits-network-progress", kwargs={"network_id": school_b.school.network_id}
            ),
            reverse("admin:students_auditevent_changelist"),
        ]
        for link in network:
            assert client.get(link.url).status_code == 200, link
    html = client.get("/").content.decode()
    assert f'href="{reverse("roster-imports", args=[school_b.school.network_id])}"' in html


def test_a_network_admin_of_one_school_lists_it_from_the_top_bar(network_admin, school_a):
    client = client_for(network_admin)
    assert client.get("/")["Location"] == reverse(
        "school-detail", kwargs={"school_id": school_a.school.pk}
    )
    schools = client.get(reverse("school-list"))
    assert schools.status_code == 200
    assert [s.name for s in schools.context["schools"]] == ["Alder"]
    setup = [link.label for link in schools.context["navigation"].setup]
    assert "Roster imports" not in setup  # in the network's links, once


def test_leaders_and_teachers_get_no_network_links(school_a):
    for staff in (school_a.leader, school_a.teacher):
        response = client_for(staff.user).get(
            reverse("school-detail", kwargs={"school_id": school_a.school.pk})
        )
        assert response.context["navigation"].network == ()
        assert "Audit trail" not in response.content.decode()


def test_a_network_admin_opens_home_visit_progress_from_the_top_bar(network_admin, school_a):
    client = client_for(network_admin)
    url = reverse("home-visits-network-progress", kwargs={"network_id": school_a.school.network_id})

    html = client.get(reverse("my-day")).content.decode()
    progress = client.get(url)

    assert f'href="{url}"' in html
    assert progress.status_code == 200
    assert progress.context["navigation"].network[2].current is True


def test_leaders_get_no_network_home_visit_progress_link(school_a):
    url = reverse("home-visits-network-progress", kwargs={"network_id": school_a.school.network_id})

    html = client_for(school_a.leader.user).get(reverse("my-day")).content.decode()

    assert f'href="{url}"' not in html
