"""A delta export reaches only the importing network's schools, classes and people.

The attack: a network admin's delta export naming another network's school sourcedId (with
that network's homerooms and students) ended that school's enrollments. Now references are
resolved only among the importing network's objects: a school, class or user that exists only
in another network is an error naming file, row and column, and nothing changes. sourcedIds are
unique per network, so two networks may share their SIS's ids and each import stays its own.
"""

import datetime
from pathlib import Path

import pytest

from students.models import Cohort, RosterImport, RosterImportState, School, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.imports import roster_import_run
from students.oneroster.plan import roster_plan
from tests.conftest import client_for
from tests.factories import NetworkFactory
from tests.students.oneroster_files import small_school

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)
DELTA_FILES = ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv")


def imported(network, export, tmp_path: Path):
    folder = export.write_folder(tmp_path / f"export-{len(list(tmp_path.iterdir()))}")
    plan = roster_plan(network=network, export=read_export(folder), today=TODAY)
    assert plan.ok, plan.errors
    roster_apply(plan)
    return plan


def delta_of(full, enrollments, users=()):
    delta = full.copy()
    delta.modes = {name: "delta" for name in DELTA_FILES}
    for name in ("academicSessions.csv", "courses.csv", "demographics.csv"):
        delta.modes[name] = "absent"
        del delta.tables[name]
    delta.tables["orgs.csv"] = []
    delta.tables["classes.csv"] = []
    delta.tables["users.csv"] = list(users)
    delta.tables["enrollments.csv"] = enrollments
    return delta


def post_delta(client, network, delta) -> RosterImport:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/v1/networks/{network.pk}/roster-imports/",
        {"file": SimpleUploadedFile("delta.zip", delta.zip_bytes()), "dry_run": "false"},
    )
    assert response.status_code == 202, response.content[:300]
    ran = roster_import_run(import_id=response.json()["id"], today=TODAY)
    assert ran is not None
    return ran


def test_a_delta_naming_another_networks_school_is_refused_and_changes_nothing(
    school_a, network_admin, tmp_path
):
    victim = NetworkFactory(slug="victim", name="Victim network")
    full = small_school()
    imported(victim, full, tmp_path)
    ended_before = Student.objects.filter(school__network=victim, enrollment_end__isnull=False)
    assert not ended_before.exists()
    # Every homeroom enrollment of the victim's students dropped, and a teacher's enrollment
    # kept (an active row, so the school is looked up among stored schools).
    dropped = [
        {**e, "status": "tobedeleted"}
        for e in full.rows("enrollments.csv")
        if e["role"] == "student"
    ]
    kept = {**full.row("enrollments.csv", "e-t1"), "sourcedId": "e-t1-again"}
    delta = delta_of(full, [*dropped, kept])

    record = post_delta(client_for(network_admin), school_a.school.network, delta)

    assert Student.objects.filter(school__network=victim, enrollment_end__isnull=True).count() == 10
    assert record.state == RosterImportState.REJECTED
    where = {(e["file"], e["row"], e["column"]) for e in record.errors}
    assert ("enrollments.csv", 2, "schoolSourcedId") in where, record.errors
    assert all("not in this network" in e["reason"] for e in record.errors), record.errors
    assert not School.objects.filter(network=school_a.school.network, sourced_id="s1").exists()


def test_a_delta_naming_another_networks_class_or_user_is_refused(school_a, tmp_path):
    own, victim = NetworkFactory(slug="own"), NetworkFactory(slug="victim")
    mine = small_school()
    imported(own, mine, tmp_path)
    theirs = small_school()
    for row in theirs.rows("orgs.csv"):
        row["sourcedId"] = {"s1": "v-s1", "d1": "v-d1"}[row["sourcedId"]]
        row["parentSourcedId"] = "v-d1" if row["type"] == "school" else ""
    for name in ("courses.csv", "classes.csv", "users.csv", "enrollments.csv"):
        for row in theirs.rows(name):
            for column in ("orgSourcedId", "schoolSourcedId", "orgSourcedIds"):
                if row.get(column) == "s1":
                    row[column] = "v-s1"
            for column in ("sourcedId", "classSourcedId", "userSourcedId"):
                if row.get(column, "").startswith(("hr-", "st", "t")):
                    row[column] = f"v-{row[column]}"
    for row in theirs.rows("demographics.csv"):
        row["sourcedId"] = f"v-{row['sourcedId']}"
    for row in theirs.rows("users.csv"):
        row["username"] = f"v-{row['username']}"
    imported(victim, theirs, tmp_path)
    # Our own school, but their homeroom and their student.
    their_class = {**mine.row("enrollments.csv", "e-st01"), "classSourcedId": "v-hr-k"}
    their_student = {
        **mine.row("enrollments.csv", "e-st02"),
        "sourcedId": "e-theirs",
        "userSourcedId": "v-st03",
        "status": "tobedeleted",
    }
    delta = delta_of(mine, [their_class, their_student])
    folder = delta.write_folder(tmp_path / "delta")

    plan = roster_plan(network=own, export=read_export(folder), today=TODAY)

    assert not plan.ok
    where = {(e.file, e.row, e.column) for e in plan.errors}
    assert where == {
        ("enrollments.csv", 2, "classSourcedId"),
        ("enrollments.csv", 3, "userSourcedId"),
    }, plan.errors
    assert all("not in this network" in e.reason for e in plan.errors)
    assert Student.objects.filter(school__network=victim, enrollment_end__isnull=True).count() == 10


def test_two_networks_with_the_same_sourced_ids_each_import_only_their_own(tmp_path):
    first, second = NetworkFactory(slug="first"), NetworkFactory(slug="second")

    imported(first, small_school(), tmp_path)
    plan = imported(second, small_school(), tmp_path)

    assert plan.counts()["school"] == {"create": 1}
    for network in (first, second):
        school = School.objects.get(network=network)
        assert school.sourced_id == "s1"
        assert Cohort.objects.filter(school=school).count() == 2
        assert Student.objects.filter(school=school).count() == 10
        assert Staff.objects.filter(school=school).count() == 2
    # Staff usernames are the same SIS usernames: the second network's rows got their own
    # accounts, never the first network's.
    accounts = {
        network.slug: set(Staff.objects.filter(school__network=network).values_list("user_id"))
        for network in (first, second)
    }
    assert not accounts["first"] & accounts["second"]

    # A delta of the second network ends its own student only.
    full = small_school()
    delta = delta_of(full, [{**full.row("enrollments.csv", "e-st01"), "status": "tobedeleted"}])
    folder = delta.write_folder(tmp_path / "delta")
    ended = roster_plan(network=second, export=read_export(folder), today=TODAY)
    assert ended.ok, ended.errors
    roster_apply(ended)

    assert Student.objects.get(school__network=first, sourced_id="st01").enrollment_end is None
    assert Student.objects.get(school__network=second, sourced_id="st01").enrollment_end == (
        TODAY - datetime.timedelta(days=1)
    )
    again = roster_plan(
        network=first, export=read_export(small_school().write_folder(tmp_path / "f")), today=TODAY
    )
    assert again.ok and again.changes == []
