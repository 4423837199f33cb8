"""Reading a OneRoster CSV export (1.1 or 1.2) into records, with every problem found.

``read_export`` never stops at the first problem: a school fixing its SIS export wants the
whole list at once. It reads; it does not touch the database. Rows are streamed through
the ``csv`` module, so a 20-school network (13k users, 40k enrollments) reads in about a
second.
"""

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

from students.plain_gettext import gettext

from . import foreign, rows
from .cells import CellReader
from .columns import (
    ACADEMIC_SESSIONS,
    CLASSES,
    COURSES,
    DEMOGRAPHICS,
    ENROLLMENTS,
    EXTENSION_PREFIX,
    FILES,
    IMPORT_REQUIRED_COLUMNS,
    MANIFEST,
    ORG_TYPES,
    ORGS,
    ROLES,
    USERS,
    FileColumns,
    FileMode,
    Version,
)
from .manifest import file_modes, read_properties, version_of
from .records import (
    AcademicSession,
    Class,
    Course,
    Demographic,
    Enrollment,
    ExportError,
    ExportRead,
    Org,
    RoleAssignment,
    User,
    UserRole,
)
from .references import Reference, Target, resolve
from .source import ExportFiles, ExportLimits, ExportSource, UnreadableExport
from .tables import Table, read_table

EXPORT = "export"  # ExportError.file for problems with the upload itself


def read_export(source: ExportSource, limits: ExportLimits | None = None) -> ExportRead:
    """Read the export in ``source``: a folder, a .zip path, or a binary file object of a
    zip, unpacked within ``limits`` (the defaults of ``ExportLimits`` if None). Problems are
    returned in ``errors`` / ``warnings``, never raised; a zip that is damaged or unpacks past
    a limit is one error, naming the file and the limit, and nothing else is read."""
    try:
        files = ExportFiles(source, limits)
    except UnreadableExport as error:
        return _nothing_read([ExportError(error.file, None, None, error.reason)])
    try:
        return _ExportReading(files).read()
    except UnreadableExport as error:
        return _nothing_read([ExportError(error.file, None, None, error.reason)])
    finally:
        files.close()


