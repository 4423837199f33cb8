"""The schedule endpoints of API v1: published schedules (ETag, 304, cache), versions, a staff
member's roster, a student's day, and builds; scoped to the caller's schools, in a fixed number of
queries whatever the school's size.

Stored schedules are built with factories (``published_school``): each cohort has a homeroom, a
literacy block with its teacher, a lab block and lunch, on Tuesday 24 November 2026 in Los Angeles
(UTC-8). The build tests solve the kindergarten day of ``test_selectors``.
"""

import datetime
import itertools
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.http import http_date
from rest_framework.test import APIClient

from scheduling.models import (
    BuildJob,
    BuildState,
    DayType,
    Room,
    Schedule,
    ScheduleStatus,
    StationCode,
)
from scheduling.published_cache import (
    PublishedRef,
    published_cache_key,
    refresh_published,
    rendered_bodies,
    schedule_cache_key,
)
from scheduling.services.builds import build_job_run, schedule_build
from students.clients import api_client_create, api_token_issue, api_token_revoke
from students.models import AuditAction, AuditEvent, Cohort, ELLevel, Role, School, Staff, Student

from ...conftest import client_for
from ...factories import (
    CohortFactory,
    GradeFactory,
    RoomFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ...solver_limits import work_limited
from ..factories import (
    DayTypeFactory,
    LabFactory,
    LabSupervisionFactory,
    ScheduledBlockFactory,
    ScheduleFactory,
)
from ..test_selectors import DATE as K_DATE
from ..test_selectors import kindergarten

pytestmark = pytest.mark.django_db

DATE = datetime.date(2026, 11, 24)
PUBLISHED_AT = datetime.datetime(2026, 11, 23, 22, 30, tzinfo=datetime.UTC)
T = datetime.time
CLIENT_NUMBERS = itertools.count(1)


@dataclass
class Published:
    school: School
    schedule: Schedule
    cohorts: list[Cohort]
    teacher: Staff
    ils: Staff
    lab_id: int
    leader: Staff
    students: list[Student] = field(default_factory=list)


def publish_blocks(
    school: School,
    *,
    cohorts: list[Cohort],
    teacher: Staff,
    lab: Room,
    version: int = 1,
    teachers: dict[int, Staff] | None = None,
) -> Schedule:
    """A published schedule of ``DATE`` giving each cohort literacy in its homeroom (with
    ``teachers[cohort id]``, else ``teacher``), the lab and lunch."""
    teachers = teachers or {}
    day_type = DayType.objects.filter(school=school, name="Regular day").first()
    schedule = ScheduleFactory.create(
        school=school,
        date=DATE,
        day_type=day_type or DayTypeFactory.create(school=school, name="Regular day"),
        version=version,
        status=ScheduleStatus.PUBLISHED,
        published_at=PUBLISHED_AT,
        solver_stats={"status": "OPTIMAL", "objective": 12, "wall_seconds": 0.5},
        moved_blocks=0,
    )
    for cohort in cohorts:
        homeroom = cohort.homeroom
        ScheduledBlockFactory.create(
            schedule=schedule,
            cohort=cohort,
            station=StationCode.LITERACY,
            start=T(8, 0),
            end=T(9, 0),
            room=homeroom,
            staff=teachers.get(cohort.pk, teacher),
        )
        ScheduledBlockFactory.create(
            schedule=schedule,
            cohort=cohort,
            station=StationCode.LAB,
            start=T(9, 0),
            end=T(9, 30),
            room=lab,
        )
        ScheduledBlockFactory.create(
            schedule=schedule,
            cohort=cohort,
            station=StationCode.LUNCH,
            start=T(11, 30),
            end=T(12, 0),
            room=None,
        )
    return schedule


def published_school(
    *,
    cohorts: int = 2,
    students: int = 2,
    school: School | None = None,
    taught: int | None = None,
) -> Published:
    """A school (or ``school``) with ``cohorts`` third-grade cohorts of ``students`` each and
    the published schedule of ``DATE``; ``teacher`` teaches the first ``taught`` cohorts (all by
    default) and a colleague the others."""
    school = school or SchoolFactory.create()
    grade = GradeFactory.create(school=school, level=3)
    made = []
    pupils = []
    for index in range(cohorts):
        cohort = CohortFactory.create(school=school, grade=grade, name=f"3 College {index:02d}")
        RoomFactory.create(school=school, name=f"Room {index:02d}", homeroom_of=cohort)
        pupils += StudentFactory.create_batch(students, school=school, cohort=cohort, grade=grade)
        made.append(cohort)
    teacher = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ana", last_name="Rivera"),
        roles=[Role.HUMANITIES, Role.SPED],
    )
    ils = StaffFactory.create(school=school, roles=[Role.ILS])
    lab = LabFactory.create(school=school, name="Learning Lab", capacity=80)
    LabSupervisionFactory.create(school=school, lab=lab, supervisors=[ils])
    others = made[taught:] if taught is not None else []
    colleague = StaffFactory.create(school=school, roles=[Role.HUMANITIES]) if others else None
    schedule = publish_blocks(
        school,
        cohorts=made,
        teacher=teacher,
        lab=lab,
        teachers={cohort.pk: colleague for cohort in others if colleague is not None},
    )
    leader = StaffFactory.create(school=school, roles=[Role.LEADER])
    return Published(school, schedule, made, teacher, ils, lab.pk, leader, pupils)


