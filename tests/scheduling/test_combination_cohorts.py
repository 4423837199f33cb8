"""A combination cohort (students of two grades in one homeroom) is built like any other: its
day follows its cohort's grade's rotation template, while each student's lab time follows the
programs and goals of their own grade. The school is ``lab_world``'s kindergarten with five of
K Stanford's students in grade 1."""

import pytest

from learninglabs.models import Program, ProgramGoal, ProgramKind, Subject
from scheduling.models import LabSegment, ScheduleStatus
from scheduling.selectors.lab_plans import plan_inputs_for
from scheduling.services.builds import schedule_build
from students.models import GradeLevel, Student

from ..factories import GradeFactory
from .lab_world import FAST, lab_world
from .test_lab_plans import independent_check
from .test_selectors import DATE

pytestmark = pytest.mark.django_db


def k1_combination():
    """lab_world with five of K Stanford's students in grade 1 and a grade-1 reading program."""
    world = lab_world()
    first = GradeFactory(school=world.school, level=GradeLevel.FIRST)
    present = list(Student.objects.filter(cohort=world.k.stanford).enrolled_on(DATE).order_by("pk"))
    firsts = present[-5:]  # none with a service or behind (lab_world picks the first four)
    Student.objects.filter(pk__in=[s.pk for s in firsts]).update(grade=first)
    lexia = Program.objects.create(
        school=world.school,
        name="Lexia",
        code="lexia",
        subject=Subject.LITERACY,
        kind=ProgramKind.ADAPTIVE,
    )
    ProgramGoal.objects.create(
        school=world.school, program=lexia, grade=first.level, weekly_minutes=60
    )
    return world, {s.pk for s in firsts}, lexia


def test_a_day_with_a_combination_cohort_builds_publishes_and_validates():
    world, firsts, lexia = k1_combination()

    result = schedule_build(school=world.school, date=DATE, publish=True, options=FAST)

    assert result.ok, result.reasons
    schedule = result.schedule
    assert schedule.status == ScheduleStatus.PUBLISHED
    assert independent_check(schedule) == ()
    # The cohort's day follows the kindergarten template: the stage-1 validator passed it, and
    # its lab block is in the lab that serves kindergarten.
    assert world.k.stanford.grade.level == GradeLevel.K
    segments = LabSegment.objects.filter(plan__schedule=schedule, program__isnull=False)
    programs_of_firsts = {s.program_id for s in segments if s.student_id in firsts}
    programs_of_kindergarten = {s.program_id for s in segments if s.student_id not in firsts}
    assert programs_of_firsts == {lexia.pk}
    assert lexia.pk not in programs_of_kindergarten
    assert programs_of_kindergarten <= {world.headsprout.pk, world.dreambox.pk}


def test_stage_two_reads_each_students_own_grade():
    world, firsts, _ = k1_combination()
    day_type = world.school.calendar_days.get(date=DATE).day_type_id

    inputs = plan_inputs_for(school_id=world.school.pk, date=DATE, day_type_id=day_type)

    stanford = [s for s in inputs.students if s.cohort == world.k.stanford.pk]
    assert {s.id: s.grade for s in stanford if s.id in firsts} == dict.fromkeys(firsts, 1)
    assert {s.grade for s in stanford if s.id not in firsts} == {0}
