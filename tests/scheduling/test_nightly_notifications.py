"""After a night's run: leaders are told its outcome, teachers whose day changed what changed.

The school is the kindergarten of ``test_selectors`` with a leader; the runs are real rebuilds
(``nightly.nightly_rebuild``), told with ``nightly_notify`` as the task would. Django's test mail
backend keeps the messages in ``mailoutbox``.
"""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from scheduling.models import (
    Fallback,
    NightlyRun,
    Pin,
    RunState,
    StaffAbsence,
    StaffingAssignment,
    StationCode,
)
from scheduling.selectors.explanations import explanations_for
from scheduling.services import day_builds, nightly
from scheduling.services.builds import schedule_build
from scheduling.services.nightly_notifications import nightly_notify
from students.models import Role

from ..factories import RoomFactory, StaffFactory, UserFactory
from ..solver_limits import work_limited
from .factories import CalendarDayFactory, TeachingRoomFactory
from .test_selectors import DATE, Kindergarten, kindergarten

pytestmark = pytest.mark.django_db

FAST = work_limited(workers=1, seed=3)
T = datetime.time


@pytest.fixture(autouse=True)
def no_queueing(monkeypatch):
    """The tests rebuild and notify by hand; nothing is queued."""
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)


@pytest.fixture
def k() -> Kindergarten:
    return kindergarten()


@pytest.fixture
def leader(k):
    return StaffFactory(
        school=k.school,
        roles=[Role.LEADER],
        user=UserFactory(first_name="Lee", last_name="Principal", email="lee@example.org"),
    )


def rebuild(k: Kindergarten, **fields) -> NightlyRun:
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE, **fields)
    rebuilt = nightly.nightly_rebuild(run_id=run.pk, options=FAST)
    assert rebuilt is not None
    return rebuilt


def publish_now(k: Kindergarten, date=DATE):
    return schedule_build(school=k.school, date=date, publish=True, options=FAST).schedule


def everyone_absent(k: Kindergarten) -> None:
    for staff in k.school.staff.all():
        StaffAbsence.objects.create(school=k.school, staff=staff, date=DATE)


def path(name: str, k: Kindergarten, **kwargs) -> str:
    """The page's full address, as messages read outside the site link it."""
    return settings.SITE_URL + reverse(name, kwargs={"school_id": k.school.pk, **kwargs})


# --- leaders -------------------------------------------------------------------------------


def test_a_leader_is_told_the_version_published_and_where_to_see_it(k, leader, mailoutbox):
    run = rebuild(k)

    sent = nightly_notify(run_id=run.pk)

    assert run.state == RunState.PUBLISHED
    assert sent == 1
    (message,) = mailoutbox
    assert message.to == ["lee@example.org"]
    assert message.subject == "Alder, Tue, Sept. 1, 2026: version 1 published"
    assert "Version 1 is published." in message.body
    assert f"{path('schedule-day', k)}?date=2026-09-01" in message.body
    assert path("nightly-runs", k) in message.body
    run.refresh_from_db()
    assert run.notified_at is not None


def test_a_leader_is_told_nothing_changed(k, leader, mailoutbox):
    publish_now(k)

    run = rebuild(k)
    nightly_notify(run_id=run.pk)

    assert run.state == RunState.UNCHANGED
    (message,) = mailoutbox
    assert message.subject == "Alder, Tue, Sept. 1, 2026: nothing changed"
    assert "so it stays published" in message.body


def test_a_leader_is_told_why_nothing_was_published_and_that_the_version_stays(
    k, leader, mailoutbox
):
    published = publish_now(k)
    everyone_absent(k)

    run = rebuild(k)
    nightly_notify(run_id=run.pk)

    assert (run.state, run.fallback) == (RunState.FAILED, Fallback.KEPT)
    (message,) = mailoutbox
    assert message.subject == "Action needed: Alder, Tue, Sept. 1, 2026: no new schedule published"
    assert "NOTHING NEW WAS PUBLISHED." in message.body
    # Each reason as the pages say it (an absence is told in the reader's language).
    for explanation in explanations_for(run.reasons, school_id=k.school.pk, date=run.date):
        assert f"- {explanation.message}" in message.body
        assert f"What would fix it: {explanation.suggestion}" in message.body
    assert f"Version {published.version}, published earlier, stays published." in message.body


def test_a_leader_is_told_a_draft_was_carried_forward_for_them_to_publish(k, leader, mailoutbox):
    earlier = DATE - datetime.timedelta(days=7)
    day_type = k.school.calendar_days.get(date=DATE).day_type
    CalendarDayFactory(school=k.school, date=earlier, day_type=day_type)
    publish_now(k, date=earlier)
    everyone_absent(k)

    run = rebuild(k)
    nightly_notify(run_id=run.pk)

    assert run.fallback == Fallback.CARRIED_FORWARD
    (message,) = mailoutbox
    assert (
        f"A draft (version {run.schedule.version}) carried forward from the published day of "
        "Tuesday, August 25, 2026." in message.body
    )
    assert path("schedule-review", k, schedule_id=run.schedule.pk) in message.body


