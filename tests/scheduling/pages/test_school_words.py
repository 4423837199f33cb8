"""Every page a leader or a teacher opens speaks the school's words: never the engine's statuses
(FEASIBLE, OPTIMAL), its scores and objective, nor its constraint codes (S1, H3, W2).

The world is a small school day as a night leaves it: a published version (written by hand) with
its lab plan; two real builds, one that finds no day (Ms. Rivera has too few minutes for both
cohorts' literacy) and one of the next day, when she is out, that recovers by combining cohorts
into a draft with the engine's statistics and a lab plan short of service minutes; a build that
stopped at its time limit; nightly runs that published and that failed; Learning Lab goals with
students behind. Each page of every URL name the product routes (not
the API or the admin) is opened with the ids of that world and read as text, tooltips included.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from learninglabs.models import ProgramGoal
from scheduling.models import (
    BuildJob,
    BuildPhase,
    BuildState,
    Fallback,
    NightlyRun,
    RotationTemplate,
    RunState,
    Schedule,
    ScheduleStatus,
    StationCode,
)
from scheduling.services.builds import build_job_run
from scheduling.services.nightly_notifications import nightly_notify
from students.models import Role, Staff

from ...conftest import client_for
from ...factories import StaffFactory, UserFactory
from ...school_words import engine_words_in, readable_text
from ...solver_limits import work_limited
from ..factories import (
    CalendarDayFactory,
    StaffAbsenceFactory,
    StaffingAssignmentFactory,
    TeachingRoomFactory,
)
from .planned_day import DATE, PlannedDay, planned_day

pytestmark = pytest.mark.django_db

ABSENT_DAY = DATE + datetime.timedelta(days=1)
# Not pages: the API, the admin, sign-in machinery, and answers that are files or redirects.
NOT_PAGES = ("api", "admin", "accounts", "healthz", "static", "media")


@dataclass
class World:
    p: PlannedDay
    leader: Staff
    draft: Schedule | None
    jobs: list[BuildJob]


def _stats_of_a_real_build(schedule: Schedule) -> None:
    """The published version carries the statistics a build stores (it was written by hand)."""
    schedule.solver_stats = {
        "status": "OPTIMAL",
        "objective": 12.0,
        "bound": 12.0,
        "gap": 0.0,
        "wall_seconds": 0.42,
    }
    schedule.save(update_fields=["solver_stats"])


def _nights(p: PlannedDay, draft: Schedule | None) -> None:
    school = p.d.school
    night = DATE - datetime.timedelta(days=1)
    at = timezone.make_aware(datetime.datetime.combine(night, datetime.time(2, 0)))
    common = {"school": school, "started_at": at, "finished_at": at, "queued_at": at}
    NightlyRun.objects.create(
        night=night, date=DATE, state=RunState.PUBLISHED, schedule=p.d.schedule, **common
    )
    NightlyRun.objects.create(
        night=DATE,
        date=ABSENT_DAY,
        state=RunState.FAILED,
        fallback=Fallback.CARRIED_FORWARD if draft else Fallback.KEPT,
        schedule=draft,
        reasons=[
            {
                "code": "violates-s1",
                "message": "Nobody present can teach literacy to K Adams.",
                "suggestion": "Assign a humanities teacher (or a substitute) to K Adams.",
                "setting": f"cohort:{p.d.adams.pk}",
            }
        ],
        **common,
    )


@pytest.fixture
def world() -> World:
    p = planned_day()
    school = p.d.school
    leader = StaffFactory.create(
        school=school,
        roles=[Role.LEADER],
        user=UserFactory.create(first_name="Lee", last_name="Lead"),
    )
    _stats_of_a_real_build(p.d.schedule)
    # Who teaches what, so the engine can build the day (the day itself was written by hand).
    TeachingRoomFactory.create(school=school, staff=p.d.rivera, room=p.d.room_103)
    p.d.lab.grades.set([p.d.adams.grade])
    for cohort in (p.d.adams, p.d.baker):
        StaffingAssignmentFactory.create(
            school=school, cohort=cohort, station=StationCode.LITERACY, staff=[p.d.rivera]
        )
    for student in (p.d.iep_student, p.d.el_student):
        ProgramGoal.objects.get_or_create(
            school=school, program=p.lexia, grade=student.grade.level, weekly_minutes=80
        )

    # A real build of the published date: Ms. Rivera lacks the minutes, so no day and why.
    built = BuildJob.objects.create(school=school, date=DATE, requested_by=leader.user)
    build_job_run(job_id=built.pk, options=work_limited(workers=1, seed=3))
    # A real build of the next day, Ms. Rivera out: absence recovery options and a draft.
    day_type = p.d.schedule.day_type
    CalendarDayFactory.create(school=school, date=ABSENT_DAY, day_type=day_type)
    StaffAbsenceFactory.create(school=school, staff=p.d.rivera, date=ABSENT_DAY)
    absent = BuildJob.objects.create(school=school, date=ABSENT_DAY, requested_by=leader.user)
    build_job_run(job_id=absent.pk, options=work_limited(workers=1, seed=3))
    timed_out = BuildJob.objects.create(
        school=school,
        date=DATE,
        requested_by=leader.user,
        state=BuildState.INFEASIBLE,
        phase=BuildPhase.SOLVING,
        finished_at=timezone.now(),
        reasons=[
            {
                "code": "time-limit",
                "message": "CP-SAT returned UNKNOWN after 20 s",
                "suggestion": "",
                "setting": "school",
                "detail": [["seconds", 20]],
            }
        ],
    )
    jobs = [BuildJob.objects.get(pk=built.pk), BuildJob.objects.get(pk=absent.pk), timed_out]
    draft = Schedule.objects.filter(school=school, status=ScheduleStatus.DRAFT).first()
    _nights(p, draft)
    return World(p, leader, draft, jobs)


def _routes() -> list[tuple[str, list[str]]]:
    """(name, argument names) of every named page the product routes."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield route, pattern

    found = {}
    for route, pattern in walk(get_resolver().url_patterns):
        if route.lstrip("^").startswith(NOT_PAGES):
            continue
        found[pattern.name] = list(pattern.pattern.regex.groupindex)
    return sorted(found.items())


