"""The plan's rows and changes, and what every part of the planner shares."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from ...models import Cohort, Guardian, Network, School, Staff, Student
from ..cohort_sources import CohortSource
from ..column_lengths import too_long
from ..columns import ENROLLMENTS, USERS
from ..combinations import Combination
from ..records import ExportError, ExportRead
from ..scope import LeftOut, grade_levels

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from ..staff_accounts import AccountRow
from .wanted import (
    ExistingT,
    GuardianRow,
    Planned,
    StaffRow,
    StudentRow,
    WantedCohort,
    WantedSchool,
    values_of,
)

ExistingContraT = TypeVar("ExistingContraT", contravariant=True)


class Comparable(Protocol[ExistingContraT]):
    """A wanted row: the fields in which a stored object differs, and what changing them is."""

    def changed_fields(self, existing: ExistingContraT) -> tuple[str, ...]: ...

    def action(self, changed: tuple[str, ...]) -> str: ...


@dataclass(frozen=True)
class Change:
    kind: str  # school, cohort, student, staff, account, guardian
    action: str  # create, update, end, restore; adopt (an existing account, by username)
    sourced_id: str
    label: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "action": self.action,
            "sourced_id": self.sourced_id,
            "label": self.label,
            "fields": list(self.fields),
        }


@dataclass
class RosterPlan:
    """What an import would do; ``errors`` non-empty means it must not be applied."""

    network: Network
    today: datetime.date
    changes: list[Change] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)
    warnings: list[ExportError] = field(default_factory=list)
    # the rows to write, by kind (see ``wanted``); only rows that change
    schools: list[Planned[School, WantedSchool]] = field(default_factory=list)
    cohorts: list[Planned[Cohort, WantedCohort]] = field(default_factory=list)
    students: list[Planned[Student, StudentRow]] = field(default_factory=list)
    staff: list[Planned[Staff, StaffRow]] = field(default_factory=list)
    guardians: list[Planned[Guardian, GuardianRow]] = field(default_factory=list)
    # the login accounts staff rows use, by key (see staff_accounts): new, adopted or changed
    accounts: dict[str, AccountRow] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for change in self.changes:
            counts[change.kind][change.action] += 1
        return {kind: dict(actions) for kind, actions in sorted(counts.items())}


# Plan field -> the export column it comes from, to name the cell a too-long value is in. A
# cohort's name is checked as the class's title: a title that fits is never refused for the
# class code it may be named with (cohort_names).
_SCHOOL_COLUMNS = {"name": "name", "sourced_id": "sourcedId"}
_COHORT_COLUMNS = {"name": "title", "sourced_id": "sourcedId"}
_STUDENT_COLUMNS = {
    "local_id": "identifier",
    "first_name": "givenName",
    "last_name": "familyName",
    "sourced_id": "sourcedId",
}
_STAFF_COLUMNS = {"sourced_id": "sourcedId"}

# Why rows were left out or put off: %(count)d rows, %(what)s what they were (by grade, by
# date), %(rows)s the first rows.
LEFT_OUT = {
    "student": _(
        "%(count)d students are in grades this network does not serve (%(what)s) and were not "
        "imported; the first rows: %(rows)s."
    ),
    "homeroom": _(
        "%(count)d homerooms are of grades this network does not serve (%(what)s) and were not "
        "imported; the first rows: %(rows)s."
    ),
    "unplaced": _(
        "%(count)d new students are in no homeroom on the import date (their homeroom "
        "enrollments ended, or they have none) and were not imported; the first rows: %(rows)s."
    ),
    "shared": _(
        "%(count)d homerooms share their title with another at their school (%(what)s): each "
        "cohort is named with its class code. The first rows: %(rows)s."
    ),
    "untitled": _(
        "%(count)d homerooms have no title: each cohort is named by its class code (else its "
        "sourcedId). The first rows: %(rows)s."
    ),
    "district": _(
        "%(count)d staff are linked only to the district and teach no class of an imported "
        "school on the import date (%(what)s): they were not imported; the first rows: %(rows)s."
    ),
    "later": _(
        "%(count)d students have a homeroom enrollment that begins later (%(what)s): they stay "
        "in their homeroom until then, and the nightly rebuild of that day moves them. The "
        "first rows: %(rows)s."
    ),
}


def _error(file: str, row: int | None, column: str | None, reason: str) -> ExportError:
    return ExportError(file=file, row=row, column=column, reason=reason)


class PlannerBase:
    """The state the planner's parts share, and the helpers they all use."""

    def __init__(self, plan: RosterPlan, export: ExportRead) -> None:
        self.plan = plan
        self.export = export
        self.network = plan.network
        self.bulk_users = export.modes.get(USERS) == "bulk"
        self.bulk_enrollments = export.modes.get(ENROLLMENTS) == "bulk"
        # The grade codes this network serves (K-5; TK too when it maps TK to K).
        self.levels = grade_levels(plan.network.tk_as_kindergarten)
        # What is left out or put off, by reason: one counted warning each.
        self.left_out: dict[str, LeftOut] = {}
        # Homerooms left out for their grade -> that grade: their students without a grade of
        # their own are left out with them.
        self.unserved_rooms: dict[str, str] = {}
        # (school sourcedId, student id) -> (sourcedId, row) of the student holding it; made
        # with the stored students at the first student row.
        self.student_ids: dict[tuple[str, str], tuple[str, int | None]] | None = None
        # Homeroom -> the grades it holds: a combination class (4/5) several, and its students
        # keep theirs; its cohort follows one of them (see combinations).
        self.room_grades: dict[str, frozenset[int]] = {}
        self.combinations: list[Combination] = []
        # Which classes define cohorts: homerooms, or the courses or codes the network chose.
        self.sources = CohortSource.of(plan.network)

    def _fits(
        self,
        model: type[models.Model],
        wanted: object,
        columns: dict[str, str],
        file: str,
        row: int,
        what: StrOrPromise,
    ) -> bool:
        """Whether ``wanted``'s values fit their columns; each that does not is an error on
        its cell."""
        errors = too_long(model, values_of(wanted), columns, file=file, row=row, what=what)
        self.plan.errors.extend(errors)
        return not errors

    def _left_out(self, reason: str, file: str, row: int, what: str | datetime.date) -> None:
        """Count a row left out (or put off) for ``reason``; ``run`` warns once per reason."""
        if reason not in self.left_out:
            self.left_out[reason] = LeftOut(file, LEFT_OUT[reason])
        self.left_out[reason].add(row, what)

    def _end_of(self, student: Student | None) -> datetime.date:
        """The last day enrolled: yesterday, never before the enrollment started."""
        end = self.plan.today - datetime.timedelta(days=1)
        if student is not None and student.enrollment_end is not None:
            return min(student.enrollment_end, end)
        if student is not None and student.enrollment_start > end:
            return student.enrollment_start
        return end

    def _record(
        self,
        kind: str,
        existing: ExistingT | None,
        wanted: Comparable[ExistingT],
        sourced_id: str,
        label: str,
    ) -> bool:
        """Note the change from ``existing`` to ``wanted``, if any; whether there is one. Rows
        without one stay out of the plan: rewriting them would change nothing, and a re-import
        where 1% changed would rewrite the other 99% too."""
        if existing is None:
            self.plan.changes.append(Change(kind, "create", sourced_id, label))
            return True
        changed = wanted.changed_fields(existing)
        if not changed:
            return False
        self.plan.changes.append(Change(kind, wanted.action(changed), sourced_id, label, changed))
        return True
