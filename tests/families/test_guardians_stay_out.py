"""Guardians never reach a staff page, the admin or the API: every named URL of the project is
opened by a signed-in guardian, its ids filled with real objects of their own child's school,
and only family pages (and the account pages everyone has) answer 200. A guardian of a withdrawn
child loses that child the day after the enrollment's last day."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from families.access import child_or_404, school_today
from families.boundary import OPEN_TO_FAMILIES
from scheduling.models import RotationTemplate
from students.models import ApiClient

from ..factories import PASSWORD, RoomFactory, StudentFactory
from ..scheduling.factories import DayTypeFactory, ScheduleFactory
from .signin_helpers import family_account, guardian_of

pytestmark = pytest.mark.django_db


def named_patterns() -> list[tuple[str, list[str]]]:
    """Every named URL as (``namespace:name``, its keyword arguments)."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str) -> None:  # type: ignore[no-untyped-def]
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(
                    pattern.url_patterns,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((name, list(pattern.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def guardian_world(school_a):  # type: ignore[no-untyped-def]
    school = school_a.school
    guardian = guardian_of(school_a.student)
    account = family_account(guardian)
    room = RoomFactory(school=school)
    day_type = DayTypeFactory(school=school)
    schedule = ScheduleFactory(school=school)
    template = RotationTemplate.objects.filter(school=school).first()
    client = ApiClient.objects.filter(schools=school).first()
    ids = {
        "school_id": school.pk,
        "student_id": school_a.student.pk,
        "cohort_id": school_a.student.cohort_id,
        "staff_id": school_a.teacher.pk,
        "guardian_id": guardian.pk,
        "network_id": school.network_id,
        "room_id": room.pk,
        "zone_id": room.pk,
        "day_type_id": day_type.pk,
        "schedule_id": schedule.pk,
        "template_id": template.pk if template else 1,
        "client_id": client.pk if client else 1,
        "pk": school_a.student.pk,
        "object_id": str(school_a.student.pk),
        "id": str(school_a.student.pk),
        "date": school_today(school_a.student.school).isoformat(),
        "start": school_today(school_a.student.school).isoformat(),
        "format": "json",
    }
    return account, ids


def url_of(name: str, args: list[str], ids: dict) -> str | None:
    try:
        return reverse(name, kwargs={arg: ids.get(arg, 1) for arg in args})
    except NoReverseMatch:
        return None  # a converter refuses the filler (e.g. a content type): nothing to open


def is_family_page(name: str) -> bool:
    return name.startswith("family-") or name in OPEN_TO_FAMILIES


def opened_by_guardian(client: Client, ids: dict, method: str) -> dict[str, int]:
    answers: dict[str, int] = {}
    for name, args in named_patterns():
        if is_family_page(name):
            continue
        url = url_of(name, args, ids)
        if url is not None:
            answers[f"{method} {name} {url}"] = getattr(client, method)(url).status_code
    return answers


def test_every_staff_url_refuses_a_signed_in_guardian(guardian_world):
    account, ids = guardian_world
    client = Client()
    assert client.login(username=account.user.username, password=PASSWORD)

    answers = {**opened_by_guardian(client, ids, "get"), **opened_by_guardian(client, ids, "post")}

    assert len(answers) > 300  # staff pages, the admin's and the API's routes
    reached = {url: status for url, status in answers.items() if status not in (403, 404, 405)}
    assert reached == {}


def test_the_staff_pages_themselves_show_a_guardian_nothing_without_the_boundary(
    guardian_world, school_a, settings
):
    """The boundary middleware is the second wall: without it, the pages' own scoping refuses
    a guardian (no school, no staff row), and the few that answer (empty lists, their own
    day with nothing in it, the API's schema) name no child, staff member or school."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "families.boundary.FamilyBoundaryMiddleware"
    ]
    account, ids = guardian_world
    client = Client()
    client.force_login(account.user)
    student, teacher = school_a.student, school_a.teacher.user
    private = [student.first_name, student.last_name, teacher.last_name, school_a.school.name]

    shown = {}
    for name, args in named_patterns():
        url = url_of(name, args, ids)
        if url is None or is_family_page(name):
            continue
        answer = client.get(url)
        if answer.status_code == 200:
            shown[url] = [word for word in private if word in answer.content.decode()]

    assert shown  # empty lists and the schema still answer
    assert {url: words for url, words in shown.items() if words} == {}


def test_family_pages_answer_a_guardian(guardian_world):
    account, _ids = guardian_world
    client = Client()
    client.force_login(account.user)

    assert client.get("/").url == reverse("family-home")
    home = client.get(reverse("family-home"))  # one child: straight to their page
    assert home.status_code == 302 and home.url.startswith("/family/")
    assert client.get(home.url).status_code == 200


def test_the_admin_and_the_api_refuse_a_guardian(guardian_world, school_a):
    account, _ids = guardian_world
    client = Client()
    client.force_login(account.user)

    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/api/v1/students/").status_code == 404
    clients_page = reverse("api-clients", kwargs={"school_id": school_a.school.pk})
    made = client.post(clients_page, {"name": "mine", "schools": [school_a.school.pk]})
    assert made.status_code == 404
    assert not ApiClient.objects.exists()


def test_a_guardian_can_not_sign_in_to_the_admin(guardian_world):
    account, _ids = guardian_world
    client = Client()
    answer = client.post("/admin/login/", {"username": account.user.username, "password": PASSWORD})
    assert answer.status_code == 200  # the form again: not a staff account
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # to the admin's login


def test_a_withdrawn_childs_guardian_gets_404_from_the_day_after_the_last_day(school_a):
    today = school_today(school_a.student.school)
    staying = StudentFactory(school=school_a.school, enrollment_end=today)
    gone = StudentFactory(school=school_a.school, enrollment_end=today - datetime.timedelta(days=1))
    guardian = guardian_of(staying)
    guardian.students.add(gone)
    account = family_account(guardian)
    client = Client()

    assert child_or_404(account, staying.pk, via="test") == staying
    with pytest.raises(Exception) as refused:
        child_or_404(account, gone.pk, via="test")
    assert refused.typename == "Http404"

    signed = client.post(
        reverse("family-sign-in"),
        {"action": "password", "username": account.user.username, "password": PASSWORD},
    )
    assert signed.status_code == 302  # signing in still works
    page = client.get(reverse("family-child", kwargs={"student_id": gone.pk}))
    assert page.status_code == 404
