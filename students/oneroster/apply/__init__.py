"""A roster plan written in one transaction (see ``plan``): schools, cohorts, students, guardians,
the staff's accounts, staff; each kind in a fixed number of queries. A row the database refuses
is found by halving (``_each``) and named as an error.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from ..plan import RosterPlan
from ..plan.wanted import At, WantedStaff
from ..records import ExportError
from .accounts import _apply_accounts
from .cohorts import _apply_cohorts
from .core import _each, _Refused, _RolledBack
from .guardians import apply_guardians
from .schools import _apply_schools, _grades
from .staff import _apply_staff
from .students import _apply_students

__all__ = ["roster_apply", "roster_apply_checked"]


def roster_apply_checked(
    plan: RosterPlan,
    *,
    by: User | None = None,
    via: str = "roster import",
    keep: bool = True,
) -> list[ExportError]:
    """Apply ``plan`` (``keep=False``: and roll it back, as a dry run does) and return what the
    database refused, as errors naming the file and row: then nothing is kept. The planner
    checks every rule it knows; this finds the rest (a constraint only the database holds),
    so a dry run that passes means an apply that does."""
    try:
        with transaction.atomic():
            roster_apply(plan, by=by, via=via)
            if not keep:
                raise _RolledBack
    except _RolledBack:
        return []
    except _Refused as refused:
        return [refused.error]
    return []


@transaction.atomic
def roster_apply(plan: RosterPlan, *, by: User | None = None, via: str = "roster import") -> None:
    """Write ``plan``: every change, or none when one fails. ``by`` and ``via`` name who
    imported and how in the audit trail (an account's email change is recorded there). A row
    the database refuses raises ``_Refused`` naming it (see ``roster_apply_checked``)."""
    if not plan.ok:
        raise ValueError("a roster plan with errors is never applied")
    network = plan.network
    schools = _each(lambda rows: _apply_schools(network, rows), plan.schools)
    grades = _grades(schools.values())
    cohorts = _each(lambda rows: _apply_cohorts(schools, grades, rows), plan.cohorts)
    _each(lambda rows: _apply_students(schools, grades, cohorts, rows), plan.students)
    _each(lambda rows: apply_guardians(network, rows), plan.guardians)
    # An account is named by the first staff row using it.
    account_at: dict[str, At] = {}
    for row in plan.staff:
        if isinstance(row.wanted, WantedStaff):
            account_at.setdefault(row.wanted.account_key, row.wanted.at)
    accounts = _each(
        lambda rows: _apply_accounts(dict(rows), by=by, via=via),
        list(plan.accounts.items()),
        at=lambda row: account_at.get(row[0]),
    )
    _each(lambda rows: _apply_staff(schools, grades, cohorts, rows, accounts), plan.staff)
