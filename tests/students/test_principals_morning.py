"""The principal's morning on the leader's school page: today and the next school day at a
glance (the published version and who built it, last night's rebuild and whose day it changed,
who is out and how each is covered, the lab plan's shortfall, what waits for review, the
students furthest behind), each linking to its page; in a fixed number of queries."""

import datetime
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from learninglabs.models import Program, ProgramGoal, Subject
from scheduling.models import (
    LabPlan,
    NightlyRun,
    RunState,
    Schedule,
    ScheduleStatus,
    StationCode,
)
from scheduling.selectors.pages import MORNING_QUERIES, Cover, morning_of
from students.models import AuditAction, AuditEvent, Role, Staff

from ..conftest import SchoolWorld, client_for
from ..factories import (
    CohortFactory,
    NetworkAdminFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..scheduling.factories import (
    CalendarDayFactory,
    DayTypeFactory,
    ScheduledBlockFactory,
    ScheduleFactory,
    StaffAbsenceFactory,
)
from ..school_words import engine_words_in

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Morning:
    world: SchoolWorld
    today: datetime.date
    next_day: datetime.date
    published: Schedule
    draft: Schedule
    covered: Staff  # out, and the published version's recovery covers them
    cover: Staff  # covers them
    uncovered: Staff  # out, yet the published version still gives them a block
    run: NightlyRun


def page(world: SchoolWorld) -> str:
    return reverse("school-detail", kwargs={"school_id": world.school.pk})


def recovery_covering(absent: Staff, cover: Staff) -> dict:
    """``Schedule.recovery`` as a build stores it for cover by present staff."""
    return {
        "kind": "cover",
        "summary": f"Present staff cover {absent}'s literacy blocks: {cover} (45 min)",
        "why": ["Nobody present can teach literacy."],
        "recovery": {"version": 1, "kind": "cover", "absent": [absent.pk], "staff_added": []},
        "minutes_lost": [],
        "cover": [{"staff": cover.pk, "name": str(cover), "minutes": 45}],
        "moves": [],
        "rank": 1,
    }


@pytest.fixture
def morning(school_a: SchoolWorld) -> Morning:
    school = school_a.school
    today = timezone.localdate(timezone=school.zone)
    next_day = today + datetime.timedelta(days=3)
    day_type = DayTypeFactory.create(school=school, name="Regular")
    CalendarDayFactory.create(school=school, date=today, day_type=day_type)
    CalendarDayFactory.create(school=school, date=next_day, day_type=day_type)

    covered = StaffFactory.create(
        school=school, user=UserFactory.create(first_name="Ines", last_name="Out")
    )
    cover = StaffFactory.create(
        school=school, user=UserFactory.create(first_name="Carl", last_name="Cover")
    )
    uncovered = StaffFactory.create(
        school=school, user=UserFactory.create(first_name="Uma", last_name="Away")
    )
    built = timezone.make_aware(datetime.datetime.combine(today, datetime.time(2, 5)), school.zone)
    cohort = school_a.student.cohort
    baseline = ScheduleFactory.create(
        school=school, date=today, day_type=day_type, version=1, status=ScheduleStatus.SUPERSEDED
    )
    ScheduledBlockFactory.create(schedule=baseline, cohort=cohort, station=StationCode.LAB)
    published = ScheduleFactory.create(
        school=school,
        date=today,
        day_type=day_type,
        version=2,
        status=ScheduleStatus.PUBLISHED,
        built_by=school_a.leader.user,
        built_at=built,
        published_at=built,
        recovery=recovery_covering(covered, cover),
    )
    ScheduledBlockFactory.create(
        schedule=published,
        cohort=cohort,
        station=StationCode.LAB,
        start=datetime.time(8, 30),
        end=datetime.time(9, 0),
    )
    ScheduledBlockFactory.create(
        schedule=published,
        cohort=cohort,
        station=StationCode.FLEX,
        staff=uncovered,
        start=datetime.time(9, 0),
        end=datetime.time(9, 30),
    )
    StaffAbsenceFactory.create(school=school, staff=covered, date=today)
    StaffAbsenceFactory.create(school=school, staff=uncovered, date=today)
    LabPlan.objects.create(
        schedule=published,
        input_fingerprint="0" * 64,
        shortfalls=[
            {
                "student": school_a.student.pk,
                "service": school_a.iep_need.pk,
                "kind": "iep",
                "providers": [],
                "due": 60,
                "met": 30,
            }
        ],
    )
    run = NightlyRun.objects.create(
        school=school,
        night=today - datetime.timedelta(days=1),
        date=today,
        state=RunState.PUBLISHED,
        schedule=published,
        baseline=baseline,
    )
    draft = ScheduleFactory.create(
        school=school, date=next_day, day_type=day_type, version=1, status=ScheduleStatus.DRAFT
    )
    return Morning(school_a, today, next_day, published, draft, covered, cover, uncovered, run)


def test_a_leader_reads_today_and_the_next_school_day_each_linking_to_its_page(morning):
    world = morning.world
    response = client_for(world.leader.user).get(page(world))

    assert response.status_code == 200
    html = response.content.decode()
    today, next_day = response.context["morning"].days
    assert (today.date, next_day.date) == (morning.today, morning.next_day)
    school = world.school.pk
    review = reverse("schedule-review", args=[school, morning.published.pk])
    # The published version, when and by whom it was built.
    assert today.published == morning.published
    assert "Version 2 is published" in html and f'href="{review}"' in html
    assert str(world.leader.user.get_full_name()) in html
    # Last night's rebuild and whose day it changed.
    assert today.rebuild == morning.run
    assert [change.name for change in today.changes.cohorts] == [world.student.cohort.name]
    assert f"{reverse('nightly-runs', args=[school])}?night=" in html
    # Who is out and how each is covered.
    covers = {cover.absence.staff: cover for cover in today.absences}
    assert covers[morning.covered].how == Cover.RECOVERED
    assert covers[morning.covered].by == ("Carl Cover, 45 minutes",)
    assert "Cover by present staff" in html and "Carl Cover, 45 minutes" in html
    assert covers[morning.uncovered].how == Cover.NOT_COVERED
    assert covers[morning.uncovered].blocks_left == 1
    assert "still gives them 1 block while they are away" in html
    assert reverse("absences", args=[school]) + "?absence=" in html
    # The lab plan's shortfall, linked to the version's lab plan.
    assert (today.shortfall.students, today.shortfall.minutes) == (1, 30)
    assert "30 service minutes cannot be met for 1 student." in html
    assert f'href="{review}#lab-plan-heading"' in html
    # The draft of the next school day waits for review.
    waiting = reverse("schedule-review", args=[school, morning.draft.pk])
    assert next_day.waiting == morning.draft
    assert response.context["morning"].waiting == (morning.draft,)
    assert "Version 1 is waiting for your review" in html and f'href="{waiting}"' in html
    # The cohorts stay below.
    assert html.index("The morning at a glance") < html.index(world.student.cohort.name + "</a>")


def test_the_morning_speaks_the_schools_words_in_us_formats(morning):
    world = morning.world
    html = client_for(world.leader.user).get(page(world)).content.decode()
    assert engine_words_in(html) == []
    # Django's US formats ("Dec. 7, 2026", "2:05 a.m."), never the ISO dates of links.
    iso = morning.today.isoformat()
    assert iso not in html.replace(f"date={iso}", "")
    assert formats.date_format(morning.today) in html
    assert formats.time_format(datetime.time(2, 5)) == "2:05 a.m."
    assert "2:05 a.m." in html


def test_a_network_admin_of_the_school_sees_the_morning_too(morning):
    admin = UserFactory.create()
    NetworkAdminFactory.create(network=morning.world.school.network, user=admin)
    response = client_for(admin).get(page(morning.world))
    assert response.status_code == 200
    assert response.context["morning"] is not None


def test_a_teacher_sees_the_cohorts_and_no_morning(morning):
    world = morning.world
    response = client_for(world.teacher.user).get(page(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["morning"] is None
    assert "The morning at a glance" not in html and "Staff out" not in html
    assert world.student.cohort.name in html


def test_another_schools_leader_gets_404_for_the_school_page(morning, school_other_network):
    response = client_for(school_other_network.leader.user).get(page(morning.world))
    assert response.status_code == 404


def test_a_leader_of_a_sister_school_gets_404_too(morning, school_b):
    assert client_for(school_b.leader.user).get(page(morning.world)).status_code == 404


def test_a_day_without_anything_says_so_and_offers_to_build(school_a):
    response = client_for(school_a.leader.user).get(page(school_a))
    html = response.content.decode()
    (today,) = response.context["morning"].days  # no next school day in the calendar
    assert today.school_day is False and today.published is None
    assert "No school today." in html
    assert "No build is waiting for review." in html
    assert "No student is behind in the Learning Lab this week." in html


def test_the_students_furthest_behind_are_named_linked_and_audited(morning):
    world = morning.world
    school = world.school
    math = Program.objects.create(
        school=school, name="ST Math", code="st-math", subject=Subject.MATH, kind="adaptive"
    )
    ProgramGoal.objects.create(
        school=school,
        program=math,
        grade=world.student.grade.level,
        weekly_minutes=100,
        lessons_per_week=0,
        mastery_target=80,
    )
    # No minutes at all this month: the student is as far behind as one can be.
    response = client_for(world.leader.user).get(page(world))

    (row,) = response.context["morning"].furthest_behind
    assert row.student == world.student and row.subjects == ("Math",)
    html = response.content.decode()
    assert world.student.full_name in html and "behind in Math" in html
    assert reverse("progress-student", args=[world.student.pk]) in html
    listed = AuditEvent.objects.filter(action=AuditAction.LIST, model="students.student")
    assert {event.object_id for event in listed} == {str(world.student.pk)}


def test_a_school_day_absence_before_anything_is_published_says_so(school_a):
    school = school_a.school
    today = timezone.localdate(timezone=school.zone)
    CalendarDayFactory.create(school=school, date=today)
    StaffAbsenceFactory.create(school=school, staff=school_a.teacher, date=today)
    result = morning_of(school=school, user=school_a.leader.user, today=today)
    (cover,) = result.days[0].absences
    assert cover.how == Cover.NO_SCHEDULE
    html = client_for(school_a.leader.user).get(page(school_a)).content.decode()
    assert "Nothing is published for this day yet." in html


def grow(morning: Morning, *, absences: int, cohorts: int) -> None:
    """More staff out (half covered by the recovery, half with a block left), more cohorts and
    students, more drafts: none of it may cost a query."""
    world = morning.world
    school = world.school
    for _ in range(cohorts):
        cohort = CohortFactory.create(school=school, grade=world.student.grade)
        StudentFactory.create(school=school, cohort=cohort)
    for n in range(absences):
        staff = StaffFactory.create(school=school, roles=[Role.HUMANITIES])
        StaffAbsenceFactory.create(school=school, staff=staff, date=morning.today)
        StaffAbsenceFactory.create(school=school, staff=staff, date=morning.next_day)
        ScheduledBlockFactory.create(
            schedule=morning.published,
            cohort=world.student.cohort,
            station=StationCode.FLEX,
            staff=staff,
            start=datetime.time(10, n % 5 * 10),
            end=datetime.time(10, n % 5 * 10 + 10),
        )
    ScheduleFactory.create(
        school=school,
        date=morning.next_day + datetime.timedelta(days=7),
        day_type=morning.published.day_type,
        status=ScheduleStatus.DRAFT,
    )


def test_the_morning_reads_in_a_fixed_number_of_queries(morning, django_assert_max_num_queries):
    world = morning.world
    with django_assert_max_num_queries(MORNING_QUERIES):
        morning_of(school=world.school, user=world.leader.user, today=morning.today)
    grow(morning, absences=12, cohorts=6)
    with django_assert_max_num_queries(MORNING_QUERIES):
        result = morning_of(school=world.school, user=world.leader.user, today=morning.today)
    assert len(result.days[0].absences) == 14 and len(result.days[1].absences) == 12


def test_the_school_page_reads_in_the_same_queries_as_absences_and_cohorts_grow(
    morning, django_assert_max_num_queries
):
    world = morning.world
    client = client_for(world.leader.user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(page(world)).status_code == 200
    grow(morning, absences=10, cohorts=8)
    with django_assert_max_num_queries(len(small)):
        response = client.get(page(world))
    assert len(response.context["morning"].days[0].absences) == 12
    assert len(response.context["cohorts"]) == 9
