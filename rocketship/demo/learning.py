"""The demo schools' Learning Lab: programs, goals and four weeks of progress.

Each school gets the four programs a Rocketship-like campus runs in its lab:

- DreamBox Math (adaptive math, K-5) and Lexia Core5 Reading (adaptive literacy, K-5);
- ST Math (adaptive math, grades 2-5) and Accelerated Reader (independent reading, grades 2-5).

A program serves exactly the grades it has a goal for. The lab takes about 100 minutes a day
(500 a week), part of which goes to tutoring groups and transitions, so the programs' weekly
goals add up to 240 minutes in K-1 (two programs, shorter sittings) and 320-340 in grades 2-5,
under the ~400 a lab week leaves for software. Lessons per week follow the vendors' usual
recommendations (DreamBox about 5 lessons, ST Math 3 objectives, Lexia 4-6 units, 2 reading
quizzes); adaptive programs aim at mastery 80, independent reading reports none.

Progress covers every instructional day from four weeks before ``today`` up to yesterday, one
record per student, program and day worked, as the program's nightly vendor export (or API push)
would send it. Each student draws a *diligence* once: about 70% work near their goal (0.88-1.12
of it), 20% are clearly behind (0.25-0.75) and 10% ahead (1.2-1.45); behind students are absent
more often (12% of days against 4%). Mastery starts the year between 5 and 70 and rises about
0.3 points per day of full practice, so by late autumn on-track students sit in the 50s and
behind students in the 20s-30s, and ``learninglabs.pace.need_scores`` comes out with a median
about 0.2 and a sixth of students above 0.5 (up to about 0.9) in each subject. About 3% of
students have their own goal in one program: shorter for students with an IEP, longer for those
on an intervention plan.

Everything is drawn from ``random.Random(seed)`` in a fixed order, and rows are looked up by
their natural keys, so a second run creates nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from learninglabs.models import (
    API_SOURCE,
    MAX_LESSONS_PER_DAY,
    MAX_MINUTES_PER_DAY,
    Program,
    ProgramGoal,
    ProgramKind,
    ProgressRecord,
    StudentGoal,
    Subject,
)
from scheduling.models import CalendarDay
from students.models import School, Student

from .plan import enrollment_start
from .scheduling import school_days

BATCH_SIZE = 2000
# Four school weeks covers the pace module's trend window (this week and the three before).
HISTORY = datetime.timedelta(weeks=4)
SCHOOL_DAYS_PER_WEEK = 5
# No one spends more than the day's lab block in one program.
LAB_MINUTES = min(100, MAX_MINUTES_PER_DAY)
# Vendors' nightly exports arrive in the evening of the day the work was done.
EXPORT_TIME = datetime.time(18, 30)

# Mastery points gained by a day of practice at the daily goal; ~54 points over a 180-day year.
MASTERY_PER_FULL_DAY = 0.3
OVERRIDE_SHARE = 0.03
# Skipping one program on a day present (a tutoring pull-out, a crashed login).
SKIPPED_PROGRAM_SHARE = 0.04


@dataclass(frozen=True)
class GoalSpec:
    weekly_minutes: int
    lessons_per_week: int
    mastery_target: int = 80


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    code: str
    subject: str
    kind: str
    vendor: str
    source: str
    measures_mastery: bool
    goals: dict[int, GoalSpec]  # grade level -> goal; the grades the program serves


K_1, GRADES_2_5 = (0, 1), (2, 3, 4, 5)
PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec(
        name="DreamBox Math",
        code="dreambox-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
        vendor="DreamBox Learning",
        source="csv:dreambox",
        measures_mastery=True,
        goals={
            **dict.fromkeys(K_1, GoalSpec(weekly_minutes=120, lessons_per_week=6)),
            **dict.fromkeys(GRADES_2_5, GoalSpec(weekly_minutes=90, lessons_per_week=5)),
        },
    ),
    ProgramSpec(
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
        vendor="MIND Research Institute",
        source="csv:st-math",
        measures_mastery=True,
        goals=dict.fromkeys(GRADES_2_5, GoalSpec(weekly_minutes=90, lessons_per_week=3)),
    ),
    ProgramSpec(
        name="Lexia Core5 Reading",
        code="lexia-core5",
        subject=Subject.LITERACY,
        kind=ProgramKind.ADAPTIVE,
        vendor="Lexia Learning",
        source="csv:lexia",
        measures_mastery=True,
        # Lexia prescribes fewer minutes as students near grade level, so older grades get less.
        goals={
            **dict.fromkeys(K_1, GoalSpec(weekly_minutes=120, lessons_per_week=6)),
            **dict.fromkeys((2, 3), GoalSpec(weekly_minutes=100, lessons_per_week=5)),
            **dict.fromkeys((4, 5), GoalSpec(weekly_minutes=80, lessons_per_week=4)),
        },
    ),
    ProgramSpec(
        name="Accelerated Reader",
        code="accelerated-reader",
        subject=Subject.LITERACY,
        kind=ProgramKind.INDEPENDENT_READING,
        vendor="Renaissance",
        source=API_SOURCE,
        measures_mastery=False,
        # Lessons are the book quizzes taken; reading itself is the minutes.
        goals=dict.fromkeys(GRADES_2_5, GoalSpec(weekly_minutes=60, lessons_per_week=2)),
    ),
)


@dataclass(frozen=True)
class Profile:
    """How one student works in the lab, drawn once."""

    diligence: float  # share of the minutes goal they put in
    absence_rate: float
    subject_tilt: dict[str, float]  # a student may be stronger in math than in reading
    mastery_start: float  # on the first day of school, in every program that measures it


@dataclass(frozen=True)
class Target:
    """What one student should do in one program each week (the grade's goal or their own)."""

    weekly_minutes: int
    lessons_per_week: int


# --- Drawing (pure) ---------------------------------------------------------------------------


def draw_profile(rng: random.Random) -> Profile:
    """70% near their goal, 20% clearly behind (and absent more), 10% ahead."""
    band = rng.random()
    if band < 0.20:
        diligence, absence_rate = rng.uniform(0.25, 0.75), 0.12
    elif band < 0.30:
        diligence, absence_rate = rng.uniform(1.2, 1.45), 0.02
    else:
        diligence, absence_rate = rng.uniform(0.88, 1.12), 0.04
    tilt: dict[str, float] = {
        Subject.MATH: rng.gauss(1, 0.08),
        Subject.LITERACY: rng.gauss(1, 0.08),
    }
    # Students who practise less usually also started the year further behind.
    start = _clip(rng.gauss(32, 10) + 25 * (diligence - 1), 5, 70)
    return Profile(diligence, absence_rate, tilt, start)


def draw_override(rng: random.Random, *, goal: GoalSpec, has_iep: bool) -> tuple[Target, str]:
    """A student's own goal: two thirds of the grade's with an IEP, a third more otherwise."""
    if has_iep:
        factor, reason = 2 / 3, "IEP: shorter sessions"
    else:
        factor, reason = 4 / 3, "Intervention plan: extra practice"
    minutes = max(5, 5 * round(goal.weekly_minutes * factor / 5))
    lessons = max(1, round(goal.lessons_per_week * factor)) if goal.lessons_per_week else 0
    return Target(weekly_minutes=minutes, lessons_per_week=lessons), reason


def stochastic_round(rng: random.Random, value: float) -> int:
    """``value`` rounded up with the probability of its fraction: 0.4 lessons a day adds up to
    two a week instead of rounding to zero every day."""
    whole = int(value)
    return whole + (rng.random() < value - whole)


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


# --- Reading and writing --------------------------------------------------------------------------


def instructional_days(*, school: School, today: datetime.date) -> list[datetime.date]:
    """School days in the history window, yesterday at the latest: the school's calendar when
    configured, else the demo calendar ``configure_school`` will write (weekdays less holidays)."""
    first = today - HISTORY
    calendar = CalendarDay.objects.filter(school=school)
    if calendar.exists():
        return list(
            calendar.filter(date__gte=first, date__lt=today, instructional=True)
            .order_by("date")
            .values_list("date", flat=True)
        )
    return [
        day
        for day, holiday in school_days(enrollment_start(today=today))
        if first <= day < today and not holiday
    ]


def _ensure_programs(school: School) -> tuple[dict[str, Program], int]:
    """The school's programs by code, creating the missing ones."""
    found = {p.code: p for p in Program.objects.filter(school=school)}
    created = 0
    for spec in PROGRAMS:
        if spec.code in found:
            continue
        program = Program(
            school=school,
            name=spec.name,
            code=spec.code,
            subject=spec.subject,
            kind=spec.kind,
            vendor=spec.vendor,
        )
        program.full_clean()
        program.save()
        found[spec.code] = program
        created += 1
    return found, created


def _ensure_program_goals(school: School, programs: dict[str, Program]) -> int:
    existing = set(ProgramGoal.objects.filter(school=school).values_list("program_id", "grade"))
    new_goals = [
        ProgramGoal(
            school=school,
            program=programs[spec.code],
            grade=grade,
            weekly_minutes=goal.weekly_minutes,
            lessons_per_week=goal.lessons_per_week,
            mastery_target=goal.mastery_target,
        )
        for spec in PROGRAMS
        for grade, goal in spec.goals.items()
        if (programs[spec.code].pk, grade) not in existing
    ]
    for goal in new_goals:
        goal.full_clean(validate_unique=False)
    ProgramGoal.objects.bulk_create(new_goals, batch_size=BATCH_SIZE)
    return len(new_goals)


def _grade_targets(school: School, programs: dict[str, Program]) -> dict[tuple[int, int], Target]:
    """(program id, grade) -> the grade's target, as stored (a leader may have edited it)."""
    program_ids = [p.pk for p in programs.values()]
    return {
        (g.program_id, g.grade): Target(g.weekly_minutes, g.lessons_per_week)
        for g in ProgramGoal.objects.filter(school=school, program_id__in=program_ids)
    }


def _student_targets(school: School) -> dict[tuple[int, int], tuple[int | None, int | None]]:
    return {
        (o.student_id, o.program_id): (o.weekly_minutes, o.lessons_per_week)
        for o in StudentGoal.objects.filter(student__school=school)
    }


@dataclass
class _Draws:
    """Every student's profile and drawn overrides."""

    profiles: dict[int, Profile]
    overrides: list[StudentGoal]


def _draw_students(
    rng: random.Random, *, students: Sequence[Student], programs: dict[str, Program]
) -> _Draws:
    profiles, overrides = {}, []
    for student in students:
        profiles[student.pk] = draw_profile(rng)
        if rng.random() >= OVERRIDE_SHARE:
            continue
        served = [spec for spec in PROGRAMS if student.grade.level in spec.goals]
        if not served:
            continue
        spec = rng.choice(served)
        target, reason = draw_override(
            rng, goal=spec.goals[student.grade.level], has_iep=student.has_iep
        )
        overrides.append(
            StudentGoal(
                student=student,
                program=programs[spec.code],
                weekly_minutes=target.weekly_minutes,
                lessons_per_week=target.lessons_per_week,
                reason=reason,
            )
        )
    return _Draws(profiles, overrides)


def _ensure_student_goals(school: School, overrides: Sequence[StudentGoal]) -> int:
    existing = set(
        StudentGoal.objects.filter(student__school=school).values_list("student_id", "program_id")
    )
    new_goals = [g for g in overrides if (g.student_id, g.program_id) not in existing]
    for goal in new_goals:
        goal.full_clean(exclude=["student", "program"], validate_unique=False)
    StudentGoal.objects.bulk_create(new_goals, batch_size=BATCH_SIZE)
    return len(new_goals)


def _school_days_before(day: datetime.date, first_day: datetime.date) -> int:
    """Weekdays from ``first_day`` up to ``day`` (excluded): how long mastery has been growing."""
    weeks, extra = divmod((day - first_day).days, 7)
    return max(0, weeks * SCHOOL_DAYS_PER_WEEK + min(extra, SCHOOL_DAYS_PER_WEEK))


def _progress_rows(
    rng: random.Random,
    *,
    school: School,
    students: Sequence[Student],
    profiles: dict[int, Profile],
    programs: dict[str, Program],
    targets: dict[tuple[int, int], Target],
    days: Sequence[datetime.date],
) -> Iterator[ProgressRecord]:
    """Every record the students' work produces, drawn in a fixed order."""
    zone = school.zone
    specs = [(spec, programs[spec.code]) for spec in PROGRAMS]
    for student in students:
        profile = profiles[student.pk]
        enrolled = [d for d in days if student.is_enrolled_on(d)]
        present = [d for d in enrolled if rng.random() >= profile.absence_rate]
        for spec, program in specs:
            target = targets.get((student.pk, program.pk))
            if target is None:
                continue
            effort = profile.diligence * profile.subject_tilt[spec.subject]
            daily_minutes = target.weekly_minutes / SCHOOL_DAYS_PER_WEEK
            lessons_per_minute = target.lessons_per_week / target.weekly_minutes
            mastery = None
            if spec.measures_mastery and present:
                grown = _school_days_before(present[0], student.enrollment_start)
                mastery = profile.mastery_start + MASTERY_PER_FULL_DAY * effort * grown
            for day in present:
                if rng.random() < SKIPPED_PROGRAM_SHARE:
                    continue
                minutes = round(_clip(daily_minutes * effort * rng.gauss(1, 0.2), 0, LAB_MINUTES))
                if minutes == 0:
                    continue
                lessons = stochastic_round(rng, minutes * lessons_per_minute * rng.gauss(1, 0.25))
                level = None
                if mastery is not None:
                    gain = MASTERY_PER_FULL_DAY * minutes / daily_minutes * rng.gauss(1, 0.3)
                    mastery = min(100.0, mastery + max(0.0, gain))
                    level = Decimal(f"{mastery:.2f}")
                yield ProgressRecord(
                    student=student,
                    program=program,
                    date=day,
                    minutes=minutes,
                    lessons_completed=int(_clip(lessons, 0, MAX_LESSONS_PER_DAY)),
                    mastery_level=level,
                    source=spec.source,
                    received_at=datetime.datetime.combine(day, EXPORT_TIME, tzinfo=zone),
                )


def _targets_by_student(
    *,
    students: Sequence[Student],
    grade_targets: dict[tuple[int, int], Target],
    own: dict[tuple[int, int], tuple[int | None, int | None]],
) -> dict[tuple[int, int], Target]:
    """(student id, program id) -> the student's target: the grade's with their own numbers."""
    targets = {}
    program_ids = {pid for pid, _ in grade_targets} | {pid for _, pid in own}
    for student in students:
        for program_id in program_ids:
            grade = grade_targets.get((program_id, student.grade.level))
            minutes, lessons = own.get((student.pk, program_id), (None, None))
            weekly = minutes or (grade.weekly_minutes if grade else 0)
            if weekly <= 0:
                continue
            per_week = lessons if lessons is not None else (grade.lessons_per_week if grade else 0)
            targets[student.pk, program_id] = Target(weekly, per_week)
    return targets


def _insert_new_progress(
    school: School, records: Iterator[ProgressRecord], *, since: datetime.date
) -> int:
    """Writes the records whose natural key is not stored yet, validated, in batches."""
    sources = {spec.source for spec in PROGRAMS}
    existing = set(
        ProgressRecord.objects.filter(
            student__school=school, source__in=sources, date__gte=since
        ).values_list("student_id", "program_id", "date", "source")
    )
    batch: list[ProgressRecord] = []
    created = 0
    for record in records:
        if (record.student_id, record.program_id, record.date, record.source) in existing:
            continue
        # Field checks and clean() (program and student of one school); the related rows are
        # in hand and the unique key is the database's to enforce: no query per row.
        record.full_clean(
            exclude=["student", "program"], validate_unique=False, validate_constraints=False
        )
        batch.append(record)
        if len(batch) == BATCH_SIZE:
            ProgressRecord.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    ProgressRecord.objects.bulk_create(batch)
    return created + len(batch)


def seed_learning_lab(*, school: School, today: datetime.date, seed: int) -> int:
    """Give one school its Learning Lab programs, goals and recent progress where missing;
    returns how many rows it created. Call inside a transaction."""
    rng = random.Random(seed)
    programs, created = _ensure_programs(school)
    created += _ensure_program_goals(school, programs)

    students = list(
        Student.objects.filter(school=school).select_related("grade").order_by("local_id")
    )
    draws = _draw_students(rng, students=students, programs=programs)
    created += _ensure_student_goals(school, draws.overrides)

    targets = _targets_by_student(
        students=students,
        grade_targets=_grade_targets(school, programs),
        own=_student_targets(school),
    )
    days = instructional_days(school=school, today=today)
    if not days:
        return created
    records = _progress_rows(
        rng,
        school=school,
        students=students,
        profiles=draws.profiles,
        programs=programs,
        targets=targets,
        days=days,
    )
    return created + _insert_new_progress(school, records, since=days[0])


def learning_lab_line(*, school: School) -> str:
    """What the school's lab holds, counts only (no student data), for the seed report."""
    programs = Program.objects.filter(school=school).count()
    goals = ProgramGoal.objects.filter(school=school).count()
    records = ProgressRecord.objects.filter(student__school=school).count()
    return (
        f"{school.name}: Learning Lab {programs} programs, {goals} goals, "
        f"{records:,} progress records"
    )
