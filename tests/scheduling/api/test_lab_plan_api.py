"""The Learning Lab plan through API v1: a student's day gives each lab and flexible block the
student's segments (program time, tutoring, services, with whom), and a staff member's roster
gives the tutoring and service groups they lead with their students; scoped to the caller's
schools, audited, in a fixed number of queries however large the cohort.

The world is ``built_lab_world()``: the kindergarten of ``test_selectors`` with Ms. Chen (special
education), Mr. Diaz (tutor, also ELD), two programs, two IEP students, an English learner and
three students far behind in literacy, built and published for Tuesday 1 September 2026.
"""

import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learninglabs.models import ProgressRecord
from scheduling.models import LabGroup, LabSegment, Schedule, ScheduleStatus
from scheduling.services.builds import schedule_build
from students.models import AuditAction, AuditEvent, Role, ServiceKind, ServiceNeed

from ...conftest import client_for
from ...factories import SchoolFactory, StaffFactory, StudentFactory
from ..lab_world import FAST, LabWorld, built_lab_world, four_weeks_of_progress, give_iep
from ..test_selectors import DATE
from .test_schedule_api import assert_problem, leaders_integration, token_for

pytestmark = pytest.mark.django_db

DAY = DATE.isoformat()
PLANNED = ("lab", "flex")


def student_url(student_id: int) -> str:
    return f"/api/v1/students/{student_id}/schedule/{DAY}/"


def roster_url(staff_id: int) -> str:
    return f"/api/v1/staff/{staff_id}/roster/{DAY}/"


def segments_of(body: dict) -> list[dict]:
    return [s for b in body["blocks"] for s in b["segments"]]


@pytest.fixture
def world() -> LabWorld:
    return built_lab_world()


# --- a student's day ---------------------------------------------------------------------------


def test_each_lab_and_flex_block_is_tiled_by_the_students_segments_in_time_order(world):
    student = world.iep[0]

    body = token_for(world.school).get(student_url(student.pk)).json()

    planned = [b for b in body["blocks"] if b["station"] in PLANNED]
    assert planned, body["blocks"]
    for block in planned:
        segments = block["segments"]
        assert segments, block
        assert segments[0]["start"] == block["start"]
        assert segments[-1]["end"] == block["end"]
        for before, after in itertools.pairwise(segments):
            assert before["end"] == after["start"]
        for segment in segments:
            assert set(segment) == {
                "start",
                "end",
                "activity",
                "program",
                "subject",
                "group",
                "service",
                "place",
            }
            assert segment["start"].endswith("-07:00")  # the school's offset, like the blocks
    assert all(b["segments"] == [] for b in body["blocks"] if b["station"] not in PLANNED)
    stored = LabSegment.objects.filter(plan__schedule=world.schedule, student=student).count()
    assert len(segments_of(body)) == stored


def test_the_iep_students_lab_time_has_a_service_segment_with_ms_chen(world):
    student = world.iep[0]
    need = ServiceNeed.objects.get(student=student, kind=ServiceKind.IEP)

    # A leader's integration sees the services (a read-only token: tests/security).
    body = leaders_integration(world.school).get(student_url(student.pk)).json()

    services = [s for s in segments_of(body) if s["activity"] == "service"]
    assert services, segments_of(body)
    segment = services[0]
    group = LabGroup.objects.get(
        plan__schedule=world.schedule, segments__student=student, kind="service"
    )
    assert segment["group"] == {
        "id": group.number,
        "staff": {"id": world.chen.pk, "name": "Ms. Chen"},
    }
    assert segment["service"] == {"id": need.pk, "kind": "iep"}
    assert segment["program"] is None
    # Within one of the student's lab or flexible blocks.
    assert any(
        b["start"] <= segment["start"] and segment["end"] <= b["end"]
        for b in body["blocks"]
        if b["station"] in PLANNED
    )
    # Reading the day reads the service need it delivers: both are in the audit trail.
    read = set(AuditEvent.objects.filter(action=AuditAction.VIEW).values_list("model", "object_id"))
    assert read == {("students.student", str(student.pk)), ("students.serviceneed", str(need.pk))}
    assert AuditEvent.objects.get(model="students.serviceneed").special_education is True


