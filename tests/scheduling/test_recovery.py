"""Absence recovery: a STEM teacher out with no substitute still gives the school valid days,
ranked by disruption; every option is checked by the independent validator.

The school: grades 1 and 2, two cohorts each of 12 students, a day from 8:00 to 10:00 of math
(40, STEM teacher's room), literacy (40, humanities teacher's room), lab (20, the Learning Lab of
24 seats, one ILS) and flex (20, homeroom). Each grade has a STEM and a humanities teacher for
both its cohorts (20 minutes of prep each); Ms. Cole, a STEM coach, teaches nobody. Mr. Jones,
grade 2's STEM teacher, is out all day.
"""

from dataclasses import replace

import pytest

from bench.reference import hm, reference_problem
from scheduling.solver.precheck import precheck
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    Combination,
    GradeTemplate,
    Infeasible,
    LabSupervision,
    PlacedBlock,
    Problem,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    Window,
)
from scheduling.solver.recovery import (
    Recovery,
    RecoveryKind,
    RecoveryOption,
    apply_recovery,
    recovery_from_json,
    recovery_options,
    recovery_to_json,
)
from scheduling.solver.stage1 import solve
from scheduling.solver.validate import validate

from ..solver_limits import work_limited

DAY = Window(hm("8:00"), hm("10:00"))
HOURS = (Window(hm("7:45"), hm("10:15")),)
ONE_EACH = work_limited(workers=1, seed=7)
OPTIONS = work_limited(workers=1, seed=7, work_limit=4.0)

C1A, C1B, C2A, C2B = 11, 12, 21, 22
HOME = {C1A: 101, C1B: 102, C2A: 103, C2B: 104}
LAB, MATH1_ROOM, JONES_ROOM, HUM1_ROOM, HUM2_ROOM, SPARE = 200, 301, 302, 303, 304, 305
MATH1, JONES, HUM1, HUM2, COLE, ILS = 1, 2, 3, 4, 5, 6
SUBSTITUTE = 99

STATIONS = (
    Station("math", 40, 40, 40, venue=Venue.STAFF_ROOM, staff_role="stem"),
    Station("literacy", 40, 40, 40, venue=Venue.STAFF_ROOM, staff_role="humanities"),
    Station("lab", 20, 20, 40, venue=Venue.LAB),
    Station("flex", 20, 20, 20, venue=Venue.HOMEROOM),
)


def teacher(sid: int, name: str, role: str, room: int | None, prep: int = 20) -> StaffMember:
    return StaffMember(sid, name, frozenset({role}), room, HOURS, prep)


def school() -> Problem:
    cohorts = tuple(
        Cohort(cid, name, grade, 12, HOME[cid])
        for cid, name, grade in (
            (C1A, "1 Stanford", 1),
            (C1B, "1 Howard", 1),
            (C2A, "2 Stanford", 2),
            (C2B, "2 Howard", 2),
        )
    )
    return Problem(
        school=1,
        date="2026-11-24",
        day=DAY,
        passing_minutes=0,
        granularity=5,
        rooms=(
            *(Room(r, f"Room {r}", RoomKind.CLASSROOM, 30) for r in HOME.values()),
            Room(LAB, "Learning Lab", RoomKind.LEARNING_LAB, 24, frozenset({1, 2})),
            *(
                Room(r, f"Room {r}", RoomKind.CLASSROOM, 30)
                for r in (MATH1_ROOM, JONES_ROOM, HUM1_ROOM, HUM2_ROOM, SPARE)
            ),
        ),
        cohorts=cohorts,
        templates=(GradeTemplate(1, STATIONS), GradeTemplate(2, STATIONS)),
        staff=(
            teacher(MATH1, "Ms. Math", "stem", MATH1_ROOM),
            replace(teacher(JONES, "Mr. Jones", "stem", JONES_ROOM), available=()),
            teacher(HUM1, "Ms. Reed", "humanities", HUM1_ROOM),
            teacher(HUM2, "Mr. Poe", "humanities", HUM2_ROOM),
            teacher(COLE, "Ms. Cole", "stem", None, prep=0),
            teacher(ILS, "Mr. Okafor", "ils", LAB, prep=0),
        ),
        assignments=(
            Assignment(C1A, "math", (MATH1,)),
            Assignment(C1B, "math", (MATH1,)),
            Assignment(C2A, "math", (JONES,)),
            Assignment(C2B, "math", (JONES,)),
            Assignment(C1A, "literacy", (HUM1,)),
            Assignment(C1B, "literacy", (HUM1,)),
            Assignment(C2A, "literacy", (HUM2,)),
            Assignment(C2B, "literacy", (HUM2,)),
        ),
        supervision=(LabSupervision(LAB, (ILS,), students_per_adult=30),),
    )


