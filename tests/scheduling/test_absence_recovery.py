"""Absences never end in "no schedule" while the school can run: the build's recovery options,
the substitute pool, and every later check of a recovered day applying its recovery again.

The school is ``test_selectors``' kindergarten: Ms. Rivera is its only humanities teacher and
teaches literacy to both cohorts in Room 103; Mr. Okafor supervises the lab.
"""

import datetime

import pytest

from scheduling.models import (
    BuildJob,
    NightlyRun,
    RunState,
    Schedule,
    ScheduleStatus,
    StaffAbsence,
    SubstituteDay,
)
from scheduling.selectors.problem import problem_for
from scheduling.selectors.recovery import absent_staff, substitutes_for
from scheduling.services import day_builds, nightly
from scheduling.services.builds import (
    build_job_run,
    schedule_build,
    schedule_publish,
    schedule_violations,
)
from scheduling.services.day_builds import stored_blocks
from scheduling.solver.recovery import apply_recovery, recovery_from_json
from scheduling.solver.validate import validate
from students.models import Role, Staff

from ..factories import SchoolFactory, StaffFactory, UserFactory
from ..solver_limits import work_limited
from .factories import CalendarDayFactory
from .test_selectors import DATE, kindergarten
from .test_services import build_and_publish

pytestmark = pytest.mark.django_db
FAST = work_limited(workers=1, seed=3)
T = datetime.time


def rivera_out(k):
    return StaffAbsence.objects.create(school=k.school, staff=k.rivera, date=DATE, reason="sick")


def substitute(school, *, first="Ana", last="Ruiz", dates=(DATE,)):
    staff = StaffFactory(
        school=school,
        roles=[Role.SUBSTITUTE],
        user=UserFactory(first_name=first, last_name=last),
        work_start=T(7, 30),
        work_end=T(15, 0),
    )
    for date in dates:
        SubstituteDay.objects.create(school=school, staff=staff, date=date)
    return staff


def test_the_only_teacher_out_with_no_substitute_gives_a_recovered_draft_that_publishes():
    k = kindergarten()
    rivera_out(k)

    result = schedule_build(school=k.school, date=DATE, options=FAST)

    schedule = result.schedule
    assert schedule is not None and schedule.status == ScheduleStatus.DRAFT
    record = schedule.recovery
    assert record["rank"] == 1 and record["kind"] in {"cover", "convert", "combine"}
    assert record["why"] and all(isinstance(m, str) for m in record["why"])
    assert result.recovery_options and result.recovery_options[0]["rank"] == 1
    assert not any(b.staff_id == k.rivera.pk for b in schedule.blocks.all())
    # As configured the stored day breaks H4 (nobody teaches literacy); with its recovery
    # applied again it holds, and that is what publishing checks.
    problem = problem_for(school=k.school, date=DATE)
    recovered = apply_recovery(problem, recovery_from_json(record["recovery"]))
    assert validate(recovered, stored_blocks(schedule)) == ()
    assert schedule_violations(schedule) == ()
    assert (
        schedule.input_fingerprint
        == schedule_build(school=k.school, date=DATE, options=FAST).schedule.input_fingerprint
    )

    published = schedule_publish(schedule=schedule)

    assert published.status == ScheduleStatus.PUBLISHED


def test_a_substitute_available_that_date_takes_the_absent_teachers_blocks():
    k = kindergarten()
    rivera_out(k)
    ana = substitute(k.school)

    result = schedule_build(school=k.school, date=DATE, options=FAST)

    schedule = result.schedule
    assert schedule.recovery["kind"] == "substitute" and schedule.recovery["rank"] == 1
    assert "Ana Ruiz" in schedule.recovery["summary"]
    literacy = schedule.blocks.filter(station="literacy")
    assert literacy and {b.staff_id for b in literacy} == {ana.pk}
    assert {b.room_id for b in literacy} == {k.rooms["103"]}  # Ms. Rivera's room
    assert result.recovery_options[0]["kind"] == "substitute"
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED


def test_a_network_substitute_teaches_here_as_staff_of_this_school():
    k = kindergarten()
    rivera_out(k)
    elsewhere = SchoolFactory(network=k.school.network, name="Birch")
    ben = substitute(elsewhere, first="Ben", last="Osei")

    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    here = Staff.objects.get(school=k.school, user=ben.user)
    assert here.active and Role.SUBSTITUTE in here.role_codes
    assert schedule.recovery["kind"] == "substitute"
    assert {b.staff_id for b in schedule.blocks.filter(station="literacy")} == {here.pk}
    stored = recovery_from_json(schedule.recovery["recovery"])
    assert [m.id for m in stored.staff_added] == [here.pk]
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED


