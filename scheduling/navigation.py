"""The top navigation: which school the page is about, the picker for people who work in several
schools, and the links each role needs. A context processor, so every page gets the same bar.

Network admins (and superusers) also get their network's links whatever the page: their
schools, roster imports, home-visit progress and the audit trail, without picking a school first.

It lives in ``scheduling`` because the links go to scheduling pages; ``students`` stays unaware of
them (apps depend downward).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from students.models import Network, School
from students.permissions import led_schools, visible_schools

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
    network: tuple[Link, ...] = ()  # a network admin's: schools, imports, visits, audit trail


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
    # Only someone who leads a school can administer a network (its admins lead all of its
    # schools): one query for them, none for teachers.
    networks = _administered_networks(user) if led else []
    day: list[tuple[str, str, dict]] = [
        (_("My day"), "my-day", {}),
        (_("Calendars"), "my-calendars", {}),
        (_("My home visits"), "home-visits-mine", {}),  # families app's URL
    ]
    setup: list[tuple[str, str, dict]] = []
    if school is not None:
        sid = {"school_id": school.pk}
        day += [
            (_("Schedule"), "schedule-day", sid),
            (_("Cohorts"), "school-detail", sid),
            (_("Progress"), "progress-school", sid),
        ]
        if school.pk in led:
            day += [
                (_("Build"), "build", sid),
                (_("Versions"), "schedule-versions", sid),
                (_("Nightly runs"), "nightly-runs", sid),
            ]
            setup = [
                (_("Rotation templates"), "templates", sid),
                (_("Rooms and labs"), "rooms", sid),
                (_("Staff"), "staff-list", sid),
                (_("Cohorts and staffing"), "cohorts", sid),
                (_("Day types"), "day-types", sid),
                (_("Calendar"), "calendar", sid),
                (_("Absences"), "absences", sid),
                (_("Settings"), "school-settings", sid),
                (_("Families"), "school-families", sid),  # invitations (families app's URL)
                (_("Home visits"), "home-visits-school", sid),  # families app's URL
                (_("API clients"), "api-clients", sid),
                (_("Progress imports"), "progress-imports", sid),
            ]
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
            network=_links(request, _network_entries(networks)),
        )
    }


def _administered_networks(user: User) -> list[Network]:
    """The networks whose rosters ``user`` imports (``permissions.administers``): one query."""
    networks = Network.objects.order_by("name")
    if not user.is_superuser:
        networks = networks.filter(admins__user=user)
    return list(networks)


def _network_entries(networks: list[Network]) -> list[tuple[str, str, dict]]:
    """A network admin's links: their schools, each network's roster imports and home-visit
    progress, the audit trail."""
    if not networks:
        return []
    entries: list[tuple[str, str, dict]] = [(_("Schools"), "school-list", {})]
    for network in networks:
        label = _("Roster imports")
        if len(networks) > 1:
            label = _("Roster imports of %(network)s") % {"network": network.name}
        entries.append((label, "roster-imports", {"network_id": network.pk}))
        label = _("Home visit progress")
        if len(networks) > 1:
            label = _("Home visit progress of %(network)s") % {"network": network.name}
        # The families app's URL, by name only: scheduling does not import families.
        entries.append((label, "home-visits-network-progress", {"network_id": network.pk}))
    entries.append((_("Audit trail"), "admin:students_auditevent_changelist", {}))
    return entries


def _labs_supervised(user: User, school: School) -> list[Room]:
    return list(
        Room.objects.filter(
            school=school,
            supervision__supervisors__user=user,
            supervision__supervisors__active=True,
        ).order_by("name")
    )