def options_for(problem: Problem, **given: object) -> tuple[RecoveryOption, ...]:
    found = recovery_options(problem, absent=(JONES,), options=OPTIONS, **given)  # type: ignore[arg-type]
    for option in found:
        assert validate(apply_recovery(problem, option.recovery), option.solution.blocks) == ()
    return found


def kind(options: tuple[RecoveryOption, ...], wanted: RecoveryKind) -> RecoveryOption:
    return next(o for o in options if o.recovery.kind == wanted)


def test_a_stem_teacher_out_with_no_substitute_still_gives_valid_days_ranked():
    problem = school()
    assert precheck(problem)  # nobody present may teach grade 2 math
    assert isinstance(solve(problem, ONE_EACH), Infeasible)

    found = options_for(problem)

    assert [o.recovery.kind for o in found] == [
        RecoveryKind.COVER,
        RecoveryKind.COMBINE,
        RecoveryKind.CONVERT,
    ]
    assert [o.disruption for o in found] == sorted(o.disruption for o in found)
    cover = kind(found, RecoveryKind.COVER)
    # Both grade 2 math blocks are taught by present STEM staff, counted against them.
    assert cover.minutes_lost == ()
    assert sum(minutes for _sid, minutes in cover.cover) == 80
    assert {sid for sid, _m in cover.cover} <= {MATH1, COLE}
    assert cover.disruption == 80
    # Only the absent teacher's stations are touched.
    assert {(a.cohort, a.station) for a in cover.recovery.assignments_added} == {
        (C2A, "math"),
        (C2B, "math"),
    }
    assert all(option.summary and option.moves for option in found)


def test_cover_keeps_every_teachers_prep():
    cover = kind(options_for(school()), RecoveryKind.COVER)
    problem = apply_recovery(school(), cover.recovery)
    for member in problem.staff:
        if member.prep_minutes:
            taught = sorted((b.start, b.end) for b in cover.solution.blocks if member.id in b.staff)
            free = [DAY.start, *(t for span in taught for t in span), DAY.end]
            gaps = [free[i + 1] - free[i] for i in range(0, len(free), 2)]
            assert max(gaps) >= member.prep_minutes


def test_a_substitute_in_the_pool_ranks_first_and_takes_the_absent_teachers_room():
    substitute = StaffMember(SUBSTITUTE, "Ana Ruiz", frozenset({"substitute"}), None, HOURS)

    found = options_for(school(), substitutes=(substitute,))

    first = found[0]
    assert first.recovery.kind == RecoveryKind.SUBSTITUTE
    assert first.disruption == 0
    assert first.minutes_lost == () and first.cover == ()
    (added,) = first.recovery.staff_added
    assert added.room == JONES_ROOM and "stem" in added.roles
    math = [b for b in first.solution.blocks if b.station == "math" and b.cohort in (C2A, C2B)]
    assert {b.staff for b in math} == {(SUBSTITUTE,)}
    assert {b.room for b in math} == {JONES_ROOM}
    assert first.summary == "Ana Ruiz (substitute) takes Mr. Jones's math blocks"
    assert {o.recovery.kind for o in found[1:]} <= {
        RecoveryKind.COVER,
        RecoveryKind.COMBINE,
        RecoveryKind.CONVERT,
    }