def token_for(school: School, *, can_write: bool = False, by=None) -> APIClient:
    client = api_client_create(
        network=school.network,
        name=f"Client {next(CLIENT_NUMBERS)}",
        schools=[school],
        can_write=can_write,
        by=by,
    )
    _, key = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def leaders_integration(school: School) -> APIClient:
    """A token of a client a leader of ``school`` registered with the write grant (an SIS
    sync): the kind of token that sees students' IEP flags and services (need to know)."""
    leader = StaffFactory.create(school=school, roles=[Role.LEADER]).user
    return token_for(school, can_write=True, by=leader)


def schedule_url(school_id: int, date: str = "2026-11-24") -> str:
    return f"/api/v1/schools/{school_id}/schedules/{date}/"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and set(body) == {"type", "title", "status", "detail", "errors"}
    return body


# --- the published schedule ------------------------------------------------------------------


def test_the_published_schedule_has_the_contract_shape_with_the_schools_offset():
    world = published_school(cohorts=2, students=3)
    first, second = world.cohorts
    StudentFactory.create(  # withdrawn before the date: not counted
        school=world.school,
        cohort=first,
        grade=first.grade,
        enrollment_end=datetime.date(2026, 10, 1),
    )
    teacher = world.teacher

    response = client_for(world.leader.user).get(schedule_url(world.school.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"

    def blocks(cohort: Cohort) -> list[dict]:
        return [
            {
                "station": "literacy",
                "start": "2026-11-24T08:00:00-08:00",
                "end": "2026-11-24T09:00:00-08:00",
                "room": cohort.homeroom.pk,
                "staff": [teacher.pk],
            },
            {
                "station": "lab",
                "start": "2026-11-24T09:00:00-08:00",
                "end": "2026-11-24T09:30:00-08:00",
                "room": world.lab_id,
                "staff": [],
            },
            {
                "station": "lunch",
                "start": "2026-11-24T11:30:00-08:00",
                "end": "2026-11-24T12:00:00-08:00",
                "room": None,
                "staff": [],
            },
        ]

    assert response.json() == {
        "school": world.school.pk,
        "date": "2026-11-24",
        "version": 1,
        "published_at": "2026-11-23T14:30:00-08:00",
        "day_type": "Regular day",
        "rooms": [
            {"id": world.lab_id, "name": "Learning Lab", "kind": "learning_lab", "capacity": 80},
            {"id": first.homeroom.pk, "name": "Room 00", "kind": "classroom", "capacity": 30},
            {"id": second.homeroom.pk, "name": "Room 01", "kind": "classroom", "capacity": 30},
        ],
        "staff": [{"id": teacher.pk, "name": "Ana Rivera", "roles": ["humanities", "sped"]}],
        "cohorts": [
            {
                "id": first.pk,
                "name": "3 College 00",
                "grade": "3",
                "student_count": 3,
                "blocks": blocks(first),
            },
            {
                "id": second.pk,
                "name": "3 College 01",
                "grade": "3",
                "student_count": 3,
                "blocks": blocks(second),
            },
        ],
    }


def test_times_follow_the_schools_own_zone():
    world = published_school(cohorts=1, school=SchoolFactory.create(time_zone="Europe/Berlin"))

    body = client_for(world.leader.user).get(schedule_url(world.school.pk)).json()

    assert body["cohorts"][0]["blocks"][0]["start"] == "2026-11-24T08:00:00+01:00"
    assert body["published_at"] == "2026-11-23T23:30:00+01:00"


def test_a_solved_and_published_schedule_reads_back_through_the_api():
    k = kindergarten()
    result = schedule_build(
        school=k.school,
        date=K_DATE,
        publish=True,
        options=work_limited(workers=1, seed=3),
    )
    leader = StaffFactory.create(school=k.school, roles=[Role.LEADER])

    body = client_for(leader.user).get(schedule_url(k.school.pk, "2026-09-01")).json()

    assert body["version"] == result.schedule.version
    assert [c["name"] for c in body["cohorts"]] == ["K Howard", "K Stanford"]
    assert [c["student_count"] for c in body["cohorts"]] == [16, 14]
    stored = {
        (b.cohort_id, b.station, b.start.strftime("%H:%M"), b.room_id, b.staff_id)
        for b in result.schedule.blocks.all()
    }
    served = {
        (c["id"], b["station"], b["start"][11:16], b["room"], (b["staff"] or [None])[0])
        for c in body["cohorts"]
        for b in c["blocks"]
    }
    assert served == stored
    assert all(b["start"].endswith("-07:00") for c in body["cohorts"] for b in c["blocks"])
    assert {s["id"] for s in body["staff"]} == {k.rivera.pk}
    assert {r["id"] for r in body["rooms"]} == {b[3] for b in stored if b[3] is not None}


def served_once():
    """A published school whose version is cached (as its publish's commit leaves it), a token
    client of it, its schedule's URL and the first answer."""
    world = published_school()
    refresh_published(world.school.pk, DATE)
    api = token_for(world.school)
    url = schedule_url(world.school.pk)
    return world, api, url, api.get(url)


def test_the_schedule_carries_an_etag_and_last_modified_and_answers_304(
    django_assert_num_queries,
):
    world = published_school()
    # Published within a second: HTTP dates drop the fraction, and the comparison must too.
    Schedule.objects.filter(pk=world.schedule.pk).update(
        published_at=PUBLISHED_AT + datetime.timedelta(microseconds=250_000)
    )
    api = token_for(world.school)
    url = schedule_url(world.school.pk)

    first = api.get(url)
    etag = f'"sched-{world.schedule.pk}-v1"'
    assert first["ETag"] == etag
    assert first["Last-Modified"] == http_date(PUBLISHED_AT.timestamp())
    assert first["Cache-Control"] == "private, no-cache"

    # Caches empty: the token (1), its client's schools (1, cached with the principal) and the
    # school with its published version (1, cached too): no body is built.
    cache.clear()
    with django_assert_num_queries(3):
        again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    # Caches warm: the principal and the published version come from the cache, no query.
    with django_assert_num_queries(0):
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert api.get(url, HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"sched-0-v1"').status_code == 200
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    earlier = http_date(PUBLISHED_AT.timestamp() - 60)
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    stale = api.get(url, HTTP_IF_NONE_MATCH='"old"', HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert stale.status_code == 200


def test_a_cache_hit_serves_the_same_bytes_and_a_new_version_changes_the_etag(
    django_assert_num_queries,
):
    world, api, url, first = served_once()
    assert cache.get(schedule_cache_key(world.school.pk, DATE)) == (
        world.schedule.pk,
        1,
        first.content,
    )

    # A published version never changes, so its bytes are served from the cache: even a
    # renamed cohort does not reach them. The token's principal and the published version are
    # cached too (each kept right by its own invalidation), so a hit runs no query.
    Cohort.objects.filter(pk=world.cohorts[0].pk).update(name="Renamed")
    with django_assert_num_queries(0):
        hit = api.get(url)
    assert hit.content == first.content and hit["ETag"] == first["ETag"]

    # Publishing version 2 supersedes version 1: a new ETag, and the old one no longer matches.
    Schedule.objects.filter(pk=world.schedule.pk).update(status=ScheduleStatus.SUPERSEDED)
    second = publish_blocks(
        world.school,
        cohorts=world.cohorts[:1],
        teacher=world.teacher,
        lab=Room.objects.get(pk=world.lab_id),
        version=2,
    )
    fresh = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert fresh["ETag"] == f'"sched-{second.pk}-v2"' != first["ETag"]
    body = fresh.json()
    assert body["version"] == 2
    assert [c["name"] for c in body["cohorts"]] == ["Renamed"]


def test_each_process_keeps_the_versions_it_served_in_memory(django_assert_num_queries):
    world, api, url, first = served_once()
    # The shared cache loses the body (evicted, or Redis restarted): this process still has it.
    cache.delete(schedule_cache_key(world.school.pk, DATE))
    with django_assert_num_queries(0):
        assert api.get(url).content == first.content
    assert cache.get(schedule_cache_key(world.school.pk, DATE)) is None  # nothing re-rendered

    # Another process (an empty memory) takes the shared cache's copy, and keeps it.
    rendered_bodies.clear()
    cache.set(schedule_cache_key(world.school.pk, DATE), (world.schedule.pk, 1, b'{"shared": 1}'))
    assert api.get(url).content == b'{"shared": 1}'
    cache.delete(schedule_cache_key(world.school.pk, DATE))
    assert api.get(url).content == b'{"shared": 1}'


def test_the_cache_never_answers_a_caller_outside_the_school(school_b):
    world = published_school()
    refresh_published(world.school.pk, DATE)
    url = schedule_url(world.school.pk)
    warm = token_for(world.school).get(url)
    assert warm.status_code == 200
    # Every cache is warm: the body, the published version, and the outsider's own principal.
    outsider_token = token_for(school_b.school)
    assert outsider_token.get(schedule_url(school_b.school.pk)).status_code == 404  # nothing there
    assert cache.get(published_cache_key(world.school.pk, DATE)) is not None

    for outsider in (outsider_token, client_for(school_b.leader.user)):
        assert_problem(outsider.get(url), 404)
        assert_problem(outsider.get(url, HTTP_IF_NONE_MATCH=warm["ETag"]), 404)
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(world.school.pk))
    assert denied.count() == 4  # each attempt recorded, cached or not


def test_a_revoked_token_or_a_removed_school_stops_at_once_on_the_cached_path(
    django_assert_num_queries,
):
    world = published_school()
    refresh_published(world.school.pk, DATE)
    client = api_client_create(
        network=world.school.network, name="Board", schools=[world.school], can_write=False, by=None
    )
    token, key = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = schedule_url(world.school.pk)
    etag = api.get(url)["ETag"]
    with django_assert_num_queries(0):  # everything cached
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    client.schools.remove(world.school)  # as the admin's form does
    assert_problem(api.get(url, HTTP_IF_NONE_MATCH=etag), 404)
    client.schools.add(world.school)
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    api_token_revoke(token=token)
    assert_problem(api.get(url, HTTP_IF_NONE_MATCH=etag), 401)


def test_a_new_version_is_served_at_once_after_a_cached_lookup(django_capture_on_commit_callbacks):
    world, api, url, first = served_once()
    cached = cache.get(published_cache_key(world.school.pk, DATE))
    assert cached == PublishedRef(world.schedule.pk, 1, PUBLISHED_AT)

    # Publishing as the services do: the old version saved superseded, the new one published.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        world.schedule.status = ScheduleStatus.SUPERSEDED
        world.schedule.save(update_fields=["status"])
        second = publish_blocks(
            world.school,
            cohorts=world.cohorts[:1],
            teacher=world.teacher,
            lab=Room.objects.get(pk=world.lab_id),
            version=2,
        )
    # Before the commit's refresh ran, the cached version is already marked stale.
    uncommitted = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert uncommitted.status_code == 200 and uncommitted.json()["version"] == 2
    for callback in callbacks:  # the commit
        callback()
    assert cache.get(published_cache_key(world.school.pk, DATE)).version == 2
    fresh = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert fresh["ETag"] == f'"sched-{second.pk}-v2"' != first["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=fresh["ETag"]).status_code == 304


def test_the_schools_list_gives_each_schools_time_zone():
    world = published_school(cohorts=1, school=SchoolFactory.create(time_zone="America/Denver"))

    body = token_for(world.school).get("/api/v1/schools/").json()

    assert [{k: r[k] for k in ("id", "name", "timezone")} for r in body["results"]] == [
        {"id": world.school.pk, "name": world.school.name, "timezone": "America/Denver"}
    ]


def test_nothing_published_answers_404_as_a_problem_that_says_so():
    world = published_school()
    Schedule.objects.filter(pk=world.schedule.pk).update(status=ScheduleStatus.DRAFT)

    response = token_for(world.school).get(schedule_url(world.school.pk))

    body = assert_problem(response, 404)
    assert body["detail"] == f"No schedule is published for {world.school.name} on Nov. 24, 2026."
    assert_problem(token_for(world.school).get(schedule_url(world.school.pk, "2026-11-25")), 404)


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "20261124", "tomorrow", "2026-1-5"])
def test_a_bad_date_answers_400_naming_the_date(bad):
    world = published_school(cohorts=1)
    api = token_for(world.school)

    for url in (
        schedule_url(world.school.pk, bad),
        f"/api/v1/schools/{world.school.pk}/schedules/{bad}/versions/",
        f"/api/v1/staff/{world.teacher.pk}/roster/{bad}/",
        f"/api/v1/students/{world.students[0].pk}/schedule/{bad}/",
    ):
        body = assert_problem(api.get(url), 400)
        assert list(body["errors"]) == ["date"], url
        assert "YYYY-MM-DD" in body["errors"]["date"][0]


# --- scoping: another school's ids answer 404 ------------------------------------------------


def cross_school_urls(world: Published) -> list[tuple[str, str]]:
    job = BuildJob.objects.create(school=world.school, date=DATE)
    return [
        ("get", schedule_url(world.school.pk)),
        ("get", f"/api/v1/schools/{world.school.pk}/schedules/2026-11-24/versions/"),
        ("post", f"/api/v1/schools/{world.school.pk}/schedules/2026-11-24/build/"),
        ("get", f"/api/v1/builds/{job.pk}/"),
        ("get", f"/api/v1/staff/{world.teacher.pk}/roster/2026-11-24/"),
        ("get", f"/api/v1/students/{world.students[0].pk}/schedule/2026-11-24/"),
    ]


def test_another_schools_objects_answer_404_to_its_users_and_tokens(school_a, school_b):
    world = published_school(school=school_a.school)
    urls = cross_school_urls(world)
    outsiders: dict[str, Client | APIClient] = {
        "leader of B": client_for(school_b.leader.user),
        "writing token of B": token_for(school_b.school, can_write=True),
        "read-only token of B": token_for(school_b.school),
    }
    for who, client in outsiders.items():
        for method, url in urls:
            response = getattr(client, method)(url)
            body = assert_problem(response, 404)
            assert world.school.name not in body["detail"], (who, url)
    assert BuildJob.objects.filter(school=world.school).count() == 1  # none was started
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, school=world.school).exists()


def test_anonymous_callers_get_401(school_a):
    world = published_school(school=school_a.school)
    for method, url in cross_school_urls(world):
        assert_problem(getattr(APIClient(), method)(url), 401)


# --- versions ----------------------------------------------------------------------------------


def test_versions_lists_every_version_of_the_date_newest_first():
    world = published_school(cohorts=1)
    Schedule.objects.filter(pk=world.schedule.pk).update(status=ScheduleStatus.SUPERSEDED)
    republished = ScheduleFactory.create(
        school=world.school,
        date=DATE,
        day_type=world.schedule.day_type,
        version=2,
        status=ScheduleStatus.PUBLISHED,
        built_at=datetime.datetime(2026, 11, 23, 23, 0, tzinfo=datetime.UTC),
        published_at=datetime.datetime(2026, 11, 23, 23, 5, tzinfo=datetime.UTC),
        moved_blocks=3,
        solver_stats={"status": "FEASIBLE", "gap": 0.1},
    )
    draft = ScheduleFactory.create(
        school=world.school,
        date=DATE,
        day_type=world.schedule.day_type,
        version=3,
        built_at=datetime.datetime(2026, 11, 24, 1, 0, tzinfo=datetime.UTC),
    )
    ScheduleFactory.create(school=world.school, date=DATE + datetime.timedelta(days=1), version=1)

    # A client that may build the school sees its drafts (teachers and read-only clients do
    # not: tests/security/test_small_leaks.py).
    response = token_for(world.school, can_write=True).get(
        f"/api/v1/schools/{world.school.pk}/schedules/2026-11-24/versions/"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["school"] == world.school.pk and body["date"] == "2026-11-24"
    assert [(v["id"], v["version"], v["status"]) for v in body["versions"]] == [
        (draft.pk, 3, "draft"),
        (republished.pk, 2, "published"),
        (world.schedule.pk, 1, "superseded"),
    ]
    assert body["versions"][1] == {
        "id": republished.pk,
        "version": 2,
        "status": "published",
        "day_type": "Regular day",
        "built_at": "2026-11-23T15:00:00-08:00",
        "published_at": "2026-11-23T15:05:00-08:00",
        "moved_blocks": 3,
        "solver_stats": {"status": "FEASIBLE", "gap": 0.1},
    }
    assert body["versions"][0]["published_at"] is None


# --- a staff member's roster ---------------------------------------------------------------


def test_a_roster_lists_the_blocks_with_cohort_room_and_flagged_students_and_is_audited():
    world = published_school(cohorts=2, students=1)
    first, second = world.cohorts
    flagged = StudentFactory.create(
        school=world.school,
        cohort=first,
        grade=first.grade,
        last_name="Aaron",
        first_name="Zoe",
        has_iep=True,
        el_level=ELLevel.EMERGING,
    )
    api = leaders_integration(world.school)  # a read-only token would not see the IEP flag

    response = api.get(f"/api/v1/staff/{world.teacher.pk}/roster/2026-11-24/")

    assert response.status_code == 200
    body = response.json()
    assert body["staff"] == {"id": world.teacher.pk, "name": "Ana Rivera"}
    assert body["roles"] == ["humanities", "sped"]
    assert (body["school"], body["date"], body["version"]) == (world.school.pk, "2026-11-24", 1)
    assert [(b["station"], b["cohort"]["id"]) for b in body["blocks"]] == [
        ("literacy", first.pk),
        ("literacy", second.pk),
    ]
    block = body["blocks"][0]
    assert block["start"] == "2026-11-24T08:00:00-08:00"
    assert block["room"] == {"id": first.homeroom.pk, "name": "Room 00"}
    assert block["cohort"] == {"id": first.pk, "name": "3 College 00"}
    assert block["supervising"] is False
    other = next(s for s in world.students if s.cohort_id == first.pk)
    assert block["students"] == [
        {
            "id": flagged.pk,
            "local_id": flagged.local_id,
            "name": "Aaron, Zoe",
            "has_iep": True,
            "el_level": "emerging",
            "english_learner": True,
        },
        {
            "id": other.pk,
            "local_id": other.local_id,
            "name": f"{other.last_name}, {other.first_name}",
            "has_iep": False,
            "el_level": "not_el",
            "english_learner": False,
        },
    ]
    read = set(
        AuditEvent.objects.filter(action=AuditAction.LIST, model="students.student").values_list(
            "object_id", flat=True
        )
    )
    assert read == {str(s.pk) for s in [flagged, *world.students]}
    assert AuditEvent.objects.get(object_id=str(flagged.pk)).special_education is True


def test_a_lab_supervisor_sees_the_lab_blocks_they_supervise():
    world = published_school(cohorts=2, students=1)

    body = token_for(world.school).get(f"/api/v1/staff/{world.ils.pk}/roster/2026-11-24/").json()

    assert [(b["station"], b["supervising"]) for b in body["blocks"]] == [
        ("lab", True),
        ("lab", True),
    ]
    assert [len(b["students"]) for b in body["blocks"]] == [1, 1]


def test_a_roster_of_a_date_with_nothing_published_is_a_404_problem():
    world = published_school(cohorts=1)
    response = token_for(world.school).get(f"/api/v1/staff/{world.teacher.pk}/roster/2026-11-25/")
    assert "No schedule is published" in assert_problem(response, 404)["detail"]
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()


# --- a student's day ---------------------------------------------------------------------------


def test_a_students_day_is_their_cohorts_blocks_with_empty_segments_and_is_audited():
    world = published_school(cohorts=2, students=1)
    student = world.students[1]
    cohort = world.cohorts[1]
    api = token_for(world.school)

    response = api.get(f"/api/v1/students/{student.pk}/schedule/2026-11-24/")

    assert response.status_code == 200
    assert response.json() == {
        "student": {
            "id": student.pk,
            "local_id": student.local_id,
            "name": f"{student.first_name} {student.last_name}",
            "cohort": {"id": cohort.pk, "name": "3 College 01"},
        },
        "school": world.school.pk,
        "date": "2026-11-24",
        "version": 1,
        "published_at": "2026-11-23T14:30:00-08:00",
        "enrolled": True,
        "blocks": [
            {
                "station": "literacy",
                "start": "2026-11-24T08:00:00-08:00",
                "end": "2026-11-24T09:00:00-08:00",
                "room": {"id": cohort.homeroom.pk, "name": "Room 01"},
                "staff": [{"id": world.teacher.pk, "name": "Ana Rivera"}],
                "segments": [],
            },
            {
                "station": "lab",
                "start": "2026-11-24T09:00:00-08:00",
                "end": "2026-11-24T09:30:00-08:00",
                "room": {"id": world.lab_id, "name": "Learning Lab"},
                "staff": [],
                "segments": [],
            },
            {
                "station": "lunch",
                "start": "2026-11-24T11:30:00-08:00",
                "end": "2026-11-24T12:00:00-08:00",
                "room": None,
                "staff": [],
                "segments": [],
            },
        ],
    }
    event = AuditEvent.objects.get(model="students.student")
    assert (event.action, event.object_id) == (AuditAction.VIEW, str(student.pk))


def test_a_student_not_enrolled_on_the_date_has_no_blocks():
    world = published_school(cohorts=1)
    later = StudentFactory.create(
        school=world.school,
        cohort=world.cohorts[0],
        grade=world.cohorts[0].grade,
        enrollment_start=datetime.date(2026, 12, 1),
    )
    body = token_for(world.school).get(f"/api/v1/students/{later.pk}/schedule/2026-11-24/").json()
    assert (body["enrolled"], body["blocks"]) == (False, [])


# --- builds ------------------------------------------------------------------------------------


def build_url(school_id: int, date: str = "2026-09-01") -> str:
    return f"/api/v1/schools/{school_id}/schedules/{date}/build/"


def test_a_leader_starts_a_build_and_follows_it_to_its_version(
    django_capture_on_commit_callbacks,
):
    k = kindergarten()
    leader = StaffFactory.create(school=k.school, roles=[Role.LEADER])
    client = client_for(leader.user)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(build_url(k.school.pk))

    assert response.status_code == 202
    job = BuildJob.objects.get(school=k.school)
    status_url = f"http://testserver/api/v1/builds/{job.pk}/"
    assert response.json() == {"task_id": job.pk, "status_url": status_url}
    assert response["Location"] == status_url
    assert len(queued) == 1 and job.requested_by == leader.user

    waiting = client.get(status_url).json()
    assert waiting["state"] == "queued" and waiting["progress"] == {"phase": None, "percent": 0}
    assert waiting["schedule"] is None and waiting["explanations"] == []

    build_job_run(job_id=job.pk, options=work_limited(workers=1, seed=3))

    done = client.get(status_url).json()
    schedule = Schedule.objects.get(school=k.school, date=K_DATE)
    assert done["state"] == "succeeded"
    assert done["progress"] == {"phase": "storing", "percent": 100}
    assert done["schedule"] == {"id": schedule.pk, "version": 1, "status": "draft"}
    assert done["task_id"] == job.pk and done["date"] == "2026-09-01"
    job.refresh_from_db()
    finished = datetime.datetime.fromisoformat(done["finished_at"])
    assert finished == job.finished_at
    assert finished.utcoffset() == job.finished_at.astimezone(k.school.zone).utcoffset()
    assert done["error"] == ""


def test_a_build_status_names_its_draft_only_to_those_who_see_drafts():
    k = kindergarten()
    leader = StaffFactory.create(school=k.school, roles=[Role.LEADER])
    teacher = StaffFactory.create(school=k.school, roles=[Role.HUMANITIES])
    job = BuildJob.objects.create(school=k.school, date=K_DATE, requested_by=leader.user)
    build_job_run(job_id=job.pk, options=work_limited(workers=1, seed=3))
    draft = Schedule.objects.get(school=k.school, date=K_DATE)
    status_url = f"/api/v1/builds/{job.pk}/"

    for client in (client_for(leader.user), token_for(k.school, can_write=True)):
        body = client.get(status_url).json()
        assert body["schedule"] == {"id": draft.pk, "version": 1, "status": "draft"}
    for client in (client_for(teacher.user), token_for(k.school)):
        body = client.get(status_url).json()
        assert body["state"] == "succeeded" and body["schedule"] is None


def test_a_write_token_starts_a_build_and_a_second_request_joins_it():
    k = kindergarten()
    api = token_for(k.school, can_write=True)

    first = api.post(build_url(k.school.pk))
    second = api.post(build_url(k.school.pk))

    assert first.status_code == second.status_code == 202
    assert first.json()["task_id"] == second.json()["task_id"]
    job = BuildJob.objects.get(school=k.school)
    assert job.requested_by is None


def test_a_read_only_token_or_a_teacher_gets_403_and_nothing_is_queued():
    k = kindergarten()
    teacher = StaffFactory.create(school=k.school, roles=[Role.HUMANITIES])

    for client in (token_for(k.school), client_for(teacher.user)):
        body = assert_problem(client.post(build_url(k.school.pk)), 403)
        assert body["detail"]
    assert not BuildJob.objects.exists()


def test_a_build_of_a_date_without_school_is_a_409_naming_the_date():
    k = kindergarten()
    response = token_for(k.school, can_write=True).post(build_url(k.school.pk, "2026-09-05"))
    body = assert_problem(response, 409)
    assert "has no day type" in body["errors"]["date"][0]
    assert not BuildJob.objects.exists()


def test_an_infeasible_build_reports_its_explanations():
    world = published_school(cohorts=1)
    reason = {
        "code": "lab-over-capacity",
        "message": "The lab cannot seat every cohort's lab block.",
        "suggestion": "Add seats or a supervisor.",
        "setting": f"room:{world.lab_id}",
    }
    job = BuildJob.objects.create(
        school=world.school,
        date=DATE,
        state=BuildState.INFEASIBLE,
        phase="solving",
        percent=25,
        reasons=[reason],
        created_at=datetime.datetime(2026, 11, 23, 20, 0, tzinfo=datetime.UTC),
        started_at=datetime.datetime(2026, 11, 23, 20, 0, 1, tzinfo=datetime.UTC),
        finished_at=datetime.datetime(2026, 11, 23, 20, 0, 9, tzinfo=datetime.UTC),
    )

    body = token_for(world.school).get(f"/api/v1/builds/{job.pk}/").json()

    assert body == {
        "task_id": job.pk,
        "school": world.school.pk,
        "date": "2026-11-24",
        "state": "infeasible",
        "progress": {"phase": "solving", "percent": 25},
        "schedule": None,
        "unchanged": False,
        "explanations": [reason],
        "error": "",
        "looks_abandoned": False,
        "lost": False,
        "created_at": "2026-11-23T12:00:00-08:00",
        "started_at": "2026-11-23T12:00:01-08:00",
        "finished_at": "2026-11-23T12:00:09-08:00",
    }


def test_a_missing_build_job_is_404():
    world = published_school(cohorts=1)
    assert_problem(token_for(world.school).get("/api/v1/builds/999999/"), 404)


# --- fixed query counts whatever the school's size ---------------------------------------------


def test_every_endpoint_runs_the_same_queries_for_a_small_and_a_large_school(
    django_assert_num_queries,
):
    small = published_school(cohorts=2, students=2)
    # The large school's teacher teaches 12 of its 48 cohorts (72 students, against 4): on SQLite
    # Django writes at most 99 audit rows per INSERT, so a roster of more students than that adds
    # one INSERT per 99 there (PostgreSQL writes them in one).
    large = published_school(cohorts=48, students=6, taught=12)
    expected = {
        # session (2) and the school with its published version (1) + the body (4) when cold
        "schedule cold": 7,
        "schedule warm": 3,
        "schedule 304": 3,
        # session (2), school (1), versions (1)
        "versions": 4,
        # session (2), staff (1), roster (5), roles (1), lab groups led (1; their students
        # only when there are some), audit (1)
        "roster": 11,
        # session (2), student (1), schedule (1), blocks (1), audit (1)
        "student": 6,
        # session (2), job (1)
        "build status": 3,
    }
    for world in (small, large):
        cache.clear()
        client = client_for(world.leader.user)
        job = BuildJob.objects.create(school=world.school, date=DATE)
        url = schedule_url(world.school.pk)
        etag = f'"sched-{world.schedule.pk}-v1"'
        calls = {
            "schedule cold": (url, {}),
            "schedule warm": (url, {}),
            "schedule 304": (url, {"HTTP_IF_NONE_MATCH": etag}),
            "versions": (f"{url}versions/", {}),
            "roster": (f"/api/v1/staff/{world.teacher.pk}/roster/2026-11-24/", {}),
            "student": (f"/api/v1/students/{world.students[-1].pk}/schedule/2026-11-24/", {}),
            "build status": (f"/api/v1/builds/{job.pk}/", {}),
        }
        for name, (call_url, extra) in calls.items():
            with django_assert_num_queries(expected[name]):
                response = client.get(call_url, **extra)
            assert response.status_code in (200, 304), (name, response.content)
    assert len(large.students) == 48 * 6 and len(large.cohorts) == 48
