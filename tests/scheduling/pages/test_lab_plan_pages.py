"""The lab plan on the pages staff use: a student's sessions on one block's plan, an adult's
groups on "My day", who sits where on the lab's page, and the leader's review of a version.

The plan is stored row by row (``planned_day``): K Adams is in the Learning Lab 8:40-9:10 and
K Baker 8:20-8:50; Erin Petrov tutors two Baker students at the lab's Table and gives Bea ELD in
Room 12; Ms. Chen sees Ada (IEP) at the Table; everyone else is in Lexia Core5 in Zone 1 or 2.
Times are written in the locale's format: "8:40 a.m." in American English.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from scheduling.models import BuildJob, BuildState, LabPlan, LabSegment, ScheduleStatus
from scheduling.selectors.lab_plan_pages import block_plan, staff_lab_groups
from students.models import AuditAction, AuditEvent, Role, ServiceKind, Student

from ...conftest import client_for
from ...factories import ServiceNeedFactory, StaffFactory, StudentFactory
from ..factories import ScheduledBlockFactory, ScheduleFactory
from .planned_day import DATE, T, add_group, add_segment, planned_day

pytestmark = pytest.mark.django_db


def name(student: Student) -> str:
    return f"{student.last_name}, {student.first_name}"


def my_day_url() -> str:
    return f"{reverse('my-day')}?date={DATE.isoformat()}"


def plan_url(schedule, cohort, hhmm: str, school=None) -> str:
    school_id = (school or schedule.school).pk
    return reverse("lab-block-plan", args=[school_id, schedule.pk, cohort.pk, hhmm])


def lab_url(p, *, names: bool = False, school=None) -> str:
    url = reverse("lab-view", args=[(school or p.d.school).pk, p.d.lab.pk])
    return f"{url}?date={DATE.isoformat()}{'&names=1' if names else ''}"


def review_url(schedule) -> str:
    return reverse("schedule-review", args=[schedule.school_id, schedule.pk])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def sessions_of(html: str, student: Student) -> str:
    """The sessions cell of ``student``'s row on a block's plan, as it reads."""
    found = re.search(rf">{re.escape(name(student))}</a></th>(.*?)</tr>", html, re.S)
    assert found is not None, f"no row for {student.pk}"
    cell = re.search(r'<td class="plan-sessions">(.*?)</td>', found.group(1), re.S)
    assert cell is not None, f"no sessions cell for {student.pk}"
    return text(cell.group(1))


def block_groups(html: str) -> list[str]:
    return [text(t) for t in re.findall(r'<h3 class="lab-group-title">(.*?)</h3>', html, re.S)]


def my_groups(html: str) -> list[str]:
    """Each row of "My groups": time, then the group's label."""
    return [
        f"{text(time)} {text(label)}"
        for time, label in re.findall(
            r'<td class="roster-time">(.*?)</td>\s*<th scope="row" class="lab-group-title">'
            r'<span class="group-label[^"]*">(.*?)</span>',
            html,
            re.S,
        )
    ]


def panel_of(html: str) -> str:
    """The review page's lab plan panel."""
    start = html.index('id="lab-plan-heading"')
    return html[start : html.index("</section>", start)]


# --- one block's plan: a row of sessions per student ----------------------------------------


def test_a_students_row_reads_as_their_sessions_in_order():
    p = planned_day()
    adams, bea = p.d.adams, p.d.el_student

    # Ms. Petrov gives Bea her ELD: she sees that service, not Ada's special education.
    response = client_for(p.petrov.user).get(plan_url(p.d.schedule, adams, "0840"))

    assert response.status_code == 200
    html = response.content.decode()
    assert sessions_of(html, bea) == (
        "8:40 a.m.-8:55 a.m. Lexia Core5 \u00b7 8:55 a.m.-9:10 a.m. ELD with Erin Petrov in Room 12"
    )
    # Two stored rows of Lexia in Zone 1 read as one session.
    others = Student.objects.filter(cohort=adams).exclude(pk__in=[bea.pk, p.d.iep_student.pk])
    assert sessions_of(html, others.first()) == "8:40 a.m.-9:10 a.m. Lexia Core5 in Zone 1"
    assert sessions_of(html, p.d.iep_student) == (
        "8:40 a.m.-8:55 a.m. Away: service \u00b7 8:55 a.m.-9:10 a.m. Lexia Core5 in Zone 2"
    )
    assert block_groups(html) == [
        "8:55 a.m.-9:10 a.m. ELD \u00b7 Grade K \u00b7 Room 12 with Erin Petrov"
    ]
    assert "Special education" not in html and "Ms. Chen" not in html
    assert "14 students: 0 in tutoring, 2 in services" in text(html)
    events = AuditEvent.objects.filter(user=p.petrov.user, action=AuditAction.LIST)
    assert events.filter(model="students.student").count() == 14
    assert events.filter(model="students.serviceneed").count() == 1  # Bea's ELD