def test_the_pool_is_the_schools_substitutes_first_then_the_networks_available_that_date():
    k = kindergarten()
    sibling = SchoolFactory(network=k.school.network, name="Birch")
    other_network = SchoolFactory(name="Cedar")
    zoe = substitute(sibling, first="Zoe", last="Abbot")
    own = substitute(k.school, first="Yan", last="Zhu")
    substitute(k.school, first="Not", last="Today", dates=(DATE + datetime.timedelta(days=1),))
    substitute(other_network, first="Far", last="Away")
    no_role = StaffFactory(school=k.school, roles=[Role.HUMANITIES])
    SubstituteDay.objects.create(school=k.school, staff=no_role, date=DATE)
    out = substitute(sibling, first="Also", last="Out")
    StaffAbsence.objects.create(school=sibling, staff=out, date=DATE, reason="sick")

    pool = substitutes_for(school=k.school, date=DATE)

    assert [(m.id, m.name) for m in pool] == [(own.pk, "Yan Zhu"), (zoe.pk, "Zoe Abbot")]
    assert pool[0].roles == frozenset({Role.SUBSTITUTE}) and pool[0].prep_minutes == 0
    assert absent_staff(school=k.school, date=DATE) == ()
    rivera_out(k)
    assert absent_staff(school=k.school, date=DATE) == (k.rivera.pk,)


def test_nobody_out_means_no_recovery_and_the_day_as_configured():
    k = kindergarten()

    result = schedule_build(school=k.school, date=DATE, options=FAST)

    assert result.schedule.recovery is None and result.recovery_options == ()


def test_a_leaders_build_job_keeps_every_option_with_its_names_and_blocks():
    k = kindergarten()
    rivera_out(k)
    substitute(k.school)
    job = BuildJob.objects.create(school=k.school, date=DATE)

    job = build_job_run(job_id=job.pk, options=FAST)

    options = job.recovery_options
    assert [o["rank"] for o in options] == list(range(1, len(options) + 1))
    assert len(options) >= 2 and job.schedule.recovery["rank"] == 1
    disruptions = [o["disruption"] for o in options]
    assert disruptions == sorted(disruptions)
    for option in options:
        assert option["summary"] and option["blocks"] and option["recovery"]["kind"]
        for lost in option["minutes_lost"]:
            assert lost["cohort_name"] in {"K Stanford", "K Howard"}
            assert lost["station_name"] and lost["minutes"] > 0
        for cover in option["cover"]:
            assert cover["name"] and cover["minutes"] > 0


def test_build_schedules_takes_the_best_option_and_says_which_and_why():
    k = kindergarten()
    rivera_out(k)
    substitute(k.school)

    printed = build_and_publish(k.school, "--time-limit", "5", "--workers", "1")

    schedule = Schedule.objects.get(school=k.school, date=DATE)
    assert schedule.status == ScheduleStatus.PUBLISHED
    assert schedule.recovery["kind"] == "substitute" and schedule.recovery["rank"] == 1
    assert "absence recovery: option 1 of" in printed
    assert "Ana Ruiz (substitute)" in printed
    assert "because: " in printed


def test_the_nightly_publishes_the_best_option_and_records_it(monkeypatch):
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)
    k = kindergarten()
    rivera_out(k)
    run = NightlyRun.objects.create(school=k.school, night=DATE, date=DATE)

    run = nightly.nightly_rebuild(run_id=run.pk, options=FAST)

    assert run.state == RunState.PUBLISHED
    assert run.schedule.status == ScheduleStatus.PUBLISHED
    assert run.schedule.recovery["rank"] == 1 and run.schedule.recovery["why"]
    assert schedule_violations(run.schedule) == ()
    # The next night's inputs are the same: nothing new, the recovered day stays.
    again = nightly.nightly_rebuild(
        run_id=NightlyRun.objects.create(
            school=k.school, night=DATE, date=DATE, trigger="manual"
        ).pk,
        options=FAST,
    )
    assert again.state == RunState.UNCHANGED and again.schedule == run.schedule


def test_a_kept_recovered_day_is_checked_with_its_recovery_when_only_the_lab_changes():
    k = kindergarten()
    rivera_out(k)
    first = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    inputs = day_builds.day_inputs(school=k.school, date=DATE)
    solved = day_builds.day_solve(school=k.school, date=DATE, inputs=inputs, options=FAST)

    assert isinstance(solved, day_builds.SolvedDay)
    assert solved.kept_from == first and solved.recovery == first.recovery


