"""The independent stage-1 checker: a small hand-made kindergarten day that keeps every hard
constraint, then the same day broken in one way per test, with the exact violations expected.

The school: two kindergarten homerooms (K Stanford, 14 students; K Howard, 16 students), a day
from 8:00 to 10:00 with 5 minutes to pass between rooms, one humanities teacher (Ms. Rivera,
Room 103, 25 minutes of prep), a 30-seat Learning Lab supervised by one ILS (Mr. Okafor) at 30
students per adult, and a cafeteria for two cohorts with lunch between 9:30 and 10:00.

    K Stanford  8:00 literacy (103)  8:45 flex (101)  9:05 lab  9:40 lunch  10:00
    K Howard    8:00 lab  8:35 flex (102)  8:55 literacy (103)  9:40 lunch  10:00
"""

from dataclasses import replace
from typing import Any

from bench.reference import hm as at
from scheduling.solver.problem import (
    Assignment,
    Cohort,
    GradeTemplate,
    LabSupervision,
    Pin,
    PlacedBlock,
    Problem,
    Room,
    RoomKind,
    StaffMember,
    Station,
    Venue,
    Window,
)
from scheduling.solver.validate import Violation, validate

STANFORD, HOWARD = 1, 2
ROOM_101, ROOM_102, ROOM_103, LAB, CAFETERIA = 1, 2, 3, 10, 20
RIVERA, OKAFOR = 1, 2


def kindergarten_day() -> Problem:
    stations = (
        Station(
            "literacy", 40, 20, 40, max_blocks=2, venue=Venue.STAFF_ROOM, staff_role="humanities"
        ),
        Station("flex", 15, 15, 15, venue=Venue.HOMEROOM),
        Station("lab", 30, 30, 30, venue=Venue.LAB),
        Station("lunch", 20, 20, 20, venue=Venue.CAFETERIA, window=Window(at("9:30"), at("10:00"))),
    )
    return Problem(
        school=1,
        date="2025-09-02",
        day=Window(at("8:00"), at("10:00")),
        passing_minutes=5,
        granularity=5,
        rooms=(
            Room(ROOM_101, "Room 101", RoomKind.CLASSROOM, 30),
            Room(ROOM_102, "Room 102", RoomKind.CLASSROOM, 30),
            Room(ROOM_103, "Room 103", RoomKind.CLASSROOM, 30),
            Room(LAB, "Learning Lab", RoomKind.LEARNING_LAB, 30, grades=frozenset({0})),
            Room(CAFETERIA, "Cafeteria", RoomKind.CAFETERIA, 2),
        ),
        cohorts=(
            Cohort(STANFORD, "K Stanford", grade=0, students=14, homeroom=ROOM_101),
            Cohort(HOWARD, "K Howard", grade=0, students=16, homeroom=ROOM_102),
        ),
        templates=(GradeTemplate(0, stations),),
        staff=(
            StaffMember(
                RIVERA,
                "Ms. Rivera",
                frozenset({"humanities"}),
                room=ROOM_103,
                available=(Window(at("7:30"), at("10:30")),),
                prep_minutes=25,
            ),
            StaffMember(
                OKAFOR,
                "Mr. Okafor",
                frozenset({"ils"}),
                room=LAB,
                available=(Window(at("8:00"), at("10:00")),),
            ),
        ),
        assignments=(
            Assignment(STANFORD, "literacy", (RIVERA,)),
            Assignment(HOWARD, "literacy", (RIVERA,)),
        ),
        supervision=(LabSupervision(LAB, (OKAFOR,), students_per_adult=30),),
        pins=(
            Pin(STANFORD, "lab", at("9:05")),
            Pin(HOWARD, "literacy", at("8:55"), at("9:35")),
        ),
    )


