"""Need to know: a student's IEP flag, service needs and minutes reach only the school's leaders
(and network admins), special-education staff and the providers of that student's services.

The attack: any teacher, tutor or read-only API client of the school read every student's IEP
and service minutes from the pages (My day, the cohort roster, the student page), the API
(students, service needs, a staff roster, a student's day) and the admin. Each role below asks
for Zoe's details through each door and gets exactly what the rule in ``students.permissions``
allows. Zoe has an IEP (120 minutes a week from special education) and an ELD need (90 minutes a
week from a tutor); Mr. Tutor provides her ELD, so he is one of her providers.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from students.clients import api_client_create, api_token_issue
from students.models import Cohort, ELLevel, Role, School, ServiceKind, Staff, Student
from students.permissions import may_see_service_details, students_with_visible_services

from ..conftest import client_for
from ..factories import (
    CohortFactory,
    GradeFactory,
    NetworkAdminFactory,
    RoomFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..scheduling.factories import ScheduledBlockFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

DATE = datetime.date(2026, 11, 24)
T = datetime.time
ROLES = ["leader", "sped", "tutor", "humanities", "stem", "ils", "specials"]
SEE = {"leader", "network_admin", "sped", "tutor"}  # and the leader's integration token


@dataclass
class World:
    school: School
    cohort: Cohort
    zoe: Student
    staff: dict[str, Staff]
    network_admin: User


@pytest.fixture
def world() -> World:
    school = SchoolFactory.create(name="Alder")
    grade = GradeFactory.create(school=school)
    cohort = CohortFactory.create(school=school, grade=grade, name="3 Howard")
    zoe = StudentFactory.create(
        school=school,
        cohort=cohort,
        grade=grade,
        first_name="Zoe",
        last_name="Aaron",
        has_iep=True,
        el_level=ELLevel.EMERGING,
    )
    ServiceNeedFactory.create(
        student=zoe, kind=ServiceKind.IEP, minutes_per_week=120, provider_role=Role.SPED
    )
    ServiceNeedFactory.create(
        student=zoe, kind=ServiceKind.ELD, minutes_per_week=90, provider_role=Role.TUTOR
    )
    StudentFactory.create(school=school, cohort=cohort, grade=grade, last_name="Baker")
    staff = {
        role: StaffFactory.create(school=school, roles=[role], cohorts=[cohort], grades=[grade])
        for role in ROLES
    }
    schedule = ScheduleFactory.create(school=school, date=DATE, status="published")
    room = RoomFactory.create(school=school, name="Room 9")
    for hour, member in enumerate(staff.values(), start=8):  # each of them teaches the cohort
        ScheduledBlockFactory.create(
            schedule=schedule,
            cohort=cohort,
            station="literacy",
            start=T(hour),
            end=T(hour, 40),
            room=room,
            staff=member,
        )
    admin = NetworkAdminFactory.create(network=school.network, user=UserFactory.create()).user
    return World(school, cohort, zoe, staff, admin)


def person(world: World, role: str):
    return world.network_admin if role == "network_admin" else world.staff[role].user


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["network_admin", *ROLES])
def test_the_student_page_shows_the_iep_and_services_only_to_those_who_need_to_know(world, role):
    html = client_for(person(world, role)).get(reverse("student-detail", args=[world.zoe.pk]))
    assert html.status_code == 200
    page = text(html.content.decode())

    shown = {
        "iep flag": "<dt>IEP</dt>" in html.content.decode(),
        "iep service": "IEP special education" in page,
        "eld service": "English language development" in page,
        "minutes": " 120 " in page and " 90 " in page,
    }
    expected = role in SEE
    assert shown == dict.fromkeys(shown, expected)
    assert "English learner" in page and "Emerging" in page  # EL status is not a service detail


@pytest.mark.parametrize("role", ["network_admin", *ROLES])
def test_the_cohort_roster_marks_the_iep_only_for_those_who_need_to_know(world, role):
    html = client_for(person(world, role)).get(reverse("cohort-roster", args=[world.cohort.pk]))

    row = re.search(r"Aaron, Zoe</a></td>\s*<td>(.*?)</td>", html.content.decode(), re.S).group(1)
    assert ("IEP" in row) is (role in SEE)


@pytest.mark.parametrize("role", ROLES)
def test_my_day_marks_iep_and_service_minutes_only_for_those_who_need_to_know(world, role):
    response = client_for(person(world, role)).get(
        f"{reverse('my-day')}?date={DATE.isoformat()}&school={world.school.pk}"
    )

    html = response.content.decode()
    zoe = re.search(r"Aaron, Zoe</a></td>\s*<td>(.*?)</td>", html, re.S).group(1)
    badges = re.findall(r'class="badge badge-(\w+)"[^>]*>([^<]+)<', zoe)
    if role in SEE:
        assert badges == [
            ("iep", "IEP"),
            ("el", "EL: Emerging"),
            ("service", "ELD 90 min/wk"),
            ("service", "SpEd 120 min/wk"),
        ]
    else:
        assert badges == [("el", "EL: Emerging")]
        assert "SpEd" not in html and "min/wk" not in html


# --- API -----------------------------------------------------------------------------------------


def api_as(world: World, who: str) -> APIClient:
    """A person's session, or a token: ``token`` (read-only, registered by a leader),
    ``integration`` (write grant, registered by a leader), ``orphan`` (write grant, registered
    by someone who no longer leads the school)."""
    api = APIClient()
    if who not in ("token", "integration", "orphan"):
        api.force_login(person(world, who))
        return api
    registrant = world.staff["leader"].user
    if who == "orphan":
        registrant = StaffFactory.create(school=world.school, roles=[Role.LEADER]).user
    client = api_client_create(
        network=world.school.network,
        name=f"{who} client",
        schools=[world.school],
        can_write=who != "token",
        by=registrant,
    )
    if who == "orphan":
        Staff.objects.filter(user=registrant).update(active=False)  # they left the school
    _, key = api_token_issue(client=client)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


API_CALLERS = ["network_admin", *ROLES, "token", "integration", "orphan"]
API_SEE = SEE | {"integration"}


@pytest.mark.parametrize("who", API_CALLERS)
def test_the_student_api_gives_the_iep_flag_only_to_those_who_need_to_know(world, who):
    api = api_as(world, who)

    student = api.get(f"/api/v1/students/{world.zoe.pk}/").json()
    with_iep = api.get("/api/v1/students/", {"has_iep": "true"}).json()
    without_iep = api.get("/api/v1/students/", {"has_iep": "false"}).json()
    needs = api.get("/api/v1/service-needs/", {"student": world.zoe.pk}).json()

    sees = who in API_SEE
    assert student["has_iep"] is (True if sees else None)
    assert student["el_level"] == "emerging"
    # Filtering by the flag must not tell it either: Zoe is in neither answer for them.
    assert ([s["id"] for s in with_iep["results"]] == [world.zoe.pk]) is sees
    assert world.zoe.pk not in [s["id"] for s in without_iep["results"]]
    if sees:
        assert sorted((n["kind"], n["minutes_per_week"]) for n in needs["results"]) == [
            ("eld", 90),
            ("iep", 120),
        ]
    else:
        assert needs["count"] == 0


@pytest.mark.parametrize("who", API_CALLERS)
def test_a_service_need_by_id_answers_404_to_those_who_need_not_know(world, who):
    need = world.zoe.service_needs.get(kind=ServiceKind.IEP)

    response = api_as(world, who).get(f"/api/v1/service-needs/{need.pk}/")

    if who in API_SEE:
        assert response.status_code == 200
        assert response.json()["minutes_per_week"] == 120
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("who", API_CALLERS)
def test_a_staff_roster_flags_the_iep_only_for_those_who_need_to_know(world, who):
    humanities = world.staff["humanities"]

    body = api_as(world, who).get(f"/api/v1/staff/{humanities.pk}/roster/{DATE}/").json()

    (block,) = body["blocks"]
    zoe = next(s for s in block["students"] if s["id"] == world.zoe.pk)
    assert zoe["has_iep"] is (True if who in API_SEE else None)
    assert zoe["english_learner"] is True


# --- admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sped", "tutor", "humanities", "stem", "ils", "specials"])
def test_staff_who_lead_no_school_cannot_reach_the_admin(world, role):
    client = client_for(person(world, role))

    response = client.get(reverse("admin:students_student_change", args=[world.zoe.pk]))

    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["leader", "network_admin"])
def test_leaders_and_network_admins_see_the_iep_and_services_in_the_admin(world, role):
    client = client_for(person(world, role))

    change = client.get(reverse("admin:students_student_change", args=[world.zoe.pk]))
    needs = client.get(reverse("admin:students_serviceneed_changelist"))

    assert change.status_code == 200
    assert 'name="has_iep"' in change.content.decode()
    assert needs.context["cl"].result_count == 2


def test_a_leader_elsewhere_sees_this_schools_students_in_the_admin_without_their_services(world):
    # Ms. Dual leads another school and teaches humanities here: the admin opens for her, and
    # shows this school's students as a humanities teacher may see them.
    dual = StaffFactory.create(
        school=SchoolFactory.create(network=world.school.network), roles=[Role.LEADER]
    )
    StaffFactory.create(school=world.school, user=dual.user, roles=[Role.HUMANITIES])
    client = client_for(dual.user)

    change = client.get(reverse("admin:students_student_change", args=[world.zoe.pk]))
    listing = client.get(reverse("admin:students_student_changelist"))
    filtered = client.get(reverse("admin:students_student_changelist"), {"has_iep": "1"})
    needs = client.get(reverse("admin:students_serviceneed_changelist"))
    need = world.zoe.service_needs.get(kind=ServiceKind.IEP)
    one_need = client.get(reverse("admin:students_serviceneed_change", args=[need.pk]))

    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="has_iep"' not in html and "service_needs-TOTAL_FORMS" not in html
    assert "field-has_iep" not in html  # not even read-only
    assert "IEP special education" not in html
    zoe = next(s for s in listing.context["cl"].result_list if s.pk == world.zoe.pk)
    assert listing.context["cl"].model_admin.iep(zoe) is None
    assert filtered.context["cl"].result_count == 0
    assert needs.context["cl"].result_count == 0
    assert one_need.status_code == 404


# --- the rule itself, set-wise ------------------------------------------------------------------


def test_the_set_wise_helper_answers_for_a_whole_school_in_one_query(
    world, django_assert_num_queries
):
    students = Student.objects.filter(school=world.school)
    answers = {}
    for role in ["network_admin", *ROLES]:
        user = person(world, role)
        with django_assert_num_queries(1):
            answers[role] = students_with_visible_services(user, students)

    assert {role for role, ids in answers.items() if world.zoe.pk in ids} == SEE
    # Leaders and special education see every student; Zoe's tutor sees only his students.
    assert answers["sped"] == set(students.values_list("pk", flat=True))
    assert answers["tutor"] == {world.zoe.pk}
    assert may_see_service_details(person(world, "tutor"), world.zoe) is True
    assert may_see_service_details(person(world, "humanities"), world.zoe) is False


def test_a_staff_member_who_left_the_school_no_longer_provides(world):
    tutor = world.staff["tutor"]
    Staff.objects.filter(pk=tutor.pk).update(active=False)

    assert may_see_service_details(tutor.user, world.zoe) is False
