"""Home visits in the browser (issue 22): a leader plans first visits with one click and reads
the plan by educator and day, the families left out with their reason in plain words, a visit
and the progress; an educator reads their own visits and gives their times, on a phone too
(375 px, no sideways scrolling). Every page is accessible (axe-core, WCAG A/AA)."""

import pytest

from families.visit_models import Visit

from ..factories import PASSWORD, NetworkAdminFactory
from ..families.test_home_visits import world  # noqa: F401 (a fixture)
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
LAPTOP = {"width": 1280, "height": 900}


def log_in(page, live_server, user) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def fits_a_phone(page, name: str) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
    check_page(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)


def test_a_leader_plans_first_visits_and_an_educator_reads_theirs(live_server, page, world):  # noqa: F811
    school = world.school
    log_in(page, live_server, world.leader.user)
    page.goto(f"{live_server.url}/schools/{school.pk}/home-visits/")
    check_page(page, "home-visits-school-before")

    page.click("button:has-text('Plan first visits')")
    page.wait_for_selector("h2:has-text('Families that could not be placed')")
    text = page.inner_text("main")
    assert "2 visits planned. 1 household could not be placed." in text
    assert "No teacher of a child at this school" in text
    plan = page.inner_text("section[aria-labelledby=plan]")
    assert str(world.cruz) in plan and str(world.ames) in plan
    check_page(page, "home-visits-school-planned")

    tran = Visit.objects.select_related("lead", "partner").get(household=world.tran)
    page.click(f"a[href='/schools/{school.pk}/home-visits/visits/{tran.pk}/']")
    page.wait_for_selector("h1:has-text('Home visit')")
    assert "1200 Alum Rock Avenue" in page.inner_text("main")
    check_page(page, "home-visits-visit")
    fits_a_phone(page, "home-visits-visit")

    page.goto(f"{live_server.url}/schools/{school.pk}/home-visits/progress/")
    page.wait_for_selector("h1:has-text('Home visit progress')")
    check_page(page, "home-visits-progress")

    educator = tran.lead
    log_in(page, live_server, educator.user)
    page.goto(f"{live_server.url}/my/home-visits/")
    page.wait_for_selector("h1:has-text('My home visits')")
    mine = page.inner_text("main")
    assert str(tran.partner) in mine and "1200 Alum Rock Avenue" in mine
    assert tran.household.family_names in mine
    check_page(page, "home-visits-mine")
    fits_a_phone(page, "home-visits-mine")

    page.click(f"a[href='/my/home-visits/times/{educator.pk}/']")
    page.wait_for_selector("h2:has-text('Add a time')")
    check_page(page, "home-visits-times")
    fits_a_phone(page, "home-visits-times")

    page.goto(f"{live_server.url}/schools/{school.pk}/home-visits/visits/{tran.pk}/")
    page.wait_for_selector("h2:has-text('How did it go?')")
    check_page(page, "home-visits-visit-educator")
    fits_a_phone(page, "home-visits-visit-educator")


def test_with_workers_the_leaders_page_says_planning_and_shows_the_plan_when_done(
    live_server,
    page,
    world,  # noqa: F811
    settings,
    monkeypatch,
):
    from families.tasks import visit_plan_job_run_task

    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[int] = []
    monkeypatch.setattr(visit_plan_job_run_task, "delay", sent.append)
    log_in(page, live_server, world.leader.user)
    page.goto(f"{live_server.url}/schools/{world.school.pk}/home-visits/")

    page.click("button:has-text('Plan first visits')")
    page.wait_for_selector("#plan-job:has-text('Planning…')")
    check_page(page, "home-visits-planning")
    assert len(sent) == 1
    visit_plan_job_run_task(sent[0])  # the worker

    page.wait_for_selector("h2:has-text('Families that could not be placed')")
    assert "2 visits planned. 1 household could not be placed." in page.inner_text("main")
    assert page.locator("#plan-job").count() == 0


def test_a_network_admin_opens_home_visit_progress_from_the_top_bar(live_server, page, world):  # noqa: F811
    admin = NetworkAdminFactory(network=world.school.network).user
    log_in(page, live_server, admin)

    page.get_by_role("link", name="Home visit progress").click()

    page.wait_for_selector("h1")
    assert page.url.endswith(f"/networks/{world.school.network_id}/home-visits/progress/")
    check_page(page, "home-visits-network-progress")
