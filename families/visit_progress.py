"""Progress of first home visits: how many households were visited by the school's target date,
for a school, its languages, each educator, and a network's schools. Reads only; counts, never
names of families.

A household *counts as visited* when it has a visit marked done at the school on or before the
school's target date (this school year). Each share is given twice: of the households that said
yes to a visit, and of all the school's households (a child enrolled there today). An educator's
row counts the households of the children they teach, and their *load*: this year's visits they
lead or partner, planned and done.

One school reads in a fixed number of queries (``school_progress``); a network in that many per
school. The CSV (``progress_csv``) follows ``scheduling.selectors.exports``: named English
columns, cells made safe for spreadsheets, the date column in ISO 8601.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from scheduling.selectors.exports import to_csv
from students.models import Network, School, Staff, Student

from .access import school_today
from .visit_models import HouseholdAnswer, Visit, VisitStatus
from .visit_planning import first_visit_target, households_of_school, school_year
from .visit_selectors import language_name


@dataclass
class Tally:
    """Households counted: all of them, those that said yes, and those visited by the target."""

    households: set[int] = field(default_factory=set)
    said_yes: set[int] = field(default_factory=set)
    visited: set[int] = field(default_factory=set)

    def add(self, household: int, *, yes: bool, visited: bool) -> None:
        self.households.add(household)
        if yes:
            self.said_yes.add(household)
        if visited:
            self.visited.add(household)

    def merge(self, other: Tally) -> None:
        self.households |= other.households
        self.said_yes |= other.said_yes
        self.visited |= other.visited

    @property
    def visited_of_yes(self) -> int:
        return len(self.visited & self.said_yes)

    @property
    def share_of_yes(self) -> int | None:
        """Percent of the households that said yes visited by the target (None: none said yes)."""
        if not self.said_yes:
            return None
        return round(100 * self.visited_of_yes / len(self.said_yes))

    @property
    def share_of_all(self) -> int | None:
        if not self.households:
            return None
        return round(100 * len(self.visited) / len(self.households))


@dataclass
class EducatorProgress:
    staff: Staff
    tally: Tally = field(default_factory=Tally)  # households of the children they teach
    planned: int = 0  # this year's visits still to make, as lead or partner
    done: int = 0


@dataclass
class LanguageProgress:
    code: str
    name: str
    tally: Tally


@dataclass
class SchoolProgress:
    school: School
    target: datetime.date
    total: Tally
    languages: list[LanguageProgress]
    educators: list[EducatorProgress]


def school_progress(school: School) -> SchoolProgress:
    """The school's first-visit progress. Six queries, however many households."""
    today = school_today(school)
    first, last = school_year(today)
    target = first_visit_target(school, today=today)
    households = list(
        households_of_school(school, today=today).values_list("pk", "answer", "language")
    )
    ids = [pk for pk, _answer, _language in households]
    visits = list(
        Visit.objects.filter(
            school=school, status__in=Visit.KEPT, date__range=(first, last)
        ).values_list("household_id", "lead_id", "partner_id", "date", "status")
    )
    visited = {
        household
        for household, _lead, _partner, date, status in visits
        if status == VisitStatus.DONE and date <= target
    }

    total = Tally()
    by_language: dict[str, Tally] = defaultdict(Tally)
    for pk, answer, language in households:
        yes, seen = answer == HouseholdAnswer.YES, pk in visited
        total.add(pk, yes=yes, visited=seen)
        by_language[language or "en"].add(pk, yes=yes, visited=seen)

    cohorts_of: dict[int, set[int]] = defaultdict(set)
    for household, cohort in (
        Student.objects.filter(school=school, cohort__isnull=False)
        .enrolled_on(today)
        .filter(guardians__household_member__household__in=ids)
        .values_list("guardians__household_member__household_id", "cohort_id")
        .distinct()
    ):
        cohorts_of[household].add(cohort)
    teaching: dict[int, set[int]] = defaultdict(set)  # cohort -> staff ids
    for staff_id, cohort in Staff.cohorts.through.objects.filter(
        staff__school=school, staff__active=True
    ).values_list("staff_id", "cohort_id"):
        teaching[cohort].add(staff_id)

    rows: dict[int, EducatorProgress] = {}
    staff_ids = {s for staff in teaching.values() for s in staff}
    staff_ids |= {s for _h, lead, partner, _d, _s in visits for s in (lead, partner)}
    staff_of = Staff.objects.select_related("user").in_bulk(staff_ids)
    for pk in staff_ids:
        rows[pk] = EducatorProgress(staff_of[pk])
    for pk, answer, _language in households:
        for staff_id in {s for c in cohorts_of[pk] for s in teaching[c]}:
            rows[staff_id].tally.add(pk, yes=answer == HouseholdAnswer.YES, visited=pk in visited)
    for _household, lead, partner, _date, status in visits:
        for staff_id in (lead, partner):
            if status == VisitStatus.DONE:
                rows[staff_id].done += 1
            else:
                rows[staff_id].planned += 1

    return SchoolProgress(
        school=school,
        target=target,
        total=total,
        languages=[
            LanguageProgress(code, language_name(code), tally)
            for code, tally in sorted(by_language.items(), key=lambda kv: language_name(kv[0]))
        ],
        educators=sorted(rows.values(), key=lambda row: str(row.staff).casefold()),
    )


