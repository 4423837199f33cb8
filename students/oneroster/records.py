"""The values a OneRoster export reads into: one frozen dataclass per file's row, the problems
found, and the whole read. Field names are the spec's, in snake case; each row keeps the
spreadsheet ``row`` it came from so the importer can point back at it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from students.plain_gettext import gettext

from .columns import FileMode, Version


@dataclass(frozen=True)
class ExportError:
    """One problem in an export. ``row`` counts like a spreadsheet (header 1, first data row
    2) and is None for a problem with a whole file; ``column`` is None when no one column is
    at fault."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        values = {"file": self.file, "row": self.row, "column": self.column, "reason": self.reason}
        if self.row is not None and self.column is not None:
            return gettext("%(file)s, row %(row)d, column %(column)s: %(reason)s") % values
        if self.row is not None:
            return gettext("%(file)s, row %(row)d: %(reason)s") % values
        if self.column is not None:
            return gettext("%(file)s, column %(column)s: %(reason)s") % values
        return gettext("%(file)s: %(reason)s") % values


class UserRole(NamedTuple):
    """A user's role at one org: from users.csv ``role`` + ``orgSourcedIds`` in 1.1 (always
    primary), from roles.csv in 1.2."""

    org_sourced_id: str
    role: str
    primary: bool


# ``status`` is "active" or "tobedeleted"; an empty status (bulk files leave it empty) reads as
# "active". ``date_last_modified`` is timezone-aware (UTC when the file gives no offset).


@dataclass(frozen=True)
class Org:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    name: str
    org_type: str
    identifier: str
    parent_sourced_id: str | None
    row: int


@dataclass(frozen=True)
class AcademicSession:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    title: str
    session_type: str
    start_date: date | None
    end_date: date | None
    parent_sourced_id: str | None
    school_year: str
    row: int


@dataclass(frozen=True)
class Course:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    title: str
    course_code: str
    grades: tuple[str, ...]
    org_sourced_id: str
    school_year_sourced_id: str | None
    row: int


@dataclass(frozen=True)
class Class:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    title: str
    class_code: str
    class_type: str
    grades: tuple[str, ...]
    course_sourced_id: str
    school_sourced_id: str
    term_sourced_ids: tuple[str, ...]
    location: str
    periods: tuple[str, ...]
    row: int

    @property
    def is_homeroom(self) -> bool:
        return self.class_type == "homeroom"


@dataclass(frozen=True)
class User:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    enabled: bool
    username: str
    given_name: str
    family_name: str
    middle_name: str
    preferred_given_name: str
    identifier: str
    email: str
    grades: tuple[str, ...]
    agent_sourced_ids: tuple[str, ...]
    primary_org_sourced_id: str | None
    roles: tuple[UserRole, ...]
    row: int
    # Contact details guardians keep; ``language`` from a ``metadata.*language*`` column.
    phone: str = ""
    sms: str = ""
    language: str = ""

    @property
    def is_student(self) -> bool:
        return any(role.role == "student" for role in self.roles)


@dataclass(frozen=True)
class RoleAssignment:
    """One roles.csv row (1.2 only): kept as read so a delta import can end single roles."""

    sourced_id: str
    status: str
    date_last_modified: datetime | None
    user_sourced_id: str
    role_type: str
    role: str
    org_sourced_id: str
    begin_date: date | None
    end_date: date | None
    row: int


@dataclass(frozen=True)
class Enrollment:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    class_sourced_id: str
    school_sourced_id: str
    user_sourced_id: str
    role: str
    primary: bool
    begin_date: date | None
    end_date: date | None
    row: int


@dataclass(frozen=True)
class Demographic:
    sourced_id: str
    status: str
    date_last_modified: datetime | None
    birth_date: date | None
    sex: str
    row: int


@dataclass(frozen=True)
class ExportRead:
    """Everything read from one export.

    ``modes`` maps each file the version defines (e.g. "users.csv") to its manifest mode.
    Rows of bulk files marked tobedeleted are left out (the object is simply gone); delta
    files keep them so the importer can end what they name. ``external_refs`` holds
    (kind, sourcedId) pairs that delta files refer to but the export does not contain; the
    importer must find them among stored objects. Kinds: "org", "school", "academicSession",
    "course", "class", "user".
    """

    version: Version
    modes: Mapping[str, FileMode]
    orgs: tuple[Org, ...]
    academic_sessions: tuple[AcademicSession, ...]
    courses: tuple[Course, ...]
    classes: tuple[Class, ...]
    users: tuple[User, ...]
    role_assignments: tuple[RoleAssignment, ...]
    enrollments: tuple[Enrollment, ...]
    demographics: tuple[Demographic, ...]
    errors: tuple[ExportError, ...]
    warnings: tuple[ExportError, ...]
    external_refs: frozenset[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.errors
