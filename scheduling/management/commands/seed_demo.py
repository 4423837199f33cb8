"""``manage.py seed_demo``: build the Bay Valley demo network (see ``rocketship.demo``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rocketship import demo


class Command(BaseCommand):
    help = (
        "Create the demo network 'Bay Valley Public Schools' (two schools, 900 students, staff "
        f"and one login per role, password {demo.DEMO_PASSWORD!r}). Safe to run again: rows "
        "already present are left as they are. Refuses to run when settings.HTTPS is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing but errors.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though settings.HTTPS is on (a throwaway staging site only).",
        )

    def handle(self, *args: Any, quiet: bool, force: bool, **options: Any) -> None:
        progress = None if quiet else self.stdout.write
        try:
            result = demo.seed_demo_network(force=force, progress=progress)
        except demo.DemoSeedRefused as refused:
            raise CommandError(str(refused)) from refused
        if not quiet:
            for line in demo.format_logins(logins=result.logins):
                self.stdout.write(line)
