"""Writes of home visits other than planning (``visit_planning``): a leader's record of a
household, an educator's windows and settings. Keyword-only; the views check who may call."""

from __future__ import annotations

import datetime

from django.db import transaction

from students.models import Staff

from .visit_models import Household, VisitSettings, VisitWindow


@transaction.atomic
def household_update(
    *, household: Household, fields: dict[str, object], preferred_times: list[dict[str, object]]
) -> Household:
    for name, value in fields.items():
        setattr(household, name, value)
    household.preferred_times = preferred_times
    household.save(update_fields=[*fields, "preferred_times"])
    return household


def visit_window_add(
    *,
    staff: Staff,
    start: datetime.time,
    end: datetime.time,
    weekday: int | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    date: datetime.date | None = None,
) -> VisitWindow:
    if date is not None:
        return VisitWindow.objects.create(staff=staff, date=date, start=start, end=end)
    return VisitWindow.objects.create(
        staff=staff, weekday=weekday, starts_on=starts_on, ends_on=ends_on, start=start, end=end
    )


def visit_window_remove(*, staff: Staff, window_id: int) -> bool:
    """Remove one of ``staff``'s windows; another's id removes nothing. Planned visits stay."""
    return VisitWindow.objects.filter(staff=staff, pk=window_id).delete()[0] > 0


def visit_settings_set(*, staff: Staff, weekly_cap: int, languages: list[str]) -> VisitSettings:
    own, _ = VisitSettings.objects.update_or_create(
        staff=staff, defaults={"weekly_cap": weekly_cap, "languages": sorted(set(languages))}
    )
    return own
