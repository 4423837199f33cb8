"""The staff's login accounts, created or changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from ...accounts import account_email_change
from ..staff_accounts import ACCOUNT_FIELDS, AccountRow

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..staff_accounts import Account


def _apply_accounts(
    rows: dict[str, AccountRow], *, by: User | None, via: str
) -> dict[str, Account]:
    """Create the new accounts (no usable password until their owner sets one) and change
    the existing ones, in two queries; each email change goes through
    ``account_email_change`` (audited, the old address told once the import commits)."""
    users = get_user_model()
    new: list[Account] = []
    changed: list[Account] = []
    accounts: dict[str, Account] = {}
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
