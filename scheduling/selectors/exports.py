"""A published day as CSV, for the spreadsheets leaders already keep: reads only.

Two layouts of the published schedule of one school and date:

- ``cohort_rows``: one row per block, by cohort name then start: date, cohort, grade, start,
  end, station, room, staff;
- ``staff_rows``: one row per block a staff member teaches and, when the schedule has a lab
  plan, one per tutoring or service group they lead (the station says which group, the cohort
  column how many students: counts only, never names; the room is where the group meets), by
  staff then start: date, staff, roles, start, end, station, cohort, room.

Each layout reads in a fixed number of queries however many blocks the day holds. Times are the
school's wall-clock times (stored naive) in the locale's 12-hour TIME_FORMAT ("8:40 a.m."), the
one clock people read on every page and email; the rows already come in time order, so nobody
needs to sort the column. The date column stays ISO 8601 (2026-12-07): a spreadsheet reads it
as a date in any locale and it matches the file name and the page's ?date= links. Every cell
that a spreadsheet would read as a formula (names can come from imports) is prefixed with a
single quote.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext

from learninglabs.models import Subject
from students.models import Role, School, ServiceKind, Staff, StaffRole

from ..models import (
    ActivityKind,
    LabGroup,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StationCode,
    clock,
)

COHORT_HEADER = (
    gettext_lazy("Date"),
    gettext_lazy("Cohort"),
    gettext_lazy("Grade"),
    gettext_lazy("Start"),
    gettext_lazy("End"),
    gettext_lazy("Station"),
    gettext_lazy("Room"),
    gettext_lazy("Staff"),
)
STAFF_HEADER = (
    gettext_lazy("Date"),
    gettext_lazy("Staff"),
    gettext_lazy("Roles"),
    gettext_lazy("Start"),
    gettext_lazy("End"),
    gettext_lazy("Station"),
    gettext_lazy("Cohort"),
    gettext_lazy("Room"),
)

# What a spreadsheet reads as the start of a formula (OWASP's list: = + - @, tab, return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# How a service group's station cell names its service: "Service group (IEP)".
SERVICE_SHORT: dict[str, Promise] = {  # keyed by the stored value (a ServiceKind's)
    ServiceKind.IEP: gettext_lazy("IEP"),
    ServiceKind.ELD: gettext_lazy("ELD"),
    ServiceKind.INTERVENTION: gettext_lazy("intervention"),
}

ROLE_ORDER = {code: index for index, code in enumerate(Role.values)}

Row = tuple[str, ...]


def published_schedule(school: School, date: datetime.date) -> Schedule | None:
    """The published version of ``school``'s ``date``, or None."""
    return (
        Schedule.objects.filter(school=school, date=date, status=ScheduleStatus.PUBLISHED)
        .select_related("school")
        .first()
    )


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as text: a leading = + - @ (or tab, return) gets a
    single quote before it, so "=HYPERLINK(...)" stays a name and never becomes a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def hhmm(value: datetime.time) -> str:
    """A wall-clock time for the people reading the sheet: "8:40 a.m." (TIME_FORMAT)."""
    return clock(value)


def _station(code: str) -> str:
    try:
        return str(StationCode(code).label)
    except ValueError:
        return code


def _name_key(staff: Staff) -> tuple[str, str, str, int]:
    """Staff in the order every list of staff has: last name, first name (as Staff.Meta)."""
    user = staff.user
    return (user.last_name.casefold(), user.first_name.casefold(), str(staff).casefold(), staff.pk)


def _blocks(schedule: Schedule) -> list[ScheduledBlock]:
    """The schedule's blocks with their cohort, grade, room and staff: one query."""
    return list(
        ScheduledBlock.objects.filter(schedule=schedule).select_related(
            "cohort__grade", "room", "staff__user"
        )
    )


