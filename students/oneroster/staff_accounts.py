"""Which login account each staff member of an export logs in with.

Accounts belong to a network: an import adopts or changes only an account whose every staff row
is in one of the network's schools (or that administers this network alone), never a superuser,
an admin of another network or someone who also works in another network's schools. In order,
a staff member's account is:

1. the account of their stored staff row at that school (found by sourcedId);
2. the account of their staff row (same sourcedId) at another school of the network;
3. the network's account with their username, adopted: a teacher added by hand before the
   network's first import;
4. a new account with their username, or, when the username is taken by an account outside
   the network, a new account with a network-scoped username (``<network-slug>.<username>``,
   made unique) and a warning naming the row. The other account is never touched.

Every existing account the import adopts or changes is a change of kind ``account`` in the plan
(action ``adopt`` or ``update``, with the fields), so a dry run shows it before it happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext

from ..models import Network, NetworkAdmin, Staff
from .columns import USERS
from .guardians import GUARDIAN_ROLES
from .records import ExportError, User

if TYPE_CHECKING:
    from django.contrib.auth.models import User as Account

ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email")
MAX_USERNAME = 150


@dataclass
class AccountRow:
    """One account an import uses: ``account`` None is created; ``values`` are what it holds
    after the import and ``changed`` the fields an existing account changes."""

    account: Account | None
    values: dict[str, str]
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountChange:
    action: str  # adopt, update
    sourced_id: str
    label: str
    fields: tuple[str, ...]


class StaffAccounts:
    """Resolves the accounts of an export's staff against one network, with a fixed number of
    queries for any number of staff (the lookups are set-wise, made once)."""

    def __init__(self, *, network: Network, users: Iterable[User], stored: Iterable[Staff]) -> None:
        self.network = network
        self.rows: dict[str, AccountRow] = {}
        self.changes: list[AccountChange] = []
        self.warnings: list[ExportError] = []
        self._resolved: dict[str, str] = {}  # export user sourcedId -> key (rows 2-4 above)
        self._claimed: set[str] = set()  # usernames this import gives to an account
        not_staff = {"student", *GUARDIAN_ROLES}
        staff_users = [u for u in users if any(r.role not in not_staff for r in u.roles)]
        usernames = {u.username for u in staff_users if u.username}
        sourced_ids = {u.sourced_id for u in staff_users}
        self._objects: dict[int, Account] = {m.user_id: m.user for m in stored}
        member_of: dict[str, int] = {}
        if sourced_ids:
            rows = Staff.objects.filter(
                school__network=network, sourced_id__in=sourced_ids
            ).values_list("sourced_id", "user_id")
            for sourced_id, user_id in sorted(rows):
                member_of.setdefault(sourced_id, user_id)
        wanted_pks = set(member_of.values()) - set(self._objects)
        if usernames or wanted_pks:
            for account in get_user_model().objects.filter(
                Q(username__in=usernames) | Q(pk__in=wanted_pks)
            ):
                self._objects.setdefault(account.pk, account)
        self._by_username = {a.username: a for a in self._objects.values()}
        self._member_of = {sid: self._objects[pk] for sid, pk in member_of.items()}
        pks = list(self._objects)
        self._foreign: set[int] = set()
        self._home: set[int] = set()
        if pks:
            for user_id, network_id in Staff.objects.filter(user_id__in=pks).values_list(
                "user_id", "school__network_id"
            ):
                (self._home if network_id == network.pk else self._foreign).add(user_id)
            for user_id, network_id in NetworkAdmin.objects.filter(user_id__in=pks).values_list(
                "user_id", "network_id"
            ):
                (self._home if network_id == network.pk else self._foreign).add(user_id)

    def belongs(self, account: Account) -> bool:
        """Whether the import may adopt or change ``account``: it works in this network (or
        administers it) and nowhere else, and is no superuser."""
        return (
            not account.is_superuser
            and account.pk in self._home
            and account.pk not in self._foreign
        )

    def key_for(self, user: User, member: Staff | None) -> str:
        """The key (into ``rows``) of the account ``user``'s staff row at one school uses;
        ``member`` is that stored row, if any."""
        if member is not None:
            return self._existing(user, self._objects.get(member.user_id, member.user), False)
        if user.sourced_id in self._resolved:
            return self._resolved[user.sourced_id]
        account = self._member_of.get(user.sourced_id)
        adopted = False
        if account is None:
            candidate = self._by_username.get(user.username)
            if candidate is not None and self.belongs(candidate):
                account, adopted = candidate, True
        key = self._existing(user, account, adopted) if account else self._new(user)
        self._resolved[user.sourced_id] = key
        return key

    # ------------------------------------------------------------------------------------------

    def _wanted(self, user: User) -> dict[str, str]:
        return {
            "username": user.username,
            "first_name": user.preferred_given_name or user.given_name,
            "last_name": user.family_name,
            "email": user.email,
        }

    def _taken(self, username: str, by: Account | None = None) -> bool:
        other = self._by_username.get(username)
        mine = by is not None and other is by
        return (other is not None and not mine) or username in self._claimed

    def _existing(self, user: User, account: Account, adopted: bool) -> str:
        key = f"pk:{account.pk}"
        if key in self.rows and not adopted:
            return key
        wanted = self._wanted(user)
        if wanted["username"] != account.username and self._taken(wanted["username"], account):
            wanted["username"] = account.username  # keep the one it has (a scoped one)
        if not self.belongs(account):
            if any(getattr(account, f) != v for f, v in wanted.items() if f != "username"):
                self.warnings.append(
                    ExportError(
                        USERS,
                        user.row,
                        "username",
                        gettext(
                            "%(username)s: this account also works outside this network; "
                            "its names and email are left as they are."
                        )
                        % {"username": account.username},
                    )
                )
            self.rows[key] = AccountRow(account, {f: getattr(account, f) for f in ACCOUNT_FIELDS})
            return key
        changed = tuple(sorted(f for f, v in wanted.items() if getattr(account, f) != v))
        if "username" in changed:
            self._claimed.add(wanted["username"])
        self.rows[key] = AccountRow(account, wanted, changed)
        if adopted or changed:
            action = "adopt" if adopted else "update"
            self.changes.append(AccountChange(action, user.sourced_id, account.username, changed))
        return key

    def _new(self, user: User) -> str:
        wanted = self._wanted(user)
        username = wanted["username"]
        if self._taken(username):
            scoped = self._scoped(username)
            self.warnings.append(
                ExportError(
                    USERS,
                    user.row,
                    "username",
                    gettext(
                        "Username %(username)r belongs to an account outside this network; this "
                        "person gets an account of their own, %(scoped)r."
                    )
                    % {"username": username, "scoped": scoped},
                )
            )
            wanted["username"] = scoped
        self._claimed.add(wanted["username"])
        key = f"new:{wanted['username']}"
        self.rows[key] = AccountRow(None, wanted)
        return key

    def _scoped(self, username: str) -> str:
        """``<network-slug>.<username>``, with ``-2``, ``-3``... when that is taken too."""
        base = f"{self.network.slug}.{username}"[:MAX_USERNAME]
        taken = (
            set(
                get_user_model()
                .objects.filter(username__startswith=base[: MAX_USERNAME - 4])
                .values_list("username", flat=True)
            )
            | self._claimed
        )
        candidate, n = base, 2
        while candidate in taken:
            suffix = f"-{n}"
            candidate, n = base[: MAX_USERNAME - len(suffix)] + suffix, n + 1
        return candidate
