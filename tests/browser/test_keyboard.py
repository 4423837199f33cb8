"""Keyboard only: a leader crosses the school day picture and reaches a lab field in a few key
presses (rocketship issue 20, item 8: it took 95 Tab presses to reach a lab field and 307 to cross
the grid). Each schedule grid is one Tab stop whose arrow keys move between blocks, and skip
links jump to each part of a long page; axe-core stays clean.

The school is ``small_day``: K Adams (Literacy 8:00, Lab 8:40, Flex 9:10, Lunch 9:30) and K Baker
(Flex 8:00, Lab 8:20, Literacy 8:50, Lunch 9:30), with Ms. Rivera teaching both literacy blocks.
"""

import pytest
from django.urls import reverse

from students.models import Role

from ..factories import StaffFactory
from ..scheduling.test_pictures_data import DATE, small_day
from .conftest import check_page
from .test_leader_builds_and_publishes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COHORT_GRID = ".tl[aria-label='Cohorts by time of day']"

# The focused block as "<lane> <station>", or "" when the focus is not on a block.
FOCUSED_BLOCK = """() => {
    const block = document.activeElement.closest('li.pblock');
    return block ? block.closest('ul.tl-blocks').getAttribute('aria-label')
        + ' ' + block.dataset.station : '';
}"""
IN_COHORT_GRID = f'() => !!document.activeElement.closest("{COHORT_GRID}")'
FOCUSED_TEXT = "() => document.activeElement.textContent.trim()"


def press(page, key: str) -> str:
    page.keyboard.press(key)
    return page.evaluate(FOCUSED_BLOCK)


def tab_to_link(page, text: str, most: int) -> int:
    """Tab from the top of the page until the link reading ``text`` has the focus; the presses.

    The page is loaded again: a blurred element would stay the starting point of the next Tab."""
    page.reload()
    page.wait_for_selector("a[data-skip-built]", state="attached")
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_TEXT) == text:
            return presses
    raise AssertionError(f"{text!r} not reached in {most} Tab presses")


