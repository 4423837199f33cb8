"""No small leaks: a hostile tenant learns nothing of another school by the side doors.

- A list filtered by another school's id (or its cohort's, student's, grade's) answers exactly as
  for an id that does not exist: the same status and the same body.
- The admin's raw-id widgets (the label beside the id, the lookup popup) and its autocomplete
  show nothing of other schools.
- The versions API hides drafts from teachers and read-only tokens.
- A calendar feed stops answering when its maker leaves the school.
"""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import ScheduleStatus
from scheduling.services.feeds import calendar_feed_create
from students.clients import api_client_create, api_token_issue
from students.models import ServiceKind, Staff

from ..conftest import client_for
from ..factories import NetworkAdminFactory, UserFactory
from ..scheduling.factories import ScheduleFactory

pytestmark = pytest.mark.django_db

MISSING = 987_654_321


def token_client(school, *, can_write: bool = False) -> Client:
    client = api_client_create(
        network=school.network,
        name=f"Client {school.pk} {can_write}",
        schools=[school],
        can_write=can_write,
        by=None,
    )
    return Client(headers={"Authorization": f"Token {api_token_issue(client=client)[1]}"})


def without_csrf(content: bytes) -> bytes:
    """A page's body without its CSRF token, which is masked afresh for every response."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"<csrf>", content)


def same_answer(first, second) -> None:
    assert first.status_code == second.status_code
    assert first["Content-Type"] == second["Content-Type"]
    assert without_csrf(first.content) == without_csrf(second.content)


# --- lists filtered by another school's ids ----------------------------------------------------


FILTERS = [
    ("students", "school", lambda w: w.school.pk),
    ("students", "cohort", lambda w: w.student.cohort_id),
    ("students", "grade", lambda w: w.student.grade_id),
    ("grades", "school", lambda w: w.school.pk),
    ("cohorts", "school", lambda w: w.school.pk),
    ("cohorts", "grade", lambda w: w.student.grade_id),
    ("service-needs", "student", lambda w: w.student.pk),
    ("staff", "school", lambda w: w.school.pk),
    ("nightly-runs", "school", lambda w: w.school.pk),
]


@pytest.mark.parametrize(("collection", "param", "id_of"), FILTERS)
@pytest.mark.parametrize("caller", ["leader", "token"])
def test_a_list_filtered_by_another_schools_id_answers_as_for_a_missing_id(
    school_a, school_b, school_other_network, collection, param, id_of, caller
):
    api = client_for(school_a.leader.user) if caller == "leader" else token_client(school_a.school)
    url = f"/api/v1/{collection}/"

    own = api.get(url, {param: id_of(school_a)})
    missing = api.get(url, {param: MISSING})
    for other in (school_b, school_other_network):
        same_answer(api.get(url, {param: id_of(other)}), missing)
    assert own.status_code == 200
    assert missing.status_code == 200  # an id the schema allows is never refused
    assert json.loads(missing.content)["results"] == []


def test_my_day_for_another_schools_id_answers_as_for_a_missing_one(school_a, school_b):
    client = client_for(school_a.teacher.user)

    other = client.get(reverse("my-day"), {"school": school_b.school.pk})
    missing = client.get(reverse("my-day"), {"school": MISSING})

    assert other.status_code == 404
    same_answer(other, missing)


@pytest.mark.parametrize("raw", ["abc", "9" * 30, "-1"])
def test_my_day_for_a_school_that_is_no_id_answers_404(school_a, raw):
    response = client_for(school_a.teacher.user).get(reverse("my-day"), {"school": raw})

    assert response.status_code == 404


# --- the admin's raw-id widgets and autocomplete -----------------------------------------------


def test_the_raw_id_label_names_no_student_of_another_school(school_a, school_b):
    admin = client_for(school_a.leader.user)
    stranger = school_b.student

    shown = admin.get("/admin/students/serviceneed/add/", {"student": stranger.pk})
    own = admin.get("/admin/students/serviceneed/add/", {"student": school_a.student.pk})

    html = shown.content.decode()
    assert shown.status_code == 200
    assert stranger.local_id not in html and stranger.last_name not in html
    assert f"/admin/students/student/{stranger.pk}/change/" not in html
    assert str(school_a.student) in own.content.decode()  # its own student is named


def test_a_refused_form_shown_again_names_no_student_of_another_school(school_a, school_b):
    admin = client_for(school_a.leader.user)
    stranger = school_b.student

    response = admin.post(
        "/admin/students/serviceneed/add/",
        {
            "student": stranger.pk,
            "kind": ServiceKind.IEP,
            "minutes_per_week": 60,
            "max_group_size": 4,
            "provider_role": "sped",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200  # the form again, with the error
    assert "errornote" in html
    assert stranger.local_id not in html
    assert f"/admin/students/student/{stranger.pk}/change/" not in html
    assert not stranger.service_needs.filter(minutes_per_week=60).exists()


def test_the_progress_record_raw_id_names_no_student_of_another_school(school_a, school_b):
    admin = client_for(school_a.leader.user)
    stranger = school_b.student

    response = admin.get("/admin/learninglabs/progressrecord/add/", {"student": stranger.pk})

    assert response.status_code == 200
    assert stranger.local_id not in response.content.decode()


def test_the_raw_id_lookup_popup_lists_only_the_users_schools(school_a, school_b):
    admin = client_for(school_a.leader.user)

    response = admin.get("/admin/students/student/", {"_to_field": "id", "_popup": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert school_a.student.local_id in html
    assert school_b.student.local_id not in html


def test_the_admin_autocomplete_finds_no_student_of_another_school(school_a, school_b):
    admin = client_for(school_a.leader.user)

    def search(term: str) -> list:
        response = admin.get(
            "/admin/autocomplete/",
            {
                "app_label": "students",
                "model_name": "serviceneed",
                "field_name": "student",
                "term": term,
            },
        )
        assert response.status_code == 200
        return json.loads(response.content)["results"]

    assert search(school_b.student.local_id) == []
    assert [r["id"] for r in search(school_a.student.local_id)] == [str(school_a.student.pk)]


# --- the versions API hides drafts ---------------------------------------------------------------


@pytest.fixture
def versions(school_a):
    published = ScheduleFactory(school=school_a.school, version=1, status=ScheduleStatus.PUBLISHED)
    draft = ScheduleFactory(
        school=school_a.school,
        date=published.date,
        day_type=published.day_type,
        version=2,
        status=ScheduleStatus.DRAFT,
    )
    url = f"/api/v1/schools/{school_a.school.pk}/schedules/{published.date.isoformat()}/versions/"
    return url, published, draft


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [v["status"] for v in json.loads(response.content)["versions"]]


def test_a_teacher_and_a_read_only_token_see_no_drafts(school_a, versions):
    url, _, _ = versions

    assert statuses(client_for(school_a.teacher.user).get(url)) == ["published"]
    assert statuses(token_client(school_a.school).get(url)) == ["published"]


def test_leaders_network_admins_and_writing_tokens_see_the_drafts(school_a, versions):
    url, _, _ = versions
    network_admin = NetworkAdminFactory(network=school_a.school.network, user=UserFactory()).user

    assert statuses(client_for(school_a.leader.user).get(url)) == ["draft", "published"]
    assert statuses(client_for(network_admin).get(url)) == ["draft", "published"]
    assert statuses(token_client(school_a.school, can_write=True).get(url)) == [
        "draft",
        "published",
    ]


# --- a calendar feed stops when its maker leaves the school --------------------------------------


def fetch(path: str):
    return Client().get(path)


@pytest.fixture
def feeds(school_a):
    """A leader's feed of a teacher, and of the teacher's cohort; both answer at first."""
    leader = school_a.leader
    _, staff_feed = calendar_feed_create(by=leader.user, staff=school_a.teacher)
    _, cohort_feed = calendar_feed_create(by=leader.user, cohort=school_a.student.cohort)
    assert fetch(staff_feed).status_code == 200
    assert fetch(cohort_feed).status_code == 200
    return staff_feed, cohort_feed


def test_a_feed_stops_when_its_makers_staff_row_ends(school_a, feeds):
    Staff.objects.filter(pk=school_a.leader.pk).update(active=False)

    assert [fetch(path).status_code for path in feeds] == [404, 404]


def test_a_feed_stops_when_its_makers_staff_row_is_removed(school_a, feeds):
    Staff.objects.filter(pk=school_a.leader.pk).delete()

    assert [fetch(path).status_code for path in feeds] == [404, 404]


def test_a_feed_stops_when_its_maker_is_deactivated(school_a, feeds):
    user = school_a.leader.user
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert [fetch(path).status_code for path in feeds] == [404, 404]


def test_a_feed_stops_when_its_makers_account_is_deleted(school_a, feeds):
    user = school_a.leader.user
    Staff.objects.filter(user=user).delete()
    user.delete()

    assert [fetch(path).status_code for path in feeds] == [404, 404]


def test_a_feed_made_by_a_network_admin_answers_while_they_administer_the_network(school_a):
    admin_grant = NetworkAdminFactory(network=school_a.school.network, user=UserFactory())
    _, path = calendar_feed_create(by=admin_grant.user, cohort=school_a.student.cohort)

    assert fetch(path).status_code == 200
    admin_grant.delete()
    assert fetch(path).status_code == 404


def test_a_feed_keeps_answering_while_its_maker_works_at_the_school(school_a, school_b, feeds):
    # Leaving another school changes nothing here.
    Staff.objects.create(school=school_b.school, user=school_a.leader.user, active=False)

    assert [fetch(path).status_code for path in feeds] == [200, 200]
