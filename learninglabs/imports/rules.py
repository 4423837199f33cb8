"""The progress rules applied to a CSV file's rows: cells parsed with the mapping (whole numbers,
percentages, the mapping's date format) and every value checked by ``learninglabs.progress_rules``,
the rules of the bulk JSON API, so a file and a push are refused for the same reasons in the
same words. Students are found by their local id and programs by their code at the mapping's
school (read once); one row per student, program and date.
"""

from __future__ import annotations

import csv
import datetime
import functools
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext

from students.csv_cells import MAX_CELL_CHARS, ScreenedBytes
from students.models import Student

from ..models import Program, VendorMapping
from ..progress_rules import (
    enrollment_problem,
    future_problem,
    lessons_problem,
    mastery_problem,
    minutes_problem,
    school_today,
    source_problem,
    unknown_program,
    unknown_student,
)
from .rows import ImportOutcome, cell_errors, long_cell, too_long, unreadable
from .stage import StagedRow, Vanished

# Rows sent to the staging table at once: about 2 MB of COPY text, enough to amortise a round
# trip, small enough to keep memory flat.
STAGE_CHUNK_ROWS = 50_000
# Parsed values (dates, numbers) are cached by their text: a real export repeats a few hundred
# dates and numbers. The cap bounds memory when a broken file has a million distinct values.
CACHE_LIMIT = 20_000
# Dates do not reach this ordinal (year 2870): it separates the date from the ids in a row's key.
DATE_KEY_SPAN = 1_048_576


def mapping_problem(mapping: VendorMapping) -> str | None:
    """Why no row can be stored with ``mapping`` (its source breaks the API's rule), or None."""
    problem = source_problem(mapping.source)
    if not problem:
        return None
    return gettext("The mapping's source %(source)s: %(problem)s") % {
        "source": repr(mapping.source),
        "problem": problem,
    }


def whole_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Some exports write whole numbers as "30.0"; 30.5 minutes is refused, not rounded.
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    return None


def minutes_cell(text: str) -> tuple[str | None, str | None]:
    """(the value as staged, None) or (None, why it is refused)."""
    number = whole_number(text.strip())
    if number is None:
        return None, gettext("Give a whole number of minutes, e.g. 30.")
    problem = minutes_problem(number)
    return (None, problem) if problem else (str(number), None)


def lessons_cell(text: str) -> tuple[str | None, str | None]:
    text = text.strip()
    if not text:
        return "0", None  # an export leaves the cell empty on a day without lessons
    number = whole_number(text)
    if number is None:
        return None, gettext("Give a whole number of lessons completed, e.g. 2.")
    problem = lessons_problem(number)
    return (None, problem) if problem else (str(number), None)


def mastery_cell(text: str, *, empty: str | None = None) -> tuple[str | None, str | None]:
    """The staged text (``empty`` for an empty cell: no mastery measured), or why it is
    refused."""
    text = text.strip().removesuffix("%").strip()
    if not text:
        return empty, None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, gettext("Give a mastery level from 0 to 100, e.g. 72.5.")
    problem = mastery_problem(number)
    return (None, problem) if problem else (str(number), None)


class Dates:
    """Parses the date column with the mapping's format and refuses dates in the future, as
    the API does. ``cache`` maps each distinct text to (the date, its ISO text, its ordinal) or
    (None, why it is refused, 0); the row loop reads it directly and calls ``parse`` on a miss."""

    def __init__(self, date_format: str, today: datetime.date) -> None:
        self.date_format = date_format
        self.today = today
        self.cache: dict[str, tuple[datetime.date | None, str, int]] = {}

    def parse(self, text: str) -> tuple[datetime.date | None, str, int]:
        if len(text) > MAX_CELL_CHARS:
            return None, long_cell(text), 0
        try:
            day = datetime.datetime.strptime(text.strip(), self.date_format).date()  # noqa: DTZ007
        except ValueError:
            example = datetime.date(2026, 11, 24).strftime(self.date_format)
            result: tuple[datetime.date | None, str, int] = (
                None,
                gettext("%(text)s is not a date written as %(example)s.")
                % {"text": repr(text.strip()), "example": example},
                0,
            )
        else:
            future = future_problem(day, self.today)
            result = (None, future, 0) if future else (day, day.isoformat(), day.toordinal())
        if len(self.cache) < CACHE_LIMIT:
            self.cache[text] = result
        return result


