"""``problem_for`` freezes a school's configuration for one date into the solver's ``Problem``.

The school is the kindergarten day of ``test_validate`` stored in the database: two homerooms
(K Howard, 16 students; K Stanford, 14), a day from 8:00 to 10:00 with 5 minutes to pass, Ms.
Rivera teaching literacy in Room 103 with 25 minutes of prep, a 30-seat Learning Lab supervised
by Mr. Okafor, and a cafeteria for two cohorts with lunch between 9:30 and 10:00.
"""

import datetime
from dataclasses import dataclass

import pytest

from bench.reference import hm as at
from scheduling.models import (
    CalendarDay,
    RoomKind,
    ScheduleStatus,
    SchoolSchedulingSettings,
    StationCode,
    Venue,
)
from scheduling.selectors.problem import NoDayType, NotAnInstructionalDay, problem_for
from scheduling.solver import problem as p
from scheduling.solver.stage1 import solve
from scheduling.solver.validate import validate
from students.models import Cohort, GradeLevel, Role, School, Staff

from ..factories import (
    CohortFactory,
    GradeFactory,
    RoomFactory,
    SchoolFactory,
    StaffFactory,
    StudentFactory,
    UserFactory,
)
from ..solver_limits import work_limited
from .factories import (
    CalendarDayFactory,
    DayTypeFactory,
    HomeroomFactory,
    LabFactory,
    LabSupervisionFactory,
    PinFactory,
    RotationTemplateFactory,
    ScheduledBlockFactory,
    ScheduleFactory,
    StaffAbsenceFactory,
    StaffingAssignmentFactory,
    TeachingRoomFactory,
    TemplateStationFactory,
    add_stations,
)

pytestmark = pytest.mark.django_db

DATE = datetime.date(2026, 9, 1)
T = datetime.time


@dataclass
class Kindergarten:
    school: School
    stanford: Cohort
    howard: Cohort
    rooms: dict[str, int]
    rivera: Staff
    okafor: Staff


def add_cohort(school: School, name: str, students: int, **grade) -> Cohort:
    cohort = CohortFactory.create(
        school=school, grade=GradeFactory.create(school=school, **grade), name=name
    )
    HomeroomFactory.create(school=school, homeroom_of=cohort, name=f"Room of {name}")
    StudentFactory.create_batch(students, school=school, cohort=cohort, grade=cohort.grade)
    return cohort


