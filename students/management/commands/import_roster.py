"""``manage.py import_roster``: roster a network from a OneRoster CSV export (zip or folder).

manage.py import_roster --network bay-valley export.zip --dry-run   # what would change
manage.py import_roster --network bay-valley export.zip             # apply, all or nothing
manage.py import_roster --network bay-valley export.zip --dry-run --cohorts-from courses:c-hr
    # exports without homeroom classes: the classes of these courses (or codes:CODE,CODE) are
    # cohorts, for this import and every later one (the network remembers the choice)
"""

import datetime
import io
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from students.models import Network, RosterImport, RosterImportState
from students.oneroster.cohort_sources import CohortSource, CohortSourceError
from students.oneroster.imports import roster_import_run, roster_import_start

STEPS = ("reading", "checking", "applying", "done")
SHOWN_LINES = 50


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD)") from None


def _cohort_source(value: str) -> CohortSource:
    try:
        return CohortSource.parse(value)
    except CohortSourceError as error:
        raise CommandError(f"--cohorts-from: {error}") from None


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
        parser.add_argument(
            "--cohorts-from",
            metavar="homerooms|courses:ID,ID|codes:CODE,CODE",
            help="which classes define cohorts: homeroom classes (the default), the classes of "
            "these courses (sourcedIds) or those with these class codes; the network keeps the "
            "choice for later imports",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        network = Network.objects.filter(slug=opts["network"]).first()
        if network is None:
            raise CommandError(f"--network: no network with slug {opts['network']!r}")
        path = Path(opts["export"])
        # Checked before anything is stored: a bad value changes nothing.
        source = _cohort_source(opts["cohorts_from"]) if opts["cohorts_from"] else None
        content = _export_bytes(path)
        if source is not None and source.store(network):
            self.stdout.write(f"Cohorts now come from {source.describe()}.")
        record = roster_import_start(
            network=network,
            file=content,
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

            ran = roster_import_run(import_id=record.pk, today=opts["today"], progress=progress)
        assert ran is not None  # the row stored just above
        self.summary(ran, shown=opts["show"])

    def summary(self, record: RosterImport, *, shown: int) -> None:
        # The import's number: what to quote when asking about it (its page shows the same).
        self.stdout.write(
            f"Roster import {record.pk}, OneRoster {record.version or '?'}: {record.message}"
        )
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
        self.cohort_candidates(record, shown=shown)
        for error in record.errors[:shown]:
            self.stdout.write(self.style.ERROR(f"  {_where(error)}{error['reason']}"))
        if record.error_count > shown:
            self.stdout.write(f"  ... and {record.error_count - shown} more error(s)")
        if record.state in (RosterImportState.REJECTED, RosterImportState.FAILED):
            raise CommandError(record.message)

    def cohort_candidates(self, record: RosterImport, *, shown: int) -> None:
        """A dry run whose choice places no student lists what could define cohorts."""
        preview = record.cohort_preview or {}
        if not preview or preview.get("students"):
            return
        kind, candidates = (
            ("courses", preview["courses"]) if preview["courses"] else ("codes", preview["codes"])
        )
        placing = [c for c in candidates if c["students"]][: min(shown, 10)]
        if not placing:
            return
        self.stdout.write(
            f"No student is placed by {preview['source']}; classes that could define cohorts "
            "(--cohorts-from):"
        )
        for c in placing:
            label = f" {c['label']!r}" if c["label"] and c["label"] != c["value"] else ""
            overlaps = f", {c['overlaps']} in two at once" if c["overlaps"] else ""
            self.stdout.write(
                f"  {kind}:{c['value']}{label}: {c['classes']} classes, "
                f"{c['students']} students{overlaps}"
            )


def _where(line: dict[str, Any]) -> str:
    parts = [str(line["file"])]
    if line.get("row"):
        parts.append(f"row {line['row']}")
    if line.get("column"):
        parts.append(f"column {line['column']}")
    return ", ".join(parts) + ": "
