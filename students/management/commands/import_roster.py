"""``manage.py import_roster``: roster a network from a OneRoster CSV export (zip or folder).

manage.py import_roster --network bay-valley export.zip --dry-run   # what would change
manage.py import_roster --network bay-valley export.zip             # apply, all or nothing
"""

import datetime
import io
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from students.models import Network, RosterImport, RosterImportState
from students.oneroster.imports import roster_import_run, roster_import_start

STEPS = ("reading", "checking", "applying", "done")
SHOWN_LINES = 50


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD)") from None


def _export_bytes(path: Path) -> bytes:
    """The export as zip bytes: a zip as it is, a folder's CSV files zipped."""
    if path.is_dir():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for csv_file in sorted(path.glob("*.csv")):
                archive.write(csv_file, csv_file.name)
        return buffer.getvalue()
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None


class Command(BaseCommand):
    help = "Import schools, cohorts, students and staff from a OneRoster CSV export, all or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("export", help="the export: a .zip or a folder of CSV files")
        parser.add_argument("--network", required=True, help="the network's slug")
        parser.add_argument("--dry-run", action="store_true", help="show the changes, make none")
        parser.add_argument("--today", type=_date, help="the import's date (default: today)")
        parser.add_argument(
            "--show", type=int, default=SHOWN_LINES, help="changes and errors to print"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        network = Network.objects.filter(slug=opts["network"]).first()
        if network is None:
            raise CommandError(f"--network: no network with slug {opts['network']!r}")
        path = Path(opts["export"])
        record = roster_import_start(
            network=network,
            file=_export_bytes(path),
            file_name=f"{path.name}.zip" if path.is_dir() else path.name,
            dry_run=opts["dry_run"],
            queue=False,
        )
        # tqdm rewrites its line; without a terminal (cron, CI, a pipe) it stays silent.
        with tqdm(total=len(STEPS) - 1, unit="step", file=self.stderr._out, disable=None) as bar:

            def progress(step: str) -> None:
                bar.set_description(step)
                bar.n = STEPS.index(step) if step in STEPS else bar.n
                bar.refresh()

            record = roster_import_run(import_id=record.pk, today=opts["today"], progress=progress)
        self.summary(record, shown=opts["show"])

    def summary(self, record: RosterImport, *, shown: int) -> None:
        self.stdout.write(f"OneRoster {record.version or '?'}: {record.message}")
        for kind, actions in record.counts.items():
            line = ", ".join(f"{action} {n}" for action, n in sorted(actions.items()))
            self.stdout.write(f"  {kind}: {line}")
        for change in record.changes[:shown]:
            fields = f" ({', '.join(change['fields'])})" if change["fields"] else ""
            self.stdout.write(f"  {change['action']} {change['kind']} {change['label']}{fields}")
        for warning in record.warnings[:shown]:
            self.stdout.write(
                self.style.WARNING(f"  warning: {_where(warning)}{warning['reason']}")
            )
        if len(record.warnings) > shown:
            self.stdout.write(f"  ... and {len(record.warnings) - shown} more warning(s)")
        for error in record.errors[:shown]:
            self.stdout.write(self.style.ERROR(f"  {_where(error)}{error['reason']}"))
        if record.error_count > shown:
            self.stdout.write(f"  ... and {record.error_count - shown} more error(s)")
        if record.state in (RosterImportState.REJECTED, RosterImportState.FAILED):
            raise CommandError(record.message)


def _where(line: dict[str, Any]) -> str:
    parts = [str(line["file"])]
    if line.get("row"):
        parts.append(f"row {line['row']}")
    if line.get("column"):
        parts.append(f"column {line['column']}")
    return ", ".join(parts) + ": "
