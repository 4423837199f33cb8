"""POST /api/v1/progress/: every item checked, all stored or none, idempotent on the natural key."""

import datetime
import sqlite3
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from learninglabs.models import Program, ProgramKind, ProgressRecord, Subject
from learninglabs.services import (
    MAX_RECORDS_PER_PUSH,
    ProgressInput,
    progress_records_upsert,
)
from students.clients import api_client_create, api_token_issue
from students.models import AuditAction, AuditEvent

from ..conftest import client_for
from ..factories import StudentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/progress/"
ENROLLED = datetime.date(2026, 1, 5)


def today_at(world) -> datetime.date:
    return timezone.now().astimezone(world.school.zone).date()


def days_ago(world, n: int) -> str:
    return (today_at(world) - datetime.timedelta(days=n)).isoformat()


def token_api(world, *, can_write: bool) -> APIClient:
    client = api_client_create(
        network=world.school.network,
        name=f"Sync {world.school.name} {can_write}",
        schools=[world.school],
        can_write=can_write,
        by=world.leader.user,
    )
    _, key = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def make_program(world, code: str = "st-math") -> Program:
    return Program.objects.create(
        school=world.school,
        name=f"Program {code}",
        code=code,
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
        vendor="MIND",
    )


def enrolled_student(world, **kwargs):
    return StudentFactory(
        school=world.school, cohort=world.student.cohort, enrollment_start=ENROLLED, **kwargs
    )


@pytest.fixture
def alder(school_a):
    school_a.student.enrollment_start = ENROLLED
    school_a.student.save()
    make_program(school_a)
    return school_a


def record(world, student=None, **overrides) -> dict:
    body = {
        "student": (student or world.student).pk,
        "program": "st-math",
        "date": days_ago(world, 1),
        "minutes": 32,
        "lessons_completed": 2,
        "mastery_level": "71.50",
    }
    body.update(overrides)
    return body


def stored(world) -> list[tuple]:
    return list(
        ProgressRecord.objects.filter(student__school=world.school)
        .order_by("student_id", "date", "source")
        .values_list(
            "student_id",
            "program__code",
            "date",
            "source",
            "minutes",
            "lessons_completed",
            "mastery_level",
        )
    )


def test_a_good_push_stores_every_record_and_answers_the_counts(alder):
    second = enrolled_student(alder)
    api = token_api(alder, can_write=True)

    response = api.post(
        URL,
        [
            record(alder),
            record(alder, second, minutes=0, lessons_completed=0, mastery_level=None),
        ],
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "total": 2}
    yesterday = datetime.date.fromisoformat(days_ago(alder, 1))
    assert stored(alder) == [
        (alder.student.pk, "st-math", yesterday, "api", 32, 2, Decimal("71.50")),
        (second.pk, "st-math", yesterday, "api", 0, 0, None),
    ]


def test_the_same_body_twice_creates_nothing_the_second_time(alder):
    api = token_api(alder, can_write=True)
    body = [record(alder), record(alder, date=days_ago(alder, 2), source="csv:mind")]
    assert api.post(URL, body, format="json").status_code == 201
    first = list(ProgressRecord.objects.order_by("pk").values_list("pk", "received_at"))

    again = api.post(URL, body, format="json")

    assert again.status_code == 200
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "total": 2}
    assert list(ProgressRecord.objects.order_by("pk").values_list("pk", "received_at")) == first


def test_a_corrected_record_replaces_the_stored_one_and_other_sources_stay(alder):
    api = token_api(alder, can_write=True)
    api.post(URL, [record(alder), record(alder, source="csv:mind", minutes=20)], format="json")

    response = api.post(URL, [record(alder, minutes=45, mastery_level="80")], format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "total": 1}
    yesterday = datetime.date.fromisoformat(days_ago(alder, 1))
    assert stored(alder) == [
        (alder.student.pk, "st-math", yesterday, "api", 45, 2, Decimal("80.00")),
        (alder.student.pk, "st-math", yesterday, "csv:mind", 20, 2, Decimal("71.50")),
    ]