def test_a_conversion_gives_the_affected_cohorts_lab_time_and_loses_exactly_the_station():
    problem = school()
    convert = kind(options_for(problem), RecoveryKind.CONVERT)

    assert convert.minutes_lost == ((C2A, "math", 40), (C2B, "math", 40))
    assert convert.disruption == 3 * 80
    blocks = convert.solution.blocks
    for cohort in (C2A, C2B):
        assert not [b for b in blocks if b.cohort == cohort and b.station == "math"]
        assert sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "lab") == 60
        assert sum(b.minutes for b in blocks if b.cohort == cohort) == DAY.minutes
    # Grade 1 keeps its template untouched.
    for cohort in (C1A, C1B):
        assert sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "math") == 40
        assert sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "lab") == 20


def test_without_lab_seats_the_conversion_is_flex_time_in_the_homeroom():
    problem = school()
    # A lab of 12 seats holds one cohort at a time: 4 x 20 + 2 x 40 more minutes do not fit.
    problem = replace(
        problem,
        rooms=tuple(replace(r, capacity=12) if r.id == LAB else r for r in problem.rooms),
    )
    convert = kind(options_for(problem), RecoveryKind.CONVERT)

    blocks = convert.solution.blocks
    for cohort in (C2A, C2B):
        flex = [b for b in blocks if b.cohort == cohort and b.station == "flex"]
        assert sum(b.minutes for b in flex) == 60
        assert {b.room for b in flex} == {HOME[cohort]}
    assert convert.minutes_lost == ((C2A, "math", 40), (C2B, "math", 40))


def test_a_combined_option_teaches_both_cohorts_at_once_in_a_room_that_holds_them():
    problem = school()
    combine = kind(options_for(problem), RecoveryKind.COMBINE)

    (combination,) = combine.recovery.combined
    assert combination.station == "math" and set(combination.cohorts) == {C2A, C2B}
    room = problem.room(combination.room)
    assert room.capacity >= sum(problem.cohort(c).students for c in combination.cohorts)
    blocks = combine.solution.blocks
    a, b = (
        [(x.start, x.end, x.staff, x.room) for x in blocks if x.cohort == c and x.station == "math"]
        for c in combination.cohorts
    )
    assert a == b and a[0][3] == room.id
    # One teacher, one 40-minute block of cover; the joining cohort's 12 students x 40 / 10.
    assert sum(m for _sid, m in combine.cover) == 40
    assert combine.disruption == 40 + 12 * 40 // 10


def test_the_validator_rejects_a_combined_day_whose_blocks_do_not_coincide():
    problem = school()
    combine = kind(options_for(problem), RecoveryKind.COMBINE)
    applied = apply_recovery(problem, combine.recovery)
    follower = combine.recovery.combined[0].cohorts[1]
    own = [b for b in combine.solution.blocks if b.cohort == follower]
    math = next(b for b in own if b.station == "math")
    literacy = next(b for b in own if b.station == "literacy")
    # The follower's math and literacy swap times: its day is still covered, but its math no
    # longer coincides with the lead's.
    swapped = tuple(
        replace(b, start=literacy.start, end=literacy.end)
        if b is math
        else replace(b, start=math.start, end=math.end)
        if b is literacy
        else b
        for b in combine.solution.blocks
    )

    violations = validate(applied, swapped)

    assert any(
        v.constraint == "H4" and "does not coincide" in v.message and v.cohort == follower
        for v in violations
    )


def test_the_validator_rejects_a_combined_room_too_small_for_both_cohorts():
    problem = school()
    combine = kind(options_for(problem), RecoveryKind.COMBINE)
    room = combine.recovery.combined[0].room
    small = replace(
        problem,
        rooms=tuple(replace(r, capacity=20) if r.id == room else r for r in problem.rooms),
    )

    violations = validate(apply_recovery(small, combine.recovery), combine.solution.blocks)

    assert [v.constraint for v in violations] == ["H5"]
    assert "24 students" in violations[0].message


