"""A teacher's morning page: my day with student lists, my week, and a lab's seats.

The school is ``small_day``: Ms. Rivera teaches literacy to K Adams at 8:00 and K Baker at 8:50;
Mr. Okafor supervises the 30-seat lab where Baker sits 8:20-8:50 and Adams 8:40-9:10.
"""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Schedule, ScheduleStatus
from students.models import AuditAction, AuditEvent, Role

from ...conftest import client_for
from ...factories import ServiceNeedFactory, StaffFactory, StudentFactory
from ..factories import ScheduledBlockFactory
from ..test_pictures_data import DATE, small_day

pytestmark = pytest.mark.django_db


def my_day(date=DATE, **params):
    query = "&".join([f"date={date.isoformat()}", *(f"{k}={v}" for k, v in params.items())])
    return f"{reverse('my-day')}?{query}"


def lab_url(school, room, date=DATE):
    return f"{reverse('lab-view', args=[school.pk, room.pk])}?date={date.isoformat()}"


def test_my_day_lists_each_block_with_its_students_and_their_marks():
    d = small_day()

    response = client_for(d.rivera.user).get(my_day())

    assert response.status_code == 200
    html = response.content.decode()
    headings = re.findall(r"<h3>(.*?)</h3>", html)
    assert [re.sub(r"<[^>]+>", "", h) for h in headings] == [
        "8 a.m.-8:40 a.m. Literacy / humanities K Adams",
        "8:50 a.m.-9:30 a.m. Literacy / humanities K Baker",
    ]
    assert html.count("<dt>Room</dt><dd>Room 103</dd>") == 2
    # Need to know: Ms. Rivera (humanities) provides Bea's ELD but none of Ada's IEP services.
    ada = re.search(r"Abbott, Ada</a></td>\s*<td>(.*?)</td>", html).group(1)
    assert re.findall(r'class="badge badge-(\w+)"[^>]*>([^<]+)<', ada) == []
    assert "need-to-know" in ada and "SpEd" not in html
    bea = re.search(r"Bello, Bea</a></td>\s*<td>(.*?)</td>", html).group(1)
    assert re.findall(r'class="badge badge-(\w+)"[^>]*>([^<]+)<', bea) == [
        ("el", "EL: Emerging"),
        ("tier", "Tier 2"),
        ("service", "ELD 150 min/wk"),
    ]
    assert "14 students" in html and "16 students" in html


def test_reading_my_day_records_every_student_record_shown():
    d = small_day()

    client_for(d.rivera.user).get(my_day())

    events = AuditEvent.objects.filter(user=d.rivera.user, action=AuditAction.LIST)
    assert events.filter(model="students.student").count() == 30
    # Only the need shown: Bea's ELD, which Ms. Rivera provides (Ada's IEP need is not hers).
    assert events.filter(model="students.serviceneed").count() == 1
    assert set(events.values_list("via", flat=True)) == {"page /my/day/"}
    assert set(events.values_list("school_id", flat=True)) == {d.school.pk}
    flagged = events.filter(special_education=True)
    assert list(flagged.values_list("model", "object_id")) == [
        ("students.student", str(d.iep_student.pk))
    ]


def test_a_lab_supervisor_sees_the_lab_blocks_and_a_link_to_the_lab():
    d = small_day()

    html = client_for(d.okafor.user).get(my_day()).content.decode()

    assert "supervise the lab" in html
    assert html.count('class="roster-block card"') == 2
    assert f'href="{lab_url(d.school, d.lab)}"' in html


def test_a_day_without_a_published_schedule_says_so_and_reads_no_student():
    d = small_day()
    Schedule.objects.filter(pk=d.schedule.pk).update(status=ScheduleStatus.DRAFT)

    html = client_for(d.rivera.user).get(my_day()).content.decode()

    assert "Nothing published for Tuesday, September 1 yet." in html
    assert "Abbott" not in html
    assert not AuditEvent.objects.exists()


