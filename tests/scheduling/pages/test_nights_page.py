"""The leaders' page of nightly runs: each night's run, its outcome, and why not when nothing was
published. Runs are rows as the rebuild leaves them (``tests/scheduling/test_nightly.py`` covers
how they get there)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from scheduling.models import Fallback, NightlyRun, RunState, RunTrigger, ScheduleStatus
from students.models import School

from ...conftest import SchoolWorld, client_for
from ...factories import NetworkAdminFactory, UserFactory
from ..factories import ScheduleFactory

pytestmark = pytest.mark.django_db

NIGHT = datetime.date(2026, 9, 1)
REASON = {
    "code": "no-staff",
    "message": "Nobody present can teach literacy to K Howard on 2026-09-02.",
    "suggestion": "Assign a humanities teacher (or a substitute) to K Howard's literacy.",
    "setting": "staffing:2:literacy",
}


def url(school: School, **query: str) -> str:
    path = reverse("nightly-runs", kwargs={"school_id": school.pk})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def finished(school: School, night: datetime.date, state: str, **fields) -> NightlyRun:
    started = timezone.make_aware(datetime.datetime.combine(night, datetime.time(2, 0)))
    fields.setdefault("started_at", started)
    fields.setdefault("finished_at", started + datetime.timedelta(seconds=12.5))
    return NightlyRun.objects.create(
        school=school,
        night=night,
        date=night + datetime.timedelta(days=1),
        state=state,
        attempts=fields.pop("attempts", 1),
        **fields,
    )


def published_run(school: School, night: datetime.date, version: int = 2) -> NightlyRun:
    schedule = ScheduleFactory.create(
        school=school,
        date=night + datetime.timedelta(days=1),
        version=version,
        status=ScheduleStatus.PUBLISHED,
        moved_blocks=3,
    )
    return finished(school, night, RunState.PUBLISHED, schedule=schedule)


def test_a_leader_sees_each_nights_outcome_and_why_nothing_was_published(school_a: SchoolWorld):
    school = school_a.school
    published = published_run(school, NIGHT)
    kept = ScheduleFactory.create(school=school, date=NIGHT + datetime.timedelta(days=2), version=1)
    failed = finished(
        school,
        NIGHT + datetime.timedelta(days=1),
        RunState.FAILED,
        reasons=[REASON],
        fallback=Fallback.KEPT,
        schedule=kept,
        attempts=2,
    )

    response = client_for(school_a.leader.user).get(url(school))

    html = response.content.decode()
    assert response.status_code == 200
    assert [run.pk for run in response.context["page"].runs] == [failed.pk, published.pk]
    assert "<caption>Runs of the latest 14 nights with a run, newest first</caption>" in html
    assert '<th scope="col">Version published</th>' in html
    assert published.schedule is not None
    review = reverse(
        "schedule-review", kwargs={"school_id": school.pk, "schedule_id": published.schedule.pk}
    )
    assert f'<a href="{review}">Version 2</a>' in html and "3 blocks moved" in html
    assert "12.5 s" in html
    assert escape(REASON["message"]) in html and escape(REASON["suggestion"]) in html
    kept_review = reverse(
        "schedule-review", kwargs={"school_id": school.pk, "schedule_id": kept.pk}
    )
    assert f'<a href="{kept_review}">Version 1</a> stays published.' in html
    assert html.count('<span class="badge state state-failed">Not published</span>') == 1


def test_a_night_with_nothing_to_fall_back_on_says_so(school_a: SchoolWorld):
    finished(
        school_a.school,
        NIGHT,
        RunState.FAILED,
        error="The rebuild stopped on an unexpected error; it was logged with the run's id.",
        fallback=Fallback.NOTHING,
    )

    html = client_for(school_a.leader.user).get(url(school_a.school)).content.decode()

    assert escape("it was logged with the run's id.") in html
    assert "<strong>No schedule for the day.</strong>" in html
    assert f'href="{reverse("build", kwargs={"school_id": school_a.school.pk})}"' in html


def test_one_night_is_picked_by_its_date(school_a: SchoolWorld):
    school = school_a.school
    nightly = published_run(school, NIGHT)
    by_hand = finished(
        school,
        NIGHT,
        RunState.UNCHANGED,
        trigger=RunTrigger.MANUAL,
        started_by=school_a.leader.user,
        schedule=nightly.schedule,
        queued_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    published_run(school, NIGHT + datetime.timedelta(days=1), version=3)

    response = client_for(school_a.leader.user).get(url(school, night="2026-09-01"))

    html = response.content.decode()
    assert [run.pk for run in response.context["page"].runs] == [by_hand.pk, nightly.pk]
    assert "Runs of the night of Tuesday, September 1, 2026" in html
    assert f"Run by hand by {school_a.leader.user.get_full_name()}" in html
    assert "Nothing changed:" in html


def test_a_night_that_is_not_a_date_is_refused_naming_the_field(school_a: SchoolWorld):
    response = client_for(school_a.leader.user).get(url(school_a.school, night="tuesday"))

    assert response.status_code == 400
    assert response.context["form"].errors == {"night": ["Enter a valid date."]}


def test_nights_are_paged_fourteen_at_a_time(school_a: SchoolWorld):
    school = school_a.school
    for n in range(16):
        finished(school, NIGHT - datetime.timedelta(days=n), RunState.UNCHANGED)
    client = client_for(school_a.leader.user)

    first = client.get(url(school))
    oldest_shown = NIGHT - datetime.timedelta(days=13)
    second = client.get(url(school, before=oldest_shown.isoformat()))

    assert len(first.context["page"].nights) == 14
    assert first.context["page"].older == oldest_shown
    assert f'href="?before={oldest_shown.isoformat()}">Older nights</a>' in first.content.decode()
    assert [n.night for n in second.context["page"].nights] == [
        NIGHT - datetime.timedelta(days=14),
        NIGHT - datetime.timedelta(days=15),
    ]
    assert second.context["page"].older is None


def test_a_network_admin_sees_the_page(school_a: SchoolWorld):
    admin = NetworkAdminFactory.create(
        network=school_a.school.network, user=UserFactory.create()
    ).user
    published_run(school_a.school, NIGHT)

    assert client_for(admin).get(url(school_a.school)).status_code == 200


def test_a_teacher_of_the_school_is_refused(school_a: SchoolWorld):
    assert client_for(school_a.teacher.user).get(url(school_a.school)).status_code == 403


def test_another_schools_leader_gets_404(school_a: SchoolWorld, school_b: SchoolWorld):
    published_run(school_a.school, NIGHT)

    response = client_for(school_b.leader.user).get(url(school_a.school))

    assert response.status_code == 404


def test_the_page_shows_only_its_schools_runs(school_a: SchoolWorld, school_b: SchoolWorld):
    own = published_run(school_a.school, NIGHT)
    published_run(school_b.school, NIGHT)

    response = client_for(school_a.leader.user).get(url(school_a.school))

    assert [run.pk for run in response.context["page"].runs] == [own.pk]


def test_the_leaders_top_bar_links_to_the_page(school_a: SchoolWorld):
    response = client_for(school_a.leader.user).get(url(school_a.school))

    links = {link.label: link for link in response.context["navigation"].day}
    assert links["Nightly runs"].url == url(school_a.school)
    assert links["Nightly runs"].current


def test_the_page_reads_in_the_same_queries_however_many_runs(
    school_a: SchoolWorld, django_assert_num_queries
):
    school = school_a.school
    published_run(school, NIGHT)
    client = client_for(school_a.leader.user)
    client.get(url(school))  # warm the session
    with CaptureQueriesContext(connection) as one_run:
        client.get(url(school))
    for n in range(1, 10):
        night = NIGHT - datetime.timedelta(days=n)
        published_run(school, night, version=n + 10)
        # Explicit versions: the factory's sequence depends on which tests ran before, and a
        # draft shares its date with the next night's published version.
        source = ScheduleFactory.create(
            school=school, date=night, status=ScheduleStatus.SUPERSEDED, version=n + 100
        )
        draft = ScheduleFactory.create(
            school=school,
            date=night + datetime.timedelta(days=1),
            carried_forward_from=source,
            version=n + 200,
        )
        finished(
            school,
            night,
            RunState.FAILED,
            trigger=RunTrigger.MANUAL,
            started_by=school_a.leader.user,
            fallback=Fallback.CARRIED_FORWARD,
            schedule=draft,
            reasons=[REASON],
        )

    with django_assert_num_queries(len(one_run)):
        response = client.get(url(school))

    assert len(response.context["page"].runs) == 19
    assert "Carried forward as a draft" in response.content.decode()
