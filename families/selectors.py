"""What a family page shows of one child, read-only, as frozen dataclasses in plain words.

Everything here is about one child and nobody else: a Learning Lab group is shown by its adult,
place and time, never by who else is in it. The schedule is read through the student-day
selector of the API (``scheduling.selectors.api.student_day``), the changes through
``scheduling.selectors.schedule_changes``, the lab minutes through ``learninglabs.pace``: this
module only puts them in a family's words. Words are translated when a function runs, so call it
with the family's language active (``families.language`` does that for family URLs).

The callers decide access (``families.access.child_or_404``) and audit the reads; the records a
function read beyond the child (service needs) come back in ``records``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from learninglabs.pace import DayProgress, Status, pace_status, student_progress, weekly_totals
from rocketship.charts import Box, Scale, ValueChart, bars, chart_date, headroom_top
from scheduling.models import (
    ActivityKind,
    LabSegment,
    Schedule,
    ScheduleStatus,
    StationCode,
    minutes_of,
)
from scheduling.selectors.api import StudentBlock, StudentSegment, student_day
from scheduling.selectors.rosters import week_of
from scheduling.selectors.schedule_changes import BlockView, schedule_changes
from students.models import ServiceKind, ServiceNeed, Student

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What each part of the day is called on a family page: short, and no staff shorthand.
# Keyed by str: a field's stored value finds its TextChoices member's entry.
STATION_WORDS: dict[str, StrOrPromise] = {
    StationCode.LAUNCH: gettext_lazy("Morning launch"),
    StationCode.LITERACY: gettext_lazy("Literacy"),
    StationCode.MATH: gettext_lazy("Math"),
    StationCode.LAB: gettext_lazy("Learning Lab"),
    StationCode.FLEX: gettext_lazy("Flexible block"),
    StationCode.ELD: gettext_lazy("English language development"),
    StationCode.SPECIALS: gettext_lazy("Specials (PE, art, music)"),
    StationCode.LUNCH: gettext_lazy("Lunch"),
    StationCode.RECESS: gettext_lazy("Recess"),
}
# A tutoring group by its subject ("literacy", "math" in LabGroup.subject and LabSegment.subject).
TUTORING_WORDS = {
    "literacy": gettext_lazy("Reading group"),
    "math": gettext_lazy("Math group"),
}
SERVICE_WORDS: dict[str, StrOrPromise] = {
    ServiceKind.IEP: gettext_lazy("Learning support"),
    ServiceKind.ELD: gettext_lazy("English language development"),
    ServiceKind.INTERVENTION: gettext_lazy("Extra help"),
}
# The progress chart's weeks at most: ``learninglabs.pace.student_progress`` loads this many.
MAX_WEEKS = 8


def station_words(code: str) -> str:
    return str(STATION_WORDS.get(code, code))


def weekday_name(date: datetime.date) -> str:
    """The day's name in the active language (Django's own translations)."""
    return str(WEEKDAYS[date.weekday()])


# --- a day --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabSession:
    """One stretch of the child's lab or flexible block, in a sentence."""

    start: datetime.time
    end: datetime.time
    kind: str  # ActivityKind: program, tutoring or service
    words: str  # "Lexia Core5 (Literacy) on the computer", "Reading group with Mr. Diaz in Room 12"
    program: str  # the program's name, or ""
    adult: str  # who leads the group, or ""
    place: str  # where, or "" for the block's own room


@dataclass(frozen=True)
class ChildBlock:
    start: datetime.time
    end: datetime.time
    station: str
    activity: str  # the station in plain words
    teacher: str
    room: str
    sessions: tuple[LabSession, ...]
    changed: bool  # differs from the version the family saw yesterday

    @property
    def is_break(self) -> bool:
        return self.station in (StationCode.LUNCH, StationCode.RECESS)


@dataclass(frozen=True)
class ChildDay:
    child_id: int
    school_id: int
    date: datetime.date
    weekday: str
    enrolled: bool
    published: bool
    version: int | None
    blocks: tuple[ChildBlock, ...]
    # The blocks of yesterday's version that are not so any more ("Math was at 1:30").
    gone: tuple[ChildBlock, ...] = ()

    @property
    def changed(self) -> bool:
        return any(b.changed for b in self.blocks) or bool(self.gone)


