"""Both checkers of stage-2 plans accept a hand-built valid day and reject it broken rule by rule.

``validate_plan`` (scheduling/solver/validate_stage2.py) reasons about intervals; the oracle
(tests/scheduling/stage2_oracle.py) counts minute by minute. Every case asks both and requires
them to agree. No solver: the plans are written here, so a solver bug cannot hide in them.

The school: cohort 1 (grade 2: 101-103) has lab 8:00-9:40; cohort 2 (grade 3: 201-203) has lab
8:00-9:00 and a flexible block 10:00-10:30. Lab 10 has two computers zones (A, B: 3 seats each)
and a small-group table; there is a resource room and an empty classroom. Provider 7 teaches ELD
(103 and 203 are due 30 minutes in 30-minute sessions); tutor 50 tutors math 8:00-9:00.
"""

from __future__ import annotations

from dataclasses import replace

from scheduling.solver.plans import (
    ActivityKind,
    BlockKind,
    LabBlock,
    LabPlan,
    LabProgram,
    Place,
    PlaceKind,
    PlanGroup,
    PlanProblem,
    PlanSegment,
    Provider,
    ServiceDue,
    Shortfall,
    StudentDay,
    Tutor,
)
from scheduling.solver.problem import Window
from scheduling.solver.validate_stage2 import validate_plan
from tests.scheduling.stage2_oracle import broken_rules