def valid_schedule() -> tuple[PlacedBlock, ...]:
    return (
        PlacedBlock(STANFORD, "literacy", at("8:00"), at("8:40"), ROOM_103, (RIVERA,)),
        PlacedBlock(STANFORD, "flex", at("8:45"), at("9:00"), ROOM_101),
        PlacedBlock(STANFORD, "lab", at("9:05"), at("9:35"), LAB),
        PlacedBlock(STANFORD, "lunch", at("9:40"), at("10:00"), CAFETERIA),
        PlacedBlock(HOWARD, "lab", at("8:00"), at("8:30"), LAB),
        PlacedBlock(HOWARD, "flex", at("8:35"), at("8:50"), ROOM_102),
        PlacedBlock(HOWARD, "literacy", at("8:55"), at("9:35"), ROOM_103, (RIVERA,)),
        PlacedBlock(HOWARD, "lunch", at("9:40"), at("10:00"), CAFETERIA),
    )


def howard_following_stanfords_rotation() -> tuple[PlacedBlock, ...]:
    """Both cohorts on the same rotation: one teacher for both at 8:00, both in the lab at 9:05."""
    stanford = [b for b in valid_schedule() if b.cohort == STANFORD]
    howard = [
        replace(b, cohort=HOWARD, room=ROOM_102 if b.station == "flex" else b.room)
        for b in stanford
    ]
    return (*stanford, *howard)


def with_block(
    blocks: tuple[PlacedBlock, ...], cohort: int, station: str, /, **changes: Any
) -> tuple[PlacedBlock, ...]:
    """The schedule with one cohort's block of a station changed."""
    return tuple(
        replace(b, **changes) if (b.cohort, b.station) == (cohort, station) else b for b in blocks
    )


def split_block(
    blocks: tuple[PlacedBlock, ...], cohort: int, station: str, at_minute: int
) -> tuple[PlacedBlock, ...]:
    """The schedule with one cohort's block of a station cut in two at ``at_minute``."""
    result: list[PlacedBlock] = []
    for b in blocks:
        if (b.cohort, b.station) == (cohort, station):
            result += [replace(b, end=at_minute), replace(b, start=at_minute)]
        else:
            result.append(b)
    return tuple(result)


def with_station(problem: Problem, code: str, **changes: Any) -> Problem:
    """The problem with one station of the kindergarten template changed."""
    (template,) = problem.templates
    stations = tuple(replace(s, **changes) if s.code == code else s for s in template.stations)
    return replace(problem, templates=(replace(template, stations=stations),))


def with_staff(problem: Problem, staff_id: int, **changes: Any) -> Problem:
    staff = tuple(replace(s, **changes) if s.id == staff_id else s for s in problem.staff)
    return replace(problem, staff=staff)


def with_room(problem: Problem, room_id: int, **changes: Any) -> Problem:
    rooms = tuple(replace(r, **changes) if r.id == room_id else r for r in problem.rooms)
    return replace(problem, rooms=rooms)


# --- the valid day -----------------------------------------------------------------------------


def test_the_hand_made_kindergarten_day_keeps_every_hard_constraint() -> None:
    assert validate(kindergarten_day(), valid_schedule()) == ()


def test_the_order_of_the_blocks_given_does_not_matter() -> None:
    assert validate(kindergarten_day(), tuple(reversed(valid_schedule()))) == ()


def test_literacy_split_in_two_blocks_in_the_same_room_is_allowed() -> None:
    blocks = split_block(valid_schedule(), STANFORD, "literacy", at("8:20"))
    assert validate(kindergarten_day(), blocks) == ()


def test_availability_windows_that_touch_count_as_one_stretch() -> None:
    problem = with_staff(
        kindergarten_day(),
        RIVERA,
        available=(Window(at("7:30"), at("9:00")), Window(at("9:00"), at("10:30"))),
    )
    assert validate(problem, valid_schedule()) == ()


# --- H1: the day covered without overlap, with passing time ------------------------------------


