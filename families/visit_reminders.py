"""Reminder emails of home visits: each educator gets one email the day before their visits.

The beat (``families.tasks.visit_reminders_send_due``) runs often; from
``HOME_VISIT_REMINDER_HOUR`` in each school's zone it emails each educator (a staff membership)
with planned visits there tomorrow, once: the educator's row is held while sending and a
``VisitReminder`` row records the email in the same transaction, so a second run, or a second
worker, finds it sent. A mail server that refuses rolls the record back and the task is retried.

The email names the families (the educator visits them) but not the address, which stays on the
visit's page behind sign-in; times through the named formats, words marked for translation. Logs
carry ids only.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from students.models import AuditAction, School, Staff

from .notice_messages import link
from .visit_models import Visit, VisitReminder, VisitStatus
from .visit_selectors import audit_households, language_name

logger = logging.getLogger("rocketship.families")

DEFAULT_REMINDER_HOUR = 15  # after lunch the day before: time to call a family if plans change


def _reminder_hour() -> int:
    return int(getattr(settings, "HOME_VISIT_REMINDER_HOUR", DEFAULT_REMINDER_HOUR))


def reminder_message(*, staff: Staff, day: datetime.date, visits: list[Visit]) -> EmailMessage:
    """The email, in the site's language (staff keep no language of their own)."""
    with translation.override(settings.LANGUAGE_CODE):
        items = [
            {
                "start": formats.time_format(v.start, "TIME_FORMAT"),
                "end": formats.time_format(v.end, "TIME_FORMAT"),
                "family": v.household.family_names,
                "language": language_name(v.household.language),
                "partner": v.partner if v.lead_id == staff.pk else v.lead,
                "link": link(reverse("home-visits-visit", args=[v.school_id, v.pk])),
            }
            for v in visits
        ]
        context = {
            "name": staff.user.get_short_name() or str(staff),
            "day": formats.date_format(day, "DATE_FORMAT"),
            "visits": items,
        }
        subject = render_to_string("families/email/visit_reminder_subject.txt", context)
        body = render_to_string("families/email/visit_reminder.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[staff.user.email],
    )


def reminder_send(*, staff_id: int, day: datetime.date) -> int:
    """Email ``staff_id`` their planned visits of ``day`` unless already done; emails sent."""
    with transaction.atomic():
        staff = (
            Staff.objects.select_for_update(of=("self",))
            .select_related("user", "school")
            .filter(pk=staff_id, active=True)
            .first()
        )
        if staff is None or VisitReminder.objects.filter(staff=staff, date=day).exists():
            return 0
        visits = list(
            Visit.objects.filter(Q(lead=staff) | Q(partner=staff))
            .filter(school=staff.school, date=day, status=VisitStatus.PLANNED)
            .select_related("household", "lead__user", "partner__user")
            .prefetch_related("household__guardians")
            .order_by("start", "pk")
        )
        if not visits or not staff.user.email or not staff.user.is_active:
            return 0
        sent = get_connection().send_messages(
            [reminder_message(staff=staff, day=day, visits=visits)]
        )
        VisitReminder.objects.create(staff=staff, date=day, visits=len(visits))
        audit_households(
            user=staff.user,
            households=[v.household for v in visits],
            school=staff.school,
            via="visit reminder email",
            action=AuditAction.LIST,
        )
    logger.info(
        "visit reminder sent staff_id=%s school_id=%s date=%s visits=%d",
        staff.pk,
        staff.school_id,
        day.isoformat(),
        len(visits),
    )
    return sent or 0


def reminders_send_due(*, now: datetime.datetime | None = None) -> int:
    """The beat: email every educator whose visits are tomorrow in their school's zone, from
    the reminder hour on; the number of emails sent."""
    now = now or timezone.now()
    utc_day = now.astimezone(datetime.UTC).date()
    # Every zone's tomorrow falls within a day of UTC's.
    near = (utc_day, utc_day + datetime.timedelta(days=2))
    schools = School.objects.filter(
        visits__status=VisitStatus.PLANNED, visits__date__range=near
    ).distinct()
    sent = 0
    for school in schools:
        local = timezone.localtime(now, timezone=school.zone)
        if local.hour < _reminder_hour():
            continue
        tomorrow = local.date() + datetime.timedelta(days=1)
        pairs = Visit.objects.filter(
            school=school, date=tomorrow, status=VisitStatus.PLANNED
        ).values_list("lead_id", "partner_id")
        due = {s for pair in pairs for s in pair} - set(
            VisitReminder.objects.filter(date=tomorrow, staff__school=school).values_list(
                "staff_id", flat=True
            )
        )
        sent += sum(reminder_send(staff_id=s, day=tomorrow) for s in sorted(due))
    if sent:
        logger.info("visit reminders sent=%d", sent)
    return sent