def test_special_education_staff_see_every_service_session_with_its_adult_and_place():
    p = planned_day()

    html = client_for(p.chen.user).get(plan_url(p.d.schedule, p.d.adams, "0840")).content.decode()

    assert sessions_of(html, p.d.iep_student) == (
        "8:40 a.m.-8:55 a.m. Special education with Ms. Chen in Learning Lab \u00b7 Table"
        " \u00b7 8:55 a.m.-9:10 a.m. Lexia Core5 in Zone 2"
    )
    assert block_groups(html) == [
        "8:40 a.m.-8:55 a.m. Special education \u00b7 Grade K \u00b7 Learning Lab \u00b7 Table"
        " with Ms. Chen",
        "8:55 a.m.-9:10 a.m. ELD \u00b7 Grade K \u00b7 Room 12 with Erin Petrov",
    ]


def test_a_tutored_student_reads_tutoring_then_the_program_in_their_new_zone():
    p = planned_day()

    html = (
        client_for(p.d.okafor.user).get(plan_url(p.d.schedule, p.d.baker, "0820")).content.decode()
    )

    assert sessions_of(html, p.tutored[0]) == (
        "8:20 a.m.-8:35 a.m. Tutoring: literacy with Erin Petrov in Learning Lab \u00b7 Table"
        " \u00b7 8:35 a.m.-8:50 a.m. Lexia Core5 in Zone 1"
    )
    assert block_groups(html) == [
        "8:20 a.m.-8:35 a.m. Tutoring: literacy \u00b7 Grade K \u00b7 "
        "Learning Lab \u00b7 Table"
        " with Erin Petrov"
    ]
    assert "16 students: 2 in tutoring, 0 in services" in text(html)


def test_session_times_follow_the_locale():
    p = planned_day()

    with translation.override("fr"):
        plan = block_plan(
            schedule=p.d.schedule, cohort=p.d.adams, start=T(8, 40), viewer=p.petrov.user
        )
        bea = next(row for row in plan.rows if row.student.id == p.d.el_student.pk)
        sentence = bea.sentence

    assert sentence.startswith("08:40-08:55 ")
    assert "08:55-09:10 " in sentence


def test_a_student_who_joined_after_the_build_is_not_planned():
    p = planned_day()
    newcomer = StudentFactory(
        school=p.d.school, cohort=p.d.adams, grade=p.d.adams.grade, last_name="Zane"
    )

    html = (
        client_for(p.d.okafor.user).get(plan_url(p.d.schedule, p.d.adams, "0840")).content.decode()
    )

    assert sessions_of(html, newcomer) == "Not planned"


# --- an adult's plan on "My day" ---------------------------------------------------------------


def test_an_adults_day_lists_their_groups_in_time_order_with_place_grade_and_students():
    p = planned_day()

    html = client_for(p.petrov.user).get(my_day_url()).content.decode()

    assert "My groups" in html
    assert my_groups(html) == [
        "8:20 a.m.-8:35 a.m. Tutoring: literacy \u00b7 Grade K \u00b7 Learning Lab \u00b7 Table",
        "8:55 a.m.-9:10 a.m. ELD \u00b7 Grade K \u00b7 Room 12",
    ]
    rows = re.findall(r'<tr class="lab-group[^"]*">(.*?)</tr>', html, re.S)
    assert [re.findall(r'<a href="/students/\d+/">([^<]+)</a>', row) for row in rows] == [
        sorted(name(s) for s in p.tutored),
        [name(p.d.el_student)],
    ]
    assert "2 students from K Baker, Learning Lab" in text(rows[0])
    assert "1 student from K Adams, Learning Lab" in text(rows[1])
    assert "ELD 150 min/wk" in rows[1]  # her own student's service, hers to see
    read = set(
        AuditEvent.objects.filter(
            user=p.petrov.user, action=AuditAction.LIST, model="students.student"
        ).values_list("object_id", flat=True)
    )
    assert read == {str(s.pk) for s in (*p.tutored, p.d.el_student)}