def test_bad_items_are_named_by_index_and_field_and_nothing_is_stored(alder):
    left = enrolled_student(alder, enrollment_end=datetime.date(2026, 3, 1))
    api = token_api(alder, can_write=True)
    body = [
        record(alder),  # 0: good
        record(alder, minutes=601),  # 1
        record(alder, program="no-such-program"),  # 2
        record(alder, date=(today_at(alder) + datetime.timedelta(days=1)).isoformat()),  # 3
        record(alder, left, date="2026-04-01"),  # 4: after the student left
        record(alder, mastery_level="100.01", date="not-a-date", minut=3),  # 5: shape errors
        record(alder),  # 6: repeats item 0
        "not an object",  # 7
    ]

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Progress records were refused"
    assert problem["detail"] == "7 of 8 records have errors; nothing was stored."
    errors = problem["errors"]
    assert list(errors) == ["1", "2", "3", "4", "5", "6", "7"]
    assert set(errors["1"]) == {"minutes"}
    assert errors["2"] == {
        "program": ["No program with code 'no-such-program' at the student's school."]
    }
    assert set(errors["3"]) == {"date"} and "in the future" in errors["3"]["date"][0]
    assert errors["4"] == {
        "date": [
            "The student was not enrolled on April 1, 2026 "
            "(enrolled from Jan. 5, 2026 to March 1, 2026)."
        ]
    }
    assert set(errors["5"]) == {"date", "mastery_level", "minut"}
    assert errors["6"] == {
        "non_field_errors": ["Repeats item 0: the same student, program, date and source."]
    }
    assert set(errors["7"]) == {"non_field_errors"}
    assert ProgressRecord.objects.count() == 0


def test_an_unknown_field_is_refused_rather_than_dropped(alder):
    api = token_api(alder, can_write=True)
    body = [record(alder)]
    body[0]["minute"] = body[0].pop("minutes")

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]["0"]) == {"minutes", "minute"}
    assert ProgressRecord.objects.count() == 0


def test_another_schools_student_is_refused_for_a_token_of_school_b(alder, school_b):
    school_b.student.enrollment_start = ENROLLED
    school_b.student.save()
    make_program(school_b)
    api = token_api(school_b, can_write=True)

    response = api.post(URL, [record(school_b), record(school_b, alder.student)], format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "1": {
            "student": [
                f"No student with id {alder.student.pk} among the schools you may write to."
            ]
        }
    }
    assert ProgressRecord.objects.count() == 0
    denied = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert denied.object_id == str(alder.student.pk) and denied.school_id == alder.school.pk


def test_a_program_of_another_school_is_not_found_for_the_students_school(alder, school_b):
    make_program(school_b, code="lexia")
    api = token_api(alder, can_write=True)

    response = api.post(URL, [record(alder, program="lexia")], format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]["0"]) == {"program"}
    assert ProgressRecord.objects.count() == 0