def test_the_precheck_counts_a_combined_block_once_for_its_teacher():
    """Ms. Cole (120 minutes, no prep) cannot teach four 40-minute blocks, but can teach two
    pairs of combined cohorts."""
    problem = school()
    coached = replace(
        problem,
        staff=tuple(replace(m, available=()) if m.id == MATH1 else m for m in problem.staff),
        assignments=tuple(
            replace(a, staff=(COLE,)) if a.station == "math" else a for a in problem.assignments
        ),
    )
    short = [r for r in precheck(coached) if r.code == "staff-minutes-short"]
    assert short

    combined = replace(
        coached,
        combined=(
            Combination("math", (C1A, C1B), HOME[C1A]),
            Combination("math", (C2A, C2B), HOME[C2A]),
        ),
    )

    assert precheck(combined) == ()
    result = solve(combined, ONE_EACH)
    assert not isinstance(result, Infeasible), result.reasons
    assert validate(combined, result.blocks) == ()


def test_apply_recovery_is_pure_and_deterministic():
    problem = school()
    recovery = kind(options_for(problem), RecoveryKind.COMBINE).recovery

    once = apply_recovery(problem, recovery)

    assert apply_recovery(problem, recovery) == once
    assert problem == school()
    assert once.candidates(C2B, "math") == once.candidates(C2A, "math")


def full_recovery() -> Recovery:
    return Recovery(
        kind=RecoveryKind.CONVERT,
        absent=(JONES, 7),
        staff_added=(
            StaffMember(
                SUBSTITUTE,
                "Ana Ruiz",
                frozenset({"stem", "substitute"}),
                JONES_ROOM,
                (Window(hm("7:45"), hm("9:00")), Window(hm("9:30"), hm("10:15"))),
                15,
            ),
        ),
        assignments_added=(Assignment(C2A, "math", (SUBSTITUTE, COLE)),),
        templates_added=(
            GradeTemplate(
                2,
                (
                    Station(
                        "lab",
                        60,
                        20,
                        40,
                        max_blocks=2,
                        venue=Venue.LAB,
                        window=Window(hm("8:00"), hm("10:00")),
                        preferred=Window(hm("8:00"), hm("9:00")),
                        avoid_right_after="lunch",
                    ),
                    STATIONS[1],
                ),
                frozenset({C2A, C2B}),
            ),
        ),
        combined=(Combination("math", (C1A, C1B), SPARE),),
        supervision_added=((LAB, SUBSTITUTE),),
    )


def test_a_recovery_survives_json_exactly():
    recovery = full_recovery()
    assert recovery_from_json(recovery_to_json(recovery)) == recovery
    for option in options_for(school()):
        assert recovery_from_json(recovery_to_json(option.recovery)) == option.recovery


def test_a_recovery_stored_before_supervisors_could_be_replaced_still_reads():
    data = recovery_to_json(full_recovery())
    del data["supervision_added"]
    assert recovery_from_json(data) == replace(full_recovery(), supervision_added=())


def test_json_keys_it_does_not_know_are_ignored():
    data = {**recovery_to_json(full_recovery()), "summary": "shown to the leader"}
    assert recovery_from_json(data) == full_recovery()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("kind"), r"recovery\.kind: missing"),
        (lambda d: d.update(kind="swap"), r"recovery\.kind: 'swap' is not one of"),
        (lambda d: d.update(version=2), r"recovery\.version: 2 is not a known version"),
        (lambda d: d.update(absent=[2, "7"]), r"recovery\.absent\[1\]: expected a whole number"),
        (
            lambda d: d["staff_added"][0].update(available=[[600, 540]]),
            r"recovery\.staff_added\[0\]\.available\[0\]: window ends",
        ),
        (
            lambda d: d["templates_added"][0]["stations"][0].update(venue="moon"),
            r"recovery\.templates_added\[0\]\.stations\[0\]\.venue: expected a venue",
        ),
        (lambda d: d.update(combined={}), r"recovery\.combined: expected a list"),
        (lambda d: d["combined"][0].update(room=True), r"recovery\.combined\[0\]\.room"),
        (
            lambda d: d["supervision_added"][0].update(staff="99"),
            r"recovery\.supervision_added\[0\]\.staff: expected a whole number",
        ),
    ],
)
def test_malformed_recovery_json_is_refused_with_where(change, message):
    data = recovery_to_json(full_recovery())
    change(data)
    with pytest.raises(ValueError, match=message):
        recovery_from_json(data)