def t(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


SCHOOL_DAY = (Window(t("8:00"), t("15:00")),)
LAB, HOMEROOM = 10, 20
ZONE_A, ZONE_B, TABLE, RESOURCE_ROOM, CLASSROOM = 1, 2, 3, 4, 5
MATH = LabProgram(1, "math", min_minutes=25)
READING = LabProgram(2, "literacy", min_minutes=25)
ELD_103, ELD_203 = 1, 2
PROVIDER, TUTOR = 7, 50

LAB_1 = LabBlock(1, BlockKind.LAB, t("8:00"), t("9:40"), LAB)
LAB_2 = LabBlock(2, BlockKind.LAB, t("8:00"), t("9:00"), LAB)
FLEX_2 = LabBlock(2, BlockKind.FLEX, t("10:00"), t("10:30"), HOMEROOM)

PROBLEM = PlanProblem(
    school=1,
    date="2026-12-07",
    blocks=(LAB_1, LAB_2, FLEX_2),
    students=(
        *(StudentDay(s, 1, 2) for s in (101, 102, 103)),
        *(StudentDay(s, 2, 3) for s in (201, 202, 203)),
    ),
    programs=(MATH, READING),
    services=(
        ServiceDue(ELD_103, 103, "eld", 30, 3, session_minutes=30),
        ServiceDue(ELD_203, 203, "eld", 30, 3, session_minutes=30),
    ),
    providers=(
        Provider(PROVIDER, frozenset({"eld"}), (Window(t("8:00"), t("11:00")),), max_students=4),
    ),
    tutors=(
        Tutor(
            TUTOR, (Window(t("8:00"), t("9:00")),), max_group_size=2, subjects=frozenset({"math"})
        ),
    ),
    places=(
        Place(ZONE_A, PlaceKind.LAB_ZONE, 3, SCHOOL_DAY, lab=LAB, computers=True),
        Place(ZONE_B, PlaceKind.LAB_ZONE, 3, SCHOOL_DAY, lab=LAB, computers=True),
        Place(TABLE, PlaceKind.LAB_ZONE, 4, SCHOOL_DAY, lab=LAB),
        Place(RESOURCE_ROOM, PlaceKind.RESOURCE_ROOM, 5, SCHOOL_DAY),
        Place(CLASSROOM, PlaceKind.CLASSROOM, 25, SCHOOL_DAY),
    ),
    grid_minutes=5,
    tutoring_minutes=30,
    tutoring_session_minutes=20,
    max_changes=2,
    passing_minutes=5,
)


def tutoring_group(
    id_: int, start: str, end: str, *members: int, place: int | None = TABLE
) -> PlanGroup:
    return PlanGroup(
        id_,
        ActivityKind.TUTORING,
        t(start),
        t(end),
        members,
        tutor=TUTOR,
        subject="math",
        place=place,
    )


def eld_group(
    id_: int, start: str, end: str, *members: int, place: int | None = RESOURCE_ROOM
) -> PlanGroup:
    return PlanGroup(
        id_,
        ActivityKind.SERVICE,
        t(start),
        t(end),
        members,
        provider=PROVIDER,
        service_kind="eld",
        place=place,
    )


def program(student: int, start: str, end: str, what: LabProgram, zone: int | None) -> PlanSegment:
    return PlanSegment(
        student,
        t(start),
        t(end),
        ActivityKind.PROGRAM,
        program=what.id,
        subject=what.subject,
        place=zone,
    )


def tutored(student: int, group: PlanGroup) -> PlanSegment:
    return PlanSegment(
        student,
        group.start,
        group.end,
        ActivityKind.TUTORING,
        tutor=group.tutor,
        subject=group.subject,
        group=group.id,
        place=group.place,
    )


def served(student: int, service: int, group: PlanGroup) -> PlanSegment:
    return PlanSegment(
        student,
        group.start,
        group.end,
        ActivityKind.SERVICE,
        provider=group.provider,
        service=service,
        group=group.id,
        place=group.place,
    )


TUTOR_102 = tutoring_group(11, "8:00", "8:30", 102)
ELD_GROUP_103 = eld_group(12, "8:00", "8:30", 103)
TUTOR_202 = tutoring_group(13, "8:30", "9:00", 202)
ELD_GROUP_203 = eld_group(14, "10:00", "10:30", 203)

# Zone A holds 101, 203 and then 103 (3 at most); zone B 201, 202 and then 102 (2 at most).
SESSIONS = {
    101: (
        program(101, "8:00", "8:50", MATH, ZONE_A),
        program(101, "8:50", "9:40", READING, ZONE_A),
    ),
    102: (tutored(102, TUTOR_102), program(102, "8:30", "9:40", MATH, ZONE_B)),
    103: (served(103, ELD_103, ELD_GROUP_103), program(103, "8:30", "9:40", READING, ZONE_A)),
    201: (program(201, "8:00", "9:00", MATH, ZONE_B), program(201, "10:00", "10:30", MATH, None)),
    202: (
        program(202, "8:00", "8:30", READING, ZONE_B),
        tutored(202, TUTOR_202),
        program(202, "10:00", "10:30", READING, None),
    ),
    203: (
        program(203, "8:00", "8:30", MATH, ZONE_A),
        program(203, "8:30", "9:00", READING, ZONE_A),
        served(203, ELD_203, ELD_GROUP_203),
    ),
}

PLAN = LabPlan(
    segments=tuple(seg for sessions in SESSIONS.values() for seg in sessions),
    groups=(TUTOR_102, ELD_GROUP_103, TUTOR_202, ELD_GROUP_203),
)


def rejected(problem: PlanProblem, plan: LabPlan) -> set[str]:
    """The rules ``plan`` breaks; the validator and the oracle must name the same ones."""
    by_validator = {v.rule for v in validate_plan(problem, plan)}
    by_oracle = broken_rules(problem, plan)
    assert by_validator == by_oracle, f"validator {by_validator}, oracle {by_oracle}"
    return by_validator


def messages(problem: PlanProblem, plan: LabPlan) -> str:
    return "\n".join(v.message for v in validate_plan(problem, plan))


def with_sessions(plan: LabPlan, student: int, *sessions: PlanSegment) -> LabPlan:
    """``plan`` with ``student``'s sessions replaced by ``sessions``."""
    others = tuple(s for s in plan.segments if s.student != student)
    return replace(plan, segments=(*others, *sessions))


def with_group(plan: LabPlan, group: PlanGroup) -> LabPlan:
    """``plan`` with the group of ``group.id`` replaced, its members' sessions following it."""
    segments = tuple(
        replace(s, start=group.start, end=group.end, place=group.place)
        if s.group == group.id
        else s
        for s in plan.segments
    )
    groups = tuple(group if g.id == group.id else g for g in plan.groups)
    return replace(plan, segments=segments, groups=groups)


def without_group(plan: LabPlan, group_id: int) -> LabPlan:
    return replace(plan, groups=tuple(g for g in plan.groups if g.id != group_id))


# --- the valid day -----------------------------------------------------------------------------


def test_the_hand_built_day_is_valid_for_both_checkers():
    assert validate_plan(PROBLEM, PLAN) == ()
    assert broken_rules(PROBLEM, PLAN) == set()


def test_a_block_shorter_than_every_minimum_is_one_whole_session():
    # A 20-minute flexible block: program time and ELD fill it whole, shorter than their 25/30.
    short_flex = replace(FLEX_2, end=t("10:20"))
    problem = replace(PROBLEM, blocks=(LAB_1, LAB_2, short_flex))
    eld = replace(ELD_GROUP_203, end=t("10:20"))
    plan = with_group(PLAN, eld)
    plan = with_sessions(plan, 201, SESSIONS[201][0], program(201, "10:00", "10:20", MATH, None))
    plan = with_sessions(
        plan, 202, *SESSIONS[202][:2], program(202, "10:00", "10:20", READING, None)
    )
    plan = replace(plan, shortfalls=(Shortfall(203, ELD_203, "eld", (PROVIDER,), 30, 20),))

    assert rejected(problem, plan) == set()


# --- session length and changes ----------------------------------------------------------------


def test_a_program_session_shorter_than_the_programs_minimum_is_rejected():
    plan = with_sessions(
        PLAN,
        101,
        program(101, "8:00", "8:20", MATH, ZONE_A),
        program(101, "8:20", "9:40", READING, ZONE_A),
    )

    assert rejected(PROBLEM, plan) == {"session-length"}
    assert "student 101 has 20 minutes of program 1 at 8:00; a session lasts at least 25" in (
        messages(PROBLEM, plan)
    )


def test_a_service_session_shorter_than_the_need_says_is_rejected_even_when_reported_short():
    plan = with_group(PLAN, replace(ELD_GROUP_103, end=t("8:20")))
    plan = with_sessions(
        plan,
        103,
        served(103, ELD_103, replace(ELD_GROUP_103, end=t("8:20"))),
        program(103, "8:20", "9:40", READING, ZONE_A),
    )
    plan = replace(plan, shortfalls=(Shortfall(103, ELD_103, "eld", (PROVIDER,), 30, 20),))

    assert rejected(PROBLEM, plan) == {"session-length"}
    assert "20 minutes of eld service 1 at 8:00" in messages(PROBLEM, plan)


def test_a_tutoring_session_shorter_than_the_shortest_is_rejected():
    short = replace(TUTOR_102, end=t("8:15"))
    plan = with_sessions(
        with_group(PLAN, short),
        102,
        tutored(102, short),
        program(102, "8:15", "9:40", MATH, ZONE_B),
    )

    assert rejected(PROBLEM, plan) == {"session-length"}
    assert "15 minutes of tutoring at 8:00; a session lasts at least 20" in messages(PROBLEM, plan)


def test_switching_activity_three_times_in_a_block_is_too_many():
    plan = with_sessions(
        PLAN,
        101,
        program(101, "8:00", "8:25", MATH, ZONE_A),
        program(101, "8:25", "8:50", READING, ZONE_A),
        program(101, "8:50", "9:15", MATH, ZONE_A),
        program(101, "9:15", "9:40", READING, ZONE_A),
    )

    assert rejected(PROBLEM, plan) == {"changes"}
    assert "student 101 changes activity 3 times in the lab block 8:00-9:40; at most 2" in (
        messages(PROBLEM, plan)
    )


# --- groups ------------------------------------------------------------------------------------

# 202 (grade 3) joins 102 (grade 2) at the tutor's table 8:00-8:30 instead of tutoring at 8:30.
MIXED = with_sessions(
    with_group(without_group(PLAN, TUTOR_202.id), replace(TUTOR_102, members=(102, 202))),
    202,
    tutored(202, replace(TUTOR_102, members=(102, 202))),
    program(202, "8:30", "9:00", READING, ZONE_B),
    SESSIONS[202][2],
)


def test_a_group_of_two_grades_is_rejected_unless_adjacent_grades_may_mix():
    assert rejected(PROBLEM, MIXED) == {"group-grade"}
    assert "group 11 at 8:00 mixes grades 2, 3; one grade per group" in messages(PROBLEM, MIXED)

    assert rejected(replace(PROBLEM, adjacent_grades=True), MIXED) == set()


def test_grades_two_apart_never_share_a_group():
    fourth_graders = tuple(replace(s, grade=4) if s.cohort == 2 else s for s in PROBLEM.students)
    problem = replace(PROBLEM, adjacent_grades=True, students=fourth_graders)

    assert rejected(problem, MIXED) == {"group-grade"}
    assert "mixes grades 2, 4; two adjacent grades at most" in messages(problem, MIXED)


def test_a_group_larger_than_the_tutor_takes_is_rejected():
    problem = replace(
        PROBLEM, adjacent_grades=True, tutors=(replace(PROBLEM.tutors[0], max_group_size=1),)
    )

    assert rejected(problem, MIXED) == {"group-size"}
    assert "group 11 at 8:00 has 2 students; at most 1 allowed" in messages(problem, MIXED)


def test_a_group_and_its_members_must_agree():
    phantom = replace(
        PLAN,
        groups=tuple(
            replace(g, members=(103, 101)) if g == ELD_GROUP_103 else g for g in PLAN.groups
        ),
    )
    no_group = replace(
        PLAN,
        segments=tuple(replace(s, group=None) if s.group == 12 else s for s in PLAN.segments),
    )
    elsewhere = replace(
        PLAN,
        segments=tuple(replace(s, place=TABLE) if s.group == 12 else s for s in PLAN.segments),
    )

    for broken in (phantom, no_group, elsewhere):
        assert rejected(PROBLEM, broken) == {"group"}
    assert "group 12 lists student 101, who is not in it 8:00-8:30" in messages(PROBLEM, phantom)


# --- places ------------------------------------------------------------------------------------


def test_two_groups_in_one_place_at_once_are_rejected():
    plan = with_group(PLAN, replace(ELD_GROUP_103, place=TABLE))

    assert rejected(PROBLEM, plan) == {"place"}
    assert "groups 11 and 12 both meet in place 3 at 8:00" in messages(PROBLEM, plan)


def test_a_zone_over_its_seats_is_rejected():
    plan = with_sessions(
        PLAN,
        201,
        program(201, "8:00", "9:00", MATH, ZONE_A),
        SESSIONS[201][1],
    )

    assert rejected(PROBLEM, plan) == {"place"}
    assert "place 1 (lab_zone) holds 4 students at 8:30; capacity 3" in messages(PROBLEM, plan)


def test_a_group_that_meets_nowhere_is_rejected():
    plan = with_group(PLAN, replace(ELD_GROUP_103, place=None))

    assert rejected(PROBLEM, plan) == {"place"}
    assert "group 12 at 8:00 names no place" in messages(PROBLEM, plan)


def test_a_group_may_not_take_over_a_computers_zone():
    plan = with_group(PLAN, replace(ELD_GROUP_203, place=ZONE_A))

    assert rejected(PROBLEM, plan) == {"place"}
    assert "group 14 at 10:00 meets in place 1, a computers zone kept for program time" in (
        messages(PROBLEM, plan)
    )


def test_a_group_in_a_place_that_is_not_free_is_rejected():
    closed = replace(PROBLEM.places[3], available=(Window(t("9:00"), t("15:00")),))
    problem = replace(PROBLEM, places=(*PROBLEM.places[:3], closed, PROBLEM.places[4]))

    assert rejected(problem, PLAN) == {"place"}
    assert "group 12 at 8:00 meets in place 4, which is not free 8:00-8:30" in messages(
        problem, PLAN
    )


def test_program_time_sits_only_at_the_computers_of_its_own_lab():
    at_the_table = with_sessions(
        PLAN, 101, program(101, "8:00", "8:50", MATH, TABLE), SESSIONS[101][1]
    )
    nowhere = with_sessions(PLAN, 101, program(101, "8:00", "8:50", MATH, None), SESSIONS[101][1])
    flex_in_a_zone = with_sessions(
        PLAN, 201, SESSIONS[201][0], program(201, "10:00", "10:30", MATH, ZONE_A)
    )

    for broken in (at_the_table, nowhere, flex_in_a_zone):
        assert rejected(PROBLEM, broken) == {"place"}
    assert "student 101's program time at 8:00 sits in place 3, not a computers zone of lab 10" in (
        messages(PROBLEM, at_the_table)
    )
    assert "not the flexible block's own room" in messages(PROBLEM, flex_in_a_zone)


def test_a_lab_without_zones_seats_program_time_in_no_place():
    no_places = replace(PROBLEM, places=())
    unplaced = LabPlan(
        segments=tuple(replace(s, place=None) for s in PLAN.segments),
        groups=tuple(replace(g, place=None) for g in PLAN.groups),
    )

    assert rejected(no_places, unplaced) == set()
    assert rejected(no_places, PLAN) == {"place"}


# --- staff -------------------------------------------------------------------------------------


def test_a_tutor_in_two_groups_at_once_is_rejected():
    early = replace(TUTOR_202, start=t("8:00"), end=t("8:30"), place=CLASSROOM)
    plan = with_sessions(
        with_group(PLAN, early),
        202,
        tutored(202, early),
        program(202, "8:30", "9:00", READING, ZONE_B),
        SESSIONS[202][2],
    )

    assert rejected(PROBLEM, plan) == {"staff"}
    assert "staff 50 is in groups 11 and 13 at once (8:00)" in messages(PROBLEM, plan)


def test_a_tutor_needs_passing_time_between_two_places():
    plan = with_group(PLAN, replace(TUTOR_202, place=CLASSROOM))

    assert rejected(PROBLEM, plan) == {"staff"}
    assert (
        "staff 50 leaves place 3 at 8:30 and starts group 13 in place 5 at 8:30; walking "
        "between them takes 5 minutes"
    ) in messages(PROBLEM, plan)
    # Back to back in the same place needs no walk, and five minutes apart is enough.
    assert rejected(PROBLEM, PLAN) == set()
    assert rejected(replace(PROBLEM, passing_minutes=0), plan) == set()


def test_a_provider_outside_their_hours_is_rejected():
    morning_only = replace(PROBLEM.providers[0], available=(Window(t("8:00"), t("9:00")),))
    problem = replace(PROBLEM, providers=(morning_only,))

    assert rejected(problem, PLAN) == {"staff"}
    assert "provider 7 leads group 14 10:00-10:30, outside their hours" in messages(problem, PLAN)


def test_a_provider_over_their_caseload_is_rejected():
    problem = replace(
        PROBLEM, providers=(replace(PROBLEM.providers[0], max_students=1, max_minutes=45),)
    )

    assert rejected(problem, PLAN) == {"staff"}
    assert "provider 7 serves 2 students; caseload 1" in messages(problem, PLAN)
    assert "provider 7 leads groups for 60 minutes; at most 45" in messages(problem, PLAN)


def test_more_tutoring_than_a_student_may_get_in_a_day_is_rejected():
    problem = replace(PROBLEM, tutoring_minutes=25)

    assert rejected(problem, PLAN) == {"tutoring-minutes"}


# --- coverage ----------------------------------------------------------------------------------


def test_a_gap_an_overlap_an_off_grid_or_a_stray_session_breaks_coverage():
    gap = with_sessions(PLAN, 101, program(101, "8:00", "8:45", MATH, ZONE_A), SESSIONS[101][1])
    overlap = with_sessions(PLAN, 102, SESSIONS[102][0], program(102, "8:25", "9:40", MATH, ZONE_B))
    off_grid = with_sessions(
        PLAN,
        101,
        program(101, "8:00", "8:52", MATH, ZONE_A),
        program(101, "8:52", "9:40", READING, ZONE_A),
    )
    stray = with_sessions(PLAN, 101, *SESSIONS[101], program(101, "10:00", "10:30", MATH, None))
    absent = with_sessions(PLAN, 101)
    ghost = replace(PLAN, segments=(*PLAN.segments, program(999, "8:00", "8:30", MATH, None)))

    for broken in (gap, overlap, off_grid, stray, absent, ghost):
        assert rejected(PROBLEM, broken) == {"coverage"}
    assert "student 101 has no activity 8:45-8:50" in messages(PROBLEM, gap)
    assert "student 102 has two activities at once 8:25-8:30" in messages(PROBLEM, overlap)
    assert "off the 5-minute grid at 8:52" in messages(PROBLEM, off_grid)
    assert "outside their lab and flexible blocks" in messages(PROBLEM, stray)
    assert "student 999 is not present today" in messages(PROBLEM, ghost)


# --- what the sessions name --------------------------------------------------------------------


def test_unmet_service_minutes_need_a_true_shortfall():
    # 203 reads in the flexible block instead of ELD: 0 of 30 minutes.
    unmet = with_sessions(
        without_group(PLAN, ELD_GROUP_203.id),
        203,
        *SESSIONS[203][:2],
        program(203, "10:00", "10:30", READING, None),
    )
    truth = Shortfall(203, ELD_203, "eld", (PROVIDER,), due=30, met=0)

    assert rejected(PROBLEM, unmet) == {"service-minutes"}
    assert rejected(PROBLEM, replace(unmet, shortfalls=(replace(truth, met=10),))) == {
        "service-minutes"
    }
    assert rejected(PROBLEM, replace(unmet, shortfalls=(truth,))) == set()
    # Nor may a plan report short a service it meets.
    assert rejected(PROBLEM, replace(PLAN, shortfalls=(truth,))) == {"service-minutes"}
    assert "service 2: the shortfall reports 10 of 30 minutes, the plan gives 0 of 30" in (
        messages(PROBLEM, replace(unmet, shortfalls=(replace(truth, met=10),)))
    )


def test_a_session_naming_what_does_not_fit_is_rejected():
    unknown_program = with_sessions(
        PLAN, 201, replace(SESSIONS[201][0], program=42), SESSIONS[201][1]
    )
    reading_tutor = with_sessions(
        PLAN, 102, replace(SESSIONS[102][0], subject="literacy"), SESSIONS[102][1]
    )
    someone_elses_provider = replace(
        PROBLEM, services=(replace(PROBLEM.services[0], providers=(8,)), PROBLEM.services[1])
    )

    assert rejected(PROBLEM, unknown_program) == {"activity"}
    assert rejected(PROBLEM, reading_tutor) == {"activity"}
    assert rejected(someone_elses_provider, PLAN) == {"activity"}
