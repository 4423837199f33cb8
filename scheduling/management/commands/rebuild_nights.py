"""``manage.py rebuild_nights``: run the night's rebuild now, watch it finish, print the outcome.

The runs go where the beat's go: to the Celery workers when ``REDIS_URL`` is set, in-process
when it is not (Celery's eager mode then rebuilds each school as its run is queued, so they have
all finished by the time they are started). The command then follows the runs' rows until every
one has finished or ``--timeout`` passes, and exits 1 when any school got no new or unchanged
version (not published, or still running at the timeout): cron and CI see the failure.
"""

from __future__ import annotations

import argparse
import datetime
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from tqdm import tqdm

from scheduling.models import FINISHED_RUN_STATES, Fallback, NightlyRun, RunState
from scheduling.services.nightly import nightly_runs_start
from students.models import School

POLL_SECONDS = 0.5
DEFAULT_TIMEOUT = 30 * 60  # a whole network on a few workers finishes well within it


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--at {value!r}: expected an ISO date-time, e.g. 2026-09-01T02:30-07:00"
        ) from None
    if moment.tzinfo is None:
        # Each school reads the moment in its own zone: a naive time would mean nothing.
        raise CommandError(f"--at {value!r}: give a UTC offset, e.g. 2026-09-01T02:30-07:00")
    return moment


def _positive(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise CommandError(f"--timeout {value!r}: expected a number of seconds") from None
    if seconds <= 0:
        raise CommandError(f"--timeout {value!r}: must be more than 0 seconds")
    return seconds


def schools_named(names: Iterable[str]) -> list[School]:
    """The schools with these slugs or ids, in the order given; CommandError naming the unknown."""
    wanted = list(dict.fromkeys(names))
    ids = [int(n) for n in wanted if n.isdigit()]
    found = list(School.objects.filter(Q(slug__in=wanted) | Q(pk__in=ids)))
    by_name = {s.slug: s for s in found} | {str(s.pk): s for s in found}
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise CommandError(f"--school: no school with slug or id {', '.join(map(repr, missing))}")
    return list({by_name[n].pk: by_name[n] for n in wanted}.values())


class Command(BaseCommand):
    help = (
        "Rebuild and publish the next instructional day of the named schools (or all) now, as "
        "the nightly run does; wait for the runs and print what each one published. Exits 1 "
        "when a school's rebuild published nothing or was still running at the timeout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--school", action="append", metavar="SLUG_OR_ID", help="a school (repeatable)"
        )
        target.add_argument("--all", action="store_true", help="every school")
        parser.add_argument(
            "--wait",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="follow the runs until they finish (default) or only queue them",
        )
        parser.add_argument(
            "--timeout",
            type=_positive,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"stop waiting after this long (default {DEFAULT_TIMEOUT} s); the runs go on",
        )
        parser.add_argument(
            "--at",
            type=_moment,
            metavar="ISO_DATETIME",
            help="rebuild as if it were this moment (with a UTC offset): each school's night "
            "and next instructional day are read from it. For replays and tests; default now",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        began = time.monotonic()
        if opts["all"]:
            schools = list(School.objects.order_by("name"))
        else:
            schools = schools_named(opts["school"])
        started = nightly_runs_start(schools=schools, now=opts["at"])
        ids = [run.pk for run in started.runs]
        wait = opts["wait"]
        if wait and transaction.get_connection().in_atomic_block:
            # The runs are queued when the caller's transaction commits: nothing can finish now.
            self.stderr.write("Inside a transaction: the runs start when it commits; not waiting.")
            wait = False
        if wait:
            runs = self.follow(ids, timeout=opts["timeout"])
        else:
            runs = list(NightlyRun.objects.filter(pk__in=ids).select_related("school", "schedule"))
        self.summary(runs, started.skipped, seconds=time.monotonic() - began)
        if not wait:
            self.stdout.write("Not waiting: the runs carry on; each one's row records how it ends.")
            return
        failed = [r for r in runs if r.state == RunState.FAILED]
        running = [r for r in runs if r.active]
        if failed or running:
            problems = []
            if failed:
                problems.append(f"{len(failed)} not published")
            if running:
                waited = time.monotonic() - began
                problems.append(f"{len(running)} still running after {waited:.0f} s")
            raise CommandError(f"Rebuild incomplete: {', '.join(problems)} (see the table above).")

    def follow(self, ids: list[int], *, timeout: float) -> list[NightlyRun]:
        """Poll the runs' rows until all have finished or ``timeout`` passes; the rows as last
        read. Ctrl-C stops the waiting, not the runs."""
        deadline = time.monotonic() + timeout
        rows = NightlyRun.objects.filter(pk__in=ids)
        # tqdm rewrites its line with "\r"; the command's wrapper would add a newline per write.
        # Without a terminal (cron, CI, a pipe) it stays silent rather than fill the log.
        with tqdm(total=len(ids), unit="school", file=self.stderr._out, disable=None) as bar:
            try:
                while True:
                    done = rows.filter(state__in=FINISHED_RUN_STATES).count()
                    bar.update(done - bar.n)
                    if done == len(ids) or time.monotonic() >= deadline:
                        break
                    time.sleep(POLL_SECONDS)
            except KeyboardInterrupt:
                self.stderr.write("Interrupted: the runs carry on; their state so far:")
        return list(rows.select_related("school", "schedule"))

    def summary(
        self,
        runs: list[NightlyRun],
        skipped: tuple[tuple[School, str], ...],
        *,
        seconds: float,
    ) -> None:
        header = ("school", "date", "state", "seconds", "outcome")
        rows = [self.row(run) for run in sorted(runs, key=lambda r: r.school.name)]
        rows += [(school.name, "", "skipped", "", reason) for school, reason in skipped]
        if rows:
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
            for row in [header, tuple("-" * w for w in [*widths, 7]), *rows]:
                cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
                self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
        states = Counter(run.state for run in runs)
        self.stdout.write(
            f"{states[RunState.PUBLISHED]} published, {states[RunState.UNCHANGED]} unchanged, "
            f"{states[RunState.FAILED]} not published, "
            f"{states[RunState.QUEUED] + states[RunState.RUNNING]} still running, "
            f"{len(skipped)} skipped; wall time {seconds:.1f} s"
        )

    def row(self, run: NightlyRun) -> tuple[str, ...]:
        duration = run.duration_seconds
        return (
            run.school.name,
            f"{run.date:%Y-%m-%d}",
            run.get_state_display().lower(),
            "" if duration is None else f"{duration:.1f}",
            outcome(run),
        )


def outcome(run: NightlyRun) -> str:
    """What the school has for the date after the run, in a line."""
    version = f"v{run.schedule.version}" if run.schedule is not None else ""
    if run.state == RunState.PUBLISHED:
        return f"{version} published"
    if run.state == RunState.UNCHANGED:
        return f"inputs unchanged: {version} stays published"
    if run.state == RunState.FAILED:
        fallbacks: dict[str, str] = {
            Fallback.KEPT: f"{version} stays published",
            Fallback.CARRIED_FORWARD: f"{version} carried forward as a draft",
            Fallback.NOTHING: "no schedule for the date",
        }
        kept = fallbacks.get(run.fallback, "")
        return f"{run.why_not} ({kept})" if kept else run.why_not
    return "still queued" if run.state == RunState.QUEUED else "still running"