def test_not_an_object_is_refused():
    with pytest.raises(ValueError, match="recovery: expected an object"):
        recovery_from_json([])  # type: ignore[arg-type]


def test_nobody_out_gives_no_options():
    assert recovery_options(school(), absent=(COLE,), options=OPTIONS) == ()


def test_the_solution_blocks_are_placed_blocks():
    option = options_for(school())[0]
    assert all(isinstance(b, PlacedBlock) for b in option.solution.blocks)


def jones_leaves_at_nine(problem: Problem) -> Problem:
    """Mr. Jones is there from 7:45 to 9:00 only, with no prep to fit in."""
    morning = (Window(hm("7:45"), hm("9:00")),)
    return replace(
        problem,
        staff=tuple(
            replace(m, available=morning, prep_minutes=0) if m.id == JONES else m
            for m in problem.staff
        ),
    )


def test_a_teacher_out_part_of_the_day_still_teaches_while_there():
    """Mr. Jones leaves at 9:00: one of his math blocks fits before, the other is covered."""
    problem = jones_leaves_at_nine(school())
    problem = replace(
        problem,
        assignments=tuple(
            replace(a, staff=(JONES,)) if a.cohort in (C2A, C2B) and a.station == "math" else a
            for a in problem.assignments
        ),
    )
    assert isinstance(solve(problem, ONE_EACH), Infeasible)

    cover = options_for(problem)[0]

    assert cover.recovery.kind == RecoveryKind.COVER
    taught = [b for b in cover.solution.blocks if b.station == "math" and JONES in b.staff]
    assert len(taught) == 1 and taught[0].end <= hm("9:00")
    assert sum(m for _sid, m in cover.cover) == 40


# --- a lab supervisor out ---------------------------------------------------------------------


def with_supervisor_out(problem: Problem, supervisor: int) -> Problem:
    return replace(
        problem,
        staff=tuple(replace(m, available=()) if m.id == supervisor else m for m in problem.staff),
    )


def ils_out() -> Problem:
    """Mr. Jones is back; Mr. Okafor, the lab's only supervisor, is out."""
    problem = school()
    back = replace(problem, staff=tuple(replace(m, available=HOURS) for m in problem.staff))
    return with_supervisor_out(back, ILS)


def supervisor_options(
    problem: Problem, absent: int, **given: object
) -> tuple[RecoveryOption, ...]:
    found = recovery_options(problem, absent=(absent,), options=OPTIONS, **given)  # type: ignore[arg-type]
    for option in found:
        assert validate(apply_recovery(problem, option.recovery), option.solution.blocks) == ()
    return found


def test_an_absent_lab_supervisor_is_replaced_by_a_substitute_who_watches_the_lab():
    problem = ils_out()
    assert isinstance(solve(problem, ONE_EACH), Infeasible)
    substitute = StaffMember(SUBSTITUTE, "Ana Ruiz", frozenset({"substitute"}), None, HOURS)

    first = supervisor_options(problem, ILS, substitutes=(substitute,))[0]

    assert first.recovery.kind == RecoveryKind.SUBSTITUTE
    assert first.recovery.supervision_added == ((LAB, SUBSTITUTE),)
    assert first.recovery.assignments_added == ()
    assert first.disruption == 0 and first.minutes_lost == ()
    applied = apply_recovery(problem, first.recovery)
    assert applied.supervision[0].supervisors == (ILS, SUBSTITUTE)
    assert first.summary == "Ana Ruiz (substitute) takes the watch of Learning Lab"
    assert first.moves == ("Ana Ruiz (substitute) supervises Learning Lab",)
    # Every cohort keeps its lab time.
    for cohort in HOME:
        assert (
            sum(
                b.minutes
                for b in first.solution.blocks
                if b.cohort == cohort and b.station == "lab"
            )
            == 20
        )


