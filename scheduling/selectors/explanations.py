"""The engine's reasons, each linked to the page of the setting at fault.

The solver names the configuration behind a reason in ``Reason.setting`` (``"room:12"``,
``"staff:3,5"``, ``"staffing:7:math"``, ``"template:0"``, ``"station:0:lab"``, ``"pin:7:lab"``,
``"school"``). ``setting_links`` turns one such string into links, without touching the
database; ``explanations_for`` reads the few names and template ids those links need, in a fixed
number of queries, for a whole list of reasons.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from students.models import Cohort, Staff

from ..models import CalendarDay, Room, RotationTemplate, StationCode, clock
from ..solver.clock import grade_name, reclocked, time_of

# "... after dismissal at 10 a.m.." reads as a typo: the time's own full stop ends the sentence.
_DOUBLE_STOP = re.compile(r"([ap]\.m\.)\.")


def engine_text(text: str) -> str:
    """The engine's English ``text`` with each of its clock times ("H:MM", 24-hour) in the
    locale's 12-hour TIME_FORMAT, as people read it on a page or in an email."""
    return _DOUBLE_STOP.sub(r"\1", reclocked(text, lambda minutes: clock(time_of(minutes))))


@dataclass(frozen=True)
class SettingLink:
    label: str
    url: str


@dataclass(frozen=True)
class Explanation:
    code: str
    message: str
    suggestion: str
    setting: str
    links: tuple[SettingLink, ...]


@dataclass(frozen=True)
class KnownSettings:
    """What links need from the database: names to show, and each grade's template id for the
    date's day type."""

    templates: Mapping[int, int] = field(default_factory=dict)  # grade level -> template id
    rooms: Mapping[int, str] = field(default_factory=dict)
    staff: Mapping[int, str] = field(default_factory=dict)
    cohorts: Mapping[int, str] = field(default_factory=dict)


def _url(name: str, *, fragment: str = "", query: str = "", **kwargs: object) -> str:
    url = reverse(name, kwargs=kwargs)
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _ids(text: str) -> list[int] | None:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        return None


def _station_label(code: str) -> str:
    try:
        return StationCode(code).label
    except ValueError:
        return code


def setting_links(
    setting: str, *, school_id: int, date: datetime.date, known: KnownSettings
) -> tuple[SettingLink, ...]:
    """The pages where ``setting`` can be changed (one link, or one per staff member)."""
    kind, _, rest = setting.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "room" and len(parts) == 1 and (ids := _ids(parts[0])):
        return tuple(
            SettingLink(
                gettext("Room %(name)s") % {"name": known.rooms.get(room_id, room_id)},
                _url("room-edit", school_id=school_id, room_id=room_id),
            )
            for room_id in ids
        )
    if kind == "staff" and len(parts) == 1 and (ids := _ids(parts[0])):
        return tuple(
            SettingLink(
                str(known.staff.get(staff_id, gettext("Staff member %(id)s") % {"id": staff_id})),
                _url("staff-edit", school_id=school_id, staff_id=staff_id),
            )
            for staff_id in ids
        )
    if kind == "staffing" and len(parts) == 2 and (ids := _ids(parts[0])) and len(ids) == 1:
        cohort_id = ids[0]
        name = known.cohorts.get(cohort_id, gettext("cohort %(id)s") % {"id": cohort_id})
        return (
            SettingLink(
                gettext("Staffing of %(cohort)s (%(station)s)")
                % {"cohort": name, "station": _station_label(parts[1])},
                _url("cohort-edit", school_id=school_id, cohort_id=cohort_id),
            ),
        )
    if kind in ("template", "station") and parts and (level := _ids(parts[0])):
        grade = grade_name(level[0])
        template_id = known.templates.get(level[0])
        is_station = kind == "station" and len(parts) == 2
        label = (
            gettext("%(station)s in the %(grade)s rotation template")
            % {"station": _station_label(parts[1]), "grade": grade}
            if is_station
            else gettext("The %(grade)s rotation template") % {"grade": grade}
        )
        if template_id is None:  # no template for this day type yet: the list of templates
            return (SettingLink(label, _url("templates", school_id=school_id)),)
        return (
            SettingLink(
                label,
                _url(
                    "template-edit",
                    school_id=school_id,
                    template_id=template_id,
                    fragment=f"station-{parts[1]}" if is_station else "",
                ),
            ),
        )
    if kind == "pin" and len(parts) == 2 and (ids := _ids(parts[0])) and len(ids) == 1:
        name = known.cohorts.get(ids[0], gettext("cohort %(id)s") % {"id": ids[0]})
        return (
            SettingLink(
                gettext("Pins of %(cohort)s on %(date)s")
                % {"cohort": name, "date": date_format(date, "WEEKDAY_DATE_FORMAT")},
                _url("schedule-day", school_id=school_id, query=f"date={date.isoformat()}"),
            ),
        )
    return (SettingLink(gettext("School settings"), _url("school-settings", school_id=school_id)),)