def test_a_cohort_the_schedule_forgets_breaks_h1_and_misses_every_station() -> None:
    problem = kindergarten_day()
    problem = replace(
        problem,
        cohorts=(*problem.cohorts, Cohort(3, "K Spelman", grade=0, students=20, homeroom=4)),
    )
    assert validate(problem, valid_schedule()) == (
        Violation("H1", "K Spelman (cohort 3) has no blocks between 8:00 and 10:00", cohort=3),
        Violation(
            "H2",
            "K Spelman (cohort 3) has 0 minutes of flex; the grade K template requires 15",
            cohort=3,
        ),
        Violation(
            "H2",
            "K Spelman (cohort 3) has 0 minutes of lab; the grade K template requires 30",
            cohort=3,
        ),
        Violation(
            "H2",
            "K Spelman (cohort 3) has 0 minutes of literacy; the grade K template requires 40",
            cohort=3,
        ),
        Violation(
            "H2",
            "K Spelman (cohort 3) has 0 minutes of lunch; the grade K template requires 20",
            cohort=3,
        ),
    )


def test_a_block_of_a_cohort_the_school_does_not_have_breaks_h1() -> None:
    blocks = (*valid_schedule(), PlacedBlock(99, "lab", at("8:30"), at("9:00"), LAB))
    assert validate(kindergarten_day(), blocks) == (
        Violation("H1", "lab 8:30-9:00 belongs to unknown cohort 99", cohort=99),
    )


def test_a_block_that_ends_before_it_starts_breaks_h1() -> None:
    blocks = (*valid_schedule(), PlacedBlock(STANFORD, "flex", at("9:00"), at("9:00"), ROOM_101))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H1",
            "K Stanford (cohort 1)'s flex 9:00-9:00 ends at or before it starts",
            cohort=STANFORD,
        ),
    )


def test_a_cohort_left_without_a_block_for_ten_minutes_breaks_h1() -> None:
    """Its flex starts five minutes late, so it also has no time to pass to the lab."""
    blocks = with_block(valid_schedule(), STANFORD, "flex", start=at("8:50"), end=at("9:05"))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H1",
            "K Stanford (cohort 1) has 0 minutes to pass from Room 101 (room 1) to Learning Lab "
            "(room 10) at 9:05; passing takes 5",
            cohort=STANFORD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) is left without a block from 8:40 to 8:50, longer than the "
            "5-minute passing time",
            cohort=STANFORD,
        ),
    )


def test_flex_started_during_literacy_overlaps_it_and_leaves_a_hole_after() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "flex", start=at("8:35"), end=at("8:50"))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H1",
            "K Stanford (cohort 1) has literacy 8:00-8:40 and flex 8:35-8:50 at the same time",
            cohort=STANFORD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) is left without a block from 8:50 to 9:05, longer than the "
            "5-minute passing time",
            cohort=STANFORD,
        ),
    )


def test_ten_minutes_to_pass_breaks_h1_at_every_change_of_room_but_not_within_a_room() -> None:
    problem = replace(kindergarten_day(), passing_minutes=10)
    blocks = split_block(valid_schedule(), STANFORD, "literacy", at("8:20"))
    assert validate(problem, blocks) == (
        Violation(
            "H1",
            "K Howard (cohort 2) has 5 minutes to pass from Learning Lab (room 10) to Room 102 "
            "(room 2) at 8:30; passing takes 10",
            cohort=HOWARD,
        ),
        Violation(
            "H1",
            "K Howard (cohort 2) has 5 minutes to pass from Room 102 (room 2) to Room 103 "
            "(room 3) at 8:50; passing takes 10",
            cohort=HOWARD,
        ),
        Violation(
            "H1",
            "K Howard (cohort 2) has 5 minutes to pass from Room 103 (room 3) to Cafeteria "
            "(room 20) at 9:35; passing takes 10",
            cohort=HOWARD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has 5 minutes to pass from Learning Lab (room 10) to "
            "Cafeteria (room 20) at 9:35; passing takes 10",
            cohort=STANFORD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has 5 minutes to pass from Room 101 (room 1) to Learning Lab "
            "(room 10) at 9:00; passing takes 10",
            cohort=STANFORD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has 5 minutes to pass from Room 103 (room 3) to Room 101 "
            "(room 1) at 8:40; passing takes 10",
            cohort=STANFORD,
        ),
    )


