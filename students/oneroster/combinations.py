"""Combination homerooms: a class of several grades (a 4/5 class) is one cohort.

Its students keep their own grades: lab goals, progress and tutoring groups measure a student
by their grade. The cohort's grade (``Cohort.grade``) is the one whose rotation template its day
follows: the grade most of its students are in on the import date, by their own grade code;
the lowest of the tied grades on a tie, the lowest of the class's grades when it has no
student. A leader may choose another in Setup (``Cohort.grade_chosen``): later imports keep it
as long as it is one of the class's grades. One warning lists the combination homerooms and
the grade each follows.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..models import Cohort, GradeLevel, Network, Student
from .columns import CLASSES
from .records import ExportError, ExportRead
from .scope import in_effect

# How many combination homerooms the warning names; Setup > Cohorts shows every cohort's grades.
NAMED = 20

# Why a combination homeroom follows the grade it does.
MAJORITY, TIE, EMPTY, CHOSEN = "majority", "tie", "empty", "chosen"
_WHY = {
    MAJORITY: _("most of its students"),
    TIE: _("a tie: the lowest of the tied grades"),
    EMPTY: _("no students yet: its lowest grade"),
    CHOSEN: _("chosen in Setup"),
}


@dataclass(frozen=True)
class Combination:
    """A homeroom class of several grades and the grade its cohort follows."""

    row: int
    title: str
    level: int
    why: str  # MAJORITY, TIE, EMPTY or CHOSEN


def enrolled_grades(
    export: ExportRead,
    rooms: Iterable[str],
    levels: dict[str, int],
    today: datetime.date,
    network: Network,
) -> dict[str, Counter[int]]:
    """Homeroom class sourcedId -> how many of the students enrolled in it on ``today`` are in
    each grade, by their own grade code, for each of ``rooms``. A student the export does not
    list (a delta export) counts with their stored grade; one with no grade of their own (UG)
    is not counted: they take the cohort's."""
    rooms = set(rooms)
    members: dict[str, list[str]] = defaultdict(list)
    for e in export.enrollments:
        student = e.role == "student" and e.status != "tobedeleted"
        if student and e.class_sourced_id in rooms and in_effect(e, today):
            members[e.class_sourced_id].append(e.user_sourced_id)
    grade_of: dict[str, int] = {}
    for user in export.users:
        own = {levels[g] for g in user.grades if g in levels}
        if user.status != "tobedeleted" and len(own) == 1:
            grade_of[user.sourced_id] = own.pop()
    listed = {u.sourced_id for u in export.users}
    unlisted = {m for ids in members.values() for m in ids} - listed
    if unlisted:
        grade_of.update(
            Student.objects.filter(school__network=network, sourced_id__in=unlisted).values_list(
                "sourced_id", "grade__level"
            )
        )
    return {
        room: Counter(grade_of[m] for m in set(ids) if m in grade_of)
        for room, ids in members.items()
    }


def cohort_grade(
    levels: frozenset[int], counts: Counter[int], chosen: int | None
) -> tuple[int, str]:
    """The grade a combination homeroom of ``levels`` follows, and why: ``chosen`` (a leader's
    choice in Setup) while it is one of ``levels``, else the grade most of its students are in
    (``counts``), the lowest of the tied grades on a tie, the lowest of ``levels`` without one."""
    if chosen is not None and chosen in levels:
        return chosen, CHOSEN
    counted = {level: n for level, n in counts.items() if level in levels and n}
    if not counted:
        return min(levels), EMPTY
    most = max(counted.values())
    tied = sorted(level for level, n in counted.items() if n == most)
    return tied[0], (TIE if len(tied) > 1 else MAJORITY)


def combination_warning(found: list[Combination]) -> ExportError:
    """One warning that counts the combination homerooms and names the grade each follows."""
    shown = "; ".join(
        gettext("%(title)r (row %(row)d) follows grade %(grade)s (%(why)s)")
        % {
            "title": c.title,
            "row": c.row,
            "grade": GradeLevel(c.level).label,
            "why": _WHY[c.why],
        }
        for c in found[:NAMED]
    )
    if len(found) > NAMED:
        shown += gettext("; and %(more)d more") % {"more": len(found) - NAMED}
    reason = ngettext(
        "%(count)d homeroom holds several grades (a combination class): it is one cohort "
        "whose students keep their own grades, and its day follows one grade's rotation "
        "template: %(rooms)s. A leader can change that grade in Setup > Cohorts; later imports "
        "keep the choice.",
        "%(count)d homerooms hold several grades (combination classes): each is one cohort "
        "whose students keep their own grades, and its day follows one grade's rotation "
        "template: %(rooms)s. A leader can change that grade in Setup > Cohorts; later imports "
        "keep the choice.",
        len(found),
    ) % {"count": len(found), "rooms": shown}
    return ExportError(CLASSES, found[0].row, "grades", reason)


def stored_room_grades(
    cohorts: Iterable[Cohort], today: datetime.date
) -> dict[str, frozenset[int]]:
    """Stored homeroom sourcedId -> the grades it holds: its own and those of its students
    enrolled on ``today``, for homerooms a delta export names without listing them."""
    cohorts = list(cohorts)
    grades: dict[str, set[int]] = {c.sourced_id: {c.grade.level} for c in cohorts}
    if not cohorts:
        return {}
    rows = (
        Student.objects.filter(cohort__in=cohorts)
        .filter(Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=today))
        .values_list("cohort__sourced_id", "grade__level")
        .distinct()
    )
    for sourced_id, level in rows:
        grades[sourced_id].add(level)
    return {sourced_id: frozenset(levels) for sourced_id, levels in grades.items()}
