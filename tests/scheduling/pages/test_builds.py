"""Leader pages to build a date, follow the build, see why it failed or what it changes, publish,
and list or restore a date's versions.

The school is the kindergarten of ``test_selectors`` (two cohorts, Ms. Rivera teaching literacy,
a lab and a cafeteria) with a leader and a teacher of its own. Celery runs eagerly in tests, so a
build runs when its job's transaction commits: ``django_capture_on_commit_callbacks`` makes that
moment explicit.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from scheduling.models import (
    BuildJob,
    BuildPhase,
    BuildState,
    CalendarDay,
    Schedule,
    ScheduleStatus,
    SchoolSchedulingSettings,
    StaffAbsence,
    StationCode,
)
from scheduling.services.builds import build_job_run, schedule_build
from students.models import Role, Staff

from ...conftest import client_for
from ...factories import RoomFactory, StaffFactory, UserFactory
from ...school_words import engine_words_in
from ..factories import ScheduledBlockFactory, ScheduleFactory
from ..test_selectors import DATE, Kindergarten, kindergarten
from ..test_services import FAST, statuses

pytestmark = pytest.mark.django_db
T = datetime.time


@dataclass
class World:
    k: Kindergarten
    leader: Staff
    teacher: Staff

    @property
    def school_id(self) -> int:
        return self.k.school.pk

    def url(self, name: str, **kwargs: int) -> str:
        return reverse(name, kwargs={"school_id": self.school_id, **kwargs})


@pytest.fixture
def world() -> World:
    k = kindergarten()
    leader = StaffFactory.create(
        school=k.school,
        roles=[Role.LEADER],
        user=UserFactory.create(first_name="Lee", last_name="Principal"),
    )
    teacher = StaffFactory.create(school=k.school, roles=[Role.HUMANITIES])
    return World(k, leader, teacher)


def build_through_the_page(world, callbacks_fixture, date=DATE):
    client = client_for(world.leader.user)
    with callbacks_fixture(execute=True):
        response = client.post(world.url("build"), {"date": date.isoformat()})
    return client, response


# --- build -------------------------------------------------------------------------------------


def test_the_build_page_offers_the_schools_next_instructional_day(world):
    today = timezone.localdate(timezone=world.k.school.zone)
    day_type = CalendarDay.objects.get(school=world.k.school, date=DATE).day_type
    CalendarDay.objects.create(
        school=world.k.school, date=today + datetime.timedelta(days=1), instructional=False
    )
    CalendarDay.objects.create(
        school=world.k.school, date=today + datetime.timedelta(days=3), day_type=day_type
    )

    response = client_for(world.leader.user).get(world.url("build"))

    assert response.status_code == 200
    expected = (today + datetime.timedelta(days=3)).isoformat()
    assert f'value="{expected}"' in response.content.decode()
    assert '<label for="id_date">Date to build</label>' in response.content.decode()


def test_building_queues_a_job_that_stores_a_draft(world, django_capture_on_commit_callbacks):
    client, response = build_through_the_page(world, django_capture_on_commit_callbacks)

    job = BuildJob.objects.get(school=world.k.school)
    assert response.status_code == 302
    assert response["Location"] == world.url("build-status", job_id=job.pk)
    assert (job.date, job.state, job.phase, job.percent) == (
        DATE,
        BuildState.SUCCEEDED,
        BuildPhase.STORING,
        100,
    )
    assert job.requested_by == world.leader.user
    assert job.started_at is not None and job.finished_at is not None
    assert (job.schedule.version, job.schedule.status) == (1, ScheduleStatus.DRAFT)
    assert job.schedule.built_by == world.leader.user

    page = client.get(response["Location"])

    html = page.content.decode()
    assert page.status_code == 200
    assert "Version 1 is built as a draft." in html
    assert f'href="{world.url("schedule-review", schedule_id=job.schedule.pk)}"' in html
    assert f'action="{world.url("schedule-publish", schedule_id=job.schedule.pk)}"' in html
    assert "hx-trigger" not in html  # done: nothing left to poll
    assert "Nothing is published for this date or an earlier Regular day yet" in html


def test_the_task_is_queued_only_when_the_job_is_committed(
    world, django_capture_on_commit_callbacks
):
    client = client_for(world.leader.user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(world.url("build"), {"date": DATE.isoformat()})

    job = BuildJob.objects.get(school=world.k.school)
    assert len(callbacks) == 1
    assert (job.state, job.schedule) == (BuildState.QUEUED, None)
    assert not Schedule.objects.filter(school=world.k.school).exists()

    waiting = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in waiting
    assert 'hx-trigger="every 1s"' in waiting
    assert f"?seen={BuildState.QUEUED}%3A" in waiting
    unchanged = client.get(
        response["Location"], {"seen": job.progress_key}, headers={"HX-Request": "true"}
    )
    assert unchanged.status_code == 204  # nothing new: htmx keeps the fragment

    callbacks[0]()  # the commit: the (eager) task runs

    job.refresh_from_db()
    assert job.state == BuildState.SUCCEEDED
    fragment = client.get(response["Location"], {"seen": "queued:"}, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<section id="build-job"')  # the fragment, not the page
    assert "Version 1 is built as a draft." in html
    assert "hx-trigger" not in html


def test_a_second_build_of_a_date_still_queued_is_the_same_job(
    world, django_capture_on_commit_callbacks
):
    client = client_for(world.leader.user)

    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(world.url("build"), {"date": DATE.isoformat()})
        second = client.post(world.url("build"), {"date": DATE.isoformat()})

    assert first["Location"] == second["Location"]
    assert BuildJob.objects.filter(school=world.k.school).count() == 1
    assert len(callbacks) == 1


def test_a_date_without_school_is_refused_beside_the_field(world):
    CalendarDay.objects.create(
        school=world.k.school, date=DATE + datetime.timedelta(days=1), instructional=False
    )
    client = client_for(world.leader.user)

    response = client.post(world.url("build"), {"date": "2026-09-02"})
    garbled = client.post(world.url("build"), {"date": "someday"})

    assert response.status_code == 400
    assert "Sept. 2, 2026 is not an instructional day at Alder." in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    assert garbled.status_code == 400
    assert "Enter a valid date." in garbled.content.decode()
    assert not BuildJob.objects.exists()


def test_a_job_whose_date_stopped_being_a_school_day_fails_with_the_reason(
    world, django_capture_on_commit_callbacks
):
    client = client_for(world.leader.user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(world.url("build"), {"date": DATE.isoformat()})
    CalendarDay.objects.filter(school=world.k.school, date=DATE).update(
        instructional=False, day_type=None, note="Storm"
    )

    callbacks[0]()

    job = BuildJob.objects.get()
    assert job.state == BuildState.FAILED
    assert job.error == "Sept. 1, 2026 is not an instructional day at Alder (Storm)."
    assert job.phase == BuildPhase.LOADING
    html = client.get(response["Location"]).content.decode()
    assert "Sept. 1, 2026 is not an instructional day at Alder (Storm)." in html
    assert "stopped here" in html


def test_a_build_that_loses_the_database_is_left_to_its_retry_which_finishes_it(world, monkeypatch):
    job = BuildJob.objects.create(school=world.k.school, date=DATE, requested_by=world.leader.user)

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr("scheduling.services.builds.schedule_build", database_gone)
        with pytest.raises(OperationalError):  # the task's outage policy retries it
            build_job_run(job_id=job.pk, options=FAST)
    job.refresh_from_db()
    assert job.state == BuildState.RUNNING and not job.error  # not recorded as the build's fault

    retried = build_job_run(job_id=job.pk, options=FAST)

    assert retried.state == BuildState.SUCCEEDED and retried.attempts == 2
    assert Schedule.objects.filter(school=world.k.school, date=DATE).count() == 1


def test_running_a_finished_job_again_changes_nothing(world, django_capture_on_commit_callbacks):
    build_through_the_page(world, django_capture_on_commit_callbacks)
    job = BuildJob.objects.get()

    again = build_job_run(job_id=job.pk, options=FAST)

    assert (again.state, again.schedule_id, again.finished_at) == (
        BuildState.SUCCEEDED,
        job.schedule_id,
        job.finished_at,
    )
    assert Schedule.objects.filter(school=world.k.school).count() == 1
    assert build_job_run(job_id=job.pk + 1000) is None


def test_the_service_reports_each_step_it_reaches_in_order(world):
    reached = []

    schedule_build(school=world.k.school, date=DATE, options=FAST, on_phase=reached.append)
    again = []
    schedule_build(school=world.k.school, date=DATE, options=FAST, on_phase=again.append)

    assert reached == [
        BuildPhase.LOADING,
        BuildPhase.SOLVING,
        BuildPhase.VALIDATING,
        BuildPhase.STORING,
    ]
    assert again == [BuildPhase.LOADING]  # unchanged input: nothing to solve or store


def test_a_running_build_shows_its_current_step_and_keeps_polling(world):
    job = BuildJob.objects.create(
        school=world.k.school,
        date=DATE,
        state=BuildState.RUNNING,
        phase=BuildPhase.SOLVING,
        percent=25,
        started_at=timezone.now(),
    )

    html = client_for(world.leader.user).get(world.url("build-status", job_id=job.pk))
    html = html.content.decode()

    assert 'hx-trigger="every 1s"' in html
    assert f"?seen={BuildState.RUNNING}%3A{BuildPhase.SOLVING}" in html
    assert '<li class="phase phase-done">' in html  # loading
    assert '<li class="phase phase-current" aria-current="step">' in html
    assert 'Solving\n        <span class="phase-note">in progress</span>' in html
    assert 'value="25"' in html and "1 of 4 steps done" in html


def test_an_unchanged_configuration_says_no_new_version_was_made(
    world, django_capture_on_commit_callbacks
):
    build_through_the_page(world, django_capture_on_commit_callbacks)
    client, response = build_through_the_page(world, django_capture_on_commit_callbacks)

    html = client.get(response["Location"]).content.decode()

    assert BuildJob.objects.filter(unchanged=True).count() == 1
    assert Schedule.objects.count() == 1
    assert "Nothing in the configuration changed since version 1 (draft)" in html
    assert html.count("not needed") == 3


def test_a_build_lost_with_its_worker_stops_polling_and_does_not_block_a_new_one(
    world, django_capture_on_commit_callbacks
):
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
    lost = BuildJob.objects.create(
        school=world.k.school,
        date=DATE,
        state=BuildState.RUNNING,
        created_at=two_hours_ago,
        queued_at=two_hours_ago,
        started_at=two_hours_ago,
        attempts=1,
    )
    client = client_for(world.leader.user)

    html = client.get(world.url("build-status", job_id=lost.pk)).content.decode()
    with django_capture_on_commit_callbacks():
        response = client.post(world.url("build"), {"date": DATE.isoformat()})

    assert "This build stopped answering" in html and "hx-trigger" not in html
    assert response["Location"] != world.url("build-status", job_id=lost.pk)
    assert BuildJob.objects.count() == 2


# --- infeasible: the engine's reasons, linked ----------------------------------------------------


def test_an_infeasible_build_shows_the_engines_reasons_linked_to_their_settings(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    StaffAbsence.objects.create(school=world.k.school, staff=world.k.rivera, date=DATE)
    # No absence recovery option either (the options' pages: test_recovery_pages).
    monkeypatch.setattr("scheduling.services.day_builds.options_for", lambda **kwargs: ())

    client, response = build_through_the_page(world, django_capture_on_commit_callbacks)

    job = BuildJob.objects.get()
    assert job.state == BuildState.INFEASIBLE
    # The absent teacher is named once, not once per cohort she leaves without literacy.
    assert [r["setting"] for r in job.reasons] == [f"staff:{world.k.rivera.pk}"]
    assert not Schedule.objects.exists()
    html = client.get(response["Location"]).content.decode()
    assert "Why no schedule can be built" in html
    rivera = str(world.k.rivera)
    assert (
        f"{rivera} is out on Tuesday, September 1, 2026, and nobody present can take "
        "Literacy / humanities for 2 cohorts."
    ) in html
    assert f"Add a substitute for {rivera} on Tuesday, September 1, 2026" in html
    edit = world.url("staff-edit", staff_id=world.k.rivera.pk)
    assert f'<a href="{edit}">{rivera}</a>' in html


def timed_out_job(world, seconds=20) -> BuildJob:
    """A finished build whose engine stopped at its time limit."""
    return BuildJob.objects.create(
        school=world.k.school,
        date=DATE,
        requested_by=world.leader.user,
        state=BuildState.INFEASIBLE,
        phase=BuildPhase.SOLVING,
        finished_at=timezone.now(),
        reasons=[
            {
                "code": "time-limit",
                "message": f"The engine stopped after {seconds} s without finding a day; this "
                "does not mean none exists.",
                "suggestion": "Try for longer: build again with a longer time limit.",
                "setting": "school",
                "detail": [["seconds", seconds]],
            }
        ],
    )


def test_a_build_that_ran_out_of_time_says_the_engine_stopped_and_offers_to_try_for_longer(world):
    SchoolSchedulingSettings.objects.update_or_create(
        school=world.k.school, defaults={"solve_seconds": 45}
    )
    job = timed_out_job(world)
    client = client_for(world.leader.user)

    html = client.get(world.url("build-status", job_id=job.pk)).content.decode()

    assert "No schedule possible" not in html and "Why no schedule can be built" not in html
    assert "The engine stopped at its time limit" in html
    assert "Stopped at the time limit" in html  # the state badge
    assert "The engine stopped after 20 s without finding a day" in html
    assert f'action="{world.url("build-longer", job_id=job.pk)}"' in html
    assert ">Try for longer</button>" in html
    assert "with 90 seconds to search" in html  # twice the school's 45 s
    listed = client.get(world.url("build")).content.decode()
    assert "Stopped at the time limit" in listed and "No schedule possible" not in listed


def test_try_for_longer_builds_the_date_again_with_twice_the_schools_limit_at_most_600_s(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    SchoolSchedulingSettings.objects.update_or_create(
        school=world.k.school, defaults={"solve_seconds": 400}
    )
    job = timed_out_job(world)
    asked = []
    monkeypatch.setattr(
        "scheduling.tasks.build_job_run_task.delay", lambda *args: asked.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.leader.user).post(world.url("build-longer", job_id=job.pk))

    again = BuildJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == world.url("build-status", job_id=again.pk)
    assert (again.date, again.requested_by) == (DATE, world.leader.user)
    assert asked == [(again.pk, 600)]


def test_a_build_searches_for_the_schools_time_limit(world, monkeypatch):
    SchoolSchedulingSettings.objects.update_or_create(
        school=world.k.school, defaults={"solve_seconds": 35}
    )
    job = BuildJob.objects.create(school=world.k.school, date=DATE)
    seen = []

    def schedule_build(**kwargs):
        seen.append(kwargs["options"].time_limit)
        raise OperationalError("stop here")

    monkeypatch.setattr("scheduling.services.builds.schedule_build", schedule_build)
    for seconds in (None, 70):
        BuildJob.objects.filter(pk=job.pk).update(state=BuildState.QUEUED)
        with pytest.raises(OperationalError):
            build_job_run(job_id=job.pk, seconds=seconds)

    assert seen == [35, 70]


def test_try_for_longer_on_another_schools_build_is_404(world):
    other = kindergarten()
    job = BuildJob.objects.create(school=other.school, date=DATE, state=BuildState.INFEASIBLE)

    response = client_for(world.leader.user).post(world.url("build-longer", job_id=job.pk))

    assert response.status_code == 404
    assert BuildJob.objects.count() == 1


# --- what changes ----------------------------------------------------------------------------


def two_versions(world):
    """Version 1 published by hand; version 2 moves K Howard's literacy (and so Ms. Rivera)."""
    k = world.k
    day_type = CalendarDay.objects.get(school=k.school, date=DATE).day_type
    room = RoomFactory.create(school=k.school, name="Room 103b")
    v1 = ScheduleFactory.create(
        school=k.school, date=DATE, day_type=day_type, version=1, status=ScheduleStatus.PUBLISHED
    )
    v2 = ScheduleFactory.create(school=k.school, date=DATE, day_type=day_type, version=2)
    for schedule in (v1, v2):
        ScheduledBlockFactory.create(
            schedule=schedule, cohort=k.stanford, station=StationCode.LAB, start=T(8), end=T(8, 30)
        )
    ScheduledBlockFactory.create(
        schedule=v1,
        cohort=k.howard,
        station=StationCode.LITERACY,
        start=T(8),
        end=T(8, 40),
        room=room,
        staff=k.rivera,
    )
    ScheduledBlockFactory.create(
        schedule=v2,
        cohort=k.howard,
        station=StationCode.LITERACY,
        start=T(9),
        end=T(9, 40),
        room=room,
        staff=k.rivera,
    )
    return v1, v2