def test_someone_in_two_schools_chooses_one_then_sees_its_day():
    d = small_day()
    other = small_day(name="Birch")
    both = StaffFactory(school=other.school, user=d.rivera.user, roles=[Role.HUMANITIES])
    client = client_for(d.rivera.user)

    chooser = client.get(my_day()).content.decode()
    birch = client.get(my_day(school=other.school.pk)).content.decode()

    assert "You work in several schools" in chooser
    assert f"?school={d.school.pk}&amp;date=2026-09-01" in chooser
    assert f"?school={other.school.pk}&amp;date=2026-09-01" in chooser
    assert "You have no blocks on Tuesday, September 1" in birch and both.school.name in birch
    assert "Abbott" not in birch


def test_my_week_shows_monday_to_friday_with_links_to_each_day():
    d = small_day()

    html = (
        client_for(d.rivera.user)
        .get(f"{reverse('my-week')}?date=2026-09-03&school={d.school.pk}")
        .content.decode()
    )

    days = re.findall(
        r'<h2><a href="/my/day/\?school=\d+&amp;date=([\d-]+)">([^<]+)</a></h2>', html
    )
    assert days == [
        ("2026-08-31", "Monday, August 31"),
        ("2026-09-01", "Tuesday, September 1"),
        ("2026-09-02", "Wednesday, September 2"),
        ("2026-09-03", "Thursday, September 3"),
        ("2026-09-04", "Friday, September 4"),
    ]
    assert html.count('class="week-day day-page"') == 5
    assert html.count('<span class="roster-time">') == 2
    assert "Abbott" not in html
    assert not AuditEvent.objects.exists()  # the compact week shows no student


def test_the_printable_week_has_a_page_per_day_with_student_lists_and_audits_them():
    d = small_day()

    html = (
        client_for(d.rivera.user)
        .get(f"{reverse('my-week')}?date=2026-09-01&school={d.school.pk}&rosters=1")
        .content.decode()
    )

    assert html.count('<section class="day-page"') == 5
    assert "Abbott, Ada" in html
    assert "css/myday.css" in html
    # 30 students and the one need shown (Bea's ELD; Ada's IEP need is not Ms. Rivera's to see)
    assert AuditEvent.objects.filter(action=AuditAction.LIST, via="page /my/week/").count() == 31


def test_the_print_stylesheet_breaks_the_page_after_each_day():
    css = open(finders.find("css/myday.css")).read()  # noqa: SIM115

    printed = css[css.index("@media print") :]
    assert ".day-page { break-after: page; page-break-after: always; }" in printed


def test_the_lab_view_shows_the_cohorts_and_seats_taken_at_each_block():
    d = small_day()

    response = client_for(d.okafor.user).get(lab_url(d.school, d.lab))

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(
        r"<tr>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>(\d+)</td>"
        r"\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>(\d+)</td>",
        html,
    )
    assert rows == [
        ("8:20 a.m.-8:50 a.m.", "K Baker", "16", "30 of 30", "0"),
        ("8:40 a.m.-9:10 a.m.", "K Adams", "14", "30 of 30", "0"),
    ]
    assert 'class="occupancy-line"' in html
    assert "Abbott" not in html  # seats, not names


def test_a_teacher_of_another_school_sees_nothing_of_it(school_b):
    d = small_day()
    stranger = client_for(school_b.teacher.user)

    their_day = stranger.get(my_day()).content.decode()
    asked_for = stranger.get(my_day(school=d.school.pk))
    lab = stranger.get(lab_url(d.school, d.lab))
    lab_in_own_school = stranger.get(lab_url(school_b.school, d.lab))
    week = stranger.get(f"{reverse('my-week')}?school={d.school.pk}")

    assert "K Adams" not in their_day and "Abbott" not in their_day
    assert [asked_for.status_code, lab.status_code, lab_in_own_school.status_code] == [404] * 3
    assert week.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()
    assert AuditEvent.objects.filter(
        user=school_b.teacher.user, action=AuditAction.DENIED, model="scheduling.room"
    ).exists()