class Parsed:
    """One number column's cells parsed once per distinct text: ``cache`` maps a text to (the
    value as staged, None) or (None, why it is refused); the row loop reads it directly and
    calls ``parse`` on a miss, which saves a Python call per cell."""

    def __init__(self, parse: Callable[[str], tuple[str | None, str | None]]) -> None:
        self._parse = parse
        self.cache: dict[str, tuple[str | None, str | None]] = {}

    def parse(self, text: str) -> tuple[str | None, str | None]:
        if len(text) > MAX_CELL_CHARS:
            return None, long_cell(text)
        result = self._parse(text)
        if len(self.cache) < CACHE_LIMIT:
            self.cache[text] = result
        return result


class RowChecks:
    """The file's rows checked one by one against the school's students and programs (read
    once, here) and the API's rules; good rows sent on to the stage in chunks."""

    def __init__(
        self,
        mapping: VendorMapping,
        position: dict[str, int],
        *,
        null: str | None,
        header: list[str] | None = None,
        screen: ScreenedBytes | None = None,
    ) -> None:
        self.header = header or []  # the file's column names, for a bad cell in any column
        self.screen = screen  # flagged once a chunk read holds a byte no cell may hold
        self.school_name = mapping.school.name
        self.name_of = mapping.columns  # field -> the column's name as the mapping writes it
        self.position = position  # field -> the column's index in the file
        self.width = max(position.values()) + 1
        # local id -> (pk, pk as staged, enrollment start, enrollment end or None)
        self.students: dict[str, tuple[int, str, datetime.date, datetime.date | None]] = {
            local_id: (pk, str(pk), start, end)
            for local_id, pk, start, end in Student.objects.filter(
                school=mapping.school
            ).values_list("local_id", "pk", "enrollment_start", "enrollment_end")
        }
        # code (and its case-folded form) -> (pk, pk as staged); or the mapping's one program
        self.programs: dict[str, tuple[int, str]] = {}
        self.fixed_program: tuple[int, str] | None = None
        if mapping.program_id is None:
            for code, pk in Program.objects.filter(school=mapping.school).values_list("code", "pk"):
                self.programs[code] = (pk, str(pk))
                self.programs.setdefault(code.casefold(), (pk, str(pk)))
        else:
            self.fixed_program = (mapping.program_id, str(mapping.program_id))
        self.student_ids = [student[0] for student in self.students.values()]
        self.program_ids = sorted(
            {program[0] for program in self.programs.values()}
            if self.fixed_program is None
            else {self.fixed_program[0]}
        )
        self.program_stride = max([0, *self.program_ids]) + 1
        self.dates = Dates(mapping.date_format, school_today(mapping.school.zone, timezone.now()))
        self.minutes = Parsed(minutes_cell)
        self.lessons = Parsed(lessons_cell)
        self.null = null  # what a staged row holds for "no mastery"
        self.mastery = Parsed(functools.partial(mastery_cell, empty=null))

    def reject_vanished(self, outcome: ImportOutcome, vanished: Vanished) -> None:
        """Record the students and programs deleted while the file was read (found set-wise,
        after it: their rows' numbers are not kept) as errors of the whole file."""
        local_ids = {pk: local_id for local_id, (pk, *_rest) in self.students.items()}
        codes: dict[int, str] = {}
        for code, (pk, _staged) in self.programs.items():
            codes.setdefault(pk, code)  # the code as written comes before its folded form
        for pk in vanished.students:
            outcome.reject(
                0,
                self.name_of["student"],
                gettext(
                    "The student with id %(id)s was removed from %(school)s while the file was "
                    "read; their rows cannot be stored."
                )
                % {"id": repr(local_ids.get(pk, str(pk))), "school": self.school_name},
            )
        for pk in vanished.programs:
            code = codes.get(pk, str(pk))
            outcome.reject(
                0,
                self.name_of.get("program", ""),
                gettext(
                    "The program %(code)s was removed from %(school)s while the file was read; "
                    "its rows cannot be stored."
                )
                % {"code": repr(code), "school": self.school_name},
            )
        outcome.message = gettext(
            "Students or programs were removed while the file was read; nothing was stored. "
            "Import the file again."
        )

    def run(
        self,
        reader: Iterator[list[str]],
        outcome: ImportOutcome,
        *,
        send: Callable[[list[StagedRow]], None] | None,
        progress: Callable[[int], None] | None,
        progress_every: int,
    ) -> None:
        """Check every row of ``reader`` (after the header), recording each bad one in
        ``outcome``; while none is bad, ``send`` the good rows in chunks. ``outcome.rows``: the
        rows read (blank lines not counted)."""
        # The loop runs a million times: everything it uses is a local name, the caches are
        # read inline, and a cell is parsed only when its text is new.
        name_of, school_name, reject = self.name_of, self.school_name, outcome.reject
        position, width = self.position, self.width
        i_student, i_date, i_minutes = position["student"], position["date"], position["minutes"]
        i_program = position.get("program")
        i_lessons = position.get("lessons_completed")
        i_mastery = position.get("mastery_level")
        student_of, program_of = self.students.get, self.programs.get
        fixed_program, stride = self.fixed_program, self.program_stride
        date_cache, parse_date = self.dates.cache, self.dates.parse
        minutes_cache, parse_minutes = self.minutes.cache, self.minutes.parse
        lessons_cache, parse_lessons = self.lessons.cache, self.lessons.parse
        mastery_cache, parse_mastery = self.mastery.cache, self.mastery.parse
        enrolled_on = enrollment_problem
        no_lessons: tuple[str | None, str | None] = ("0", None)
        no_mastery: tuple[str | None, str | None] = (self.null, None)
        seen: set[int] = set()  # the keys of the good rows, to find a repeated one
        pending: list[StagedRow] = []
        rows = 0
        row_number = 1  # the header's
        screen, header = self.screen, self.header
        try:
            for row in reader:
                row_number += 1
                if not any(row):
                    continue  # a blank line, or a line of empty cells
                rows += 1
                # Only once the screen has seen a bad byte (a C check per chunk read) are a
                # row's cells looked at: a good file pays one attribute read per row.
                if (
                    screen is not None
                    and screen.flagged
                    and cell_errors(outcome, row_number, row, header)
                ):
                    continue
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                good = True

                local_id = row[i_student].strip()
                student = student_of(local_id)
                if student is None:
                    good = False
                    reject(
                        row_number,
                        name_of["student"],
                        too_long(local_id)
                        or (
                            unknown_student(repr(local_id), school_name)
                            if local_id
                            else gettext("The student id is empty.")
                        ),
                    )
                if i_program is None:
                    program = fixed_program
                else:
                    code = row[i_program].strip()
                    program = program_of(code) or program_of(code.casefold())
                    if program is None:
                        good = False
                        reject(
                            row_number,
                            name_of["program"],
                            too_long(code)
                            or (
                                unknown_program(code, school_name)
                                if code
                                else gettext("The program code is empty.")
                            ),
                        )
                cell = row[i_date]
                day, day_text, day_number = date_cache.get(cell) or parse_date(cell)
                if day is None:
                    good = False
                    reject(row_number, name_of["date"], day_text)
                elif student is not None:
                    why = enrolled_on(day, student[2], student[3])
                    if why is not None:
                        good = False
                        reject(row_number, name_of["date"], why)
                cell = row[i_minutes]
                minutes, why = minutes_cache.get(cell) or parse_minutes(cell)
                if why is not None:
                    good = False
                    reject(row_number, name_of["minutes"], why)
                if i_lessons is None:
                    lessons, why = no_lessons
                else:
                    cell = row[i_lessons]
                    lessons, why = lessons_cache.get(cell) or parse_lessons(cell)
                    if why is not None:
                        good = False
                        reject(row_number, name_of["lessons_completed"], why)
                if i_mastery is None:
                    mastery, why = no_mastery
                else:
                    cell = row[i_mastery]
                    mastery, why = mastery_cache.get(cell) or parse_mastery(cell)
                    if why is not None:
                        good = False
                        reject(row_number, name_of["mastery_level"], why)

                if good:
                    key = (student[0] * stride + program[0]) * DATE_KEY_SPAN + day_number  # type: ignore[index]
                    if key in seen:
                        reject(
                            row_number,
                            "",
                            gettext("Repeats an earlier row: the same student, program and date."),
                        )
                    else:
                        seen.add(key)
                        if send is not None and not outcome.error_count:
                            pending.append(
                                (student[1], program[1], day_text, minutes, lessons, mastery)  # type: ignore[index, arg-type]
                            )
                            if len(pending) >= STAGE_CHUNK_ROWS:
                                send(pending)
                                pending = []
                if progress is not None and rows % progress_every == 0:
                    progress(rows)
        except csv.Error as error:
            unreadable(outcome, row_number + 1, error, header=header)
        outcome.rows = rows
        if send is not None and outcome.ok:
            send(pending)
