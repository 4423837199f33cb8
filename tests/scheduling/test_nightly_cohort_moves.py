"""The nightly rebuild makes the homeroom moves a roster import kept for its day before it
builds the day, so a student who changes homeroom mid-year is in the new one on its first day."""

import datetime

import pytest

from scheduling.models import NightlyRun, RunState
from scheduling.services import nightly
from students.cohort_moves import cohort_moves_make
from students.models import Cohort, CohortMove, Student

from ..factories import GradeFactory, StudentFactory
from .test_nightly import FAST
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db


def test_the_nightly_makes_the_moves_due_by_its_day_first(monkeypatch):
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)
    k = kindergarten()
    stanford, howard = (
        Cohort.objects.get(school=k.school, name=n) for n in ("K Stanford", "K Howard")
    )
    mover, later = Student.objects.enrolled_on(DATE).filter(cohort=stanford)[:2]
    CohortMove.objects.create(student=mover, cohort=howard, starts=DATE, sourced_id="e-1")
    CohortMove.objects.create(
        student=later, cohort=howard, starts=DATE + datetime.timedelta(days=7), sourced_id="e-2"
    )
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE)

    run = nightly.nightly_rebuild(run_id=run.pk, options=FAST)

    assert run.state == RunState.PUBLISHED
    mover.refresh_from_db()
    later.refresh_from_db()
    assert (mover.cohort, later.cohort) == (howard, stanford)
    assert list(CohortMove.objects.values_list("student", flat=True)) == [later.pk]


def test_a_student_moved_into_a_combination_homeroom_keeps_their_own_grade():
    k = kindergarten()
    first = GradeFactory(school=k.school, level=1)
    mover = StudentFactory(school=k.school, cohort=k.stanford, grade=first)  # a K/1 class
    CohortMove.objects.create(student=mover, cohort=k.howard, starts=DATE, sourced_id="e-1")

    assert cohort_moves_make(school=k.school, day=DATE) == 1

    mover.refresh_from_db()
    assert (mover.cohort, mover.grade) == (k.howard, first)
