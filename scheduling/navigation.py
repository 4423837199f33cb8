"""The top navigation: which school the page is about, the picker for people who work in several
schools, and the links each role needs. A context processor, so every page gets the same bar.

It lives in ``scheduling`` because the links go to scheduling pages; ``students`` stays unaware of
them (apps depend downward).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from students.models import School
from students.permissions import administers, led_schools, visible_schools

from .models import Room

SESSION_KEY = "current_school"


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    school: School | None
    schools: tuple[School, ...]  # more than one: the picker shows
    day: tuple[Link, ...]  # what everyone at the school reads
    setup: tuple[Link, ...]  # a leader's configuration pages
    administer: bool


def _links(request: HttpRequest, entries: list[tuple[str, str, dict]]) -> tuple[Link, ...]:
    links = []
    for label, name, kwargs in entries:
        url = reverse(name, kwargs=kwargs)
        links.append(Link(label, url, current=request.path == url.split("?")[0]))
    return tuple(links)


def current_school(request: HttpRequest, schools: tuple[School, ...]) -> School | None:
    """The school of the page (its URL), else the one picked last, else the only one."""
    by_id = {s.pk: s for s in schools}
    match = request.resolver_match
    wanted = match.kwargs.get("school_id") if match else None
    if wanted is None:
        try:
            wanted = int(request.GET.get("school", ""))
        except ValueError:
            wanted = None
    if wanted in by_id:
        request.session[SESSION_KEY] = wanted
        return by_id[wanted]
    remembered = request.session.get(SESSION_KEY)
    if remembered in by_id:
        return by_id[remembered]
    return schools[0] if len(schools) == 1 else None


def navigation(request: HttpRequest) -> dict[str, Navigation | None]:
    user = request.user
    if not user.is_authenticated:
        return {"navigation": None}
    schools = tuple(visible_schools(user).order_by("name"))
    school = current_school(request, schools)
    led = set(led_schools(user).values_list("pk", flat=True))
    day: list[tuple[str, str, dict]] = [("My day", "my-day", {}), ("Calendars", "my-calendars", {})]
    setup: list[tuple[str, str, dict]] = []
    if school is not None:
        sid = {"school_id": school.pk}
        day += [
            ("Schedule", "schedule-day", sid),
            ("Cohorts", "school-detail", sid),
            ("Progress", "progress-school", sid),
        ]
        if school.pk in led:
            day += [
                ("Build", "build", sid),
                ("Versions", "schedule-versions", sid),
                ("Nightly runs", "nightly-runs", sid),
            ]
            setup = [
                ("Rotation templates", "templates", sid),
                ("Rooms and labs", "rooms", sid),
                ("Staff", "staff-list", sid),
                ("Cohorts and staffing", "cohorts", sid),
                ("Day types", "day-types", sid),
                ("Calendar", "calendar", sid),
                ("Absences", "absences", sid),
                ("Settings", "school-settings", sid),
                ("API clients", "api-clients", sid),
                ("Progress imports", "progress-imports", sid),
            ]
            if administers(user, school.network_id):  # one query, for leaders only
                network = {"network_id": school.network_id}
                setup.append(("Roster imports", "roster-imports", network))
        else:
            for lab in _labs_supervised(user, school):
                day.append((lab.name, "lab-view", {**sid, "room_id": lab.pk}))
    return {
        "navigation": Navigation(
            school=school,
            schools=schools if len(schools) > 1 else (),
            day=_links(request, day),
            setup=_links(request, setup),
            administer=bool(led),  # who may use the admin site: leaders and network admins
        )
    }


def _labs_supervised(user: object, school: School) -> list[Room]:
    return list(
        Room.objects.filter(
            school=school,
            supervision__supervisors__user=user,
            supervision__supervisors__active=True,
        ).order_by("name")
    )
