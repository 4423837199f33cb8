"""The reads behind a leader's pages: the principal's morning and the school's recent nights.

The principal's morning (``morning_of``): what a leader reads at 7:45 about today and the next
school day. For each of the two days: the published version (when and by whom it was built), last
night's rebuild and whose day it changed, the staff who are out and how each is covered, the service
minutes the lab plan could not meet, and a newer draft waiting for review. For the school: the
students furthest behind in the Learning Lab, every draft waiting for review and the builds still
under way.

Reads only, in a fixed number of queries whatever the number of absences, cohorts, students or
versions (``MORNING_QUERIES`` at most). Student names come only for the students the viewer may
see; the caller audits the read (``Morning.students_read``). Everything here is in the
school's words: no solver status, score or constraint code.

The nightly runs (``nightly_runs_page``, ``nightly_runs``): a school's recent nights for its
leaders' page, and the runs the API lists.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from learninglabs.models import Subject
from learninglabs.pace import BEHIND_BELOW, need_scores
from students.models import School, Student
from students.permissions import AnyUser
from students.scoping import scope_for_user

from ..models import (
    ACTIVE_BUILD_STATES,
    BuildJob,
    CalendarDay,
    LabPlan,
    NightlyRun,
    RunState,
    Schedule,
    ScheduledBlock,
    ScheduleStatus,
    StaffAbsence,
)
from .problem import next_instructional_day
from .recovery import KIND_LABELS
from .schedule_changes import ScheduleChanges, schedule_changes

# A leader acts on a handful of names; the progress pages rank every student.
FURTHEST_BEHIND = 5
# A subject's need at which a student counts as behind in it: their work is below
# ``BEHIND_BELOW`` of its goal, as the progress pages say "Behind".
BEHIND_NEED = round(1 - BEHIND_BELOW, 4)
WAITING_SHOWN = 10
BUILDING_SHOWN = 5
# Calendar (2), published versions, rebuilds, what two rebuilds changed (2), absences, absent
# staff's blocks, drafts waiting, builds under way, need scores (5), the students behind.
MORNING_QUERIES = 16


class Cover:
    """How an absence is covered on the day's published version."""

    NO_SCHEDULE = "no_schedule"  # nothing is published for the day yet
    RECOVERED = "recovered"  # the version uses a recovery option for this person
    NOT_COVERED = "not_covered"  # the version still gives them blocks while they are away
    NOT_NEEDED = "not_needed"  # the version gives them no block while they are away


@dataclass(frozen=True)
class AbsenceCover:
    absence: StaffAbsence
    how: str  # a ``Cover`` value
    kind: str = ""  # the recovery option's kind, in school words (RECOVERED)
    by: tuple[str, ...] = ()  # who stands in: the substitute, or each person covering
    blocks_left: int = 0  # the version's blocks for them while away (NOT_COVERED)


@dataclass(frozen=True)
class Shortfall:
    """Service minutes a day's lab plan cannot meet."""

    students: int
    minutes: int


@dataclass(frozen=True)
class MorningDay:
    date: datetime.date
    school_day: bool  # instructional, with a day type
    note: str  # the calendar's note (a holiday's name)
    published: Schedule | None
    rebuild: NightlyRun | None  # the latest rebuild of this date
    changes: ScheduleChanges | None  # whose day the rebuild's version changed
    absences: tuple[AbsenceCover, ...]
    shortfall: Shortfall | None  # None: no plan, or every service minute met
    waiting: Schedule | None  # a newer draft of the day waiting for review


@dataclass(frozen=True)
class BehindStudent:
    student: Student
    subjects: tuple[str, ...]  # where they are behind, furthest first


@dataclass(frozen=True)
class Morning:
    days: tuple[MorningDay, ...]  # today, then the next instructional day when there is one
    furthest_behind: tuple[BehindStudent, ...]
    waiting: tuple[Schedule, ...]  # drafts from today on, each its date's newest version
    building: tuple[BuildJob, ...]  # builds still queued or running

    @property
    def students_read(self) -> tuple[Student, ...]:
        """The student records the morning names (for the audit trail)."""
        return tuple(row.student for row in self.furthest_behind)


