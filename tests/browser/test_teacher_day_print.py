"""A humanities teacher prints her day and her week, and reads them on a phone (issue 20, items 2
and 3).

Ms. Rivera teaches literacy to four third-grade cohorts of 25 students each, every one in two
halves (a split block): eight blocks from 8:00 to 15:20, and one ELD group in the lab. Each
cohort's list is printed once, in its first half; the second half refers to it. The day prints on
one US Letter page, the week on one landscape page; at 375 px nothing scrolls sideways.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from scheduling.models import LabPlan, Room, RoomKind, Venue
from students.models import Cohort, ELLevel, GradeLevel, Role, School, ServiceKind, Staff, Student

from ..factories import (
    PASSWORD,
    CohortFactory,
    GradeFactory,
    RoomFactory,
    SchoolFactory,
    ServiceNeedFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..scheduling.factories import (
    CalendarDayFactory,
    DayTypeFactory,
    LabFactory,
    LabSupervisionFactory,
    RotationTemplateFactory,
    ScheduledBlockFactory,
    ScheduleFactory,
    add_stations,
)
from ..scheduling.pages.planned_day import add_group
from ..scheduling.test_pictures_data import DATE
from .conftest import check_page
from .test_lab_plan_print import pdf_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T = datetime.time
PHONE = {"width": 375, "height": 812}
LETTER_LANDSCAPE = (792, 612)  # points

FIRST = ["Sofía", "Jayden", "Mai", "Mateo", "Aaliyah", "Ethan", "Ximena", "Dương", "Isabella"]
LAST = ["Hernández-Villanueva", "Okonkwo", "Nguyen", "Castañeda", "Williams", "Abdullahi"]
LAST += ["Rodríguez", "Thompson", "Vásquez", "Papadopoulos", "Kim"]

# Each cohort meets her twice (the two halves of a split literacy block), and goes to the lab.
HALVES = [
    ("3 Adams", T(8, 0), T(8, 50), T(9, 50), T(10, 30)),
    ("3 Baker", T(8, 55), T(9, 45), T(12, 15), T(12, 55)),
    ("3 Chavez", T(10, 35), T(11, 25), T(13, 0), T(13, 40)),
    ("3 Diaz", T(13, 45), T(14, 35), T(14, 40), T(15, 20)),
]
LAB_TIMES = [(T(11, 30), T(12, 10)), (T(10, 35), T(11, 15)), (T(8, 0), T(8, 40))]
LAB_TIMES += [(T(9, 0), T(9, 40))]


@dataclass
class HumanitiesDay:
    school: School
    rivera: Staff
    cohorts: list[Cohort]
    lab: Room


def a_humanities_teachers_full_day() -> HumanitiesDay:
    school = SchoolFactory.create(name="Mission Heights Academy")
    day_type = DayTypeFactory.create(
        school=school, name="Regular day", day_start=T(8), dismissal=T(15, 30)
    )
    grade = GradeFactory.create(school=school, level=GradeLevel.THIRD)
    template = RotationTemplateFactory.create(school=school, grade=grade, day_type=day_type)
    add_stations(
        template,
        [
            ("literacy", 90, 40, 50, 2, Venue.STAFF_ROOM, Role.HUMANITIES),
            ("lab", 40, 40, 40, 1, Venue.LAB, ""),
        ],
    )
    room = RoomFactory.create(school=school, name="Room 204")
    lab = LabFactory.create(school=school, name="Learning Lab 3-5", capacity=80)
    LabSupervisionFactory.create(
        school=school,
        lab=lab,
        supervisors=[StaffFactory.create(school=school, roles=[Role.ILS])],
    )
    rivera = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ms.", last_name="Rivera"),
        roles=[Role.HUMANITIES],
    )
    cohorts = []
    for i, (name, *_) in enumerate(HALVES):
        cohort = CohortFactory.create(school=school, grade=grade, name=name)
        cohorts.append(cohort)
        for n in range(25):
            student = StudentFactory.create(
                school=school,
                cohort=cohort,
                grade=grade,
                first_name=FIRST[(n + i) % len(FIRST)],
                last_name=LAST[(n * 3 + i) % len(LAST)],
                el_level=ELLevel.EMERGING if n % 4 == 0 else ELLevel.NOT_EL,
                intervention_tier=2 if n % 5 == 1 else 1,
                has_iep=n % 6 == 2,
            )
            if n % 4 == 0:
                ServiceNeedFactory.create(
                    student=student,
                    kind=ServiceKind.ELD,
                    minutes_per_week=150,
                    provider_role=Role.HUMANITIES,
                )
            if n % 6 == 2:
                ServiceNeedFactory.create(student=student, minutes_per_week=90)

    # The whole week is published, so the week shows five full days.
    monday = DATE - datetime.timedelta(days=DATE.weekday())
    for offset in range(5):
        date = monday + datetime.timedelta(days=offset)
        CalendarDayFactory.create(school=school, date=date, day_type=day_type)
        schedule = ScheduleFactory.create(
            school=school, date=date, day_type=day_type, status="published"
        )
        for cohort, (_, a, b, c, e), (lab_start, lab_end) in zip(
            cohorts, HALVES, LAB_TIMES, strict=True
        ):
            for start, end in ((a, b), (c, e)):
                ScheduledBlockFactory.create(
                    schedule=schedule,
                    cohort=cohort,
                    station="literacy",
                    start=start,
                    end=end,
                    room=room,
                    staff=rivera,
                )
            ScheduledBlockFactory.create(
                schedule=schedule,
                cohort=cohort,
                station="lab",
                start=lab_start,
                end=lab_end,
                room=lab,
                staff=None,
            )
        if date == DATE:
            # She also gives ELD to five of 3 Adams in the lab, 11:30-11:50.
            plan = LabPlan.objects.create(schedule=schedule, input_fingerprint="0" * 64)
            learners = Student.objects.filter(cohort=cohorts[0], el_level=ELLevel.EMERGING)
            add_group(
                plan,
                rivera,
                T(11, 30),
                T(11, 50),
                list(learners.order_by("pk")[:5]),
                service_kind=ServiceKind.ELD,
                room=RoomFactory.create(school=school, name="Room 12", kind=RoomKind.CLASSROOM),
            )
    return HumanitiesDay(school, rivera, cohorts, lab)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('My day')")


def media_boxes(pdf: bytes) -> list[tuple[int, int]]:
    """The width and height, in points, of each page of a PDF."""
    return [
        (round(float(w)), round(float(h)))
        for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    ]


def test_a_humanities_teachers_full_day_prints_on_one_letter_page(live_server, page, tmp_path):
    h = a_humanities_teachers_full_day()
    log_in(page, live_server.url, h.rivera.user.username)

    page.goto(f"{live_server.url}{reverse('my-day')}?date={DATE.isoformat()}")
    page.wait_for_selector("text=My groups")

    # Eight blocks, four lists of 25: each cohort's list once, its second half refers to it.
    assert page.locator("li.roster-block").count() == 8
    assert page.locator("table.roster-students:not(.group-plan)").count() == 4
    assert page.locator("table.roster-students:not(.group-plan) tbody tr").count() == 100
    second_half = page.locator("li.roster-block", has=page.locator("h3", has_text="9:50"))
    assert second_half.locator("table").count() == 0
    assert "The same students as at 8" in second_half.locator(".roster-ref").inner_text()
    second_half.locator(".roster-ref a").click()
    assert page.evaluate("location.hash") == f"#roster-{DATE:%Y%m%d}-{h.cohorts[0].pk}"
    check_page(page, "teacher-day")

    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    assert page.locator("form.myday-datebar").is_hidden()
    assert page.locator(".print-legend").is_visible()
    # On paper the needs are short marks: "ELD", not "ELD 150 min/wk".
    mark = page.locator("table.roster-students .badge-service").first
    assert mark.evaluate("e => getComputedStyle(e, '::before').content") == '"ELD"'
    page.screenshot(path=str(tmp_path / "teacher-day-print.png"), full_page=True)
    check_page(page, "teacher-day-print")
    pdf = page.pdf(format="Letter")
    (tmp_path / "teacher-day.pdf").write_bytes(pdf)

    assert pdf_pages(pdf) == 1


def test_the_teachers_week_prints_on_one_landscape_page(live_server, page, tmp_path):
    h = a_humanities_teachers_full_day()
    log_in(page, live_server.url, h.rivera.user.username)

    page.goto(f"{live_server.url}{reverse('my-week')}?date={DATE.isoformat()}")
    page.wait_for_selector("ol.week")
    assert page.locator(".week-blocks li").count() == 40

    page.emulate_media(media="print")
    check_page(page, "teacher-week-print")
    # The page's own size (its CSS @page) decides: landscape for the week only.
    pdf = page.pdf(format="Letter", prefer_css_page_size=True)
    (tmp_path / "teacher-week.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1
    assert media_boxes(pdf) == [LETTER_LANDSCAPE]

    # The day keeps its portrait page.
    page.goto(f"{live_server.url}{reverse('my-day')}?date={DATE.isoformat()}")
    day = page.pdf(format="Letter", prefer_css_page_size=True)
    assert media_boxes(day) == [(612, 792)]


def test_the_teachers_pages_read_at_375_px_without_sideways_scrolling(live_server, page):
    h = a_humanities_teachers_full_day()
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, h.rivera.user.username)
    date = DATE.isoformat()
    adams = h.cohorts[0]
    schedule_id = adams.scheduled_blocks.get(schedule__date=DATE, station="lab").schedule_id
    pages = {
        "phone-my-day": f"{reverse('my-day')}?date={date}",
        "phone-my-week": f"{reverse('my-week')}?date={date}",
        "phone-my-week-lists": f"{reverse('my-week')}?date={date}&rosters=1",
        "phone-lab": f"{reverse('lab-view', args=[h.school.pk, h.lab.pk])}?date={date}",
        "phone-lab-names": f"{reverse('lab-view', args=[h.school.pk, h.lab.pk])}?date={date}"
        "&names=1",
        "phone-block-plan": reverse(
            "lab-block-plan", args=[h.school.pk, schedule_id, adams.pk, "1130"]
        ),
    }

    widths = {}
    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        page.wait_for_selector("main h1")
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        check_page(page, name)

    assert widths == dict.fromkeys(pages, 375)
    page.goto(f"{live_server.url}{pages['phone-my-day']}")
    assert page.locator(".my-groups tr.lab-group").count() == 1
    assert page.locator(".my-groups").evaluate("e => e.scrollWidth <= e.clientWidth")
