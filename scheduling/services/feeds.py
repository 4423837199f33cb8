"""Calendar feeds: making and revoking them.

Who may make or revoke a feed (``may_make_feed``, ``may_revoke_feed``), finding one by its secret
and its iCalendar body are reads, in ``scheduling.selectors.feeds``.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from students.errors import DomainError
from students.models import Cohort, Staff
from students.secret_keys import issue_secret

from ..models import CalendarFeed, FeedKind
from ..selectors.feeds import feed_path, may_make_feed, may_revoke_feed


class FeedNotAllowed(DomainError):
    code = "feed-not-allowed"
    title = gettext_lazy("This calendar feed cannot be made or changed by you")
    status = 403


def calendar_feed_create(
    *, by: User, staff: Staff | None = None, cohort: Cohort | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed of ``staff``'s or ``cohort``'s blocks and its address (a path with the secret
    ``?token=``), which is shown this once and never stored."""
    if (staff is None) == (cohort is None):
        raise DomainError(
            gettext("A feed shows one staff member or one cohort."),
            errors={"target": [gettext("Choose a staff member or a cohort.")]},
        )
    if not may_make_feed(by, staff=staff, cohort=cohort):
        raise FeedNotAllowed(
            gettext(
                "Teachers make feeds of their own blocks and cohorts; leaders of anyone in their "
                "school."
            )
        )
    subject = staff or cohort
    assert subject is not None  # checked first thing
    issued = issue_secret()
    feed = CalendarFeed.objects.create(
        school_id=subject.school_id,
        kind=FeedKind.STAFF if staff is not None else FeedKind.COHORT,
        staff=staff,
        cohort=cohort,
        prefix=issued.prefix,
        token_hash=issued.digest,
        created_by=by,
    )
    return feed, f"{feed_path(feed)}?token={issued.key}"


def calendar_feed_revoke(*, feed: CalendarFeed, by: User) -> None:
    """Stop the feed at once; calendar apps then get 404 and keep what they had."""
    if not may_revoke_feed(by, feed):
        raise FeedNotAllowed(
            gettext("Only its maker, the person it shows or a leader can revoke a feed.")
        )
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
