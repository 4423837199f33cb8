"""The engine's reasons, each linked to the page of the setting at fault.

The solver names the configuration behind a reason in ``Reason.setting`` (``"room:12"``,
``"staff:3,5"``, ``"staffing:7:math"``, ``"template:0"``, ``"station:0:lab"``, ``"pin:7:lab"``,
``"school"``). ``setting_links`` turns one such string into links, without touching the
database; ``explanations_for`` reads the few names and template ids those links need, in a fixed
number of queries, for a whole list of reasons.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.urls import reverse

from students.models import Cohort, Staff

from .models import CalendarDay, Room, RotationTemplate, StationCode
from .selectors import grade_name_of


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
                f"Room {known.rooms.get(room_id, room_id)}",
                _url("room-edit", school_id=school_id, room_id=room_id),
            )
            for room_id in ids
        )
    if kind == "staff" and len(parts) == 1 and (ids := _ids(parts[0])):
        return tuple(
            SettingLink(
                str(known.staff.get(staff_id, f"Staff member {staff_id}")),
                _url("staff-edit", school_id=school_id, staff_id=staff_id),
            )
            for staff_id in ids
        )
    if kind == "staffing" and len(parts) == 2 and (ids := _ids(parts[0])) and len(ids) == 1:
        cohort_id = ids[0]
        name = known.cohorts.get(cohort_id, f"cohort {cohort_id}")
        return (
            SettingLink(
                f"Staffing of {name} ({_station_label(parts[1])})",
                _url("cohort-edit", school_id=school_id, cohort_id=cohort_id),
            ),
        )
    if kind in ("template", "station") and parts and (level := _ids(parts[0])):
        grade = grade_name_of(level[0])
        template_id = known.templates.get(level[0])
        is_station = kind == "station" and len(parts) == 2
        label = (
            f"{_station_label(parts[1])} in the {grade} rotation template"
            if is_station
            else f"The {grade} rotation template"
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
        name = known.cohorts.get(ids[0], f"cohort {ids[0]}")
        return (
            SettingLink(
                f"Pins of {name} on {date:%Y-%m-%d}",
                _url("schedule-day", school_id=school_id, query=f"date={date.isoformat()}"),
            ),
        )
    return (SettingLink("School settings", _url("school-settings", school_id=school_id)),)


def _referenced(reasons: list[Mapping[str, str]]) -> dict[str, set[int]]:
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
    reasons: Iterable[Mapping[str, str]], *, school_id: int, date: datetime.date
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
    return [
        Explanation(
            code=str(reason.get("code", "")),
            message=str(reason.get("message", "")),
            suggestion=str(reason.get("suggestion", "")),
            setting=str(reason.get("setting", "")),
            links=setting_links(
                str(reason.get("setting", "")), school_id=school_id, date=date, known=known
            ),
        )
        for reason in reasons
    ]
