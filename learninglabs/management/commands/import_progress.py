"""``manage.py import_progress``: import a vendor's CSV progress export with a saved mapping.

    manage.py import_progress --school alder --mapping "i-Ready export" progress.csv [--dry-run]

The file streams (a million rows import in bounded memory); a file with any bad row stores
nothing, lists the bad rows and exits with an error. Without ``--dry-run`` the import is
recorded as a ``ProgressImport`` the school's import pages list.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from learninglabs.imports import (
    ImportOutcome,
    estimate_rows,
    progress_csv_import,
    progress_import_execute,
)
from learninglabs.models import ImportState, ProgressImport, VendorMapping
from students.models import School

# The bar moves every 10,000 rows; the import row's rows_done as often as a page would need.
BAR_EVERY = 10_000
SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import progress records from a vendor's CSV export, all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, with or without a BOM)")
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--mapping", required=True, help="the name of the school's mapping")
        parser.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
        parser.add_argument(
            "--show-errors",
            type=int,
            default=SHOWN_ERRORS,
            help=f"bad rows to print ({SHOWN_ERRORS}); all are kept on the import's row",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        school = School.objects.filter(slug=opts["school"]).first()
        if school is None:
            raise CommandError(f"--school: no school with slug {opts['school']!r}")
        mapping = (
            VendorMapping.objects.select_related("school", "program")
            .filter(school=school, name=opts["mapping"])
            .first()
        )
        if mapping is None:
            names = ", ".join(
                repr(name) for name in school.vendor_mappings.values_list("name", flat=True)
            )
            raise CommandError(
                f"--mapping: {school.name} has no mapping named {opts['mapping']!r} "
                f"(it has: {names or 'none; add one in the admin'})"
            )
        path = Path(opts["file"])
        try:
            file = path.open("rb")
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from None
        with file:
            outcome = self.run(mapping, path, file, dry_run=opts["dry_run"])
        self.summary(outcome, shown=opts["show_errors"])

    def run(self, mapping: VendorMapping, path: Path, file: Any, *, dry_run: bool) -> ImportOutcome:
        total = estimate_rows(file)
        # tqdm rewrites its line with "\r"; the command's wrapper would add a newline per write.
        # Without a terminal (cron, CI, a pipe) it stays silent rather than fill the log.
        with tqdm(total=total, unit="row", file=self.stderr._out, disable=None) as bar:

            def advance(rows: int) -> None:
                bar.update(rows - bar.n)

            if dry_run:
                outcome = progress_csv_import(
                    mapping=mapping,
                    file=file,
                    dry_run=True,
                    on_progress=advance,
                    progress_every=BAR_EVERY,
                )
            else:
                record = ProgressImport.objects.create(
                    school=mapping.school,
                    mapping=mapping,
                    file_name=path.name[:255],
                    state=ImportState.RUNNING,  # claimed by this process (students.jobs)
                    started_at=timezone.now(),
                    attempts=1,
                )
                outcome = progress_import_execute(
                    record=record, file=file, on_progress=advance, progress_every=BAR_EVERY
                )
            bar.update(outcome.rows - bar.n)
        return outcome

    def summary(self, outcome: ImportOutcome, *, shown: int) -> None:
        if outcome.ok:
            self.stdout.write(self.style.SUCCESS(outcome.message))
            return
        for error in outcome.errors[:shown]:
            column = f", column {error.column!r}" if error.column else ""
            self.stderr.write(f"row {error.row}{column}: {error.reason}")
        hidden = outcome.error_count - min(shown, len(outcome.errors))
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more")
        raise CommandError(outcome.message)