def test_a_day_that_starts_before_the_first_blocks_breaks_h1_for_every_cohort() -> None:
    problem = replace(kindergarten_day(), day=Window(at("7:55"), at("10:00")))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H1",
            "K Howard (cohort 2) has no block from 7:55 to 8:00; the day starts at 7:55",
            cohort=HOWARD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has no block from 7:55 to 8:00; the day starts at 7:55",
            cohort=STANFORD,
        ),
    )


def test_blocks_before_arrival_or_after_dismissal_break_h1() -> None:
    """The shorter day also leaves the teacher less prep: it is counted within the day."""
    problem = replace(kindergarten_day(), day=Window(at("8:05"), at("9:55")))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H1", "K Howard (cohort 2) has lab 8:00-8:30 before the day starts at 8:05", cohort=2
        ),
        Violation(
            "H1", "K Howard (cohort 2) has lunch 9:40-10:00 after dismissal at 9:55", cohort=2
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has literacy 8:00-8:40 before the day starts at 8:05",
            cohort=1,
        ),
        Violation(
            "H1", "K Stanford (cohort 1) has lunch 9:40-10:00 after dismissal at 9:55", cohort=1
        ),
        Violation(
            "H7",
            "Ms. Rivera (staff 1) has at most 20 free minutes in a row for prep between 8:05 "
            "and 9:55; needs 25",
            staff=RIVERA,
        ),
    )


def test_a_dismissal_after_the_last_blocks_breaks_h1() -> None:
    problem = replace(kindergarten_day(), day=Window(at("8:00"), at("10:05")))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H1",
            "K Howard (cohort 2) has no block from 10:00 to 10:05; dismissal is at 10:05",
            cohort=HOWARD,
        ),
        Violation(
            "H1",
            "K Stanford (cohort 1) has no block from 10:00 to 10:05; dismissal is at 10:05",
            cohort=STANFORD,
        ),
    )


def test_blocks_off_a_ten_minute_grid_break_h1() -> None:
    problem = replace(kindergarten_day(), granularity=10)
    assert validate(problem, valid_schedule()) == (
        Violation("H1", "K Howard (cohort 2)'s flex 8:35-8:50 is off the 10-minute grid", cohort=2),
        Violation(
            "H1", "K Howard (cohort 2)'s literacy 8:55-9:35 is off the 10-minute grid", cohort=2
        ),
        Violation(
            "H1", "K Stanford (cohort 1)'s flex 8:45-9:00 is off the 10-minute grid", cohort=1
        ),
        Violation(
            "H1", "K Stanford (cohort 1)'s lab 9:05-9:35 is off the 10-minute grid", cohort=1
        ),
    )


# --- H2: each station's minutes in allowed blocks ----------------------------------------------


def test_literacy_needing_more_minutes_than_scheduled_breaks_h2() -> None:
    problem = with_station(kindergarten_day(), "literacy", minutes=45, block_max=45)
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H2",
            "K Howard (cohort 2) has 40 minutes of literacy; the grade K template requires 45",
            cohort=HOWARD,
        ),
        Violation(
            "H2",
            "K Stanford (cohort 1) has 40 minutes of literacy; the grade K template requires 45",
            cohort=STANFORD,
        ),
    )


def test_literacy_split_in_two_when_it_may_not_be_split_breaks_h2() -> None:
    problem = with_station(kindergarten_day(), "literacy", max_blocks=1)
    blocks = split_block(valid_schedule(), STANFORD, "literacy", at("8:20"))
    assert validate(problem, blocks) == (
        Violation(
            "H2",
            "K Stanford (cohort 1) has 2 blocks of literacy; at most 1 allowed",
            cohort=STANFORD,
        ),
    )


def test_a_literacy_block_shorter_than_allowed_breaks_h2() -> None:
    blocks = split_block(valid_schedule(), STANFORD, "literacy", at("8:10"))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H2",
            "K Stanford (cohort 1) has literacy 8:00-8:10 lasting 10 minutes; literacy blocks "
            "last 20 to 40 minutes",
            cohort=STANFORD,
        ),
    )