def morning_of(*, school: School, user: AnyUser, today: datetime.date) -> Morning:
    """The morning of ``school`` on ``today`` (a school date) as ``user`` may read it."""
    calendar = CalendarDay.objects.filter(school=school, date=today).first()
    after = next_instructional_day(school=school, after=today)
    dates = [today] if after is None else [today, after]
    published = {
        s.date: s
        for s in Schedule.objects.filter(
            school=school, date__in=dates, status=ScheduleStatus.PUBLISHED
        ).select_related("built_by", "built_by_client", "lab_plan")
    }
    rebuilds = _latest_rebuilds(school, dates)
    absences = list(
        StaffAbsence.objects.filter(school=school, date__in=dates)
        .select_related("staff__user")
        .order_by("date", "staff__user__last_name", "staff__user__first_name", "pk")
    )
    busy = _blocks_while_away(absences, published)
    waiting = _waiting_for_review(school, today)
    days = tuple(
        _day(
            date,
            # The next day is a school day by its choice; today is one when its calendar says so.
            school_day=date != today or _is_school_day(calendar),
            note=calendar.note if calendar is not None and date == today else "",
            published=published.get(date),
            rebuild=rebuilds.get(date),
            absences=[a for a in absences if a.date == date],
            busy=busy,
            waiting=next((s for s in waiting if s.date == date), None),
        )
        for date in dates
    )
    return Morning(
        days=days,
        furthest_behind=_furthest_behind(school, user, today),
        waiting=tuple(waiting[:WAITING_SHOWN]),
        building=tuple(
            BuildJob.objects.filter(school=school, state__in=ACTIVE_BUILD_STATES)
            .select_related("requested_by", "requested_by_client")
            .order_by("-created_at", "-pk")[:BUILDING_SHOWN]
        ),
    )


def _is_school_day(calendar: CalendarDay | None) -> bool:
    return calendar is not None and calendar.instructional and calendar.day_type_id is not None


def _day(
    date: datetime.date,
    *,
    school_day: bool,
    note: str,
    published: Schedule | None,
    rebuild: NightlyRun | None,
    absences: Sequence[StaffAbsence],
    busy: Mapping[tuple[int, int], Sequence[tuple[datetime.time, datetime.time]]],
    waiting: Schedule | None,
) -> MorningDay:
    changes = None
    if rebuild is not None and rebuild.state == RunState.PUBLISHED and rebuild.schedule:
        changes = schedule_changes(draft=rebuild.schedule, published=rebuild.baseline)
    return MorningDay(
        date=date,
        school_day=school_day,
        note=note,
        published=published,
        rebuild=rebuild,
        changes=changes,
        absences=tuple(_cover(a, published, busy) for a in absences),
        shortfall=_shortfall(published),
        waiting=waiting,
    )


def _latest_rebuilds(
    school: School, dates: Sequence[datetime.date]
) -> dict[datetime.date, NightlyRun]:
    """Each date's latest rebuild (a run by hand after the nightly one counts): one query."""
    runs = (
        NightlyRun.objects.filter(school=school, date__in=dates)
        .select_related("schedule", "baseline", "started_by")
        .order_by("-night", "-queued_at", "-pk")
    )
    latest: dict[datetime.date, NightlyRun] = {}
    for run in runs:
        latest.setdefault(run.date, run)
    return latest


def _blocks_while_away(
    absences: Sequence[StaffAbsence], published: Mapping[datetime.date, Schedule]
) -> dict[tuple[int, int], list[tuple[datetime.time, datetime.time]]]:
    """(schedule id, staff id) -> the spans of the absent staff's blocks on the published
    versions of their dates: one query, none without absences."""
    schedules = [published[a.date].pk for a in absences if a.date in published]
    if not schedules:
        return {}
    rows = ScheduledBlock.objects.filter(
        schedule__in=schedules, staff__in={a.staff_id for a in absences}
    ).values_list("schedule_id", "staff_id", "start", "end")
    spans: dict[tuple[int, int], list[tuple[datetime.time, datetime.time]]] = {}
    for schedule_id, staff_id, start, end in rows:
        spans.setdefault((schedule_id, staff_id), []).append((start, end))
    return spans


def _cover(
    absence: StaffAbsence,
    published: Schedule | None,
    busy: Mapping[tuple[int, int], Sequence[tuple[datetime.time, datetime.time]]],
) -> AbsenceCover:
    if published is None:
        return AbsenceCover(absence, Cover.NO_SCHEDULE)
    record = published.recovery if isinstance(published.recovery, Mapping) else None
    if record and absence.staff_id in _absent_in(record):
        return AbsenceCover(
            absence,
            Cover.RECOVERED,
            kind=str(KIND_LABELS.get(str(record.get("kind")), _("A recovery option"))),
            by=_standing_in(record),
        )
    away_from, away_until = absence.covers()
    left = sum(
        1
        for start, end in busy.get((published.pk, absence.staff_id), ())
        if start < away_until and end > away_from
    )
    if left:
        return AbsenceCover(absence, Cover.NOT_COVERED, blocks_left=left)
    return AbsenceCover(absence, Cover.NOT_NEEDED)


def _absent_in(record: Mapping[str, Any]) -> set[int]:
    recovery = record.get("recovery")
    absent = recovery.get("absent", []) if isinstance(recovery, Mapping) else []
    return {int(staff) for staff in absent if isinstance(staff, int | str) and str(staff).isdigit()}


