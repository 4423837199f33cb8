"""Issue 21's whole loop, as a Spanish-speaking family lives it: a leader of a demo school invites
a guardian by email; on a phone the guardian follows the link, sets a password and reads their
child's next school day in Spanish with this week's Learning Lab progress; that night the
nightly rebuild moves the child's Learning Lab and the guardian gets one email about it, in
Spanish. Everything runs for real: the demo's schools, the engine, the nightly's publish."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from families.models import FamilyAccount
from rocketship import demo
from rocketship.demo.plan import local_today
from scheduling.models import NightlyRun, Pin, Schedule, ScheduleStatus
from scheduling.services import nightly
from students.models import Cohort, Guardian, School

from ..families.signin_helpers import GOOD_PASSWORD, links_in, path_of
from ..solver_limits import work_limited
from .conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def next_monday() -> datetime.date:
    # Relative to the real clock: a notice about a day already past is never sent.
    today = local_today()
    return today + datetime.timedelta(days=7 - today.weekday())


def spanish_guardian_and_swap(school: School, day: datetime.date):  # type: ignore[no-untyped-def]
    """A Spanish-speaking guardian with an email and one child, whose homeroom and another of
    its grade have their Learning Lab at different times on ``day``: swapping the two moves the
    child's lab and can always be staffed (the cohorts are alike)."""
    published = Schedule.objects.get(school=school, date=day, status=ScheduleStatus.PUBLISHED)
    labs = {b.cohort_id: b for b in published.blocks.filter(station="lab")}
    for guardian in (
        Guardian.objects.filter(language="es", students__school=school, account__isnull=True)
        .exclude(email="")
        .order_by("pk")
    ):
        children = list(guardian.students.all())
        if len(children) != 1 or children[0].cohort_id not in labs:
            continue
        child = children[0]
        others = Cohort.objects.filter(school=school, grade=child.cohort.grade).exclude(
            pk=child.cohort_id
        )
        for other in others.order_by("pk"):
            if other.pk in labs and labs[other.pk].start != labs[child.cohort_id].start:
                return guardian, child, labs[child.cohort_id], labs[other.pk]
    raise AssertionError("the demo has no Spanish family to invite")


def test_a_spanish_family_is_invited_reads_the_day_on_a_phone_and_hears_of_a_change(
    live_server, page
):
    monday = next_monday()
    tuesday = monday + datetime.timedelta(days=1)
    demo.seed_demo_network(today=monday)  # Monday and Tuesday built and published
    school = School.objects.get(slug="alder-street")
    guardian, child, own_lab, other_lab = spanish_guardian_and_swap(school, tuesday)

    leader = Client()
    leader.login(username="leader.alder", password=demo.DEMO_PASSWORD)
    invited = leader.post(
        reverse("school-family-invite", args=[school.pk, guardian.pk]), {"channel": "email"}
    )
    assert invited.status_code == 302
    (invitation,) = mail.outbox
    assert invitation.to == [guardian.email]
    [url] = links_in(invitation)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{path_of(url)}")
    page.get_by_label("Una contraseña que yo elijo").check()
    page.locator("#id_password1").fill(GOOD_PASSWORD)
    page.locator("#id_password2").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Crear mi cuenta").click()
    page.wait_for_url(f"{live_server.url}/family/**")
    assert FamilyAccount.objects.filter(guardian=guardian).exists()

    page.goto(
        f"{live_server.url}{reverse('family-child', args=[child.pk])}?date={tuesday.isoformat()}"
    )
    text = page.inner_text("main")
    assert "Progreso en el Laboratorio de Aprendizaje" in text
    assert child.first_name in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "family-done-when-es")

    # The leader swaps two homerooms' lab times for Tuesday; the nightly rebuilds and publishes.
    for cohort, block in ((child.cohort, other_lab), (other_lab.cohort, own_lab)):
        Pin.objects.create(
            school=school,
            cohort=cohort,
            station="lab",
            date=tuesday,
            start=block.start,
            end=block.end,
        )
    mail.outbox.clear()
    run = NightlyRun.objects.create(school=school, night=monday, date=tuesday)
    run = nightly.nightly_rebuild(run_id=run.pk, options=work_limited(workers=1, seed=3))
    assert run.state == "published"

    to_guardian = [m for m in mail.outbox if m.to == [guardian.email]]
    assert len(to_guardian) == 1
    (notice,) = to_guardian
    assert notice.extra_headers.get("Content-Language") == "es"
    assert child.first_name in notice.subject + notice.body
    assert "Laboratorio" in notice.body