def _argument_values(world: World) -> dict[str, list[object]]:
    p, school = world.p, world.p.d.school
    schedules: list[object] = [p.d.schedule.pk]
    if world.draft:
        schedules.append(world.draft.pk)
    return {
        "school_id": [school.pk],
        "network_id": [school.network_id],
        "job_id": [job.pk for job in world.jobs],
        "schedule_id": schedules,
        "room_id": [p.d.lab.pk, p.room_12.pk],
        "zone_id": [p.zone_1.pk],
        "staff_id": [p.d.rivera.pk, p.petrov.pk],
        "cohort_id": [p.d.adams.pk],
        "student_id": [p.d.iep_student.pk],
        "day_type_id": [p.d.schedule.day_type_id],
        "template_id": list(
            RotationTemplate.objects.filter(school=school).values_list("pk", flat=True)
        ),
        "day": [DATE.isoformat()],
        "start": ["0840"],
    }


def _pages(world: World) -> list[tuple[str, str]]:
    values = _argument_values(world)
    pages = []
    for name, arguments in _routes():
        if any(argument not in values for argument in arguments):
            continue  # e.g. an import or an API client this world has none of
        for combination in itertools.product(*(values[a] for a in arguments)):
            url = reverse(name, kwargs=dict(zip(arguments, combination, strict=True)))
            query = f"school={world.p.d.school.pk}&date={DATE.isoformat()}"
            pages.append((name, f"{url}?{query}"))
    return pages


def _read_every_page(world: World, user) -> tuple[set[str], list[str]]:
    client = client_for(user)
    opened, problems = set(), []
    for name, url in _pages(world):
        response = client.get(url)
        if response.status_code != 200:
            continue  # not this reader's page, or a POST-only action
        opened.add(name)
        body = response.content.decode()
        problems += [f"{name} {url}: {found}" for found in engine_words_in(body)]
    return opened, problems


def test_the_world_holds_what_the_pages_explain(world):
    no_day, recovered, timed_out = world.jobs
    assert no_day.state == BuildState.INFEASIBLE and no_day.reasons
    assert recovered.state == BuildState.SUCCEEDED and recovered.recovery_options
    assert recovered.schedule == world.draft
    assert world.draft.solver_stats["status"] in ("OPTIMAL", "FEASIBLE")
    assert timed_out.timed_out


def test_a_leader_reads_no_engine_word_on_any_page(world):
    opened, problems = _read_every_page(world, world.leader.user)

    assert not problems, "\n".join(problems)
    assert {
        "school-detail",
        "build",
        "build-status",
        "schedule-versions",
        "schedule-review",
        "schedule-day",
        "schedule-detail",
        "nightly-runs",
        "lab-view",
        "lab-block-plan",
        "progress-school",
        "progress-cohort",
        "progress-student",
        "templates",
        "template-edit",
        "day-export-cohorts",
        "day-export-staff",
    } <= opened


def test_a_teacher_reads_no_engine_word_on_any_page(world):
    opened, problems = _read_every_page(world, world.p.d.rivera.user)

    assert not problems, "\n".join(problems)
    assert {"my-day", "my-week", "lab-block-plan"} <= opened


def test_the_nightly_emails_speak_the_schools_words(world, mailoutbox):
    for run in NightlyRun.objects.filter(school=world.p.d.school):
        nightly_notify(run_id=run.pk)

    assert mailoutbox, "the leader is told of each night"
    for message in mailoutbox:
        assert engine_words_in(f"{message.subject}\n{message.body}") == [], message.subject


def test_cohort_progress_puts_the_neediest_first_without_showing_a_need_score(world):
    url = reverse("progress-cohort", args=[world.p.d.adams.pk])

    html = client_for(world.leader.user).get(url).content.decode()

    assert world.p.d.iep_student.last_name in html
    assert '<th scope="col">Need</th>' not in html
    assert "1.00" not in readable_text(html)
