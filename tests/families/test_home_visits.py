"""Home visits in Django (issue 22): households grouped from the roster, a leader's one-click plan
stored only as the independent checker accepts it, the families left out listed with a reason in
plain words, a re-plan that keeps what was done, and who may read a household and its address.

The world: one school with two cohorts; Ms Ames teaches cohort 1, Mr Bell cohort 2, Ms Cruz
(who speaks Spanish) teaches neither; all three give weekday afternoons for visits. The Lopez
guardians share two children, one in each cohort: one household. The Tran family's child is in
cohort 1; the Diaz family's child is in a cohort nobody teaches.
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
from families.visit_demo import seed_home_visits
from families.visit_models import (
    Household,
    HouseholdAnswer,
    Visit,
    VisitSettings,
    VisitStatus,
    VisitWindow,
)
from families.visit_planning import plan_first_visits, visit_problem
from families.visit_selectors import reason_text
from families.visits.problem import PlannedVisit, Unplaced, UnplacedReason, VisitPlan
from families.visits.validate import plan_problems
from scheduling.models import minutes_of
from students.models import AuditEvent, Role, School, Staff

from ..factories import (
    CohortFactory,
    GuardianFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
)

T = datetime.time
ADDRESS = "1200 Alum Rock Avenue"


@dataclass
class VisitWorld:
    school: School
    leader: Staff
    ames: Staff
    bell: Staff
    cruz: Staff
    lopez: Household
    tran: Household
    diaz: Household


def afternoons(staff: Staff, today: datetime.date) -> None:
    for weekday in range(5):
        VisitWindow.objects.create(
            staff=staff,
            weekday=weekday,
            starts_on=today,
            ends_on=today + datetime.timedelta(weeks=6),
            start=T(15, 30),
            end=T(18, 0),
        )


@pytest.fixture
def world(db) -> VisitWorld:
    school = SchoolFactory.create()
    today = school_today(school)
    enrolled = today - datetime.timedelta(days=30)
    one, two, untaught = (CohortFactory.create(school=school) for _ in range(3))
    ana = StudentFactory.create(school=school, cohort=one, enrollment_start=enrolled)
    tomas = StudentFactory.create(school=school, cohort=two, enrollment_start=enrolled)
    linh = StudentFactory.create(school=school, cohort=one, enrollment_start=enrolled)
    sofia = StudentFactory.create(school=school, cohort=untaught, enrollment_start=enrolled)
    network = school.network
    GuardianFactory.create(network=network, students=[ana], language="es")
    GuardianFactory.create(network=network, students=[ana, tomas], language="es")
    GuardianFactory.create(network=network, students=[linh], language="vi")
    GuardianFactory.create(network=network, students=[sofia])
    households_from_roster(network)
    lopez, tran, diaz = Household.objects.filter(network=network).order_by("pk")
    Household.objects.filter(network=network).update(answer=HouseholdAnswer.YES, address=ADDRESS)
    ames = StaffFactory.create(school=school, cohorts=[one])
    bell = StaffFactory.create(school=school, cohorts=[two])
    cruz = StaffFactory.create(school=school)
    VisitSettings.objects.create(staff=cruz, languages=["es"])
    for staff in (ames, bell, cruz):
        afternoons(staff, today)
    leader = StaffFactory.create(school=school, roles=[Role.LEADER])
    return VisitWorld(school, leader, ames, bell, cruz, lopez, tran, diaz)


def stored_plan(school: School) -> VisitPlan:
    """The plan as the database holds it, rebuilt for the checker."""
    run = school.visit_plan_runs.first()
    assert run is not None
    return VisitPlan(
        visits=tuple(
            PlannedVisit(
                v.household_id,
                v.lead_id,
                v.partner_id,
                v.date,
                minutes_of(v.start),
                minutes_of(v.end),
                v.order,
            )
            for v in Visit.objects.filter(school=school, status__in=Visit.KEPT)
        ),
        unplaced=tuple(Unplaced(u["household"], UnplacedReason(u["reason"])) for u in run.unplaced),
    )


def test_siblings_in_two_cohorts_and_their_guardians_are_one_household(world):
    lopez_guardians = set(world.lopez.guardians.values_list("pk", flat=True))

    assert len(lopez_guardians) == 2
    assert world.lopez.language == "es" and world.tran.language == "vi"
    assert Household.objects.filter(network=world.school.network).count() == 3
    again = households_from_roster(world.school.network)
    assert (again.created, again.moved, again.deleted) == (0, 0, 0)


def test_a_household_that_answered_is_kept_when_its_guardian_leaves_the_roster(world):
    world.tran.guardians.update(active=False)

    households_from_roster(world.school.network)

    assert Household.objects.filter(pk=world.tran.pk).exists()
    assert not world.tran.guardians.exists()


def test_a_leader_plans_first_visits_that_the_checker_accepts(world, client):
    problem = visit_problem(world.school).problem
    client.force_login(world.leader.user)

    response = client.post(reverse("home-visits-plan", args=[world.school.pk]))

    assert response.status_code == 302
    visits = Visit.objects.filter(school=world.school)
    assert set(visits.values_list("household_id", flat=True)) == {world.lopez.pk, world.tran.pk}
    assert plan_problems(problem, stored_plan(world.school)) == ()
    lopez = visits.get(household=world.lopez)
    # The Spanish-speaking family is visited by one of their children's teachers with Ms Cruz.
    assert {lopez.lead_id, lopez.partner_id} & {world.ames.pk, world.bell.pk}
    assert world.cruz.pk in (lopez.lead_id, lopez.partner_id)
    assert lopez.date > school_today(world.school)


def test_families_left_out_are_listed_with_the_reason_in_plain_words(world, client):
    plan_first_visits(world.school, world.leader.user)
    client.force_login(world.leader.user)

    page = client.get(reverse("home-visits-school", args=[world.school.pk]))

    run = world.school.visit_plan_runs.get()
    assert run.unplaced == [{"household": world.diaz.pk, "reason": "no-teacher"}]
    assert "No teacher of a child at this school" in page.content.decode()
    listed = AuditEvent.objects.filter(model="families.household", school=world.school)
    assert listed.filter(object_id=str(world.diaz.pk)).exists()


def test_a_replan_keeps_a_done_visit_and_places_only_the_families_without_one(world):
    yesterday = school_today(world.school) - datetime.timedelta(days=1)
    done = Visit.objects.create(
        school=world.school,
        household=world.lopez,
        lead=world.bell,
        partner=world.cruz,
        date=yesterday,
        start=T(16, 0),
        end=T(17, 0),
        status=VisitStatus.DONE,
    )

    first = plan_first_visits(world.school, world.leader.user)
    second = plan_first_visits(world.school, world.leader.user)

    assert first.placed == 1 and second.placed == 0
    assert list(Visit.objects.filter(household=world.lopez)) == [done]
    assert Visit.objects.filter(household=world.tran).count() == 1
    done.refresh_from_db()
    assert (done.status, done.date) == (VisitStatus.DONE, yesterday)


def test_a_leader_of_another_school_gets_404_for_a_household_and_a_visit(world, client):
    plan_first_visits(world.school, world.leader.user)
    visit = Visit.objects.filter(school=world.school).first()
    elsewhere = StaffFactory.create(
        school=SchoolFactory.create(network=world.school.network), roles=[Role.LEADER]
    )
    client.force_login(elsewhere.user)

    urls = [
        reverse("home-visits-school", args=[world.school.pk]),
        reverse("home-visits-household", args=[world.school.pk, world.lopez.pk]),
        reverse("home-visits-visit", args=[world.school.pk, visit.pk]),
        reverse("home-visits-household", args=[elsewhere.school_id, world.lopez.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(model="families.household", action="view").exists()


def test_the_address_is_shown_to_the_pair_and_leaders_only(world, client):
    plan_first_visits(world.school, world.leader.user)
    tran = Visit.objects.get(household=world.tran)
    pair = {tran.lead_id, tran.partner_id}
    outsider = next(s for s in (world.ames, world.bell, world.cruz) if s.pk not in pair)
    url = reverse("home-visits-household", args=[world.school.pk, world.tran.pk])

    client.force_login(outsider.user)
    hidden = client.get(url)
    client.force_login(tran.lead.user)
    shown = client.get(url)
    client.force_login(world.leader.user)
    to_leader = client.get(url)

    assert hidden.status_code == 200 and ADDRESS not in hidden.content.decode()
    assert ADDRESS in shown.content.decode()
    assert ADDRESS in to_leader.content.decode()
    reads = AuditEvent.objects.filter(model="families.household", object_id=str(world.tran.pk))
    assert [e.detail["address"] for e in reads.order_by("pk")] == [False, True, True]


def test_an_educators_calendar_feed_lists_their_visits(world, client):
    plan_first_visits(world.school, world.leader.user)
    mine = Visit.objects.filter(lead=world.ames) | Visit.objects.filter(partner=world.ames)
    client.force_login(world.ames.user)

    made = client.post(reverse("home-visits-mine"), {"staff": world.ames.pk, "action": "make"})
    url = made.context["new_feeds"][0][1]
    client.logout()
    feed = client.get(url)
    wrong = client.get(url.split("?")[0] + "?token=nope_nope")

    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert mine.count() >= 1
    for visit in mine:
        assert f"home-visit-{visit.pk}@" in body
    assert "1200 Alum Rock Avenue" in body
    assert wrong.status_code == 404


def test_a_leader_records_the_familys_answer_address_and_times(world, client):
    client.force_login(world.leader.user)
    url = reverse("home-visits-household", args=[world.school.pk, world.diaz.pk])

    response = client.post(
        url,
        {
            "answer": HouseholdAnswer.NOT_NOW,
            "address": "55 Story Road",
            "latitude": "37.330000",
            "longitude": "-121.860000",
            "language": "ES",
            "notes": "",
            "days": ["1", "3"],
            "part": "evening",
        },
    )

    assert response.status_code == 302
    world.diaz.refresh_from_db()
    assert (world.diaz.answer, world.diaz.address, world.diaz.language) == (
        HouseholdAnswer.NOT_NOW,
        "55 Story Road",
        "es",
    )
    assert world.diaz.location == (37.33, -121.86)
    assert world.diaz.preferred_times == [
        {"weekday": 1, "part": "evening"},
        {"weekday": 3, "part": "evening"},
    ]


def test_a_teacher_cannot_change_a_household(world, client):
    client.force_login(world.ames.user)
    url = reverse("home-visits-household", args=[world.school.pk, world.diaz.pk])

    response = client.post(url, {"answer": HouseholdAnswer.NO, "language": "en"})

    assert response.status_code == 403
    world.diaz.refresh_from_db()
    assert world.diaz.answer == HouseholdAnswer.YES


def test_an_educator_gives_times_languages_and_a_cap_for_their_own_visits(world, client):
    client.force_login(world.bell.user)
    url = reverse("home-visits-times", args=[world.bell.pk])

    client.post(
        url,
        {"action": "add", "date": "2026-12-12", "start": "10:00", "end": "12:00"},
    )
    client.post(url, {"action": "settings", "weekly_cap": "2", "languages": ["vi"]})
    someone_elses = client.get(reverse("home-visits-times", args=[world.ames.pk]))

    saturday = world.bell.visit_windows.get(date=datetime.date(2026, 12, 12))
    assert (saturday.start, saturday.end) == (T(10, 0), T(12, 0))
    settings_of_bell = VisitSettings.objects.get(staff=world.bell)
    assert (settings_of_bell.weekly_cap, settings_of_bell.languages) == (2, ["vi"])
    assert someone_elses.status_code == 404


def test_the_pair_reads_their_visit_and_their_times_page(world, client):
    plan_first_visits(world.school, world.leader.user)
    visit = Visit.objects.get(household=world.tran)
    client.force_login(visit.partner.user)

    page = client.get(reverse("home-visits-visit", args=[world.school.pk, visit.pk]))
    times = client.get(reverse("home-visits-times", args=[visit.partner_id]))

    assert page.status_code == 200 and ADDRESS in page.content.decode()
    assert times.status_code == 200
    assert len(times.context["windows"]) == 5  # a weekly window for each weekday


def test_the_leaders_page_reads_in_as_many_queries_for_more_households(world, client):
    client.force_login(world.leader.user)
    url = reverse("home-visits-school", args=[world.school.pk])
    plan_first_visits(world.school, world.leader.user)
    client.get(url)  # warm the session and the caches

    with CaptureQueriesContext(connection) as three:
        client.get(url)
    cohort = world.ames.cohorts.get()
    for _ in range(3):
        child = StudentFactory.create(
            school=world.school,
            cohort=cohort,
            enrollment_start=school_today(world.school) - datetime.timedelta(days=30),
        )
        GuardianFactory.create(network=world.school.network, students=[child])
    households_from_roster(world.school.network)
    plan_first_visits(world.school, world.leader.user)
    with CaptureQueriesContext(connection) as six:
        client.get(url)

    assert len(six) == len(three)


def test_a_leader_updates_households_from_the_roster_and_a_teacher_cannot(world, client):
    child = StudentFactory.create(
        school=world.school,
        cohort=world.ames.cohorts.get(),
        enrollment_start=school_today(world.school) - datetime.timedelta(days=30),
    )
    GuardianFactory.create(network=world.school.network, students=[child])
    url = reverse("home-visits-households-sync", args=[world.school.pk])

    client.force_login(world.ames.user)
    refused = client.post(url)
    client.force_login(world.leader.user)
    done = client.post(url)

    assert refused.status_code == 403
    assert done.status_code == 302
    assert Household.objects.filter(network=world.school.network).count() == 4


def test_each_reason_reads_as_a_sentence_naming_the_language():
    assert reason_text("no-language-match", "es") == (
        "None of the school's speakers of Spanish is free with a teacher"
    )
    assert reason_text("caps-full", "en") == "The educators' weekly visits are all taken"
    assert reason_text("no-shared-window", "en") == (
        "No time when one of the child's teachers, a colleague and the family are all free"
    )


def test_the_demo_seeding_fills_in_what_is_missing_and_changes_nothing_the_second_time(world):
    today = school_today(world.school)
    Household.objects.update(answer=HouseholdAnswer.NOT_ASKED, address="")
    VisitWindow.objects.all().delete()

    first = seed_home_visits(world.school.network, today=today)
    answers = list(Household.objects.order_by("pk").values_list("answer", "address"))
    second = seed_home_visits(world.school.network, today=today)

    assert first.households == 3 and first.windows > 0
    assert (second.answered, second.windows) == (0, 0)
    assert list(Household.objects.order_by("pk").values_list("answer", "address")) == answers
    assert all(address for _, address in answers)
