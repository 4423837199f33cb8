"""What the OneRoster CSV binding says each file holds, for versions 1.1 and 1.2.

Only the files the rostering import reads are described. For each: its columns in the spec's
order (the order exporters write them; the reader finds columns by name), which of them the
spec marks required (the column must be there and each row's cell must be non-empty), and
the vocabularies we check.

Sources (public material consulted while writing this; the 1EdTech documents themselves are
member-gated in places, so tables were cross-checked between several readers and writers):

- 1EdTech OneRoster CSV Tables 1.1.1 and CSV Binding 1.2.1
  (imsglobal.org/oneroster-v11-final-csv-tables, imsglobal.org/spec/oneroster/v1p2/bind/csv):
  file list, manifest properties, bulk / delta / absent processing modes.
- The ``meibo`` Ruby gem (github.com/hanachin/meibo), a OneRoster 1.2 CSV reader and writer:
  column lists and required columns of every 1.2 file, roles.csv, the role, roleType,
  orgType, classType and session-type vocabularies, and the ``ext:`` extension pattern.
- Vendor import guides for 1.1 (Great Minds users.csv / classes.csv, ClassLink "OneRoster 1.1
  CSVs", Quaver, D2L Brightspace "CSV file format") and a 1.1 generator's header test
  (orgs, academicSessions, courses, classes, users, enrollments, demographics headers).
- ManageBac's OneRoster 1.2 CSV specification (guide.fariaedu.com): manifest.csv and roles.csv
  columns; status and dateLastModified are populated in delta files.
- Grade codes: CEDS "Entry Grade Level", as quoted by the 1.1 tables (IT, PR, PK, TK, KG,
  01-13, PS, UG, Other).
"""

from dataclasses import dataclass
from typing import Literal

Version = Literal["1.1", "1.2"]
VERSIONS: tuple[Version, ...] = ("1.1", "1.2")

FileMode = Literal["bulk", "delta", "absent"]
FILE_MODES: frozenset[str] = frozenset({"bulk", "delta", "absent"})

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("propertyName", "value")
ORGS = "orgs.csv"
ACADEMIC_SESSIONS = "academicSessions.csv"
COURSES = "courses.csv"
CLASSES = "classes.csv"
USERS = "users.csv"
ENROLLMENTS = "enrollments.csv"
DEMOGRAPHICS = "demographics.csv"
ROLES = "roles.csv"


@dataclass(frozen=True)
class FileColumns:
    """One CSV file of one version: its columns in spec order and the required ones."""

    name: str
    columns: tuple[str, ...]
    required: frozenset[str]

    @property
    def manifest_property(self) -> str:
        """The manifest row that declares this file's mode, e.g. ``file.users``."""
        return "file." + self.name.removesuffix(".csv")


# Every data file starts with these; status and dateLastModified are only filled in delta files.
_COMMON = ("sourcedId", "status", "dateLastModified")

