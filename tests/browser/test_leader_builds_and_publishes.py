"""The whole loop in the browser: a leader edits a rotation template, builds, reads why the build
is impossible, follows the explanation to the setting, fixes it, builds again and publishes; the
teacher then sees the published day; a leader of another school reaches neither page."""

import pytest
from django.urls import reverse

from scheduling.models import Pin, Schedule, ScheduleStatus
from students.models import Role

from ..factories import PASSWORD, StaffFactory
from ..scheduling.test_selectors import DATE, kindergarten
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def log_out(page) -> None:
    page.click("header button:has-text('Log out')")
    page.wait_for_selector("h1:has-text('Log in')")


def build(page, date: str) -> None:
    page.click("nav >> text=Build")
    page.fill("#id_date", date)
    page.click("button:has-text('Build schedule')")
    page.wait_for_selector("h1:has-text('Build of')")


def test_a_leader_fixes_what_the_engine_explains_and_publishes_then_the_teacher_sees_it(
    live_server, page, school_b
):
    k = kindergarten()
    Pin.objects.filter(school=k.school).delete()  # a school with no pins: the template decides
    leader = StaffFactory(school=k.school, roles=[Role.LEADER])
    template = k.school.rotation_templates.get()
    base = live_server.url

    # The leader narrows kindergarten's literacy to 8:00-9:00: two cohorts' 40 minutes each
    # with one teacher cannot fit an hour.
    log_in(page, base, leader.user.username)
    page.wait_for_selector(f"h1:has-text('{k.school.name}')")
    page.click("summary:has-text('Setup')")
    page.click("text=Rotation templates")
    check_page(page, "templates")
    page.click(f"#template-{template.pk} a")
    literacy = page.locator("#station-literacy")
    literacy.locator("input[name$='window_start']").fill("08:00")
    literacy.locator("input[name$='window_end']").fill("09:00")
    page.click("button:has-text('Save all stations')")
    page.wait_for_selector("text=Saved the stations")
    check_page(page, "template-editor")

    build(page, DATE.isoformat())
    page.wait_for_selector("text=literacy window 8 a.m.-9 a.m.")
    assert Schedule.objects.filter(school=k.school).count() == 0
    check_page(page, "build-infeasible")

    # The explanation links to the station's row; clearing the window fixes it.
    page.click("main a[href*='#station-literacy']")
    page.wait_for_selector("h1")
    literacy = page.locator("#station-literacy")
    literacy.locator("input[name$='window_start']").fill("")
    literacy.locator("input[name$='window_end']").fill("")
    page.click("button:has-text('Save all stations')")
    page.wait_for_selector("text=Saved the stations")

    build(page, DATE.isoformat())
    page.click("text=Review version 1")
    page.wait_for_selector("h1:has-text('version 1')")
    check_page(page, "review")
    page.click("main button:has-text('Publish version 1')")
    page.wait_for_selector("text=is published")
    published = Schedule.objects.get(school=k.school, date=DATE)
    assert published.status == ScheduleStatus.PUBLISHED
    day_url = reverse("schedule-day", kwargs={"school_id": k.school.pk}) + f"?date={DATE}"
    page.goto(base + day_url)
    page.wait_for_selector(".timeline, [class*=grid]")
    check_page(page, "schedule-day")

    # Keyboard only: Tab reaches the grid (one stop), the arrow keys the block, Enter opens it,
    # Tab and Enter pin it.
    lab = published.blocks.get(cohort=k.stanford, station="lab")
    where = """() => {
        const block = document.activeElement.closest('li.pblock[id^=cohort-block-]');
        return block ? block.closest('ul.tl-blocks').getAttribute('aria-label')
            + ' ' + block.dataset.station : '';
    }"""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(where):
            break
    for _ in range(20):
        if page.evaluate(where).startswith(f"{k.stanford.name} "):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    for _ in range(20):
        if page.evaluate(where) == f"{k.stanford.name} lab":
            break
        page.keyboard.press("ArrowRight")
    assert page.evaluate(where) == f"{k.stanford.name} lab"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("li.pblock.is-pinned")
    pin = Pin.objects.get(school=k.school)
    assert (pin.cohort, pin.station, pin.start) == (lab.cohort, "lab", lab.start)
    log_out(page)

    # The teacher's morning page: where, when, with whom.
    log_in(page, base, k.rivera.user.username)
    page.wait_for_selector("h1:has-text('My day')")
    page.goto(f"{base}{reverse('my-day')}?date={DATE}")
    for block in published.blocks.filter(staff=k.rivera):
        assert page.locator(f"text={block.cohort.name}").count() >= 1
    student = k.stanford.students.order_by("last_name").first()
    assert page.locator(f"text={student.last_name}").count() >= 1
    check_page(page, "my-day")
    log_out(page)

    # Another school's leader reaches neither the template nor the published day.
    log_in(page, base, school_b.leader.user.username)
    page.wait_for_selector("h1")
    editor_url = reverse(
        "template-edit", kwargs={"school_id": k.school.pk, "template_id": template.pk}
    )
    for url in (editor_url, day_url):
        response = page.goto(base + url)
        assert response is not None and response.status == 404, url
        assert k.stanford.name not in page.content()
