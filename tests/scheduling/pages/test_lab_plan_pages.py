"""The lab plan on the pages staff use: a tutor's groups on "My day", one block's plan (students
by segments, then the groups), the lab's counts, and the leader's review of a version.

The school is ``lab_world``'s kindergarten, built and published for Tuesday 1 September: K Howard
is in the lab 8:00-8:30 and in its flexible block 8:35-8:50, K Stanford in its flexible block
8:45-9:00 and in the lab 9:05-9:35. Ms. Chen (special education) serves the two IEP students,
Mr. Diaz tutors the three students behind in literacy and gives the English learner ELD.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import BuildJob, BuildState, ScheduleStatus
from scheduling.services import schedule_build
from students.models import AuditAction, AuditEvent, ELLevel, Role, Student

from ...conftest import client_for
from ...factories import StaffFactory, StudentFactory
from ..factories import StaffAbsenceFactory
from ..lab_world import FAST, built_lab_world, lab_world
from ..test_selectors import DATE

pytestmark = pytest.mark.django_db


def name(student: Student) -> str:
    return f"{student.last_name}, {student.first_name}"


def my_day_url() -> str:
    return f"{reverse('my-day')}?date={DATE.isoformat()}"


def plan_url(schedule, cohort, hhmm: str, school=None) -> str:
    school_id = (school or schedule.school).pk
    return reverse("lab-block-plan", args=[school_id, schedule.pk, cohort.pk, hhmm])


def review_url(schedule) -> str:
    return reverse("schedule-review", args=[schedule.school_id, schedule.pk])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def panel_of(html: str) -> str:
    """The review page's lab plan panel."""
    start = html.index('id="lab-plan-heading"')
    return html[start : html.index("</section>", start)]


def cells_of(html: str, student: Student) -> list[tuple[str, str]]:
    """(kind, text) of each segment cell in ``student``'s row of a block's grid."""
    row = re.search(rf">{re.escape(name(student))}</a></th>(.*?)</tr>", html, re.S).group(1)
    return [
        (kind, text(cell))
        for kind, cell in re.findall(r'<td class="plan-cell plan-(\w+)">(.*?)</td>', row, re.S)
    ]


def test_a_tutors_my_day_lists_his_groups_in_time_order_with_their_students():
    world = built_lab_world()

    html = client_for(world.diaz.user).get(my_day_url()).content.decode()

    assert "My groups" in html
    titles = [text(t) for t in re.findall(r'<h4 class="lab-group-title">(.*?)</h4>', html)]
    assert titles == [
        "8:00\u20138:15 Tutoring: literacy Group 2",
        "8:15\u20138:30 Tutoring: literacy Group 3",
        "8:45\u20139:00 Tutoring: literacy Group 4",
        "9:05\u20139:20 English language development Group 6",
    ]
    for student in (*world.behind, world.learner):
        assert f">{name(student)}</a>" in html
    for student in world.iep:  # Ms. Chen's, not his
        assert f">{name(student)}</a>" not in html
    assert "K Stanford, Learning Lab" in html  # where the English learner comes from
    read = set(
        AuditEvent.objects.filter(
            user=world.diaz.user, action=AuditAction.LIST, model="students.student"
        ).values_list("object_id", flat=True)
    )
    assert read == {str(s.pk) for s in (*world.behind, world.learner)}


def test_the_lab_supervisors_day_links_each_lab_block_to_its_plan():
    world = built_lab_world()
    schedule, k = world.schedule, world.k

    html = client_for(k.okafor.user).get(my_day_url()).content.decode()

    assert f'href="{plan_url(schedule, k.howard, "0800")}"' in html
    assert f'href="{plan_url(schedule, k.stanford, "0905")}"' in html
    assert "My groups" not in html  # he leads none


