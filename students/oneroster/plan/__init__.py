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

``roster_plan`` works out every change and every error without writing; ``roster_apply`` (see
``apply``) writes a plan in one transaction. A plan with errors is never applied.

The planner's parts: ``schools``, ``cohorts``, ``people`` (students and staff, with
``staff_roles``) and ``guardians``; ``core`` holds what they share and ``wanted`` the plan's rows,
one frozen dataclass per kind, each comparing itself with the stored object.
"""

from __future__ import annotations

import datetime

from ...models import Network
from ..records import ExportRead
from ..scope import split_errors
from .cohorts import CohortsPlanner
from .core import LEFT_OUT, Change, RosterPlan
from .people import PeoplePlanner
from .schools import SchoolsPlanner, _outside_refs
from .staff_roles import LEADER_ROLES, SUBJECT_ROLES, staff_roles

__all__ = [
    "LEADER_ROLES",
    "LEFT_OUT",
    "SUBJECT_ROLES",
    "Change",
    "RosterPlan",
    "roster_plan",
    "staff_roles",
]


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


class _Planner(SchoolsPlanner, CohortsPlanner, PeoplePlanner):
    """Plans an export's schools, then its cohorts, then its people: each part reads what the
    one before it found."""

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
