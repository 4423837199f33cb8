"""A special-education teacher prints her groups of the day: six groups of five students fit on
one US Letter page, without the site's navigation. Then she reads a block's plan, session by
session, and who sits where in the lab."""

import re

import pytest
from django.urls import reverse

from scheduling.models import LabPlan
from students.models import Role, ServiceKind, Student

from ..factories import PASSWORD, RoomFactory, ServiceNeedFactory, StaffFactory, UserFactory
from ..scheduling.pages.planned_day import add_group, planned_day
from ..scheduling.test_pictures_data import DATE, T, small_day
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP_TIMES = [(T(8, 0), T(8, 15)), (T(8, 20), T(8, 35)), (T(8, 40), T(8, 55))]
GROUP_TIMES += [(T(9, 0), T(9, 15)), (T(9, 15), T(9, 30)), (T(9, 30), T(9, 45))]


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF: its /Type /Page objects (not the /Pages tree that holds them)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def a_providers_full_day():
    """Ms. Chen with six groups of five students, each student with an IEP and its minutes."""
    d = small_day()
    chen = StaffFactory(
        school=d.school, user=UserFactory(first_name="Ms.", last_name="Chen"), roles=[Role.SPED]
    )
    room_12 = RoomFactory(school=d.school, name="Room 12")
    plan = LabPlan.objects.create(schedule=d.schedule, input_fingerprint="0" * 64)
    students = list(Student.objects.filter(school=d.school).enrolled_on(DATE).order_by("pk"))
    for student in students[:30]:
        if not student.service_needs.exists():
            student.has_iep = True
            student.save(update_fields=["has_iep"])
            ServiceNeedFactory(student=student, kind=ServiceKind.IEP, minutes_per_week=90)
    for i, (start, end) in enumerate(GROUP_TIMES):
        add_group(
            plan,
            chen,
            start,
            end,
            students[i * 5 : i * 5 + 5],
            service_kind=ServiceKind.IEP,
            room=room_12,
        )
    return d, chen


def test_a_providers_day_of_six_groups_prints_on_one_letter_page(live_server, page, tmp_path):
    _, chen = a_providers_full_day()

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", chen.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('My day')")
    page.goto(f"{live_server.url}/my/day/?date={DATE.isoformat()}")
    page.wait_for_selector("text=My groups")

    assert page.locator("tr.lab-group").count() == 6
    assert page.locator("tr.lab-group a").count() == 30
    page.screenshot(path=str(tmp_path / "my-groups.png"), full_page=True)
    check_page(page, "lab-plan-my-groups")
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    assert page.locator("form.myday-datebar").is_hidden()
    page.screenshot(path=str(tmp_path / "my-groups-print.png"), full_page=True)
    pdf = page.pdf(format="Letter")
    (tmp_path / "my-groups.pdf").write_bytes(pdf)

    assert pdf_pages(pdf) == 1
    assert (tmp_path / "my-groups.png").stat().st_size > 0


def test_the_block_plan_and_the_labs_zones_read_well_in_a_browser(live_server, page, tmp_path):
    p = planned_day()

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", p.chen.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('My day')")
    plan = reverse("lab-block-plan", args=[p.d.school.pk, p.d.schedule.pk, p.d.adams.pk, "0840"])
    page.goto(f"{live_server.url}{plan}")
    page.wait_for_selector("h1:has-text('Lab plan')")

    bea = page.locator("tr", has_text="Bello, Bea").locator("td.plan-sessions")
    assert bea.inner_text() == (
        "8:40 a.m.-8:55 a.m. Lexia Core5 \u00b7 8:55 a.m.-9:10 a.m. ELD with Erin Petrov in Room 12"
    )
    page.screenshot(path=str(tmp_path / "block-plan.png"), full_page=True)
    check_page(page, "lab-plan-block")
    page.click("text=Learning Lab: cohorts and seats")
    page.click("text=Show the students' names")
    page.wait_for_selector("text=Anywhere in the lab")
    assert page.locator("section.zone-block").count() == 2
    page.screenshot(path=str(tmp_path / "lab-zones.png"), full_page=True)
    check_page(page, "lab-plan-zones")