def test_a_student_in_several_sessions_of_one_group_is_on_its_roster_once():
    p = planned_day()
    bea = p.d.el_student
    LabSegment.objects.filter(group=p.eld_group).delete()
    add_segment(p.plan, bea, T(8, 55), T(9, 0), group=p.eld_group)
    add_segment(p.plan, bea, T(9, 0), T(9, 10), group=p.eld_group)

    groups = staff_lab_groups(staff=p.petrov, date=DATE)
    html = client_for(p.petrov.user).get(plan_url(p.d.schedule, p.d.adams, "0840")).content.decode()

    eld = groups.groups[1]
    assert [m.student.name for m in eld.students] == [name(bea)]
    assert eld.label == "ELD \u00b7 Grade K \u00b7 Room 12"
    assert sessions_of(html, bea).endswith("8:55 a.m.-9:10 a.m. ELD with Erin Petrov in Room 12")


def test_the_lab_supervisors_day_links_each_lab_block_to_its_plan():
    p = planned_day()

    html = client_for(p.d.okafor.user).get(my_day_url()).content.decode()

    assert f'href="{plan_url(p.d.schedule, p.d.baker, "0820")}"' in html
    assert f'href="{plan_url(p.d.schedule, p.d.adams, "0840")}"' in html
    assert "My groups" not in html  # he leads none


def test_my_day_with_groups_reads_in_the_same_queries_however_many_students(
    django_assert_max_num_queries,
):
    p = planned_day()
    client = client_for(p.petrov.user)
    client.get(my_day_url())  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(my_day_url())
    more = StudentFactory.create_batch(
        4, school=p.d.school, cohort=p.d.baker, grade=p.d.baker.grade
    )
    for student in more:
        ServiceNeedFactory(student=student, kind=ServiceKind.ELD, provider_role=Role.HUMANITIES)
        add_segment(p.plan, student, T(8, 20), T(8, 35), group=p.tutoring_group)
    add_group(
        p.plan, p.petrov, T(9, 10), T(9, 25), more[:2], service_kind=ServiceKind.ELD, room=p.room_12
    )

    with django_assert_max_num_queries(len(small)):
        html = client.get(my_day_url()).content.decode()

    assert "6 students from K Baker" in text(html)


# --- the lab's page: who sits where --------------------------------------------------------


def test_the_labs_page_counts_who_sits_in_each_zone_and_who_meets_at_its_tables():
    p = planned_day()

    # Mr. Okafor supervises the lab; he provides none of these services.
    html = client_for(p.d.okafor.user).get(lab_url(p)).content.decode()

    blocks = re.findall(r'<section class="zone-block"[^>]*>(.*?)</section>', html, re.S)
    assert [text(re.search(r"<h3[^>]*>(.*?)</h3>", b).group(1)) for b in blocks] == [
        "8:20 a.m.-8:50 a.m. K Baker",
        "8:40 a.m.-9:10 a.m. K Adams",
    ]
    seating = [
        [
            (text(z), text(c))
            for z, c in re.findall(
                r'<th scope="row">(.*?)</th>\s*<td class="zone-count">(.*?)</td>', b, re.S
            )
        ]
        for b in blocks
    ]
    assert seating == [
        [("Zone 1", "2 of 15 seats"), ("Zone 2", "14 of 15 seats")],
        [("Zone 1", "12 of 15 seats"), ("Zone 2", "1 of 15 seats"), ("Anywhere in the lab", "1")],
    ]
    tables = [
        [text(t) for t in re.findall(r'<li class="table-group[^"]*">(.*?)</li>', b, re.S)]
        for b in blocks
    ]
    assert tables == [
        [
            "8:20 a.m.-8:35 a.m. Table: Tutoring: literacy \u00b7 Grade K "
            "with Erin Petrov, 2 students"
        ],
        # Ada's special education is not his to know: a service group, without its adult.
        ["8:40 a.m.-8:55 a.m. Table: Service group \u00b7 Grade K, 1 student"],
    ]
    assert "Ms. Chen" not in html and "Special education" not in html
    assert name(p.d.iep_student) not in html and name(p.d.el_student) not in html
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()