def test_the_day_grid_is_one_tab_stop_and_the_arrow_keys_walk_its_blocks(live_server, page):
    d = small_day()
    leader = StaffFactory(school=d.school, roles=[Role.LEADER])
    log_in(page, live_server.url, leader.user.username)
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}{reverse('schedule-day', args=[d.school.pk])}?date={DATE}")
    page.wait_for_selector("[data-grid-keys-help]:not([hidden])")

    # Of the eight blocks, one is in the Tab order: the first of the first lane.
    in_tab_order = page.evaluate(
        f"""() => Array.from(document.querySelectorAll("{COHORT_GRID} summary"))
            .map(summary => summary.tabIndex)"""
    )
    assert sorted(in_tab_order) == [-1] * 7 + [0]

    # From the top of the page, Tab enters the grid once and the next Tab leaves it for the lab.
    page.evaluate("() => document.activeElement.blur()")
    stops_in_grid = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(IN_COHORT_GRID):
            stops_in_grid += 1
        elif stops_in_grid:
            break
    assert stops_in_grid == 1
    assert page.evaluate(FOCUSED_TEXT) == "Learning Lab as a table"

    # Past the page's header the short way: a skip link to the grid's section, then one Tab.
    assert tab_to_link(page, "Skip to The day by cohort", most=2) == 2
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(IN_COHORT_GRID)
    page.keyboard.press("Tab")

    # Back into the grid: the arrow keys move in time along a lane and across to the next lane.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_BLOCK) == "K Adams literacy"
    assert press(page, "ArrowLeft") == "K Adams literacy"  # the lane's first block: no further
    assert press(page, "ArrowRight") == "K Adams lab"
    assert press(page, "ArrowDown") == "K Baker literacy"  # 8:50-9:30 overlaps the lab most
    assert press(page, "ArrowDown") == "K Baker literacy"  # the last lane
    assert press(page, "ArrowLeft") == "K Baker lab"
    assert press(page, "ArrowUp") == "K Adams literacy"  # Baker's lab 8:20-8:50: Adams at 8:00
    assert press(page, "End") == "K Adams lunch"
    assert press(page, "Home") == "K Adams literacy"
    assert press(page, "Control+End") == "K Baker lunch"

    # The block last visited stays the grid's Tab stop.
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_BLOCK) == ""
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_BLOCK) == "K Baker lunch"
    assert page.locator(f"{COHORT_GRID} summary[tabindex='0']").count() == 1

    # Enter opens the block and Tab reaches its Pin button; pinning redraws the block, which
    # stays the grid's one Tab stop. Escape closes it and leaves the focus on it.
    page.keyboard.press("Enter")
    assert page.locator(f"{COHORT_GRID} details[open]").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_TEXT) == "Pin here"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{COHORT_GRID} li.pblock.is-pinned")
    assert page.locator(f"{COHORT_GRID} summary[tabindex='0']").count() == 1
    assert page.locator(f"{COHORT_GRID} summary[tabindex='-1']").count() == 7
    assert page.evaluate(FOCUSED_BLOCK) == "K Baker lunch"
    page.keyboard.press("Escape")
    assert page.locator(f"{COHORT_GRID} details[open]").count() == 0
    assert page.evaluate(FOCUSED_BLOCK) == "K Baker lunch"
    check_page(page, "keyboard-day")

    # A skip link jumps to the staff grid's heading; the next Tab is the staff grid's one stop.
    assert tab_to_link(page, "Skip to Staff", most=5) == 4
    page.keyboard.press("Enter")
    staff_heading = f"staff-title-{d.schedule.pk}"
    assert page.evaluate("() => document.activeElement.id") == staff_heading
    assert page.evaluate("() => location.hash") == f"#{staff_heading}"
    assert press(page, "Tab") == "Ms. Rivera literacy"
    assert press(page, "ArrowRight") == "Ms. Rivera literacy"
    assert page.evaluate("() => document.activeElement.closest('li').dataset.start") == "08:50"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_BLOCK) == ""  # one stop for the whole staff grid too


def test_skip_links_reach_the_lab_fields_in_a_few_presses(live_server, page):
    d = small_day()
    leader = StaffFactory(school=d.school, roles=[Role.LEADER])
    log_in(page, live_server.url, leader.user.username)
    page.wait_for_selector("h1")

    # Rooms and labs: past the table of rooms to the new room's lab fields.
    page.goto(f"{live_server.url}{reverse('rooms', args=[d.school.pk])}")
    assert tab_to_link(page, "Skip to For a Learning Lab", most=3) == 3
    page.keyboard.press("Enter")
    assert page.evaluate("() => !!document.activeElement.closest('#lab-fields')")
    assert page.evaluate("() => document.activeElement.matches('input, select')")
    check_page(page, "keyboard-rooms")

    # Scheduling settings: one skip link per group of fields, each landing on its first field.
    page.goto(f"{live_server.url}{reverse('school-settings', args=[d.school.pk])}")
    legends = page.locator("main fieldset[data-skip-target] > legend").all_inner_texts()
    links = page.locator("a[data-skip-built]").all_inner_texts()
    assert links == [f"Skip to {legend}" for legend in legends]
    lab_plans = next(legend for legend in legends if legend.startswith("Lab plans"))
    presses = tab_to_link(page, f"Skip to {lab_plans}", most=len(legends) + 1)
    assert presses == legends.index(lab_plans) + 2  # after "Skip to content"
    page.keyboard.press("Enter")
    group = page.evaluate("() => document.activeElement.closest('fieldset').id")
    assert group == f"settings-group-{legends.index(lab_plans) + 1}"
    assert page.evaluate("() => document.activeElement.matches('input, select')")
    check_page(page, "keyboard-settings")
