"""Tracking home visits (issue 22, items 4 and 6): the pair marks a visit done, moved or
declined; the pair's reflection after a done visit is read by the pair and the school's leaders
only, every read audited; reminders go to each educator once, the day before.

The world: one school; Ms Ames teaches the Lopez family's child and visits them tomorrow with
Mr Bell; Ms Cruz is a colleague outside the pair; a leader leads the school. Yesterday's visit to
the Tran family (Ames with Cruz) is waiting to be marked.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from families.access import school_today
from families.households import households_from_roster
from families.visit_models import (
    Household,
    HouseholdAnswer,
    Visit,
    VisitReflection,
    VisitReminder,
    VisitStatus,
    VisitWindow,
)
from families.visit_planning import plan_first_visits
from families.visit_reminders import reminders_send_due
from families.visit_tracking import VisitTrackingRefused, visit_move
from students.models import AuditEvent, Role, School, Staff

from ..api.world import token_for
from ..factories import (
    CohortFactory,
    GuardianFactory,
    NetworkAdminFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
)
from .signin_helpers import family_account, signed_in

T = datetime.time
DAY = datetime.timedelta(days=1)
ADDRESS = "1200 Alum Rock Avenue"
REFLECTION = "Ana dreams of being a vet; her mother asks for the math homework in Spanish."


@dataclass
class TrackWorld:
    school: School
    leader: Staff
    ames: Staff
    bell: Staff
    cruz: Staff
    lopez: Household
    tran: Household
    tomorrow: Visit
    yesterday: Visit


@pytest.fixture
def world(db) -> TrackWorld:
    school = SchoolFactory.create()
    today = school_today(school)
    cohort = CohortFactory.create(school=school)
    ana = StudentFactory.create(school=school, cohort=cohort, enrollment_start=today - 30 * DAY)
    linh = StudentFactory.create(school=school, cohort=cohort, enrollment_start=today - 30 * DAY)
    GuardianFactory.create(
        network=school.network, students=[ana], family_name="Lopez", language="es"
    )
    GuardianFactory.create(
        network=school.network, students=[linh], family_name="Tran", language="vi"
    )
    households_from_roster(school.network)
    lopez, tran = Household.objects.filter(network=school.network).order_by("pk")
    Household.objects.filter(network=school.network).update(
        answer=HouseholdAnswer.YES, address=ADDRESS
    )
    ames = StaffFactory.create(school=school, cohorts=[cohort])
    bell = StaffFactory.create(school=school)
    cruz = StaffFactory.create(school=school)
    leader = StaffFactory.create(school=school, roles=[Role.LEADER])
    tomorrow = Visit.objects.create(
        school=school,
        household=lopez,
        lead=ames,
        partner=bell,
        date=today + DAY,
        start=T(16, 0),
        end=T(17, 0),
    )
    yesterday = Visit.objects.create(
        school=school,
        household=tran,
        lead=ames,
        partner=cruz,
        date=today - DAY,
        start=T(15, 30),
        end=T(16, 30),
    )
    return TrackWorld(school, leader, ames, bell, cruz, lopez, tran, tomorrow, yesterday)


def status_url(visit: Visit) -> str:
    return reverse("home-visits-visit-status", args=[visit.school_id, visit.pk])


def reflection_url(visit: Visit) -> str:
    return reverse("home-visits-visit-reflection", args=[visit.school_id, visit.pk])


def page_url(visit: Visit) -> str:
    return reverse("home-visits-visit", args=[visit.school_id, visit.pk])


def as_user(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def done_with_reflection(world: TrackWorld) -> VisitReflection:
    as_user(world.cruz).post(status_url(world.yesterday), {"action": "done"})
    as_user(world.ames).post(reflection_url(world.yesterday), {"text": REFLECTION})
    return VisitReflection.objects.get(visit=world.yesterday)


# --- status ------------------------------------------------------------------------------------


def test_the_pair_marks_yesterdays_visit_done(world):
    response = as_user(world.cruz).post(status_url(world.yesterday), {"action": "done"})

    assert response.status_code == 302
    world.yesterday.refresh_from_db()
    assert world.yesterday.status == VisitStatus.DONE


def test_a_visit_is_not_marked_done_before_its_day(world):
    response = as_user(world.ames).post(status_url(world.tomorrow), {"action": "done"}, follow=True)

    world.tomorrow.refresh_from_db()
    assert world.tomorrow.status == VisitStatus.PLANNED
    assert "A visit can be marked done on its day or later." in response.content.decode()


def test_a_leader_marks_that_the_family_declined(world):
    as_user(world.leader).post(status_url(world.tomorrow), {"action": "declined"})

    world.tomorrow.refresh_from_db()
    assert world.tomorrow.status == VisitStatus.DECLINED


def test_a_colleague_outside_the_pair_cannot_mark_the_visit(world):
    response = as_user(world.cruz).post(status_url(world.tomorrow), {"action": "declined"})

    assert response.status_code == 403
    world.tomorrow.refresh_from_db()
    assert world.tomorrow.status == VisitStatus.PLANNED


def test_a_visit_moved_to_an_agreed_time_keeps_its_pair_and_leaves_the_old_one_moved(world):
    new_day = school_today(world.school) + 3 * DAY

    response = as_user(world.bell).post(
        status_url(world.tomorrow),
        {"action": "moved", "date": new_day.isoformat(), "start": "17:00", "end": "18:00"},
    )

    world.tomorrow.refresh_from_db()
    new = Visit.objects.get(household=world.lopez, status=VisitStatus.PLANNED)
    assert world.tomorrow.status == VisitStatus.MOVED
    assert (new.lead, new.partner, new.date, new.start, new.end) == (
        world.ames,
        world.bell,
        new_day,
        T(17, 0),
        T(18, 0),
    )
    assert response["Location"] == page_url(new)


def test_a_move_onto_another_visit_of_the_pair_is_refused_and_changes_nothing(world):
    later = school_today(world.school) + 3 * DAY
    Visit.objects.create(
        school=world.school,
        household=world.tran,
        lead=world.cruz,
        partner=world.ames,
        date=later,
        start=T(16, 0),
        end=T(17, 0),
    )

    with pytest.raises(VisitTrackingRefused):
        visit_move(visit=world.tomorrow, date=later, start=T(16, 30), end=T(17, 30))

    world.tomorrow.refresh_from_db()
    assert world.tomorrow.status == VisitStatus.PLANNED
    assert Visit.objects.filter(household=world.lopez).count() == 1


def test_a_visit_moved_without_a_time_is_placed_again_by_the_next_plan(world, settings):
    settings.HOME_VISIT_WORK_LIMIT = 1.0
    today = school_today(world.school)
    for staff in (world.ames, world.bell):
        VisitWindow.objects.create(staff=staff, date=today + 2 * DAY, start=T(15), end=T(18))
    as_user(world.ames).post(status_url(world.tomorrow), {"action": "moved"})

    run = plan_first_visits(world.school, world.leader.user)

    world.tomorrow.refresh_from_db()
    again = Visit.objects.get(household=world.lopez, status=VisitStatus.PLANNED)
    assert world.tomorrow.status == VisitStatus.MOVED
    assert run.placed == 1 and again.date == today + 2 * DAY
    # Only the moved household was planned: yesterday's visit is as it was.
    world.yesterday.refresh_from_db()
    assert (world.yesterday.status, world.yesterday.date) == (VisitStatus.PLANNED, today - DAY)


# --- reflections -------------------------------------------------------------------------------


def test_the_pair_writes_a_reflection_and_the_leader_reads_it_audited(world):
    reflection = done_with_reflection(world)

    to_partner = as_user(world.cruz).get(page_url(world.yesterday))
    to_leader = as_user(world.leader).get(page_url(world.yesterday))

    assert reflection.text == REFLECTION and reflection.written_by == world.ames.user
    assert REFLECTION in to_partner.content.decode()
    assert REFLECTION in to_leader.content.decode()
    reads = AuditEvent.objects.filter(model="families.visitreflection", object_id=reflection.pk)
    assert sorted(reads.values_list("user_id", flat=True)) == sorted(
        [world.cruz.user_id, world.leader.user_id]
    )
    assert all(e.detail == {"visit": world.yesterday.pk, "household": world.tran.pk} for e in reads)


def test_a_reflection_waits_for_the_visit_to_be_done_and_stays_short(world):
    early = as_user(world.ames).post(reflection_url(world.yesterday), {"text": REFLECTION})
    as_user(world.ames).post(status_url(world.yesterday), {"action": "done"})
    too_long = as_user(world.ames).post(reflection_url(world.yesterday), {"text": "x" * 2001})

    assert early.status_code == too_long.status_code == 302
    assert not VisitReflection.objects.exists()


def test_the_leader_reads_but_does_not_write_the_pairs_reflection(world):
    done_with_reflection(world)

    response = as_user(world.leader).post(reflection_url(world.yesterday), {"text": "Changed."})

    assert response.status_code == 403
    assert VisitReflection.objects.get().text == REFLECTION


def test_other_staff_and_a_network_admin_see_neither_reflection_nor_address(world):
    done_with_reflection(world)
    admin = NetworkAdminFactory.create(network=world.school.network).user
    by_admin = Client()
    by_admin.force_login(admin)

    to_bell = as_user(world.bell).get(page_url(world.yesterday))
    to_admin = by_admin.get(page_url(world.yesterday))
    write = as_user(world.bell).post(reflection_url(world.yesterday), {"text": "Mine now."})

    assert to_bell.status_code == 200
    assert REFLECTION not in to_bell.content.decode()
    assert ADDRESS not in to_bell.content.decode()
    assert REFLECTION not in to_admin.content.decode()
    assert write.status_code == 403
    assert not AuditEvent.objects.filter(model="families.visitreflection").exists()


def test_a_leader_of_another_school_gets_404_for_the_visit_its_reflection_and_status(world):
    done_with_reflection(world)
    elsewhere = StaffFactory.create(
        school=SchoolFactory.create(network=world.school.network), roles=[Role.LEADER]
    )
    client = as_user(elsewhere)

    answers = [
        client.get(page_url(world.yesterday)).status_code,
        client.post(reflection_url(world.yesterday), {"text": "x"}).status_code,
        client.post(status_url(world.tomorrow), {"action": "declined"}).status_code,
    ]

    assert answers == [404, 404, 404]
    world.tomorrow.refresh_from_db()
    assert world.tomorrow.status == VisitStatus.PLANNED
    assert VisitReflection.objects.get().text == REFLECTION


def test_a_guardians_session_reads_no_visit_reflection_or_address(world):
    done_with_reflection(world)
    guardian = world.tran.guardians.get()
    client = signed_in(family_account(guardian))

    answers = {
        url: client.get(url)
        for url in (
            page_url(world.yesterday),
            reverse("home-visits-household", args=[world.school.pk, world.tran.pk]),
        )
    }
    refused = client.post(reflection_url(world.yesterday), {"text": "x"})

    for url, response in answers.items():
        assert response.status_code in (403, 404), url
        assert REFLECTION not in response.content.decode()
        assert ADDRESS not in response.content.decode()
    assert refused.status_code in (403, 404)
    assert VisitReflection.objects.get().text == REFLECTION


def test_an_api_token_reads_no_visit_and_the_api_has_no_household_or_reflection(world):
    done_with_reflection(world)
    token = Client(headers={"Authorization": f"Token {token_for(world.school)}"})

    page = token.get(page_url(world.yesterday))
    schema = token.get(reverse("api-schema"), {"format": "json"})

    assert page.status_code == 302 and "/login/" in page["Location"]
    assert schema.status_code == 200
    body = schema.content.decode().lower()
    assert "reflection" not in body and "household" not in body and "visit" not in body


# --- reminders ---------------------------------------------------------------------------------


def at_local(school: School, day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, T(hour), tzinfo=school.zone)


def test_each_educator_gets_one_reminder_the_day_before_and_the_logs_name_no_family(world, caplog):
    today = school_today(world.school)
    Visit.objects.create(
        school=world.school,
        household=world.tran,
        lead=world.ames,
        partner=world.cruz,
        date=today + DAY,
        start=T(17, 30),
        end=T(18, 30),
    )
    caplog.set_level(logging.INFO)

    before = reminders_send_due(now=at_local(world.school, today, 9))
    first = reminders_send_due(now=at_local(world.school, today, 16))
    second = reminders_send_due(now=at_local(world.school, today, 17))

    assert (before, first, second) == (0, 3, 0)  # Ames, Bell and Cruz, once each
    to_ames = next(m for m in mail.outbox if m.to == [world.ames.user.email])
    assert len(mail.outbox) == 3
    assert "Your 2 home visits tomorrow" in to_ames.subject
    assert "4 p.m.-5 p.m.: the Lopez family (Spanish), with" in to_ames.body
    assert "5:30 p.m.-6:30 p.m.: the Tran family (Vietnamese)" in to_ames.body
    assert ADDRESS not in to_ames.body
    assert set(VisitReminder.objects.values_list("staff_id", "date")) == {
        (s.pk, today + DAY) for s in (world.ames, world.bell, world.cruz)
    }
    assert "Lopez" not in caplog.text and "Tran" not in caplog.text


def test_no_reminder_for_a_visit_moved_or_declined(world):
    today = school_today(world.school)
    world.tomorrow.status = VisitStatus.DECLINED
    world.tomorrow.save()

    sent = reminders_send_due(now=at_local(world.school, today, 16))

    assert sent == 0 and mail.outbox == []
