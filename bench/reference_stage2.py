"""A realistic stage-2 problem for a reference shape, for tests and the benchmark.

Shape M is 24 cohorts of 25 students, shape L 48. Each cohort has one 100-minute lab block and
one 30-minute flexible block, either taken from a stage-1 solution of ``reference_problem(shape)``
(pass its blocks) or synthesised the way stage 1 lays them out: each lab holds as many cohorts at
a time as its seats allow (three in M's 80-seat labs, four in L's 110-seat ones) in four waves
between 8:15 and 15:15, a few starting five minutes late, and each cohort's flexible block falls
outside its lab block.

Students: 10% have IEP minutes today (resource room 30 minutes in groups of at most 3-5, a third
of them speech 15-30 minutes in sessions of that length, groups of at most 2-3), 20% are English
learners with 30 ELD minutes in groups of at most 5. Per 24 cohorts (M; twice as many for L):
two resource teachers, one speech therapist and three ELD teachers deliver them; three tutors
take groups of four. Places: each lab has a computer zone with a seat per lab seat and two
small-group zones of 6; each resource teacher, speech therapist and ELD teacher has a room of 6.
Programs: DreamBox (every grade) and Accelerated Reader with the default 25-minute minimum
session, ST Math 30, HeadSprout 20. Need per subject is drawn from a Beta(2, 3) (most students
near 0.4, a tail far behind). Everything follows from ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from scheduling.solver.plan_inputs import lab_blocks
from scheduling.solver.plans import (
    BlockKind,
    LabBlock,
    LabProgram,
    Place,
    PlaceKind,
    PlanProblem,
    PlanSegment,
    Provider,
    ServiceDue,
    StudentDay,
    Tutor,
)
from scheduling.solver.problem import PlacedBlock, Problem, RoomKind, Window

from .reference import SHAPES, STUDENTS_PER_COHORT, hm, reference_problem

SUBJECTS = ("math", "literacy")
PROVIDER_HOURS = (Window(hm("8:15"), hm("15:15")),)
LAB_WAVES = (hm("8:15"), hm("10:00"), hm("11:45"), hm("13:35"))  # 100-minute blocks
FLEX_STARTS = (hm("8:15"), hm("9:55"), hm("10:30"), hm("12:30"), hm("13:05"), hm("14:45"))
FLEX_MINUTES = 30
LAB_MINUTES = 100
IEP_SHARE = 0.10
EL_SHARE = 0.20

# Provider, tutor and place ids sit far from stage-1 ids so a mix-up shows in a test. Shape M
# has the first of each; L (twice the cohorts) the first two per M one.
RESOURCE_TEACHERS = (9001, 9002, 9004, 9005)
SPEECH_THERAPISTS = (9003, 9006)
SPEECH_THERAPIST = SPEECH_THERAPISTS[0]
ELD_TEACHERS = (9011, 9012, 9013, 9014, 9015, 9016)
TUTORS = (9101, 9102, 9103, 9104, 9105, 9106)
FIRST_STUDENT_ID = 100_001
FIRST_PLACE_ID = 9501
GROUP_ROOM_SEATS = 6  # a resource room, a speech room, a lab's small-group zone
M_COHORTS_PER_GRADE = 4

PROGRAMS = (
    LabProgram(1, "math"),  # adaptive math, every grade (DreamBox)
    LabProgram(2, "math", frozenset({3, 4, 5}), min_minutes=30),  # ST Math, upper grades
    LabProgram(3, "literacy", frozenset({0, 1, 2}), min_minutes=20),  # HeadSprout
    LabProgram(4, "literacy", frozenset({2, 3, 4, 5})),  # Accelerated Reader
)


def synthetic_blocks(problem: Problem, rng: random.Random) -> tuple[LabBlock, ...]:
    """Lab blocks in waves of three cohorts per lab, and a flexible block outside each."""
    blocks: list[LabBlock] = []
    labs = [r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB]
    for lab in labs:
        cohorts = sorted(
            (c for c in problem.cohorts if c.grade in lab.grades), key=lambda c: (c.grade, c.id)
        )
        per_wave = max(1, lab.capacity // STUDENTS_PER_COHORT)
        for index, cohort in enumerate(cohorts):
            wave = LAB_WAVES[(index // per_wave) % len(LAB_WAVES)]
            late = 5 if index % per_wave == per_wave - 1 and wave != LAB_WAVES[-1] else 0
            start = wave + late
            blocks.append(LabBlock(cohort.id, BlockKind.LAB, start, start + LAB_MINUTES, lab.id))
            options = [
                s for s in FLEX_STARTS if s + FLEX_MINUTES <= start or s >= start + LAB_MINUTES
            ]
            flex = rng.choice(options)
            blocks.append(
                LabBlock(cohort.id, BlockKind.FLEX, flex, flex + FLEX_MINUTES, cohort.homeroom)
            )
    return tuple(sorted(blocks, key=lambda b: (b.cohort, b.start)))


def reference_places(problem: Problem, scale: int) -> tuple[Place, ...]:
    """Each lab's computer zone and two small-group zones, and a room per specialist."""
    places: list[Place] = []

    def add(
        kind: PlaceKind, capacity: int, lab: int | None = None, computers: bool = False
    ) -> None:
        places.append(
            Place(FIRST_PLACE_ID + len(places), kind, capacity, PROVIDER_HOURS, lab, computers)
        )

    for lab in sorted(
        (r for r in problem.rooms if r.kind == RoomKind.LEARNING_LAB), key=lambda r: r.id
    ):
        add(PlaceKind.LAB_ZONE, lab.capacity, lab.id, computers=True)
        for _ in range(2):
            add(PlaceKind.LAB_ZONE, GROUP_ROOM_SEATS, lab.id)
    for _ in range(scale * (2 + 1 + 3)):  # resource, speech, ELD
        add(PlaceKind.RESOURCE_ROOM, GROUP_ROOM_SEATS)
    return tuple(places)


