"""Each file's rows into records, checking what one row can show on its own: required cells,
vocabularies, dates, grade codes and repeated sourcedIds. Checks across files (references,
and roles, which 1.2 keeps in another file) are the reader's."""

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.utils.translation import gettext_noop

from students.plain_gettext import gettext

from .cells import CellReader
from .columns import (
    CLASS_TYPES,
    ENROLLMENT_ROLES,
    GRADE_CODES,
    ORG_TYPES,
    ROLE_TYPES,
    SESSION_TYPES,
    USER_ROLES,
    Version,
)
from .records import (
    AcademicSession,
    Class,
    Course,
    Demographic,
    Enrollment,
    Org,
    RoleAssignment,
    User,
    UserRole,
)
from .tables import Row, Table

RecordT = TypeVar("RecordT")
# What a grade places (``check_grades``' ``needed_for``) -> the reason when it has none.
NEEDS_A_GRADE: dict[str, str] = {
    "student": gettext_noop("A student needs a grade (KG or 01 to 05)."),
    "homeroom class": gettext_noop("A homeroom class needs a grade (KG or 01 to 05)."),
}
# sourcedId -> status of every row read, including bulk rows marked tobedeleted.
Statuses = dict[str, str]


def read_rows(
    table: Table, cells: CellReader, build: Callable[[int, Row, str, str], RecordT]
) -> tuple[list[RecordT], Statuses]:
    """Every row of ``table`` built into a record, skipping rows without a sourcedId and the
    later copies of a repeated one (the first row stands; the error names both)."""
    records: list[RecordT] = []
    statuses: Statuses = {}
    first_rows: dict[str, int] = {}
    for row, values in _rows_with_ids(table, cells, first_rows):
        status = cells.status(row, values)
        sourced_id = values["sourcedId"]
        statuses[sourced_id] = status
        records.append(build(row, values, sourced_id, status))
    cells.finish()
    return records, statuses


def _rows_with_ids(
    table: Table, cells: CellReader, first_rows: dict[str, int]
) -> Iterator[tuple[int, Row]]:
    for row, values in table.rows:
        sourced_id = cells.text(row, values, "sourcedId")
        if not sourced_id:
            continue
        if sourced_id in first_rows:
            cells.error(
                row,
                "sourcedId",
                gettext(
                    "sourcedId '%(sourced_id)s' is also on row %(row)d; "
                    "each sourcedId may appear once in a file."
                )
                % {"sourced_id": sourced_id, "row": first_rows[sourced_id]},
            )
            continue
        first_rows[sourced_id] = row
        yield row, values


def check_grades(
    cells: CellReader,
    row: int,
    codes: tuple[str, ...],
    *,
    needed_for: str | None,
    required: bool = False,
) -> None:
    """Grade codes must be CEDS codes, and where a grade places someone (``needed_for`` names
    what: "student", "homeroom class") there must be one if ``required``. A grade the network
    does not serve (PK, TK, 06...) is no reading error: the importer leaves that student,
    homeroom or school out with a warning, and imports the rest."""
    if required and not codes:
        cells.error(row, "grades", gettext(NEEDS_A_GRADE[str(needed_for)]))
    for code in codes:
        if code not in GRADE_CODES:
            cells.error(
                row,
                "grades",
                gettext(
                    "'%(code)s' is not a OneRoster grade code (IT, PR, PK, TK, KG, 01 to 13, PS, "
                    "UG, Other)."
                )
                % {"code": code},
            )


def org(cells: CellReader) -> Callable[[int, Row, str, str], Org]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> Org:
        return Org(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            name=cells.text(row, values, "name"),
            org_type=cells.enum(row, values, "type", ORG_TYPES, extensible=True),
            identifier=cells.text(row, values, "identifier"),
            parent_sourced_id=cells.optional_id(row, values, "parentSourcedId"),
            row=row,
        )

    return build


def academic_session(cells: CellReader) -> Callable[[int, Row, str, str], AcademicSession]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> AcademicSession:
        return AcademicSession(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            title=cells.text(row, values, "title"),
            session_type=cells.enum(row, values, "type", SESSION_TYPES, extensible=True),
            start_date=cells.date(row, values, "startDate"),
            end_date=cells.date(row, values, "endDate"),
            parent_sourced_id=cells.optional_id(row, values, "parentSourcedId"),
            school_year=cells.text(row, values, "schoolYear"),
            row=row,
        )

    return build


def course(cells: CellReader) -> Callable[[int, Row, str, str], Course]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> Course:
        grades = cells.id_list(row, values, "grades")
        check_grades(cells, row, grades, needed_for=None)
        return Course(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            title=cells.text(row, values, "title"),
            course_code=cells.text(row, values, "courseCode"),
            grades=grades,
            org_sourced_id=cells.text(row, values, "orgSourcedId"),
            school_year_sourced_id=cells.optional_id(row, values, "schoolYearSourcedId"),
            row=row,
        )

    return build


