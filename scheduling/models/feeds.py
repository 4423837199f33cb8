"""Calendar feeds: a secret address that calendar apps subscribe to.

Calendar apps (Google Calendar, Outlook, Apple Calendar) fetch a subscribed ``.ics`` address on
their own and cannot send an ``Authorization`` header, so each feed carries its own secret in the
URL. A feed shows one staff member's published blocks or one cohort's. The secret is shown once
when the feed is made and stored only as a SHA-256 hash, found by its public prefix (as API tokens
are); revoking the feed stops it at once. A feed's address is as private as the schedule it shows:
a wrong or revoked secret answers 404, so it tells nothing about what exists.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from students.models import Cohort, School, Staff
from students.models.base import SchoolOwned


class FeedKind(models.TextChoices):
    STAFF = "staff", "A staff member's blocks"
    COHORT = "cohort", "A cohort's blocks"


class CalendarFeed(SchoolOwned):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="calendar_feeds")
    kind = models.CharField(max_length=8, choices=FeedKind.choices)
    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["school", "-created_at"]
        constraints = [
            # Exactly the subject its kind names, so a feed never shows two things or nothing.
            models.CheckConstraint(
                condition=Q(kind=FeedKind.STAFF, staff__isnull=False, cohort__isnull=True)
                | Q(kind=FeedKind.COHORT, cohort__isnull=False, staff__isnull=True),
                name="calendar_feed_subject_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed {self.prefix}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def subject(self) -> Staff | Cohort | None:
        return self.staff if self.kind == FeedKind.STAFF else self.cohort