def cohort_rows(schedule: Schedule) -> list[Row]:
    """One row per block, by cohort name then start (one query)."""
    date = schedule.date.isoformat()
    blocks = sorted(
        _blocks(schedule),
        key=lambda b: (b.cohort.name.casefold(), b.cohort_id, b.start, b.end, b.station),
    )
    return [
        (
            date,
            block.cohort.name,
            block.cohort.grade.get_level_display(),
            hhmm(block.start),
            hhmm(block.end),
            _station(block.station),
            block.room.name if block.room else "",
            str(block.staff) if block.staff else "",
        )
        for block in blocks
    ]


def group_station(group: LabGroup) -> str:
    """What a group row's station cell says: "Tutoring group (literacy)", "Service group (IEP)"."""
    if group.kind == ActivityKind.TUTORING:
        if not group.subject:
            return gettext("Tutoring group")
        try:
            subject = str(Subject(group.subject).label).lower()
        except ValueError:
            subject = group.subject
        return gettext("Tutoring group (%(subject)s)") % {"subject": subject}
    if group.service_kind:
        return gettext("Service group (%(service)s)") % {
            "service": SERVICE_SHORT.get(group.service_kind, group.service_kind)
        }
    return gettext("Service group")


def students_text(count: int) -> str:
    return ngettext("%(count)s student", "%(count)s students", count) % {"count": count}


def _roles_of(staff_ids: Iterable[int]) -> dict[int, str]:
    """Each staff member's roles as one cell, in the order of ``Role``: one query."""
    codes: dict[int, list[str]] = defaultdict(list)
    for staff_id, role in StaffRole.objects.filter(staff_id__in=set(staff_ids)).values_list(
        "staff_id", "role"
    ):
        codes[staff_id].append(role)
    labels = dict(Role.choices)
    return {
        staff_id: ", ".join(
            str(labels.get(code, code))
            for code in sorted(roles, key=lambda c: (ROLE_ORDER.get(c, len(ROLE_ORDER)), c))
        )
        for staff_id, roles in codes.items()
    }


def staff_rows(schedule: Schedule) -> list[Row]:
    """One row per block a staff member teaches and per lab-plan group they lead, by staff
    then start (three queries: the blocks, the groups with their counts, the roles)."""
    date = schedule.date.isoformat()
    # (sort key, staff, start, end, station, cohort, room)
    entries: list[tuple[tuple, Staff, datetime.time, datetime.time, str, str, str]] = []
    for block in _blocks(schedule):
        if block.staff is None:
            continue
        entries.append(
            (
                (*_name_key(block.staff), block.start, block.end, 0, block.cohort.name.casefold()),
                block.staff,
                block.start,
                block.end,
                _station(block.station),
                block.cohort.name,
                block.room.name if block.room else "",
            )
        )
    # A schedule without a lab plan has no groups: the query answers nothing.
    groups = (
        LabGroup.objects.filter(plan__schedule=schedule)
        .select_related("staff__user", "room", "zone__lab")
        .annotate(students=Count("segments__student", distinct=True))
    )
    for group in groups:
        place = group.place  # a resource room, a free classroom or a lab's zone
        entries.append(
            (
                (*_name_key(group.staff), group.start, group.end, 1, f"{group.number:09d}"),
                group.staff,
                group.start,
                group.end,
                group_station(group),
                students_text(group.students),
                str(place) if place is not None else "",
            )
        )
    roles = _roles_of(entry[1].pk for entry in entries)
    entries.sort(key=lambda entry: entry[0])
    return [
        (date, str(staff), roles.get(staff.pk, ""), hhmm(start), hhmm(end), station, cohort, room)
        for _, staff, start, end, station, cohort, room in entries
    ]


def to_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The header and rows as CSV text (RFC 4180 line ends), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def cohorts_csv(schedule: Schedule) -> str:
    return to_csv(COHORT_HEADER, cohort_rows(schedule))


def staff_csv(schedule: Schedule) -> str:
    return to_csv(STAFF_HEADER, staff_rows(schedule))


def filename(school: School, date: datetime.date, layout: str) -> str:
    """``mission-heights-2026-11-24-cohorts.csv``."""
    return f"{school.slug}-{date.isoformat()}-{layout}.csv"
