"""The rows of a plan: what an import wants each school, cohort, student and staff member to be.

Each kind is a frozen dataclass of the values the import states, with ``at`` (the file and row
that stated them, to name a row the database refuses) and ``changed_fields(existing)``: the
fields in which a stored object differs, compared as the plan states them (a cohort's school by
its sourcedId, a grade by its level). A row whose object exists and changes nothing stays out of
the plan. Rows that state only part of an object (a student whose enrollment ends, a staff
member made inactive) are their own kinds: what they leave unstated stays as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Set
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

from ...models import Cohort, Guardian, School, Staff, Student

# The file and row a wanted row comes from (None: no row states it, as for a student a bulk
# users file leaves out).
At = tuple[str, int] | None
# A homeroom move the nightly makes on its day: (homeroom sourcedId, first day, enrollment
# sourcedId).
Move = tuple[str, datetime.date, str]

ExistingT = TypeVar("ExistingT")
WantedT = TypeVar("WantedT")


@dataclass(frozen=True)
class Planned(Generic[ExistingT, WantedT]):
    """One row of a plan: the stored object it changes (None: created) and what it becomes."""

    existing: ExistingT | None
    wanted: WantedT


def values_of(wanted: object) -> dict[str, object]:
    """A wanted row's fields by name, to check their lengths (see ``column_lengths``)."""
    return {f.name: getattr(wanted, f.name) for f in fields(wanted)}  # type: ignore[arg-type]


def _changed(differs: dict[str, bool]) -> tuple[str, ...]:
    return tuple(sorted(name for name, changed in differs.items() if changed))


def _school_of(existing: Cohort | Student | Staff) -> str:
    return existing.school.sourced_id


@dataclass(frozen=True)
class WantedSchool:
    name: str
    sourced_id: str
    at: At = None

    def changed_fields(self, existing: School) -> tuple[str, ...]:
        return tuple(
            name
            for name in ("name", "sourced_id")
            if getattr(existing, name) != getattr(self, name)
        )

    def action(self, changed: tuple[str, ...]) -> str:
        return "update"


@dataclass(frozen=True)
class WantedCohort:
    school: str  # sourcedId
    name: str
    grade: int  # the level whose rotation template it follows
    sourced_id: str
    at: At = None
    # False clears the grade a leader chose when the class no longer holds it; None leaves it.
    grade_chosen: bool | None = None

    def changed_fields(self, existing: Cohort) -> tuple[str, ...]:
        changed = {
            "grade": existing.grade.level != self.grade,
            "grade_chosen": self.grade_chosen is not None
            and existing.grade_chosen != self.grade_chosen,
            "name": existing.name != self.name,
            "school": _school_of(existing) != self.school,
            "sourced_id": existing.sourced_id != self.sourced_id,
        }
        return _changed(changed)

    def action(self, changed: tuple[str, ...]) -> str:
        return "update"


def _moved(existing: Student, move: Move | None) -> bool:
    """Whether ``move`` differs from the student's stored homeroom move (by room and day)."""
    stored = getattr(existing, "cohort_move", None)
    current = (stored.cohort.sourced_id, stored.starts) if stored is not None else None
    return current != (move[:2] if move else None)


def _cohort_of(existing: Student) -> str | None:
    return existing.cohort.sourced_id if existing.cohort is not None else None


def _ending(changed: tuple[str, ...], end: datetime.date | None) -> str:
    if "enrollment_end" in changed:
        return "restore" if end is None else "end"
    return "update"


@dataclass(frozen=True)
class WantedStudent:
    """A student as a users file row states them. An ended one (``enrollment_end`` set) states
    no homeroom move: a stored one stays; an enrolled one's ``move`` is theirs (None: none)."""

    school: str  # sourcedId
    sourced_id: str
    local_id: str
    first_name: str
    last_name: str
    grade: int
    cohort: str | None  # homeroom sourcedId
    enrollment_end: datetime.date | None
    move: Move | None = None
    # Set when the student is created (a start date is history, never changed); None when the
    # row ends a student it creates.
    enrollment_start: datetime.date | None = None
    at: At = None

    @property
    def states_move(self) -> bool:
        return self.enrollment_end is None

    def changed_fields(self, existing: Student) -> tuple[str, ...]:
        changed = {
            "cohort": _cohort_of(existing) != self.cohort,
            "enrollment_end": existing.enrollment_end != self.enrollment_end,
            "first_name": existing.first_name != self.first_name,
            "grade": existing.grade.level != self.grade,
            "last_name": existing.last_name != self.last_name,
            "local_id": existing.local_id != self.local_id,
            "move": self.states_move and _moved(existing, self.move),
            "school": _school_of(existing) != self.school,
            "sourced_id": existing.sourced_id != self.sourced_id,
        }
        return _changed(changed)

    def action(self, changed: tuple[str, ...]) -> str:
        return _ending(changed, self.enrollment_end)


