"""The planner's cohorts: the classes that define them, their names and grades."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from ...models import Cohort, School
from ..cohort_names import cohort_names, title_of
from ..cohort_sources import COURSES, HOMEROOMS
from ..columns import CLASSES
from ..combinations import (
    Combination,
    cohort_grade,
    combination_warning,
    enrolled_grades,
    stored_room_grades,
)
from ..records import Class
from ..scope import is_history, out_of_range
from .core import _COHORT_COLUMNS, PlannerBase, _error
from .wanted import Planned, WantedCohort

# A classes.csv column -> the Class field it is read into.
_CLASS_ATTRS = {"courseSourcedId": "course_sourced_id", "classCode": "class_code"}


class CohortsPlanner(PlannerBase):
    def cohorts(self, schools: dict[str, School | None]) -> dict[str, tuple[str, int]]:
        """Homeroom class sourcedId -> (school sourcedId, the grade its cohort follows); the
        grades each holds (several for a combination class) go to ``room_grades``."""
        school_ids = [s.pk for s in schools.values() if s is not None]
        # Comparing (changed_fields) reads each stored cohort's school and grade: joined here,
        # not a query each.
        cohorts = Cohort.objects.select_related("school", "grade")
        stored = {
            c.sourced_id: c for c in cohorts.filter(school_id__in=school_ids).exclude(sourced_id="")
        }
        rooms = [
            cls
            for cls in self.export.classes
            if self.sources.defines_cohort(cls) and cls.school_sourced_id in schools
        ]
        named = cohort_names(
            rooms,
            cohorts.filter(school_id__in=school_ids),
            school_pks={sid: s.pk for sid, s in schools.items() if s is not None},
            bulk=self.export.modes.get(CLASSES) == "bulk",
        )
        homerooms: dict[str, tuple[str, int]] = {}
        for cls in rooms:
            grades = self.class_grades(cls)
            levels = {self.levels[g] for g in grades if g in self.levels}
            if not levels and (outside := out_of_range(grades, self.levels)):
                self._left_out("homeroom", CLASSES, cls.row, outside[0])
                self.unserved_rooms[cls.sourced_id] = outside[0]
                continue
            if not levels:
                reason = (
                    _("Homeroom %(title)r needs a grade of KG, 01-05; it has %(grades)s.")
                    if grades
                    else _("Homeroom %(title)r needs a grade of KG, 01-05; it has none.")
                )
                values = {"title": title_of(cls), "grades": ", ".join(grades)}
                self.plan.errors.append(_error(CLASSES, cls.row, "grades", reason % values))
                continue
            cohort = stored.get(cls.sourced_id) or named.adopted.get(cls.sourced_id)
            level = self.cohort_grade(cls, frozenset(levels), cohort)
            # The grade a leader chose is no longer the class's: the import's stands.
            unchosen = cohort is not None and cohort.grade_chosen and cohort.grade.level != level
            wanted = WantedCohort(
                school=cls.school_sourced_id,
                name=named.names[cls.sourced_id],
                grade=level,
                sourced_id=cls.sourced_id,
                at=(CLASSES, cls.row),
                grade_chosen=False if unchosen else None,
            )
            fits = self._fits(Cohort, wanted, _COHORT_COLUMNS, CLASSES, cls.row, _("a homeroom's"))
            if fits and self._record("cohort", cohort, wanted, cls.sourced_id, title_of(cls)):
                self.plan.cohorts.append(Planned(cohort, wanted))
            homerooms[cls.sourced_id] = (cls.school_sourced_id, level)
            self.room_grades[cls.sourced_id] = frozenset(levels)
        if self.combinations:
            self.plan.warnings.append(combination_warning(self.combinations))
        for cls in named.renamed:
            self._left_out("shared", CLASSES, cls.row, title_of(cls))
        for cls in named.untitled:
            self._left_out("untitled", CLASSES, cls.row, "")
        # A delta export's enrollments may name homerooms it does not list: stored ones. A
        # class that is not a stored homeroom is a section (sections are not stored): its
        # enrollments change no cohort.
        export_id = {school.pk: sid for sid, school in schools.items() if school is not None}
        listed = {c.sourced_id for c in self.export.classes}
        enrolled_in = {e.class_sourced_id for e in self.export.enrollments} - listed
        unlisted = []
        for sourced_id in sorted(enrolled_in):
            cohort = stored.get(sourced_id)
            if cohort is not None and cohort.school_id in export_id:
                homerooms[sourced_id] = (export_id[cohort.school_id], cohort.grade.level)
                unlisted.append(cohort)
        self.room_grades.update(stored_room_grades(unlisted, self.plan.today))
        return homerooms

    def cohort_grade(self, cls: Class, levels: frozenset[int], cohort: Cohort | None) -> int:
        """The grade whose rotation template the cohort of homeroom ``cls`` follows: its one
        grade, or for a combination class the one ``combinations.cohort_grade`` picks."""
        if len(levels) == 1:
            return next(iter(levels))
        chosen = cohort.grade.level if cohort is not None and cohort.grade_chosen else None
        counts = self.room_students.get(cls.sourced_id, Counter())
        level, why = cohort_grade(levels, counts, chosen)
        self.combinations.append(Combination(cls.row, title_of(cls), level, why))
        return level

    @cached_property
    def room_students(self) -> dict[str, Counter[int]]:
        """Class sourcedId -> its students' own grades, counted: read at the first combination
        class, and only then."""
        ids = [c.sourced_id for c in self.export.classes if self.sources.defines_cohort(c)]
        return enrolled_grades(self.export, ids, self.levels, self.plan.today, self.network)

    @cached_property
    def section_grades(self) -> dict[str, tuple[str, ...]]:
        """Class sourcedId -> the grade codes of the students enrolled in it (not history)."""
        users = {u.sourced_id: u.grades for u in self.export.users}
        found: dict[str, set[str]] = defaultdict(set)
        for e in self.export.enrollments:
            live = e.status != "tobedeleted" and not is_history(e, self.plan.today)
            if e.role == "student" and live:
                found[e.class_sourced_id].update(users.get(e.user_sourced_id, ()))
        return {k: tuple(sorted(v)) for k, v in found.items()}

    def class_grades(self, cls: Class) -> tuple[str, ...]:
        """The grade codes of a class that defines a cohort. A scheduled section chosen as one
        (by course or code) often lists none, or one for all (PowerSchool writes a 4/5
        section's lowest grade): it holds its students' own grades too."""
        if cls.is_homeroom:
            return cls.grades
        return tuple(sorted({*cls.grades, *self.section_grades.get(cls.sourced_id, ())}))

    def cohort_source_warnings(
        self, schools: dict[str, School | None], cohorts: dict[str, tuple[str, int]]
    ) -> None:
        """Say when the network's choice of the classes that define cohorts finds none in a
        complete classes file (no student can be placed), and which chosen courses or codes
        the export does not have: the choice is kept, a later export may have them."""
        if self.export.modes.get(CLASSES) != "bulk":
            return  # a delta lists changed classes only
        source = self.sources
        if source.kind != HOMEROOMS:
            column = "courseSourcedId" if source.kind == COURSES else "classCode"
            offered = {getattr(c, _CLASS_ATTRS[column]) for c in self.export.classes}
            missing = [value for value in source.values if value not in offered]
            if missing:
                self.plan.warnings.append(
                    _error(
                        CLASSES,
                        None,
                        column,
                        _(
                            "No class of this export has %(values)s, chosen to define "
                            "cohorts; the choice is kept for later exports."
                        )
                        % {"values": ", ".join(missing)},
                    )
                )
        here = [c for c in self.export.classes if c.school_sourced_id in schools]
        if here and not cohorts and any(u.is_student for u in self.export.users):
            self.plan.warnings.append(
                _error(
                    CLASSES,
                    None,
                    "classType" if source.kind == HOMEROOMS else None,
                    _(
                        "No class of this export defines a cohort by this network's choice "
                        "(%(choice)s), so no student can be placed in one. If its homerooms "
                        "are scheduled classes, choose the courses or class codes whose classes "
                        "are cohorts on this import's page, or with import_roster "
                        "--cohorts-from."
                    )
                    % {"choice": source.describe()},
                )
            )
