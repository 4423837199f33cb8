"""A user of school A sees school A's data and answers 404 for school B's, through every door:
pages, API and admin. These fail if ``scope_for_user`` stops filtering."""

import pytest
from django.apps import apps
from django.urls import reverse

from students.audit import school_id_of
from students.models import AuditAction, AuditEvent, Role
from students.permissions import visible_schools
from students.scoping import UnscopedModel, scope_for_user

from ..conftest import client_for
from ..factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

# Models that hold no school data, or only the user's own bookkeeping.
UNSCOPED_BY_DESIGN = {"students.usersession"}


def test_every_model_of_our_apps_declares_how_it_reaches_its_school():
    models = [
        m
        for app in ("students", "scheduling", "learninglabs")
        for m in apps.get_app_config(app).get_models()
        if m._meta.label_lower not in UNSCOPED_BY_DESIGN
    ]
    assert models, "no models found"
    missing = [m._meta.label for m in models if not hasattr(m, "school_scope")]
    assert missing == []


def test_a_model_without_a_scope_is_refused_rather_than_returned_whole(school_a):
    from students.models import UserSession

    with pytest.raises(UnscopedModel):
        scope_for_user(UserSession.objects.all(), school_a.teacher.user)


def test_staff_see_only_their_own_school(school_a, school_b):
    assert list(visible_schools(school_a.teacher.user)) == [school_a.school]


def test_a_leader_of_two_schools_sees_both(school_a, school_b, school_other_network):
    StaffFactory(user=school_a.leader.user, school=school_b.school, roles=[Role.LEADER])
    assert set(visible_schools(school_a.leader.user)) == {school_a.school, school_b.school}


def test_a_network_admin_sees_every_school_of_their_network_only(
    network_admin, school_a, school_b, school_other_network
):
    assert set(visible_schools(network_admin)) == {school_a.school, school_b.school}


def test_inactive_staff_and_inactive_users_see_nothing(school_a):
    school_a.teacher.active = False
    school_a.teacher.save()
    assert list(visible_schools(school_a.teacher.user)) == []
    leader_user = school_a.leader.user
    leader_user.is_active = False
    leader_user.save()
    assert list(visible_schools(leader_user)) == []


def test_a_user_with_no_school_sees_nothing(school_a):
    assert list(visible_schools(UserFactory())) == []


@pytest.mark.parametrize(
    "url_name, target",
    [
        ("school-detail", lambda w: w.school),
        ("cohort-roster", lambda w: w.student.cohort),
        ("student-detail", lambda w: w.student),
    ],
)
def test_pages_answer_404_for_another_schools_objects(school_a, school_b, url_name, target):
    client = client_for(school_a.teacher.user)

    own = client.get(reverse(url_name, args=[target(school_a).pk]))
    other = client.get(reverse(url_name, args=[target(school_b).pk]))

    assert own.status_code == 200
    assert other.status_code == 404


@pytest.mark.parametrize(
    "endpoint, target",
    [
        ("schools", lambda w: w.school),
        ("cohorts", lambda w: w.student.cohort),
        ("students", lambda w: w.student),
        ("service-needs", lambda w: w.iep_need),
        ("staff", lambda w: w.teacher),
        ("grades", lambda w: w.student.grade),
    ],
)
def test_api_answers_404_for_another_schools_objects(school_a, school_b, endpoint, target):
    # Service needs are the leaders' (and providers') to see: a teacher sees none of them.
    reader = school_a.leader if endpoint == "service-needs" else school_a.teacher
    client = client_for(reader.user)

    own = client.get(f"/api/v1/{endpoint}/{target(school_a).pk}/")
    other = client.get(f"/api/v1/{endpoint}/{target(school_b).pk}/")
    listing = client.get(f"/api/v1/{endpoint}/")

    assert own.status_code == 200
    assert other.status_code == 404
    assert other["Content-Type"] == "application/problem+json"
    ids = {row["id"] for row in listing.json()["results"]}
    assert target(school_a).pk in ids
    assert target(school_b).pk not in ids


@pytest.mark.parametrize(
    "admin_name, target",
    [
        ("students_school", lambda w: w.school),
        ("students_cohort", lambda w: w.student.cohort),
        ("students_student", lambda w: w.student),
        ("students_serviceneed", lambda w: w.iep_need),
        ("students_staff", lambda w: w.teacher),
    ],
)
def test_admin_hides_another_schools_objects(school_a, school_b, admin_name, target):
    client = client_for(school_a.leader.user)

    own = client.get(reverse(f"admin:{admin_name}_change", args=[target(school_a).pk]))
    other = client.get(reverse(f"admin:{admin_name}_change", args=[target(school_b).pk]))
    listing = client.get(reverse(f"admin:{admin_name}_changelist"))

    assert own.status_code == 200
    assert other.status_code == 404
    shown = list(listing.context["cl"].result_list)
    assert target(school_a) in shown
    assert {school_id_of(obj) for obj in shown} == {school_a.school.pk}


def test_admin_filters_do_not_name_other_schools(school_a, school_b):
    client = client_for(school_a.leader.user)
    page = client.get(reverse("admin:students_student_changelist")).content.decode()
    assert school_a.school.name in page
    assert school_b.school.name not in page


def test_a_teacher_cannot_open_the_admin(school_a):
    client = client_for(school_a.teacher.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_reaching_for_another_schools_record_is_recorded(school_a, school_b):
    client = client_for(school_a.teacher.user)

    client.get(reverse("student-detail", args=[school_b.student.pk]))
    client.get(f"/api/v1/students/{school_b.student.pk}/")

    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, user=school_a.teacher.user)
    assert [(e.model, e.object_id, e.school_id) for e in denied] == [
        ("students.student", str(school_b.student.pk), school_b.school.pk)
    ] * 2
    assert {e.via.split()[0] for e in denied} == {"page", "api"}


def test_admin_change_form_offers_only_the_leaders_cohorts(school_a, school_b):
    client = client_for(school_a.leader.user)
    response = client.get(reverse("admin:students_student_change", args=[school_a.student.pk]))
    cohort_choices = set(response.context["adminform"].form.fields["cohort"].queryset)
    assert cohort_choices == {school_a.student.cohort}


def test_every_api_view_filters_through_the_school_scope():
    from rest_framework.settings import api_settings

    from students.api.filters import SchoolScopeFilter
    from students.api.urls import router

    for _prefix, viewset, _basename in router.registry:
        backends = viewset.filter_backends or api_settings.DEFAULT_FILTER_BACKENDS
        assert SchoolScopeFilter in backends, viewset.__name__
