"""Calendar feeds: who may make or revoke one, finding one by its secret, and its iCalendar body.

Making and revoking a feed are writes, in ``scheduling.services.feeds``.

A feed shows the published blocks of a window around today (``FEED_DAYS_BACK`` days back to
``FEED_DAYS_AHEAD`` ahead, in the school's zone) as RFC 5545 events, written by the ``icalendar``
library: one VEVENT per block, its UID stable for that block of that published version, its times
in the school's zone (TZID with a VTIMEZONE), its DTSTAMP the version's publication time, so the
same published week gives the same bytes on every fetch. Reading a feed's events takes one query.

Who may make a feed: a teacher for themselves and the cohorts they serve; a school's leaders (and
its network's admins) for anyone and any cohort of the school. Who may revoke it: whoever made it,
the staff member it shows, and the school's leaders.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from icalendar import Calendar, Event, Timezone

from students.models import Cohort, NetworkAdmin, School, Staff
from students.permissions import AnyUser, is_token, leads, led_schools
from students.secret_keys import secret_matches

from ..models import CalendarFeed, FeedKind, Room, ScheduledBlock, ScheduleStatus
from .blocks import station_short

# Calendar apps keep what a feed showed once; a week back lets a teacher look at last week, four
# weeks ahead covers what a school publishes in advance, and the body stays small to fetch hourly.
FEED_DAYS_BACK = 7
FEED_DAYS_AHEAD = 28
# How often calendar apps should fetch again (RFC 7986 REFRESH-INTERVAL; Outlook's
# X-PUBLISHED-TTL): a republished day reaches them within the hour.
REFRESH_INTERVAL = datetime.timedelta(hours=1)
PRODID = "-//Rocketship//Rotation schedules 1.0//EN"
UID_DOMAIN = "rocketship.schedule"


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: datetime.datetime  # aware, in the school's zone
    end: datetime.datetime
    summary: str
    location: str
    description: str
    stamp: datetime.datetime  # UTC


@dataclass(frozen=True)
class FeedTarget:
    """Something the user may make a feed of, for the page's chooser."""

    value: str  # "staff:<id>" or "cohort:<id>"
    label: str
    school: str


def feed_path(feed: CalendarFeed) -> str:
    """The feed's path without its secret (``/api/v1/staff/12/calendar.ics``)."""
    if feed.kind == FeedKind.STAFF:
        name, subject_id = "api-staff-calendar", feed.staff_id
    else:
        name, subject_id = "api-cohort-calendar", feed.cohort_id
    # The API's modules have no namespace of their own; the project may include them in "api".
    try:
        return reverse(f"api:{name}", args=[subject_id])
    except NoReverseMatch:
        return reverse(name, args=[subject_id])


# --- who may do what -----------------------------------------------------------------------------


def may_make_feed(
    user: AnyUser, *, staff: Staff | None = None, cohort: Cohort | None = None
) -> bool:
    subject = staff or cohort
    if subject is None or is_token(user) or not user.is_authenticated:
        return False
    if staff is not None and not staff.active:
        return False  # their feed would answer 404: they no longer work at the school
    if leads(user, subject.school_id):
        return True
    if staff is not None:
        return staff.user_id == user.pk
    assert cohort is not None  # subject is one of the two
    return Staff.objects.filter(
        user=user, school_id=cohort.school_id, active=True, cohorts=cohort
    ).exists()


def may_revoke_feed(user: AnyUser, feed: CalendarFeed) -> bool:
    if is_token(user) or not user.is_authenticated:
        return False
    if feed.created_by_id == user.pk:
        return True
    if feed.kind == FeedKind.STAFF and feed.staff is not None and feed.staff.user_id == user.pk:
        return True
    return leads(user, feed.school_id)


# --- reads ---------------------------------------------------------------------------------------


