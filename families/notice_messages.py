"""The words of a notice: one short email in the guardian's language, and its unsubscribe link.

A notice holds ids and clock times (``families.notices``); this module turns them into a
sentence a guardian reads on a phone ("Tomorrow, December 8: Ana's day changed. Math now
9 a.m.-10:30 a.m. in Room 12 (was 10:30 a.m.-noon)"), inside ``translation.override`` of the
guardian's language (``families.language.language_for``), dates and times through the named
formats so they follow it. The child's first name appears in the email to their own guardian
only; nothing here logs.

The unsubscribe link carries a signed token (``django.core.signing``) of the account: it works
without signing in, once (messages off, it only says so), and a token changed by hand fails its
signature. It does not expire: a guardian may find an old email months later.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from scheduling.models import Room
from students.models import Staff

from .language import language_for
from .models import FamilyAccount, FamilyNotice
from .selectors import station_words

TEMPLATES = "families/email"
UNSUBSCRIBE_SALT = "families.unsubscribe"

# --- links ----------------------------------------------------------------------------------


def link(path: str) -> str:
    """The full address of a page, for a message read outside the site."""
    return settings.SITE_URL + path


def child_page_path(student_id: int, date: datetime.date) -> str:
    """The child's family page on ``date``."""
    try:
        path = reverse("family-child", args=[student_id])
    except NoReverseMatch:  # the family pages' name, if not (yet) defined under it
        path = f"/family/children/{student_id}/"
    return f"{path}?date={date.isoformat()}"


def unsubscribe_token(account: FamilyAccount) -> str:
    return signing.dumps({"a": account.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_account(token: str) -> FamilyAccount | None:
    """The account a genuine token names, or ``None`` for a token changed by hand."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    key = data.get("a")
    if key is None:
        return None
    account: FamilyAccount | None = (
        FamilyAccount.objects.select_related("guardian").filter(pk=key).first()
    )
    return account


# --- the words ------------------------------------------------------------------------------


def _clock(value: str) -> datetime.time:
    return datetime.time.fromisoformat(value)


def _span(slot: dict[str, Any]) -> str:
    return gettext("%(start)s-%(end)s") % {
        "start": formats.time_format(_clock(slot["start"]), "TIME_FORMAT"),
        "end": formats.time_format(_clock(slot["end"]), "TIME_FORMAT"),
    }


def _where(
    slot: dict[str, Any], rooms: dict[int, str], staff: dict[int, str], *, room: bool, teacher: bool
) -> str:
    """A block's time, with its room and its teacher when asked for and known."""
    values = {
        "span": _span(slot),
        "room": rooms.get(slot.get("room") or 0, "") if room else "",
        "teacher": staff.get(slot.get("staff") or 0, "") if teacher else "",
    }
    if values["room"] and values["teacher"]:
        return gettext("%(span)s in %(room)s with %(teacher)s") % values
    if values["room"]:
        return gettext("%(span)s in %(room)s") % values
    if values["teacher"]:
        return gettext("%(span)s with %(teacher)s") % values
    return values["span"]


def move_sentence(move: dict[str, Any], rooms: dict[int, str], staff: dict[int, str]) -> str:
    """One moved block in a sentence: what it is now and what it was."""
    # The same words as the family page's (families.selectors).
    activity = station_words(move["station"])
    old, new = move.get("before"), move.get("after")
    if old is None:
        assert new is not None  # a move has a before, an after or both
        return gettext("%(activity)s added: %(now)s.") % {
            "activity": activity,
            "now": _where(new, rooms, staff, room=True, teacher=True),
        }
    if new is None:
        return gettext("%(activity)s canceled (was %(was)s).") % {
            "activity": activity,
            "was": _where(old, rooms, staff, room=True, teacher=False),
        }
    new_teacher = new.get("staff") != old.get("staff")
    return gettext("%(activity)s now %(now)s (was %(was)s).") % {
        "activity": activity,
        "now": _where(new, rooms, staff, room=True, teacher=new_teacher),
        "was": _where(
            old, rooms, staff, room=new.get("room") != old.get("room"), teacher=new_teacher
        ),
    }


def day_words(date: datetime.date, today: datetime.date) -> str:
    """ "Today, December 8", "Tomorrow, December 8", else "December 8", in the language."""
    day = formats.date_format(date, "MONTH_DAY_FORMAT")
    if date == today:
        return gettext("Today, %(day)s") % {"day": day}
    if date == today + datetime.timedelta(days=1):
        return gettext("Tomorrow, %(day)s") % {"day": day}
    return day


def _names(notices: Iterable[FamilyNotice]) -> tuple[dict[int, str], dict[int, str]]:
    room_ids, staff_ids = set(), set()
    for notice in notices:
        for move in notice.changes:
            for slot in (move.get("before"), move.get("after")):
                if slot:
                    room_ids.add(slot.get("room"))
                    staff_ids.add(slot.get("staff"))
    rooms = dict(Room.objects.filter(pk__in=room_ids - {None}).values_list("pk", "name"))
    staff = {
        member.pk: str(member)
        for member in Staff.objects.filter(pk__in=staff_ids - {None}).select_related("user")
    }
    return rooms, staff


def notices_message(
    *, account: FamilyAccount, notices: list[FamilyNotice], to: str, digest: bool
) -> EmailMessage:
    """The one email telling ``account`` of ``notices``, in the account's language."""
    language = language_for(account)
    rooms, staff = _names(notices)
    with translation.override(language):
        items = []
        for notice in sorted(notices, key=lambda n: (n.date, n.student.first_name, n.pk)):
            today = timezone.localtime(timezone=notice.student.school.zone).date()
            items.append(
                {
                    "child": notice.student.first_name,
                    "day": day_words(notice.date, today),
                    "lines": [move_sentence(m, rooms, staff) for m in notice.changes],
                    "link": link(child_page_path(notice.student_id, notice.date)),
                }
            )
        unsubscribe = link(reverse("family-unsubscribe", args=[unsubscribe_token(account)]))
        context = {
            "notices": items,
            "settings_link": link(reverse("family-settings")),
            "unsubscribe_link": unsubscribe,
        }
        template = "digest" if digest else "day_changed"
        subject = render_to_string(f"{TEMPLATES}/{template}_subject.txt", context)
        body = render_to_string(f"{TEMPLATES}/{template}.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # a header: one line
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Content-Language": language,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
