"""Staff rows, their roles, cohorts and grades."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...models import Cohort, Grade, School, Staff, StaffRole
from ..links import set_links
from ..plan.wanted import Planned, StaffEnded, StaffRow, WantedStaff

if TYPE_CHECKING:
    from ..staff_accounts import Account


def _apply_staff(
    schools: dict[str, School],
    grades: dict[tuple[int, int], Grade],
    cohorts: dict[str, Cohort],
    rows: list[Planned[Staff, StaffRow]],
    accounts: dict[str, Account],
) -> None:
    """Staff rows, roles, cohorts and grades of every row, a fixed number of queries per kind
    (bulk creates and updates) instead of about ten per staff member. Rows are taken in order
    and share objects, so when two rows touch one staff row the last one's values win, as they
    did when each row was saved in turn. ``accounts`` are the plan's, by key."""
    gone = [
        row.existing
        for row in rows
        if isinstance(row.wanted, StaffEnded) and row.existing is not None
    ]
    for left in gone:  # only made inactive
        left.active = False
    Staff.objects.bulk_update(gone, ["active"], batch_size=1000)
    staff = [(row.existing, row.wanted) for row in rows if isinstance(row.wanted, WantedStaff)]
    if not staff:
        return
    placed = [accounts[wanted.account_key] for _, wanted in staff]

    # Staff rows: the stored one, else the account's at the school (made here before the
    # first import), else a new one.
    members = {
        (m.user_id, m.school_id): m
        for m in Staff.objects.filter(
            user_id__in=[a.pk for a, (m, w) in zip(placed, staff, strict=True) if m is None],
            school_id__in={schools[w.school].pk for m, w in staff if m is None},
        )
    }
    staffed: list[tuple[Staff, School, WantedStaff]] = []
    new_members: dict[tuple[int, int], Staff] = {}
    for account, (member, wanted) in zip(placed, staff, strict=True):
        school = schools[wanted.school]
        key = (account.pk, school.pk)
        if member is None:
            member = members.get(key) or new_members.get(key)
            if member is None:
                member = new_members[key] = Staff(user=account, school=school)
        else:
            member = members.setdefault(key, member)
        member.sourced_id = wanted.sourced_id
        member.active = wanted.active
        staffed.append((member, school, wanted))
    stored = {id(m): m for m, _, _ in staffed if m.pk is not None}
    Staff.objects.bulk_update(list(stored.values()), ["sourced_id", "active"], batch_size=1000)
    Staff.objects.bulk_create(list(new_members.values()), batch_size=1000)

    # Roles are only ever added (a role given by hand stays); cohorts and grades are set.
    StaffRole.objects.bulk_create(
        [StaffRole(staff=m, role=role) for m, _, w in staffed for role in w.roles],
        ignore_conflicts=True,
        batch_size=1000,
    )
    wanted_cohorts = {m.pk: {cohorts[c].pk for c in w.cohorts} for m, _, w in staffed}
    wanted_grades = {
        m.pk: {grades[(school.pk, g)].pk for g in w.grades} for m, school, w in staffed
    }
    _set_links(Staff.cohorts.through, "cohort_id", wanted_cohorts)
    _set_links(Staff.grades.through, "grade_id", wanted_grades)


def _set_links(through: Any, column: str, wanted: dict[int, set[int]]) -> None:
    """``member.<m2m>.set(...)`` for many staff members in three queries."""
    set_links(through, "staff_id", column, wanted)