def feed_for_token(*, token: str, kind: str, subject_id: int) -> CalendarFeed | None:
    """The active feed of this kind and subject whose secret is ``token``, or None.

    The comparison of hashes takes the same time whatever matches, so a wrong secret does not
    leak how much of it was right. A staff feed stops when the person leaves the school.
    """
    prefix, _, secret = token.partition("_")
    if not prefix or not secret:
        return None
    subject = {"staff_id": subject_id} if kind == FeedKind.STAFF else {"cohort_id": subject_id}
    feed = (
        CalendarFeed.objects.select_related(
            "school", "staff__user", "staff__school", "cohort__school"
        )
        .filter(prefix=prefix, kind=kind, revoked_at__isnull=True, **subject)
        .annotate(maker_at_school=maker_at_school())
        .first()
    )
    if feed is None or not secret_matches(feed.token_hash, secret):
        return None
    if feed.kind == FeedKind.STAFF and feed.staff is not None and not feed.staff.active:
        return None
    if not feed.maker_at_school:
        return None
    return feed


def maker_at_school() -> ExpressionWrapper:
    """Whether a feed's maker may still see its school, checked on every fetch in the feed's
    own query: an active account with an active staff row there, or an admin of its network
    (``students.permissions.visible_schools``, as a condition on the row). A maker who left the
    school, was deactivated or deleted takes their feeds' addresses with them: 404."""
    staff_there = Staff.objects.filter(
        user_id=OuterRef("created_by_id"), school_id=OuterRef("school_id"), active=True
    )
    network_admin = NetworkAdmin.objects.filter(
        user_id=OuterRef("created_by_id"), network_id=OuterRef("school__network_id")
    )
    return ExpressionWrapper(
        Q(created_by__is_active=True)
        & (Q(created_by__is_superuser=True) | Exists(staff_there) | Exists(network_admin)),
        output_field=BooleanField(),
    )