@dataclass
class NetworkProgress:
    network: Network
    total: Tally
    languages: list[LanguageProgress]
    schools: list[SchoolProgress]


def network_progress(network: Network) -> NetworkProgress:
    """Every school's progress and the network's: a household of two schools counts once, as
    visited when either school visited it by its own target."""
    schools = [school_progress(s) for s in School.objects.filter(network=network).order_by("name")]
    total = Tally()
    by_language: dict[str, Tally] = defaultdict(Tally)
    for school in schools:
        total.merge(school.total)
        for language in school.languages:
            by_language[language.code].merge(language.tally)
    # A household said yes or was visited at one school: it counts so for the network.
    return NetworkProgress(
        network=network,
        total=total,
        languages=[
            LanguageProgress(code, language_name(code), tally)
            for code, tally in sorted(by_language.items(), key=lambda kv: language_name(kv[0]))
        ],
        schools=schools,
    )


# --- CSV ---------------------------------------------------------------------------------------

PROGRESS_HEADER = (
    "Target date",
    "Level",
    "Name",
    "Households",
    "Said yes",
    "Visited by target",
    "Visited of those who said yes (%)",
    "Visited of all (%)",
    "Visits planned",
    "Visits done",
)


def _numbers(tally: Tally) -> tuple[object, ...]:
    return (
        len(tally.households),
        len(tally.said_yes),
        len(tally.visited),
        "" if tally.share_of_yes is None else tally.share_of_yes,
        "" if tally.share_of_all is None else tally.share_of_all,
    )


def progress_rows(progress: SchoolProgress) -> list[tuple[object, ...]]:
    """The school's row, then one per language, then one per educator (names of staff and
    languages only; never a family's)."""
    target = progress.target.isoformat()
    planned = sum(e.planned for e in progress.educators)
    done = sum(e.done for e in progress.educators)
    rows: list[tuple[object, ...]] = [
        # Each visit has two educators: the school's counts are visits, not educator-visits.
        (target, "school", progress.school.name, *_numbers(progress.total), planned // 2, done // 2)
    ]
    rows += [
        (target, "language", language.name, *_numbers(language.tally), "", "")
        for language in progress.languages
    ]
    rows += [
        (target, "educator", str(e.staff), *_numbers(e.tally), e.planned, e.done)
        for e in progress.educators
    ]
    return rows


def progress_csv(progress: SchoolProgress) -> str:
    # scheduling.selectors.exports' writer: every cell made safe from spreadsheet formulas.
    return to_csv(PROGRESS_HEADER, progress_rows(progress))


def progress_filename(school: School, today: datetime.date) -> str:
    """``mission-heights-home-visits-2026-12-06.csv``."""
    return f"{school.slug}-home-visits-{today.isoformat()}.csv"