def test_a_program_segment_names_its_program_and_subject(world):
    student = world.iep[0]
    programs = {
        world.headsprout.pk: {"id": world.headsprout.pk, "name": "Headsprout"},
        world.dreambox.pk: {"id": world.dreambox.pk, "name": "DreamBox"},
    }
    subjects = {world.headsprout.pk: "literacy", world.dreambox.pk: "math"}

    body = token_for(world.school).get(student_url(student.pk)).json()

    program_time = [s for s in segments_of(body) if s["activity"] == "program"]
    assert program_time
    for segment in program_time:
        assert segment["group"] is None and segment["service"] is None
        program = segment["program"]
        assert program == programs[program["id"]]
        assert segment["subject"] == subjects[program["id"]]


def test_a_tutored_student_has_a_tutoring_segment_with_mr_diaz(world):
    tutored = {
        student_id
        for (student_id,) in LabSegment.objects.filter(
            plan__schedule=world.schedule, kind="tutoring"
        ).values_list("student_id")
    }
    student = next(s for s in world.behind if s.pk in tutored)

    body = token_for(world.school).get(student_url(student.pk)).json()

    tutoring = [s for s in segments_of(body) if s["activity"] == "tutoring"]
    assert tutoring
    assert {s["group"]["staff"]["id"] for s in tutoring} == {world.diaz.pk}
    assert all(s["service"] is None and s["program"] is None for s in tutoring)
    assert {s["subject"] for s in tutoring} == {"literacy"}


def test_another_schools_student_or_staff_answers_404_and_is_not_read(world):
    other = SchoolFactory()
    stranger = StudentFactory(school=other)
    tutor = StaffFactory(school=other, roles=[Role.TUTOR])
    api = token_for(world.school)

    assert_problem(api.get(student_url(stranger.pk)), 404)
    assert_problem(api.get(roster_url(tutor.pk)), 404)
    assert not AuditEvent.objects.filter(action__in=[AuditAction.VIEW, AuditAction.LIST]).exists()


# --- a staff member's roster -------------------------------------------------------------------