def test_a_leader_is_told_when_the_school_has_no_schedule_at_all(
    k, leader, mailoutbox, monkeypatch
):
    def broken_solver(problem, options):
        raise RuntimeError("a bug")

    monkeypatch.setattr(day_builds, "solve", broken_solver)

    run = rebuild(k)
    nightly_notify(run_id=run.pk)

    assert run.fallback == Fallback.NOTHING
    (message,) = mailoutbox
    assert f"- {run.error}" in message.body
    assert f"No schedule. Fix the above and build the day: {path('build', k)}" in message.body


def test_every_leader_with_an_address_gets_one_message_and_nobody_else(k, leader, mailoutbox):
    second = StaffFactory(school=k.school, roles=[Role.LEADER, Role.HUMANITIES])
    StaffFactory(school=k.school, roles=[Role.LEADER], user=UserFactory(email=""))
    StaffFactory(school=k.school, roles=[Role.LEADER], active=False)

    nightly_notify(run_id=rebuild(k).pk)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(["lee@example.org", second.user.email])


# --- teachers ----------------------------------------------------------------------------


@pytest.fixture
def chen(k):
    """Ms. Chen teaches K Howard's literacy in Room 104; Ms. Rivera keeps K Stanford's."""
    chen = StaffFactory(
        school=k.school,
        roles=[Role.HUMANITIES],
        user=UserFactory(first_name="Ms.", last_name="Chen", email="chen@example.org"),
    )
    TeachingRoomFactory(
        school=k.school, staff=chen, room=RoomFactory(school=k.school, name="Room 104")
    )
    StaffingAssignment.objects.get(cohort=k.howard, station=StationCode.LITERACY).staff.set([chen])
    return chen


def test_a_teacher_whose_day_changed_gets_it_and_one_whose_day_did_not_gets_nothing(
    k, leader, chen, mailoutbox
):
    publish_now(k)
    mailoutbox.clear()
    # K Howard's literacy moves to the start of the day: Ms. Chen's day changes, Ms. Rivera's not.
    Pin.objects.filter(cohort=k.howard, station=StationCode.LITERACY).update(
        start=T(8, 0), end=T(8, 40)
    )

    run = rebuild(k)
    sent = nightly_notify(run_id=run.pk)

    assert run.state == RunState.PUBLISHED and run.baseline is not None
    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["chen@example.org", "lee@example.org"]
    (to_chen,) = [m for m in mailoutbox if m.to == ["chen@example.org"]]
    assert to_chen.subject == "Your day on Tue, Sept. 1, 2026 at Alder changed"
    before, now = to_chen.body.split("Before:")[1].split("Now:")
    assert before.strip() == "* 8:55 a.m.-9:35 a.m.  Literacy / humanities with K Howard, Room 104"
    assert now.split("Your day:")[0].strip() == (
        "* 8 a.m.-8:40 a.m.  Literacy / humanities with K Howard, Room 104"
    )
    assert f"{reverse('my-day')}?school={k.school.pk}&date=2026-09-01" in to_chen.body
    assert k.rivera.user.email not in {m.to[0] for m in mailoutbox}
    (to_leader,) = [m for m in mailoutbox if m.to == ["lee@example.org"]]
    assert "Against version 1, the day of 1 cohort and 1 staff member changed" in to_leader.body


def test_a_first_publication_tells_the_leader_only(k, leader, mailoutbox):
    run = rebuild(k)  # nothing published before: no day to compare with

    assert nightly_notify(run_id=run.pk) == 1
    assert [m.to for m in mailoutbox] == [["lee@example.org"]]


# --- once per run ---------------------------------------------------------------------------


def test_notifying_twice_sends_once(k, leader, mailoutbox):
    run = rebuild(k)

    first = nightly_notify(run_id=run.pk)
    second = nightly_notify(run_id=run.pk)

    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1


def test_a_run_not_finished_is_not_told(k, leader, mailoutbox):
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE)

    assert nightly_notify(run_id=run.pk) == 0
    assert mailoutbox == []
    run.refresh_from_db()
    assert run.notified_at is None  # told once it finishes


def test_a_mail_server_that_refuses_leaves_the_run_to_be_told_again(
    k, leader, mailoutbox, monkeypatch
):
    run = rebuild(k)

    def refuse(self, messages):
        raise ConnectionRefusedError("smtp down")

    from django.core.mail.backends.locmem import EmailBackend

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(ConnectionRefusedError):
        nightly_notify(run_id=run.pk)
    run.refresh_from_db()
    assert run.notified_at is None
    monkeypatch.undo()
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)

    assert nightly_notify(run_id=run.pk) == 1


def test_the_log_names_no_one(k, leader, mailoutbox, caplog):
    run = rebuild(k)

    with caplog.at_level("INFO", logger="scheduling.services.nightly_notifications"):
        nightly_notify(run_id=run.pk)

    (record,) = [r for r in caplog.records if r.name == "scheduling.services.nightly_notifications"]
    assert f"run_id={run.pk}" in record.getMessage() and "leaders=1" in record.getMessage()
    assert "Principal" not in record.getMessage() and "@" not in record.getMessage()
