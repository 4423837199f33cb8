"""Home visits: households, educators' time for visits, and the visits planned and made.

A *household* is the guardians who share children (grouped from the roster, across cohorts and
the network's schools): one visit a year goes to a household, not to each child. It holds what
the roster does not: the address (visible only to a visit's pair and the school's leaders), the
family's answer to the offer of a visit, and the times they said suit them. A household is seen
by the staff of its children's schools.

Each educator (``students.Staff``) gives *windows* for visits (weekly between two dates, or one
date) and keeps a weekly cap and the languages they speak in their ``VisitSettings``. Each school
has a target date for first visits. A *plan run* (``VisitPlanRun``) stores the ``Visit`` rows the
planner (``families.visits``) chose, each with its lead, partner, day and time, and lists the
households it could not place with the reason. Where Celery has workers, "Plan first visits"
is a *plan job* (``VisitPlanJob``, a ``students.jobs`` kind) that a worker runs into a plan run.

After a visit its pair marks it done, moved or declined; after a done visit they write a short
*reflection* (``VisitReflection``, kept apart from ``Visit`` so that nothing listing visits can
carry it by accident), read only by the pair and the school's leaders. Each educator gets one
reminder email the day before their visits; ``VisitReminder`` records it was sent.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from students.models import Guardian, Network, School, Staff
from students.models.jobs import Job

__all__ = [
    "Household",
    "HouseholdAnswer",
    "HouseholdMember",
    "SchoolVisitSettings",
    "Visit",
    "VisitFeed",
    "VisitPlanJob",
    "VisitPlanJobState",
    "VisitPlanRun",
    "VisitReflection",
    "VisitReminder",
    "VisitSettings",
    "VisitStatus",
    "VisitWindow",
]

DEFAULT_WEEKLY_CAP = 3  # one a week-day afternoon but two: visits come on top of teaching


class HouseholdAnswer(models.TextChoices):
    YES = "yes", _("Yes")
    NOT_NOW = "not-now", _("Not now")
    NO = "no", _("No")
    NOT_ASKED = "not-asked", _("Not asked yet")


class Household(models.Model):
    """Guardians living together and their children. ``preferred_times`` is a list of
    ``{"weekday": 0-6, "part": "afternoon" | "evening" | null}`` (Monday is 0); empty means any
    time the educators can come."""

    school_scope = "guardians__students__school"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="households")
    guardians: models.ManyToManyField[Guardian, HouseholdMember] = models.ManyToManyField(
        Guardian, through="HouseholdMember", related_name="households", blank=True
    )
    address = models.TextField(_("address"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    language = models.CharField(
        _("home language"),
        max_length=8,
        default="en",
        help_text=_("A language code: en, es, vi or another."),
    )
    answer = models.CharField(
        _("answer to the visit"),
        max_length=12,
        choices=HouseholdAnswer.choices,
        default=HouseholdAnswer.NOT_ASKED,
    )
    preferred_times = models.JSONField(_("preferred times"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Only on the rows families.households' sync locks, which sets it: an answer or a visit.
    has_history: bool

    class Meta:
        ordering = ["network", "pk"]

    def __str__(self) -> str:
        # Ids only: this reaches logs and the audit trail.
        return f"Household {self.pk}"

    @property
    def family_names(self) -> str:
        """The guardians' family names, for staff pages (read ``guardians`` prefetched)."""
        names = sorted({g.family_name for g in self.guardians.all() if g.family_name})
        return " / ".join(names) or str(self)

    @property
    def location(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (float(self.latitude), float(self.longitude))


class HouseholdMember(models.Model):
    """A guardian's place in a household: the database holds each guardian in one at most."""

    school_scope = "guardian__students__school"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    guardian = models.OneToOneField(
        Guardian, on_delete=models.CASCADE, related_name="household_member"
    )

    def __str__(self) -> str:
        return f"Guardian {self.guardian_id} in household {self.household_id}"


class VisitSettings(models.Model):
    """One educator's visits: how many a week at most, and the languages they speak besides
    English (codes, as ``Household.language``)."""

    school_scope = "staff__school"

    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="visit_settings")
    weekly_cap = models.PositiveSmallIntegerField(
        _("visits a week at most"),
        default=DEFAULT_WEEKLY_CAP,
        validators=[MaxValueValidator(20)],
    )
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)

    def __str__(self) -> str:
        return f"Visit settings of staff {self.staff_id}"


