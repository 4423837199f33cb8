"""Reading and writing a school's rotation templates from the leader's pages.

A template is only ever saved whole: its stations are replaced by the rows the leader entered, in
one transaction, after every row and the template as a whole pass the same checks the editor
shows while the leader types (``template_problems``, plus each station's model ``clean()``).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils.translation import gettext

from students.models import Grade, GradeLevel, School

from ..models import (
    STATION_ORDER,
    DayType,
    RotationTemplate,
    TemplateStation,
    clock,
    day_fill_error,
    minutes_of,
)
from ..solver.clock import grade_name

logger = logging.getLogger(__name__)

# Every field of a station a leader edits, in the editor's order; the service copies these.
STATION_FIELDS = (
    "code",
    "minutes",
    "block_min",
    "block_max",
    "block_step",
    "max_blocks",
    "venue",
    "staff_role",
    "window_start",
    "window_end",
    "preferred_start",
    "preferred_end",
    "avoid_right_after",
)


@dataclass(frozen=True)
class StationInput:
    """One station as the leader entered it; ``id`` names the stored row it replaces."""

    code: str
    minutes: int
    block_min: int
    block_max: int
    block_step: int = 5
    max_blocks: int = 1
    venue: str = "homeroom"
    staff_role: str = ""
    window_start: datetime.time | None = None
    window_end: datetime.time | None = None
    preferred_start: datetime.time | None = None
    preferred_end: datetime.time | None = None
    avoid_right_after: str = ""
    id: int | None = None


class TemplateInvalid(ValidationError):
    """The stations cannot be saved; ``rows`` holds each row's errors by field, ``general`` the
    template-wide ones."""

    def __init__(self, *, rows: list[dict[str, list[str]]], general: list[str]) -> None:
        self.rows = rows
        self.general = general
        messages = [m for row in rows for ms in row.values() for m in ms] + general
        super().__init__(messages)


@dataclass
class TemplateProblems:
    """What is wrong with a template's stations as entered: per row (same order), by field,
    and for the template as a whole."""

    rows: list[dict[str, list[str]]]
    general: list[str] = field(default_factory=list)

    def add(self, index: int, field_name: str, message: str) -> None:
        self.rows[index].setdefault(field_name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.general) or any(self.rows)


def template_problems(
    *, grade: Grade, day_type: DayType, stations: Sequence[TemplateStation]
) -> TemplateProblems:
    """The checks that need the whole template or the day, beyond each station's ``clean()``.

    ``stations`` may be unsaved and may lack values the leader has not typed yet; a check that
    needs a missing value is skipped (the form reports the missing value itself).
    """
    problems = TemplateProblems(rows=[{} for _ in stations])
    if not stations:
        problems.general.append(
            gettext("Add at least one station: a template without stations is empty.")
        )
        return problems
    day = day_type.day_minutes
    span = gettext("%(span)s (%(minutes)d minutes)") % {"span": day_type.span, "minutes": day}
    rows_of: dict[str, list[int]] = {}
    for index, station in enumerate(stations):
        if station.code:
            rows_of.setdefault(station.code, []).append(index)
    codes = set(rows_of)
    for index, station in enumerate(stations):
        code = station.code
        others = [n + 1 for n in rows_of.get(code, []) if n != index]
        if others:
            listed = ", ".join(str(n) for n in others)
            problems.add(
                index,
                "code",
                gettext(
                    "%(code)s is also station %(listed)s of this template; give each station "
                    "once, with all its minutes."
                )
                % {"code": code, "listed": listed},
            )
        name = code or gettext("this station")
        if station.minutes and station.minutes > day:
            problems.add(
                index,
                "minutes",
                gettext("%(name)s's %(minutes)d minutes cannot fit the day from %(span)s.")
                % {"name": name, "minutes": station.minutes, "span": span},
            )
        if station.block_min and station.block_min > day:
            problems.add(
                index,
                "block_min",
                gettext("A block of %(minutes)d minutes cannot fit the day from %(span)s.")
                % {"minutes": station.block_min, "span": span},
            )
        start, end = station.preferred_start, station.preferred_end
        if start and end and end > start:
            if start < day_type.day_start:
                problems.add(
                    index,
                    "preferred_start",
                    gettext(
                        "%(name)s's preferred time starts at %(start)s, before the first block "
                        "(%(first)s)."
                    )
                    % {"name": name, "start": clock(start), "first": clock(day_type.day_start)},
                )
            if end > day_type.dismissal:
                problems.add(
                    index,
                    "preferred_end",
                    gettext(
                        "%(name)s's preferred time ends at %(end)s, after dismissal "
                        "(%(dismissal)s)."
                    )
                    % {"name": name, "end": clock(end), "dismissal": clock(day_type.dismissal)},
                )
            if station.minutes and minutes_of(end) - minutes_of(start) < min(
                station.minutes, station.block_min or station.minutes
            ):
                problems.add(
                    index,
                    "preferred_end",
                    gettext(
                        "%(name)s's preferred time %(start)s-%(end)s is shorter than its "
                        "shortest block."
                    )
                    % {"name": name, "start": clock(start), "end": clock(end)},
                )
        after = station.avoid_right_after
        if after and after != code and after not in codes:
            problems.add(
                index,
                "avoid_right_after",
                gettext(
                    "%(after)s is not a station of this template, so %(name)s never follows it."
                )
                % {"after": after, "name": name},
            )
    complete = [s for s in stations if s.minutes and s.max_blocks]
    if len(complete) == len(stations):
        message = day_fill_error(
            grade=grade,
            day_type=day_type,
            stations=[(s.minutes, s.max_blocks) for s in complete],
        )
        if message:
            problems.general.append(message[0].upper() + message[1:])
    return problems


def _station_errors(station: TemplateStation) -> dict[str, list[str]]:
    try:
        station.full_clean(exclude=["template"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return {
            name: list(messages) for name, messages in error.message_dict.items()
        }  # "__all__" for errors of no one field
    return {}


@transaction.atomic
def template_save(
    *, template: RotationTemplate, stations: Sequence[StationInput]
) -> RotationTemplate:
    """Make ``stations`` the template's stations, all of them or none.

    Rows with an ``id`` update that stored station; the others are added; stored stations not
    among ``stations`` are removed. Raises ``TemplateInvalid`` (nothing written) when any row or
    the template as a whole fails its checks.
    """
    locked = (
        RotationTemplate.objects.select_for_update()
        .select_related("grade", "day_type")
        .get(pk=template.pk)
    )
    stored = {s.pk: s for s in locked.stations.all()}
    stored_codes = {pk: s.code for pk, s in stored.items()}
    rows: list[TemplateStation] = []
    for entry in stations:
        if entry.id is not None and entry.id not in stored:
            raise TemplateInvalid(
                rows=[], general=[gettext("A station was removed meanwhile; reload the page.")]
            )
        row = stored[entry.id] if entry.id is not None else TemplateStation(template=locked)
        row.template = locked
        for name in STATION_FIELDS:
            setattr(row, name, getattr(entry, name))
        rows.append(row)

    problems = template_problems(grade=locked.grade, day_type=locked.day_type, stations=rows)
    for index, row in enumerate(rows):
        for name, messages in _station_errors(row).items():
            for message in messages:
                problems.add(index, name, message)
    if problems:
        raise TemplateInvalid(rows=problems.rows, general=problems.general)

    kept = {row.pk for row in rows if row.pk}
    TemplateStation.objects.filter(template=locked).exclude(pk__in=kept).delete()
    # A leader may swap two stations' codes; park the renamed rows on codes no station has so
    # the once-per-template constraint holds after every statement.
    renamed = [row for row in rows if row.pk and stored_codes[row.pk] != row.code]
    for row in renamed:
        TemplateStation.objects.filter(pk=row.pk).update(code=f"~{row.pk}")
    for row in rows:
        row.save()
    logger.info(
        "template saved template_id=%s school_id=%s stations=%d",
        locked.pk,
        locked.school_id,
        len(rows),
    )
    return locked


@transaction.atomic
def template_create(
    *,
    school: School,
    grade_level: int,
    day_type: DayType,
    copy_from: RotationTemplate | None = None,
) -> RotationTemplate:
    """A new template for the grade at ``grade_level`` on ``day_type``, empty or with
    ``copy_from``'s stations. Raises ``ValidationError`` keyed by ``grade``, ``day_type`` or
    ``copy_from``.

    A copy from another day type keeps its windows as they were; the editor then shows any that
    fall outside the new day, beside the field to change.
    """
    errors: dict[str, str] = {}
    if grade_level not in GradeLevel.values:
        errors["grade"] = gettext("%(grade)s is not a grade from K to 5.") % {"grade": grade_level}
    if day_type.school_id != school.pk:
        errors["day_type"] = gettext("%(day_type)s belongs to another school.") % {
            "day_type": day_type
        }
    if copy_from is not None and copy_from.school_id != school.pk:
        errors["copy_from"] = gettext("That template belongs to another school.")
    if errors:
        raise ValidationError(errors)
    # Lock the school's row so two leaders creating the same template queue up here.
    School.objects.select_for_update().filter(pk=school.pk).first()
    grade, _ = Grade.objects.get_or_create(school=school, level=grade_level)
    if RotationTemplate.objects.filter(grade=grade, day_type=day_type).exists():
        raise ValidationError(
            {
                "grade": gettext("%(grade)s already has a %(day_type)s template.")
                % {"grade": grade_name(grade.level).capitalize(), "day_type": day_type}
            }
        )
    template = RotationTemplate.objects.create(school=school, grade=grade, day_type=day_type)
    if copy_from is not None:
        TemplateStation.objects.bulk_create(
            TemplateStation(template=template, **{n: getattr(s, n) for n in STATION_FIELDS})
            for s in copy_from.stations.all()
        )
    logger.info(
        "template created template_id=%s school_id=%s copied_from=%s",
        template.pk,
        school.pk,
        copy_from.pk if copy_from else None,
    )
    return template


# Reads for the pages.


def stations_in_order(template: RotationTemplate) -> QuerySet[TemplateStation]:
    """The template's stations in the day's usual order (launch, literacy, math, lab, ...)."""
    order = Case(
        *(When(code=code, then=Value(index)) for code, index in STATION_ORDER.items()),
        default=Value(len(STATION_ORDER)),
        output_field=IntegerField(),
    )
    return template.stations.annotate(order=order).order_by("order", "id")


@dataclass(frozen=True)
class TemplateSummary:
    template: RotationTemplate
    stations: tuple[TemplateStation, ...]
    total_minutes: int
    day_minutes: int
    problems: tuple[str, ...]

    @property
    def difference(self) -> int:
        """Minutes of the day the stations leave over (negative: too many)."""
        return self.day_minutes - self.total_minutes

    @property
    def shares(self) -> list[tuple[TemplateStation, float]]:
        """Each station with its share of the day in percent (for the minutes bar)."""
        whole = max(self.day_minutes, self.total_minutes, 1)
        return [(s, round(100 * s.minutes / whole, 2)) for s in self.stations]


def templates_for_school(*, school: School) -> list[TemplateSummary]:
    """Every template of the school with its stations and what is wrong with it (two queries)."""
    templates = (
        RotationTemplate.objects.filter(school=school)
        .select_related("grade", "day_type")
        .prefetch_related(Prefetch("stations", queryset=TemplateStation.objects.order_by("id")))
        .order_by("day_type__name", "grade__level")
    )
    summaries = []
    for template in templates:
        stations = sorted(
            template.stations.all(), key=lambda s: (STATION_ORDER.get(s.code, 99), s.pk)
        )
        for station in stations:
            station.template = template  # the window checks read the day type through it
        problems = template_problems(
            grade=template.grade, day_type=template.day_type, stations=stations
        )
        messages = list(problems.general)
        for station in stations:
            messages += [m for ms in _station_errors(station).values() for m in ms]
        messages += [m for row in problems.rows for ms in row.values() for m in ms]
        summaries.append(
            TemplateSummary(
                template=template,
                stations=tuple(stations),
                total_minutes=sum(s.minutes for s in stations),
                day_minutes=template.day_type.day_minutes,
                problems=tuple(dict.fromkeys(messages)),
            )
        )
    return summaries