@dataclass(frozen=True)
class StudentPlaced:
    """A stored student a delta file's enrollments place in ``cohort`` (enrolled again if they
    were ended); nothing else of theirs changes."""

    school: str  # sourcedId
    cohort: str  # homeroom sourcedId
    grade: int
    at: At = None

    def changed_fields(self, existing: Student) -> tuple[str, ...]:
        changed = {
            "cohort": _cohort_of(existing) != self.cohort,
            "enrollment_end": existing.enrollment_end is not None,
            "grade": existing.grade.level != self.grade,
            "school": _school_of(existing) != self.school,
        }
        return _changed(changed)

    def action(self, changed: tuple[str, ...]) -> str:
        return _ending(changed, None)


@dataclass(frozen=True)
class StudentEnded:
    """A stored student whose enrollment ends on ``enrollment_end``: they left."""

    enrollment_end: datetime.date
    at: At = None

    def changed_fields(self, existing: Student) -> tuple[str, ...]:
        return ("enrollment_end",) if existing.enrollment_end != self.enrollment_end else ()

    def action(self, changed: tuple[str, ...]) -> str:
        return _ending(changed, self.enrollment_end)


@dataclass(frozen=True)
class StudentMovesLater:
    """A stored student whose next homeroom begins later: the nightly of that day moves them."""

    move: Move
    at: At = None

    def changed_fields(self, existing: Student) -> tuple[str, ...]:
        return ("move",) if _moved(existing, self.move) else ()

    def action(self, changed: tuple[str, ...]) -> str:
        return "update"


StudentRow = WantedStudent | StudentPlaced | StudentEnded | StudentMovesLater


@dataclass(frozen=True)
class WantedStaff:
    """A staff member at a school. Their account's names and email are the account's changes
    (``RosterPlan.accounts``, by ``account_key``). Roles are only ever added."""

    school: str  # sourcedId
    sourced_id: str
    account_key: str
    active: bool
    roles: tuple[str, ...]  # sorted
    cohorts: tuple[str, ...]  # homeroom sourcedIds, sorted
    grades: tuple[int, ...]  # levels, sorted
    at: At = None

    def changed_fields(self, existing: Staff) -> tuple[str, ...]:
        changed = {
            "active": existing.active != self.active,
            "cohorts": tuple(sorted(c.sourced_id for c in existing.cohorts.all())) != self.cohorts,
            "grades": tuple(sorted(g.level for g in existing.grades.all())) != self.grades,
            "roles": not set(self.roles) <= existing.role_codes,
            "school": _school_of(existing) != self.school,
            "sourced_id": existing.sourced_id != self.sourced_id,
        }
        return _changed(changed)

    def action(self, changed: tuple[str, ...]) -> str:
        if "active" in changed:
            return "restore" if self.active else "end"
        return "update"


@dataclass(frozen=True)
class StaffEnded:
    """A stored staff member made inactive: they left."""

    at: At = None
    active: bool = False

    def changed_fields(self, existing: Staff) -> tuple[str, ...]:
        return ("active",) if existing.active != self.active else ()

    def action(self, changed: tuple[str, ...]) -> str:
        return "end" if "active" in changed else "update"


StaffRow = WantedStaff | StaffEnded


@dataclass(frozen=True)
class WantedGuardian:
    """A guardian as a users file row states them, linked to ``students`` (sourcedIds).
    ``language`` and ``relationship`` None leave the stored ones (a language set by hand stays
    when the export has none)."""

    sourced_id: str
    given_name: str
    family_name: str
    email: str
    phone: str
    sms: str
    students: tuple[str, ...]  # sorted
    language: str | None = None
    relationship: str | None = None
    at: At = None
    active: bool = True

    def changed_fields(self, existing: Guardian, links: Set[str]) -> tuple[str, ...]:
        """``links``: the student sourcedIds ``existing`` is linked to."""
        kept = {"language": self.language, "relationship": self.relationship}
        changed = {
            name: getattr(existing, name) != getattr(self, name)
            for name in ("sourced_id", "given_name", "family_name", "email", "phone", "sms")
        }
        changed |= {
            name: value is not None and getattr(existing, name) != value
            for name, value in kept.items()
        }
        changed["active"] = existing.active != self.active
        changed["students"] = set(links) != set(self.students)
        return _changed(changed)


@dataclass(frozen=True)
class GuardianEnded:
    """A stored guardian made inactive (their links stay, as history): a delta file's
    ``tobedeleted`` row, or absent from a bulk users file."""

    at: At = None
    active: bool = False

    def changed_fields(self, existing: Guardian, links: Set[str]) -> tuple[str, ...]:
        return ("active",) if existing.active != self.active else ()


@dataclass(frozen=True)
class GuardianLinks:
    """A stored guardian a delta file does not list, whose links follow the rows of the
    students it lists."""

    students: tuple[str, ...]  # sorted
    at: At = None

    def changed_fields(self, existing: Guardian, links: Set[str]) -> tuple[str, ...]:
        return ("students",) if set(links) != set(self.students) else ()


GuardianRow = WantedGuardian | GuardianEnded | GuardianLinks
