"""Who is out and who could stand in: the absence recovery's inputs, read from the database.

``absent_staff`` names the staff away on a date (all day or part); ``substitutes_for`` is the
substitute pool available that date, as the solver's ``StaffMember`` rows: the school's own
substitutes first (staff holding the substitute role with a ``SubstituteDay`` on the date), then
the network's other schools' substitutes available that date.

A network substitute teaches here as staff of this school: ``ScheduledBlock.staff`` always points at
a ``Staff`` row of the block's school (pages, feeds and "my day" read it that way). So a substitute
from another school is offered under their own row there (with that row's id), and when a day using
them is stored, ``services.recovery.local_substitutes`` makes sure their user has an active
``Staff`` row at this school holding the substitute role, inside the storing transaction, and gives
the ids to swap in the blocks and in the stored recovery. A user who already has a row here is
offered under that row's id from the start, so nothing is swapped for them.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from students.models import Role, School, Staff

from ..models import PREP_ROLES, SchoolSchedulingSettings, StaffAbsence, minutes_of
from ..solver.problem import StaffMember, Window

# How a page names each kind of recovery option (a stored day's, a build's options).
KIND_LABELS = {
    "substitute": gettext_lazy("A substitute"),
    "cover": gettext_lazy("Cover by present staff"),
    "convert": gettext_lazy("Learning Lab or flex time instead"),
    "combine": gettext_lazy("Two cohorts combined"),
}


def absent_staff(*, school: School, date: datetime.date) -> tuple[int, ...]:
    """Ids of the school's staff with an absence recorded on ``date`` (all day or part)."""
    return tuple(
        StaffAbsence.objects.filter(school=school, date=date)
        .order_by("staff_id")
        .values_list("staff_id", flat=True)
        .distinct()
    )


def _pool(date: datetime.date) -> QuerySet[Staff]:
    return (
        Staff.objects.filter(
            active=True,
            role_grants__role=Role.SUBSTITUTE,
            substitute_days__date=date,
        )
        .select_related("user", "school")
        .prefetch_related("role_grants")
        .distinct()
    )


def substitutes_for(*, school: School, date: datetime.date) -> tuple[StaffMember, ...]:
    """The substitutes who can come in on ``date``: the school's own first, then the network's
    other schools' (each by name), as the solver sees staff. A substitute absent that date, or
    whose day at their own school is taken by an absence, is left out."""
    settings = SchoolSchedulingSettings.objects.filter(school=school).first()
    prep = settings.prep_minutes if settings else SchoolSchedulingSettings().prep_minutes
    away = set(
        StaffAbsence.objects.filter(date=date, school__network_id=school.network_id).values_list(
            "staff_id", flat=True
        )
    )
    own = [s for s in _pool(date).filter(school=school) if s.pk not in away]
    others = [
        s
        for s in _pool(date)
        .filter(school__network_id=school.network_id)
        .exclude(school=school)
        .order_by("school__name", "user__last_name", "user__first_name", "pk")
        if s.pk not in away
    ]
    local_rows = dict(
        Staff.objects.filter(school=school, user_id__in=[s.user_id for s in others]).values_list(
            "user_id", "pk"
        )
    )
    members: list[StaffMember] = []
    seen_users: set[int] = set()
    for staff in sorted(own, key=lambda s: (s.user.last_name, s.user.first_name, s.pk)) + others:
        if staff.user_id in seen_users or local_rows.get(staff.user_id) in away:
            continue
        seen_users.add(staff.user_id)
        roles = frozenset(staff.role_codes)
        members.append(
            StaffMember(
                id=local_rows.get(staff.user_id, staff.pk),
                name=str(staff),
                roles=roles,
                room=None,  # a substitute teaches in the absent teacher's room
                available=(Window(minutes_of(staff.work_start), minutes_of(staff.work_end)),),
                prep_minutes=prep if roles & PREP_ROLES else 0,
            )
        )
    return tuple(members)