def test_the_block_page_shows_every_student_and_what_they_do_in_each_segment():
    world = built_lab_world()
    schedule, k = world.schedule, world.k
    stanford = list(Student.objects.filter(cohort=k.stanford).enrolled_on(DATE))

    # Ms. Chen teaches special education: she sees every student's services.
    response = client_for(world.chen.user).get(plan_url(schedule, k.stanford, "0905"))

    assert response.status_code == 200
    html = response.content.decode()
    columns = re.findall(r'<th scope="col" class="plan-segment">([^<]+)</th>', html)
    assert columns == ["9:05\u20139:20", "9:20\u20139:35"]
    rows = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html)
    assert sorted(rows) == sorted(name(s) for s in stanford) and len(rows) == 14
    assert cells_of(html, world.iep[0])[0] == (
        "service",
        "IEP special education with Ms. Chen (group 5)",
    )
    assert cells_of(html, world.learner)[0] == (
        "service",
        "English language development with Mr. Diaz (group 6)",
    )
    assert cells_of(html, world.learner)[1] == ("program", "DreamBox")
    assert "14 students: 0 in tutoring, 2 in services" in text(html)
    groups = [text(t) for t in re.findall(r'<h3 class="lab-group-title">(.*?)</h3>', html)]
    assert groups == [
        "9:05\u20139:20 IEP special education Group 5 with Ms. Chen",
        "9:05\u20139:20 English language development Group 6 with Mr. Diaz",
    ]
    assert 'class="badge badge-iep"' in html and "EL: Emerging" in html
    events = AuditEvent.objects.filter(user=world.chen.user, action=AuditAction.LIST)
    assert events.filter(model="students.student").count() == 14
    assert events.filter(model="students.serviceneed").count() == 2


def test_the_lab_supervisor_sees_who_is_away_for_a_service_but_not_which():
    world = built_lab_world()
    schedule, k = world.schedule, world.k

    # Mr. Okafor (ILS) provides none of these students' services: need to know.
    html = client_for(k.okafor.user).get(plan_url(schedule, k.stanford, "0905")).content.decode()

    assert cells_of(html, world.iep[0])[0] == ("service", "Away: service")
    assert cells_of(html, world.learner)[0] == ("service", "Away: service")
    assert cells_of(html, world.learner)[1] == ("program", "DreamBox")
    assert "14 students: 0 in tutoring, 2 in services" in text(html)
    assert re.findall(r'<h3 class="lab-group-title">', html) == []
    for secret in ("IEP special education", "English language development", "Ms. Chen"):
        assert secret not in html
    assert 'class="badge badge-iep"' not in html and "EL: Emerging" in html
    events = AuditEvent.objects.filter(user=k.okafor.user, action=AuditAction.LIST)
    assert events.filter(model="students.student").count() == 14
    assert not events.filter(model="students.serviceneed").exists()


def test_the_flexible_block_shows_the_tutoring_its_students_leave_for():
    world = built_lab_world()
    schedule, k = world.schedule, world.k

    html = client_for(k.rivera.user).get(plan_url(schedule, k.stanford, "0845")).content.decode()

    for student in world.behind[:2]:  # the two of K Stanford behind in literacy
        assert cells_of(html, student) == [
            ("tutoring", "Tutoring: literacy with Mr. Diaz (group 4)")
        ]
    assert cells_of(html, world.learner) == [("program", "Headsprout")]


def test_the_labs_day_counts_each_blocks_tutoring_and_services_and_links_the_plan():
    world = built_lab_world()
    schedule, k = world.schedule, world.k
    lab = reverse("lab-view", args=[k.school.pk, k.rooms["lab"]])

    html = client_for(k.okafor.user).get(f"{lab}?date={DATE.isoformat()}").content.decode()

    plans = [text(cell) for cell in re.findall(r'<td class="stay-plan">(.*?)</td>', html, re.S)]
    assert plans == [
        "16 students: 1 in tutoring, 1 in services Plan of K Howard, 8:00\u20138:30",
        "14 students: 0 in tutoring, 2 in services Plan of K Stanford, 9:05\u20139:35",
    ]
    assert f'href="{plan_url(schedule, k.stanford, "0905")}"' in html
    assert "Abbott" not in html and name(world.learner) not in html  # counts, not names