def test_the_tutors_roster_lists_his_groups_with_the_tutored_students_and_audits_them(world):
    # Mr. Diaz teaches no block: leading groups on a published date is a roster, not a 404.
    response = leaders_integration(world.school).get(roster_url(world.diaz.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["blocks"] == []
    groups = body["groups"]
    assert groups
    stored = list(
        LabGroup.objects.filter(plan__schedule=world.schedule, staff=world.diaz).order_by(
            "start", "number"
        )
    )
    assert [g["number"] for g in groups] == [g.number for g in stored]
    assert [g["start"] for g in groups] == sorted(g["start"] for g in groups)
    tutoring = [g for g in groups if g["kind"] == "tutoring"]
    assert tutoring
    for group in tutoring:
        assert (group["service_kind"], group["subject"]) == (None, "literacy")
        assert group["start"].startswith(f"{DAY}T") and group["start"] < group["end"]
    tutored = {s["id"] for g in tutoring for s in g["students"]}
    assert tutored == {s.pk for s in world.behind}
    first = next(s for s in world.behind if s.pk in tutored)
    entry = next(s for g in tutoring for s in g["students"] if s["id"] == first.pk)
    assert entry == {
        "id": first.pk,
        "local_id": first.local_id,
        "name": f"{first.last_name}, {first.first_name}",
        "has_iep": False,
        "el_level": "not_el",
        "english_learner": False,
    }
    # He also delivers ELD: the English learner is in his service group.
    eld = [g for g in groups if g["kind"] == "service"]
    assert [g["service_kind"] for g in eld] == ["eld"] * len(eld)
    assert {s["id"] for g in eld for s in g["students"]} == {world.learner.pk}
    assert next(s for g in eld for s in g["students"])["english_learner"] is True

    read = set(
        AuditEvent.objects.filter(action=AuditAction.LIST, model="students.student").values_list(
            "object_id", flat=True
        )
    )
    assert read == {str(pk) for pk in tutored | {world.learner.pk}}
    eld_need = ServiceNeed.objects.get(student=world.learner)
    assert AuditEvent.objects.filter(
        action=AuditAction.LIST, model="students.serviceneed", object_id=str(eld_need.pk)
    ).exists()


def test_ms_chens_roster_lists_her_iep_groups(world):
    body = leaders_integration(world.school).get(roster_url(world.chen.pk)).json()

    assert body["blocks"] == []
    assert body["groups"]
    assert {(g["kind"], g["service_kind"]) for g in body["groups"]} == {("service", "iep")}
    students = {s["id"]: s for g in body["groups"] for s in g["students"]}
    assert set(students) == {s.pk for s in world.iep}
    assert all(s["has_iep"] for s in students.values())


def test_a_teacher_who_leads_no_group_has_an_empty_groups_list(world):
    body = token_for(world.school).get(roster_url(world.k.rivera.pk)).json()
    assert body["blocks"] and body["groups"] == []


def test_a_staff_member_with_no_block_and_no_group_still_gets_the_published_day(world):
    idle = StaffFactory(school=world.school, roles=[Role.TUTOR])
    response = token_for(world.school).get(roster_url(idle.pk))
    assert response.status_code == 200
    assert (response.json()["blocks"], response.json()["groups"]) == ([], [])


def test_a_group_leaders_roster_of_an_unpublished_date_is_a_404(world):
    response = token_for(world.school).get(f"/api/v1/staff/{world.diaz.pk}/roster/2026-09-02/")
    assert "No schedule is published" in assert_problem(response, 404)["detail"]


# --- fixed query counts as the cohort grows ----------------------------------------------------


def grow(world: LabWorld, *, students: int) -> None:
    """``students`` more in the Stanford cohort (every other one with an IEP, the rest far
    behind in literacy), then the day rebuilt and the new version published."""
    cohort = world.k.stanford
    added = StudentFactory.create_batch(
        students, school=world.school, cohort=cohort, grade=cohort.grade
    )
    for student in added[::2]:
        give_iep(student)
    behind = set(added[1::2])
    records = four_weeks_of_progress(
        added,
        (world.headsprout, world.dreambox),
        lagging=lambda student, program: student in behind and program == world.headsprout,
    )
    ProgressRecord.objects.bulk_create(records)
    result = schedule_build(school=world.school, date=DATE, publish=True, options=FAST)
    assert result.ok, result.reasons
    assert not result.unchanged
    world.schedule = result.schedule


def test_the_student_and_roster_queries_stay_fixed_as_the_cohort_grows(world):
    leader = StaffFactory(school=world.school, roles=[Role.LEADER])
    client = client_for(leader.user)
    first_iep = world.iep[0]

    def counts() -> dict[str, int]:
        cache.clear()
        measured = {}
        for name, url in {
            "student": student_url(first_iep.pk),
            "tutor roster": roster_url(world.diaz.pk),
            "sped roster": roster_url(world.chen.pk),
        }.items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (name, response.content)
            measured[name] = len(queries)
        return measured

    small = counts()
    small_groups = LabGroup.objects.filter(plan__schedule=world.schedule).count()
    grow(world, students=8)
    assert Schedule.objects.get(school=world.school, date=DATE, status=ScheduleStatus.PUBLISHED)
    large = counts()

    assert LabGroup.objects.filter(plan__schedule=world.schedule).count() > small_groups
    assert small == large
    # session (2), student (1), schedule with its plan (1), blocks (1), segments (1), audit (1)
    assert large["student"] == 7
    # session (2), staff (1), roster (3: schedule, labs, blocks; they teach none, so no
    # students), roles (1), groups (1), their students (1), audit (1)
    assert large["tutor roster"] == large["sped roster"] == 10
