"""A read OneRoster export compared with what a network holds, and applied in one transaction.

What becomes what:

- **schools** from orgs of type school (a district org is the network, not stored);
- **cohorts** from homeroom classes, or the classes of the courses or codes the network chose
  (see ``cohort_sources``), their grade from the class's K-5 grade code; a class of
  several grades (a 4/5 combination class) is one cohort whose day follows one grade's rotation
  template, the grade most of its students are in or the one a leader chose in Setup (see
  ``combinations``), with a warning;
- **students** from users with the student role, at each imported school they hold the role in
  (linked to the district only: at their homeroom's school):
  their id is the user's ``identifier`` (the SIS id; the username when blank), their grade the
  user's grade code when their homeroom holds it (else an error; without a code, the grade
  their cohort follows), their cohort the homeroom enrollment in effect on the import date (a
  later one is kept as a ``CohortMove`` the nightly makes on its day);
  grades, homerooms and schools the network does not serve are left out with a counted warning
  (see ``scope``);
- **staff** from users with any other role but a guardian's, each with a login account
  (username from the export, no usable password until they set one), the homerooms they teach
  as their cohorts and a role read from what they teach (see ``staff_roles``), at each imported
  school they hold a role at or teach in (a music teacher linked to the district, with
  sections at two schools, works at both); one at no imported school is left out with a
  counted warning (a district administrator). Accounts belong
  to a network: only one that works in this network alone is adopted or changed (see
  ``staff_accounts``).
- **guardians** from users with the roles parent, guardian or relative, never staff and never
  with a login, linked to students by ``agentSourcedIds`` either way (see ``guardians``).

Everything keeps its ``sourcedId``, unique within the network (another network may use the same
ids): a re-import finds it among this network's objects and updates it in place; an object
created here before the first import is adopted when its natural key matches (a school's or a
cohort's name, a student's id, the username of an account of this network). A delta file's
reference to a school, class or user that exists only in another network is an error; nothing
outside the network is ever read or written. Nothing is deleted: a student who is
``tobedeleted``, or who has no active enrollment at the school in a bulk export, has their
enrollment ended (their last day is the day before the import); a staff member is made inactive.
Someone who appears again is restored. Schedules, pins, progress and service needs built on top
stay attached, because the rows they point at stay.

``roster_plan`` works out every change and every error without writing; ``roster_apply`` writes
a plan in one transaction. A plan with errors is never applied.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DataError, IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..accounts import account_email_change
from ..models import (
    Cohort,
    CohortMove,
    Grade,
    GradeLevel,
    Guardian,
    Network,
    Role,
    School,
    Staff,
    StaffRole,
    Student,
)
from .cohort_names import cohort_names, title_of
from .cohort_sources import COURSES, HOMEROOMS, CohortSource
from .column_lengths import too_long
from .columns import CLASSES, ENROLLMENTS, ORGS, ROLES, USERS
from .combinations import (
    Combination,
    cohort_grade,
    combination_warning,
    enrolled_grades,
    stored_room_grades,
)
from .guardians import GUARDIAN_ROLES, apply_guardians, plan_guardians
from .links import set_links
from .records import Class, Enrollment, ExportError, ExportRead, User
from .scope import (
    GRADE_LEVELS,
    LeftOut,
    first_overlap,
    grade_levels,
    in_effect,
    is_future,
    is_history,
    out_of_range,
    overlap_error,
    split_errors,
    unserved_schools,
)
from .staff_accounts import ACCOUNT_FIELDS, AccountRow, StaffAccounts

LEADER_ROLES = frozenset(
    {"administrator", "principal", "siteAdministrator", "districtAdministrator"}
)
# What a teacher teaches says which of our roles they hold; the first match wins.
SUBJECT_ROLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"special ed|\bresource\b|\bsped\b|\bspeech\b", re.I), Role.SPED),
    (re.compile(r"learning lab|\bils\b|individuali[sz]ed learning", re.I), Role.ILS),
    (re.compile(r"\bmath|\bstem\b|\bscience", re.I), Role.STEM),
    (
        re.compile(r"\bliter|\breading|\bela\b|\benglish|language arts|humanities|\bsocial", re.I),
        Role.HUMANITIES,
    ),
    (
        re.compile(r"\bart\b|\bmusic\b|\bp\.?e\.?\b|physical ed|\bdance\b|\bspecials\b", re.I),
        Role.SPECIALS,
    ),
)


@dataclass(frozen=True)
class Change:
    kind: str  # school, cohort, student, staff, account, guardian
    action: str  # create, update, end, restore; adopt (an existing account, by username)
    sourced_id: str
    label: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "action": self.action,
            "sourced_id": self.sourced_id,
            "label": self.label,
            "fields": list(self.fields),
        }


@dataclass
class RosterPlan:
    """What an import would do; ``errors`` non-empty means it must not be applied."""

    network: Network
    today: datetime.date
    changes: list[Change] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)
    warnings: list[ExportError] = field(default_factory=list)
    # the rows to write, by kind: (existing or None, wanted field values); only rows that change
    schools: list[tuple[School | None, dict]] = field(default_factory=list)
    cohorts: list[tuple[Cohort | None, dict]] = field(default_factory=list)
    students: list[tuple[Student | None, dict]] = field(default_factory=list)
    staff: list[tuple[Staff | None, dict]] = field(default_factory=list)
    guardians: list[tuple[Guardian | None, dict]] = field(default_factory=list)
    # the login accounts staff rows use, by key (see staff_accounts): new, adopted or changed
    accounts: dict[str, AccountRow] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for change in self.changes:
            counts[change.kind][change.action] += 1
        return {kind: dict(actions) for kind, actions in sorted(counts.items())}


# Plan field -> the export column it comes from, to name the cell a too-long value is in. A
# cohort's name is checked as the class's title: a title that fits is never refused for the
# class code it may be named with (cohort_names).
_SCHOOL_COLUMNS = {"name": "name", "sourced_id": "sourcedId"}
_COHORT_COLUMNS = {"name": "title", "sourced_id": "sourcedId"}
_STUDENT_COLUMNS = {
    "local_id": "identifier",
    "first_name": "givenName",
    "last_name": "familyName",
    "sourced_id": "sourcedId",
}
_STAFF_COLUMNS = {"sourced_id": "sourcedId"}

# Why rows were left out or put off: %(count)d rows, %(what)s what they were (by grade, by
# date), %(rows)s the first rows.
LEFT_OUT = {
    "student": _(
        "%(count)d students are in grades this network does not serve (%(what)s) and were not "
        "imported; the first rows: %(rows)s."
    ),
    "homeroom": _(
        "%(count)d homerooms are of grades this network does not serve (%(what)s) and were not "
        "imported; the first rows: %(rows)s."
    ),
    "unplaced": _(
        "%(count)d new students are in no homeroom on the import date (their homeroom "
        "enrollments ended, or they have none) and were not imported; the first rows: %(rows)s."
    ),
    "shared": _(
        "%(count)d homerooms share their title with another at their school (%(what)s): each "
        "cohort is named with its class code. The first rows: %(rows)s."
    ),
    "untitled": _(
        "%(count)d homerooms have no title: each cohort is named by its class code (else its "
        "sourcedId). The first rows: %(rows)s."
    ),
    "district": _(
        "%(count)d staff are linked only to the district and teach no class of an imported "
        "school on the import date (%(what)s): they were not imported; the first rows: %(rows)s."
    ),
    "later": _(
        "%(count)d students have a homeroom enrollment that begins later (%(what)s): they stay "
        "in their homeroom until then, and the nightly rebuild of that day moves them. The "
        "first rows: %(rows)s."
    ),
}


# A classes.csv column -> the Class field it is read into.
_CLASS_ATTRS = {"courseSourcedId": "course_sourced_id", "classCode": "class_code"}


def _error(file: str, row: int | None, column: str | None, reason: str) -> ExportError:
    return ExportError(file=file, row=row, column=column, reason=reason)


def staff_roles(
    user: User,
    taught: Iterable[Class],
    titles: dict[str, str],
    defines_cohort: Callable[[Class], bool] | None = None,
) -> set[str]:
    """Our roles of a staff member: leader for administrators, tutor for aides, and for
    teachers what the classes they teach are about (a scheduled class's or a course's title).
    ``defines_cohort`` says which classes are cohorts (homerooms unless the network chose)."""
    is_cohort = defines_cohort or (lambda cls: cls.is_homeroom)
    roles: set[str] = set()
    for held in user.roles:
        if held.role in LEADER_ROLES:
            roles.add(Role.LEADER)
        elif held.role == "aide":
            roles.add(Role.TUTOR)
    for cls in taught:
        # A homeroom's title is the cohort's name ("K Dartmouth" is no art teacher): only its
        # course says what is taught there.
        course = titles.get(cls.course_sourced_id, "")
        text = course if is_cohort(cls) else f"{cls.title} {course}"
        for pattern, role in SUBJECT_ROLES:
            if pattern.search(text):
                roles.add(role)
                break
    return roles


def roster_plan(*, network: Network, export: ExportRead, today: datetime.date) -> RosterPlan:
    """Every change ``export`` makes to ``network``'s schools, and every error that stops it."""
    # Problems in files the import does not use (academic sessions, demographics...) are
    # warnings: they change nothing that is stored.
    errors, ignored = split_errors(export.errors)
    # The reader's warnings (formats it read with doubt, month/day dates) come first.
    warnings = [*export.warnings, *ignored]
    plan = RosterPlan(network=network, today=today, errors=errors, warnings=warnings)
    if errors:
        return plan
    _Planner(plan, export).run()
    return plan


