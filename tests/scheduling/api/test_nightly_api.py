"""GET /api/v1/nightly-runs/: each night's run of the caller's schools, filtered by school, night
and state, paged, in a fixed number of queries. Runs are rows as the rebuild leaves them
(``tests/scheduling/test_nightly.py`` covers how they get there); schools A and B share a
network, and Los Angeles time (UTC-7 in September)."""

import datetime
import itertools

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from scheduling.models import Fallback, NightlyRun, RunState, RunTrigger, ScheduleStatus
from students.clients import api_client_create, api_token_issue
from students.models import School

from ...conftest import SchoolWorld, client_for
from ..factories import ScheduleFactory

pytestmark = pytest.mark.django_db

NIGHT = datetime.date(2026, 9, 1)
STARTED = datetime.datetime(2026, 9, 1, 9, 0, 5, tzinfo=datetime.UTC)  # 02:00:05 in LA
CLIENT_NUMBERS = itertools.count(1)
REASON = {
    "code": "no-staff",
    "message": "Nobody present can teach literacy to K Howard on 2026-09-02.",
    "suggestion": "Assign a humanities teacher (or a substitute) to K Howard's literacy.",
    "setting": "staffing:2:literacy",
}


def url(**query: str) -> str:
    return reverse("api-nightly-runs") + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def token_for(school: School) -> APIClient:
    client = api_client_create(
        network=school.network,
        name=f"Client {next(CLIENT_NUMBERS)}",
        schools=[school],
        can_write=False,
        by=None,
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(client=client)[1]}")
    return api


def published_run(school: School, night: datetime.date = NIGHT, version: int = 2) -> NightlyRun:
    schedule = ScheduleFactory.create(
        school=school,
        date=night + datetime.timedelta(days=1),
        version=version,
        status=ScheduleStatus.PUBLISHED,
    )
    return NightlyRun.objects.create(
        school=school,
        night=night,
        date=night + datetime.timedelta(days=1),
        state=RunState.PUBLISHED,
        attempts=1,
        queued_at=STARTED,
        started_at=STARTED,
        finished_at=STARTED + datetime.timedelta(seconds=12.5),
        schedule=schedule,
    )


def failed_run(school: School, night: datetime.date = NIGHT) -> NightlyRun:
    kept = ScheduleFactory.create(
        school=school, date=night + datetime.timedelta(days=1), status=ScheduleStatus.PUBLISHED
    )
    return NightlyRun.objects.create(
        school=school,
        night=night,
        date=night + datetime.timedelta(days=1),
        trigger=RunTrigger.MANUAL,
        state=RunState.FAILED,
        attempts=2,
        queued_at=STARTED,
        started_at=STARTED,
        finished_at=STARTED + datetime.timedelta(seconds=3),
        schedule=kept,
        fallback=Fallback.KEPT,
        reasons=[REASON],
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def test_a_run_reads_with_its_outcome_in_the_schools_time(school_a: SchoolWorld):
    run = published_run(school_a.school)
    assert run.schedule is not None

    response = token_for(school_a.school).get(url())

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert body["results"] == [
        {
            "id": run.pk,
            "school": school_a.school.pk,
            "night": "2026-09-01",
            "date": "2026-09-02",
            "trigger": "nightly",
            "state": "published",
            "lost": False,
            "attempts": 1,
            "first_queued_at": "2026-09-01T02:00:05-07:00",
            "queued_at": "2026-09-01T02:00:05-07:00",
            "started_at": "2026-09-01T02:00:05-07:00",
            "finished_at": "2026-09-01T02:00:17.500000-07:00",
            "duration_seconds": 12.5,
            "schedule": {"id": run.schedule.pk, "version": 2, "status": "published"},
            "version_published": 2,
            "fallback": "",
            "why_not": "",
            "reasons": [],
        }
    ]


def test_a_failed_run_says_why_and_what_the_school_kept(school_a: SchoolWorld):
    run = failed_run(school_a.school)
    assert run.schedule is not None

    (row,) = token_for(school_a.school).get(url()).json()["results"]

    assert row["state"] == "failed" and row["trigger"] == "manual"
    assert row["version_published"] is None
    assert row["schedule"] == {
        "id": run.schedule.pk,
        "version": run.schedule.version,
        "status": "published",
    }
    assert (row["fallback"], row["why_not"], row["reasons"]) == (
        "kept",
        REASON["message"],
        [REASON],
    )


def test_a_schools_token_lists_its_runs_only(school_a: SchoolWorld, school_b: SchoolWorld):
    own = published_run(school_a.school)
    published_run(school_b.school)

    assert ids(token_for(school_a.school).get(url())) == [own.pk]
    assert ids(client_for(school_a.leader.user).get(url())) == [own.pk]
    assert ids(client_for(school_a.teacher.user).get(url())) == [own.pk]


def test_another_schools_id_matches_nothing_as_a_missing_one_does(
    school_a: SchoolWorld, school_b: SchoolWorld
):
    published_run(school_a.school)
    published_run(school_b.school)
    api = token_for(school_a.school)

    assert ids(api.get(url(school=str(school_b.school.pk)))) == []
    assert ids(api.get(url(school="999999"))) == []
    assert len(ids(api.get(url(school=str(school_a.school.pk))))) == 1


def test_runs_filter_by_night_and_state_newest_night_first(school_a: SchoolWorld):
    school = school_a.school
    first = published_run(school, NIGHT)
    failed = failed_run(school, NIGHT + datetime.timedelta(days=1))
    later = published_run(school, NIGHT + datetime.timedelta(days=2), version=5)
    api = token_for(school)

    assert ids(api.get(url())) == [later.pk, failed.pk, first.pk]
    assert ids(api.get(url(night="2026-09-02"))) == [failed.pk]
    assert ids(api.get(url(state="published"))) == [later.pk, first.pk]
    assert ids(api.get(url(state="published", night="2026-09-01"))) == [first.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"night": "tuesday"}, "night"),
        ({"state": "exploded"}, "state"),
        ({"school": "alder"}, "school"),
        ({"school": "0"}, "school"),
        ({"page": "0"}, "page"),
    ],
)
def test_a_bad_filter_is_a_problem_naming_the_field(school_a: SchoolWorld, query, field):
    response = token_for(school_a.school).get(url(**query))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == [field]


def test_runs_are_paged(school_a: SchoolWorld):
    school = school_a.school
    runs = [published_run(school, NIGHT + datetime.timedelta(days=n)) for n in range(3)]

    page = token_for(school).get(url(page_size="2", page="2")).json()

    assert page["count"] == 3 and page["next"] is None and page["previous"]
    assert [row["id"] for row in page["results"]] == [runs[0].pk]


def test_anonymous_callers_are_refused():
    assert APIClient().get(url()).status_code == 401


def test_the_list_reads_in_the_same_queries_however_many_runs(
    school_a: SchoolWorld, django_assert_num_queries
):
    school = school_a.school
    client = client_for(school_a.leader.user)
    published_run(school)
    client.get(url())  # warm the session
    # session, user, count, the page of runs with their schedules and school
    with django_assert_num_queries(4):
        assert len(ids(client.get(url()))) == 1
    for n in range(1, 12):
        published_run(school, NIGHT + datetime.timedelta(days=n))
        failed_run(school, NIGHT - datetime.timedelta(days=n))

    with django_assert_num_queries(4):
        assert len(ids(client.get(url()))) == 23
