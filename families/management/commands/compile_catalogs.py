"""``manage.py compile_catalogs``: the ``.mo`` files of ``locale/*/LC_MESSAGES/django.po``.

Like Django's ``compilemessages`` without GNU gettext's msgfmt (polib does it), so ``bin/run``
and ``bin/test`` work on a machine that has no gettext. Only catalogs newer than their ``.mo``
are compiled unless ``--force``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from families.catalogs import compile_catalogs


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/django.po to .mo with polib (no GNU gettext needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile even if up to date.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        written = compile_catalogs(force=force)
        if options["verbosity"] > 0:
            self.stdout.write(f"compiled {len(written)} catalog(s)")