class _Planner:
    def __init__(self, plan: RosterPlan, export: ExportRead) -> None:
        self.plan = plan
        self.export = export
        self.network = plan.network
        self.bulk_users = export.modes.get(USERS) == "bulk"
        self.bulk_enrollments = export.modes.get(ENROLLMENTS) == "bulk"
        # The grade codes this network serves (K-5; TK too when it maps TK to K).
        self.levels = grade_levels(plan.network.tk_as_kindergarten)
        # What is left out or put off, by reason: one counted warning each.
        self.left_out: dict[str, LeftOut] = {}
        # Homerooms left out for their grade -> that grade: their students without a grade of
        # their own are left out with them.
        self.unserved_rooms: dict[str, str] = {}
        # (school sourcedId, student id) -> (sourcedId, row) of the student holding it; made
        # with the stored students at the first student row.
        self.student_ids: dict[tuple[str, str], tuple[str, int | None]] | None = None
        # Homeroom -> the grades it holds: a combination class (4/5) several, and its students
        # keep theirs; its cohort follows one of them (see combinations).
        self.room_grades: dict[str, frozenset[int]] = {}
        self.combinations: list[Combination] = []
        # Which classes define cohorts: homerooms, or the courses or codes the network chose.
        self.sources = CohortSource.of(plan.network)

    def run(self) -> None:
        outside = _outside_refs(self.export)
        self.foreign_refs(outside)
        if not self.plan.ok:
            return
        schools = self.schools(outside["school"])
        if not self.plan.ok:
            return
        cohorts = self.cohorts(schools)
        self.cohort_source_warnings(schools, cohorts)
        self.people(schools, cohorts)
        self.plan.warnings.extend(found.warning() for found in self.left_out.values())

    # --- schools -------------------------------------------------------------------------------

    def foreign_refs(self, outside: dict[str, dict[str, tuple[str, int, str]]]) -> None:
        """A delta file's reference to a school, class or user the export does not hold is
        looked up among this network's objects only. One that exists only in another network
        is an error: sourcedIds name objects within a network, and an export never reaches
        another network's schools, homerooms or people."""
        network = self.network
        queries = {
            "school": (
                lambda ids: School.objects.filter(network=network, sourced_id__in=ids),
                lambda ids: School.objects.filter(sourced_id__in=ids).exclude(network=network),
            ),
            "class": (
                lambda ids: Cohort.objects.filter(school__network=network, sourced_id__in=ids),
                lambda ids: Cohort.objects.filter(sourced_id__in=ids).exclude(
                    school__network=network
                ),
            ),
        }
        nouns = {"school": "School", "class": "Class", "user": "User"}
        for kind, refs in outside.items():
            if not refs:
                continue
            ids = sorted(refs)
            if kind == "user":
                here = _sourced_ids(
                    Student.objects.filter(school__network=network, sourced_id__in=ids)
                ) | _sourced_ids(Staff.objects.filter(school__network=network, sourced_id__in=ids))
                missing = [i for i in ids if i not in here]
                elsewhere = _sourced_ids(
                    Student.objects.filter(sourced_id__in=missing).exclude(school__network=network)
                ) | _sourced_ids(
                    Staff.objects.filter(sourced_id__in=missing).exclude(school__network=network)
                )
            else:
                ours, theirs = queries[kind]
                here = _sourced_ids(ours(ids))
                missing = [i for i in ids if i not in here]
                elsewhere = _sourced_ids(theirs(missing)) if missing else set()
            for sourced_id in sorted(elsewhere):
                file, row, column = refs[sourced_id]
                self.plan.errors.append(
                    _error(
                        file,
                        row,
                        column,
                        f"{nouns[kind]} {sourced_id!r} is not in this network: an export can "
                        "only name its own network's schools, classes and people.",
                    )
                )

    def schools(self, outside: dict[str, tuple[str, int, str]]) -> dict[str, School | None]:
        """sourcedId -> stored school (None: created by this import). Stored schools are this
        network's only: another network may use the same sourcedIds."""
        network_schools = School.objects.filter(network=self.network)
        stored = {s.sourced_id: s for s in network_schools.exclude(sourced_id="")}
        by_name = {s.name: s for s in network_schools.filter(sourced_id="")}
        found: dict[str, School | None] = {}
        unserved = unserved_schools(self.export, self.levels, self.sources.defines_cohort)
        for org in self.export.orgs:
            if org.org_type != "school":
                continue
            if org.sourced_id in unserved:
                self.unserved_school(org, unserved[org.sourced_id])
                continue
            school = stored.get(org.sourced_id) or by_name.get(org.name)
            wanted = {"name": org.name, "sourced_id": org.sourced_id}
            if not self._fits(School, wanted, _SCHOOL_COLUMNS, ORGS, org.row, _("a school's")):
                continue
            wanted["_at"] = (ORGS, org.row)
            if self._record("school", school, wanted, org.sourced_id, org.name):
                self.plan.schools.append((school, wanted))
            found[org.sourced_id] = school
        # Schools a delta file names without listing them: stored ones of this network. Rows
        # being deleted may name a school that is gone; the others must name a stored one.
        needed = {sid for kind, sid in self.export.external_refs if kind == "school"}
        for sourced_id in sorted(set(outside) | needed):
            if sourced_id in stored:
                found[sourced_id] = stored[sourced_id]
            elif sourced_id in needed:
                file, row, column = outside.get(sourced_id, (ENROLLMENTS, None, "schoolSourcedId"))
                self.plan.errors.append(
                    _error(
                        file,
                        row,
                        column,
                        f"School {sourced_id!r} is neither in this export nor stored.",
                    )
                )
        return found

    # --- cohorts -------------------------------------------------------------------------------

    def cohorts(self, schools: dict[str, School | None]) -> dict[str, tuple[str, int]]:
        """Homeroom class sourcedId -> (school sourcedId, the grade its cohort follows); the
        grades each holds (several for a combination class) go to ``room_grades``."""
        school_ids = [s.pk for s in schools.values() if s is not None]
        # _differs reads each stored cohort's school and grade: joined here, not a query each.
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
                self.plan.errors.append(
                    _error(
                        CLASSES,
                        cls.row,
                        "grades",
                        f"Homeroom {title_of(cls)!r} needs a grade of KG, 01-05; "
                        f"it has {', '.join(grades) or 'none'}.",
                    )
                )
                continue
            cohort = stored.get(cls.sourced_id) or named.adopted.get(cls.sourced_id)
            level = self.cohort_grade(cls, frozenset(levels), cohort, rooms)
            wanted = {
                "school": cls.school_sourced_id,
                "name": named.names[cls.sourced_id],
                "grade": level,
                "sourced_id": cls.sourced_id,
                "_at": (CLASSES, cls.row),
            }
            if cohort is not None and cohort.grade_chosen and cohort.grade.level != level:
                # The grade a leader chose is no longer the class's: the import's stands.
                wanted["grade_chosen"] = False
            fits = self._fits(Cohort, wanted, _COHORT_COLUMNS, CLASSES, cls.row, _("a homeroom's"))
            if fits and self._record("cohort", cohort, wanted, cls.sourced_id, title_of(cls)):
                self.plan.cohorts.append((cohort, wanted))
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
        named = {e.class_sourced_id for e in self.export.enrollments} - listed
        unlisted = []
        for sourced_id in sorted(named):
            cohort = stored.get(sourced_id)
            if cohort is not None and cohort.school_id in export_id:
                homerooms[sourced_id] = (export_id[cohort.school_id], cohort.grade.level)
                unlisted.append(cohort)
        self.room_grades.update(stored_room_grades(unlisted, self.plan.today))
        return homerooms

    def cohort_grade(
        self, cls: Class, levels: frozenset[int], cohort: Cohort | None, rooms: list[Class]
    ) -> int:
        """The grade whose rotation template the cohort of homeroom ``cls`` follows: its one
        grade, or for a combination class the one ``combinations.cohort_grade`` picks."""
        if len(levels) == 1:
            return next(iter(levels))
        if not hasattr(self, "room_students"):  # counted once, at the first combination class
            ids = [c.sourced_id for c in rooms]
            self.room_students = enrolled_grades(
                self.export, ids, self.levels, self.plan.today, self.network
            )
        chosen = cohort.grade.level if cohort is not None and cohort.grade_chosen else None
        counts = self.room_students.get(cls.sourced_id, Counter())
        level, why = cohort_grade(levels, counts, chosen)
        self.combinations.append(Combination(cls.row, title_of(cls), level, why))
        return level

    def _room_grades(self, room: str, homerooms: dict[str, tuple[str, int]]) -> frozenset[int]:
        """The grades homeroom ``room`` holds (several for a combination class)."""
        return self.room_grades.get(room) or frozenset({homerooms[room][1]})

    def _grade_in(self, student: Student, room: str, homerooms: dict[str, tuple[str, int]]) -> int:
        """A stored student's grade in homeroom ``room``: their own when the room holds it,
        else the grade the room's cohort follows."""
        own = student.grade.level
        return own if own in self._room_grades(room, homerooms) else homerooms[room][1]

    def class_grades(self, cls: Class) -> tuple[str, ...]:
        """The grade codes of a class that defines a cohort. A scheduled section chosen as one
        (by course or code) often lists none, or one for all (PowerSchool writes a 4/5
        section's lowest grade): it holds its students' own grades too."""
        if cls.is_homeroom:
            return cls.grades
        if not hasattr(self, "section_grades"):
            users = {u.sourced_id: u.grades for u in self.export.users}
            found: dict[str, set[str]] = defaultdict(set)
            for e in self.export.enrollments:
                live = e.status != "tobedeleted" and not is_history(e, self.plan.today)
                if e.role == "student" and live:
                    found[e.class_sourced_id].update(users.get(e.user_sourced_id, ()))
            self.section_grades = {k: tuple(sorted(v)) for k, v in found.items()}
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

    # --- students and staff --------------------------------------------------------------------

    def people(
        self, schools: dict[str, School | None], homerooms: dict[str, tuple[str, int]]
    ) -> None:
        classes = {c.sourced_id: c for c in self.export.classes}
        titles = {c.sourced_id: c.title for c in self.export.courses}
        enrolled: dict[str, list[Enrollment]] = defaultdict(list)
        for enrollment in self.export.enrollments:
            enrolled[enrollment.user_sourced_id].append(enrollment)
        self.class_homeroom = _class_homerooms(self.export.enrollments, homerooms, self.plan.today)
        school_ids = [s.pk for s in schools.values() if s is not None]
        # _differs reads each stored student's school, grade and cohort, and each staff
        # member's account, roles, cohorts and grades: joined or prefetched here, so a network
        # of 12,000 students is compared in a handful of queries instead of one or more each.
        # Keyed by the export's school sourcedId: a school adopted by name has none stored yet.
        export_id = {school.pk: sid for sid, school in schools.items() if school is not None}
        pupils = Student.objects.select_related("school", "grade", "cohort", "cohort_move__cohort")
        students = {
            (export_id[s.school_id], s.sourced_id): s
            for s in pupils.filter(school_id__in=school_ids).exclude(sourced_id="")
        }
        student_ids = {
            (export_id[s.school_id], s.local_id): s
            for s in pupils.filter(school_id__in=school_ids, sourced_id="")
        }
        staff = {
            (export_id[s.school_id], s.sourced_id): s
            for s in Staff.objects.filter(school_id__in=school_ids)
            .exclude(sourced_id="")
            .select_related("school", "user")
            .prefetch_related("role_grants", "cohorts", "grades")
        }
        self.accounts = StaffAccounts(
            network=self.network, users=self.export.users, stored=staff.values()
        )
        seen: set[tuple[str, str]] = set()
        places = _Places(self.export, schools, homerooms, students, staff)
        for user in self.export.users:
            active = [e for e in enrolled[user.sourced_id] if e.status != "tobedeleted"]
            placed = places.of(user, active, self.plan.today, bulk=self.bulk_enrollments)
            if not placed:
                self.unplaced(user, places)
            for held_school, roles_here in sorted(placed.items()):
                key = (held_school, user.sourced_id)
                if roles_here <= set(GUARDIAN_ROLES):
                    continue  # a guardian, never staff (see guardians)
                seen.add(key)
                if "student" in roles_here:
                    self.student(user, held_school, active, homerooms, students, student_ids)
                else:
                    # What they teach today: an ended assignment is history, like a student's.
                    taught = [
                        classes[e.class_sourced_id]
                        for e in active
                        if e.school_sourced_id == held_school
                        and e.class_sourced_id in classes
                        and in_effect(e, self.plan.today)
                    ]
                    self.staff_member(user, held_school, taught, titles, homerooms, staff)
        if self.bulk_users:
            self.gone(students, staff, seen, schools)
        else:
            self.enrollment_changes(enrolled, homerooms, students, seen)
        self.guardians()
        self.plan.accounts = self.accounts.rows
        self.plan.warnings.extend(self.accounts.warnings)
        self.plan.changes.extend(
            Change("account", c.action, c.sourced_id, c.label, c.fields)
            for c in self.accounts.changes
        )

    def unplaced(self, user: User, places: _Places) -> None:
        """``user`` is at no imported school. Staff linked only to the district who teach no
        class of an imported school (a district administrator), and district-linked students
        in no homeroom of one, are counted; users of a school left out are in its warning."""
        if user.status == "tobedeleted" or places.at_school_org(user):
            return
        held = {r.role for r in user.roles}
        if "student" in held:
            if not places.is_stored_student(user):
                self._left_out("unplaced", USERS, user.row, "")
        elif held - set(GUARDIAN_ROLES):
            self._left_out("district", USERS, user.row, ", ".join(sorted(held)))

    def guardians(self) -> None:
        created = {wanted["sourced_id"] for student, wanted in self.plan.students if not student}
        found = plan_guardians(
            network=self.network, users=self.export.users, placed=created, bulk=self.bulk_users
        )
        self.plan.guardians = found.rows
        self.plan.errors.extend(found.errors)
        self.plan.warnings.extend(found.warnings)
        self.plan.changes.extend(
            Change("guardian", c.action, c.sourced_id, c.label, c.fields) for c in found.changes
        )

    def enrollment_changes(self, enrolled, homerooms, students, seen) -> None:
        """In a delta export, enrollments of stored students the users file leaves out: a new
        homeroom moves them, a dropped one (tobedeleted) with none left ends their enrollment."""
        for user_id, enrollments in sorted(enrolled.items()):
            rows = [
                e for e in enrollments if e.role == "student" and e.class_sourced_id in homerooms
            ]
            for school_sid in sorted({e.school_sourced_id for e in rows}):
                student = students.get((school_sid, user_id))
                if student is None or (school_sid, user_id) in seen:
                    continue
                here = [e for e in rows if e.school_sourced_id == school_sid]
                today = self.plan.today
                # A delta lists changed enrollments only: one that ended (or is dropped)
                # ends the student's unless another is in effect; one that begins later
                # waits for its day, like a bulk export's.
                live = [e for e in here if e.status != "tobedeleted" and not is_history(e, today)]
                overlap = first_overlap(live)
                if overlap is not None:
                    self.plan.errors.append(overlap_error(user_id, overlap))
                    continue
                rooms = sorted({e.class_sourced_id for e in live if in_effect(e, today)})
                later = sorted((e for e in live if is_future(e, today)), key=lambda e: e.begin_date)
                if later and later[0].class_sourced_id not in rooms:
                    self._left_out("later", ENROLLMENTS, later[0].row, str(later[0].begin_date))
                wanted: dict[str, object]
                if len(rooms) == 1:
                    wanted = {
                        "school": school_sid,
                        "cohort": rooms[0],
                        "grade": self._grade_in(student, rooms[0], homerooms),
                        "enrollment_end": None,
                    }
                elif not later:
                    wanted = {"enrollment_end": self._end_of(student)}
                else:
                    wanted = {
                        "move": (
                            later[0].class_sourced_id,
                            later[0].begin_date,
                            later[0].sourced_id,
                        )
                    }
                wanted["_at"] = (ENROLLMENTS, here[0].row)
                if self._record("student", student, wanted, user_id, str(student)):
                    self.plan.students.append((student, wanted))

    def student(self, user, school_sid, active, homerooms, stored, by_local_id) -> None:
        local_id = user.identifier or user.username
        if not local_id:
            self.plan.errors.append(
                _error(
                    USERS,
                    user.row,
                    "identifier",
                    f"User {user.sourced_id!r} is a student with neither an identifier nor "
                    "a username to use as their student id.",
                )
            )
            return
        levels = {self.levels[g] for g in user.grades if g in self.levels}
        today = self.plan.today
        if not levels:
            outside = out_of_range(user.grades, self.levels) or [
                self.unserved_rooms[e.class_sourced_id]
                for e in active
                if e.class_sourced_id in self.unserved_rooms
                and e.school_sourced_id == school_sid
                and in_effect(e, today)
            ]
            if outside:
                self._left_out("student", USERS, user.row, outside[0])
                return
        # Homeroom enrollments at this school that are not history (ended before today): the
        # one in effect today places the student; a later one waits for its beginDate.
        here = [
            e
            for e in active
            if e.class_sourced_id in homerooms
            and homerooms[e.class_sourced_id][0] == school_sid
            and not is_history(e, today)
        ]
        overlap = first_overlap(here)
        if overlap is not None:
            self.plan.errors.append(overlap_error(user.sourced_id, overlap))
            return
        current = [e for e in here if in_effect(e, today)]
        later = sorted((e for e in here if is_future(e, today)), key=lambda e: e.begin_date)
        rooms = sorted({e.class_sourced_id for e in current})
        existing = stored.get((school_sid, user.sourced_id)) or by_local_id.get(
            (school_sid, local_id)
        )
        starts = None
        move = None  # the homeroom move the nightly makes on its day (students.cohort_moves)
        if later and not rooms and (existing is None or existing.enrollment_start > today):
            # A new student whose homeroom begins later is enrolled from that day: the
            # schedules before it do not count them.
            rooms, starts = [later[0].class_sourced_id], later[0].begin_date
        elif later and later[0].class_sourced_id not in rooms:
            self._left_out("later", ENROLLMENTS, later[0].row, str(later[0].begin_date))
            move = (later[0].class_sourced_id, later[0].begin_date, later[0].sourced_id)
        if existing is None and not rooms and (self.bulk_enrollments or user.status != "active"):
            # Never imported and in no homeroom today (their enrollments ended, or there are
            # none): a student created only to be ended at once would be noise.
            if user.status == "active":
                self._left_out("unplaced", USERS, user.row, "")
            return
        level = levels.pop() if len(levels) == 1 else None
        if rooms:
            # A student keeps their own grade when their homeroom holds it (a combination
            # class holds several); one without a grade takes the grade the cohort follows.
            room_levels = self._room_grades(rooms[0], homerooms)
            if level is not None and level not in room_levels:
                held = ", ".join(GradeLevel(g).label for g in sorted(room_levels))
                self.plan.errors.append(
                    _error(
                        USERS,
                        user.row,
                        "grades",
                        f"User {user.sourced_id!r} is in grade {user.grades[0]} but their "
                        f"homeroom {rooms[0]!r} is of grade {held}.",
                    )
                )
                return
            if level is None:
                level = homerooms[rooms[0]][1]
        if level is None:
            self.plan.errors.append(
                _error(
                    USERS,
                    user.row,
                    "grades",
                    f"Student {user.sourced_id!r} has no grade and no homeroom to take one from.",
                )
            )
            return
        begins = [e.begin_date for e in active if e.begin_date and in_effect(e, today)]
        wanted = {
            "school": school_sid,
            "sourced_id": user.sourced_id,
            "local_id": local_id,
            "first_name": user.preferred_given_name or user.given_name,
            "last_name": user.family_name,
            "grade": level,
            "cohort": rooms[0] if rooms else None,
        }
        # A student between homerooms (one ended, the next begins later) is not ended.
        if user.status == "tobedeleted" or (self.bulk_enrollments and not rooms and not later):
            wanted["enrollment_end"] = self._end_of(existing)
        else:
            wanted["enrollment_end"] = None
            wanted["move"] = move
            if existing is None:
                wanted["enrollment_start"] = starts or (min(begins) if begins else today)
        if not self._fits(Student, wanted, _STUDENT_COLUMNS, USERS, user.row, _("a student's")):
            return
        if self._student_id_taken(user, school_sid, local_id, stored):
            return
        wanted["_at"] = (USERS, user.row)
        if self._record("student", existing, wanted, user.sourced_id, f"student {local_id}"):
            self.plan.students.append((existing, wanted))

    def staff_member(self, user, school_sid, taught, titles, homerooms, stored) -> None:
        if not user.username:
            self.plan.errors.append(
                _error(
                    USERS,
                    user.row,
                    "username",
                    f"Staff user {user.sourced_id!r} has no username to log in with.",
                )
            )
            return
        existing = stored.get((school_sid, user.sourced_id))
        roles = staff_roles(user, taught, titles, self.sources.defines_cohort)
        if not roles:
            self.plan.warnings.append(
                _error(
                    USERS,
                    user.row,
                    "role",
                    f"{user.username}: no role could be read from what they teach; give "
                    "them one in Setup.",
                )
            )
        wanted = {
            "school": school_sid,
            "sourced_id": user.sourced_id,
            # The account's names and email are the account's changes (plan.accounts).
            "_account": self.accounts.key_for(user, existing),
            "active": user.status != "tobedeleted" and user.enabled,
            "roles": sorted(roles),
            "cohorts": sorted(
                {room for c in taught if (room := self.class_homeroom[c.sourced_id])}
            ),
            "grades": sorted(
                {self.levels[g] for c in taught for g in c.grades if g in self.levels}
            ),
        }
        if not self._fits(Staff, wanted, _STAFF_COLUMNS, USERS, user.row, _("a staff member's")):
            return
        wanted["_at"] = (USERS, user.row)
        if self._record("staff", existing, wanted, user.sourced_id, user.username):
            self.plan.staff.append((existing, wanted))

    def gone(self, students, staff, seen, schools) -> None:
        """In a bulk users file, whoever is stored but absent has left."""
        for (school_sid, sourced_id), student in students.items():
            if (school_sid, sourced_id) in seen or school_sid not in schools:
                continue
            if student.enrollment_end is None:
                wanted = {"enrollment_end": self._end_of(student)}
                if self._record("student", student, wanted, sourced_id, str(student)):
                    self.plan.students.append((student, wanted))
        for (school_sid, sourced_id), member in staff.items():
            if (school_sid, sourced_id) in seen or school_sid not in schools:
                continue
            if member.active:
                wanted = {"active": False}
                if self._record("staff", member, wanted, sourced_id, member.user.username):
                    self.plan.staff.append((member, wanted))

    # --- helpers -------------------------------------------------------------------------------

    def unserved_school(self, org, grades: list[str]) -> None:
        """A school that teaches none of the network's grades (a middle school) is left out
        with everything at it: its classes, and its roles (a user with none elsewhere)."""
        classes = sum(1 for c in self.export.classes if c.school_sourced_id == org.sourced_id)
        users = sum(
            1 for u in self.export.users if any(r.org_sourced_id == org.sourced_id for r in u.roles)
        )
        self.plan.warnings.append(
            _error(
                ORGS,
                org.row,
                "sourcedId",
                _(
                    "School %(name)r teaches no grade this network serves (%(grades)s): it was "
                    "not imported, nor its %(classes)d classes; its %(users)d users were "
                    "imported only where they also hold a role at, or teach in, an imported "
                    "school."
                )
                % {
                    "name": org.name,
                    "grades": ", ".join(grades),
                    "classes": classes,
                    "users": users,
                },
            )
        )

    def _student_id_taken(self, user: User, school_sid: str, local_id: str, stored) -> bool:
        """Whether another student at the school has ``local_id`` as their student id: an
        earlier row of the export, or a stored student the export does not list (who keeps
        theirs). Student ids are unique at a school; the second row is an error."""
        if self.student_ids is None:
            listed = {u.sourced_id for u in self.export.users}
            self.student_ids = {
                (school, s.local_id): (s.sourced_id, None)
                for (school, sourced_id), s in stored.items()
                if sourced_id not in listed
            }
        holder = self.student_ids.setdefault((school_sid, local_id), (user.sourced_id, user.row))
        if holder[0] == user.sourced_id:
            return False
        where = _("row %(row)d") % {"row": holder[1]} if holder[1] else _("a stored student")
        self.plan.errors.append(
            _error(
                USERS,
                user.row,
                "identifier" if user.identifier else "username",
                _(
                    "Student id %(id)r of user %(user)r is already the id of user %(other)r "
                    "(%(where)s) at this school; each student needs their own."
                )
                % {"id": local_id, "user": user.sourced_id, "other": holder[0], "where": where},
            )
        )
        return True

    def _fits(self, model, wanted: dict, columns: dict[str, str], file, row, what) -> bool:
        """Whether ``wanted``'s values fit their columns; each that does not is an error on
        its cell."""
        errors = too_long(model, wanted, columns, file=file, row=row, what=what)
        self.plan.errors.extend(errors)
        return not errors

    def _left_out(self, reason: str, file: str, row: int, what: str) -> None:
        """Count a row left out (or put off) for ``reason``; ``run`` warns once per reason."""
        if reason not in self.left_out:
            self.left_out[reason] = LeftOut(file, LEFT_OUT[reason])
        self.left_out[reason].add(row, what)

    def _end_of(self, student: Student | None) -> datetime.date:
        """The last day enrolled: yesterday, never before the enrollment started."""
        end = self.plan.today - datetime.timedelta(days=1)
        if student is not None and student.enrollment_end is not None:
            return min(student.enrollment_end, end)
        if student is not None and student.enrollment_start > end:
            return student.enrollment_start
        return end

    def _record(self, kind: str, existing, wanted: dict, sourced_id: str, label: str) -> bool:
        """Note the change from ``existing`` to ``wanted``, if any; whether there is one. Rows
        without one stay out of the plan: rewriting them would change nothing, and a re-import
        where 1% changed would rewrite the other 99% too."""
        if existing is None:
            self.plan.changes.append(Change(kind, "create", sourced_id, label))
            return True
        changed = tuple(
            sorted(
                k
                for k, v in wanted.items()
                if not k.startswith("_") and _differs(kind, existing, k, v)
            )
        )
        if not changed:
            return False
        action = "update"
        if kind == "student" and "enrollment_end" in changed:
            action = "restore" if wanted["enrollment_end"] is None else "end"
        if kind == "staff" and "active" in changed:
            action = "end" if not wanted["active"] else "restore"
        self.plan.changes.append(Change(kind, action, sourced_id, label, changed))
        return True


