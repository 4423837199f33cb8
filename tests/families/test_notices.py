"""A published day that moves a child's blocks reaches the child's guardians, once, in their
language; a daily digest for those who chose it; nothing when nothing moved, and an opt-out."""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from families.models import FamilyAccount, FamilyNotice, NoticeChoice
from families.notice_messages import unsubscribe_token
from families.notices import digest_due_at, notices_record, notices_send_due
from scheduling.models import Schedule, ScheduleStatus, StationCode
from scheduling.services import builds
from scheduling.services.builds import schedule_publish
from scheduling.signals import day_published
from students.models import Guardian, School, Student

from ..factories import (
    CohortFactory,
    RoomFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..scheduling.factories import DayTypeFactory, ScheduledBlockFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

T = datetime.time


@pytest.fixture(autouse=True)
def publishing_skips_the_engines_validator(monkeypatch):
    # These days are hand-made blocks, not a configured school: publishing them checks nothing
    # against a configuration there is none of. The publish path is otherwise the real one.
    monkeypatch.setattr(builds, "schedule_violations", lambda schedule: ())


def account_for(school: School, children: list[Student], **kwargs) -> FamilyAccount:
    language = kwargs.pop("roster_language", "")
    guardian = Guardian.objects.create(
        network=school.network, sourced_id=f"g-{Guardian.objects.count() + 1}", language=language
    )
    guardian.students.set(children)
    return FamilyAccount.objects.create(guardian=guardian, user=UserFactory.create(), **kwargs)


@dataclass
class World:
    school: School
    date: datetime.date
    first: Schedule
    spanish: FamilyAccount  # each, Spanish on the roster: Ana (cohort X)
    digest: FamilyAccount  # digest: Ben and Eli (cohort X)
    unmoved: FamilyAccount  # each: Cara (cohort Y, whose day does not move)
    off: FamilyAccount  # off: Ana
    withdrawn: FamilyAccount  # each: Dan (cohort X), withdrawn last week

    def publish_math_moved(self) -> Schedule:
        """Version 2 of the day: cohort X's math moves from 10:30-noon to 9-10:30 in Room 12."""
        return publish(self, math_at=(T(9), T(10, 30)))


def day(school, date, *, version, math_at, x, y, room_12, rivera):
    schedule = ScheduleFactory.create(
        school=school, day_type=DayTypeFactory.create(school=school), date=date, version=version
    )
    ScheduledBlockFactory.create(
        schedule=schedule, cohort=x, station=StationCode.MATH, start=math_at[0],
        end=math_at[1], room=room_12, staff=rivera,
    )  # fmt: skip
    ScheduledBlockFactory.create(
        schedule=schedule, cohort=y, station=StationCode.MATH, start=T(8), end=T(9),
        room=room_12, staff=rivera,
    )  # fmt: skip
    return schedule


def publish(world: World, *, math_at) -> Schedule:
    blocks = world.first.blocks.select_related("room", "staff").order_by("start")
    y_block, x_block = blocks[0], blocks[1]
    schedule = day(
        world.school, world.date, version=Schedule.objects.count() + 1, math_at=math_at,
        x=x_block.cohort, y=y_block.cohort, room_12=x_block.room, rivera=x_block.staff,
    )  # fmt: skip
    return schedule_publish(schedule=schedule)


@pytest.fixture
def world(django_capture_on_commit_callbacks) -> World:
    school = SchoolFactory.create(time_zone="America/Los_Angeles")
    today = timezone.localtime(timezone=school.zone).date()
    x = CohortFactory.create(school=school, name="3 Howard")
    y = CohortFactory.create(school=school, name="3 Stanford")
    room_12 = RoomFactory.create(school=school, name="Room 12")
    rivera = StaffFactory.create(school=school)
    ana, ben, eli = (
        StudentFactory.create(school=school, cohort=x, first_name=n) for n in ["Ana", "Ben", "Eli"]
    )
    cara = StudentFactory.create(school=school, cohort=y, first_name="Cara")
    dan = StudentFactory.create(
        school=school, cohort=x, first_name="Dan", enrollment_end=today - datetime.timedelta(days=7)
    )
    date = today + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = day(
            school, date, version=1, math_at=(T(10, 30), T(12)), x=x, y=y, room_12=room_12,
            rivera=rivera,
        )  # fmt: skip
        schedule_publish(schedule=first)
    return World(
        school=school,
        date=date,
        first=first,
        spanish=account_for(school, [ana], roster_language="es-MX"),
        digest=account_for(school, [ben, eli], notices=NoticeChoice.DIGEST),
        unmoved=account_for(school, [cara]),
        off=account_for(school, [ana], notices=NoticeChoice.OFF),
        withdrawn=account_for(school, [dan]),
    )


def emails_to(account: FamilyAccount) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [account.user.email]]


