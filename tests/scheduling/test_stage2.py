"""Stage 2: students inside lab and flexible blocks, and the independent checker of its rules.

No database: the solver takes frozen dataclasses, so these are plain functions on small schools
built here, plus the reference shape M.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from scheduling.solver.plans import (
    ActivityKind,
    BlockKind,
    LabBlock,
    LabPlan,
    LabProgram,
    PlanGroup,
    PlanProblem,
    PlanSegment,
    Provider,
    ProviderShortfall,
    ServiceDue,
    StudentDay,
    Tutor,
)
from scheduling.solver.problem import Window
from scheduling.solver.reference_stage2 import reference_plan_problem
from scheduling.solver.stage2 import PlanOptions, solve
from scheduling.solver.validate_stage2 import validate_plan

DAY = (Window(480, 900),)
MATH, READING = LabProgram(1, "math"), LabProgram(2, "literacy")


def small_school(
    *,
    services: tuple[ServiceDue, ...] = (),
    providers: tuple[Provider, ...] = (),
    tutors: tuple[Tutor, ...] = (),
    needs: tuple[float, ...] = (0.5,) * 6,
    tutoring_minutes: int = 30,
) -> PlanProblem:
    """Two cohorts of grade 3: cohort 1 has lab 8:00-9:00, cohort 2 lab 9:00-10:00 and flex."""
    students = tuple(
        StudentDay(
            100 + n,
            1 if n < len(needs) // 2 + len(needs) % 2 else 2,
            3,
            (("math", need), ("literacy", round(1 - need, 2))),
        )
        for n, need in enumerate(needs)
    )
    return PlanProblem(
        school=1,
        date="2026-11-24",
        blocks=(
            LabBlock(1, BlockKind.LAB, 480, 540, 10),
            LabBlock(2, BlockKind.LAB, 540, 600, 10),
            LabBlock(2, BlockKind.FLEX, 600, 630, 20),
        ),
        students=students,
        programs=(MATH, READING),
        services=services,
        providers=providers,
        tutors=tutors,
        tutoring_minutes=tutoring_minutes,
    )


def minutes_of(plan: LabPlan, service: int) -> int:
    return sum(s.minutes for s in plan.segments if s.service == service)


def test_service_minutes_met_on_a_small_school_and_the_validator_agrees():
    problem = small_school(
        services=(
            ServiceDue(1, 100, "iep", 30, 3),
            ServiceDue(2, 101, "iep", 30, 3),
            ServiceDue(3, 103, "eld", 45, 5),
            ServiceDue(4, 104, "eld", 30, 5),
        ),
        providers=(
            Provider(7, frozenset({"iep"}), DAY, max_students=10),
            Provider(8, frozenset({"eld"}), DAY),
        ),
    )

    plan = solve(problem)

    assert plan.complete and plan.shortfalls == ()
    assert validate_plan(problem, plan) == ()
    assert [minutes_of(plan, s) for s in (1, 2, 3, 4)] == [30, 30, 45, 30]
    # The two IEP students of cohort 1 share one provider's groups rather than two sessions.
    iep_groups = [g for g in plan.groups if g.service_kind == "iep"]
    assert {g.members for g in iep_groups} == {(100, 101)}
    assert {g.provider for g in iep_groups} == {7}
    # Every student is somewhere in every segment; everything else is program time.
    assert len(plan.segments) == 3 * 4 + 3 * 6


def test_a_provider_short_of_time_is_named_with_the_students_and_minutes():
    problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 1), ServiceDue(2, 101, "iep", 30, 1)),
        providers=(Provider(7, frozenset({"iep"}), (Window(480, 495),)),),
    )

    plan = solve(problem)

    assert not plan.complete
    assert sorted(
        (s.student, s.service, s.providers, s.due, s.missing) for s in plan.shortfalls
    ) in (
        [(100, 1, (7,), 30, 15), (101, 2, (7,), 30, 30)],
        [(100, 1, (7,), 30, 30), (101, 2, (7,), 30, 15)],
    )
    assert plan.provider_shortfalls() == (ProviderShortfall(7, (100, 101), 45),)
    assert "15 short (provider 7)" in " ".join(s.message for s in plan.shortfalls)
    assert validate_plan(problem, plan) == ()


def test_a_service_nobody_can_deliver_is_a_shortfall_without_providers():
    problem = small_school(services=(ServiceDue(1, 100, "speech", 30, 2),))

    plan = solve(problem)

    assert [(s.student, s.providers, s.missing) for s in plan.shortfalls] == [(100, (), 30)]
    assert "no eligible provider" in plan.shortfalls[0].message


def test_group_sizes_respect_every_members_limit():
    # Cohort 2's three students and cohort 1's three all need 15 minutes; one of them alone.
    services = tuple(ServiceDue(n + 1, 100 + n, "eld", 15, 1 if n == 0 else 2) for n in range(6))
    problem = small_school(services=services, providers=(Provider(8, frozenset({"eld"}), DAY),))

    plan = solve(problem)

    assert plan.complete
    assert validate_plan(problem, plan) == ()
    assert max(len(g.members) for g in plan.groups) == 2
    assert next(g for g in plan.groups if 100 in g.members).members == (100,)
    # The provider is never in two groups at once.
    spans = sorted((g.start, g.end) for g in plan.groups)
    assert all(b <= c for (_a, b), (c, _d) in pairwise(spans))


def test_the_highest_need_students_get_the_tutoring_when_tutors_are_scarce():
    # One tutor, free for one 15-minute segment, groups of two; six students, needs differ.
    problem = small_school(
        tutors=(Tutor(50, (Window(480, 495),), max_group_size=2, subjects=frozenset({"math"})),),
        needs=(0.2, 0.9, 0.4, 0.8, 0.1, 0.95),
        tutoring_minutes=15,
    )

    plan = solve(problem)

    tutored = sorted(s.student for s in plan.segments if s.kind == ActivityKind.TUTORING)
    # Cohort 1 (100-102) is in the lab at 8:00; 103 (0.8) and 105 (0.95) are in cohort 2, whose
    # lab starts at 9:00, when the tutor is gone. 101 (0.9) and 102 (0.4) beat 100 (0.2).
    assert tutored == [101, 102]
    assert validate_plan(problem, plan) == ()


def test_program_time_follows_need_per_subject():
    problem = small_school(needs=(0.9, 0.1, 0.5, 0.5, 0.5, 0.5))

    plan = solve(problem)

    def minutes(student: int, subject: str) -> int:
        return sum(
            s.minutes for s in plan.segments if s.student == student and s.subject == subject
        )

    assert minutes(100, "math") > minutes(100, "literacy")
    assert minutes(101, "literacy") > minutes(101, "math")
    # Few switches: the 60-minute block is two runs at most, not four alternating segments.
    runs = [s.subject for s in sorted(plan.segments, key=lambda s: s.start) if s.student == 100]
    assert sum(a != b for a, b in pairwise(runs)) == 1


def test_yesterdays_groups_are_kept_when_nothing_changed():
    problem = reference_plan_problem("M", seed=1)
    yesterday = solve(problem, PlanOptions(seed=1))

    today = solve(replace(problem, previous=yesterday.segments), PlanOptions(seed=2))

    def groups(plan: LabPlan) -> set[tuple]:
        return {(g.kind, g.start, g.tutor, g.provider, g.members) for g in plan.groups}

    kept = len(groups(today) & groups(yesterday)) / len(groups(yesterday))
    assert kept >= 0.9


def test_the_same_problem_and_seed_give_the_same_plan():
    problem = reference_plan_problem("M", seed=3)

    first = solve(problem, PlanOptions(seed=3))
    second = solve(problem, PlanOptions(seed=3))

    assert (first.segments, first.groups, first.shortfalls) == (
        second.segments,
        second.groups,
        second.shortfalls,
    )


def test_the_m_reference_school_solves_and_validates():
    problem = reference_plan_problem("M", seed=0)
    assert len(problem.students) == 600
    assert sum(s.english_learner for s in problem.students) == 120
    assert len({s.student for s in problem.services if s.kind == "iep"}) == 60

    plan = solve(problem, PlanOptions(seed=0))

    assert validate_plan(problem, plan) == ()
    assert plan.complete
    assert len({s.student for s in plan.segments}) == 600
    assert sum(1 for g in plan.groups if g.kind == ActivityKind.TUTORING) > 0
    assert plan.stats is not None and plan.stats.wall_seconds < 5


def test_a_service_for_a_student_who_is_not_present_is_refused_by_name():
    problem = small_school(services=(ServiceDue(9, 999, "iep", 30, 3),))

    with pytest.raises(ValueError, match="service 9 names student 999"):
        solve(problem)


# --- the validator rejects a broken plan, rule by rule ---------------------------------------


@pytest.fixture
def served() -> tuple[PlanProblem, LabPlan]:
    problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 2), ServiceDue(2, 101, "iep", 30, 2)),
        providers=(Provider(7, frozenset({"iep"}), (Window(480, 540),), max_students=5),),
        tutors=(Tutor(50, DAY, max_group_size=2, subjects=frozenset({"math"})),),
        needs=(0.2, 0.3, 0.9, 0.8, 0.1, 0.7),
    )
    plan = solve(problem)
    assert validate_plan(problem, plan) == ()
    return problem, plan


def rules(problem: PlanProblem, plan: LabPlan) -> set[str]:
    return {v.rule for v in validate_plan(problem, plan)}


def first(plan: LabPlan, kind: ActivityKind) -> PlanSegment:
    return next(s for s in plan.segments if s.kind == kind)


def test_validator_rejects_a_missing_or_doubled_or_stray_segment(served):
    problem, plan = served
    dropped = replace(plan, segments=plan.segments[1:])
    doubled = replace(plan, segments=(*plan.segments, first(plan, ActivityKind.PROGRAM)))
    stray = replace(
        plan,
        segments=(*plan.segments, PlanSegment(100, 700, 715, ActivityKind.PROGRAM, program=1)),
    )
    ghost = replace(
        plan, segments=(*plan.segments, PlanSegment(555, 480, 495, ActivityKind.PROGRAM, 1))
    )

    for broken in (dropped, doubled, stray, ghost):
        assert "coverage" in rules(problem, broken)


def test_validator_rejects_unmet_service_minutes_and_a_wrong_shortfall(served):
    problem, plan = served
    service_seg = first(plan, ActivityKind.SERVICE)
    as_program = replace(
        service_seg, kind=ActivityKind.PROGRAM, program=1, provider=None, service=None, group=None
    )
    unmet = replace(
        plan,
        segments=tuple(as_program if s == service_seg else s for s in plan.segments),
        groups=tuple(
            replace(g, members=tuple(m for m in g.members if m != service_seg.student))
            if g.id == service_seg.group
            else g
            for g in plan.groups
        ),
    )
    assert rules(problem, unmet) == {"service-minutes"}

    short_problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 1),),
        providers=(Provider(7, frozenset({"iep"}), (Window(480, 495),)),),
    )
    short_plan = solve(short_problem)
    lying = replace(short_plan, shortfalls=(replace(short_plan.shortfalls[0], met=30 - 5),))
    assert rules(short_problem, lying) == {"service-minutes"}
    assert rules(short_problem, replace(short_plan, shortfalls=())) == {"service-minutes"}


def test_validator_rejects_an_oversized_group(served):
    problem, plan = served
    group = next(g for g in plan.groups if g.kind == ActivityKind.SERVICE)
    tight = replace(
        problem,
        services=tuple(replace(s, max_group_size=1) for s in problem.services),
    )
    assert len(group.members) == 2
    assert "group-size" in rules(tight, plan)


def test_validator_rejects_a_group_its_members_do_not_share(served):
    problem, plan = served
    group = next(g for g in plan.groups if g.kind == ActivityKind.SERVICE)
    moved = replace(
        plan, groups=tuple(replace(g, start=g.start + 5) if g == group else g for g in plan.groups)
    )
    phantom = replace(
        plan,
        groups=tuple(
            replace(g, members=(*g.members, 104)) if g == group else g for g in plan.groups
        ),
    )
    no_group = replace(
        plan,
        segments=tuple(
            replace(s, group=None) if s.kind == ActivityKind.SERVICE else s for s in plan.segments
        ),
    )
    for broken in (moved, phantom, no_group):
        assert "group" in rules(problem, broken)


def test_validator_rejects_a_provider_in_two_places_outside_hours_or_over_caseload(served):
    problem, plan = served
    group = next(g for g in plan.groups if g.kind == ActivityKind.SERVICE)
    # A second group of the same provider at the same time, for two other students.
    clash = PlanGroup(99, ActivityKind.SERVICE, group.start, group.end, (102,), provider=7)
    doubled = replace(plan, groups=(*plan.groups, clash))
    assert any("at once" in v.message for v in validate_plan(problem, doubled))

    late = replace(
        problem, providers=(Provider(7, frozenset({"iep"}), (Window(600, 700),), max_students=5),)
    )
    assert "staff" in rules(late, plan)

    small_caseload = replace(
        problem, providers=(Provider(7, frozenset({"iep"}), DAY, max_students=1, max_minutes=15),)
    )
    messages = [v.message for v in validate_plan(small_caseload, plan)]
    assert any("caseload 1" in m for m in messages)
    assert any("at most 15" in m for m in messages)


def test_validator_rejects_an_activity_that_does_not_fit(served):
    problem, plan = served
    program_seg = first(plan, ActivityKind.PROGRAM)
    wrong_program = replace(
        plan,
        segments=tuple(replace(s, program=42) if s == program_seg else s for s in plan.segments),
    )
    assert rules(problem, wrong_program) == {"activity"}

    not_allowed = replace(
        problem, providers=(Provider(7, frozenset({"eld"}), DAY, max_students=5),)
    )
    assert "activity" in rules(not_allowed, plan)

    tutoring = first(plan, ActivityKind.TUTORING)
    reading_tutor = replace(
        plan,
        segments=tuple(
            replace(s, subject="literacy") if s == tutoring else s for s in plan.segments
        ),
    )
    assert rules(problem, reading_tutor) == {"activity"}

    too_much = replace(problem, tutoring_minutes=5)
    assert "staff" in rules(too_much, plan)
