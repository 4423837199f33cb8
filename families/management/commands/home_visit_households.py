"""``manage.py home_visit_households [--network SLUG]``: group each network's guardians into
households from the roster (``families.households.households_from_roster``). Safe to run again;
run it after a roster import."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from families.households import households_from_roster
from students.models import Network


class Command(BaseCommand):
    help = "Group guardians into households for home visits, from the roster."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--network", help="Only this network (its slug).")

    def handle(self, *args: Any, network: str | None = None, **options: Any) -> None:
        networks = Network.objects.order_by("pk")
        if network:
            networks = networks.filter(slug=network)
        for each in networks:
            sync = households_from_roster(each)
            if options["verbosity"] > 0:
                self.stdout.write(
                    f"network {each.pk}: {sync.created} created, {sync.moved} moved, "
                    f"{sync.deleted} deleted"
                )
