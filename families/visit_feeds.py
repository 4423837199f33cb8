"""An educator's home visits as a calendar feed, at a secret address like the schedule feeds
(``scheduling.selectors.feeds``, whose iCalendar writer this reuses): the secret is shown once and
kept only as a digest; the feed stops when it is revoked or the educator leaves the school.

The feed shows the educator's own visits, so it carries the households' addresses: they are
one of the pair. Each fetch is audited as a read of those households.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.selectors.feeds import FeedEvent, feed_ics
from students.models import Staff
from students.secret_keys import issue_secret, secret_matches

from .visit_models import VisitFeed
from .visit_selectors import visits_of_staff

UID_DOMAIN = "rocketship.home-visits"
FEED_DAYS_BACK = 30  # last month's visits stay in the calendar, for the reflections after


def visit_feed_create(*, staff: Staff) -> tuple[VisitFeed, str]:
    """A new feed of ``staff``'s visits and its path with the secret, shown this once."""
    issued = issue_secret()
    feed = VisitFeed.objects.create(staff=staff, prefix=issued.prefix, token_hash=issued.digest)
    path = reverse("home-visits-calendar", args=[staff.pk])
    return feed, f"{path}?token={issued.key}"


def visit_feed_revoke(*, staff: Staff) -> int:
    return VisitFeed.objects.filter(staff=staff, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def visit_feed_for_token(*, staff_id: int, token: str) -> VisitFeed | None:
    """The active feed of ``staff_id`` whose secret is ``token``, or None."""
    prefix, _sep, secret = token.partition("_")
    if not prefix or not secret:
        return None
    feed = (
        VisitFeed.objects.select_related("staff__school", "staff__user")
        .filter(prefix=prefix, staff_id=staff_id, revoked_at__isnull=True)
        .first()
    )
    if feed is None or not secret_matches(feed.token_hash, secret):
        return None
    if not feed.staff.active or not feed.staff.user.is_active:
        return None
    return feed


def visit_feed_body(*, staff: Staff, now: datetime.datetime | None = None) -> tuple[bytes, list]:
    """The iCalendar document of ``staff``'s visits, and the visits it shows."""
    school = staff.school
    zone = school.zone
    today = (now or timezone.now()).astimezone(zone).date()
    visits = visits_of_staff(staff, first=today - datetime.timedelta(days=FEED_DAYS_BACK))
    events = []
    for v in visits:
        other = v.partner if v.lead_id == staff.pk else v.lead
        events.append(
            FeedEvent(
                uid=f"home-visit-{v.pk}@{UID_DOMAIN}",
                start=datetime.datetime.combine(v.date, v.start, tzinfo=zone),
                end=datetime.datetime.combine(v.date, v.end, tzinfo=zone),
                summary=_("Home visit"),
                location=v.household.address,
                description=_("With %(colleague)s") % {"colleague": other},
                stamp=v.created_at.astimezone(datetime.UTC),
            )
        )
    name = _("Home visits") + f" \u00b7 {school.name}"
    return feed_ics(school=school, name=name, events=events, now=now), visits