class _Places:
    """Where each user of an export works or learns: the imported schools they hold a role at;
    for staff, also those whose classes they teach on the import date (an itinerant music
    teacher linked to the district only), with the roles they hold elsewhere; for a student
    linked to no school, their homeroom's school (the classes that define cohorts)."""

    def __init__(self, export: ExportRead, schools, homerooms, students, staff) -> None:
        self.schools = schools
        self.homerooms = homerooms
        self.school_orgs = {o.sourced_id for o in export.orgs if o.org_type == "school"}
        self.students = {sourced_id for _, sourced_id in students}
        # A delta export may name a district teacher without their enrollments: they stay at
        # the schools they are stored at, as staff linked to a school do.
        self.staff_at: dict[str, set[str]] = defaultdict(set)
        for school_sid, sourced_id in staff:
            self.staff_at[sourced_id].add(school_sid)

    def at_school_org(self, user: User) -> bool:
        """Whether ``user`` holds a role at a school of the export (imported or left out)."""
        return any(r.org_sourced_id in self.school_orgs for r in user.roles)

    def is_stored_student(self, user: User) -> bool:
        return user.sourced_id in self.students

    def of(
        self, user: User, active: list[Enrollment], today: datetime.date, *, bulk: bool
    ) -> dict[str, set[str]]:
        """School sourcedId -> the roles ``user`` holds there."""
        placed: dict[str, set[str]] = defaultdict(set)
        elsewhere: set[str] = set()
        for held in user.roles:
            if held.org_sourced_id in self.schools:
                placed[held.org_sourced_id].add(held.role)
            else:
                elsewhere.add(held.role)
        works_as = {r.role for r in user.roles} - {"student", *GUARDIAN_ROLES}
        if works_as:
            teaching = {
                e.school_sourced_id
                for e in active
                if e.role not in ("student", *GUARDIAN_ROLES)
                and e.school_sourced_id in self.schools
                and in_effect(e, today)
            }
            if not bulk:
                teaching |= self.staff_at.get(user.sourced_id, set())
            for school_sid in teaching - set(placed):
                placed[school_sid] = set(works_as)
        elif "student" in elsewhere and not placed and not self.at_school_org(user):
            for e in active:
                room = self.homerooms.get(e.class_sourced_id)
                if e.role == "student" and room is not None and not is_history(e, today):
                    placed[room[0]] = {"student"}
        return dict(placed)


