"""What of an export a K-5 network imports, and when: grades it serves, schools that are not
K-5 schools, problems in files the import does not use, and which homeroom enrollment is in
effect on the import date.

A real district's export holds more than a K-5 network runs: its pre-K and TK children, its
middle schools, its 6th graders, academic sessions and demographics we never read. Those are
left out with a warning that counts them and names the first rows, and the rest imports.
Errors stay errors where importing would store something wrong (a student in two homerooms at
once, a student whose grade their homeroom does not hold).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .columns import ACADEMIC_SESSIONS, CLASSES, COURSES, DEMOGRAPHICS, ENROLLMENTS, FILES, MANIFEST
from .records import Class, Enrollment, ExportError, ExportRead

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# CEDS grade code -> our grade level: what a K-5 school teaches.
GRADE_LEVELS = {"KG": 0, "01": 1, "02": 2, "03": 3, "04": 4, "05": 5}
# Codes that say nothing about where a child belongs (ungraded: special education, mixed
# programmes): a student with one takes their homeroom's grade, and a school is not judged by them.
NEUTRAL_GRADES = frozenset({"UG"})
# How many rows a counted warning names.
FIRST_ROWS = 5

# Files the sync reads nothing from that decides what is stored (courses give teachers' roles
# a hint at most): a problem in them is a warning. Columns of used files that only point into them.
UNUSED_FILES = frozenset({ACADEMIC_SESSIONS, COURSES, DEMOGRAPHICS})
UNUSED_COLUMNS = frozenset({(CLASSES, "courseSourcedId"), (CLASSES, "termSourcedIds")})
_UNUSED_PROPERTIES = frozenset(
    spec.manifest_property
    for specs in FILES.values()
    for name, spec in specs.items()
    if name in UNUSED_FILES
)


def grade_levels(tk_as_kindergarten: bool) -> dict[str, int]:
    """The grade codes a network serves, with their levels: K-5, and TK as K if it says so."""
    levels = dict(GRADE_LEVELS)
    if tk_as_kindergarten:
        levels["TK"] = 0
    return levels


def out_of_range(codes: Iterable[str], levels: dict[str, int]) -> list[str]:
    """The codes of ``codes`` that place a child in a grade the network does not serve."""
    return [code for code in codes if code not in levels and code not in NEUTRAL_GRADES]


# --- problems in files the import does not use ---------------------------------------------------


def is_ignorable(error: ExportError) -> bool:
    """Whether ``error`` is in (or only points into) a file the import does not use."""
    if error.file in UNUSED_FILES or (error.file, error.column) in UNUSED_COLUMNS:
        return True
    return error.file == MANIFEST and any(p in error.reason for p in _UNUSED_PROPERTIES)


def split_errors(errors: Sequence[ExportError]) -> tuple[list[ExportError], list[ExportError]]:
    """``errors`` as (errors that stop the import, warnings): the problems in files the
    import does not use are counted in one warning per file, naming the first ones."""
    blocking: list[ExportError] = []
    ignored: dict[str, list[ExportError]] = defaultdict(list)
    for error in errors:
        if is_ignorable(error):
            ignored[error.file].append(error)
        else:
            blocking.append(error)
    warnings = []
    for file, found in ignored.items():
        first = "; ".join(str(e) for e in found[:FIRST_ROWS])
        reason = ngettext(
            "%(count)d problem in a file the import does not use was ignored: %(first)s",
            "%(count)d problems in files the import does not use were ignored; the first: "
            "%(first)s",
            len(found),
        ) % {"count": len(found), "first": first}
        warnings.append(ExportError(file, found[0].row, found[0].column, reason))
    return blocking, warnings


# --- counted warnings ----------------------------------------------------------------------------


@dataclass
class LeftOut:
    """Rows left out (or postponed) for one reason, counted: one warning names how many, what
    they were (e.g. by grade) and the first rows."""

    file: str
    reason: StrOrPromise  # with %(count)d, %(what)s and %(rows)s
    rows: list[int] = field(default_factory=list)
    # What the rows were (a grade code, a title, a date: dates shown in the reader's format,
    # in date order)
    what: Counter[str | datetime.date] = field(default_factory=Counter)

    def add(self, row: int, what: str | datetime.date = "") -> None:
        self.rows.append(row)
        if what:
            self.what[what] += 1

    def warning(self) -> ExportError:
        rows = sorted(set(self.rows))
        shown = ", ".join(str(r) for r in rows[:FIRST_ROWS])
        if len(rows) > FIRST_ROWS:
            shown += ", …"
        what = ", ".join(
            f"{_what_shown(key)}: {n}"
            for key, n in sorted(self.what.items(), key=lambda item: _what_order(item[0]))
        )
        text = self.reason % {"count": len(self.rows), "what": what, "rows": shown}
        return ExportError(self.file, rows[0] if rows else None, None, text)


def _what_order(what: str | datetime.date) -> str:
    return what.isoformat() if isinstance(what, datetime.date) else what


def _what_shown(what: str | datetime.date) -> str:
    return date_format(what) if isinstance(what, datetime.date) else what


# --- schools that are not K-5 schools --------------------------------------------------------


def unserved_schools(
    export: ExportRead,
    levels: dict[str, int],
    defines_cohort: Callable[[Class], bool] | None = None,
) -> dict[str, list[str]]:
    """School org sourcedId -> the grades it teaches, for each school none of whose homerooms
    (the classes that define cohorts) and students is in a grade the network serves (a middle
    school). A school with no graded homeroom or student (a new campus, staff only) is not
    judged."""
    is_cohort = defines_cohort or (lambda cls: cls.is_homeroom)
    seen: dict[str, set[str]] = defaultdict(set)
    for cls in export.classes:
        if is_cohort(cls) and cls.status == "active":
            seen[cls.school_sourced_id].update(cls.grades)
    for user in export.users:
        if user.status == "active":
            for role in user.roles:
                if role.role == "student":
                    seen[role.org_sourced_id].update(user.grades)
    found = {}
    for school, codes in seen.items():
        codes = codes - NEUTRAL_GRADES
        if codes and not codes & set(levels):
            found[school] = sorted(codes)
    return found


# --- enrollment dates ----------------------------------------------------------------------------


def is_history(enrollment: Enrollment, today: datetime.date) -> bool:
    """Ended before ``today`` (endDate is the last day enrolled)."""
    return enrollment.end_date is not None and enrollment.end_date < today


def is_future(enrollment: Enrollment, today: datetime.date) -> bool:
    return enrollment.begin_date is not None and enrollment.begin_date > today


def in_effect(enrollment: Enrollment, today: datetime.date) -> bool:
    return not is_history(enrollment, today) and not is_future(enrollment, today)


def first_overlap(
    enrollments: Iterable[Enrollment],
) -> tuple[Enrollment, Enrollment, datetime.date | None] | None:
    """Two enrollments in different classes whose dates share a day, and the first such day
    (None: both open from the start), in row order; None when there are none. A missing
    beginDate or endDate is open on that side."""
    ordered = sorted(enrollments, key=lambda e: e.row)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.class_sourced_id == second.class_sourced_id:
                continue
            starts = [d for d in (first.begin_date, second.begin_date) if d is not None]
            ends = [d for d in (first.end_date, second.end_date) if d is not None]
            start = max(starts) if starts else None
            end = min(ends) if ends else None
            if start is None or end is None or start <= end:
                return first, second, start
    return None


def overlap_error(
    user_sourced_id: str, pair: tuple[Enrollment, Enrollment, datetime.date | None]
) -> ExportError:
    first, second, day = pair
    reason = _(
        "Student %(user)r is enrolled in homerooms %(a)r (row %(row_a)d) and %(b)r (row "
        "%(row_b)d) at the same time%(from)s; a student has one homeroom at a time: end the "
        "first enrollment (endDate) before the second begins (beginDate)."
    ) % {
        "user": user_sourced_id,
        "a": first.class_sourced_id,
        "row_a": first.row,
        "b": second.class_sourced_id,
        "row_b": second.row,
        "from": _(" from %(day)s") % {"day": date_format(day)} if day else "",
    }
    return ExportError(ENROLLMENTS, second.row, "beginDate", reason)
