"""Validation of school and people data, with messages that name the field at fault."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from students.errors import RecordIsPermanent
from students.models import Role, ServiceKind, Student

from ..factories import (
    CohortFactory,
    GradeFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db


def test_a_student_keeps_their_grade_in_a_combination_homeroom_of_another():
    school = SchoolFactory()
    student = StudentFactory(school=school)
    student.cohort = CohortFactory(school=school, grade=GradeFactory(school=school, level=4))

    student.full_clean()
    student.save()

    student.refresh_from_db()
    assert (student.grade.level, student.cohort.grade.level) == (3, 4)


def test_a_student_cannot_point_at_another_schools_cohort():
    student = StudentFactory()
    student.cohort = CohortFactory()  # another school

    with pytest.raises(ValidationError) as error:
        student.full_clean()

    assert "belongs to another school" in error.value.message_dict["cohort"][0]


def test_an_enrollment_cannot_end_before_it_starts():
    student = StudentFactory.build(
        school=SchoolFactory(), cohort=None, enrollment_end=datetime.date(2026, 8, 1)
    )
    student.grade = GradeFactory(school=student.school)
    with pytest.raises(ValidationError) as error:
        student.full_clean()
    assert (
        "cannot end before it starts (Aug. 12, 2026)"
        in error.value.message_dict["enrollment_end"][0]
    )


def test_the_database_refuses_an_enrollment_ending_before_it_starts():
    student = StudentFactory()
    student.enrollment_end = datetime.date(2026, 8, 1)
    with pytest.raises(IntegrityError):
        student.save()


def test_students_are_withdrawn_never_deleted():
    student = StudentFactory()
    with pytest.raises(RecordIsPermanent):
        student.delete()
    with pytest.raises(RecordIsPermanent):
        Student.objects.filter(pk=student.pk).delete()
    assert Student.objects.filter(pk=student.pk).exists()


def test_enrolled_on_excludes_students_not_yet_started_or_withdrawn():
    school = SchoolFactory()
    cohort = CohortFactory(school=school)
    current = StudentFactory(school=school, cohort=cohort)
    StudentFactory(school=school, cohort=cohort, enrollment_end=datetime.date(2026, 10, 1))
    StudentFactory(school=school, cohort=cohort, enrollment_start=datetime.date(2026, 12, 1))

    assert list(Student.objects.enrolled_on(datetime.date(2026, 11, 23))) == [current]


def test_an_iep_service_needs_an_iep_and_a_special_education_provider():
    need = ServiceNeedFactory.build(student=StudentFactory(has_iep=False), provider_role=Role.TUTOR)
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert error.value.message_dict == {
        "kind": [f"{need.student} has no IEP; mark the IEP on the student first."],
        "provider_role": [
            "Tutor cannot provide IEP special education; choose one of: Special-education teacher."
        ],
    }


def test_eld_is_only_for_current_english_learners():
    need = ServiceNeedFactory.build(
        student=StudentFactory(el_level="reclassified"),
        kind=ServiceKind.ELD,
        provider_role=Role.HUMANITIES,
    )
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert (
        "is not a current English learner (Reclassified fluent)"
        in error.value.message_dict["kind"][0]
    )


@pytest.mark.parametrize("minutes, ok", [(4, False), (5, True), (2200, True), (2201, False)])
def test_service_minutes_must_fit_a_school_week(minutes, ok):
    need = ServiceNeedFactory.build(student=StudentFactory(has_iep=True), minutes_per_week=minutes)
    if ok:
        need.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            need.full_clean()
        assert "minutes_per_week" in error.value.message_dict


def test_staff_hours_must_end_after_they_start():
    staff = StaffFactory(roles=[Role.ILS])
    staff.work_start, staff.work_end = datetime.time(15, 0), datetime.time(8, 0)
    with pytest.raises(ValidationError) as error:
        staff.full_clean()
    assert error.value.message_dict["work_end"] == [
        "Working hours must end after they start (3 p.m.)."
    ]


def test_a_school_time_zone_must_be_a_real_zone():
    school = SchoolFactory.build(network=SchoolFactory().network, time_zone="Pacific/Atlantis")
    with pytest.raises(ValidationError) as error:
        school.full_clean()
    assert "'Pacific/Atlantis' is not a time zone name" in error.value.message_dict["time_zone"][0]


def test_str_of_a_student_carries_the_id_not_the_name():
    student = Student(local_id="A0042", first_name="Maria", last_name="Lopez")
    assert str(student) == "Student A0042"
