"""The planner's students and staff, and where each user of an export works or learns."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from ...models import GradeLevel, School, Staff, Student
from ..columns import ENROLLMENTS, USERS
from ..guardians import GUARDIAN_ROLES
from ..records import Class, Enrollment, ExportRead, User
from ..scope import first_overlap, in_effect, is_future, is_history, out_of_range, overlap_error
from ..staff_accounts import StaffAccounts
from .core import _STAFF_COLUMNS, _STUDENT_COLUMNS, Change, PlannerBase, _error
from .guardians import plan_guardians
from .staff_roles import staff_roles
from .wanted import (
    Planned,
    StaffEnded,
    StudentEnded,
    StudentMovesLater,
    StudentPlaced,
    StudentRow,
    WantedStaff,
    WantedStudent,
)

# Homeroom sourcedId -> (school sourcedId, the grade its cohort follows).
Homerooms = dict[str, tuple[str, int]]
# (school sourcedId, sourcedId or student id) -> the stored student or staff member.
StoredStudents = dict[tuple[str, str], Student]
StoredStaff = dict[tuple[str, str], Staff]


def _begins(enrollment: Enrollment) -> datetime.date:
    """The first day of an enrollment that begins later (``is_future``: it has one)."""
    assert enrollment.begin_date is not None
    return enrollment.begin_date


class PeoplePlanner(PlannerBase):
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
        # Comparing (changed_fields) reads each stored student's school, grade and cohort, and
        # each staff member's account, roles, cohorts and grades: joined or prefetched here, so
        # a network of 12,000 students is compared in a handful of queries, not one or more each.
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
        created = {
            row.wanted.sourced_id
            for row in self.plan.students
            if row.existing is None and isinstance(row.wanted, WantedStudent)
        }
        found = plan_guardians(
            network=self.network, users=self.export.users, placed=created, bulk=self.bulk_users
        )
        self.plan.guardians = found.rows
        self.plan.errors.extend(found.errors)
        self.plan.warnings.extend(found.warnings)
        self.plan.changes.extend(
            Change("guardian", c.action, c.sourced_id, c.label, c.fields) for c in found.changes
        )

    def enrollment_changes(
        self,
        enrolled: dict[str, list[Enrollment]],
        homerooms: Homerooms,
        students: StoredStudents,
        seen: set[tuple[str, str]],
    ) -> None:
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
                later = sorted((e for e in live if is_future(e, today)), key=_begins)
                if later and later[0].class_sourced_id not in rooms:
                    self._left_out("later", ENROLLMENTS, later[0].row, _begins(later[0]))
                at = (ENROLLMENTS, here[0].row)
                wanted: StudentRow
                if len(rooms) == 1:
                    wanted = StudentPlaced(
                        school=school_sid,
                        cohort=rooms[0],
                        grade=self._grade_in(student, rooms[0], homerooms),
                        at=at,
                    )
                elif not later:
                    wanted = StudentEnded(enrollment_end=self._end_of(student), at=at)
                else:
                    move = (later[0].class_sourced_id, _begins(later[0]), later[0].sourced_id)
                    wanted = StudentMovesLater(move=move, at=at)
                if self._record("student", student, wanted, user_id, str(student)):
                    self.plan.students.append(Planned(student, wanted))

    def student(
        self,
        user: User,
        school_sid: str,
        active: list[Enrollment],
        homerooms: Homerooms,
        stored: StoredStudents,
        by_local_id: StoredStudents,
    ) -> None:
        local_id = user.identifier or user.username
        if not local_id:
            self.plan.errors.append(
                _error(
                    USERS,
                    user.row,
                    "identifier",
                    _(
                        "User %(sourced_id)r is a student with neither an identifier nor "
                        "a username to use as their student id."
                    )
                    % {"sourced_id": user.sourced_id},
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
        later = sorted((e for e in here if is_future(e, today)), key=_begins)
        rooms = sorted({e.class_sourced_id for e in current})
        existing = stored.get((school_sid, user.sourced_id)) or by_local_id.get(
            (school_sid, local_id)
        )
        starts = None
        move = None  # the homeroom move the nightly makes on its day (students.cohort_moves)
        if later and not rooms and (existing is None or existing.enrollment_start > today):
            # A new student whose homeroom begins later is enrolled from that day: the
            # schedules before it do not count them.
            rooms, starts = [later[0].class_sourced_id], _begins(later[0])
        elif later and later[0].class_sourced_id not in rooms:
            self._left_out("later", ENROLLMENTS, later[0].row, _begins(later[0]))
            move = (later[0].class_sourced_id, _begins(later[0]), later[0].sourced_id)
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
                        _(
                            "User %(sourced_id)r is in grade %(grade)s but their "
                            "homeroom %(homeroom)r is of grade %(held)s."
                        )
                        % {
                            "sourced_id": user.sourced_id,
                            "grade": user.grades[0],
                            "homeroom": rooms[0],
                            "held": held,
                        },
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
                    _("Student %(sourced_id)r has no grade and no homeroom to take one from.")
                    % {"sourced_id": user.sourced_id},
                )
            )
            return
        begins = [e.begin_date for e in active if e.begin_date and in_effect(e, today)]
        # A student between homerooms (one ended, the next begins later) is not ended.
        ended = user.status == "tobedeleted" or (self.bulk_enrollments and not rooms and not later)
        wanted = WantedStudent(
            school=school_sid,
            sourced_id=user.sourced_id,
            local_id=local_id,
            first_name=user.preferred_given_name or user.given_name,
            last_name=user.family_name,
            grade=level,
            cohort=rooms[0] if rooms else None,
            enrollment_end=self._end_of(existing) if ended else None,
            move=None if ended else move,
            enrollment_start=(
                starts or (min(begins) if begins else today)
                if existing is None and not ended
                else None
            ),
            at=(USERS, user.row),
        )
        if not self._fits(Student, wanted, _STUDENT_COLUMNS, USERS, user.row, _("a student's")):
            return
        if self._student_id_taken(user, school_sid, local_id, stored):
            return
        if self._record("student", existing, wanted, user.sourced_id, f"student {local_id}"):
            self.plan.students.append(Planned(existing, wanted))

    def staff_member(
        self,
        user: User,
        school_sid: str,
        taught: list[Class],
        titles: dict[str, str],
        homerooms: Homerooms,
        stored: StoredStaff,
    ) -> None:
        if not user.username:
            self.plan.errors.append(
                _error(
                    USERS,
                    user.row,
                    "username",
                    _("Staff user %(sourced_id)r has no username to log in with.")
                    % {"sourced_id": user.sourced_id},
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
                    _(
                        "%(username)s: no role could be read from what they teach; give "
                        "them one in Setup."
                    )
                    % {"username": user.username},
                )
            )
        wanted = WantedStaff(
            school=school_sid,
            sourced_id=user.sourced_id,
            # The account's names and email are the account's changes (plan.accounts).
            account_key=self.accounts.key_for(user, existing),
            active=user.status != "tobedeleted" and user.enabled,
            roles=tuple(sorted(roles)),
            cohorts=tuple(
                sorted({room for c in taught if (room := self.class_homeroom[c.sourced_id])})
            ),
            grades=tuple(
                sorted({self.levels[g] for c in taught for g in c.grades if g in self.levels})
            ),
            at=(USERS, user.row),
        )
        if not self._fits(Staff, wanted, _STAFF_COLUMNS, USERS, user.row, _("a staff member's")):
            return
        if self._record("staff", existing, wanted, user.sourced_id, user.username):
            self.plan.staff.append(Planned(existing, wanted))

    def gone(
        self,
        students: StoredStudents,
        staff: StoredStaff,
        seen: set[tuple[str, str]],
        schools: dict[str, School | None],
    ) -> None:
        """In a bulk users file, whoever is stored but absent has left."""
        for (school_sid, sourced_id), student in students.items():
            if (school_sid, sourced_id) in seen or school_sid not in schools:
                continue
            if student.enrollment_end is None:
                ended = StudentEnded(enrollment_end=self._end_of(student))
                if self._record("student", student, ended, sourced_id, str(student)):
                    self.plan.students.append(Planned(student, ended))
        for (school_sid, sourced_id), member in staff.items():
            if (school_sid, sourced_id) in seen or school_sid not in schools:
                continue
            if member.active:
                left = StaffEnded()
                if self._record("staff", member, left, sourced_id, member.user.username):
                    self.plan.staff.append(Planned(member, left))

    def _student_id_taken(
        self, user: User, school_sid: str, local_id: str, stored: StoredStudents
    ) -> bool:
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

    def _room_grades(self, room: str, homerooms: dict[str, tuple[str, int]]) -> frozenset[int]:
        """The grades homeroom ``room`` holds (several for a combination class)."""
        return self.room_grades.get(room) or frozenset({homerooms[room][1]})

    def _grade_in(self, student: Student, room: str, homerooms: dict[str, tuple[str, int]]) -> int:
        """A stored student's grade in homeroom ``room``: their own when the room holds it,
        else the grade the room's cohort follows."""
        own = student.grade.level
        return own if own in self._room_grades(room, homerooms) else homerooms[room][1]


class _Places:
    """Where each user of an export works or learns: the imported schools they hold a role at;
    for staff, also those whose classes they teach on the import date (an itinerant music
    teacher linked to the district only), with the roles they hold elsewhere; for a student
    linked to no school, their homeroom's school (the classes that define cohorts)."""

    def __init__(
        self,
        export: ExportRead,
        schools: dict[str, School | None],
        homerooms: Homerooms,
        students: StoredStudents,
        staff: StoredStaff,
    ) -> None:
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