class _ExportReading:
    """One read of one export; holds the problems found so far."""

    def __init__(self, files: ExportFiles) -> None:
        self.files = files
        self.errors: list[ExportError] = []
        self.warnings: list[ExportError] = []

    def read(self) -> ExportRead:
        properties = read_properties(self.files, self.errors, self.warnings)
        version = version_of(properties, self.files, self.errors)
        specs = FILES[version]
        modes = file_modes(properties, specs, version, self.files, self.errors, self.warnings)
        self._note_stand_ins([MANIFEST, *specs])
        self.version, self.specs, self.modes = version, specs, modes
        self.targets: dict[str, Target] = {}

        orgs = self._records(ORGS, rows.org)
        sessions = self._records(ACADEMIC_SESSIONS, rows.academic_session)
        courses = self._records(COURSES, rows.course)
        classes = self._records(CLASSES, rows.school_class)
        users = self._records(USERS, lambda cells: rows.user(cells, version))
        assignments = self._records(ROLES, rows.role_assignment)
        enrollments = self._records(ENROLLMENTS, rows.enrollment)
        demographics = self._records(DEMOGRAPHICS, rows.demographic)

        if version == "1.2":
            users = self._with_roles(users, assignments)
        self._check_student_grades(users)

        kept = _Kept(
            orgs=self._kept(ORGS, orgs),
            sessions=self._kept(ACADEMIC_SESSIONS, sessions),
            courses=self._kept(COURSES, courses),
            classes=self._kept(CLASSES, classes),
            users=self._kept(USERS, users),
            assignments=self._kept(ROLES, assignments),
            enrollments=self._kept(ENROLLMENTS, enrollments),
            demographics=self._kept(DEMOGRAPHICS, demographics),
        )
        # An org whose type is itself wrong is reported once, not at every school reference.
        org_types = {org.sourced_id: org.org_type for org in orgs if _known_org_type(org)}
        external = resolve(_references(kept, version), self.targets, org_types, self.errors)

        return ExportRead(
            version=version,
            modes=MappingProxyType(dict(modes)),
            orgs=kept.orgs,
            academic_sessions=kept.sessions,
            courses=kept.courses,
            classes=kept.classes,
            users=kept.users,
            role_assignments=kept.assignments,
            enrollments=kept.enrollments,
            demographics=kept.demographics,
            errors=tuple(sorted(self.errors, key=self._position)),
            warnings=tuple(sorted(self.warnings, key=self._position)),
            external_refs=frozenset(external),
        )

    def _note_stand_ins(self, names: list[str]) -> None:
        for name in names:
            written = self.files.stand_in(name)
            if written is not None:
                reason = gettext(
                    'The export has %(written)s, not %(file)s (Excel\'s "Unicode text" saves '
                    ".txt files); it was read as %(file)s."
                )
                values = {"written": written, "file": name}
                self.warnings.append(ExportError(name, None, None, reason % values))

    def _records(self, name: str, builder: Callable[[CellReader], Any]) -> list[Any]:
        """The records of file ``name``, or none when the version lacks it, the manifest
        leaves it out, or it cannot be read (the reason is already in ``errors``)."""
        spec = self.specs.get(name)
        if spec is None or self.modes[name] == "absent" or not self.files.has(name):
            return []
        table = read_table(name, self.files.read(name), self.errors, self.warnings, spec.columns)
        if table is None or not self._has_needed_columns(spec, table):
            return []
        cells = CellReader(
            spec, self.modes[name], self.errors, self.warnings, day_first=table.delimiter == ";"
        )
        records, statuses = rows.read_rows(table, cells, builder(cells))
        self.targets[name] = Target(self.modes[name], statuses)
        return records

    def _has_needed_columns(self, spec: FileColumns, table: Table) -> bool:
        needed = spec.required | IMPORT_REQUIRED_COLUMNS.get(spec.name, frozenset())
        missing = [column for column in spec.columns if column in needed]
        missing = [column for column in missing if column not in table.columns]
        unknown = [column for column in table.columns if column not in spec.columns]
        for column in missing:
            reason = gettext(
                "The header has no '%(column)s' column, which %(file)s must have; the file's "
                "rows were not read."
            )
            written = foreign.near_miss(column, unknown)
            if written is not None:
                reason += " " + gettext("It has '%(written)s': did you mean '%(column)s'?")
            values = {"column": column, "file": spec.name, "written": written}
            self.errors.append(ExportError(spec.name, 1, column, reason % values))
        return not missing

    def _with_roles(self, users: list[User], assignments: list[RoleAssignment]) -> list[User]:
        """1.2 users with the roles roles.csv gives them. In a bulk roles.csv every user must
        have one: without a role we cannot tell a student from a teacher."""
        roles_by_user: dict[str, list[UserRole]] = defaultdict(list)
        for assignment in assignments:
            if assignment.status == "active":
                roles_by_user[assignment.user_sourced_id].append(
                    UserRole(
                        assignment.org_sourced_id,
                        assignment.role,
                        assignment.role_type == "primary",
                    )
                )
        roles_complete = ROLES in self.targets and self.modes[ROLES] == "bulk"
        with_roles = []
        for user in users:
            roles = tuple(roles_by_user.get(user.sourced_id, ()))
            if not roles and roles_complete and user.status == "active":
                self.errors.append(
                    ExportError(
                        USERS,
                        user.row,
                        "sourcedId",
                        gettext("User '%(id)s' has no role in roles.csv.")
                        % {"id": user.sourced_id},
                    )
                )
            with_roles.append(dataclasses.replace(user, roles=roles))
        return with_roles

    def _check_student_grades(self, users: list[User]) -> None:
        """Students' grades must be K-5. A student may have none: the importer then takes
        the grade of their homeroom."""
        if USERS not in self.targets:
            return
        cells = CellReader(self.specs[USERS], self.modes[USERS], self.errors, self.warnings)
        for user in users:
            if user.status == "active":
                needed_for = "student" if user.is_student else None
                rows.check_grades(cells, user.row, user.grades, needed_for=needed_for)

    def _kept(self, name: str, records: list[Any]) -> tuple[Any, ...]:
        """Records to hand on. A bulk file's tobedeleted rows name objects that are gone;
        a delta file's are kept so the importer can end them."""
        if self.modes.get(name) == "delta":
            return tuple(records)
        return tuple(record for record in records if record.status == "active")

    def _position(self, error: ExportError) -> tuple[int, int]:
        order = [EXPORT, MANIFEST, *self.specs]
        file_index = order.index(error.file) if error.file in order else len(order)
        return file_index, error.row or 0


