"""The district-shaped export bench.oneroster imports (the tests' writer with its opt-ins: several
homerooms per grade, subject teachers, a guardian of each student) imports whole, in one pass."""

import datetime
from collections import Counter
from pathlib import Path

import pytest

from students.models import Guardian, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.plan import roster_plan

from ..factories import NetworkFactory
from .oneroster_files import network as network_export

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 9, 3)


def imported(network, folder: Path):
    plan = roster_plan(network=network, export=read_export(folder), today=TODAY)
    if plan.ok:
        roster_apply(plan)
    return plan


def test_a_district_export_with_sections_subject_teachers_and_a_guardian_each(tmp_path):
    network = NetworkFactory()
    export = network_export(2, 48, guardians=True, sections=2, subject_teachers=True)
    folder = export.write_folder(tmp_path / "district")

    plan = imported(network, folder)

    assert plan.ok, plan.errors
    # Per school: 6 grades x 2 homerooms with a teacher, a math and an ELA teacher per grade.
    assert plan.counts() == {
        "school": {"create": 2},
        "cohort": {"create": 24},
        "staff": {"create": 48},
        "student": {"create": 96},
        "guardian": {"create": 96},
    }
    assert set(Counter(Student.objects.values_list("cohort", flat=True)).values()) == {4}
    assert Staff.objects.count() == 48
    assert Guardian.students.through.objects.count() == 96
    assert Counter(Guardian.objects.values_list("relationship", flat=True)) == {
        "parent": 77,
        "guardian": 19,
    }
    assert not Guardian.objects.filter(phone="").exists()
    assert Counter(Guardian.objects.values_list("language", flat=True)) == {
        "": 64,
        "es": 16,
        "vi": 16,
    }
    assert imported(network, folder).changes == []


def test_without_the_options_the_export_is_the_one_other_tests_use():
    export = network_export(1, 12)

    assert Counter(u["role"] for u in export.rows("users.csv")) == {"teacher": 6, "student": 12}
    assert len(export.rows("classes.csv")) == 18  # a homeroom, math and ELA per grade
    assert len(export.rows("enrollments.csv")) == 6 + 12 * 3
    assert b"metadata.language" not in export.render()["users.csv"]
