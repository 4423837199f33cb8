"""Guardians from a OneRoster export: users with the roles parent, guardian or relative.

They become ``Guardian`` records of the network, never staff: no login account, no school
membership. A guardian is linked to the students their ``agentSourcedIds`` name, and to every
student whose ``agentSourcedIds`` names them (exports write one direction or both). Links are
only ever to students of the importing network: one of the export's students at an imported
school, or a stored student of the network; any other id is a warning naming the row, and the
link is left out. Nothing outside the network is read.

Like staff, a guardian is never deleted: one a bulk users file leaves out, or a delta file marks
``tobedeleted``, is made inactive (their links stay, as history), and restored when back. A
guardian's row states all their links; in a delta export, a stored guardian whose row is absent
keeps the links to students whose rows are absent too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ...models import Guardian, GuardianRelationship, Network, Student
from ..column_lengths import too_long
from ..columns import USERS
from ..guardians import guardian_role
from ..records import ExportError, User
from .wanted import GuardianEnded, GuardianLinks, GuardianRow, Planned, WantedGuardian, values_of

# Beyond this many rows naming unknown students, one warning counts the rest.
MAX_LINK_WARNINGS = 20
# Plan field -> the users.csv column it comes from, to name the cell a too-long value is in.
_COLUMNS = {
    "given_name": "givenName",
    "family_name": "familyName",
    "email": "email",
    "phone": "phone",
    "sms": "sms",
    "language": "metadata.language",
}


@dataclass(frozen=True)
class GuardianChange:
    action: str  # create, update, end, restore
    sourced_id: str
    label: str
    fields: tuple[str, ...] = ()


@dataclass
class GuardianPlan:
    """The guardians an import writes, changed ones only (see ``wanted``)."""

    rows: list[Planned[Guardian, GuardianRow]] = field(default_factory=list)
    changes: list[GuardianChange] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)
    warnings: list[ExportError] = field(default_factory=list)


def plan_guardians(
    *, network: Network, users: Iterable[User], placed: Iterable[str], bulk: bool
) -> GuardianPlan:
    """The guardian changes of an export's ``users`` (``bulk``: the users file is complete)
    for ``network``, where the import creates the students with the sourcedIds ``placed`` (a
    child it leaves out, of a grade or school the network does not serve, is no link)."""
    return _GuardianPlanner(network, tuple(users), set(placed), bulk).run()


class _GuardianPlanner:
    def __init__(self, network: Network, users: tuple[User, ...], placed: set[str], bulk: bool):
        self.network = network
        self.users = users
        self.bulk = bulk
        self.plan = GuardianPlan()
        self.stored = {g.sourced_id: g for g in Guardian.objects.filter(network=network)}
        self.links: dict[int, set[str]] = defaultdict(set)
        for guardian_id, student_sid in Guardian.students.through.objects.filter(
            guardian__network=network
        ).values_list("guardian_id", "student__sourced_id"):
            self.links[guardian_id].add(student_sid)
        self.in_export = {u.sourced_id for u in users}
        # The students a link may name: the network's, stored or created by this import.
        self.placed = placed | set(
            Student.objects.filter(school__network=network)
            .exclude(sourced_id="")
            .values_list("sourced_id", flat=True)
        )
        self.students = {
            u.sourced_id
            for u in users
            if u.status == "active" and u.is_student and u.sourced_id in self.placed
        }
        # A delta row without roles (1.2, roles.csv unchanged) of a stored guardian is theirs.
        self.guardians = {
            u.sourced_id: u
            for u in users
            if guardian_role(u) or (not u.roles and u.sourced_id in self.stored)
        }
        self.unknown_rows: list[tuple[User, str]] = []

    def run(self) -> GuardianPlan:
        pairs = self.pairs()
        for sourced_id, user in self.guardians.items():
            self.from_row(user, pairs[sourced_id])
        for sourced_id, guardian in self.stored.items():
            if sourced_id not in self.guardians:
                self.absent(guardian, pairs[sourced_id])
        self.warn_unknown()
        return self.plan

    def pairs(self) -> dict[str, set[str]]:
        """Guardian sourcedId -> the student sourcedIds linked to them, from both sides."""
        pairs: dict[str, set[str]] = defaultdict(set)
        for user in self.guardians.values():
            if user.status != "active":
                continue
            for sid in user.agent_sourced_ids:
                if sid in self.placed:
                    pairs[user.sourced_id].add(sid)
                else:
                    self.unknown_rows.append((user, sid))
        for user in self.users:
            if user.sourced_id not in self.students:
                continue
            for gid in user.agent_sourced_ids:
                if gid in self.guardians or gid in self.stored:
                    pairs[gid].add(user.sourced_id)
                elif gid not in self.in_export:
                    self.unknown_rows.append((user, gid))
        return pairs

    def from_row(self, user: User, linked: set[str]) -> None:
        existing = self.stored.get(user.sourced_id)
        at = (USERS, user.row)
        if user.status == "tobedeleted":
            self.record(existing, user.sourced_id, GuardianEnded(at=at), self.label(user))
            return
        role = guardian_role(user)
        wanted = WantedGuardian(
            sourced_id=user.sourced_id,
            given_name=user.preferred_given_name or user.given_name,
            family_name=user.family_name,
            email=user.email,
            phone=user.phone,
            sms=user.sms,
            students=tuple(sorted(linked)),
            # A language set by hand stays when the export has none.
            language=user.language or None,
            relationship=GuardianRelationship(role).value if role is not None else None,
            at=at,
        )
        if self.fits(user, wanted):
            self.record(existing, user.sourced_id, wanted, self.label(user))

    def absent(self, guardian: Guardian, linked: set[str]) -> None:
        """A stored guardian the users file does not list: gone from a bulk file; in a delta
        file, their links follow the rows of the students the file lists."""
        wanted: GuardianRow
        if self.bulk:
            wanted = GuardianEnded()
        else:
            kept = {sid for sid in self.links[guardian.pk] if sid not in self.in_export}
            wanted = GuardianLinks(students=tuple(sorted(kept | linked)))
        label = f"guardian {guardian.sourced_id}"
        self.record(guardian, guardian.sourced_id, wanted, label)

    def fits(self, user: User, wanted: WantedGuardian) -> bool:
        """Whether every value fits its column; one that does not is an error on its cell (the
        database would refuse it at apply)."""
        errors = too_long(
            Guardian, values_of(wanted), _COLUMNS, file=USERS, row=user.row, what=_("a guardian's")
        )
        self.plan.errors.extend(errors)
        return not errors

    def record(
        self, existing: Guardian | None, sourced_id: str, wanted: GuardianRow, label: str
    ) -> None:
        if existing is None:
            if not isinstance(wanted, WantedGuardian):
                return  # never stored, now deleted: nothing to do
            self.plan.changes.append(GuardianChange("create", sourced_id, label))
            self.plan.rows.append(Planned(None, wanted))
            return
        changed = wanted.changed_fields(existing, self.links[existing.pk])
        if not changed:
            return
        action = "update"
        if "active" in changed:
            action = "restore" if isinstance(wanted, WantedGuardian) else "end"
        self.plan.changes.append(GuardianChange(action, sourced_id, label, changed))
        self.plan.rows.append(Planned(existing, wanted))

    @staticmethod
    def label(user: User) -> str:
        # Ids only: the label reaches the import's record and logs, where names must not.
        return f"guardian {user.identifier or user.sourced_id}"

    def warn_unknown(self) -> None:
        for user, sid in self.unknown_rows[:MAX_LINK_WARNINGS]:
            self.plan.warnings.append(
                ExportError(
                    USERS,
                    user.row,
                    "agentSourcedIds",
                    _(
                        "User %(user)r names %(agent)r, who is neither a student this import "
                        "places nor a guardian of this network: the link is left out."
                    )
                    % {"user": user.sourced_id, "agent": sid},
                )
            )
        more = self.unknown_rows[MAX_LINK_WARNINGS:]
        if more:
            self.plan.warnings.append(
                ExportError(
                    USERS,
                    more[0][0].row,
                    "agentSourcedIds",
                    _(
                        "%(count)d more agentSourcedIds name no student or guardian of this "
                        "network; their links are left out."
                    )
                    % {"count": len(more)},
                )
            )