def test_a_successful_build_shows_the_cohorts_and_staff_whose_day_moves(world):
    _, v2 = two_versions(world)
    job = BuildJob.objects.create(
        school=world.k.school, date=DATE, state=BuildState.SUCCEEDED, schedule=v2
    )
    client = client_for(world.leader.user)

    for url in (
        world.url("build-status", job_id=job.pk),
        world.url("schedule-review", schedule_id=v2.pk),
    ):
        page = client.get(url).content.decode()
        html = page[page.index('<section class="changes"') :]
        html = html[: html.index("</section>")]

        assert "Compared with version 1 of Tuesday, September 1, 2026" in html
        assert "<strong>1 cohort</strong> and <strong>1 staff member</strong>" in html
        assert f'id="cohort-change-{world.k.howard.pk}"' in html
        assert f'id="staff-change-{world.k.rivera.pk}"' in html
        assert "K Stanford" not in html  # their day is the same
        assert "<td>8 a.m.-8:40 a.m.</td>" in html and "<td>9 a.m.-9:40 a.m.</td>" in html
        assert html.count('<span class="change-mark">new</span>') == 2  # Howard's and Rivera's


# --- review, publish, versions, restore ----------------------------------------------------------


def test_the_review_page_shows_the_drafts_facts_and_a_publish_button(world):
    draft = schedule_build(school=world.k.school, date=DATE, by=world.leader.user, options=FAST)
    schedule = draft.schedule

    html = (
        client_for(world.leader.user)
        .get(world.url("schedule-review", schedule_id=schedule.pk))
        .content.decode()
    )

    assert "Tuesday, September 1, 2026, version 1" in html
    assert "Draft" in html and "Lee Principal" in html
    # How the day was found, in the school's words: never the engine's status or objective.
    found = {
        "OPTIMAL": "The best day the rules allow",
        "FEASIBLE": "A day that keeps every rule; a better one may exist",
    }[schedule.solver_stats["status"]]
    assert f"{found}, found in " in html
    assert engine_words_in(html) == []
    assert f'action="{world.url("schedule-publish", schedule_id=schedule.pk)}"' in html
    assert ">Publish version 1</button>" in html


