"""Checking that the sourcedIds rows refer to exist. A bulk file holds every object of its
kind, so a reference it cannot resolve is an error; a delta file holds only changes, so an
unresolved reference may name an object stored by an earlier import and is handed to the
importer instead. References into a file the export leaves out (or that could not be read,
already reported) are not checked: there is nothing to check them against."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from students.plain_gettext import gettext

from .columns import ACADEMIC_SESSIONS, CLASSES, COURSES, ORGS, USERS, FileMode
from .records import ExportError

# kind -> the file holding it
KINDS: dict[str, str] = {
    "org": ORGS,
    "school": ORGS,
    "academicSession": ACADEMIC_SESSIONS,
    "course": COURSES,
    "class": CLASSES,
    "user": USERS,
}
# kind -> the reason for a reference its file does not hold (whole sentences, for translators)
NAMES_NONE: dict[str, str] = {
    "org": gettext_noop("%(column)s '%(sourced_id)s' names no org in %(file)s."),
    "school": gettext_noop("%(column)s '%(sourced_id)s' names no school in %(file)s."),
    "academicSession": gettext_noop(
        "%(column)s '%(sourced_id)s' names no academic session in %(file)s."
    ),
    "course": gettext_noop("%(column)s '%(sourced_id)s' names no course in %(file)s."),
    "class": gettext_noop("%(column)s '%(sourced_id)s' names no class in %(file)s."),
    "user": gettext_noop("%(column)s '%(sourced_id)s' names no user in %(file)s."),
}
# kind -> the reason for a reference to a row its file marks tobedeleted
NAMES_DELETED: dict[str, str] = {
    "org": gettext_noop("%(column)s '%(sourced_id)s' names a org that %(file)s marks tobedeleted."),
    "school": gettext_noop(
        "%(column)s '%(sourced_id)s' names a school that %(file)s marks tobedeleted."
    ),
    "academicSession": gettext_noop(
        "%(column)s '%(sourced_id)s' names a academic session that %(file)s marks tobedeleted."
    ),
    "course": gettext_noop(
        "%(column)s '%(sourced_id)s' names a course that %(file)s marks tobedeleted."
    ),
    "class": gettext_noop(
        "%(column)s '%(sourced_id)s' names a class that %(file)s marks tobedeleted."
    ),
    "user": gettext_noop(
        "%(column)s '%(sourced_id)s' names a user that %(file)s marks tobedeleted."
    ),
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
        file = KINDS[ref.kind]
        values = {"column": ref.column, "sourced_id": ref.sourced_id, "file": file}
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
                        gettext(NAMES_NONE[ref.kind]) % values,
                    )
                )
        elif status == "tobedeleted":
            errors.append(
                ExportError(
                    ref.file,
                    ref.row,
                    ref.column,
                    gettext(NAMES_DELETED[ref.kind]) % values,
                )
            )
        elif ref.kind == "school" and org_types.get(ref.sourced_id, "school") != "school":
            errors.append(
                ExportError(
                    ref.file,
                    ref.row,
                    ref.column,
                    gettext(
                        "%(column)s '%(sourced_id)s' names an org of type '%(type)s', not a school."
                    )
                    % {**values, "type": org_types.get(ref.sourced_id)},
                )
            )
    return external