def reference_plan_problem(
    shape: str = "M",
    *,
    seed: int = 0,
    placed: Iterable[PlacedBlock] | None = None,
    previous: tuple[PlanSegment, ...] = (),
    tutors: int | None = None,
) -> PlanProblem:
    """The stage-2 problem of a reference shape; blocks from ``placed`` (stage 1) if given.
    ``tutors`` defaults to three per 24 cohorts."""
    problem = reference_problem(shape)
    scale = max(1, SHAPES[shape].cohorts_per_grade // M_COHORTS_PER_GRADE)
    rng = random.Random(seed)
    blocks = lab_blocks(problem, placed) if placed is not None else synthetic_blocks(problem, rng)
    students: list[StudentDay] = []
    next_id = FIRST_STUDENT_ID
    for cohort in sorted(problem.cohorts, key=lambda c: c.id):
        for _ in range(cohort.students):
            need = tuple((s, round(rng.betavariate(2, 3), 2)) for s in SUBJECTS)
            students.append(StudentDay(next_id, cohort.id, cohort.grade, need))
            next_id += 1
    count = len(students)
    iep = set(rng.sample([s.id for s in students], round(count * IEP_SHARE)))
    learners = set(rng.sample([s.id for s in students], round(count * EL_SHARE)))
    students = [
        StudentDay(s.id, s.cohort, s.grade, s.need, english_learner=s.id in learners)
        for s in students
    ]
    services: list[ServiceDue] = []
    resource = RESOURCE_TEACHERS[: 2 * scale]
    speech = SPEECH_THERAPISTS[:scale]
    eld = ELD_TEACHERS[: 3 * scale]

    def due(
        student: int, kind: str, minutes: int, group: int, who: tuple[int, ...], session: int
    ) -> None:
        services.append(ServiceDue(len(services) + 1, student, kind, minutes, group, who, session))

    for student in sorted(iep):
        if rng.random() < 1 / 3:
            minutes = rng.choice((15, 30))
            due(student, "iep", minutes, rng.choice((2, 3)), speech, minutes)
        else:
            due(student, "iep", 30, rng.choice((3, 4, 5)), resource, 30)
    for student in sorted(learners):
        due(student, "eld", 30, 5, eld, 30)
    providers = (
        *(Provider(p, frozenset({"iep"}), PROVIDER_HOURS, max_students=40) for p in resource),
        *(Provider(p, frozenset({"iep"}), PROVIDER_HOURS, max_students=30) for p in speech),
        *(Provider(p, frozenset({"eld"}), PROVIDER_HOURS, max_minutes=360) for p in eld),
    )
    tutor_subjects = (frozenset({"math"}), frozenset({"literacy"}), frozenset(SUBJECTS))
    tutor_count = 3 * scale if tutors is None else tutors
    return PlanProblem(
        school=problem.school,
        date=problem.date,
        blocks=blocks,
        students=tuple(students),
        programs=PROGRAMS,
        services=tuple(services),
        providers=providers,
        tutors=tuple(
            Tutor(t, PROVIDER_HOURS, 4, tutor_subjects[n % len(tutor_subjects)])
            for n, t in enumerate(TUTORS[:tutor_count])
        ),
        places=reference_places(problem, scale),
        previous=previous,
    )