def school_class(cells: CellReader) -> Callable[[int, Row, str, str], Class]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> Class:
        class_type = cells.enum(row, values, "classType", CLASS_TYPES, extensible=True)
        grades = cells.id_list(row, values, "grades")
        places_students = class_type == "homeroom" and status == "active"
        if places_students:
            check_grades(cells, row, grades, needed_for="homeroom class", required=True)
        else:
            check_grades(cells, row, grades, needed_for=None)
        return Class(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            title=cells.text(row, values, "title"),
            class_code=cells.text(row, values, "classCode"),
            class_type=class_type,
            grades=grades,
            course_sourced_id=cells.text(row, values, "courseSourcedId"),
            school_sourced_id=cells.text(row, values, "schoolSourcedId"),
            term_sourced_ids=cells.id_list(row, values, "termSourcedIds"),
            location=cells.text(row, values, "location"),
            periods=cells.id_list(row, values, "periods"),
            row=row,
        )

    return build


def user(cells: CellReader, version: Version) -> Callable[[int, Row, str, str], User]:
    """Users; in 1.1 with their roles from ``role`` and ``orgSourcedIds`` (a 1.1 user has one
    role, primary at each of its orgs), in 1.2 without (the reader adds roles.csv's)."""

    def build(row: int, values: Row, sourced_id: str, status: str) -> User:
        roles: tuple[UserRole, ...] = ()
        if version == "1.1":
            role = cells.enum(row, values, "role", USER_ROLES["1.1"], extensible=True)
            org_ids = cells.id_list(row, values, "orgSourcedIds")
            roles = tuple(UserRole(org_id, role, True) for org_id in org_ids) if role else ()
        return User(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            enabled=cells.boolean(row, values, "enabledUser") is not False,
            username=cells.text(row, values, "username"),
            given_name=cells.text(row, values, "givenName"),
            family_name=cells.text(row, values, "familyName"),
            middle_name=cells.text(row, values, "middleName"),
            preferred_given_name=cells.text(row, values, "preferredGivenName"),
            identifier=cells.text(row, values, "identifier"),
            email=cells.text(row, values, "email"),
            grades=cells.id_list(row, values, "grades"),
            agent_sourced_ids=cells.id_list(row, values, "agentSourcedIds"),
            primary_org_sourced_id=cells.optional_id(row, values, "primaryOrgSourcedId"),
            roles=roles,
            row=row,
            phone=cells.text(row, values, "phone"),
            sms=cells.text(row, values, "sms"),
            language=_metadata_language(values),
        )

    return build


def _metadata_language(values: Row) -> str:
    """The language an SIS writes in an extension column (``metadata.language``,
    ``metadata.preferredLanguage``, ``metadata.homeLanguage``...): OneRoster has none."""
    for column, value in values.items():
        name = column.lower()
        if value and name.startswith("metadata.") and "language" in name:
            return value.strip()
    return ""


def role_assignment(cells: CellReader) -> Callable[[int, Row, str, str], RoleAssignment]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> RoleAssignment:
        return RoleAssignment(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            user_sourced_id=cells.text(row, values, "userSourcedId"),
            role_type=cells.enum(row, values, "roleType", ROLE_TYPES, extensible=False),
            role=cells.enum(row, values, "role", USER_ROLES["1.2"], extensible=True),
            org_sourced_id=cells.text(row, values, "orgSourcedId"),
            begin_date=cells.date(row, values, "beginDate"),
            end_date=cells.date(row, values, "endDate"),
            row=row,
        )

    return build


def enrollment(cells: CellReader) -> Callable[[int, Row, str, str], Enrollment]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> Enrollment:
        return Enrollment(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            class_sourced_id=cells.text(row, values, "classSourcedId"),
            school_sourced_id=cells.text(row, values, "schoolSourcedId"),
            user_sourced_id=cells.text(row, values, "userSourcedId"),
            role=cells.enum(row, values, "role", ENROLLMENT_ROLES, extensible=True),
            primary=cells.boolean(row, values, "primary") is True,
            begin_date=cells.date(row, values, "beginDate"),
            end_date=cells.date(row, values, "endDate"),
            row=row,
        )

    return build


def demographic(cells: CellReader) -> Callable[[int, Row, str, str], Demographic]:
    def build(row: int, values: Row, sourced_id: str, status: str) -> Demographic:
        return Demographic(
            sourced_id=sourced_id,
            status=status,
            date_last_modified=cells.datetime(row, values, "dateLastModified"),
            birth_date=cells.date(row, values, "birthDate"),
            sex=cells.text(row, values, "sex"),
            row=row,
        )

    return build