def test_the_labs_page_names_who_sits_where_when_asked_and_records_the_read():
    p = planned_day()

    html = client_for(p.d.okafor.user).get(lab_url(p, names=True)).content.decode()

    adams = re.findall(r'<section class="zone-block"[^>]*>(.*?)</section>', html, re.S)[1]
    cells = dict(
        (text(z), text(w))
        for z, w in re.findall(
            r'<th scope="row">(.*?)</th>\s*<td class="zone-count">.*?</td>\s*'
            r'<td class="zone-students">(.*?)</td>',
            adams,
            re.S,
        )
    )
    assert cells["Zone 2"] == f"{name(p.d.iep_student)} (8:55 a.m.-9:10 a.m.)"
    assert cells["Anywhere in the lab"] == f"{name(p.d.el_student)} (8:40 a.m.-8:55 a.m.)"
    assert len(cells["Zone 1"].split("; ")) == 12
    assert f"1 student ({name(p.d.iep_student)})" in text(adams)
    read = AuditEvent.objects.filter(user=p.d.okafor.user, action=AuditAction.LIST)
    assert read.filter(model="students.student").count() == 30
    assert set(read.values_list("via", flat=True)) == {
        f"page {reverse('lab-view', args=[p.d.school.pk, p.d.lab.pk])}"
    }


def test_the_labs_page_with_names_reads_in_the_same_queries_however_many_students(
    django_assert_max_num_queries,
):
    p = planned_day()
    client = client_for(p.d.okafor.user)
    client.get(lab_url(p, names=True))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(lab_url(p, names=True))
    for student in StudentFactory.create_batch(
        5, school=p.d.school, cohort=p.d.adams, grade=p.d.adams.grade
    ):
        add_segment(p.plan, student, T(8, 40), T(9, 10), program=p.lexia, zone=p.zone_2)
    add_group(
        p.plan,
        p.chen,
        T(8, 55),
        T(9, 10),
        [p.d.el_student],
        zone=p.table,
        service_kind=ServiceKind.IEP,
    )

    with django_assert_max_num_queries(len(small)):
        html = client.get(lab_url(p, names=True)).content.decode()

    assert "6 of 15 seats" in html


# --- scoping ---------------------------------------------------------------------------------


def test_another_schools_staff_and_leaders_get_404_for_the_block_and_the_lab(school_b):
    p = planned_day()
    schedule, adams = p.d.schedule, p.d.adams

    answers = [
        client_for(school_b.teacher.user).get(plan_url(schedule, adams, "0840")).status_code,
        client_for(school_b.leader.user).get(plan_url(schedule, adams, "0840")).status_code,
        # Their own school's id with this school's schedule and cohort.
        client_for(school_b.leader.user)
        .get(plan_url(schedule, adams, "0840", school=school_b.school))
        .status_code,
        client_for(school_b.teacher.user).get(lab_url(p, names=True)).status_code,
        client_for(school_b.leader.user)
        .get(lab_url(p, names=True, school=school_b.school))
        .status_code,
    ]

    assert answers == [404] * 5
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()


def test_an_adult_in_another_school_sees_none_of_this_schools_groups(school_b):
    p = planned_day()
    # The same person on both staffs: their day in Birch lists no Alder group.
    twin = StaffFactory(school=school_b.school, user=p.petrov.user, roles=[Role.HUMANITIES])

    groups = staff_lab_groups(staff=twin, date=DATE)
    html = (
        client_for(p.petrov.user)
        .get(f"{my_day_url()}&school={school_b.school.pk}")
        .content.decode()
    )

    assert groups.groups == ()
    assert "My groups" not in html and name(p.d.el_student) not in html


def test_a_block_that_is_not_a_lab_or_flexible_block_is_no_page():
    p = planned_day()
    client = client_for(p.d.okafor.user)

    literacy = client.get(plan_url(p.d.schedule, p.d.adams, "0800"))
    nonsense = client.get(plan_url(p.d.schedule, p.d.adams, "2561"))

    assert [literacy.status_code, nonsense.status_code] == [404, 404]


def test_a_draft_plan_is_the_leaders_only():
    p = planned_day()
    leader = StaffFactory(school=p.d.school, roles=[Role.LEADER])
    draft = ScheduleFactory(
        school=p.d.school,
        date=DATE,
        day_type=p.d.schedule.day_type,
        version=2,
        status=ScheduleStatus.DRAFT,
    )
    ScheduledBlockFactory(
        schedule=draft, cohort=p.d.adams, station="lab", start=T(8, 40), end=T(9, 10), room=p.d.lab
    )
    url = plan_url(draft, p.d.adams, "0840")

    teacher = client_for(p.d.rivera.user).get(url)
    leaders = client_for(leader.user).get(url)

    assert teacher.status_code == 404
    assert leaders.status_code == 200
    html = leaders.content.decode()
    assert "only the school's leaders see it" in html
    assert "This version was stored without a lab plan." in html