class VisitWindow(models.Model):
    """A time an educator can visit: every ``weekday`` between ``starts_on`` and ``ends_on``,
    or on one ``date``."""

    school_scope = "staff__school"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="visit_windows")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True, validators=[MaxValueValidator(6)]
    )
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["staff", "date", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="visit_window_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        date__isnull=True,
                        weekday__isnull=False,
                        starts_on__isnull=False,
                        ends_on__isnull=False,
                        ends_on__gte=models.F("starts_on"),
                    )
                    | Q(date__isnull=False, weekday__isnull=True)
                ),
                name="visit_window_weekly_or_one_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit window {self.pk} of staff {self.staff_id}"

    def days(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """The dates of this window between ``first`` and ``last``, both included."""
        if self.date is not None:
            return [self.date] if first <= self.date <= last else []
        assert self.starts_on is not None and self.ends_on is not None
        assert self.weekday is not None  # a weekly window (no date) has a weekday
        day = max(first, self.starts_on)
        day += datetime.timedelta(days=(self.weekday - day.weekday()) % 7)
        found = []
        while day <= min(last, self.ends_on):
            found.append(day)
            day += datetime.timedelta(days=7)
        return found


class SchoolVisitSettings(models.Model):
    """A school's first-visit target date; none set means 31 October of the school year."""

    school_scope = "school"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="visit_settings")
    first_visit_target = models.DateField(_("first visits by"), null=True, blank=True)

    def __str__(self) -> str:
        return f"Visit settings of school {self.school_id}"


class VisitPlanRun(models.Model):
    """One "Plan first visits": who asked, when, and the households it could not place, as
    ``[{"household": id, "reason": UnplacedReason value}]``."""

    school_scope = "school"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="visit_plan_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    placed = models.PositiveIntegerField(default=0)
    unplaced = models.JSONField(default=list, blank=True)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Visit plan run {self.pk} of school {self.school_id}"


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MOVED = "moved", _("Moved")
    DECLINED = "declined", _("Declined")


class Visit(models.Model):
    """One visit to a household by a pair of one school's educators. ``order`` is its place in
    the pair's route that day (1 for the first)."""

    school_scope = "school"
    KEPT = (VisitStatus.PLANNED, VisitStatus.DONE)  # a re-plan leaves these as they are

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    lead = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="visits_led")
    partner = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="visits_partnered")
    date = models.DateField(_("date"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    order = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    run = models.ForeignKey(
        VisitPlanRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="visit_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(lead=models.F("partner")), name="visit_pair_of_two"
            ),
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        return f"Visit {self.pk} to household {self.household_id}"


class VisitFeed(models.Model):
    """A secret calendar address of one educator's visits; only the secret's digest is kept."""

    school_scope = "staff__school"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="visit_feeds")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Visit feed {self.pk} of staff {self.staff_id}"


REFLECTION_MAX_LENGTH = 2000  # a few paragraphs: what the family hopes for, what to follow up


class VisitReflection(models.Model):
    """The pair's short reflection after a done visit: hopes and dreams the family shared and
    what to follow up. Read only by the visit's pair and the school's leaders, each read audited
    (``families.visit_tracking``)."""

    school_scope = "visit__school"

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="reflection")
    text = models.TextField(_("reflection"), max_length=REFLECTION_MAX_LENGTH)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Reflection on visit {self.visit_id}"


class VisitReminder(models.Model):
    """The reminder email an educator got the day before ``date``'s visits: one per educator and
    day, so the beat may run as often as it likes."""

    school_scope = "staff__school"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="visit_reminders")
    date = models.DateField()
    visits = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "date"], name="visit_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Visit reminder of staff {self.staff_id} for {self.date}"


class VisitPlanJobState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Planned")
    FAILED = "failed", _("Failed")


class VisitPlanJob(Job):
    """A "Plan first visits" handed to a Celery worker (``families.visit_plan_jobs``): planning
    a large school takes seconds, too long for a request. It ends ``done`` with its ``run``, or
    ``failed`` with a ``message`` a leader reads (stored in English, translated when shown)."""

    school_scope = "school"

    state = models.CharField(
        max_length=12, choices=VisitPlanJobState.choices, default=VisitPlanJobState.QUEUED
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="visit_plan_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(
        VisitPlanRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"Visit plan job {self.pk} of school {self.school_id}"