def _sourced_ids(queryset) -> set[str]:
    return set(queryset.values_list("sourced_id", flat=True))


def _outside_refs(export: ExportRead) -> dict[str, dict[str, tuple[str, int, str]]]:
    """kind (school, class, user) -> sourcedId -> where it is first named (file, row,
    column): every reference, active or being deleted, to an object the export does not
    hold. A bulk file's references are all in the export (the reader refuses others); a
    delta file's may name stored objects."""
    schools = {o.sourced_id for o in export.orgs}
    classes = {c.sourced_id for c in export.classes}
    users = {u.sourced_id for u in export.users}
    outside: dict[str, dict[str, tuple[str, int, str]]] = {"school": {}, "class": {}, "user": {}}

    def note(kind: str, held: set[str], sourced_id: str, file: str, row: int, column: str):
        if sourced_id and sourced_id not in held:
            outside[kind].setdefault(sourced_id, (file, row, column))

    for cls in export.classes:
        note("school", schools, cls.school_sourced_id, CLASSES, cls.row, "schoolSourcedId")
    if export.role_assignments:
        for held in export.role_assignments:
            note("school", schools, held.org_sourced_id, ROLES, held.row, "orgSourcedId")
            note("user", users, held.user_sourced_id, ROLES, held.row, "userSourcedId")
    else:
        for user in export.users:
            for role in user.roles:
                note("school", schools, role.org_sourced_id, USERS, user.row, "orgSourcedIds")
    for e in export.enrollments:
        note("school", schools, e.school_sourced_id, ENROLLMENTS, e.row, "schoolSourcedId")
        note("class", classes, e.class_sourced_id, ENROLLMENTS, e.row, "classSourcedId")
        note("user", users, e.user_sourced_id, ENROLLMENTS, e.row, "userSourcedId")
    return outside