def test_the_review_lists_the_service_minutes_that_cannot_be_met_and_who_could_deliver_them():
    world = lab_world()
    StaffAbsenceFactory(school=world.school, staff=world.chen, date=DATE)
    leader = StaffFactory(school=world.school, roles=[Role.LEADER])
    draft = schedule_build(school=world.school, date=DATE, options=FAST).schedule

    html = client_for(leader.user).get(review_url(draft)).content.decode()

    panel = panel_of(html)
    assert "30 service minutes cannot be met: 0 of the 30 due to 2 students below." in text(panel)
    rows = [
        [text(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", panel, re.S)[1:]
    ]
    # Ms. Chen is the school's only special-education teacher, and she is away.
    assert sorted(rows) == sorted(
        [name(s), "IEP special education", "15 min", "0 min", "15 min", "no provider available"]
        for s in world.iep
    )
    assert "Service minutes delivered" in panel
    named = AuditEvent.objects.filter(user=leader.user, model="students.student")
    assert set(named.values_list("object_id", flat=True)) == {str(s.pk) for s in world.iep}


def test_the_review_of_a_complete_plan_says_every_service_minute_is_met():
    world = built_lab_world()
    leader = StaffFactory(school=world.school, roles=[Role.LEADER])

    html = client_for(leader.user).get(review_url(world.schedule)).content.decode()

    assert "Every service minute is met." in html
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", panel_of(html)))
    assert counts == {
        "Students planned": "30",
        "Tutoring groups": "3",
        "Service groups": "3",
        "Service minutes delivered": "45",
    }


def test_another_schools_staff_and_leaders_get_404_for_the_block(school_b):
    world = built_lab_world()
    schedule, k = world.schedule, world.k

    answers = [
        client_for(school_b.teacher.user).get(plan_url(schedule, k.stanford, "0905")).status_code,
        client_for(school_b.leader.user).get(plan_url(schedule, k.stanford, "0905")).status_code,
        # Their own school's id with this school's schedule and cohort.
        client_for(school_b.leader.user)
        .get(plan_url(schedule, k.stanford, "0905", school=school_b.school))
        .status_code,
    ]

    assert answers == [404, 404, 404]
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()


def test_a_block_that_is_not_a_lab_or_flexible_block_is_no_page():
    world = built_lab_world()
    schedule, k = world.schedule, world.k
    client = client_for(k.okafor.user)

    literacy = client.get(plan_url(schedule, k.stanford, "0800"))
    nonsense = client.get(plan_url(schedule, k.stanford, "2561"))

    assert [literacy.status_code, nonsense.status_code] == [404, 404]


def test_a_draft_plan_is_the_leaders_only():
    world = lab_world()
    StaffAbsenceFactory(school=world.school, staff=world.chen, date=DATE)
    leader = StaffFactory(school=world.school, roles=[Role.LEADER])
    draft = schedule_build(school=world.school, date=DATE, options=FAST).schedule
    assert draft.status == ScheduleStatus.DRAFT
    url = plan_url(draft, world.k.stanford, "0905")

    teacher = client_for(world.k.rivera.user).get(url)
    leaders = client_for(leader.user).get(url)

    assert teacher.status_code == 404
    assert leaders.status_code == 200
    assert "only the school's leaders see it" in leaders.content.decode()


def test_the_block_page_reads_in_the_same_queries_however_many_students(
    django_assert_max_num_queries,
):
    world = lab_world()
    schedule = schedule_build(school=world.school, date=DATE, publish=True, options=FAST).schedule
    client = client_for(world.chen.user)  # special education: sees every group and service
    client.get(plan_url(schedule, world.k.stanford, "0905"))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(plan_url(schedule, world.k.stanford, "0905"))
    k = world.k
    StudentFactory.create_batch(
        10, school=k.school, cohort=k.stanford, grade=k.stanford.grade, has_iep=True
    )
    StudentFactory.create_batch(
        3, school=k.school, cohort=k.stanford, grade=k.stanford.grade, el_level=ELLevel.EXPANDING
    )
    bigger = schedule_build(school=world.school, date=DATE, publish=True, options=FAST).schedule
    assert bigger.pk != schedule.pk

    with django_assert_max_num_queries(len(small)):
        html = client.get(plan_url(bigger, world.k.stanford, "0905")).content.decode()

    assert "27 students" in html


def test_a_finished_build_says_how_many_service_minutes_its_plan_misses():
    world = lab_world()
    StaffAbsenceFactory(school=world.school, staff=world.chen, date=DATE)
    leader = StaffFactory(school=world.school, roles=[Role.LEADER])
    draft = schedule_build(school=world.school, date=DATE, options=FAST).schedule
    job = BuildJob.objects.create(
        school=world.school, date=DATE, state=BuildState.SUCCEEDED, schedule=draft
    )

    html = (
        client_for(leader.user)
        .get(reverse("build-status", args=[world.school.pk, job.pk]))
        .content.decode()
    )

    line = re.search(r'<p class="lab-plan-line">(.*?)</p>', html, re.S).group(1)
    assert text(line) == (
        "Lab plan: 30 service minutes short for 2 students; the review lists whose."
    )
    assert name(world.iep[0]) not in html  # names wait for the review, which records the read