def test_lab_blocks_off_the_stations_twenty_minute_step_break_h2() -> None:
    problem = with_station(kindergarten_day(), "lab", step=20)
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H2",
            "K Howard (cohort 2) has lab 8:00-8:30 lasting 30 minutes, not a multiple of 20",
            cohort=HOWARD,
        ),
        Violation(
            "H2",
            "K Stanford (cohort 1) has lab 9:05-9:35 lasting 30 minutes, not a multiple of 20",
            cohort=STANFORD,
        ),
    )


def test_a_station_the_grade_does_not_have_breaks_h2() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "flex", station="art")
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H2",
            "K Stanford (cohort 1) has 0 minutes of flex; the grade K template requires 15",
            cohort=STANFORD,
        ),
        Violation(
            "H2",
            "K Stanford (cohort 1) has art 8:45-9:00, a station not in the grade K template",
            cohort=STANFORD,
        ),
    )


def test_a_cohort_of_a_grade_without_a_template_breaks_h2() -> None:
    problem = kindergarten_day()
    stanford = replace(problem.cohorts[0], grade=1)
    problem = replace(problem, cohorts=(stanford, problem.cohorts[1]))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H2", "K Stanford (cohort 1) is in grade 1, which has no rotation template", cohort=1
        ),
    )


# --- H3: fixed events inside their windows -----------------------------------------------------


def test_lunch_outside_its_window_breaks_h3() -> None:
    problem = with_station(kindergarten_day(), "lunch", window=Window(at("9:30"), at("9:50")))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H3",
            "K Howard (cohort 2) has lunch 9:40-10:00 outside its window 9:30-9:50",
            cohort=HOWARD,
        ),
        Violation(
            "H3",
            "K Stanford (cohort 1) has lunch 9:40-10:00 outside its window 9:30-9:50",
            cohort=STANFORD,
        ),
    )


# --- H4: staff and single-cohort rooms ---------------------------------------------------------


def test_literacy_without_its_teacher_breaks_h4() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "literacy", staff=())
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s literacy 8:00-8:40 has no humanities staff",
            cohort=STANFORD,
        ),
    )


def test_literacy_with_two_teachers_breaks_h4() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "literacy", staff=(RIVERA, OKAFOR))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s literacy 8:00-8:40 has 2 staff (Ms. Rivera (staff 1), "
            "Mr. Okafor (staff 2)); it takes exactly one",
            cohort=STANFORD,
        ),
    )


def test_literacy_taken_by_staff_the_school_does_not_have_breaks_h4() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "literacy", staff=(99,))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s literacy 8:00-8:40 is taken by unknown staff 99",
            cohort=STANFORD,
            staff=99,
        ),
    )


def test_a_teacher_without_the_stations_role_breaks_h4() -> None:
    problem = with_staff(kindergarten_day(), RIVERA, roles=frozenset({"stem"}))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H4",
            "Ms. Rivera (staff 1) takes K Howard (cohort 2)'s literacy 8:55-9:35 without the "
            "humanities role",
            cohort=HOWARD,
            staff=RIVERA,
        ),
        Violation(
            "H4",
            "Ms. Rivera (staff 1) takes K Stanford (cohort 1)'s literacy 8:00-8:40 without the "
            "humanities role",
            cohort=STANFORD,
            staff=RIVERA,
        ),
    )


def test_a_teacher_not_assigned_to_the_cohort_breaks_h4() -> None:
    problem = replace(
        kindergarten_day(), assignments=(Assignment(STANFORD, "literacy", (RIVERA,)),)
    )
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H4",
            "Ms. Rivera (staff 1) takes K Howard (cohort 2)'s literacy 8:55-9:35 but is not "
            "assigned to it",
            cohort=HOWARD,
            staff=RIVERA,
        ),
    )


def test_an_absent_teacher_breaks_h4_and_owes_no_prep() -> None:
    problem = with_staff(kindergarten_day(), RIVERA, available=())
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H4",
            "Ms. Rivera (staff 1) takes K Howard (cohort 2)'s literacy 8:55-9:35 but is not "
            "available then",
            cohort=HOWARD,
            staff=RIVERA,
        ),
        Violation(
            "H4",
            "Ms. Rivera (staff 1) takes K Stanford (cohort 1)'s literacy 8:00-8:40 but is not "
            "available then",
            cohort=STANFORD,
            staff=RIVERA,
        ),
    )