def test_the_block_page_reads_in_the_same_queries_however_many_students(
    django_assert_max_num_queries,
):
    p = planned_day()
    client = client_for(p.chen.user)  # special education: sees every group and service
    url = plan_url(p.d.schedule, p.d.adams, "0840")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    more = StudentFactory.create_batch(
        10, school=p.d.school, cohort=p.d.adams, grade=p.d.adams.grade, has_iep=True
    )
    for student in more:
        ServiceNeedFactory(student=student)
        add_segment(p.plan, student, T(8, 40), T(8, 55), program=p.lexia, zone=p.zone_2)
    add_group(
        p.plan, p.chen, T(8, 55), T(9, 10), more[:3], zone=p.table, service_kind=ServiceKind.IEP
    )
    add_group(
        p.plan,
        p.petrov,
        T(8, 55),
        T(9, 10),
        more[3:5],
        kind="tutoring",
        subject="math",
        room=p.room_12,
    )

    with django_assert_max_num_queries(len(small)):
        html = client.get(url).content.decode()

    assert "24 students" in html
    assert len(block_groups(html)) == 4


# --- the leader's review --------------------------------------------------------------------


def shortfall_plan(p, schedule) -> LabPlan:
    """A plan that could not give Ada her 15 IEP minutes: Ms. Chen could have, but is away."""
    need = p.d.iep_student.service_needs.get()
    return LabPlan.objects.create(
        schedule=schedule,
        input_fingerprint="1" * 64,
        shortfalls=[
            {
                "student": p.d.iep_student.pk,
                "service": need.pk,
                "kind": ServiceKind.IEP,
                "providers": [p.chen.pk],
                "due": 15,
                "met": 0,
            }
        ],
    )


def draft_of(p):
    return ScheduleFactory(
        school=p.d.school,
        date=DATE,
        day_type=p.d.schedule.day_type,
        version=2,
        status=ScheduleStatus.DRAFT,
    )


def test_the_review_lists_the_service_minutes_that_cannot_be_met_and_who_could_deliver_them():
    p = planned_day()
    leader = StaffFactory(school=p.d.school, roles=[Role.LEADER])
    draft = draft_of(p)
    shortfall_plan(p, draft)

    html = client_for(leader.user).get(review_url(draft)).content.decode()

    panel = panel_of(html)
    assert "15 service minutes cannot be met" in text(panel)
    rows = [
        [text(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", panel, re.S)[1:]
    ]
    assert rows == [
        [name(p.d.iep_student), "IEP special education", "15 min", "0 min", "15 min", "Ms. Chen"]
    ]
    named = AuditEvent.objects.filter(user=leader.user, model="students.student")
    assert set(named.values_list("object_id", flat=True)) == {str(p.d.iep_student.pk)}


def test_the_review_of_a_complete_plan_says_every_service_minute_is_met():
    p = planned_day()
    leader = StaffFactory(school=p.d.school, roles=[Role.LEADER])

    html = client_for(leader.user).get(review_url(p.d.schedule)).content.decode()

    assert "Every service minute is met." in html
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", panel_of(html)))
    assert counts == {
        "Students planned": "30",
        "Tutoring groups": "1",
        "Service groups": "2",
        "Service minutes delivered": "30",
    }


def test_a_finished_build_says_how_many_service_minutes_its_plan_misses():
    p = planned_day()
    leader = StaffFactory(school=p.d.school, roles=[Role.LEADER])
    draft = draft_of(p)
    shortfall_plan(p, draft)
    job = BuildJob.objects.create(
        school=p.d.school, date=DATE, state=BuildState.SUCCEEDED, schedule=draft
    )

    html = (
        client_for(leader.user)
        .get(reverse("build-status", args=[p.d.school.pk, job.pk]))
        .content.decode()
    )

    line = re.search(r'<p class="lab-plan-line">(.*?)</p>', html, re.S).group(1)
    assert text(line) == "Lab plan: 15 service minutes short for 1 student; the review lists whose."
    assert name(p.d.iep_student) not in html  # names wait for the review, which records the read
