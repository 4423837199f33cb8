"""School A of the API suites: the kindergarten day of ``tests/scheduling/test_selectors`` built
and published by the engine, plus what every endpoint needs to answer 2xx (a leader, an IEP
student with a service need, a build job, a Learning Lab program, calendar feeds, the nightly
run that published the day) and API clients of its own."""

import datetime
import itertools
from dataclasses import dataclass

from django.core.files.base import ContentFile

from learninglabs.models import Program, ProgramKind, Subject
from scheduling.models import BuildJob, NightlyRun, RunState, Schedule
from scheduling.services.builds import schedule_build
from scheduling.services.feeds import calendar_feed_create
from students.clients import api_client_create, api_token_issue
from students.models import (
    Cohort,
    Grade,
    Role,
    RosterImport,
    RosterImportState,
    School,
    ServiceNeed,
    Staff,
    Student,
)

from ..factories import NetworkAdminFactory, ServiceNeedFactory, StaffFactory, UserFactory
from ..scheduling.test_selectors import DATE, kindergarten
from ..solver_limits import work_limited
from ..students.oneroster_files import small_school

PROGRAM_CODE = "st-math"
CLIENT_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class World:
    school: School
    date: datetime.date
    schedule: Schedule
    grade: Grade
    cohort: Cohort
    student: Student
    need: ServiceNeed
    teacher: Staff  # Ms. Rivera: teaches literacy to both cohorts
    leader: Staff
    job: BuildJob
    program: Program
    staff_feed_token: str
    cohort_feed_token: str
    run: NightlyRun
    roster_import: RosterImport  # a reviewed dry run of the school's network, with its file


def published_world() -> World:
    k = kindergarten()
    result = schedule_build(
        school=k.school,
        date=DATE,
        publish=True,
        options=work_limited(workers=1, seed=3),
    )
    assert result.ok, result.reasons
    assert result.schedule is not None and result.schedule.published_at is not None
    # Added after the build, so the solved day is the kindergarten one of test_selectors.
    leader = StaffFactory.create(school=k.school, roles=[Role.LEADER])
    need = ServiceNeedFactory.create(
        student__school=k.school, student__cohort=k.stanford, student__grade=k.stanford.grade
    )
    job = BuildJob.objects.create(school=k.school, date=DATE, requested_by=leader.user)
    program = Program.objects.create(
        school=k.school,
        name="ST Math",
        code=PROGRAM_CODE,
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
        vendor="MIND",
    )
    _, staff_feed = calendar_feed_create(by=leader.user, staff=k.rivera)
    _, cohort_feed = calendar_feed_create(by=leader.user, cohort=k.stanford)
    published = result.schedule.published_at
    run = NightlyRun.objects.create(
        school=k.school,
        night=DATE,
        date=DATE,
        state=RunState.PUBLISHED,
        attempts=1,
        queued_at=published,
        started_at=published,
        finished_at=published,
        schedule=result.schedule,
    )
    roster_import = reviewed_roster_import(k.school)
    first_student = k.stanford.students.order_by("pk").first()
    assert first_student is not None
    return World(
        school=k.school,
        date=DATE,
        schedule=result.schedule,
        grade=k.stanford.grade,
        cohort=k.stanford,
        student=first_student,
        need=need,
        teacher=k.rivera,
        leader=leader,
        job=job,
        program=program,
        staff_feed_token=staff_feed.partition("?token=")[2],
        cohort_feed_token=cohort_feed.partition("?token=")[2],
        run=run,
        roster_import=roster_import,
    )


def roster_export() -> bytes:
    return small_school("1.1").zip_bytes()


def reviewed_roster_import(school: School) -> RosterImport:
    """A dry run that finished without errors (as ``roster_import_run`` leaves one), so apply
    has a file to import. Its file goes under ``VAR_DIR`` (``tests/api/conftest`` moves it)."""
    record = RosterImport.objects.create(
        network=school.network,
        file_name="roster.zip",
        dry_run=True,
        state=RosterImportState.REVIEWED,
        version="1.1",
        counts={"student": {"create": 1}},
        changes=[
            {
                "kind": "student",
                "action": "create",
                "sourced_id": "st01",
                "label": "Student One",
                "fields": [],
            }
        ],
        warnings=[{"file": "users.csv", "row": 3, "column": None, "reason": "A note."}],
        message="Dry run: nothing was changed. Review the changes, then apply them.",
    )
    record.file.save("roster.zip", ContentFile(roster_export()), save=True)
    return record


def network_admin_of(school: School):
    return NetworkAdminFactory.create(network=school.network, user=UserFactory.create()).user


def token_for(school: School, *, can_write: bool = False, by=None) -> str:
    client = api_client_create(
        network=school.network,
        name=f"Client {next(CLIENT_NUMBERS)}",
        schools=[school],
        can_write=can_write,
        by=by,
    )
    return api_token_issue(client=client)[1]