def _class_homerooms(
    enrollments: Iterable[Enrollment], homerooms: dict[str, tuple[str, int]], today: datetime.date
) -> dict[str, str | None]:
    """Class sourcedId -> the cohort it serves: a homeroom serves itself; a scheduled class
    (a teacher's literacy section) the homeroom most of its students are in, when that is more
    than half of them. Teachers of either teach that cohort."""
    homeroom_of: dict[str, str] = {}
    students: dict[str, list[str]] = defaultdict(list)
    for e in enrollments:
        if e.role != "student" or e.status == "tobedeleted":
            continue
        if e.class_sourced_id in homerooms:
            if in_effect(e, today):
                homeroom_of[e.user_sourced_id] = e.class_sourced_id
        else:
            students[e.class_sourced_id].append(e.user_sourced_id)
    served: dict[str, str | None] = defaultdict(lambda: None)
    served.update({room: room for room in homerooms})
    for class_id, members in students.items():
        counts = Counter(homeroom_of.get(m) for m in members)
        room, count = counts.most_common(1)[0]
        if room is not None and count * 2 > len(members):
            served[class_id] = room
    return served


def _differs(kind: str, existing, key: str, value) -> bool:
    """Whether ``existing`` differs from ``value`` in ``key``, compared as the plan states it."""
    if key == "school":
        return existing.school.sourced_id != value if kind != "school" else False
    if key == "grade":
        return existing.grade.level != value
    if key == "cohort":
        current = existing.cohort.sourced_id if existing.cohort_id else None
        return current != value
    if key == "enrollment_start":
        return False  # set on creation only: a start date is history
    if key == "move":  # (homeroom, first day, enrollment) or None
        stored = getattr(existing, "cohort_move", None)
        current = (stored.cohort.sourced_id, stored.starts) if stored is not None else None
        return current != (value[:2] if value else None)
    if kind == "staff":
        if key in ("username", "first_name", "last_name", "email"):
            return getattr(existing.user, key) != value
        if key == "roles":
            return not set(value) <= existing.role_codes
        if key == "cohorts":
            return sorted(c.sourced_id for c in existing.cohorts.all()) != value
        if key == "grades":
            return sorted(g.level for g in existing.grades.all()) != value
    return getattr(existing, key) != value


