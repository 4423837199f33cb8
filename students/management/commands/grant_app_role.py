"""``manage.py grant_app_role``: give the app's database role exactly what the app needs.

    manage.py grant_app_role --role rocketship_app    # as the owner (MIGRATE_DATABASE_URL)

Run after ``migrate`` by the role that owns the tables (``migrate`` runs it itself when
``MIGRATE_DATABASE_URL`` is set); safe to run again. See ``students.db_roles``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, transaction

from students.db_roles import RoleError, app_role_name, as_owner, grant_app_role


class Command(BaseCommand):
    help = (
        "Grant the app's PostgreSQL role SELECT/INSERT/UPDATE/DELETE on the app's tables "
        "(SELECT/INSERT only on the audit trail), USAGE on sequences and the same on tables "
        "later migrations create; run as the tables' owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role",
            help="The app's role (default: the user of DATABASE_URL).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        role = options["role"] or app_role_name(alias)
        if not role:
            raise CommandError("Name the app's role with --role (DATABASE_URL has no user).")
        with as_owner(alias):
            try:
                with transaction.atomic(using=alias):
                    report = grant_app_role(role, alias=alias)
            except RoleError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"{report.role}: SELECT, INSERT, UPDATE, DELETE on {report.tables} tables of "
            f"{report.schema!r} (granted by {report.owner}); append-only: "
            f"{', '.join(report.append_only) or 'none yet'}; no TRUNCATE, no "
            "session_replication_role."
        )
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
