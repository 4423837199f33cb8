"""The demo network, exported the way a student information system would export it, rosters
the same kind of schools the demo command builds."""

import datetime

import pytest

from students.models import Cohort, Network, Staff, Student
from students.oneroster import read_export
from students.oneroster.apply import roster_apply
from students.oneroster.plan import roster_plan

from .demo_roster import demo_export

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)


def import_demo(network, tmp_path, name):
    export, plans = demo_export(TODAY)
    plan = roster_plan(
        network=network, export=read_export(export.write_zip(tmp_path / name)), today=TODAY
    )
    assert plan.ok, plan.errors[:5]
    if plan.changes:
        roster_apply(plan)
    return plan, plans


def test_the_demo_export_builds_the_demo_schools(tmp_path):
    network = Network.objects.create(name="Bay Valley", slug="bay-valley")

    _, plans = import_demo(network, tmp_path, "first.zip")

    for plan in plans:
        school = network.schools.get(name=plan.school.name)
        cohorts = {(c.grade.level, c.name) for c in Cohort.objects.filter(school=school)}
        assert cohorts == set(plan.cohorts)
        enrolled = {s.local_id: s.cohort.name for s in Student.objects.filter(school=school)}
        assert enrolled == {s.local_id: s.cohort for s in plan.students if s.withdrawn_on is None}
        staff = {
            m.user.username: m
            for m in Staff.objects.filter(school=school)
            .select_related("user")
            .prefetch_related("role_grants", "cohorts")
        }
        assert set(staff) == {p.username for p in plan.staff}
        for post in plan.staff:
            member = staff[post.username]
            assert member.role_codes == {post.role}, post.username
            assert {c.name for c in member.cohorts.all()} == set(post.cohorts), post.username


def test_the_demo_export_again_changes_nothing(tmp_path):
    network = Network.objects.create(name="Bay Valley", slug="bay-valley")
    import_demo(network, tmp_path, "first.zip")

    again, _ = import_demo(network, tmp_path, "again.zip")

    assert again.changes == []