# --- applying ----------------------------------------------------------------------------------


class _RolledBack(Exception):
    """Raised to roll back a dry run's apply."""


class _Refused(Exception):
    """The database refused a row of the plan: ``error`` names it."""

    def __init__(self, error: ExportError) -> None:
        super().__init__(error.reason)
        self.error = error


def roster_apply_checked(
    plan: RosterPlan,
    *,
    by: AbstractBaseUser | None = None,
    via: str = "roster import",
    keep: bool = True,
) -> list[ExportError]:
    """Apply ``plan`` (``keep=False``: and roll it back, as a dry run does) and return what the
    database refused, as errors naming the file and row: then nothing is kept. The planner
    checks every rule it knows; this finds the rest (a constraint only the database holds),
    so a dry run that passes means an apply that does."""
    try:
        with transaction.atomic():
            roster_apply(plan, by=by, via=via)
            if not keep:
                raise _RolledBack
    except _RolledBack:
        return []
    except _Refused as refused:
        return [refused.error]
    return []


@transaction.atomic
def roster_apply(
    plan: RosterPlan, *, by: AbstractBaseUser | None = None, via: str = "roster import"
) -> None:
    """Write ``plan``: every change, or none when one fails. ``by`` and ``via`` name who
    imported and how in the audit trail (an account's email change is recorded there). A row
    the database refuses raises ``_Refused`` naming it (see ``roster_apply_checked``)."""
    if not plan.ok:
        raise ValueError("a roster plan with errors is never applied")
    network = plan.network
    schools = _each(lambda rows: _apply_schools(network, rows), plan.schools)
    grades = _grades(schools.values())
    cohorts = _each(lambda rows: _apply_cohorts(schools, grades, rows), plan.cohorts)
    _each(lambda rows: _apply_students(schools, grades, cohorts, rows), plan.students)
    _each(lambda rows: apply_guardians(network, rows), plan.guardians)
    # An account is named by the first staff row using it.
    account_at = {}
    for _member, wanted in plan.staff:
        if "_account" in wanted:
            account_at.setdefault(wanted["_account"], wanted.get("_at"))
    accounts = _each(
        lambda rows: _apply_accounts(dict(rows), by=by, via=via),
        list(plan.accounts.items()),
        at=lambda row: account_at.get(row[0]),
    )
    _each(lambda rows: _apply_staff(schools, grades, cohorts, rows, accounts), plan.staff)


