"""Which classes of a OneRoster export define cohorts, as the network chose.

By default a cohort is a homeroom class (``classType`` homeroom). Many SIS exports have none:
PowerSchool, for one, writes its "Homeroom" course's sections as ``scheduled`` classes like any
math section. A network admin then names the classes that are cohorts, once, and every later
import (page, command, API) uses the choice stored on the network:

- ``homerooms``: classes of type homeroom (the default);
- ``courses:ID,ID``: every class of these courses (their sourcedIds), whatever its type;
- ``codes:CODE,CODE``: every class with one of these class codes, for exports without courses.

Class titles are not offered: they are free text, one per teacher ("K Dartmouth"), where a
course is the SIS's own name for "this is a homeroom" and a code the next best thing.

``cohort_preview`` lists the candidates of a read export: each course (and, without courses,
each class code) with how many classes it has and how many students of grades the network
serves its classes would place, so the admin sees what a choice does before choosing it. A
student in two chosen classes at once is the import's "two homerooms" error; the preview counts
them too.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..jobs import job_files_delete_on_commit
from ..models import Network
from .records import Class, Enrollment, ExportRead
from .scope import first_overlap, grade_levels, is_history, out_of_range, unserved_schools

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import RosterImport

logger = logging.getLogger(__name__)

HOMEROOMS = "homerooms"
COURSES = "courses"
CODES = "codes"
KINDS = (HOMEROOMS, COURSES, CODES)
# The preview lists this many courses (and codes), the most students first.
MAX_CANDIDATES = 300


class CohortSourceError(ValueError):
    """A choice that names no classes in a form we understand; the message says what to write."""


@dataclass(frozen=True)
class CohortSource:
    """The classes that define cohorts: homeroom classes, or those of ``values`` (course
    sourcedIds or class codes, by ``kind``)."""

    kind: str = HOMEROOMS
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CohortSourceError(f"unknown kind of cohort source {self.kind!r}")
        # One choice, one value: the same courses in another order are the same choice.
        object.__setattr__(self, "values", tuple(sorted(set(self.values))))

    def defines_cohort(self, cls: Class) -> bool:
        if self.kind == COURSES:
            return cls.course_sourced_id in self.values
        if self.kind == CODES:
            return cls.class_code in self.values
        return cls.is_homeroom

    @classmethod
    def of(cls, network: Network) -> CohortSource:
        """The network's stored choice."""
        kind = network.cohorts_from
        values = {str(v) for v in network.cohort_classes or ()}
        if kind not in (COURSES, CODES) or not values:
            return cls()  # nothing chosen: as if never set
        return cls(kind, tuple(sorted(values)))

    @classmethod
    def of_values(cls, kind: str, values: Iterable[str]) -> CohortSource:
        chosen = tuple(sorted({v.strip() for v in values if v.strip()}))
        if kind == HOMEROOMS:
            return cls()
        if not chosen:
            what = _("Choose at least one course.") if kind == COURSES else None
            raise CohortSourceError(what or _("Choose at least one class code."))
        return cls(kind, chosen)

    @classmethod
    def parse(cls, text: str) -> CohortSource:
        """The choice as the command and the API write it: ``homerooms``, ``courses:ID,ID``
        or ``codes:CODE,CODE``."""
        kind, colon, rest = text.strip().partition(":")
        kind = kind.strip().lower()
        if kind == HOMEROOMS and not rest.strip():
            return cls()
        if kind in (COURSES, CODES) and colon:
            values = [v for v in rest.split(",") if v.strip()]
            if values:
                return cls.of_values(kind, values)
            raise CohortSourceError(
                _("%(text)r names no %(what)s; write %(kind)s:%(example)s.")
                % {
                    "text": text,
                    "what": _("course sourcedId") if kind == COURSES else _("class code"),
                    "kind": kind,
                    "example": "ID,ID" if kind == COURSES else "CODE,CODE",
                }
            )
        raise CohortSourceError(
            _(
                "%(text)r is not a cohort source: write homerooms, courses:ID,ID (course "
                "sourcedIds) or codes:CODE,CODE (class codes)."
            )
            % {"text": text}
        )

    def option(self) -> str:
        """The choice written as ``parse`` reads it."""
        return self.kind if self.kind == HOMEROOMS else f"{self.kind}:{','.join(self.values)}"

    def describe(self) -> str:
        if self.kind == COURSES:
            return _("the classes of the courses %(ids)s") % {"ids": ", ".join(self.values)}
        if self.kind == CODES:
            return _("the classes with the codes %(codes)s") % {"codes": ", ".join(self.values)}
        return _("homeroom classes")

    def store(self, network: Network) -> bool:
        """Keep the choice on ``network`` for every later import; whether it changed."""
        if CohortSource.of(network) == self:
            return False
        network.cohorts_from = self.kind
        network.cohort_classes = list(self.values)
        network.save(update_fields=["cohorts_from", "cohort_classes"])
        logger.info("roster cohort source network_id=%s source=%s", network.pk, self.kind)
        return True