def _session_words(segment: StudentSegment) -> tuple[str, str, str]:
    """(sentence, adult, place) of one session of the child's lab plan."""
    place = segment.place.name if segment.place else ""
    adult = segment.group.staff.name if segment.group else ""
    if segment.activity == ActivityKind.PROGRAM:
        if segment.program is None:
            return _("Free time in the lab"), "", place
        return (
            _("%(program)s on the computer") % {"program": segment.program.name},
            "",
            place,
        )
    if segment.activity == ActivityKind.TUTORING:
        what = str(TUTORING_WORDS.get(segment.subject or "", gettext_lazy("Small group")))
    else:
        kind = segment.service.kind if segment.service else ""
        what = str(SERVICE_WORDS.get(kind, gettext_lazy("Small group")))
    if adult and place:
        words = _("%(activity)s with %(adult)s in %(place)s") % {
            "activity": what,
            "adult": adult,
            "place": place,
        }
    elif adult:
        words = _("%(activity)s with %(adult)s") % {"activity": what, "adult": adult}
    else:
        words = what
    return words, adult, place


def _session(segment: StudentSegment) -> LabSession:
    words, adult, place = _session_words(segment)
    return LabSession(
        start=segment.start.time(),
        end=segment.end.time(),
        kind=segment.activity,
        words=words,
        program=segment.program.name if segment.program else "",
        adult=adult,
        place=place,
    )


def _block(block: StudentBlock, changed: set[tuple]) -> ChildBlock:
    start, end = block.start.time(), block.end.time()
    return ChildBlock(
        start=start,
        end=end,
        station=block.station,
        activity=station_words(block.station),
        teacher=", ".join(s.name for s in block.staff),
        room=block.room.name if block.room else "",
        sessions=tuple(_session(s) for s in block.segments),
        changed=(block.station, start, end) in changed,
    )


def _family_view(child: Student) -> Student:
    """``child`` as their own family reads them: their service sessions with the adult and
    the place (the API hides those from staff who may not see the student's services)."""
    child.services_visible = True  # type: ignore[attr-defined]
    return child


def child_day(
    child: Student, date: datetime.date, *, now: datetime.datetime | None = None
) -> ChildDay:
    """``child``'s published day on ``date``: their cohort's blocks in order, each with its
    teacher and room, the lab and flexible blocks with the child's sessions, and the blocks
    that changed since yesterday marked. ``child`` comes with its school and cohort loaded."""
    day = student_day(student=_family_view(child), date=date)
    changes = changes_since_yesterday(child, date, now=now) if day.published else None
    moved = {(b.station, b.start, b.end) for b in changes.moved} if changes else set()
    return ChildDay(
        child_id=child.pk,
        school_id=child.school_id,
        date=date,
        weekday=weekday_name(date),
        enrolled=day.enrolled,
        published=day.published,
        version=day.version,
        blocks=tuple(_block(b, moved) for b in day.blocks),
        gone=tuple(_was(b) for b in changes.gone) if changes else (),
    )


def _was(block: BlockView) -> ChildBlock:
    """A block of yesterday's version, as the family saw it then."""
    return ChildBlock(
        start=block.start,
        end=block.end,
        station=block.station,
        activity=station_words(block.station),
        teacher=block.other,
        room=block.room,
        sessions=(),
        changed=True,
    )


def next_published_day(child: Student, today: datetime.date) -> datetime.date | None:
    """The first date from ``today`` on, within a week, with a published day at the child's
    school: what a family opening the page on a weekend or an evening wants to see. One query."""
    return (
        Schedule.objects.filter(
            school_id=child.school_id,
            status=ScheduleStatus.PUBLISHED,
            date__gte=today,
            date__lte=today + datetime.timedelta(days=7),
        )
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )


def child_week(
    child: Student, monday: datetime.date, *, now: datetime.datetime | None = None
) -> tuple[ChildDay, ...]:
    """Monday to Friday of the week starting ``monday`` (any day of it will do)."""
    return tuple(child_day(child, day, now=now) for day in week_of(monday))


# --- what changed since yesterday ---------------------------------------------------------------


@dataclass(frozen=True)
class ChildChanges:
    compared_with: int | None  # the version compared with; None: nothing to compare
    moved: tuple[BlockView, ...] = ()  # today's blocks that were not so yesterday
    gone: tuple[BlockView, ...] = ()  # yesterday's blocks that are not so today