def _at(row: tuple[object, dict]) -> tuple[str, int] | None:
    return row[1].get("_at")


def _each(step, rows: list, at=_at):
    """``step(rows)`` in a savepoint. When the database refuses it, the rows are halved until
    the one it refuses is found (the first half is written before the second is tried, so
    rows refused only together are found too), and ``_Refused`` names that row. Halving costs
    a few more statements, and only when the database refuses."""
    try:
        with transaction.atomic():
            return step(rows)
    except (IntegrityError, DataError) as exc:
        if len(rows) <= 1:
            where = at(rows[0]) if rows else None
            file, row = where if where else ("", None)
            raise _Refused(_error(file, row, None, _refusal(exc))) from exc
    half = len(rows) // 2
    first = _each(step, rows[:half], at)
    second = _each(step, rows[half:], at)
    # Written in two halves after all (an order of statements the database minds): the
    # first half's result is the same query's, or the accounts of its rows.
    if isinstance(first, dict) and isinstance(second, dict):
        return {**first, **second}
    return second


# The database's constraints, in words (the rest are said as the database says them).
_CONSTRAINTS = {
    "cohort_name_unique_in_school": _("another homeroom at this school has this name"),
    "student_id_unique_in_school": _("another student at this school has this student id"),
    "student_enrollment_ends_after_it_starts": _(
        "the student's enrollment would end before it starts"
    ),
}


def _refusal(exc: Exception) -> str:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint in _CONSTRAINTS:
        reason = str(_CONSTRAINTS[constraint])
    elif constraint.endswith("_sourced_id_unique_in_school"):
        reason = str(_("another record at this school has this sourcedId"))
    else:
        # The first line names the rule; the detail lines may hold values (names).
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return str(_("The database refused this row: %(reason)s.")) % {"reason": reason}


def _apply_accounts(rows: dict[str, AccountRow], *, by, via: str) -> dict[str, object]:
    """Create the new accounts (no usable password until their owner sets one) and change
    the existing ones, in two queries; each email change goes through
    ``account_email_change`` (audited, the old address told once the import commits)."""
    users = get_user_model()
    new: list = []
    changed: list = []
    accounts: dict[str, object] = {}
    for key, row in rows.items():
        if row.account is None:
            account = users(**row.values)
            account.set_unusable_password()
            new.append(account)
        else:
            account = row.account
            for name in row.changed:
                if name == "email":
                    account_email_change(
                        user=account, new_email=row.values["email"], by=by, via=via, save=False
                    )
                else:
                    setattr(account, name, row.values[name])
            if row.changed:
                changed.append(account)
        accounts[key] = account
    users.objects.bulk_update(changed, list(ACCOUNT_FIELDS), batch_size=1000)
    users.objects.bulk_create(new, batch_size=1000)
    return accounts