def test_a_first_publication_of_a_day_is_not_a_change(world):
    assert mail.outbox == []
    assert not FamilyNotice.objects.exists()


def test_guardians_of_a_moved_cohort_get_one_email_in_their_language(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()

    [email] = mail.outbox  # Ana's Spanish guardian only: digest waits, off and others get none
    assert email.to == [world.spanish.user.email]
    assert email.extra_headers["Content-Language"] == "es"
    with translation.override("es"):
        day = formats.date_format(world.date, "MONTH_DAY_FORMAT")  # "7 de diciembre"
    assert day in email.subject
    assert "Ana" in email.subject and "Ana" in email.body
    assert "9:00-10:30" in email.body and "10:30-12:00" in email.body  # es: a 24-hour clock
    path = reverse("family-child", args=[world.spanish.guardian.students.get().pk])
    assert f"{path}?date={world.date.isoformat()}" in email.body
    assert "/family/unsubscribe/" in email.extra_headers["List-Unsubscribe"]
    assert FamilyNotice.objects.filter(account=world.spanish, sent_at__isnull=False).count() == 1


def test_an_english_email_says_what_moved_in_one_short_line(
    world, django_capture_on_commit_callbacks
):
    account = account_for(world.school, [world.spanish.guardian.students.get()])
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()

    [email] = emails_to(account)
    day = formats.date_format(world.date, "MONTH_DAY_FORMAT")
    assert email.subject == f"Tomorrow, {day}: Ana's day changed"
    assert "- Math now 9 a.m.-10:30 a.m. in Room 12 (was 10:30 a.m.-noon).\n" in email.body
    assert email.extra_headers["Content-Language"] == "en"


def test_the_spanish_email_speaks_spanish_words(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()

    [email] = emails_to(world.spanish)
    assert "Mañana" in email.subject


def test_nobody_else_is_told_and_nothing_is_recorded_for_them(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()

    for account in (world.digest, world.unmoved, world.off, world.withdrawn):
        assert emails_to(account) == []
    told = set(FamilyNotice.objects.values_list("account_id", flat=True))
    assert told == {world.spanish.pk, world.digest.pk}  # digest: recorded, kept for later


def test_a_publication_that_moves_nothing_tells_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish(world, math_at=(T(10, 30), T(12)))  # the same day again, as a new version

    assert mail.outbox == []
    assert not FamilyNotice.objects.exists()


def test_the_digest_waits_for_its_hour_then_lists_both_children_in_one_email(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()
    mail.outbox.clear()
    recorded = FamilyNotice.objects.filter(account=world.digest).earliest("created_at").created_at

    assert notices_send_due(now=recorded) == 0  # before the digest hour
    assert mail.outbox == []

    assert notices_send_due(now=recorded + datetime.timedelta(days=1)) == 1
    [email] = mail.outbox
    assert email.to == [world.digest.user.email]
    assert "Ben" in email.body and "Eli" in email.body
    assert email.body.count("Math now 9 a.m.-10:30 a.m.") == 2
    assert not FamilyNotice.objects.filter(account=world.digest, sent_at__isnull=True).exists()

    assert notices_send_due(now=recorded + datetime.timedelta(days=2)) == 0  # sent once


def test_a_digest_is_due_at_the_first_digest_hour_after_the_change(world, settings):
    settings.FAMILY_DIGEST_HOUR = 17
    notice = FamilyNotice(
        account=world.digest, student=world.digest.guardian.students.first(), date=world.date,
        schedule_id=world.first.pk,
    )  # fmt: skip
    zone = world.school.zone
    notice.created_at = datetime.datetime(2026, 12, 7, 9, 15, tzinfo=zone)
    assert digest_due_at(notice) == datetime.datetime(2026, 12, 7, 17, tzinfo=zone)
    notice.created_at = datetime.datetime(2026, 12, 7, 17, 30, tzinfo=zone)
    assert digest_due_at(notice) == datetime.datetime(2026, 12, 8, 17, tzinfo=zone)


def test_replaying_the_publish_signal_sends_nothing_new(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        second = world.publish_math_moved()
    sent, notices = len(mail.outbox), FamilyNotice.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        day_published.send(sender=Schedule, schedule=second, previous=world.first)

    assert len(mail.outbox) == sent == 1
    assert FamilyNotice.objects.count() == notices


def test_the_unsubscribe_link_works_once_without_signing_in(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()
    [email] = mail.outbox
    url = re.search(r"https?://\S+(/family/unsubscribe/\S+/)", email.body).group(1)

    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 200
    world.spanish.refresh_from_db()
    assert world.spanish.notices == NoticeChoice.OFF

    assert client.post(url).status_code == 410  # used: says so, changes nothing


def test_a_tampered_unsubscribe_token_is_refused(world, client):
    token = unsubscribe_token(world.unmoved)
    forged = token.replace(token[2], "x" if token[2] != "x" else "y", 1)

    response = client.post(reverse("family-unsubscribe", args=[forged]))

    assert response.status_code == 404
    world.unmoved.refresh_from_db()
    assert world.unmoved.notices == NoticeChoice.EACH


def test_a_guardian_chooses_a_daily_digest_on_the_settings_page(world, client):
    client.force_login(world.unmoved.user)

    page = client.get(reverse("family-settings"))
    assert page.status_code == 200
    assert b'value="digest"' in page.content
    response = client.post(reverse("family-settings"), {"form": "notices", "notices": "digest"})

    assert response.status_code == 302
    world.unmoved.refresh_from_db()
    assert world.unmoved.notices == NoticeChoice.DIGEST


def test_turning_messages_off_drops_what_was_owed(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.publish_math_moved()
    client.force_login(world.digest.user)

    client.post(reverse("family-settings"), {"form": "notices", "notices": "off"})

    assert not FamilyNotice.objects.filter(account=world.digest).exists()
    assert notices_send_due(now=timezone.now() + datetime.timedelta(days=1)) == 0


def test_staff_have_no_settings_page(client, world):
    staff = StaffFactory.create(school=world.school)
    client.force_login(staff.user)

    assert client.get(reverse("family-settings")).status_code == 404


def test_the_publish_signal_waits_for_the_commit_and_names_the_version_replaced(
    world, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, schedule, previous, **kwargs):
        received.append((schedule.pk, previous.pk))

    day_published.connect(listener, weak=False, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            second = world.publish_math_moved()
            assert received == []  # not before the publish commits
        for callback in callbacks:
            callback()
    finally:
        day_published.disconnect(dispatch_uid="test-listener")

    assert received == [(second.pk, world.first.pk)]


def test_a_day_already_past_tells_nobody(world):
    past = world.date - datetime.timedelta(days=3)
    Schedule.objects.filter(pk=world.first.pk).update(date=past, status=ScheduleStatus.SUPERSEDED)
    second = ScheduleFactory.create(school=world.school, date=past, status=ScheduleStatus.PUBLISHED)

    assert notices_record(schedule_id=second.pk, previous_id=world.first.pk) == []
    assert not FamilyNotice.objects.exists()