def kindergarten() -> Kindergarten:
    school = SchoolFactory.create(name="Alder")
    day_type = DayTypeFactory.create(
        school=school,
        name="Regular day",
        arrival=T(7, 30),
        day_start=T(8, 0),
        dismissal=T(10, 0),
        passing_minutes=5,
    )
    CalendarDayFactory.create(school=school, date=DATE, day_type=day_type)
    SchoolSchedulingSettings.objects.create(school=school, prep_minutes=25)
    grade = GradeFactory.create(school=school, level=GradeLevel.K)
    template = RotationTemplateFactory.create(school=school, grade=grade, day_type=day_type)
    add_stations(
        template,
        [
            ("literacy", 40, 20, 40, 2, Venue.STAFF_ROOM, Role.HUMANITIES, None),
            ("flex", 15, 15, 15, 1, Venue.HOMEROOM, "", None),
            ("lab", 30, 30, 30, 1, Venue.LAB, "", None),
            ("lunch", 20, 20, 20, 1, Venue.CAFETERIA, "", (T(9, 30), T(10, 0))),
        ],
    )

    stanford = CohortFactory.create(school=school, grade=grade, name="K Stanford")
    howard = CohortFactory.create(school=school, grade=grade, name="K Howard")
    room_101 = HomeroomFactory.create(school=school, name="Room 101", homeroom_of=stanford)
    room_102 = HomeroomFactory.create(school=school, name="Room 102", homeroom_of=howard)
    room_103 = RoomFactory.create(school=school, name="Room 103")
    lab = LabFactory.create(school=school, name="Learning Lab", capacity=30)
    lab.grades.set([grade])
    cafeteria = RoomFactory.create(
        school=school, name="Cafeteria", kind=RoomKind.CAFETERIA, capacity=2
    )
    StudentFactory.create_batch(14, school=school, cohort=stanford, grade=grade)
    StudentFactory.create_batch(16, school=school, cohort=howard, grade=grade)
    # Neither counts on DATE: one left in August, one starts next week.
    StudentFactory.create(
        school=school,
        cohort=stanford,
        grade=grade,
        enrollment_start=datetime.date(2026, 8, 12),
        enrollment_end=datetime.date(2026, 8, 31),
    )
    StudentFactory.create(
        school=school, cohort=howard, grade=grade, enrollment_start=datetime.date(2026, 9, 8)
    )

    rivera = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Ms.", last_name="Rivera"),
        roles=[Role.HUMANITIES],
        work_start=T(7, 30),
        work_end=T(10, 30),
    )
    okafor = StaffFactory.create(
        school=school,
        user=UserFactory.create(first_name="Mr.", last_name="Okafor"),
        roles=[Role.ILS],
        work_start=T(8, 0),
        work_end=T(10, 0),
    )
    StaffFactory.create(
        school=school, roles=[Role.HUMANITIES], active=False
    )  # left: not in the day
    TeachingRoomFactory.create(school=school, staff=rivera, room=room_103)
    LabSupervisionFactory.create(
        school=school, lab=lab, supervisors=[okafor], students_per_adult=30
    )
    for cohort in (stanford, howard):
        StaffingAssignmentFactory.create(
            school=school, cohort=cohort, station=StationCode.LITERACY, staff=[rivera]
        )
    PinFactory.create(
        school=school, cohort=stanford, station="lab", date=DATE, day_type=None, start=T(9, 5)
    )
    PinFactory.create(
        school=school,
        cohort=howard,
        station="literacy",
        day_type=day_type,
        start=T(8, 55),
        end=T(9, 35),
    )
    rooms = {
        "101": room_101.pk,
        "102": room_102.pk,
        "103": room_103.pk,
        "lab": lab.pk,
        "cafeteria": cafeteria.pk,
    }
    return Kindergarten(school, stanford, howard, rooms, rivera, okafor)


def test_the_problem_holds_the_schools_configuration_for_the_date():
    k = kindergarten()

    problem = problem_for(school=k.school, date=DATE)

    rooms = k.rooms
    assert problem == p.Problem(
        school=k.school.pk,
        date="2026-09-01",
        day=p.Window(at("8:00"), at("10:00")),
        passing_minutes=5,
        granularity=5,
        rooms=(
            p.Room(rooms["101"], "Room 101", p.RoomKind.CLASSROOM, 30),
            p.Room(rooms["102"], "Room 102", p.RoomKind.CLASSROOM, 30),
            p.Room(rooms["103"], "Room 103", p.RoomKind.CLASSROOM, 30),
            p.Room(rooms["lab"], "Learning Lab", p.RoomKind.LEARNING_LAB, 30, frozenset({0})),
            p.Room(rooms["cafeteria"], "Cafeteria", p.RoomKind.CAFETERIA, 2),
        ),
        cohorts=(
            p.Cohort(k.howard.pk, "K Howard", grade=0, students=16, homeroom=rooms["102"]),
            p.Cohort(k.stanford.pk, "K Stanford", grade=0, students=14, homeroom=rooms["101"]),
        ),
        templates=(
            p.GradeTemplate(
                0,
                (
                    p.Station(
                        "literacy",
                        40,
                        20,
                        40,
                        max_blocks=2,
                        venue=p.Venue.STAFF_ROOM,
                        staff_role="humanities",
                    ),
                    p.Station("lab", 30, 30, 30, venue=p.Venue.LAB),
                    p.Station("flex", 15, 15, 15, venue=p.Venue.HOMEROOM),
                    p.Station(
                        "lunch",
                        20,
                        20,
                        20,
                        venue=p.Venue.CAFETERIA,
                        window=p.Window(at("9:30"), at("10:00")),
                    ),
                ),
            ),
        ),
        staff=(
            p.StaffMember(
                k.rivera.pk,
                "Ms. Rivera",
                frozenset({"humanities"}),
                room=rooms["103"],
                available=(p.Window(at("7:30"), at("10:30")),),
                prep_minutes=25,
            ),
            p.StaffMember(
                k.okafor.pk,
                "Mr. Okafor",
                frozenset({"ils"}),
                room=rooms["lab"],
                available=(p.Window(at("8:00"), at("10:00")),),
            ),
        ),
        assignments=(
            p.Assignment(k.stanford.pk, "literacy", (k.rivera.pk,)),
            p.Assignment(k.howard.pk, "literacy", (k.rivera.pk,)),
        ),
        supervision=(p.LabSupervision(rooms["lab"], (k.okafor.pk,), students_per_adult=30),),
        prep_window=None,
        pins=(
            p.Pin(k.stanford.pk, "lab", at("9:05")),
            p.Pin(k.howard.pk, "literacy", at("8:55"), at("9:35")),
        ),
        previous=(),
        weights=p.Weights(
            stability=100, preferences=10, transitions=5, lab_balance=1, compact_staff=1
        ),
        # The school's well-being rules, at their defaults (10:45-13:30: nobody here is there).
        wellbeing=p.WellBeing(
            lunch_minutes=30, lunch_window=p.Window(at("10:45"), at("13:30")), max_stretch=150
        ),
    )