_ORGS = FileColumns(
    ORGS,
    (*_COMMON, "name", "type", "identifier", "parentSourcedId"),
    frozenset({"sourcedId", "name", "type"}),
)
_ACADEMIC_SESSIONS = FileColumns(
    ACADEMIC_SESSIONS,
    (*_COMMON, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"),
    frozenset({"sourcedId", "title", "type", "startDate", "endDate", "schoolYear"}),
)
_COURSES = FileColumns(
    COURSES,
    (
        *_COMMON,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    frozenset({"sourcedId", "title", "orgSourcedId"}),
)
_CLASSES = FileColumns(
    CLASSES,
    (
        *_COMMON,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    # The spec requires a title; Aeries leaves it blank for the classes of a school without a
    # master schedule. A class's title names its cohort, if it is one: an untitled one is named
    # by its class code (cohort_names), with a warning.
    frozenset({"sourcedId", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"}),
)
_ENROLLMENTS = FileColumns(
    ENROLLMENTS,
    (
        *_COMMON,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    frozenset({"sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"}),
)
_DEMOGRAPHICS = FileColumns(
    DEMOGRAPHICS,
    (
        *_COMMON,
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
    frozenset({"sourcedId"}),
)

# 1.1 keeps a user's one role and its orgs on the user row.
_USERS_1_1 = FileColumns(
    USERS,
    (
        *_COMMON,
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ),
    frozenset(
        {"sourcedId", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"}
    ),
)
# 1.2 moves roles (one row per user, org and role) to roles.csv and adds preferred names.
_USERS_1_2 = FileColumns(
    USERS,
    (
        *_COMMON,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ),
    frozenset({"sourcedId", "enabledUser", "username", "givenName", "familyName"}),
)
_ROLES_1_2 = FileColumns(
    ROLES,
    (
        *_COMMON,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ),
    frozenset({"sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"}),
)

FILES: dict[Version, dict[str, FileColumns]] = {
    "1.1": {
        spec.name: spec
        for spec in (
            _ORGS,
            _ACADEMIC_SESSIONS,
            _COURSES,
            _CLASSES,
            _USERS_1_1,
            _ENROLLMENTS,
            _DEMOGRAPHICS,
        )
    },
    "1.2": {
        spec.name: spec
        for spec in (
            _ORGS,
            _ACADEMIC_SESSIONS,
            _COURSES,
            _CLASSES,
            _USERS_1_2,
            _ROLES_1_2,
            _ENROLLMENTS,
            _DEMOGRAPHICS,
        )
    },
}

# Files the import cannot do without; the manifest must declare them bulk or delta.
IMPORT_REQUIRED_FILES: dict[Version, tuple[str, ...]] = {
    "1.1": (ORGS, CLASSES, USERS, ENROLLMENTS),
    "1.2": (ORGS, CLASSES, USERS, ROLES, ENROLLMENTS),
}
# Columns optional in the spec that the import needs: a homeroom's grade places its cohort.
# (A student without grades takes their homeroom's, so users.csv may omit the column.)
IMPORT_REQUIRED_COLUMNS: dict[str, frozenset[str]] = {
    CLASSES: frozenset({"grades"}),
}

# Vocabularies. The spec lets any enumeration be extended with values matching ``ext:...``.
EXTENSION_PREFIX = "ext:"
STATUSES: frozenset[str] = frozenset({"active", "tobedeleted"})
ORG_TYPES: frozenset[str] = frozenset(
    {"department", "school", "district", "local", "state", "national"}
)
SESSION_TYPES: frozenset[str] = frozenset({"gradingPeriod", "semester", "schoolYear", "term"})
CLASS_TYPES: frozenset[str] = frozenset({"homeroom", "scheduled"})
USER_ROLES: dict[Version, frozenset[str]] = {
    "1.1": frozenset(
        {"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"}
    ),
    "1.2": frozenset(
        {
            "aide",
            "counselor",
            "districtAdministrator",
            "guardian",
            "parent",
            "principal",
            "proctor",
            "relative",
            "siteAdministrator",
            "student",
            "systemAdministrator",
            "teacher",
        }
    ),
}
ENROLLMENT_ROLES: frozenset[str] = frozenset({"administrator", "proctor", "student", "teacher"})
ROLE_TYPES: frozenset[str] = frozenset({"primary", "secondary"})
BOOLEANS: frozenset[str] = frozenset({"true", "false"})
# CEDS Entry Grade Level, the vocabulary of every ``grades`` column.
GRADE_CODES: frozenset[str] = frozenset(
    {"IT", "PR", "PK", "TK", "KG", *(f"{n:02d}" for n in range(1, 14)), "PS", "UG", "Other"}
)
# The grades a K-5 school teaches: where a grade places a student or a homeroom, only these.
SCHOOL_GRADES: tuple[str, ...] = ("KG", "01", "02", "03", "04", "05")