def _start_of_today(child: Student, now: datetime.datetime | None) -> datetime.datetime:
    moment = timezone.localtime(now or timezone.now(), timezone=child.school.zone)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _baseline(current: Schedule, *, since: datetime.datetime) -> Schedule | None:
    """The version of the same date the family saw before ``since`` (yesterday's), or, when
    the date was first published after it, the version published before ``current``.
    ``None`` when ``current`` was already published then: nothing changed since."""
    if current.published_at is not None and current.published_at < since:
        return None
    earlier = (
        Schedule.objects.filter(
            school_id=current.school_id, date=current.date, published_at__isnull=False
        )
        .exclude(pk=current.pk)
        .exclude(status=ScheduleStatus.DRAFT)
    )
    return (
        earlier.filter(published_at__lt=since).order_by("-published_at", "-version").first()
        or earlier.filter(version__lt=current.version).order_by("-version").first()
    )


def changes_since_yesterday(
    child: Student, date: datetime.date, *, now: datetime.datetime | None = None
) -> ChildChanges:
    """The blocks of ``child``'s cohort on ``date`` that the published version moved against
    the version published for that date by yesterday (or the previous version of the date,
    when there was none yesterday), as ``scheduling.selectors.schedule_changes`` compares them."""
    current = Schedule.objects.filter(
        school_id=child.school_id, date=date, status=ScheduleStatus.PUBLISHED
    ).first()
    if current is None or child.cohort_id is None:
        return ChildChanges(compared_with=None)
    baseline = _baseline(current, since=_start_of_today(child, now))
    if baseline is None:
        return ChildChanges(compared_with=None)
    changes = schedule_changes(draft=current, published=baseline)
    mine = next((c for c in changes.cohorts if c.id == child.cohort_id), None)
    if mine is None:
        return ChildChanges(compared_with=baseline.version)
    return ChildChanges(
        compared_with=baseline.version,
        moved=tuple(b for b in mine.after if b.changed),
        gone=tuple(b for b in mine.before if b.changed),
    )


# --- Learning Lab minutes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramMinutes:
    name: str
    subject: str
    minutes: int  # this week
    goal: int  # a week
    status: str  # learninglabs.pace.Status


@dataclass(frozen=True)
class WeekMinutes:
    start: datetime.date  # the Monday
    minutes: int


@dataclass(frozen=True)
class LabProgress:
    as_of: datetime.date
    minutes: int  # this week, every program together
    goal: int  # a week, every program together; 0: no goal set
    expected: float  # the goal pro-rated to the days of the week gone by
    status: str | None  # learninglabs.pace.Status; None without a goal
    sentence: str
    weeks: tuple[WeekMinutes, ...]  # oldest first; the last is this week
    programs: tuple[ProgramMinutes, ...]


STATUS_SENTENCES = {
    Status.ON_TRACK: gettext_lazy("On track: %(minutes)s of %(goal)s minutes this week"),
    Status.BEHIND: gettext_lazy("Behind: %(minutes)s of %(goal)s minutes this week"),
    Status.AHEAD: gettext_lazy("Ahead: %(minutes)s of %(goal)s minutes this week"),
}
STATUS_WORDS = {
    Status.ON_TRACK: gettext_lazy("On track"),
    Status.BEHIND: gettext_lazy("Behind"),
    Status.AHEAD: gettext_lazy("Ahead"),
}


