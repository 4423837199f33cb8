"""The Learning Lab's data: programs, the progress students make in them (``progress``)."""

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
    "API_SOURCE",
    "MAX_LESSONS_PER_DAY",
    "MAX_MASTERY",
    "MAX_MINUTES_PER_DAY",
    "SOURCE_PATTERN",
    "Program",
    "ProgramKind",
    "ProgressRecord",
    "Subject",
    "source_validator",
]
