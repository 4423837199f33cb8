"""The demo schools' Learning Lab data: valid, idempotent, and spread like a real lab's."""

import datetime
import statistics

import pytest

from learninglabs.models import Program, ProgramGoal, ProgressRecord, StudentGoal
from learninglabs.pace import need_scores
from rocketship import demo
from rocketship.demo.learning import instructional_days, seed_learning_lab
from rocketship.demo.plan import SHAPE_S, DemoSchool
from scheduling.models import CalendarDay
from students.models import School, Student

pytestmark = pytest.mark.django_db

# A Wednesday a week after Thanksgiving: the history window holds the two holidays.
TODAY = datetime.date(2026, 12, 2)
THANKSGIVING = (datetime.date(2026, 11, 26), datetime.date(2026, 11, 27))
SEED = 7001
LEFT_ON = datetime.date(2026, 11, 12)
ARRIVED_ON = datetime.date(2026, 11, 17)


@pytest.fixture
def lab_school() -> School:
    """A small demo school (300 students, calendar configured) with its lab seeded once."""
    school, _ = demo.seed_school(
        school=DemoSchool("Carrel Street", "carrel-street", "C", SHAPE_S, SEED), today=TODAY
    )
    # One student leaves and one arrives inside the history window.
    first, second = Student.objects.filter(school=school).order_by("local_id")[:2]
    Student.objects.filter(pk=first.pk).update(enrollment_end=LEFT_ON)
    Student.objects.filter(pk=second.pk).update(enrollment_start=ARRIVED_ON)
    assert seed_learning_lab(school=school, today=TODAY, seed=SEED) > 0
    return school


def _counts(school: School) -> tuple[int, ...]:
    return (
        Program.objects.filter(school=school).count(),
        ProgramGoal.objects.filter(school=school).count(),
        StudentGoal.objects.filter(student__school=school).count(),
        ProgressRecord.objects.filter(student__school=school).count(),
    )


def test_seeding_twice_creates_nothing(lab_school):
    before = _counts(lab_school)

    assert seed_learning_lab(school=lab_school, today=TODAY, seed=SEED) == 0
    assert _counts(lab_school) == before
    programs, goals, overrides, records = before
    assert (programs, goals) == (4, 20)
    assert 1 <= overrides <= 30
    assert records > 300 * 2 * 15


def test_progress_is_the_schools_students_within_enrollment_and_school_days(lab_school):
    school_days = set(
        CalendarDay.objects.filter(school=lab_school, instructional=True).values_list(
            "date", flat=True
        )
    )
    records = ProgressRecord.objects.select_related("student", "program")

    for record in records:
        student = record.student
        assert student.school_id == lab_school.pk == record.program.school_id
        assert record.date < TODAY
        assert student.is_enrolled_on(record.date)
        assert record.date in school_days
        assert 0 < record.minutes <= 100
        assert record.mastery_level is None or 0 <= record.mastery_level <= 100

    left = records.filter(student__enrollment_end=LEFT_ON).values_list("date", flat=True)
    arrived = records.filter(student__enrollment_start=ARRIVED_ON).values_list("date", flat=True)
    assert max(left) <= LEFT_ON < TODAY - datetime.timedelta(weeks=2)
    assert min(arrived) >= ARRIVED_ON
    assert not records.filter(date__in=THANKSGIVING).exists()
    assert records.filter(date=TODAY - datetime.timedelta(days=1)).exists()


def test_every_row_passes_model_validation(lab_school):
    for row in [
        *Program.objects.filter(school=lab_school),
        *ProgramGoal.objects.filter(school=lab_school),
        *StudentGoal.objects.filter(student__school=lab_school),
        *ProgressRecord.objects.filter(student__school=lab_school).order_by("?")[:200],
    ]:
        row.full_clean()


def test_mastery_rises_slowly(lab_school):
    record = ProgressRecord.objects.filter(mastery_level__isnull=False).first()
    levels = list(
        ProgressRecord.objects.filter(student=record.student, program=record.program)
        .order_by("date")
        .values_list("mastery_level", flat=True)
    )

    assert levels == sorted(levels)
    assert levels[-1] - levels[0] < 20


def test_need_scores_spread_like_a_real_lab(lab_school):
    scores = need_scores(school_id=lab_school.pk, date=TODAY)
    enrolled = Student.objects.filter(school=lab_school).enrolled_on(TODAY).count()
    math = [subjects["math"] for subjects in scores.values()]
    literacy = [subjects["literacy"] for subjects in scores.values()]

    assert len(scores) == enrolled
    for needs in (math, literacy):
        above = sum(need > 0.5 for need in needs) / len(needs)
        assert 0.05 <= above <= 0.35  # the behind fifth, most of it
        assert statistics.median(needs) < 0.35
        assert len(set(needs)) > len(needs) // 2


def test_a_programs_grades_follow_its_goals(lab_school):
    grades = {
        program.code: set(program.goals.values_list("grade", flat=True))
        for program in Program.objects.filter(school=lab_school)
    }
    worked = {
        code: set(
            ProgressRecord.objects.filter(program__code=code, student__school=lab_school)
            .values_list("student__grade__level", flat=True)
            .distinct()
        )
        for code in grades
    }

    assert grades == {
        "dreambox-math": {0, 1, 2, 3, 4, 5},
        "lexia-core5": {0, 1, 2, 3, 4, 5},
        "st-math": {2, 3, 4, 5},
        "accelerated-reader": {2, 3, 4, 5},
    }
    assert worked == grades
    for grade in range(6):
        weekly = sum(
            ProgramGoal.objects.filter(school=lab_school, grade=grade).values_list(
                "weekly_minutes", flat=True
            )
        )
        assert 200 <= weekly <= 400


def test_without_a_calendar_the_days_are_the_demo_school_days(school_a):
    days = instructional_days(school=school_a.school, today=TODAY)

    assert days[0] == TODAY - datetime.timedelta(weeks=4)
    assert days[-1] == TODAY - datetime.timedelta(days=1)
    assert all(day.weekday() < 5 for day in days)
    assert not set(THANKSGIVING) & set(days)
    assert len(days) == 18


def test_the_network_seed_reports_lab_counts_before_any_build():
    lines: list[str] = []
    demo.seed_demo_network(today=TODAY, build_schedules=False, progress=lines.append)

    lab_lines = [line for line in lines if "Learning Lab" in line]
    assert len(lab_lines) == 2
    assert all("4 programs, 20 goals," in line for line in lab_lines)
    names = set(Student.objects.values_list("first_name", flat=True)) | set(
        Student.objects.values_list("last_name", flat=True)
    )
    words = {word.strip(".,:;()") for line in lines for word in line.split()}
    assert not words & names
    assert not CalendarDay.objects.exists()  # seeded from the demo calendar, before configuring
    for school in School.objects.all():
        assert ProgressRecord.objects.filter(student__school=school).exists()