def test_a_leader_of_another_school_gets_404_on_the_lab(school_b):
    d = small_day()

    response = client_for(school_b.leader.user).get(lab_url(d.school, d.lab))

    assert response.status_code == 404


def test_a_classroom_is_not_a_lab():
    d = small_day()

    response = client_for(d.okafor.user).get(lab_url(d.school, d.room_103))

    assert response.status_code == 404


def test_a_bad_date_is_reported_beside_the_date_field_and_today_is_shown():
    d = small_day()

    html = client_for(d.rivera.user).get(f"{reverse('my-day')}?date=tuesday").content.decode()

    assert 'aria-invalid="true" aria-describedby="myday-date-error"' in html
    assert "\u201ctuesday\u201d is not a date" in html


def test_my_day_reads_in_the_same_queries_however_many_students(django_assert_num_queries):
    d = small_day()
    client = client_for(d.rivera.user)
    client.get(my_day())  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(my_day())
    for student in StudentFactory.create_batch(
        10, school=d.school, cohort=d.baker, grade=d.baker.grade, has_iep=True
    ):
        ServiceNeedFactory(student=student)

    with django_assert_num_queries(len(small)):
        html = client.get(my_day()).content.decode()

    assert "26 students" in html


def test_a_cohort_seen_twice_in_a_day_has_its_list_once_and_the_second_block_refers_to_it():
    d = small_day()
    # The second half of a split literacy block with K Adams, after the lab.
    ScheduledBlockFactory(
        schedule=d.schedule,
        cohort=d.adams,
        station="literacy",
        start=datetime.time(9, 30),
        end=datetime.time(10, 0),
        room=d.room_103,
        staff=d.rivera,
    )

    html = client_for(d.rivera.user).get(my_day()).content.decode()

    blocks = re.findall(r'<li class="roster-block card[^"]*" id="block-\d+">(.*?)</li>', html, re.S)
    assert len(blocks) == 3
    anchor = f"roster-20260901-{d.adams.pk}"
    first_adams, baker, second_adams = blocks
    assert f'<table class="roster-students" id="{anchor}">' in first_adams
    assert "Abbott, Ada</a>" in first_adams and "Abbott, Ada" not in second_adams
    assert "<table" not in second_adams and f'href="#{anchor}"' in second_adams
    assert html.count("Abbott, Ada</a>") == 1  # 14 + 16 rows, not 14 + 16 + 14
    assert html.count("<tbody>") == 2
    assert "also at" in first_adams and "also at" not in baker
    assert 'class="roster-block card roster-again"' in html
    events = AuditEvent.objects.filter(user=d.rivera.user, action=AuditAction.LIST)
    assert events.filter(model="students.student").count() == 30


def test_the_printed_marks_are_short_and_explained_in_a_legend():
    d = small_day()

    html = client_for(d.rivera.user).get(my_day()).content.decode()

    bea = re.search(r"Bello, Bea</a></td>\s*<td>(.*?)</td>", html).group(1)
    assert re.findall(r'class="badge badge-(\w+)"[^>]*data-mark="([^"]+)"', bea) == [
        ("el", "EL"),
        ("tier", "T2"),
        ("service", "ELD"),
    ]
    legend = re.search(r'<p class="print-legend">(.*?)</p>', html).group(1)
    assert re.findall(r"<strong>([^<]+)</strong>", legend) == ["EL", "T2", "ELD"]


def test_the_print_stylesheet_fits_a_day_on_a_letter_page_and_turns_only_the_week():
    css = open(finders.find("css/myday.css")).read()  # noqa: SIM115

    assert "@page { size: letter portrait;" in css
    assert "@page week-landscape { size: letter landscape;" in css
    printed = css[css.rindex("@media print") :]
    assert "body:has(ol.week) { page: week-landscape; }" in printed
    assert ".roster-blocks { columns: 3;" in printed