def _detail(reason: Mapping[str, object]) -> dict[str, float]:
    """The figures a reason carries (stored as a list of [name, number] pairs)."""
    pairs = reason.get("detail")
    if not isinstance(pairs, list | tuple):
        return {}
    try:
        return {str(name): float(value) for name, value in pairs}
    except (TypeError, ValueError):
        return {}


def _listed(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _localized(
    reason: Mapping[str, object], *, date: datetime.date, known: KnownSettings
) -> tuple[str, str] | None:
    """The message and suggestion of a reason the page can say in the reader's language (the
    engine's own text is English): an absence, or the engine stopping at its time limit. None
    for the others, shown as the engine wrote them."""
    code, detail = reason.get("code"), _detail(reason)
    if code == "staff-absent" and detail:
        ids = _ids(str(reason.get("setting", "")).partition(":")[2]) or []
        names = _listed(
            [str(known.staff.get(i, gettext("Staff member %(id)s") % {"id": i})) for i in ids]
        )
        parts = [
            ngettext(
                "%(station)s for %(count)d cohort", "%(station)s for %(count)d cohorts", int(n)
            )
            % {"station": _station_label(station), "count": int(n)}
            for station, n in detail.items()
        ]
        day = date_format(date, "WEEKDAY_DATE_FORMAT")
        return (
            ngettext(
                "%(names)s is out on %(day)s, and nobody present can take %(what)s.",
                "%(names)s are out on %(day)s, and nobody present can take %(what)s.",
                len(ids),
            )
            % {"names": names, "day": day, "what": _listed(parts)},
            gettext(
                "Add a substitute for %(names)s on %(day)s, or assign another teacher to these "
                "cohorts."
            )
            % {"names": names, "day": day},
        )
    if code == "time-limit":
        if "seconds" in detail:
            stopped = gettext(
                "The engine stopped after %(seconds)s s without finding a day; this does not "
                "mean none exists."
            ) % {"seconds": f"{detail['seconds']:g}"}
        else:
            stopped = gettext(
                "The engine stopped at its limit without finding a day; this does not mean "
                "none exists."
            )
        return stopped, gettext("Try for longer: build again with a longer time limit.")
    return None


def _referenced(reasons: list[Mapping[str, object]]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {"room": set(), "staff": set(), "cohort": set()}
    for reason in reasons:
        kind, _, rest = str(reason.get("setting", "")).partition(":")
        first = rest.split(":")[0]
        ids = (_ids(first) or []) if first else []
        if kind in ("room", "staff"):
            wanted[kind].update(ids)
        elif kind in ("staffing", "pin"):
            wanted["cohort"].update(ids)
    return wanted


def explanations_for(
    reasons: Iterable[Mapping[str, object]], *, school_id: int, date: datetime.date
) -> list[Explanation]:
    """Stored reasons (dicts of ``Reason``'s fields) with their links, in at most 4 queries."""
    reasons = list(reasons)
    if not reasons:
        return []
    wanted = _referenced(reasons)
    day = CalendarDay.objects.filter(school_id=school_id, date=date).values("day_type_id")
    known = KnownSettings(
        templates=dict(
            RotationTemplate.objects.filter(school_id=school_id, day_type__in=day).values_list(
                "grade__level", "pk"
            )
        )
        if any(str(r.get("setting", "")).startswith(("template:", "station:")) for r in reasons)
        else {},
        rooms=dict(
            Room.objects.filter(school_id=school_id, pk__in=wanted["room"]).values_list(
                "pk", "name"
            )
        )
        if wanted["room"]
        else {},
        staff={
            member.pk: str(member)
            for member in Staff.objects.filter(
                school_id=school_id, pk__in=wanted["staff"]
            ).select_related("user")
        }
        if wanted["staff"]
        else {},
        cohorts=dict(
            Cohort.objects.filter(school_id=school_id, pk__in=wanted["cohort"]).values_list(
                "pk", "name"
            )
        )
        if wanted["cohort"]
        else {},
    )
    explanations = []
    for reason in reasons:
        message, suggestion = _localized(reason, date=date, known=known) or (
            engine_text(str(reason.get("message", ""))),
            engine_text(str(reason.get("suggestion", ""))),
        )
        explanations.append(
            Explanation(
                code=str(reason.get("code", "")),
                message=message,
                suggestion=suggestion,
                setting=str(reason.get("setting", "")),
                links=setting_links(
                    str(reason.get("setting", "")), school_id=school_id, date=date, known=known
                ),
            )
        )
    return explanations