def cohort_source_choose(
    *, record: RosterImport, source: CohortSource, by: User | None
) -> RosterImport | None:
    """Store ``source`` on ``record``'s network and, when the export of ``record`` (a dry
    run) is still kept, dry-run it again with the new choice: the new import, else None."""
    from .imports import roster_import_start  # imports plans with this module: not at the top

    with transaction.atomic():
        source.store(record.network)
        if not record.dry_run or not record.file:
            return None
        with record.file.open("rb") as stored:
            content = stored.read()
        again = roster_import_start(
            network=record.network, file=content, file_name=record.file_name, dry_run=True, by=by
        )
        # The new dry run replaces this one: its copy of the export (students' names) goes.
        job_files_delete_on_commit(record, ["file"])
    return again


# --- the preview ---------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A course (or class code) whose classes could define cohorts, and what they would do."""

    value: str  # the course's sourcedId, or the class code
    label: str  # the course's title ("" when courses.csv does not list it), or the code
    classes: int = 0
    homerooms: int = 0  # of them, of classType homeroom
    students: int = 0  # students of served grades its classes place
    overlaps: int = 0  # of them, in two of its classes at once: an error if chosen
    chosen: bool = False


@dataclass
class CohortPreview:
    source: str  # the choice the preview was made with (``CohortSource.option``)
    classes: int = 0  # classes the choice makes cohorts
    students: int = 0  # students they place
    overlaps: int = 0  # students in two of them at once
    homerooms: int = 0  # classes of type homeroom in the export (at served schools)
    courses: list[Candidate] = field(default_factory=list)
    codes: list[Candidate] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # chosen values no class has
    more: int = 0  # candidates beyond those listed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cohort_preview(*, export: ExportRead, network: Network, today: datetime.date) -> CohortPreview:
    """The candidates of ``export`` for the classes that define cohorts, counted with the
    students each would place on ``today``, and what the network's choice does."""
    source = CohortSource.of(network)
    levels = grade_levels(network.tk_as_kindergarten)
    unserved = unserved_schools(export, levels, source.defines_cohort)
    classes = [
        c
        for c in export.classes
        if c.status != "tobedeleted" and c.school_sourced_id not in unserved
    ]
    users = {u.sourced_id: u for u in export.users}
    class_grades = {c.sourced_id: c.grades for c in classes}

    def served(user_id: str, class_id: str) -> bool:
        user = users.get(user_id)
        own = user.grades if user is not None else ()
        if any(g in levels for g in own):
            return True
        if own and out_of_range(own, levels):
            return False
        grades = class_grades[class_id]
        return not grades or any(g in levels for g in grades) or not out_of_range(grades, levels)

    # Class -> its students' enrollments that place them (not ended, not being deleted).
    placing: dict[str, list[Enrollment]] = defaultdict(list)
    for e in export.enrollments:
        if (
            e.role == "student"
            and e.status != "tobedeleted"
            and e.class_sourced_id in class_grades
            and not is_history(e, today)
            and served(e.user_sourced_id, e.class_sourced_id)
        ):
            placing[e.class_sourced_id].append(e)

    def count(candidate: Candidate, members: list[Class]) -> Candidate:
        by_student: dict[str, list[Enrollment]] = defaultdict(list)
        for cls in members:
            for e in placing[cls.sourced_id]:
                by_student[e.user_sourced_id].append(e)
        candidate.classes = len(members)
        candidate.homerooms = sum(1 for c in members if c.is_homeroom)
        candidate.students = len(by_student)
        candidate.overlaps = sum(1 for rows in by_student.values() if first_overlap(rows))
        return candidate

    chosen = count(Candidate(source.option(), ""), [c for c in classes if source.defines_cohort(c)])
    preview = CohortPreview(
        source=source.option(),
        classes=chosen.classes,
        students=chosen.students,
        overlaps=chosen.overlaps,
        homerooms=sum(1 for c in classes if c.is_homeroom),
    )
    titles = {c.sourced_id: c.title for c in export.courses}
    by_course: dict[str, list[Class]] = defaultdict(list)
    by_code: dict[str, list[Class]] = defaultdict(list)
    for cls in classes:
        if cls.course_sourced_id:
            by_course[cls.course_sourced_id].append(cls)
        if cls.class_code:
            by_code[cls.class_code].append(cls)
    picked = set(source.values)
    preview.courses = [
        count(
            Candidate(cid, titles.get(cid, ""), chosen=cid in picked and source.kind == COURSES), m
        )
        for cid, m in by_course.items()
    ]
    # Class codes are offered where courses cannot be: an export whose classes name none.
    if not by_course or source.kind == CODES:
        preview.codes = [
            count(Candidate(code, code, chosen=source.kind == CODES and code in picked), m)
            for code, m in by_code.items()
        ]
    offered = set(by_course) if source.kind == COURSES else set(by_code)
    preview.missing = sorted(picked - offered) if source.kind != HOMEROOMS else []
    preview.courses, more_courses = _first(preview.courses)
    preview.codes, more_codes = _first(preview.codes)
    preview.more = more_courses + more_codes
    return preview


def _first(candidates: list[Candidate]) -> tuple[list[Candidate], int]:
    """The chosen ones and those placing the most students first, at most MAX_CANDIDATES."""
    ordered = sorted(candidates, key=lambda c: (not c.chosen, -c.students, c.label, c.value))
    return ordered[:MAX_CANDIDATES], max(0, len(ordered) - MAX_CANDIDATES)