def feed_window(
    school: School, *, now: datetime.datetime | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first and last dates a feed shows, around today in the school's zone."""
    today = (now or timezone.now()).astimezone(school.zone).date()
    return (
        today - datetime.timedelta(days=FEED_DAYS_BACK),
        today + datetime.timedelta(days=FEED_DAYS_AHEAD),
    )


def _published_blocks(school: School, first: datetime.date, last: datetime.date):
    return (
        ScheduledBlock.objects.filter(
            schedule__school_id=school.pk,
            schedule__status=ScheduleStatus.PUBLISHED,
            schedule__date__range=(first, last),
        )
        .select_related("schedule", "cohort", "room", "staff__user")
        .order_by("schedule__date", "start", "cohort__name", "pk")
    )


def _events(
    blocks: Sequence[ScheduledBlock], zone: ZoneInfo, *, me: Staff | None = None
) -> list[FeedEvent]:
    """One event per block; ``me`` is the staff member whose feed it is, if any."""
    events = []
    for block in blocks:
        schedule = block.schedule
        stamp = schedule.published_at or schedule.built_at
        lines = []
        if me is not None and block.staff_id != me.pk:
            lines.append(gettext("Supervising the Learning Lab"))  # a lab they supervise
        if block.staff_id is not None and (me is None or block.staff_id != me.pk):
            lines.append(gettext("With %(staff)s") % {"staff": block.staff})
        lines.append(
            gettext("Published schedule of %(date)s, version %(version)s")
            % {"date": date_format(schedule.date), "version": schedule.version}
        )
        events.append(
            FeedEvent(
                uid=f"block-{block.pk}-v{schedule.version}@{UID_DOMAIN}",
                start=datetime.datetime.combine(schedule.date, block.start, tzinfo=zone),
                end=datetime.datetime.combine(schedule.date, block.end, tzinfo=zone),
                summary=f"{station_short(block.station)} \u00b7 {block.cohort.name}",
                location=block.room.name if block.room else "",
                description="\n".join(lines),
                stamp=stamp.astimezone(datetime.UTC),
            )
        )
    return events


def staff_feed_events(*, staff: Staff, now: datetime.datetime | None = None) -> list[FeedEvent]:
    """The published blocks ``staff`` teaches, and the blocks in the labs they supervise, of the
    feed's window. One query."""
    school = staff.school
    first, last = feed_window(school, now=now)
    supervised = Room.objects.filter(school_id=school.pk, supervision__supervisors=staff)
    blocks = list(
        _published_blocks(school, first, last).filter(
            Q(staff=staff) | Q(room__in=supervised.values("pk"))
        )
    )
    return _events(blocks, school.zone, me=staff)


def cohort_feed_events(*, cohort: Cohort, now: datetime.datetime | None = None) -> list[FeedEvent]:
    """The published blocks of ``cohort`` in the feed's window. One query."""
    school = cohort.school
    first, last = feed_window(school, now=now)
    blocks = list(_published_blocks(school, first, last).filter(cohort=cohort))
    return _events(blocks, school.zone)


def feed_ics(
    *,
    school: School,
    name: str,
    events: Sequence[FeedEvent],
    now: datetime.datetime | None = None,
) -> bytes:
    """The iCalendar document (CRLF line ends, long lines folded, as RFC 5545 asks).

    The school's VTIMEZONE is always there: it defines the TZID every event's times use, and it
    keeps a feed with no published blocks valid (RFC 5545 wants at least one component).
    """
    first, last = feed_window(school, now=now)
    if events:
        first = min(first, *(e.start.date() for e in events))
        last = max(last, *(e.end.date() for e in events))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", school.time_zone)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    # Whole years, so every daylight-saving change the window may cross is described.
    calendar.add_component(
        Timezone.from_tzid(
            school.time_zone,
            first_date=datetime.date(first.year, 1, 1),
            last_date=datetime.date(last.year + 1, 1, 1),
        )
    )
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def staff_feed_name(staff: Staff) -> str:
    return f"{staff} \u00b7 {staff.school.name}"


def cohort_feed_name(cohort: Cohort) -> str:
    return f"{cohort.name} \u00b7 {cohort.school.name}"


# --- the page's lists ----------------------------------------------------------------------------


def feeds_of_user(*, user: User) -> list[CalendarFeed]:
    """The active feeds the user made or that show them. One query."""
    return list(
        CalendarFeed.objects.filter(
            Q(created_by=user) | Q(staff__user=user), revoked_at__isnull=True
        )
        .select_related("school", "staff__user", "cohort")
        .order_by("school__name", "-created_at", "pk")
        .distinct()
    )


def _cohort_label(cohort: Cohort) -> str:
    return gettext("Cohort %(name)s") % {"name": cohort.name}


def feed_targets(*, user: User) -> list[FeedTarget]:
    """What the user may make a feed of: themselves and their cohorts in each school they work
    in, and in schools they lead every active staff member and cohort. Four queries."""
    led = set(led_schools(user).values_list("pk", flat=True))
    mine = list(
        Staff.objects.filter(user=user, active=True)
        .select_related("school", "user")
        .prefetch_related("cohorts")
        .order_by("school__name")
    )
    targets: list[FeedTarget] = []
    seen: set[str] = set()

    def add(value: str, label: str, school: School) -> None:
        if value not in seen:
            seen.add(value)
            targets.append(FeedTarget(value=value, label=label, school=school.name))

    for staff in mine:
        add(f"staff:{staff.pk}", gettext("Me (%(staff)s)") % {"staff": staff}, staff.school)
        for cohort in staff.cohorts.all():
            add(f"cohort:{cohort.pk}", _cohort_label(cohort), staff.school)
    if led:
        for staff in (
            Staff.objects.filter(school_id__in=led, active=True)
            .select_related("school", "user")
            .order_by("school__name", "user__last_name", "user__first_name", "pk")
        ):
            add(f"staff:{staff.pk}", str(staff), staff.school)
        for cohort in (
            Cohort.objects.filter(school_id__in=led)
            .select_related("school", "grade")
            .order_by("school__name", "grade__level", "name")
        ):
            add(f"cohort:{cohort.pk}", _cohort_label(cohort), cohort.school)
    return targets