def _standing_in(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The substitutes a recovery brings in, then each present person covering and how long."""
    recovery = record.get("recovery")
    added = recovery.get("staff_added", []) if isinstance(recovery, Mapping) else []
    names = [
        _("%(name)s (substitute)") % {"name": member["name"]}
        for member in added
        if isinstance(member, Mapping) and member.get("name")
    ]
    substitutes = {m.get("id") for m in added if isinstance(m, Mapping)}
    names += [
        _("%(name)s, %(minutes)s minutes") % {"name": row["name"], "minutes": row["minutes"]}
        for row in record.get("cover", []) or []
        if isinstance(row, Mapping) and row.get("name") and row.get("staff") not in substitutes
    ]
    return tuple(names)


def _shortfall(published: Schedule | None) -> Shortfall | None:
    if published is None:
        return None
    try:
        plan: LabPlan = published.lab_plan
    except ObjectDoesNotExist:
        return None
    if plan.complete:
        return None
    students = {row.get("student") for row in plan.shortfalls if isinstance(row, Mapping)}
    return Shortfall(students=len(students), minutes=plan.missing_minutes)


def _waiting_for_review(school: School, today: datetime.date) -> list[Schedule]:
    """Drafts from ``today`` on that are their date's newest version (nothing built or
    published after them), soonest date first: one query."""
    newer = Schedule.objects.filter(
        school=OuterRef("school"), date=OuterRef("date"), version__gt=OuterRef("version")
    )
    return list(
        Schedule.objects.filter(school=school, status=ScheduleStatus.DRAFT, date__gte=today)
        .exclude(Exists(newer))
        .select_related("built_by", "built_by_client")
        .order_by("date", "-version")
    )


def _furthest_behind(
    school: School, user: AnyUser, today: datetime.date
) -> tuple[BehindStudent, ...]:
    """The students with the largest need in any subject, among those behind in one and those
    ``user`` may see: six queries at most."""
    needs = need_scores(school_id=school.pk, date=today)
    ranked = sorted(
        ((max(subjects.values()), sid) for sid, subjects in needs.items() if subjects),
        key=lambda pair: (-pair[0], pair[1]),
    )
    top = [sid for need, sid in ranked if need >= BEHIND_NEED][:FURTHEST_BEHIND]
    if not top:
        return ()
    visible = {
        s.pk: s
        for s in scope_for_user(Student.objects.filter(pk__in=top), user).select_related(
            "cohort", "grade"
        )
    }
    return tuple(
        BehindStudent(visible[sid], _subjects_behind(needs[sid].items()))
        for sid in top
        if sid in visible
    )


def _subjects_behind(needs: Iterable[tuple[str, float]]) -> tuple[str, ...]:
    behind = sorted(((need, code) for code, need in needs if need >= BEHIND_NEED), reverse=True)
    return tuple(_subject_label(code) for _need, code in behind)


def _subject_label(code: str) -> str:
    try:
        return str(Subject(code).label)
    except ValueError:
        return code


# -- the nightly runs: a school's recent nights for its leaders' page, and the runs the API
# lists; each in a fixed number of queries however many runs there are.

# Two school weeks and their weekends: enough to see a pattern (the same failure every night)
# without a page that grows all year.
NIGHTS_PER_PAGE = 14


@dataclass(frozen=True)
class Night:
    night: datetime.date
    runs: tuple[NightlyRun, ...]  # newest first: a manual re-run above the nightly one


@dataclass(frozen=True)
class NightsPage:
    nights: tuple[Night, ...]  # newest night first
    older: datetime.date | None  # pass as ``before`` for the next, older page; None at the end

    @property
    def runs(self) -> tuple[NightlyRun, ...]:
        return tuple(run for night in self.nights for run in night.runs)


def nightly_runs() -> QuerySet[NightlyRun]:
    """Every run with what a listing prints (its school, the version it names, the day a draft
    was carried forward from, who started it by hand), newest night first, in a stable order.
    Not scoped: callers narrow it to what the user may see."""
    return NightlyRun.objects.select_related(
        "school", "schedule__carried_forward_from", "started_by"
    ).order_by("-night", "school_id", "-queued_at", "-pk")


def nightly_runs_page(
    *,
    school: School,
    night: datetime.date | None = None,
    before: datetime.date | None = None,
    per_page: int = NIGHTS_PER_PAGE,
) -> NightsPage:
    """The school's runs of one ``night``, or of its ``per_page`` latest nights with a run
    (before ``before`` when given), grouped by night. Two queries."""
    runs = nightly_runs().filter(school=school)
    if night is not None:
        nights = [night]
        older = None
    else:
        earlier = runs if before is None else runs.filter(night__lt=before)
        # One more than a page: whether an older page exists, without counting them all.
        found = list(
            earlier.order_by("-night").values_list("night", flat=True).distinct()[: per_page + 1]
        )
        nights = found[:per_page]
        older = nights[-1] if len(found) > per_page else None
    by_night: dict[datetime.date, list[NightlyRun]] = {day: [] for day in nights}
    if nights:
        for run in runs.filter(night__in=nights):
            by_night[run.night].append(run)
    return NightsPage(
        nights=tuple(Night(day, tuple(found_runs)) for day, found_runs in by_night.items()),
        older=older,
    )
