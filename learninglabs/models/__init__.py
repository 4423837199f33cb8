"""The Learning Lab's data: programs, the progress students make in them (``progress``)."""

from .goals import ProgramGoal, StudentGoal
from .imports import (
    ACTIVE_IMPORT_STATES,
    MAX_STORED_ERRORS,
    DateFormat,
    ImportState,
    ProgressImport,
    VendorMapping,
)
from .progress import (
    API_SOURCE,
    MAX_LESSONS_PER_DAY,
    MAX_MASTERY,
    MAX_MINUTES_PER_DAY,
    SOURCE_PATTERN,
    Program,
    ProgramKind,
    ProgressRecord,
    Subject,
    source_validator,
)

__all__ = [
    "ACTIVE_IMPORT_STATES",
    "API_SOURCE",
    "MAX_LESSONS_PER_DAY",
    "MAX_MASTERY",
    "MAX_MINUTES_PER_DAY",
    "MAX_STORED_ERRORS",
    "SOURCE_PATTERN",
    "DateFormat",
    "ImportState",
    "Program",
    "ProgramGoal",
    "ProgramKind",
    "ProgressImport",
    "ProgressRecord",
    "StudentGoal",
    "Subject",
    "VendorMapping",
    "source_validator",
]