def test_a_read_only_token_gets_403_and_nothing_is_stored(alder):
    response = token_api(alder, can_write=False).post(URL, [record(alder)], format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert ProgressRecord.objects.count() == 0


def test_a_leader_may_push_in_the_browser_a_teacher_may_not_and_anonymous_is_401(alder):
    leader = client_for(alder.leader.user)
    assert leader.post(URL, [record(alder)], content_type="application/json").status_code == 201

    teacher = client_for(alder.teacher.user)
    refused = teacher.post(URL, [record(alder, minutes=1)], content_type="application/json")
    assert refused.status_code == 403

    anonymous = APIClient().post(URL, [record(alder, minutes=2)], format="json")
    assert anonymous.status_code == 401
    assert ProgressRecord.objects.get().minutes == 32


def test_a_body_that_is_not_a_list_or_too_long_is_refused(alder):
    api = token_api(alder, can_write=True)

    not_a_list = api.post(URL, record(alder), format="json")
    too_long = api.post(URL, [record(alder)] * (MAX_RECORDS_PER_PUSH + 1), format="json")

    assert not_a_list.status_code == 400
    assert set(not_a_list.json()["errors"]) == {"non_field_errors"}
    assert too_long.status_code == 400
    assert too_long.json()["errors"] == {
        "non_field_errors": [f"Send at most {MAX_RECORDS_PER_PUSH} records."]
    }
    assert ProgressRecord.objects.count() == 0


def test_an_empty_list_stores_nothing_and_says_so(alder):
    response = token_api(alder, can_write=True).post(URL, [], format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 0, "total": 0}


@pytest.fixture
def one_statement_per_insert(monkeypatch):
    """Django assumes SQLite's compile-time default of 999 parameters per statement and splits a
    bulk insert above it; the SQLite in use allows far more (as PostgreSQL's 65,535 allow one
    statement for a whole push). Use the real limit so the test measures the service."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)


def test_a_push_takes_the_same_queries_for_10_and_200_records(
    alder, django_assert_num_queries, one_statement_per_insert
):
    students = [alder.student, *(enrolled_student(alder) for _ in range(19))]
    leader = alder.leader.user

    def batch(count: int, minutes: int) -> list[ProgressInput]:
        return [
            ProgressInput(
                index=i,
                student_id=students[i // 10].pk,
                program_code="st-math",
                date=today_at(alder) - datetime.timedelta(days=1 + i % 10),
                minutes=minutes,
                lessons_completed=1,
                mastery_level=Decimal("50.5"),
            )
            for i in range(count)
        ]

    # students and programs (validation), stored records, savepoint, insert, release
    for count in (10, 200):
        with django_assert_num_queries(6):
            result = progress_records_upsert(records=batch(count, 30), by=leader)
        assert result.total == count
    with django_assert_num_queries(6):  # a correction of all 200
        result = progress_records_upsert(records=batch(200, 31), by=leader)
    assert (result.created, result.updated) == (0, 200)
    with django_assert_num_queries(5):  # the same again: nothing to write
        result = progress_records_upsert(records=batch(200, 31), by=leader)
    assert result.unchanged == 200
    assert ProgressRecord.objects.filter(minutes=31).count() == 200


def test_a_body_over_the_endpoints_5_mib_answers_413_and_stores_nothing(alder):
    api = token_api(alder, can_write=True)

    # 2 MiB is over the API's default limit but within this endpoint's: read, then refused.
    within = api.post(URL, [record(alder, pad="x" * (2 * 1024 * 1024))], format="json")
    response = api.post(URL, [record(alder, pad="x" * (5 * 1024 * 1024))], format="json")

    assert within.status_code == 400 and set(within.json()["errors"]["0"]) == {"pad"}
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert ProgressRecord.objects.count() == 0


def test_the_admin_lists_only_the_leaders_schools_progress(alder, school_b):
    school_b.student.enrollment_start = ENROLLED
    school_b.student.save()
    make_program(school_b)
    progress_records_upsert(
        records=[
            ProgressInput(
                index=0,
                student_id=alder.student.pk,
                program_code="st-math",
                date=today_at(alder),
                minutes=17,
            )
        ],
        by=alder.leader.user,
    )
    progress_records_upsert(
        records=[
            ProgressInput(
                index=0,
                student_id=school_b.student.pk,
                program_code="st-math",
                date=today_at(school_b),
                minutes=23,
            )
        ],
        by=school_b.leader.user,
    )
    browser = client_for(alder.leader.user)

    listed = browser.get("/admin/learninglabs/progressrecord/")
    programs = browser.get("/admin/learninglabs/program/")

    assert listed.status_code == 200 and programs.status_code == 200
    assert [r.minutes for r in listed.context["cl"].result_list] == [17]
    assert [p.school_id for p in programs.context["cl"].result_list] == [alder.school.pk]
