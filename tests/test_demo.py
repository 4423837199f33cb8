"""The demo network is valid school data, the same on every run, and never seeded in production."""

import datetime
import re

import pytest
from django.contrib.auth import authenticate

from rocketship import demo
from rocketship.demo.plan import plan_network
from rocketship.demo.scheduling import configure_school, day_setup_line
from scheduling.models import Room, RoomKind
from students.models import Cohort, GradeLevel, School, ServiceNeed, Staff, Student
from students.permissions import visible_schools

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def test_the_plan_is_the_same_on_every_run():
    assert plan_network(today=TODAY) == plan_network(today=TODAY)


def test_seeded_data_passes_model_validation_and_matches_the_shapes():
    demo.seed_demo_network(today=TODAY, build_schedules=False)

    for row in [
        *Student.objects.all(),
        *ServiceNeed.objects.select_related("student"),
        *Staff.objects.all(),
    ]:
        row.full_clean()
    enrolled = Student.objects.enrolled_on(TODAY)
    assert enrolled.count() == 900 - 6
    assert 0.08 <= Student.objects.filter(has_iep=True).count() / 900 <= 0.14


def test_every_cohort_makes_its_home_in_a_classroom_of_its_own_grade():
    demo.seed_demo_network(today=TODAY, build_schedules=False)

    cohorts = Cohort.objects.select_related("grade", "homeroom").order_by("school", "name")
    homes = {c.name: c.homeroom.name for c in cohorts}
    assert len(homes) == 6 * 2 + 6 * 4
    for cohort in cohorts:
        label = GradeLevel(cohort.grade.level).label
        assert cohort.homeroom.kind == RoomKind.CLASSROOM
        assert cohort.homeroom.name.startswith(f"Classroom {label}-"), (cohort.name, homes)
    kindergarten = Cohort.objects.filter(school__slug="alder-street", grade__level=0)
    assert sorted(c.homeroom.name for c in kindergarten) == ["Classroom K-1", "Classroom K-2"]


def test_each_planned_classroom_is_the_home_of_a_cohort_of_its_grade():
    for plan in plan_network(today=TODAY):
        grade_of = {name: GradeLevel(level).label for level, name in plan.cohorts}
        homes = [room for room in plan.rooms if room.homeroom_of]
        assert sorted(room.homeroom_of for room in homes) == sorted(grade_of)
        for room in homes:
            assert room.name.startswith(f"Classroom {grade_of[room.homeroom_of]}-")


def test_seeding_twice_prints_the_same_counts():
    first: list[str] = []
    demo.seed_demo_network(today=TODAY, build_schedules=False, progress=first.append)
    for school in School.objects.order_by("name"):
        configure_school(school=school, first_day=datetime.date(2026, 8, 12))
        first.append(day_setup_line(school=school))
    rooms_after_the_first_run = Room.objects.count()

    second: list[str] = []
    demo.seed_demo_network(today=TODAY, build_schedules=False, progress=second.append)
    for school in School.objects.order_by("name"):
        configure_school(school=school, first_day=datetime.date(2026, 8, 12))
        second.append(day_setup_line(school=school))

    def counts(lines: list[str]) -> list[list[str]]:
        return [re.findall(r"\d[\d,]*", line) for line in lines]

    assert len(first) == len(second) and counts(first) == counts(second)
    assert any("300 students" in line for line in first)
    # Every room the configured day uses was counted by the first run's summary.
    assert sum(int(re.search(r"(\d+) rooms", line)[1]) for line in first if " rooms" in line) == (
        rooms_after_the_first_run
    )
    assert Room.objects.count() == rooms_after_the_first_run
    assert "created" in first[1] and "already present" in second[1]


def test_each_demo_login_sees_its_school(school_a):
    demo.seed_demo_network(today=TODAY, build_schedules=False)

    leader = authenticate(username="leader", password=demo.DEMO_PASSWORD)
    admin = authenticate(username="network.admin", password=demo.DEMO_PASSWORD)

    assert [s.name for s in visible_schools(leader)] == ["Mission Heights Academy"]
    assert sorted(s.name for s in visible_schools(admin)) == [
        "Alder Street Elementary",
        "Mission Heights Academy",
    ]


def test_seeding_is_refused_on_a_production_site(settings):
    settings.HTTPS = True
    with pytest.raises(demo.DemoSeedRefused, match="HTTPS"):
        demo.seed_demo_network(today=TODAY, build_schedules=False)
    assert not Student.objects.exists()