def test_a_lab_nobody_can_watch_gives_its_time_to_flex():
    problem = ils_out()

    (convert,) = supervisor_options(problem, ILS)

    assert convert.recovery.kind == RecoveryKind.CONVERT
    assert convert.minutes_lost == tuple((cohort, "lab", 20) for cohort in sorted(HOME))
    assert convert.disruption == 3 * 4 * 20
    blocks = convert.solution.blocks
    for cohort in HOME:
        assert not [b for b in blocks if b.cohort == cohort and b.station == "lab"]
        assert sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "flex") == 40
        assert sum(b.minutes for b in blocks if b.cohort == cohort) == DAY.minutes
    assert convert.summary.startswith("Mr. Okafor is out: shorter lab time, flex for the rest")


def test_one_supervisor_of_three_out_shortens_lab_time_to_what_the_others_can_watch():
    problem = reference_problem("M")
    lower, _upper = problem.supervision
    problem = with_supervisor_out(problem, lower.supervisors[0])
    assert isinstance(solve(problem, ONE_EACH), Infeasible)  # 60 students watched, 75 seated

    (convert,) = supervisor_options(problem, lower.supervisors[0])

    lower_lab = problem.room(lower.lab)
    served = {c.id for c in problem.cohorts if c.grade in lower_lab.grades}
    blocks = convert.solution.blocks
    # Two cohorts at a time for 420 minutes, at most 90% of it: 60 minutes each, flex the rest.
    assert convert.minutes_lost == tuple((c, "lab", 40) for c in sorted(served))
    for cohort in problem.cohorts:
        lab = sum(b.minutes for b in blocks if b.cohort == cohort.id and b.station == "lab")
        flex = sum(b.minutes for b in blocks if b.cohort == cohort.id and b.station == "flex")
        assert (lab, flex) == ((60, 70) if cohort.id in served else (100, 30))
    assert convert.moves[0].endswith("has 60 minutes of lab instead of 100, and 40 more of flex")


# --- a teacher and a lab supervisor out together ---------------------------------------------


def teacher_and_supervisor_out() -> Problem:
    """Mr. Jones (grade 2's math) and Mr. Okafor (the lab's only supervisor) are both out."""
    return with_supervisor_out(school(), ILS)


def both_options(problem: Problem, **given: object) -> tuple[RecoveryOption, ...]:
    found = recovery_options(problem, absent=(JONES, ILS), options=OPTIONS, **given)  # type: ignore[arg-type]
    for option in found:
        assert validate(apply_recovery(problem, option.recovery), option.solution.blocks) == ()
    return found


def lab_and_flex(option: RecoveryOption, cohort: int) -> tuple[int, int]:
    blocks = option.solution.blocks
    return (
        sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "lab"),
        sum(b.minutes for b in blocks if b.cohort == cohort and b.station == "flex"),
    )


def test_a_teacher_and_the_labs_supervisor_out_with_no_substitute_still_give_days():
    problem = teacher_and_supervisor_out()
    assert isinstance(solve(problem, ONE_EACH), Infeasible)

    options = both_options(problem)

    cover = kind(options, RecoveryKind.COVER)
    # Ms. Cole teaches grade 2's math; nobody can watch the lab, so its time is flex for all.
    assert cover.minutes_lost == tuple((cohort, "lab", 20) for cohort in sorted(HOME))
    assert dict(cover.cover) == {COLE: 80}
    assert all(lab_and_flex(cover, cohort) == (0, 40) for cohort in HOME)
    assert cover.summary == (
        "Present staff cover Mr. Jones's math blocks: Ms. Cole (80 min); with Mr. Okafor out, "
        "shorter lab time and flex for 1 Stanford, 1 Howard, 2 Stanford and 2 Howard"
    )
    assert "1 Stanford has 0 minutes of lab instead of 20, and 20 more of flex" in cover.moves
    convert = kind(options, RecoveryKind.CONVERT)
    assert sorted(convert.minutes_lost) == sorted(
        [(C2A, "math", 40), (C2B, "math", 40), *((c, "lab", 20) for c in HOME)]
    )
    assert convert.summary.startswith(
        "Mr. Jones is out: math becomes flex time for 2 Stanford and 2 Howard; with Mr. Okafor out"
    )
    assert options[0].disruption <= convert.disruption


