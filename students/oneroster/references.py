"""Checking that the sourcedIds rows refer to exist. A bulk file holds every object of its
kind, so a reference it cannot resolve is an error; a delta file holds only changes, so an
unresolved reference may name an object stored by an earlier import and is handed to the
importer instead. References into a file the export leaves out (or that could not be read,
already reported) are not checked: there is nothing to check them against."""

from collections.abc import Iterable
from dataclasses import dataclass

from .columns import ACADEMIC_SESSIONS, CLASSES, COURSES, ORGS, USERS, FileMode
from .records import ExportError

# kind -> (file holding it, how a reason names it)
KINDS: dict[str, tuple[str, str]] = {
    "org": (ORGS, "org"),
    "school": (ORGS, "school"),
    "academicSession": (ACADEMIC_SESSIONS, "academic session"),
    "course": (COURSES, "course"),
    "class": (CLASSES, "class"),
    "user": (USERS, "user"),
}


@dataclass(frozen=True)
class Reference:
    kind: str
    sourced_id: str
    file: str
    row: int
    column: str


@dataclass(frozen=True)
class Target:
    """What the export holds of one file: its mode and the status of each sourcedId read
    (bulk rows marked tobedeleted included, so a reference to one is reported as such)."""

    mode: FileMode
    statuses: dict[str, str]


def resolve(
    references: Iterable[Reference],
    targets: dict[str, Target],
    org_types: dict[str, str],
    errors: list[ExportError],
) -> set[tuple[str, str]]:
    """Report unresolvable references in ``errors``; return the (kind, sourcedId) pairs that
    delta files leave for the importer to find among stored objects. ``org_types`` holds
    the orgs whose type is valid; only those are checked for being schools."""
    external: set[tuple[str, str]] = set()
    for ref in references:
        file, noun = KINDS[ref.kind]
        target = targets.get(file)
        if target is None:
            continue
        status = target.statuses.get(ref.sourced_id)
        if status is None:
            if target.mode == "delta":
                external.add((ref.kind, ref.sourced_id))
            else:
                errors.append(
                    ExportError(
                        ref.file,
                        ref.row,
                        ref.column,
                        f"{ref.column} '{ref.sourced_id}' names no {noun} in {file}.",
                    )
                )
        elif status == "tobedeleted":
            errors.append(
                ExportError(
                    ref.file,
                    ref.row,
                    ref.column,
                    f"{ref.column} '{ref.sourced_id}' names a {noun} that {file} marks "
                    "tobedeleted.",
                )
            )
        elif ref.kind == "school" and org_types.get(ref.sourced_id, "school") != "school":
            errors.append(
                ExportError(
                    ref.file,
                    ref.row,
                    ref.column,
                    f"{ref.column} '{ref.sourced_id}' names an org of type "
                    f"'{org_types.get(ref.sourced_id)}', not a school.",
                )
            )
    return external