@dataclasses.dataclass(frozen=True)
class _Kept:
    orgs: tuple[Org, ...]
    sessions: tuple[AcademicSession, ...]
    courses: tuple[Course, ...]
    classes: tuple[Class, ...]
    users: tuple[User, ...]
    assignments: tuple[RoleAssignment, ...]
    enrollments: tuple[Enrollment, ...]
    demographics: tuple[Demographic, ...]


def _references(kept: _Kept, version: Version) -> Iterator[Reference]:
    """Every sourcedId an active row refers to. Rows being deleted are not checked: the
    importer finds them by their own sourcedId alone."""

    def refs(file: str, record: Any, kind: str, column: str, ids: Any) -> Iterator[Reference]:
        if record.status != "active":
            return
        for sourced_id in (ids,) if isinstance(ids, str) else ids or ():
            if sourced_id:
                yield Reference(kind, sourced_id, file, record.row, column)

    for org in kept.orgs:
        yield from refs(ORGS, org, "org", "parentSourcedId", org.parent_sourced_id)
    for session in kept.sessions:
        parent_id = session.parent_sourced_id
        yield from refs(ACADEMIC_SESSIONS, session, "academicSession", "parentSourcedId", parent_id)
    for course in kept.courses:
        yield from refs(COURSES, course, "org", "orgSourcedId", course.org_sourced_id)
        year_id = course.school_year_sourced_id
        yield from refs(COURSES, course, "academicSession", "schoolYearSourcedId", year_id)
    for cls in kept.classes:
        yield from refs(CLASSES, cls, "course", "courseSourcedId", cls.course_sourced_id)
        yield from refs(CLASSES, cls, "school", "schoolSourcedId", cls.school_sourced_id)
        yield from refs(CLASSES, cls, "academicSession", "termSourcedIds", cls.term_sourced_ids)
    for user in kept.users:
        if version == "1.1":  # 1.2 users' orgs are checked as roles.csv rows
            org_ids = [role.org_sourced_id for role in user.roles]
            yield from refs(USERS, user, "org", "orgSourcedIds", org_ids)
    for assignment in kept.assignments:
        yield from refs(ROLES, assignment, "user", "userSourcedId", assignment.user_sourced_id)
        yield from refs(ROLES, assignment, "org", "orgSourcedId", assignment.org_sourced_id)
    for enrollment in kept.enrollments:
        yield from refs(
            ENROLLMENTS, enrollment, "class", "classSourcedId", enrollment.class_sourced_id
        )
        yield from refs(
            ENROLLMENTS, enrollment, "school", "schoolSourcedId", enrollment.school_sourced_id
        )
        yield from refs(
            ENROLLMENTS, enrollment, "user", "userSourcedId", enrollment.user_sourced_id
        )
    for demographic in kept.demographics:
        yield from refs(DEMOGRAPHICS, demographic, "user", "sourcedId", demographic.sourced_id)


def _known_org_type(org: Org) -> bool:
    return org.org_type in ORG_TYPES or org.org_type.startswith(EXTENSION_PREFIX)


def _nothing_read(errors: list[ExportError]) -> ExportRead:
    version: Version = "1.1"
    modes: dict[str, FileMode] = dict.fromkeys(FILES[version], "absent")
    return ExportRead(
        version=version,
        modes=MappingProxyType(modes),
        orgs=(),
        academic_sessions=(),
        courses=(),
        classes=(),
        users=(),
        role_assignments=(),
        enrollments=(),
        demographics=(),
        errors=tuple(errors),
        warnings=(),
        external_refs=frozenset(),
    )
