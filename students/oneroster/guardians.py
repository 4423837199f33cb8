"""Who in an export is a guardian: users with the roles parent, guardian or relative. They
become ``Guardian`` records of the network, never staff (see ``plan.guardians``, which plans
them, and ``apply.guardians``, which writes them)."""

from __future__ import annotations

from .records import User

# The first one a user holds names the relationship.
GUARDIAN_ROLES: tuple[str, ...] = ("parent", "guardian", "relative")


def guardian_role(user: User) -> str | None:
    """The relationship of a user holding a guardian role, else None."""
    held = {role.role for role in user.roles}
    return next((role for role in GUARDIAN_ROLES if role in held), None)
