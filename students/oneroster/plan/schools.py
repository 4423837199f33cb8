"""The planner's schools, and the references a delta file makes to objects it does not hold."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ...models import Cohort, School, Staff, Student
from ..columns import CLASSES, ENROLLMENTS, ORGS, ROLES, USERS
from ..records import ExportRead, Org
from ..scope import unserved_schools
from .core import _SCHOOL_COLUMNS, PlannerBase, _error
from .wanted import Planned, WantedSchool

# kind -> why a delta file may not name an object of another network (whole sentences)
NOT_IN_NETWORK = {
    "school": _(
        "School %(sourced_id)r is not in this network: an export can only name its own "
        "network's schools, classes and people."
    ),
    "class": _(
        "Class %(sourced_id)r is not in this network: an export can only name its own "
        "network's schools, classes and people."
    ),
    "user": _(
        "User %(sourced_id)r is not in this network: an export can only name its own "
        "network's schools, classes and people."
    ),
}


class SchoolsPlanner(PlannerBase):
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
                        NOT_IN_NETWORK[kind] % {"sourced_id": sourced_id},
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
            wanted = WantedSchool(name=org.name, sourced_id=org.sourced_id, at=(ORGS, org.row))
            if not self._fits(School, wanted, _SCHOOL_COLUMNS, ORGS, org.row, _("a school's")):
                continue
            if self._record("school", school, wanted, org.sourced_id, org.name):
                self.plan.schools.append(Planned(school, wanted))
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
                        _("School %(sourced_id)r is neither in this export nor stored.")
                        % {"sourced_id": sourced_id},
                    )
                )
        return found

    def unserved_school(self, org: Org, grades: list[str]) -> None:
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


def _sourced_ids(queryset: models.QuerySet) -> set[str]:
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

    def note(kind: str, held: set[str], sourced_id: str, file: str, row: int, column: str) -> None:
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