def test_staff_on_lunch_which_takes_none_breaks_h4() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "lunch", staff=(OKAFOR,))
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s lunch 9:40-10:00 has staff Mr. Okafor (staff 2); lunch "
            "takes no staff",
            cohort=STANFORD,
            staff=OKAFOR,
        ),
    )


def test_a_lab_block_held_in_the_homeroom_breaks_h4() -> None:
    blocks = with_block(valid_schedule(), STANFORD, "lab", room=ROOM_101)
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s lab 9:05-9:35 is in Room 101 (room 1); it belongs in "
            "Learning Lab (room 10)",
            cohort=STANFORD,
            room=ROOM_101,
        ),
    )


def test_literacy_in_the_wrong_teachers_room_breaks_h4() -> None:
    problem = with_staff(kindergarten_day(), RIVERA, room=ROOM_102)
    blocks = with_block(valid_schedule(), HOWARD, "literacy", room=ROOM_102)
    assert validate(problem, blocks) == (
        Violation(
            "H4",
            "K Stanford (cohort 1)'s literacy 8:00-8:40 is in Room 103 (room 3); it belongs in "
            "Room 102 (room 2)",
            cohort=STANFORD,
            room=ROOM_103,
        ),
    )


def test_two_cohorts_given_one_rotation_put_their_teacher_and_her_room_in_two_places() -> None:
    problem = replace(kindergarten_day(), pins=())
    assert validate(problem, howard_following_stanfords_rotation()) == (
        Violation(
            "H4",
            "Ms. Rivera (staff 1) is in two places at once: K Stanford (cohort 1)'s literacy "
            "8:00-8:40 and K Howard (cohort 2)'s literacy 8:00-8:40",
            staff=RIVERA,
        ),
        Violation(
            "H4",
            "Room 103 (room 3) holds K Stanford (cohort 1)'s literacy 8:00-8:40 and K Howard "
            "(cohort 2)'s literacy 8:00-8:40 at once",
            room=ROOM_103,
        ),
    )


def test_flex_in_the_neighbouring_homeroom_puts_two_cohorts_in_one_classroom() -> None:
    blocks = with_block(valid_schedule(), HOWARD, "flex", room=ROOM_101)
    assert validate(kindergarten_day(), blocks) == (
        Violation(
            "H4",
            "K Howard (cohort 2)'s flex 8:35-8:50 is in Room 101 (room 1); it belongs in "
            "Room 102 (room 2)",
            cohort=HOWARD,
            room=ROOM_101,
        ),
        Violation(
            "H4",
            "Room 101 (room 1) holds K Howard (cohort 2)'s flex 8:35-8:50 and K Stanford "
            "(cohort 1)'s flex 8:45-9:00 at once",
            room=ROOM_101,
        ),
    )


# --- H5: shared rooms within capacity ----------------------------------------------------------


def test_a_lab_with_fewer_seats_than_a_cohort_breaks_h5() -> None:
    problem = with_room(kindergarten_day(), LAB, capacity=15)
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H5", "Learning Lab (room 10) has 16 students from 8:00 to 8:30; it seats 15", room=LAB
        ),
    )


def test_two_cohorts_in_the_lab_at_once_count_their_students_together() -> None:
    problem = replace(with_room(kindergarten_day(), LAB, capacity=29), pins=())
    assert validate(problem, howard_following_stanfords_rotation()) == (
        Violation(
            "H4",
            "Ms. Rivera (staff 1) is in two places at once: K Stanford (cohort 1)'s literacy "
            "8:00-8:40 and K Howard (cohort 2)'s literacy 8:00-8:40",
            staff=RIVERA,
        ),
        Violation(
            "H4",
            "Room 103 (room 3) holds K Stanford (cohort 1)'s literacy 8:00-8:40 and K Howard "
            "(cohort 2)'s literacy 8:00-8:40 at once",
            room=ROOM_103,
        ),
        Violation(
            "H5", "Learning Lab (room 10) has 30 students from 9:05 to 9:35; it seats 29", room=LAB
        ),
    )


