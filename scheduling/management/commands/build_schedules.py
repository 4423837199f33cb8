"""``manage.py build_schedules``: build (and with --publish, publish) schedules for a date, each
with its lab plan."""

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scheduling.models import LabPlan, Schedule
from scheduling.services.builds import BuildResult, build_job_solve_seconds, schedule_build
from scheduling.solver.stage1 import SolveOptions
from students.errors import DomainError
from students.models import School

# The status column of a school that got no schedule.
NO_SCHEDULE = ("not built", "no schedule")


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Build one school's or every school's schedule for a date, with a summary table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--school", action="append", help="school slug (repeatable)")
        target.add_argument("--all", action="store_true", help="every school")
        parser.add_argument("--publish", action="store_true", help="publish what builds")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help="seconds per school (default: each school's build time limit setting)",
        )
        parser.add_argument("--workers", type=int, default=2, help="CP-SAT search workers")

    def handle(self, *args: Any, **opts: Any) -> None:
        schools = School.objects.order_by("name")
        if not opts["all"]:
            schools = schools.filter(slug__in=opts["school"])
            missing = set(opts["school"]) - set(schools.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"--school: no school with slug {', '.join(sorted(missing))}")
        rows: list[tuple[str, ...]] = []
        for school in schools:
            seconds = opts["time_limit"] or build_job_solve_seconds(school=school)
            options = SolveOptions(time_limit=seconds, workers=opts["workers"])
            self.stdout.write(f"building {school.name} for {opts['date']:%Y-%m-%d} ...")
            began = time.perf_counter()
            try:
                result = schedule_build(
                    school=school, date=opts["date"], publish=opts["publish"], options=options
                )
            except DomainError as error:
                rows.append(
                    (school.name, "not built", "", "", "", "", f"{time.perf_counter() - began:.1f}")
                )
                self.stdout.write(self.style.WARNING(f"  {error}"))
                continue
            rows.append(self.row(school, result, time.perf_counter() - began))
            for reason in result.reasons:
                self.stdout.write(self.style.WARNING(f"  {reason.message} {reason.suggestion}"))
            self.recovery(result)
        self.table(rows)
        # A run that leaves any school without a day fails (exit 1), so cron and scripts notice.
        without = [row[0] for row in rows if row[1] in NO_SCHEDULE]
        if without:
            raise CommandError(
                f"no schedule for {len(without)} of {len(rows)} schools: {', '.join(without)}"
            )

    def recovery(self, result: BuildResult) -> None:
        """With staff out, which recovery option the stored day uses (the best ranked that
        works) and why the day needed one."""
        recovery = result.schedule.recovery if result.schedule is not None else None
        if not recovery:
            return
        self.stdout.write(
            self.style.WARNING(
                f"  absence recovery: option {recovery['rank']} of "
                f"{len(result.recovery_options) or '?'} ({recovery['kind']}): {recovery['summary']}"
            )
        )
        for message in recovery.get("why", []):
            self.stdout.write(f"    because: {message}")

    def row(self, school: School, result: BuildResult, seconds: float) -> tuple[str, ...]:
        schedule = result.schedule
        if schedule is None:
            return (school.name, "no schedule", "", "", "", "", f"{seconds:.1f}")
        stats = schedule.solver_stats
        gap = stats.get("gap")
        status = f"v{schedule.version} {schedule.status}" + (
            " (unchanged)" if result.unchanged else ""
        )
        return (
            school.name,
            status,
            "" if stats.get("objective") is None else f"{stats['objective']:g}",
            "" if gap is None else f"{gap:.1%}",
            "" if schedule.moved_blocks is None else str(schedule.moved_blocks),
            _lab_plan(schedule),
            f"{seconds:.1f}",
        )

    def table(self, rows: list[tuple[str, ...]]) -> None:
        header = ("school", "status", "objective", "gap", "moved", "lab plan", "seconds")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def _lab_plan(schedule: Schedule) -> str:
    plan = LabPlan.objects.filter(schedule=schedule).first()
    if plan is None:
        return "none"
    if plan.complete:
        return "every service minute met"
    return f"{plan.missing_minutes} service minutes short ({len(plan.shortfalls)} services)"
