"""The schedule's pictures (day grid, lab curve, staff grid) and pinning a block from the grid.

The school is ``small_day``: a published kindergarten morning of two cohorts sharing one lab.
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from scheduling.models import Pin, ScheduledBlock
from scheduling.services.builds import schedule_build
from students.models import AuditAction, AuditEvent, Role

from ...conftest import client_for
from ...factories import CohortFactory, StaffFactory, StudentFactory
from ...solver_limits import work_limited
from ..factories import PinFactory, ScheduledBlockFactory, ScheduleFactory
from ..test_pictures_data import DATE, T, small_day
from ..test_selectors import DATE as K_DATE
from ..test_selectors import kindergarten

pytestmark = pytest.mark.django_db


def leader_of(school):
    return StaffFactory(school=school, roles=[Role.LEADER]).user


def day_url(school, date=DATE):
    return f"{reverse('schedule-day', args=[school.pk])}?date={date.isoformat()}"


def toggle_url(d):
    return reverse("pin-toggle", args=[d.school.pk, d.schedule.pk])


def block(d, cohort, station):
    return ScheduledBlock.objects.get(schedule=d.schedule, cohort=cohort, station=station)


def element(html, dom_id):
    """The opening tag of the element with ``dom_id``."""
    match = re.search(rf'<li [^>]*id="{dom_id}"[^>]*>', html)
    assert match, f"no element {dom_id}"
    return match.group(0)


# --- the pictures -------------------------------------------------------------------------------


def test_the_published_day_draws_one_positioned_labelled_block_per_scheduled_block():
    d = small_day()

    response = client_for(d.rivera.user).get(day_url(d.school))

    assert response.status_code == 200
    html = response.content.decode()
    cohort_blocks = re.findall(r'id="cohort-block-(\d+)"', html)
    assert sorted(map(int, cohort_blocks)) == sorted(d.schedule.blocks.values_list("pk", flat=True))
    assert len(re.findall(r'id="staff-block-(\d+)"', html)) == 2  # Ms. Rivera's two blocks
    lab = block(d, d.adams, "lab")
    tag = element(html, f"cohort-block-{lab.pk}")
    assert 'class="pblock station-lab"' in tag
    assert 'style="left: 33.333%; width: 25.0%"' in tag
    assert 'data-start="08:40" data-end="09:10"' in tag
    # The station's name is on the block, and room and staff are in its tooltip.
    assert f'<summary aria-describedby="cohort-tip-{lab.pk}">' in html
    literacy = block(d, d.adams, "literacy")
    assert (
        f'id="cohort-tip-{literacy.pk}">Literacy / humanities 8 a.m.-8:40 a.m.: '
        "Room 103, Ms. Rivera" in html
    )
    assert "Published version 1" in html


def test_the_lab_curve_is_drawn_against_the_seats_with_a_table_of_its_numbers():
    d = small_day()

    html = client_for(d.rivera.user).get(day_url(d.school)).content.decode()

    assert "<strong>Learning Lab</strong>: 30 seats; busiest moment 30 seats taken" in html
    assert 'role="img" aria-labelledby="lab-' in html
    assert 'class="occupancy-line"' in html and ">30 seats</text>" in html
    rows = re.findall(
        r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", html
    )
    assert rows == [
        ("8 a.m.-8:20 a.m.", "empty", "0", "30"),
        ("8:20 a.m.-8:40 a.m.", "K Baker", "16", "14"),
        ("8:40 a.m.-8:50 a.m.", "K Adams, K Baker", "30", "0"),
        ("8:50 a.m.-9:10 a.m.", "K Adams", "14", "16"),
        ("9:10 a.m.-10 a.m.", "empty", "0", "30"),
    ]


def test_a_date_without_a_published_schedule_says_so():
    d = small_day()
    leader = leader_of(d.school)

    html = client_for(leader).get(day_url(d.school, DATE.replace(day=2))).content.decode()

    assert "Nothing published for Wednesday, September 2, 2026" in html
    assert "cohort-block-" not in html
    try:
        build = reverse("build", args=[d.school.pk])
    except NoReverseMatch:
        assert "Building schedules is not available yet." in html
    else:
        assert f'href="{build}?date=2026-09-02"' in html


def test_a_bad_date_is_reported_beside_the_date_field():
    d = small_day()

    html = client_for(d.rivera.user).get(f"{day_url(d.school)}x").content.decode()

    assert 'aria-invalid="true" aria-describedby="day-date-error"' in html
    assert "is not a date (use YYYY-MM-DD)" in html


def test_a_real_build_is_drawn_block_for_block():
    k = kindergarten()
    schedule = schedule_build(
        school=k.school, date=K_DATE, publish=True, options=work_limited(workers=1)
    ).schedule
    leader = leader_of(k.school)

    url = reverse("schedule-detail", args=[k.school.pk, schedule.pk])
    html = client_for(leader).get(url).content.decode()

    drawn = sorted(map(int, re.findall(r'id="cohort-block-(\d+)"', html)))
    assert drawn == sorted(schedule.blocks.values_list("pk", flat=True))
    assert html.count("Pin here") + html.count(">Unpin") == len(drawn)


def test_teachers_see_the_grid_without_pin_buttons():
    d = small_day()

    html = client_for(d.rivera.user).get(day_url(d.school)).content.decode()

    assert "Pin here" not in html and "pin-toggle" not in html


def test_the_include_draws_a_schedule_from_the_schedule_alone():
    d = small_day()
    template = Template('{% include "scheduling/pictures/_day.html" with schedule=schedule %}')
    request = RequestFactory().get("/review/")

    request.user = leader_of(d.school)
    as_leader = template.render(Context({"schedule": d.schedule, "request": request}))
    request.user = d.rivera.user
    as_teacher = template.render(Context({"schedule": d.schedule, "request": request}))
    request.user = AnonymousUser()
    as_nobody = template.render(Context({"schedule": d.schedule, "request": request}))

    assert as_leader.count('id="cohort-block-') == 8
    assert as_leader.count("Pin here") == 8
    assert 'name="next" value="/review/"' in as_leader
    assert as_teacher.count('id="cohort-block-') == 8 and "Pin here" not in as_teacher
    assert "Pin here" not in as_nobody


# --- pins ---------------------------------------------------------------------------------------


def test_a_leader_pins_and_unpins_a_block_without_javascript():
    d = small_day()
    leader = client_for(leader_of(d.school))
    form = {"cohort": d.adams.pk, "station": "lab", "start": "8:40", "end": "9:10"}

    pinned = leader.post(toggle_url(d), {**form, "next": day_url(d.school)})

    assert pinned.status_code == 302 and pinned.url == day_url(d.school)
    pin = Pin.objects.get()
    assert (pin.cohort_id, pin.station, pin.date, pin.start, pin.end) == (
        d.adams.pk,
        "lab",
        DATE,
        T(8, 40),
        T(9, 10),
    )
    page = leader.get(day_url(d.school)).content.decode()
    assert "Pinned K Adams&#x27;s Learning Lab at 8:40 a.m. on Sept. 1, 2026" in page
    lab = block(d, d.adams, "lab")
    assert "is-pinned" in element(page, f"cohort-block-{lab.pk}")

    unpinned = leader.post(toggle_url(d), form)

    assert unpinned.status_code == 302
    assert unpinned.url == reverse("schedule-detail", args=[d.school.pk, d.schedule.pk])
    assert not Pin.objects.exists()


def test_htmx_swaps_the_blocks_new_state():
    d = small_day()
    leader = client_for(leader_of(d.school))
    lab = block(d, d.adams, "lab")
    form = {"cohort": d.adams.pk, "station": "lab", "start": "08:40", "end": "09:10"}

    response = leader.post(toggle_url(d), form, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li")
    assert "is-pinned" in element(html, f"cohort-block-{lab.pk}")
    assert ">Unpin</button>" in html and 'role="status">Pinned K Adams' in html
    assert Pin.objects.count() == 1

    again = leader.post(toggle_url(d), form, HTTP_HX_REQUEST="true").content.decode()

    assert "is-pinned" not in element(again, f"cohort-block-{lab.pk}")
    assert ">Pin here</button>" in again
    assert not Pin.objects.exists()


def test_a_pin_the_grade_cannot_have_is_refused_beside_the_block_and_nothing_changes():
    d = small_day()
    leader = client_for(leader_of(d.school))
    # The template changed after the build: kindergarten has no lab any more.
    d.schedule.day_type.rotation_templates.get().stations.filter(code="lab").delete()
    lab = block(d, d.adams, "lab")
    form = {"cohort": d.adams.pk, "station": "lab", "start": "08:40", "end": "09:10"}

    plain = leader.post(toggle_url(d), form)
    htmx = leader.post(toggle_url(d), form, HTTP_HX_REQUEST="true")

    message = "K Adams is in kindergarten, whose Regular day template has no lab station."
    assert plain.status_code == 400
    page = plain.content.decode()
    assert f'<p class="error" role="alert">{message}</p>' in page
    assert f'id="cohort-block-{lab.pk}"' in page
    assert htmx.status_code == 200
    assert f'role="alert">{message}</p>' in htmx.content.decode()
    assert not Pin.objects.exists()


def test_a_malformed_pin_request_changes_nothing():
    d = small_day()
    leader = client_for(leader_of(d.school))
    other_school = small_day(name="Birch")

    bad_time = leader.post(toggle_url(d), {"cohort": d.adams.pk, "station": "lab", "start": "soon"})
    foreign_cohort = leader.post(
        toggle_url(d), {"cohort": other_school.adams.pk, "station": "lab", "start": "8:40"}
    )

    assert bad_time.status_code == foreign_cohort.status_code == 302
    assert not Pin.objects.exists()


def test_teachers_cannot_pin():
    d = small_day()

    response = client_for(d.rivera.user).post(
        toggle_url(d), {"cohort": d.adams.pk, "station": "lab", "start": "8:40", "end": "9:10"}
    )

    assert response.status_code == 403
    assert not Pin.objects.exists()


def test_pinning_only_answers_post():
    d = small_day()

    response = client_for(leader_of(d.school)).get(toggle_url(d))

    assert response.status_code == 405


# --- other schools ------------------------------------------------------------------------------


def test_a_leader_of_another_school_gets_404_on_every_picture_page(school_b):
    d = small_day()
    stranger = client_for(school_b.leader.user)
    PinFactory(school=d.school, cohort=d.adams, station="lab", date=DATE, day_type=None)

    pages = [
        stranger.get(day_url(d.school)),
        stranger.get(reverse("schedule-detail", args=[d.school.pk, d.schedule.pk])),
        stranger.post(toggle_url(d), {"cohort": d.adams.pk, "station": "lab", "start": "9:00"}),
        # Their own school's URL with this school's schedule id.
        stranger.get(reverse("schedule-detail", args=[school_b.school.pk, d.schedule.pk])),
        stranger.post(
            reverse("pin-toggle", args=[school_b.school.pk, d.schedule.pk]),
            {"cohort": d.adams.pk, "station": "lab", "start": "9:00"},
        ),
    ]

    assert [p.status_code for p in pages] == [404] * 5
    assert Pin.objects.count() == 1  # the pin that was there, untouched
    denied = AuditEvent.objects.filter(user=school_b.leader.user, action=AuditAction.DENIED)
    assert denied.filter(model="scheduling.schedule", object_id=str(d.schedule.pk)).exists()


def test_the_day_page_reads_in_the_same_queries_however_big_the_day(django_assert_num_queries):
    d = small_day()
    client = client_for(leader_of(d.school))
    client.get(day_url(d.school))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(day_url(d.school))
    for n in range(3):
        cohort = CohortFactory(school=d.school, grade=d.adams.grade, name=f"K Extra {n}")
        StudentFactory.create_batch(5, school=d.school, cohort=cohort, grade=cohort.grade)
        ScheduledBlockFactory(
            schedule=d.schedule, cohort=cohort, station="lab", start=T(9), end=T(9, 30), room=d.lab
        )
        ScheduledBlockFactory(
            schedule=d.schedule,
            cohort=cohort,
            station="literacy",
            start=T(8),
            end=T(9),
            room=d.room_103,
            staff=d.rivera,
        )

    with django_assert_num_queries(len(small)):
        html = client.get(day_url(d.school)).content.decode()

    assert html.count('id="cohort-block-') == 14


def test_drafts_are_for_leaders_and_older_versions_for_everyone():
    d = small_day()
    draft = ScheduleFactory(school=d.school, date=DATE, day_type=d.schedule.day_type, version=2)
    ScheduledBlockFactory(schedule=draft, cohort=d.adams, station="lab", start=T(8), end=T(8, 30))
    teacher = client_for(d.rivera.user)
    leader = client_for(leader_of(d.school))
    draft_url = reverse("schedule-detail", args=[d.school.pk, draft.pk])

    as_teacher = teacher.get(draft_url)
    as_leader = leader.get(draft_url)
    published = teacher.get(reverse("schedule-detail", args=[d.school.pk, d.schedule.pk]))

    assert as_teacher.status_code == 403
    assert as_leader.status_code == 200
    assert "not seen by teachers until it is published" in as_leader.content.decode()
    assert as_leader.content.decode().count('id="cohort-block-') == 1
    assert published.status_code == 200