def test_the_problem_solves_and_the_independent_validator_accepts_the_schedule():
    problem = problem_for(school=kindergarten().school, date=DATE)

    result = solve(problem, work_limited(workers=1))

    assert isinstance(result, p.Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()


def test_a_partial_absence_splits_the_staff_members_day():
    k = kindergarten()
    StaffAbsenceFactory.create(
        school=k.school, staff=k.rivera, date=DATE, start=T(8, 30), end=T(9, 0)
    )
    StaffAbsenceFactory.create(
        school=k.school, staff=k.okafor, date=DATE + datetime.timedelta(days=1)
    )

    staff = {s.id: s for s in problem_for(school=k.school, date=DATE).staff}

    assert staff[k.rivera.pk].available == (
        p.Window(at("7:30"), at("8:30")),
        p.Window(at("9:00"), at("10:30")),
    )
    assert staff[k.okafor.pk].available == (p.Window(at("8:00"), at("10:00")),)


def test_open_ended_and_all_day_absences():
    k = kindergarten()
    StaffAbsenceFactory.create(school=k.school, staff=k.rivera, date=DATE, start=T(9, 15))
    StaffAbsenceFactory.create(school=k.school, staff=k.okafor, date=DATE)

    staff = {s.id: s for s in problem_for(school=k.school, date=DATE).staff}

    assert staff[k.rivera.pk].available == (p.Window(at("7:30"), at("9:15")),)
    assert staff[k.okafor.pk].available == ()


def test_prep_window_and_weights_come_from_the_schools_settings():
    k = kindergarten()
    SchoolSchedulingSettings.objects.filter(school=k.school).update(
        prep_window_start=T(8, 0), prep_window_end=T(10, 0), stability_weight=0
    )

    problem = problem_for(school=k.school, date=DATE)

    assert problem.prep_window == p.Window(at("8:00"), at("10:00"))
    assert problem.weights == p.Weights(stability=0)


def test_previous_is_the_latest_published_day_of_the_same_day_type():
    k = kindergarten()
    regular = k.school.day_types.get()
    minimum = DayTypeFactory.create(school=k.school, name="Minimum day")
    older = ScheduleFactory.create(
        school=k.school,
        day_type=regular,
        date=DATE - datetime.timedelta(days=7),
        status=ScheduleStatus.PUBLISHED,
    )
    latest = ScheduleFactory.create(
        school=k.school,
        day_type=regular,
        date=DATE - datetime.timedelta(days=6),
        status=ScheduleStatus.PUBLISHED,
    )
    for schedule in (
        older,
        ScheduleFactory.create(
            school=k.school, day_type=regular, date=DATE - datetime.timedelta(days=5)
        ),
        ScheduleFactory.create(
            school=k.school,
            day_type=minimum,
            date=DATE - datetime.timedelta(days=4),
            status=ScheduleStatus.PUBLISHED,
        ),
    ):
        ScheduledBlockFactory.create(schedule=schedule, cohort=k.howard, station="flex")
    ScheduledBlockFactory.create(
        schedule=latest,
        cohort=k.stanford,
        station="literacy",
        start=T(8, 0),
        end=T(8, 40),
        room_id=k.rooms["103"],
        staff=k.rivera,
    )
    ScheduledBlockFactory.create(
        schedule=latest,
        cohort=k.stanford,
        station="flex",
        start=T(8, 45),
        end=T(9, 0),
        room_id=k.rooms["101"],
    )

    problem = problem_for(school=k.school, date=DATE)

    assert problem.previous == (
        p.PlacedBlock(
            k.stanford.pk, "literacy", at("8:00"), at("8:40"), k.rooms["103"], (k.rivera.pk,)
        ),
        p.PlacedBlock(k.stanford.pk, "flex", at("8:45"), at("9:00"), k.rooms["101"]),
    )


def test_a_holiday_is_not_an_instructional_day():
    school = SchoolFactory.create(name="Alder")
    thanksgiving = datetime.date(2026, 11, 26)
    CalendarDay.objects.create(
        school=school, date=thanksgiving, instructional=False, note="Thanksgiving"
    )

    with pytest.raises(NotAnInstructionalDay) as refused:
        problem_for(school=school, date=thanksgiving)

    assert (
        str(refused.value) == "Nov. 26, 2026 is not an instructional day at Alder (Thanksgiving)."
    )


def test_a_date_missing_from_the_calendar_has_no_day_type():
    school = SchoolFactory.create(name="Alder")

    with pytest.raises(NoDayType) as refused:
        problem_for(school=school, date=DATE)

    assert str(refused.value) == (
        "Sept. 1, 2026 has no day type at Alder: add it to the calendar first."
    )


def grow(k: Kindergarten, n: int) -> None:
    """One more first-grade cohort with everything that hangs off a cohort."""
    cohort = add_cohort(k.school, f"1 College {n}", 3, level=GradeLevel.FIRST)
    regular = k.school.day_types.get(name="Regular day")
    if n == 0:
        template = RotationTemplateFactory.create(
            school=k.school, grade=cohort.grade, day_type=regular
        )
        TemplateStationFactory.create(
            template=template, code="flex", venue=Venue.HOMEROOM, staff_role=""
        )
        k.school.rooms.get(name="Learning Lab").grades.add(cohort.grade)
    teacher = StaffFactory.create(school=k.school, roles=[Role.HUMANITIES, Role.TUTOR])
    TeachingRoomFactory.create(
        school=k.school, staff=teacher, room=RoomFactory.create(school=k.school)
    )
    StaffingAssignmentFactory.create(
        school=k.school, cohort=cohort, station="literacy", staff=[teacher, k.rivera]
    )
    StaffAbsenceFactory.create(school=k.school, staff=teacher, date=DATE, start=T(9, 0))
    PinFactory.create(
        school=k.school, cohort=cohort, station="flex", day_type=regular, start=T(8, 0)
    )
    schedule = ScheduleFactory.create(
        school=k.school,
        day_type=regular,
        date=DATE - datetime.timedelta(days=n + 1),
        status=ScheduleStatus.PUBLISHED,
    )
    ScheduledBlockFactory.create(schedule=schedule, cohort=cohort, staff=teacher)


QUERIES = 14


def test_the_query_count_stays_fixed_as_the_school_grows(django_assert_num_queries):
    k = kindergarten()
    grow(k, 0)
    with django_assert_num_queries(QUERIES):
        small = problem_for(school=k.school, date=DATE)

    for n in range(1, 6):
        grow(k, n)
    with django_assert_num_queries(QUERIES):
        large = problem_for(school=k.school, date=DATE)

    assert (len(small.cohorts), len(large.cohorts)) == (3, 8)
    assert len(large.staff) == len(small.staff) + 5
    assert len(large.assignments) == len(small.assignments) + 5
    assert len(large.pins) == len(small.pins) + 5