def test_building_the_same_inputs_again_shows_the_same_options():
    k = kindergarten()
    rivera_out(k)
    first = build_job_run(
        job_id=BuildJob.objects.create(school=k.school, date=DATE).pk, options=FAST
    )

    again = build_job_run(
        job_id=BuildJob.objects.create(school=k.school, date=DATE).pk, options=FAST
    )

    assert again.unchanged and again.schedule == first.schedule
    assert again.recovery_options == first.recovery_options != []


def test_a_stored_recovery_that_does_not_read_is_refused_at_publish():
    k = kindergarten()
    rivera_out(k)
    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule
    refused = []
    for garbled in ({"recovery": {"kind": "magic"}}, {"kind": "cover"}, ["not", "an", "object"]):
        Schedule.objects.filter(pk=schedule.pk).update(recovery=garbled)
        schedule.refresh_from_db()
        refused.append(schedule_violations(schedule))

    assert refused == [("Its absence recovery can no longer be read: build the date again.",)] * 3


def test_a_day_carried_forward_from_a_recovered_day_keeps_its_recovery(monkeypatch):
    monkeypatch.setattr(nightly, "_queue", lambda run_id: None)
    monkeypatch.setattr(nightly, "_notify", lambda run_id: None)
    k = kindergarten()
    earlier = DATE - datetime.timedelta(days=7)
    day_type = k.school.calendar_days.get(date=DATE).day_type
    CalendarDayFactory(school=k.school, date=earlier, day_type=day_type)
    StaffAbsence.objects.create(school=k.school, staff=k.rivera, date=earlier, reason="sick")
    source = schedule_build(school=k.school, date=earlier, publish=True, options=FAST).schedule
    assert source.recovery
    for staff in k.school.staff.all():  # nobody at all on DATE: no day, no recovery
        StaffAbsence.objects.create(school=k.school, staff=staff, date=DATE, reason="sick")

    run = nightly.nightly_rebuild(
        run_id=NightlyRun.objects.create(school=k.school, night=DATE, date=DATE).pk, options=FAST
    )

    assert run.schedule.carried_forward_from == source
    assert run.schedule.recovery == source.recovery


def okafor_out(k):
    okafor = Staff.objects.get(school=k.school, user__last_name="Okafor")
    StaffAbsence.objects.create(school=k.school, staff=okafor, date=DATE, reason="sick")
    return okafor


def test_a_substitute_watches_the_lab_when_its_only_supervisor_is_out():
    k = kindergarten()
    okafor = okafor_out(k)
    ana = substitute(k.school)

    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    assert schedule.recovery["kind"] == "substitute"
    assert schedule.recovery["summary"] == "Ana Ruiz (substitute) takes the watch of Learning Lab"
    stored = recovery_from_json(schedule.recovery["recovery"])
    assert [staff for _lab, staff in stored.supervision_added] == [ana.pk]
    assert okafor.pk not in {b.staff_id for b in schedule.blocks.all()}
    assert schedule.blocks.filter(station="lab").exists()  # the lab runs as configured
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED


def test_a_network_substitute_watches_the_lab_as_staff_of_this_school():
    k = kindergarten()
    okafor_out(k)
    ben = substitute(
        SchoolFactory(network=k.school.network, name="Birch"), first="Ben", last="Osei"
    )

    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    here = Staff.objects.get(school=k.school, user=ben.user)
    stored = recovery_from_json(schedule.recovery["recovery"])
    assert [staff for _lab, staff in stored.supervision_added] == [here.pk]
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED


def test_with_nobody_to_watch_the_lab_its_time_becomes_flex_and_the_day_publishes():
    k = kindergarten()
    okafor_out(k)

    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    assert schedule.recovery["kind"] == "convert"
    assert not schedule.blocks.filter(station="lab").exists()
    assert {m["station"] for m in schedule.recovery["minutes_lost"]} == {"lab"}
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED


def test_a_teacher_and_the_labs_supervisor_out_with_one_substitute_still_publish_a_day():
    k = kindergarten()
    rivera_out(k)
    okafor = okafor_out(k)
    ana = substitute(k.school)

    schedule = schedule_build(school=k.school, date=DATE, options=FAST).schedule

    assert schedule.recovery["kind"] == "substitute"
    assert schedule.recovery["summary"].startswith("Ana Ruiz (substitute) takes ")
    assert "with Mr. Okafor out, shorter lab time and flex for" in schedule.recovery["summary"]
    taught = {b.staff_id for b in schedule.blocks.all()}
    assert ana.pk in taught and okafor.pk not in taught and k.rivera.pk not in taught
    assert not schedule.blocks.filter(station="lab").exists()  # nobody else watches the lab
    assert schedule_violations(schedule) == ()
    assert schedule_publish(schedule=schedule).status == ScheduleStatus.PUBLISHED
