"""The progress rules' messages are the reader's: marked for translation, dates in their locale."""

from __future__ import annotations

import datetime

from django.utils import translation

from learninglabs import progress_rules as rules

APRIL_1 = datetime.date(2026, 4, 1)
JAN_5 = datetime.date(2026, 1, 5)


def test_a_date_outside_the_enrollment_is_written_as_the_readers_locale_writes_dates():
    with translation.override("en-us"):
        english = rules.enrollment_problem(APRIL_1, JAN_5, datetime.date(2026, 3, 1))
    with translation.override("es"):
        spanish = rules.enrollment_problem(APRIL_1, JAN_5, datetime.date(2026, 3, 1))

    assert english == (
        "The student was not enrolled on April 1, 2026 "
        "(enrolled from Jan. 5, 2026 to March 1, 2026)."
    )
    assert (
        spanish is not None and "1 de abril de 2026" in spanish and "5 de enero de 2026" in spanish
    )


def test_a_future_date_names_the_schools_today_in_the_readers_locale():
    with translation.override("es"):
        problem = rules.future_problem(APRIL_1, JAN_5)

    assert (
        problem is not None and "1 de abril de 2026" in problem and "5 de enero de 2026" in problem
    )


def test_a_student_enrolled_with_no_end_is_told_from_when_only():
    with translation.override("en-us"):
        problem = rules.enrollment_problem(datetime.date(2025, 6, 1), JAN_5, None)

    assert problem == "The student was not enrolled on June 1, 2025 (enrolled from Jan. 5, 2026)."


def test_a_good_date_has_no_problem():
    assert rules.date_problem(APRIL_1, today=APRIL_1, start=JAN_5, end=None) is None


def test_an_unknown_student_is_named_where_it_was_looked_for():
    with translation.override("en-us"):
        at_school = rules.unknown_student("'S-9'", "Alder")
        anywhere = rules.unknown_student("9", None)

    assert at_school == "No student with id 'S-9' at Alder."
    assert anywhere == "No student with id 9 among the schools you may write to."