def test_publishing_a_draft_supersedes_the_published_version(world):
    schedule_build(school=world.k.school, date=DATE, publish=True, options=FAST)
    SchoolSchedulingSettings.objects.filter(school=world.k.school).update(transitions_weight=50)
    v2 = schedule_build(school=world.k.school, date=DATE, options=FAST).schedule
    client = client_for(world.leader.user)

    response = client.post(world.url("schedule-publish", schedule_id=v2.pk), follow=True)

    assert statuses(world.k.school) == [
        (1, ScheduleStatus.SUPERSEDED),
        (2, ScheduleStatus.PUBLISHED),
    ]
    assert response.redirect_chain == [(f"{world.url('schedule-versions')}?date=2026-09-01", 302)]
    assert "Version 2 of Tuesday, September 1, 2026 is published." in response.content.decode()


def test_a_draft_that_no_longer_fits_is_not_published_and_says_why(world):
    draft = schedule_build(school=world.k.school, date=DATE, options=FAST).schedule
    StaffAbsence.objects.create(school=world.k.school, staff=world.k.rivera, date=DATE)

    response = client_for(world.leader.user).post(
        world.url("schedule-publish", schedule_id=draft.pk)
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Version 1 no longer fits the configuration" in html
    assert "the published schedule is unchanged" in html
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_the_versions_page_lists_every_version_of_the_date(world):
    schedule_build(
        school=world.k.school, date=DATE, by=world.leader.user, publish=True, options=FAST
    )
    SchoolSchedulingSettings.objects.filter(school=world.k.school).update(transitions_weight=50)
    v2 = schedule_build(school=world.k.school, date=DATE, options=FAST).schedule
    other_date = ScheduleFactory.create(
        school=world.k.school, date=DATE + datetime.timedelta(days=7)
    )

    response = client_for(world.leader.user).get(
        world.url("schedule-versions"), {"date": "2026-09-01"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Versions of Tuesday, September 1, 2026" in html
    assert html.index(">Version 2</a>") < html.index(">Version 1</a>")
    assert "Published" in html and "Draft" in html
    assert "Lee Principal" in html and "Server command" in html
    assert f'action="{world.url("schedule-publish", schedule_id=v2.pk)}"' in html
    assert world.url("schedule-review", schedule_id=other_date.pk) not in html


def test_restoring_an_older_version_publishes_it_again(world):
    v1 = schedule_build(school=world.k.school, date=DATE, publish=True, options=FAST).schedule
    SchoolSchedulingSettings.objects.filter(school=world.k.school).update(transitions_weight=50)
    schedule_build(school=world.k.school, date=DATE, publish=True, options=FAST)
    client = client_for(world.leader.user)
    versions = client.get(world.url("schedule-versions"), {"date": "2026-09-01"})
    restore = world.url("schedule-restore", schedule_id=v1.pk)
    assert f'action="{restore}"' in versions.content.decode()

    response = client.post(restore, follow=True)

    assert statuses(world.k.school) == [
        (1, ScheduleStatus.PUBLISHED),
        (2, ScheduleStatus.SUPERSEDED),
    ]
    assert "Version 1 of Tuesday, September 1, 2026 is published again." in (
        response.content.decode()
    )


def test_a_version_that_no_longer_fits_is_not_restored(world):
    v1 = schedule_build(school=world.k.school, date=DATE, publish=True, options=FAST).schedule
    SchoolSchedulingSettings.objects.filter(school=world.k.school).update(transitions_weight=50)
    schedule_build(school=world.k.school, date=DATE, publish=True, options=FAST)
    StaffAbsence.objects.create(school=world.k.school, staff=world.k.rivera, date=DATE)

    response = client_for(world.leader.user).post(world.url("schedule-restore", schedule_id=v1.pk))

    assert response.status_code == 409
    assert "Version 1 no longer fits the configuration" in response.content.decode()
    assert statuses(world.k.school) == [
        (1, ScheduleStatus.SUPERSEDED),
        (2, ScheduleStatus.PUBLISHED),
    ]


# --- who may -------------------------------------------------------------------------------------


def test_a_teacher_of_the_school_is_refused_every_page_and_action(
    world, django_capture_on_commit_callbacks
):
    draft = schedule_build(school=world.k.school, date=DATE, options=FAST).schedule
    job = BuildJob.objects.create(school=world.k.school, date=DATE)
    client = client_for(world.teacher.user)

    with django_capture_on_commit_callbacks() as callbacks:
        refused = [
            client.get(world.url("build")).status_code,
            client.post(world.url("build"), {"date": DATE.isoformat()}).status_code,
            client.get(world.url("build-status", job_id=job.pk)).status_code,
            client.get(world.url("schedule-versions")).status_code,
            client.get(world.url("schedule-review", schedule_id=draft.pk)).status_code,
            client.post(world.url("schedule-publish", schedule_id=draft.pk)).status_code,
            client.post(world.url("schedule-restore", schedule_id=draft.pk)).status_code,
        ]

    assert refused == [403] * 7
    assert callbacks == []
    assert BuildJob.objects.count() == 1
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]


def test_another_schools_leader_gets_404_on_every_page_and_id(world, school_b):
    draft = schedule_build(school=world.k.school, date=DATE, options=FAST).schedule
    job = BuildJob.objects.create(school=world.k.school, date=DATE)
    their_job = BuildJob.objects.create(school=school_b.school, date=DATE)
    client = client_for(school_b.leader.user)
    theirs = {"school_id": school_b.school.pk}

    answers = [
        client.get(world.url("build")).status_code,
        client.post(world.url("build"), {"date": DATE.isoformat()}).status_code,
        client.get(world.url("build-status", job_id=job.pk)).status_code,
        client.get(world.url("schedule-versions")).status_code,
        client.get(world.url("schedule-review", schedule_id=draft.pk)).status_code,
        client.post(world.url("schedule-publish", schedule_id=draft.pk)).status_code,
        client.post(world.url("schedule-restore", schedule_id=draft.pk)).status_code,
        # their own school in the URL, this school's ids after it
        client.get(reverse("build-status", kwargs={**theirs, "job_id": job.pk})).status_code,
        client.get(
            reverse("schedule-review", kwargs={**theirs, "schedule_id": draft.pk})
        ).status_code,
        client.post(
            reverse("schedule-publish", kwargs={**theirs, "schedule_id": draft.pk})
        ).status_code,
        client.post(
            reverse("schedule-restore", kwargs={**theirs, "schedule_id": draft.pk})
        ).status_code,
    ]

    assert answers == [404] * 11
    assert (
        client.get(reverse("build-status", kwargs={**theirs, "job_id": their_job.pk})).status_code
        == 200
    )
    assert BuildJob.objects.filter(school=world.k.school).count() == 1
    assert statuses(world.k.school) == [(1, ScheduleStatus.DRAFT)]