def test_one_substitute_teaches_and_the_lab_shrinks_to_what_nobody_watches():
    problem = teacher_and_supervisor_out()
    substitute = StaffMember(SUBSTITUTE, "Ana Ruiz", frozenset({"substitute"}), None, HOURS)

    first = both_options(problem, substitutes=(substitute,))[0]

    assert first.recovery.kind == RecoveryKind.SUBSTITUTE
    assert first.recovery.supervision_added == ()
    assert {a.cohort for a in first.recovery.assignments_added} == {C2A, C2B}
    assert first.minutes_lost == tuple((cohort, "lab", 20) for cohort in sorted(HOME))
    assert first.summary.startswith("Ana Ruiz (substitute) takes Mr. Jones's math blocks; with")
    math = [b for b in first.solution.blocks if b.station == "math" and b.cohort in (C2A, C2B)]
    assert {b.staff for b in math} == {(SUBSTITUTE,)}


def test_two_substitutes_one_teaching_one_watching_lose_nothing():
    problem = teacher_and_supervisor_out()
    ruiz = StaffMember(SUBSTITUTE, "Ana Ruiz", frozenset({"substitute"}), None, HOURS)
    lee = StaffMember(SUBSTITUTE + 1, "Sam Lee", frozenset({"substitute"}), None, HOURS)

    first = both_options(problem, substitutes=(ruiz, lee))[0]

    assert first.recovery.kind == RecoveryKind.SUBSTITUTE
    assert first.minutes_lost == () and first.disruption == 0
    assert first.recovery.supervision_added == ((LAB, lee.id),)
    assert first.summary == (
        "Ana Ruiz (substitute) takes Mr. Jones's math blocks; "
        "Sam Lee (substitute) takes the watch of Learning Lab"
    )
    assert "Sam Lee (substitute) supervises Learning Lab" in first.moves
    assert all(lab_and_flex(first, cohort) == (20, 20) for cohort in HOME)


def test_with_every_member_of_staff_out_there_is_no_day_to_offer():
    problem = school()
    everyone = tuple(m.id for m in problem.staff)
    nobody = replace(problem, staff=tuple(replace(m, available=()) for m in problem.staff))

    assert recovery_options(nobody, absent=everyone, options=OPTIONS) == ()


def test_a_teacher_out_part_of_the_day_keeps_the_cohorts_their_hours_hold_and_converts_the_rest():
    """Mr. Jones leaves at 9:00 and nobody can cover: he still teaches one cohort's math before
    he goes; only the other cohort's math is converted."""
    problem = jones_leaves_at_nine(school())
    problem = replace(problem, staff=tuple(m for m in problem.staff if m.id != COLE))
    assert isinstance(solve(problem, ONE_EACH), Infeasible)

    convert = kind(options_for(problem, combine_cap=1), RecoveryKind.CONVERT)

    assert convert.minutes_lost == ((C2B, "math", 40),)
    assert convert.disruption == 3 * 40
    (taught,) = [b for b in convert.solution.blocks if b.station == "math" and JONES in b.staff]
    assert taught.cohort == C2A and taught.end <= hm("9:00")
    assert not [b for b in convert.solution.blocks if b.cohort == C2B and b.station == "math"]
    assert convert.summary.startswith("Mr. Jones is out: math becomes ")
    assert convert.summary.endswith(" time for 2 Howard")