def test_a_cafeteria_for_one_cohort_at_a_time_breaks_h5_at_a_shared_lunch() -> None:
    problem = with_room(kindergarten_day(), CAFETERIA, capacity=1)
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H5", "Cafeteria (room 20) has 2 cohorts from 9:40 to 10:00; it holds 1", room=CAFETERIA
        ),
    )


# --- H6: enough adults supervising the lab -----------------------------------------------------


def test_the_ils_leaving_at_nine_leaves_the_lab_unsupervised_and_breaks_h6() -> None:
    problem = with_staff(kindergarten_day(), OKAFOR, available=(Window(at("8:00"), at("9:00")),))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H6",
            "Learning Lab (room 10) has 14 students from 9:05 to 9:35 with 0 supervising "
            "adults; at 30 students per adult it needs 1",
            room=LAB,
        ),
    )


def test_a_lower_students_per_adult_ratio_breaks_h6_for_the_larger_cohort() -> None:
    problem = replace(
        kindergarten_day(), supervision=(LabSupervision(LAB, (OKAFOR,), students_per_adult=15),)
    )
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H6",
            "Learning Lab (room 10) has 16 students from 8:00 to 8:30 with 1 supervising "
            "adult; at 15 students per adult it needs 2",
            room=LAB,
        ),
    )


# --- H7: one stretch of prep -------------------------------------------------------------------


def test_a_teacher_owed_more_prep_than_her_longest_free_stretch_breaks_h7() -> None:
    problem = with_staff(kindergarten_day(), RIVERA, prep_minutes=30)
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H7",
            "Ms. Rivera (staff 1) has at most 25 free minutes in a row for prep between 8:00 "
            "and 10:00; needs 30",
            staff=RIVERA,
        ),
    )


def test_prep_must_fall_inside_the_prep_window() -> None:
    problem = replace(kindergarten_day(), prep_window=Window(at("8:00"), at("9:30")))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H7",
            "Ms. Rivera (staff 1) has at most 15 free minutes in a row for prep between 8:00 "
            "and 9:30; needs 25",
            staff=RIVERA,
        ),
    )


def test_prep_counts_only_the_hours_the_teacher_is_there() -> None:
    problem = with_staff(kindergarten_day(), RIVERA, available=(Window(at("7:30"), at("9:50")),))
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H7",
            "Ms. Rivera (staff 1) has at most 15 free minutes in a row for prep between 8:00 "
            "and 10:00; needs 25",
            staff=RIVERA,
        ),
    )


# --- H8: pins ----------------------------------------------------------------------------------


def test_a_pin_at_another_start_breaks_h8() -> None:
    problem = replace(
        kindergarten_day(), pins=(Pin(STANFORD, "lab", at("9:00")), *kindergarten_day().pins[1:])
    )
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H8",
            "K Stanford (cohort 1) is pinned to lab at 9:00 but has no such block",
            cohort=STANFORD,
        ),
    )


def test_a_pin_with_another_end_breaks_h8() -> None:
    problem = replace(
        kindergarten_day(),
        pins=(*kindergarten_day().pins[:1], Pin(HOWARD, "literacy", at("8:55"), at("9:30"))),
    )
    assert validate(problem, valid_schedule()) == (
        Violation(
            "H8",
            "K Howard (cohort 2) is pinned to literacy 8:55-9:30 but has no such block",
            cohort=HOWARD,
        ),
    )


# --- all at once -------------------------------------------------------------------------------


def test_every_violation_is_listed_sorted_by_constraint_then_message() -> None:
    problem = with_room(kindergarten_day(), CAFETERIA, capacity=1)
    problem = with_staff(problem, RIVERA, prep_minutes=30)
    blocks = with_block(valid_schedule(), STANFORD, "lab", room=ROOM_101)
    found = validate(problem, blocks)
    assert [v.constraint for v in found] == ["H4", "H5", "H7"]
    assert found == tuple(sorted(found, key=lambda v: (v.constraint, v.message)))
