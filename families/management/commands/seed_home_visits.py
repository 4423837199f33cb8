"""``manage.py seed_home_visits``: the demo network's households, answers, addresses and
teachers' times for visits (``families.visit_demo``). Safe to run again; after ``seed_demo``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from families.visit_demo import seed_home_visits
from students.models import Network


class Command(BaseCommand):
    help = "Give the demo network households, answers and teachers' times for home visits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--network", help="The network's slug (default: every network).")

    def handle(self, *args: Any, network: str | None = None, **options: Any) -> None:
        networks = Network.objects.order_by("pk")
        if network:
            networks = networks.filter(slug=network)
            if not networks.exists():
                raise CommandError(f"No network {network!r}.")
        for each in networks:
            made = seed_home_visits(each, today=timezone.localdate())
            if options["verbosity"] > 0:
                self.stdout.write(
                    f"network {each.pk}: {made.households} households, {made.answered} answered, "
                    f"{made.windows} windows"
                )