def _apply_schools(network: Network, rows) -> dict[str, School]:
    taken = set(School.objects.values_list("slug", flat=True))
    for school, at_row in rows:
        wanted = _stored_values(at_row)
        if school is None:
            slug = base = slugify(wanted["name"])[:50] or "school"
            n = 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            School.objects.create(network=network, slug=slug, **wanted)
        elif any(getattr(school, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(school, k, v)
            school.save(update_fields=list(wanted))
    return {s.sourced_id: s for s in School.objects.filter(network=network).exclude(sourced_id="")}


def _grades(schools: Iterable[School]) -> dict[tuple[int, int], Grade]:
    ids = [s.pk for s in schools]
    existing = {(g.school_id, g.level): g for g in Grade.objects.filter(school_id__in=ids)}
    missing = [
        Grade(school_id=sid, level=level)
        for sid in ids
        for level in GRADE_LEVELS.values()
        if (sid, level) not in existing
    ]
    Grade.objects.bulk_create(missing)
    return {(g.school_id, g.level): g for g in Grade.objects.filter(school_id__in=ids)}


def _apply_cohorts(schools, grades, rows) -> dict[str, Cohort]:
    # Two queries for any number of cohorts (a network has hundreds), not one each.
    new: list[Cohort] = []
    changed: list[Cohort] = []
    for cohort, wanted in rows:
        school = schools[wanted["school"]]
        values = {
            "name": wanted["name"],
            "grade": grades[(school.pk, wanted["grade"])],
            "sourced_id": wanted["sourced_id"],
        }
        if "grade_chosen" in wanted:  # cleared when the class no longer holds the chosen grade
            values["grade_chosen"] = wanted["grade_chosen"]
        if cohort is None:
            new.append(Cohort(school=school, **values))
        else:
            for k, v in values.items():
                setattr(cohort, k, v)
            changed.append(cohort)
    # Renames first: a new cohort may take the name a renamed one gives up.
    Cohort.objects.bulk_update(
        changed, ["name", "grade", "grade_chosen", "sourced_id"], batch_size=1000
    )
    Cohort.objects.bulk_create(new, batch_size=1000)
    ids = [s.pk for s in schools.values()]
    return {
        c.sourced_id: c for c in Cohort.objects.filter(school_id__in=ids).exclude(sourced_id="")
    }


def _apply_students(schools, grades, cohorts, rows) -> None:
    new: list[Student] = []
    changed: list[Student] = []
    fields: set[str] = set()
    # Each student's homeroom move for a later day, or None to clear a stored one.
    moves: list[tuple[Student, tuple[str, datetime.date, str] | None]] = []
    for student, wanted in rows:
        values = _stored_values(wanted)
        move = values.pop("move", ())
        if "school" in values:
            school = schools[values.pop("school")]
            values["grade"] = grades[(school.pk, values["grade"])]
            room = values.pop("cohort")
            values["cohort"] = cohorts[room] if room else None
        if student is None:
            new.append(Student(school=school, **values))
            if move:
                moves.append((new[-1], move))
            continue
        if move or (move is None and getattr(student, "cohort_move", None) is not None):
            moves.append((student, move))
        values.pop("enrollment_start", None)
        for k, v in values.items():
            setattr(student, k, v)
        fields |= set(values)
        changed.append(student)
    Student.objects.bulk_create(new, batch_size=1000)
    if changed and fields:
        Student.objects.bulk_update(changed, sorted(fields), batch_size=1000)
    if moves:  # new students have their pk from bulk_create (PostgreSQL returns it)
        CohortMove.objects.filter(student__in=[student for student, _ in moves]).delete()
        CohortMove.objects.bulk_create(
            [
                CohortMove(student=student, cohort=cohorts[room], starts=day, sourced_id=sid)
                for student, move in moves
                if move
                for room, day, sid in [move]
            ],
            batch_size=1000,
        )


def _apply_staff(schools, grades, cohorts, rows, accounts: dict[str, object]) -> None:
    """Staff rows, roles, cohorts and grades of every row, a fixed number of queries per kind
    (bulk creates and updates) instead of about ten per staff member. Rows are taken in order
    and share objects, so when two rows touch one staff row the last one's values win, as they
    did when each row was saved in turn. ``accounts`` are the plan's, by key."""
    gone = [(member, wanted) for member, wanted in rows if "school" not in wanted]
    for member, wanted in gone:  # only made inactive
        member.active = wanted["active"]
    Staff.objects.bulk_update([m for m, _ in gone], ["active"], batch_size=1000)
    rows = [(member, wanted) for member, wanted in rows if "school" in wanted]
    if not rows:
        return
    placed = [accounts[wanted["_account"]] for _, wanted in rows]

    # Staff rows: the stored one, else the account's at the school (made here before the
    # first import), else a new one.
    members = {
        (m.user_id, m.school_id): m
        for m in Staff.objects.filter(
            user_id__in=[a.pk for a, (m, w) in zip(placed, rows, strict=True) if m is None],
            school_id__in={schools[w["school"]].pk for m, w in rows if m is None},
        )
    }
    staffed: list[tuple[Staff, School, dict]] = []
    new_members: dict[tuple[int, int], Staff] = {}
    for account, (member, wanted) in zip(placed, rows, strict=True):
        school = schools[wanted["school"]]
        key = (account.pk, school.pk)
        if member is None:
            member = members.get(key) or new_members.get(key)
            if member is None:
                member = new_members[key] = Staff(user=account, school=school)
        else:
            member = members.setdefault(key, member)
        member.sourced_id = wanted["sourced_id"]
        member.active = wanted["active"]
        staffed.append((member, school, wanted))
    stored = {id(m): m for m, _, _ in staffed if m.pk is not None}
    Staff.objects.bulk_update(list(stored.values()), ["sourced_id", "active"], batch_size=1000)
    Staff.objects.bulk_create(list(new_members.values()), batch_size=1000)

    # Roles are only ever added (a role given by hand stays); cohorts and grades are set.
    StaffRole.objects.bulk_create(
        [StaffRole(staff=m, role=role) for m, _, w in staffed for role in w["roles"]],
        ignore_conflicts=True,
        batch_size=1000,
    )
    wanted_cohorts = {m.pk: {cohorts[c].pk for c in w["cohorts"]} for m, _, w in staffed}
    wanted_grades = {
        m.pk: {grades[(school.pk, g)].pk for g in w["grades"]} for m, school, w in staffed
    }
    _set_links(Staff.cohorts.through, "cohort_id", wanted_cohorts)
    _set_links(Staff.grades.through, "grade_id", wanted_grades)


def _stored_values(wanted: dict) -> dict:
    """``wanted`` without the plan's own keys (``_at``, ``_account``)."""
    return {k: v for k, v in wanted.items() if not k.startswith("_")}


def _set_links(through, column: str, wanted: dict[int, set[int]]) -> None:
    """``member.<m2m>.set(...)`` for many staff members in three queries."""
    set_links(through, "staff_id", column, wanted)