def lab_progress(
    child: Student, weeks: int = 6, *, as_of: datetime.date | None = None
) -> LabProgress:
    """This week's lab minutes against the goal, every program together, with the minutes of
    each of the last ``weeks`` weeks (at most ``MAX_WEEKS``) and one sentence on how it goes.
    The status is the staff pages' (``learninglabs.pace``) on the minutes: the week's minutes
    against the goal pro-rated to the days gone by. Four queries."""
    today = as_of or timezone.localdate(timezone=child.school.zone)
    rows = student_progress(student=child, date=today)
    by_date: dict[datetime.date, int] = defaultdict(int)
    for row in rows:
        for day in row.days:
            by_date[day.date] += day.minutes
    totals = weekly_totals(
        [DayProgress(date=d, minutes=m, lessons=0) for d, m in by_date.items()],
        as_of=today,
        weeks=max(1, min(weeks, MAX_WEEKS)),
    )
    minutes = totals[-1].minutes
    goal = sum(row.pace.goal.weekly_minutes for row in rows)
    expected = sum(row.pace.expected_minutes_this_week for row in rows)
    status = pace_status([minutes / expected]) if expected > 0 else None
    if status is None:
        sentence = _("No Learning Lab goal is set yet.")
    else:
        sentence = str(STATUS_SENTENCES[status]) % {"minutes": minutes, "goal": goal}
    return LabProgress(
        as_of=today,
        minutes=minutes,
        goal=goal,
        expected=round(expected, 1),
        status=str(status) if status else None,
        sentence=sentence,
        weeks=tuple(WeekMinutes(w.start, w.minutes) for w in totals),
        programs=tuple(
            ProgramMinutes(
                name=row.program.name,
                subject=row.program.get_subject_display(),
                minutes=row.pace.minutes_this_week,
                goal=row.pace.goal.weekly_minutes,
                status=str(row.pace.status),
            )
            for row in sorted(rows, key=lambda r: (r.program.name, r.program.pk))
        ),
    )


def status_words(status: str | None) -> str:
    return str(STATUS_WORDS[Status(status)]) if status else ""


# The family page's chart: narrower than the staff's, so a phone shows it whole (the SVG scales
# to its width).
PROGRESS_CHART_BOX = Box(width=320, height=170, left=34, top=10, bottom=22)


def progress_chart(progress: LabProgress) -> ValueChart:
    """The lab minutes of each recent week as bars, the weekly goal as a dashed line."""
    top = headroom_top(progress.goal, (w.minutes for w in progress.weeks))
    minutes_y = Scale.upward(PROGRESS_CHART_BOX, top)
    return ValueChart(
        box=PROGRESS_CHART_BOX,
        top=top,
        bars=bars(
            PROGRESS_CHART_BOX,
            minutes_y,
            [(w, w.minutes, chart_date(w.start), "") for w in progress.weeks],
        ),
        reference_y=minutes_y(progress.goal),
        reference_label=progress.goal,
    )


# --- service minutes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceMinutes:
    kind: str  # ServiceKind
    words: str  # "Learning support"
    required: int  # minutes a week
    delivered: int  # in the published days of the week up to today
    planned: int  # in every published day of the week
    sentence: str


@dataclass(frozen=True)
class ServicesWeek:
    monday: datetime.date
    services: tuple[ServiceMinutes, ...]
    records: tuple[ServiceNeed, ...]  # the service needs read, for the audit trail


def services_delivered(
    child: Student, week: datetime.date, *, today: datetime.date | None = None
) -> ServicesWeek:
    """The child's own service minutes in the week of ``week`` (any day of it): delivered in
    the published lab plans of the days up to ``today``, planned in all the week's published
    plans, against each need's minutes a week. Two queries."""
    days = week_of(week)
    today = today or timezone.localdate(timezone=child.school.zone)
    needs = list(ServiceNeed.objects.filter(student=child).order_by("kind", "pk"))
    delivered: dict[int, int] = defaultdict(int)
    planned: dict[int, int] = defaultdict(int)
    if needs:
        segments = LabSegment.objects.filter(
            Q(plan__schedule__date__gte=days[0]) & Q(plan__schedule__date__lte=days[-1]),
            plan__schedule__school_id=child.school_id,
            plan__schedule__status=ScheduleStatus.PUBLISHED,
            student=child,
            kind=ActivityKind.SERVICE,
            service__isnull=False,
        ).values_list("service_id", "plan__schedule__date", "start", "end")
        for service_id, date, start, end in segments:
            minutes = minutes_of(end) - minutes_of(start)
            planned[service_id] += minutes
            if date <= today:
                delivered[service_id] += minutes
    services = []
    for need in needs:
        words = str(SERVICE_WORDS.get(need.kind, need.get_kind_display()))
        services.append(
            ServiceMinutes(
                kind=need.kind,
                words=words,
                required=need.minutes_per_week,
                delivered=delivered[need.pk],
                planned=planned[need.pk],
                sentence=_("%(service)s: %(delivered)s of %(required)s minutes this week")
                % {
                    "service": words,
                    "delivered": delivered[need.pk],
                    "required": need.minutes_per_week,
                },
            )
        )
    return ServicesWeek(monday=days[0], services=tuple(services), records=tuple(needs))
