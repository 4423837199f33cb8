"""Reading OneRoster CSV exports (1.1 and 1.2) from a school's SIS: orgs, academic sessions,
courses, classes, users with their roles, enrollments and demographics, checked against the
spec and against each other. Pure reading: the importer decides what to store."""

from .columns import FileMode, Version
from .reader import read_export
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
from .source import ExportLimits, ExportSource

__all__ = [
    "AcademicSession",
    "Class",
    "Course",
    "Demographic",
    "Enrollment",
    "ExportError",
    "ExportLimits",
    "ExportRead",
    "ExportSource",
    "FileMode",
    "Org",
    "RoleAssignment",
    "User",
    "UserRole",
    "Version",
    "read_export",
]
