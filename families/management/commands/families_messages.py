"""``manage.py families_messages``: regenerate the es and vi catalogs of what families read.

Runs Django's ``makemessages`` over exactly ``families.catalogs.SOURCES`` (the families app
and templates/families/), never the staff apps, keeping existing translations. Needs GNU
gettext (``apt-get install gettext``). Then translate every empty or fuzzy entry: the test
suite fails while one is left (tests/families/test_catalogs.py).
"""

from pathlib import Path
from typing import Any

import polib
from django.core.management.base import BaseCommand, CommandError, CommandParser

from families.catalogs import TRANSLATED, catalog_path, regenerate


class Command(BaseCommand):
    help = "Regenerate locale/{es,vi}/LC_MESSAGES/django.po from the families' code and templates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Write the catalogs under this folder instead of the repository's locale/.",
        )

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        import shutil

        if not shutil.which("xgettext") or not shutil.which("msgmerge"):
            raise CommandError("GNU gettext is needed: apt-get install gettext")
        regenerate(output)
        for language in TRANSLATED:
            catalog = polib.pofile(str(catalog_path(language, output)))
            todo = len(catalog.untranslated_entries()) + len(catalog.fuzzy_entries())
            self.stdout.write(
                f"{language}: {len(catalog)} messages, {todo} to translate "
                f"({catalog_path(language, output)})"
            )
