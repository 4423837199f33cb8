"""The two PostgreSQL roles: the migration owner and the app.

The *owner* (``MIGRATE_DATABASE_URL``) runs ``manage.py migrate``: it owns every table, index,
sequence and trigger. The *app* (``DATABASE_URL``: web servers, workers, beat) holds only what
``grant_app_role`` gives it: SELECT, INSERT, UPDATE and DELETE on the app's tables, USAGE on
their sequences, and on the append-only tables (the audit trail) SELECT and INSERT alone. It owns
nothing, so it cannot ALTER a table (disable the audit trigger); it is no superuser and holds no
``SET`` on ``session_replication_role``, so it cannot switch triggers off for its session; it has
no TRUNCATE on any table. Default privileges give it the same on tables later migrations create.

On SQLite (local development) there are no roles: nothing here applies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dj_database_url
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .models import AuditEvent

# Tables the app may read and append to, never change: the audit trail, and Django's record of
# applied migrations (only the owner's ``migrate`` writes it).
APPEND_ONLY_TABLES: tuple[str, ...] = (AuditEvent._meta.db_table,)
READ_ONLY_TABLES: tuple[str, ...] = ("django_migrations",)
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Switches triggers (the audit trail's and every foreign key's) off for a session.
GUARDED_PARAMETER = "session_replication_role"
_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class RoleError(Exception):
    """The app role cannot be granted safely; the message says why and what to run."""


@dataclass
class GrantReport:
    role: str
    owner: str
    schema: str
    tables: int = 0
    append_only: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@contextlib.contextmanager
def as_owner(alias: str = "default") -> Iterator[bool]:
    """While inside, connection ``alias`` logs in as the owner of ``MIGRATE_DATABASE_URL`` (to
    the same database: its name is kept, so a test database stays the test database); yields
    whether it does. Unset, nothing changes."""
    url = getattr(settings, "MIGRATE_DATABASE_URL", "")
    connection = connections[alias]
    if not url or connection.vendor != "postgresql":
        yield False
        return
    owner = dj_database_url.parse(url)
    saved = {key: connection.settings_dict.get(key) for key in _CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in _CREDENTIALS})
    try:
        yield True
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def app_role_name(alias: str = "default") -> str:
    """The role ``DATABASE_URL`` logs in as (read outside ``as_owner``)."""
    return str(connections[alias].settings_dict.get("USER") or "")


def _one(connection: BaseDatabaseWrapper, sql: str, params: list[Any] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def grant_app_role(role: str, *, alias: str = "default") -> GrantReport:
    """Give ``role`` the app's privileges on the connection's database and schema, granted by
    the connected role (the owner); idempotent. Raises ``RoleError`` when ``role`` is missing,
    a superuser, the owner itself or owns tables (it could then undo every limit)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise RoleError("Database roles exist only on PostgreSQL; SQLite has nothing to grant.")
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_database()")
        owner, schema, database = cursor.fetchone()
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, pg_has_role(%s, current_user, 'USAGE') "
            "FROM pg_roles WHERE rolname = %s",
            [role, role],
        )
        found = cursor.fetchone()
    if found is None:
        raise RoleError(
            f"There is no role {role!r}. Create it first, e.g. as a superuser: "
            f"CREATE ROLE {role} LOGIN PASSWORD '...';"
        )
    superuser, bypass_rls, member_of_owner = found
    if superuser:
        raise RoleError(f"{role!r} is a superuser: the app's role must not be one.")
    if role == owner or member_of_owner:
        raise RoleError(
            f"{role!r} is (or is a member of) {owner!r}, the role running this command: the "
            "app's role must be a separate role, not the tables' owner."
        )
    owned = _one(
        connection,
        "SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S', 'v', 'm') "
        "AND pg_has_role(%s, c.relowner, 'USAGE')",
        [schema, role],
    )
    if owned:
        raise RoleError(
            f"{role!r} owns tables in {schema!r} ({str(owned)[:200]}): as their owner it could "
            f"disable triggers. As a superuser run: REASSIGN OWNED BY {role} TO {owner}; "
            "then this command again."
        )

    report = GrantReport(role=role, owner=owner, schema=schema)
    r, s = q(role), q(schema)
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {r}",
        # What an earlier grant may have given: never TRUNCATE, REFERENCES or TRIGGER.
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        # Tables and sequences the owner creates later (the next migrations) get the same.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {s} "
        f"GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    existing = set(connection.introspection.table_names())
    for table in (*APPEND_ONLY_TABLES, *READ_ONLY_TABLES):
        if table not in existing:
            continue
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {q(table)} FROM {r}")
        if table in APPEND_ONLY_TABLES:
            report.append_only.append(table)
        else:
            statements.append(f"REVOKE INSERT ON {q(table)} FROM {r}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [schema],
        )
        report.tables = cursor.fetchone()[0]

    if connection.pg_version >= 150000 and _one(  # type: ignore[attr-defined]
        connection, "SELECT has_parameter_privilege(%s, %s, 'SET')", [role, GUARDED_PARAMETER]
    ):
        raise RoleError(
            f"{role!r} may set {GUARDED_PARAMETER} (it switches the audit trail's trigger off). "
            f"As a superuser run: REVOKE SET ON PARAMETER {GUARDED_PARAMETER} FROM {role};"
        )
    if bypass_rls:
        report.warnings.append(f"{role!r} has BYPASSRLS; the app does not need it.")
    if _one(connection, "SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema]):
        report.warnings.append(
            f"{role!r} may create tables in {schema!r} (PostgreSQL before 15 lets every role); "
            f"the app does not need it: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;"
        )
    return report
