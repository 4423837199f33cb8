"""``manage.py migrate`` as the owner role when ``MIGRATE_DATABASE_URL`` is set.

Django's ``migrate``, connecting with ``MIGRATE_DATABASE_URL``'s credentials (to the database
``DATABASE_URL`` names) and, when that role differs from ``DATABASE_URL``'s, running
``grant_app_role`` for the app's role at the end. Unset, it is Django's ``migrate`` unchanged.
"""

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import connections, transaction

from rocketship.db_timeouts import long_statements
from students.db_roles import RoleError, app_role_name, as_owner, grant_app_role


class Command(migrate.Command):
    help = f"{migrate.Command.help} As MIGRATE_DATABASE_URL's role (the owner) when it is set."

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        app_role = app_role_name(alias)
        # A migration's statement (an index on a large table) may take minutes: no time limit.
        with as_owner(alias) as owner, long_statements(alias):
            super().handle(*args, **options)
            owner_role = connections[alias].settings_dict.get("USER")
            if not owner or not app_role or app_role == owner_role:
                return
            try:
                with transaction.atomic(using=alias):
                    report = grant_app_role(app_role, alias=alias)
            except RoleError as error:
                raise CommandError(str(error)) from None
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"Granted {report.role} the app's privileges on {report.tables} tables."
                )
