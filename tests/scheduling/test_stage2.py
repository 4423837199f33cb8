"""Stage 2: what students do inside lab and flexible blocks, session by session.

No database: the solver takes frozen dataclasses, so these are plain functions on small schools
built here, plus the reference shape M. Every plan is judged by the independent
``validate_plan``; ``assert_sound`` also checks the session rules directly, so a rule the
validator does not check yet still fails a test.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import pairwise

import pytest

from bench.reference_stage2 import reference_plan_problem
from scheduling.solver.plans import (
    ActivityKind,
    BlockKind,
    LabBlock,
    LabPlan,
    LabProgram,
    Place,
    PlaceKind,
    PlanProblem,
    PlanSegment,
    Provider,
    ProviderShortfall,
    ServiceDue,
    StudentDay,
    Tutor,
)
from scheduling.solver.problem import Window
from scheduling.solver.stage2 import PlanOptions, solve
from scheduling.solver.validate_stage2 import validate_plan

DAY = (Window(480, 900),)
MATH, READING = LabProgram(1, "math"), LabProgram(2, "literacy")
LAB_ROOM, HOMEROOM = 10, 20
RESOURCE_ROOM = Place(31, PlaceKind.RESOURCE_ROOM, 6, DAY)
SMALL_GROUP_ZONE = Place(32, PlaceKind.LAB_ZONE, 6, DAY, lab=LAB_ROOM)
COMPUTER_ZONE = Place(30, PlaceKind.LAB_ZONE, 30, DAY, lab=LAB_ROOM, computers=True)


def small_school(
    *,
    services: tuple[ServiceDue, ...] = (),
    providers: tuple[Provider, ...] = (),
    tutors: tuple[Tutor, ...] = (),
    needs: tuple[float, ...] = (0.5,) * 6,
    tutoring_minutes: int = 30,
    places: tuple[Place, ...] = (),
) -> PlanProblem:
    """Two cohorts of grade 3: cohort 1 (students 100-102) has lab 8:00-9:00, cohort 2
    (103-105) lab 9:00-10:00 and flex 10:00-10:30."""
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
            LabBlock(1, BlockKind.LAB, 480, 540, LAB_ROOM),
            LabBlock(2, BlockKind.LAB, 540, 600, LAB_ROOM),
            LabBlock(2, BlockKind.FLEX, 600, 630, HOMEROOM),
        ),
        students=students,
        programs=(MATH, READING),
        services=services,
        providers=providers,
        tutors=tutors,
        tutoring_minutes=tutoring_minutes,
        places=places,
    )


def minutes_of(plan: LabPlan, service: int) -> int:
    return sum(s.minutes for s in plan.segments if s.service == service)


def sessions_by_block(problem: PlanProblem, plan: LabPlan) -> dict[tuple[int, LabBlock], list]:
    cohort = {s.id: s.cohort for s in problem.students}
    out: dict[tuple[int, LabBlock], list[PlanSegment]] = defaultdict(list)
    for seg in sorted(plan.segments, key=lambda s: (s.student, s.start)):
        block = next(
            b
            for b in problem.blocks
            if b.cohort == cohort[seg.student] and b.start <= seg.start < b.end
        )
        out[seg.student, block].append(seg)
    return out


def changes(sessions: list[PlanSegment]) -> int:
    return sum(
        (a.kind, a.program, a.group) != (b.kind, b.program, b.group) for a, b in pairwise(sessions)
    )


def assert_sound(problem: PlanProblem, plan: LabPlan) -> None:
    """The validator agrees, and the session, group, place and adult rules hold, checked here
    directly as well."""
    assert validate_plan(problem, plan) == ()
    grade = {s.id: s.grade for s in problem.students}
    programs = {p.id: p for p in problem.programs}
    services = {s.id: s for s in problem.services}
    places = {p.id: p for p in problem.places}
    for (_student, block), sessions in sessions_by_block(problem, plan).items():
        assert sessions[0].start == block.start and sessions[-1].end == block.end
        assert all(a.end == b.start for a, b in pairwise(sessions))
        assert all(s.start % problem.grid_minutes == 0 for s in sessions)
        assert changes(sessions) <= problem.max_changes
        for seg in sessions:
            if seg.kind == ActivityKind.SERVICE:
                assert seg.minutes >= services[seg.service].session_minutes
            elif seg.kind == ActivityKind.TUTORING:
                assert seg.minutes >= problem.tutoring_session_minutes
            elif seg.minutes < block.minutes:
                assert seg.program is not None
                assert seg.minutes >= programs[seg.program].min_minutes
    for group in plan.groups:
        grades = {grade[m] for m in group.members}
        assert max(grades) - min(grades) <= (1 if problem.adjacent_grades else 0)
        if problem.places:
            assert group.place is not None
            place = places[group.place]
            assert not place.computers and len(group.members) <= place.capacity
            assert any(w.contains(group.start, group.end) for w in place.available)
    by_place = defaultdict(list)
    by_adult = defaultdict(list)
    for group in plan.groups:
        by_place[group.place].append(group)
        by_adult[group.tutor or group.provider].append(group)
    for place_id, groups in by_place.items():
        if place_id is not None:
            spans = sorted((g.start, g.end) for g in groups)
            assert all(b <= c for (_a, b), (c, _d) in pairwise(spans))
    for groups in by_adult.values():
        ordered = sorted(groups, key=lambda g: g.start)
        for a, b in pairwise(ordered):
            walk = problem.passing_minutes if a.place != b.place else 0
            assert a.end + walk <= b.start


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
    assert_sound(problem, plan)
    assert [minutes_of(plan, s) for s in (1, 2)] == [30, 30]
    assert minutes_of(plan, 4) >= 30  # alone, or in 103's 45-minute group
    # The two IEP students of cohort 1 share one 30-minute session rather than two.
    iep_groups = [g for g in plan.groups if g.service_kind == "iep"]
    assert [(g.members, g.provider, g.end - g.start) for g in iep_groups] == [((100, 101), 7, 30)]
    # 103's 45 minutes are one session (the whole lab block: 15 minutes alone would be too
    # short for program time), not three 15-minute segments.
    assert [(s.start, s.end) for s in plan.segments if s.service == 3] == [(540, 600)]


def test_a_provider_short_of_time_is_named_with_the_students_and_minutes():
    problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 1), ServiceDue(2, 101, "iep", 30, 1)),
        providers=(Provider(7, frozenset({"iep"}), (Window(480, 510),)),),
    )

    plan = solve(problem)

    assert not plan.complete
    [short] = plan.shortfalls
    assert (short.providers, short.due, short.missing) == ((7,), 30, 30)
    assert short.student in (100, 101)
    assert plan.provider_shortfalls() == (ProviderShortfall(7, (short.student,), 30),)
    assert "30 short (provider 7)" in short.message
    assert_sound(problem, plan)


def test_a_service_nobody_can_deliver_is_a_shortfall_without_providers():
    problem = small_school(services=(ServiceDue(1, 100, "speech", 30, 2),))

    plan = solve(problem)

    assert [(s.student, s.providers, s.missing) for s in plan.shortfalls] == [(100, (), 30)]
    assert "no eligible provider" in plan.shortfalls[0].message
    assert_sound(problem, plan)


def test_group_sizes_respect_every_members_limit():
    # Six students need 30 ELD minutes; groups of at most two, and student 100 alone.
    services = tuple(ServiceDue(n + 1, 100 + n, "eld", 30, 1 if n == 0 else 2) for n in range(6))
    problem = small_school(services=services, providers=(Provider(8, frozenset({"eld"}), DAY),))

    plan = solve(problem)

    assert plan.complete
    assert_sound(problem, plan)
    assert max(len(g.members) for g in plan.groups) == 2
    assert next(g for g in plan.groups if 100 in g.members).members == (100,)


def test_the_highest_need_students_get_the_tutoring_when_tutors_are_scarce():
    # One tutor, free for one 30-minute session, groups of two; six students, needs differ.
    problem = small_school(
        tutors=(Tutor(50, (Window(480, 510),), max_group_size=2, subjects=frozenset({"math"})),),
        needs=(0.2, 0.9, 0.4, 0.8, 0.1, 0.95),
    )

    plan = solve(problem)

    tutored = sorted(s.student for s in plan.segments if s.kind == ActivityKind.TUTORING)
    # Cohort 1 (100-102) is in the lab at 8:00; 103 (0.8) and 105 (0.95) are in cohort 2, whose
    # lab starts at 9:00, when the tutor is gone. 101 (0.9) and 102 (0.4) beat 100 (0.2).
    assert tutored == [101, 102]
    assert_sound(problem, plan)


def test_program_time_follows_need_per_subject_in_few_long_sessions():
    problem = small_school(needs=(0.9, 0.1, 0.5, 0.9, 0.5, 0.5))

    plan = solve(problem)

    def minutes(student: int, subject: str) -> int:
        return sum(
            s.minutes for s in plan.segments if s.student == student and s.subject == subject
        )

    assert minutes(100, "math") > minutes(100, "literacy")
    assert minutes(101, "literacy") > minutes(101, "math")
    assert minutes(103, "math") > minutes(103, "literacy")
    assert_sound(problem, plan)
    # No group today: each block is one or two program sessions, never 15-minute hopping.
    for sessions in sessions_by_block(problem, plan).values():
        assert len(sessions) <= 2


def test_sessions_keep_their_minimums_and_the_changes_budget():
    # A 100-minute lab block, a 45-minute program minimum, an ELD session of 30 and tutoring.
    problem = replace(
        small_school(
            services=(ServiceDue(1, 100, "eld", 30, 5),),
            providers=(Provider(8, frozenset({"eld"}), DAY),),
            tutors=(Tutor(50, DAY, max_group_size=4),),
            needs=(0.9, 0.8, 0.7),
        ),
        blocks=(LabBlock(1, BlockKind.LAB, 480, 580, LAB_ROOM),),
        programs=(replace(MATH, min_minutes=45), replace(READING, min_minutes=45)),
        max_changes=1,
    )

    plan = solve(problem)

    assert plan.complete
    assert_sound(problem, plan)
    # With one change allowed, student 100 has ELD and program time only, not tutoring too.
    kinds = [s.kind for s in sorted(plan.segments, key=lambda s: s.start) if s.student == 100]
    assert len(kinds) == 2 and ActivityKind.SERVICE in kinds
    for seg in plan.segments:
        if seg.kind == ActivityKind.PROGRAM:
            assert seg.minutes >= 45


def test_a_block_shorter_than_every_minimum_is_one_session():
    problem = replace(
        small_school(),
        blocks=(LabBlock(1, BlockKind.FLEX, 480, 495, HOMEROOM),),
    )

    plan = solve(problem)

    assert {(s.start, s.end) for s in plan.segments} == {(480, 495)}
    assert_sound(problem, plan)


def test_a_group_holds_one_grade_unless_adjacent_grades_are_allowed():
    # Cohort 1 is grade 2, cohort 2 grade 3 (and cohort 3 grade 5), all in the lab 8:00-9:00;
    # the ELD teacher has time for one 30-minute group only.
    students = (
        StudentDay(100, 1, 2, (("math", 0.5),)),
        StudentDay(101, 2, 3, (("math", 0.5),)),
        StudentDay(102, 3, 5, (("math", 0.5),)),
    )
    problem = replace(
        small_school(),
        students=students,
        blocks=tuple(LabBlock(c, BlockKind.LAB, 480, 540, LAB_ROOM) for c in (1, 2, 3)),
        services=tuple(ServiceDue(n + 1, 100 + n, "eld", 30, 5) for n in range(3)),
        providers=(Provider(8, frozenset({"eld"}), (Window(480, 510),)),),
        places=(RESOURCE_ROOM,),
    )

    apart = solve(problem)
    together = solve(replace(problem, adjacent_grades=True))

    assert [len(g.members) for g in apart.groups] == [1]
    assert len(apart.shortfalls) == 2
    assert [g.members for g in together.groups] == [(100, 101)]
    assert [s.student for s in together.shortfalls] == [102]  # grade 5 is not adjacent to 2, 3
    assert_sound(problem, apart)
    assert_sound(replace(problem, adjacent_grades=True), together)


def test_every_group_meets_in_a_place_with_room_for_it():
    problem = small_school(
        services=tuple(ServiceDue(n + 1, 100 + n, "iep", 30, 5) for n in range(6)),
        providers=(Provider(7, frozenset({"iep"}), DAY),),
        tutors=(Tutor(50, DAY, max_group_size=4),),
        places=(
            replace(RESOURCE_ROOM, capacity=2),
            Place(33, PlaceKind.CLASSROOM, 8, (Window(600, 630),)),
            SMALL_GROUP_ZONE,
            COMPUTER_ZONE,
        ),
    )

    plan = solve(problem)

    assert plan.complete
    assert_sound(problem, plan)
    assert all(g.place is not None for g in plan.groups)
    # The resource room seats two: three students of a cohort meet elsewhere or in two groups.
    for group in plan.groups:
        if group.place == RESOURCE_ROOM.id:
            assert len(group.members) <= 2


def test_an_adult_with_groups_in_two_places_gets_passing_time():
    # Student 100's lab ends at 9:00 and 103's starts then; the rooms are each free in one lab.
    problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 1), ServiceDue(2, 103, "iep", 30, 1)),
        providers=(Provider(7, frozenset({"iep"}), DAY),),
        places=(
            Place(41, PlaceKind.RESOURCE_ROOM, 4, (Window(480, 540),)),
            Place(42, PlaceKind.RESOURCE_ROOM, 4, (Window(540, 600),)),
        ),
    )

    plan = solve(replace(problem, passing_minutes=10))

    assert plan.complete
    first, second = sorted(plan.groups, key=lambda g: g.start)
    assert (first.place, second.place) == (41, 42)
    assert second.start - first.end >= 10
    assert_sound(replace(problem, passing_minutes=10), plan)


def test_students_away_in_groups_free_their_lab_seats():
    # Six students in the lab 8:00-9:00 and a computer zone of five seats: the plan fits only
    # because a student is always away. Students 100 and 101 could share one ELD group, but
    # then the lab would be one seat short for the other half hour.
    zone = Place(51, PlaceKind.LAB_ZONE, 5, DAY, lab=LAB_ROOM, computers=True)
    problem = replace(
        small_school(
            services=(ServiceDue(1, 100, "eld", 30, 5), ServiceDue(2, 101, "eld", 30, 5)),
            providers=(Provider(8, frozenset({"eld"}), DAY),),
            places=(zone, RESOURCE_ROOM),
        ),
        students=tuple(StudentDay(100 + n, 1, 3, (("math", 0.5),)) for n in range(6)),
    )

    plan = solve(problem)

    assert plan.complete
    assert_sound(problem, plan)
    assert sorted((g.start, g.members) for g in plan.groups) == [(480, (100,)), (510, (101,))]
    program_places = {s.place for s in plan.segments if s.kind == ActivityKind.PROGRAM}
    assert program_places == {zone.id}
    seated = [s for s in plan.segments if s.place == zone.id]
    assert all(sum(s.start <= t < s.end for s in seated) == 5 for t in range(480, 540))


def test_flex_program_time_stays_in_the_cohorts_room():
    zone = Place(51, PlaceKind.LAB_ZONE, 10, DAY, lab=LAB_ROOM, computers=True)
    problem = small_school(places=(zone,))

    plan = solve(problem)

    for seg in plan.segments:
        in_flex = seg.start >= 600
        assert seg.place == (None if in_flex else zone.id)
    assert_sound(problem, plan)


def test_the_previous_plan_keeps_its_group_adult_time_and_place():
    problem = small_school(
        services=(ServiceDue(1, 100, "iep", 30, 3), ServiceDue(2, 101, "iep", 30, 3)),
        providers=(
            Provider(7, frozenset({"iep"}), DAY),
            Provider(8, frozenset({"iep"}), DAY),
        ),
        places=(RESOURCE_ROOM, replace(RESOURCE_ROOM, id=35)),
    )
    # Last week: provider 8 took both 8:30-9:00 in room 35 (not what a fresh plan would pick).
    previous = tuple(
        PlanSegment(
            student, 510, 540, ActivityKind.SERVICE, provider=8, service=service, group=4, place=35
        )
        for student, service in ((100, 1), (101, 2))
    )

    fresh = solve(problem)
    kept = solve(replace(problem, previous=previous), PlanOptions(seed=5))

    assert [(g.start, g.provider, g.place) for g in fresh.groups] != [(510, 8, 35)]
    assert [(g.members, g.start, g.end, g.provider, g.place) for g in kept.groups] == [
        ((100, 101), 510, 540, 8, 35)
    ]
    assert_sound(problem, kept)


def test_yesterdays_groups_are_kept_when_nothing_changed():
    problem = reference_plan_problem("M", seed=1)
    yesterday = solve(problem, PlanOptions(seed=1))

    today = solve(replace(problem, previous=yesterday.segments), PlanOptions(seed=2))

    def groups(plan: LabPlan) -> set[tuple]:
        return {
            (g.kind, g.start, g.end, g.tutor, g.provider, g.place, g.members) for g in plan.groups
        }

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

    assert plan.complete
    assert_sound(problem, plan)
    assert len({s.student for s in plan.segments}) == 600
    assert sum(1 for g in plan.groups if g.kind == ActivityKind.TUTORING) > 0
    assert all(g.place is not None for g in plan.groups)


def test_a_service_for_a_student_who_is_not_present_is_refused_by_name():
    problem = small_school(services=(ServiceDue(9, 999, "iep", 30, 3),))

    with pytest.raises(ValueError, match="service 9 names student 999"):
        solve(problem)
