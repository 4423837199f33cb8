"""Progress of first home visits (issue 22, item 5): the share of households visited by the
school's target date, of those that said yes and of all, by language and by educator with their
load, for a school's leaders (page and CSV) and a network's admins.

The world: the target was five days ago. Ms Ames teaches the Lopez (Spanish) and Tran
(Vietnamese) children, Mr Bell the Diaz child (English). The Lopez family was visited before the
target, the Tran family two days after it; the Diaz family has not answered; the Nguyen family
(Vietnamese, Bell's class) said yes and has a visit planned next week.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.access import school_today
from families.households import households_from_roster
from families.visit_models import (
    Household,
    HouseholdAnswer,
    SchoolVisitSettings,
    Visit,
    VisitStatus,
)
from families.visit_progress import school_progress
from students.models import Role, School, Staff

from ..factories import (
    CohortFactory,
    GuardianFactory,
    NetworkAdminFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
)

T = datetime.time
DAY = datetime.timedelta(days=1)


@dataclass
class ProgressWorld:
    school: School
    leader: Staff
    ames: Staff
    bell: Staff
    cruz: Staff
    households: dict[str, Household]


def family(school: School, cohort, name: str, language: str) -> None:
    child = StudentFactory.create(
        school=school, cohort=cohort, enrollment_start=school_today(school) - 60 * DAY
    )
    GuardianFactory.create(
        network=school.network, students=[child], family_name=name, language=language
    )


def visit(world_school: School, household: Household, lead: Staff, partner: Staff, **fields):
    return Visit.objects.create(
        school=world_school,
        household=household,
        lead=lead,
        partner=partner,
        start=T(16, 0),
        end=T(17, 0),
        **fields,
    )


@pytest.fixture
def world(db) -> ProgressWorld:
    school = SchoolFactory.create()
    today = school_today(school)
    SchoolVisitSettings.objects.create(school=school, first_visit_target=today - 5 * DAY)
    first, second = CohortFactory.create(school=school), CohortFactory.create(school=school)
    family(school, first, "Lopez", "es")
    family(school, first, "Tran", "vi")
    family(school, second, "Diaz", "en")
    family(school, second, "Nguyen", "vi")
    households_from_roster(school.network)
    found = {h.family_names: h for h in Household.objects.prefetch_related("guardians")}
    for name in ("Lopez", "Tran", "Nguyen"):
        found[name].answer = HouseholdAnswer.YES
        found[name].save()
    ames = StaffFactory.create(school=school, cohorts=[first])
    bell = StaffFactory.create(school=school, cohorts=[second])
    cruz = StaffFactory.create(school=school)
    leader = StaffFactory.create(school=school, roles=[Role.LEADER])
    visit(school, found["Lopez"], ames, cruz, date=today - 8 * DAY, status=VisitStatus.DONE)
    visit(school, found["Tran"], ames, cruz, date=today - 3 * DAY, status=VisitStatus.DONE)
    visit(school, found["Nguyen"], bell, cruz, date=today + 7 * DAY)
    # A visit moved counts for nobody: it is not a visit made nor one to make.
    visit(school, found["Nguyen"], bell, ames, date=today + 2 * DAY, status=VisitStatus.MOVED)
    return ProgressWorld(school, leader, ames, bell, cruz, found)


def test_the_school_share_counts_visits_done_by_the_target(world):
    progress = school_progress(world.school)

    total = progress.total
    assert (len(total.households), len(total.said_yes), len(total.visited)) == (4, 3, 1)
    assert (total.share_of_yes, total.share_of_all) == (33, 25)


def test_the_share_by_language(world):
    progress = school_progress(world.school)

    by_language = {
        row.name: (len(row.tally.households), len(row.tally.visited), row.tally.share_of_yes)
        for row in progress.languages
    }
    assert by_language == {
        "English": (1, 0, None),  # the Diaz family has not answered yet
        "Spanish": (1, 1, 100),
        "Vietnamese": (2, 0, 0),
    }


def test_each_educators_families_and_load(world):
    progress = school_progress(world.school)

    rows = {row.staff.pk: row for row in progress.educators}
    ames, bell, cruz = rows[world.ames.pk], rows[world.bell.pk], rows[world.cruz.pk]
    assert (len(ames.tally.households), len(ames.tally.visited), ames.tally.share_of_yes) == (
        2,
        1,
        50,
    )
    assert (len(bell.tally.households), bell.tally.share_of_yes) == (2, 0)
    assert (ames.planned, ames.done) == (0, 2)
    assert (bell.planned, bell.done) == (1, 0)
    assert (cruz.planned, cruz.done, len(cruz.tally.households)) == (1, 2, 0)


def test_the_progress_reads_in_as_many_queries_for_more_households(world):
    with CaptureQueriesContext(connection) as few:
        school_progress(world.school)
    cohort = world.ames.cohorts.get()
    for n in range(3):
        family(world.school, cohort, f"More{n}", "es")
    households_from_roster(world.school.network)
    with CaptureQueriesContext(connection) as more:
        progress = school_progress(world.school)

    assert len(progress.total.households) == 7
    assert len(more) == len(few)


def test_the_leaders_page_shows_the_shares_and_a_teacher_or_another_school_cannot(world, client):
    url = reverse("home-visits-progress", args=[world.school.pk])
    elsewhere = StaffFactory.create(
        school=SchoolFactory.create(network=world.school.network), roles=[Role.LEADER]
    )

    client.force_login(world.ames.user)
    teacher = client.get(url)
    client.force_login(elsewhere.user)
    other = client.get(url)
    other_csv = client.get(reverse("home-visits-progress-csv", args=[world.school.pk]))
    client.force_login(world.leader.user)
    page = client.get(url)

    assert (teacher.status_code, other.status_code, other_csv.status_code) == (403, 404, 404)
    body = page.content.decode()
    assert page.status_code == 200
    assert "33%" in body and "Vietnamese" in body and str(world.ames) in body
    assert "Lopez" not in body and "Tran" not in body


def test_the_csv_has_named_columns_counts_and_no_family_names(world, client):
    client.force_login(world.leader.user)

    response = client.get(reverse("home-visits-progress-csv", args=[world.school.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = school_today(world.school)
    assert f"-home-visits-{today.isoformat()}.csv" in response["Content-Disposition"]
    lines = response.content.decode().lstrip("\ufeff").splitlines()
    target = (today - 5 * DAY).isoformat()
    assert lines[0] == (
        "Target date,Level,Name,Households,Said yes,Visited by target,"
        "Visited of those who said yes (%),Visited of all (%),Visits planned,Visits done"
    )
    assert lines[1] == f"{target},school,{world.school.name},4,3,1,33,25,1,2"
    assert f"{target},language,Vietnamese,2,2,0,0,0,," in lines
    assert f"{target},educator,{world.ames},2,2,1,50,50,0,2" in lines
    assert not any(name in response.content.decode() for name in ("Lopez", "Tran", "Diaz"))


def test_a_network_admin_sees_every_school_and_a_leader_does_not(world, client):
    sister = SchoolFactory.create(network=world.school.network, name="Sister School")
    family(sister, CohortFactory.create(school=sister), "Okafor", "en")
    households_from_roster(world.school.network)
    admin = NetworkAdminFactory.create(network=world.school.network).user
    url = reverse("home-visits-network-progress", args=[world.school.network_id])

    client.force_login(world.leader.user)
    refused = client.get(url)
    client.force_login(admin)
    page = client.get(url)

    assert refused.status_code == 404
    assert page.status_code == 200
    progress = page.context["progress"]
    assert [s.school.name for s in progress.schools] == sorted([world.school.name, "Sister School"])
    assert (len(progress.total.households), len(progress.total.visited)) == (5, 1)
    assert "Sister School" in page.content.decode()
