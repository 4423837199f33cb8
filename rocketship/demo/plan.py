"""The demo network planned in plain data: shapes, people, students, needs (no database)."""

import datetime
import random
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.models import RoomKind
from students.models import (
    ELLevel,
    GradeLevel,
    InterventionTier,
    Role,
    ServiceKind,
)

from .names import (
    COLLEGES,
    EL_LEVEL_WEIGHTS_BY_GRADE,
    EL_SHARE_BY_GRADE,
    IEP_SHARE,
    NAME_GROUPS,
    RECLASSIFIED_SHARE_BY_GRADE,
    TIER_2_SHARE,
    TIER_3_SHARE,
    NameGroup,
)

DEMO_PASSWORD = "rocketship-demo"
NETWORK_NAME = "Bay Valley Public Schools"
NETWORK_SLUG = "bay-valley"
EMAIL_DOMAIN = "bayvalley.example"
TIME_ZONE = "America/Los_Angeles"

# Rocketship-style calendar: the year turns over on Aug 1, students start on Aug 12.
SCHOOL_YEAR_START = (8, 1)
FIRST_DAY = (8, 12)

ALL_GRADES: tuple[int, ...] = tuple(GradeLevel.values)


class DemoSeedRefused(RuntimeError):
    """Seeding was refused, e.g. on a site that looks like production."""


# --- Shapes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabShape:
    name: str
    grades: tuple[int, ...]
    seats: int
    ils: int


@dataclass(frozen=True)
class SchoolShape:
    """One reference shape, plus the support staff the JSON file leaves to the demo."""

    code: str
    cohorts_per_grade: int
    students_per_cohort: int
    humanities_per_grade: int
    stem_per_grade: int
    specials: int
    labs: tuple[LabShape, ...]
    cafeteria_cohorts: int
    tutors: int
    # Resource specialists: about one per 13 students with an IEP (an IEP share of about 11%
    # and 60-240 minutes a week each). Groups are one grade and meet inside the cohort's lab or
    # flex block, so a 30-minute session serves the two or three students of one cohort: M with
    # 3 specialists fell 200-300 IEP minutes short a day, with 5 it meets them all.
    sped: int
    leader_titles: tuple[str, ...]


# Staffed so every adult gets a duty-free lunch and a break in every long stretch (the default
# staff well-being rules, W1-W3 in scheduling/solver/problem.py), and so the engine finds a first
# day in well under the tests' work limit (tests/solver_limits.py), measured with 2 workers:
# - specials: 6 cohorts x 30 minutes each (180 of teaching), not twelve back to back: 360 of
#   teaching, 45 of prep and a 30-minute lunch fill the whole 435-minute day, with no break;
# - STEM: at most 2 cohorts x 90 minutes each (M's one STEM teacher per grade taught 360);
# - ILS: a lab about 85% full leaves 3 ILS no lunch, and the engine places supervisors' rests
#   (lunch, breaks) quickly only with room for several to rest at once: S with 4 ILS took 1.1
#   units to a first day, with 6 0.15; M with 6 per lab 0.7, 7 0.48, 8 0.15.
SHAPE_S = SchoolShape(
    code="S",
    cohorts_per_grade=2,
    students_per_cohort=25,
    humanities_per_grade=1,
    stem_per_grade=1,
    specials=2,
    # The JSON calls it "Lab"; with a single lab the school would say "Learning Lab".
    labs=(LabShape(name="Learning Lab", grades=ALL_GRADES, seats=80, ils=6),),
    cafeteria_cohorts=4,
    tutors=4,
    sped=3,
    leader_titles=("principal",),
)
SHAPE_M = SchoolShape(
    code="M",
    cohorts_per_grade=4,
    students_per_cohort=25,
    humanities_per_grade=2,
    stem_per_grade=2,
    specials=4,
    labs=(
        LabShape(name="Lower lab", grades=(0, 1, 2), seats=80, ils=8),
        LabShape(name="Upper lab", grades=(3, 4, 5), seats=80, ils=8),
    ),
    cafeteria_cohorts=8,
    tutors=8,
    sped=5,
    leader_titles=("principal", "assistant principal"),
)
# The largest reference shape, for load benchmarks (bench/api_load.py); not one of DEMO_SCHOOLS.
# Staffed the same way: 8 specials (6 cohorts each), 2 STEM cohorts per teacher, and 10 ILS per
# lab (1.9 work units to a first day; 8 per lab took 3.4).
SHAPE_L = SchoolShape(
    code="L",
    cohorts_per_grade=8,
    students_per_cohort=25,
    humanities_per_grade=4,
    stem_per_grade=4,
    specials=8,
    labs=(
        LabShape(name="Lab K-1", grades=(0, 1), seats=110, ils=10),
        LabShape(name="Lab 2-3", grades=(2, 3), seats=110, ils=10),
        LabShape(name="Lab 4-5", grades=(4, 5), seats=110, ils=10),
    ),
    cafeteria_cohorts=16,
    tutors=8,
    sped=6,
    leader_titles=("principal", "assistant principal", "assistant principal"),
)


@dataclass(frozen=True)
class DemoSchool:
    name: str
    slug: str
    id_prefix: str
    shape: SchoolShape
    seed: int


DEMO_SCHOOLS: tuple[DemoSchool, ...] = (
    DemoSchool("Alder Street Elementary", "alder-street", "A", SHAPE_S, seed=81_2001),
    DemoSchool("Mission Heights Academy", "mission-heights", "M", SHAPE_M, seed=81_2002),
)

# (school slug, role, position among that school's staff of the role) -> demo username.
# Renaming generated staff, rather than adding people, keeps the shapes' staffing exact.
DEMO_STAFF_LOGINS: dict[tuple[str, str, int], str] = {
    ("mission-heights", Role.LEADER, 0): "leader",
    ("alder-street", Role.LEADER, 0): "leader.alder",
    ("mission-heights", Role.HUMANITIES, 0): "humanities",
    ("mission-heights", Role.STEM, 0): "stem",
    ("mission-heights", Role.ILS, 0): "ils",
    ("mission-heights", Role.TUTOR, 0): "tutor",
    ("mission-heights", Role.SPED, 0): "sped",
    ("mission-heights", Role.SPECIALS, 0): "specials",
}
SUPERUSER = ("admin", "Dana", "Okoro")
NETWORK_ADMIN = ("network.admin", "Teresa", "Villaseñor")


# --- Plans ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomPlan:
    name: str
    kind: str
    capacity: int
    grades: tuple[int, ...] = ()
    # For a classroom: the name of the cohort whose homeroom it is, always one of its grade.
    homeroom_of: str = ""


@dataclass(frozen=True)
class StaffPlan:
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    # What sets this post apart from others of its role: "principal", "grade K", "Lower lab".
    detail: str
    grades: tuple[int, ...] = ()
    cohorts: tuple[str, ...] = ()


@dataclass(frozen=True, repr=False)
class StudentPlan:
    # repr=False: a plan holds a child's name and must not end up in a traceback or a log line.
    local_id: str
    first_name: str
    last_name: str
    grade: int
    cohort: str
    has_iep: bool
    el_level: str
    tier: int
    withdrawn_on: datetime.date | None

    def __repr__(self) -> str:
        return f"StudentPlan({self.local_id})"


@dataclass(frozen=True)
class NeedPlan:
    local_id: str
    kind: str
    minutes_per_week: int
    max_group_size: int
    provider_role: str


@dataclass(frozen=True)
class SchoolPlan:
    school: DemoSchool
    cohorts: tuple[tuple[int, str], ...]
    rooms: tuple[RoomPlan, ...]
    staff: tuple[StaffPlan, ...]
    students: tuple[StudentPlan, ...]
    needs: tuple[NeedPlan, ...]


# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolSummary:
    """Counts of one school after seeding; ids and numbers only, never names of students."""

    name: str
    slug: str
    created_rows: int
    cohorts: int
    students: int
    withdrawn: int
    staff: int
    rooms: int
    service_needs: int

    school_created: bool = False

    @property
    def status(self) -> str:
        # No count here: a second run prints the same numbers as the first, all of them totals.
        if self.school_created:
            return "created"
        return "missing rows added" if self.created_rows else "already present"

    def line(self) -> str:
        return (
            f"{self.name} ({self.slug}): {self.status}; {self.cohorts} cohorts, "
            f"{self.students} students ({self.withdrawn} withdrawn), {self.staff} staff, "
            f"{self.rooms} rooms, {self.service_needs} service needs"
        )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    school: str
    # False when someone changed the password since it was seeded; the seed never resets it.
    has_demo_password: bool

    @property
    def password(self) -> str:
        return DEMO_PASSWORD if self.has_demo_password else "(changed since seeding; not reset)"


@dataclass(frozen=True)
class DemoResult:
    network_created: bool
    schools: tuple[SchoolSummary, ...]
    logins: tuple[DemoLogin, ...] = field(default=())


# --- Dates ----------------------------------------------------------------------------------------


def local_today() -> datetime.date:
    """Today in the demo network's time zone (a California evening is already tomorrow in UTC)."""
    return timezone.now().astimezone(ZoneInfo(TIME_ZONE)).date()


def school_year_start(*, today: datetime.date) -> datetime.date:
    """Aug 1 of the school year ``today`` falls in."""
    month, day = SCHOOL_YEAR_START
    year = today.year if (today.month, today.day) >= (month, day) else today.year - 1
    return datetime.date(year, month, day)


def enrollment_start(*, today: datetime.date) -> datetime.date:
    """The first day of school of the current school year, when every demo student enrolled."""
    month, day = FIRST_DAY
    return datetime.date(school_year_start(today=today).year, month, day)


def withdrawal_day(*, start: datetime.date, today: datetime.date, fraction: float) -> datetime.date:
    """A day after ``start`` and before ``today``, ``fraction`` of the way; ``start`` itself when
    the year is too young for that, since an enrollment may never end before it starts."""
    latest = today - datetime.timedelta(days=1)
    span = (latest - start).days
    if span < 1:
        return start
    return start + datetime.timedelta(days=min(span, 1 + int(fraction * span)))


# --- Planning (pure: no database) -----------------------------------------------------------------


def _handle(first_name: str, last_name: str) -> str:
    """``first.last`` in plain ASCII, for usernames and e-mail addresses."""

    def ascii_part(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
        return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()

    return f"{ascii_part(first_name)}.{ascii_part(last_name)}"


def _weighted_sample(
    rng: random.Random, items: Sequence[int], weights: Sequence[float], k: int
) -> list[int]:
    """``k`` distinct items, each more likely the larger its weight (Efraimidis-Spirakis)."""
    keyed = sorted(
        ((rng.random() ** (1.0 / w), -i) for i, w in zip(items, weights, strict=True)),
        reverse=True,
    )
    return [-neg_index for _, neg_index in keyed[:k]]


def _pick_group(rng: random.Random, *, staff: bool) -> NameGroup:
    groups = list(NAME_GROUPS.values())
    weights = [g.staff_weight if staff else g.student_weight for g in groups]
    return rng.choices(groups, weights=weights)[0]


def _grade_label(level: int) -> str:
    return GradeLevel(level).label


def _share(items: Sequence[str], parts: int, index: int) -> tuple[str, ...]:
    """The ``index``-th of ``parts`` near-equal consecutive slices of ``items``."""
    size, extra = divmod(len(items), parts)
    begin = index * size + min(index, extra)
    return tuple(items[begin : begin + size + (1 if index < extra else 0)])


def plan_staff(
    *, school: DemoSchool, cohorts: Sequence[tuple[int, str]], taken: set[str]
) -> tuple[StaffPlan, ...]:
    """The school's staff in the Rocketship pattern, with invented names and unique usernames.

    ``taken`` holds the usernames already used by other schools' plans and is extended.
    """
    rng = random.Random(school.seed + 1)
    shape = school.shape
    # (role, detail, grades, cohorts) in a fixed order, so positions in DEMO_STAFF_LOGINS hold.
    posts: list[tuple[str, str, tuple[int, ...], tuple[str, ...]]] = [
        (Role.LEADER, title, (), ()) for title in shape.leader_titles
    ]
    for teaching, per_grade in (
        (Role.HUMANITIES, shape.humanities_per_grade),
        (Role.STEM, shape.stem_per_grade),
    ):
        for level in ALL_GRADES:
            names = [name for grade, name in cohorts if grade == level]
            for i in range(per_grade):
                detail = f"grade {_grade_label(level)}"
                posts.append((teaching, detail, (level,), _share(names, per_grade, i)))
    posts += [(Role.SPECIALS, "", ALL_GRADES, ())] * shape.specials
    for lab in shape.labs:
        posts += [(Role.ILS, lab.name, lab.grades, ())] * lab.ils
    posts += [(Role.TUTOR, "", ALL_GRADES, ())] * shape.tutors
    posts += [(Role.SPED, "", ALL_GRADES, ())] * shape.sped

    plans: list[StaffPlan] = []
    seen_per_role: Counter[str] = Counter()
    for role, detail, grades, cohort_names in posts:
        while True:
            group = _pick_group(rng, staff=True)
            first, last = rng.choice(group.adults), rng.choice(group.surnames)
            handle = _handle(first, last)
            if handle not in taken:
                break
        taken.add(handle)
        position = seen_per_role[role]
        seen_per_role[role] += 1
        username = DEMO_STAFF_LOGINS.get((school.slug, role, position), handle)
        plans.append(
            StaffPlan(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{handle}@{EMAIL_DOMAIN}",
                role=role,
                detail=detail,
                grades=grades,
                cohorts=cohort_names,
            )
        )
    return tuple(plans)


def plan_students(
    *,
    school: DemoSchool,
    cohorts: Sequence[tuple[int, str]],
    start: datetime.date,
    today: datetime.date,
) -> tuple[StudentPlan, ...]:
    """The school's students, cohort by cohort, with the flags a Title I school would see."""
    rng = random.Random(school.seed)
    shape = school.shape
    rows: list[dict[str, Any]] = []
    full_names: set[tuple[str, str]] = set()
    for level, cohort in cohorts:
        for _ in range(shape.students_per_cohort):
            while True:
                group = _pick_group(rng, staff=False)
                first, last = rng.choice(group.children), rng.choice(group.surnames)
                # Real rosters do have namesakes, but a demo reads better without them.
                if (first, last) not in full_names:
                    break
            full_names.add((first, last))
            rows.append(
                {
                    "local_id": f"{school.id_prefix}{len(rows) + 1:04d}",
                    "first_name": first,
                    "last_name": last,
                    "grade": level,
                    "cohort": cohort,
                    "el_propensity": group.el_propensity,
                    "has_iep": False,
                    "el_level": ELLevel.NOT_EL,
                    "tier": InterventionTier.CORE,
                    "withdrawn_on": None,
                }
            )

    for level in ALL_GRADES:
        in_grade = [i for i, row in enumerate(rows) if row["grade"] == level]
        propensity = [rows[i]["el_propensity"] for i in in_grade]
        learners = _weighted_sample(
            rng, in_grade, propensity, round(EL_SHARE_BY_GRADE[level] * len(in_grade))
        )
        for i in learners:
            rows[i]["el_level"] = rng.choices(
                (ELLevel.EMERGING, ELLevel.EXPANDING, ELLevel.BRIDGING),
                weights=EL_LEVEL_WEIGHTS_BY_GRADE[level],
            )[0]
        others = [i for i in in_grade if rows[i]["el_level"] == ELLevel.NOT_EL]
        reclassified = _weighted_sample(
            rng,
            others,
            [rows[i]["el_propensity"] for i in others],
            round(RECLASSIFIED_SHARE_BY_GRADE[level] * len(in_grade)),
        )
        for i in reclassified:
            rows[i]["el_level"] = ELLevel.RECLASSIFIED

    everyone = list(range(len(rows)))
    for i in rng.sample(everyone, round(IEP_SHARE * len(rows))):
        rows[i]["has_iep"] = True
    # Students with an IEP more often also need intensive intervention.
    tier_weights = [3.0 if row["has_iep"] else 1.0 for row in rows]
    tier_3 = _weighted_sample(rng, everyone, tier_weights, round(TIER_3_SHARE * len(rows)))
    intensive = set(tier_3)
    rest = [i for i in everyone if i not in intensive]
    tier_2 = rng.sample(rest, round(TIER_2_SHARE * len(rows)))
    for i in tier_3:
        rows[i]["tier"] = InterventionTier.INTENSIVE
    for i in tier_2:
        rows[i]["tier"] = InterventionTier.TARGETED

    for i in sorted(rng.sample(everyone, rng.choice((2, 3)))):
        rows[i]["withdrawn_on"] = withdrawal_day(start=start, today=today, fraction=rng.random())

    return tuple(
        StudentPlan(
            local_id=row["local_id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            grade=row["grade"],
            cohort=row["cohort"],
            has_iep=row["has_iep"],
            el_level=row["el_level"],
            tier=row["tier"],
            withdrawn_on=row["withdrawn_on"],
        )
        for row in rows
    )


def plan_needs(*, school: DemoSchool, students: Sequence[StudentPlan]) -> tuple[NeedPlan, ...]:
    """The weekly service minutes each student's flags call for."""
    rng = random.Random(school.seed + 2)
    needs: list[NeedPlan] = []
    for student in students:
        if student.has_iep:
            needs.append(
                NeedPlan(
                    student.local_id,
                    ServiceKind.IEP,
                    minutes_per_week=rng.randrange(60, 241, 30),
                    max_group_size=rng.randint(3, 6),
                    provider_role=Role.SPED,
                )
            )
        if student.el_level in (ELLevel.EMERGING, ELLevel.EXPANDING):
            # Designated ELD in small groups with a tutor: humanities teachers teach through
            # most lab blocks, so a cohort whose lab meets their classes would get none.
            needs.append(NeedPlan(student.local_id, ServiceKind.ELD, 150, 8, Role.TUTOR))
        if student.tier == InterventionTier.TARGETED:
            needs.append(NeedPlan(student.local_id, ServiceKind.INTERVENTION, 90, 5, Role.TUTOR))
        elif student.tier == InterventionTier.INTENSIVE:
            needs.append(NeedPlan(student.local_id, ServiceKind.INTERVENTION, 150, 3, Role.TUTOR))
    return tuple(needs)


TEACHING_ROLES = (Role.HUMANITIES, Role.STEM, Role.SPECIALS)


def teaching_room_name(*, first_name: str, last_name: str) -> str:
    """The room a core or specials teacher teaches in, named as the staff list shows them."""
    return f"Room of {first_name} {last_name}".strip()


def teaching_rooms(staff: Sequence[StaffPlan]) -> tuple[RoomPlan, ...]:
    """A classroom for each core and specials teacher, planned with the other rooms so that the
    first run's summary counts every room a second run finds."""
    return tuple(
        RoomPlan(
            teaching_room_name(first_name=s.first_name, last_name=s.last_name),
            RoomKind.CLASSROOM,
            30,
        )
        for s in staff
        if s.role in TEACHING_ROLES
    )


def plan_school(
    *, school: DemoSchool, start: datetime.date, today: datetime.date, taken: set[str]
) -> SchoolPlan:
    """Everything the school will hold, computed from its seed alone (and the dates given)."""
    shape, labs = school.shape, school.shape.labs
    names_rng = random.Random(school.seed + 3)
    if shape.cohorts_per_grade * len(ALL_GRADES) <= len(COLLEGES):
        names = names_rng.sample(COLLEGES, shape.cohorts_per_grade * len(ALL_GRADES))
    else:
        # Shape L has more cohorts than there are college names: each grade draws its own (the
        # grade's label keeps the cohort names unique within the school).
        names = [
            name for _ in ALL_GRADES for name in names_rng.sample(COLLEGES, shape.cohorts_per_grade)
        ]
    cohorts: list[tuple[int, str]] = []
    rooms: list[RoomPlan] = []
    for g, level in enumerate(ALL_GRADES):
        label = _grade_label(level)
        in_grade = [
            f"{label} {names[g * shape.cohorts_per_grade + c]}"
            for c in range(shape.cohorts_per_grade)
        ]
        cohorts += [(level, name) for name in in_grade]
        # A cohort needs a home room and every core teacher of the grade a room to teach in.
        # The grade's n-th cohort makes its home in the grade's n-th classroom (K-1, K-2...).
        teachers = shape.humanities_per_grade + shape.stem_per_grade
        for n in range(1, max(shape.cohorts_per_grade, teachers) + 1):
            home_of = in_grade[n - 1] if n <= len(in_grade) else ""
            rooms.append(
                RoomPlan(f"Classroom {label}-{n}", RoomKind.CLASSROOM, 30, homeroom_of=home_of)
            )
    rooms += [RoomPlan(lab.name, RoomKind.LEARNING_LAB, lab.seats, lab.grades) for lab in labs]
    rooms += [
        RoomPlan("Cafeteria", RoomKind.CAFETERIA, shape.cafeteria_cohorts),
        RoomPlan("Gym", RoomKind.GYM, 2),
        RoomPlan("Resource room", RoomKind.RESOURCE_ROOM, 12),
        RoomPlan("Intervention room", RoomKind.RESOURCE_ROOM, 10),
    ]
    students = plan_students(school=school, cohorts=cohorts, start=start, today=today)
    staff = plan_staff(school=school, cohorts=cohorts, taken=taken)
    return SchoolPlan(
        school=school,
        cohorts=tuple(cohorts),
        rooms=(*rooms, *teaching_rooms(staff)),
        staff=staff,
        students=students,
        needs=plan_needs(school=school, students=students),
    )


def plan_extra_school(*, school: DemoSchool, today: datetime.date) -> SchoolPlan:
    """The plan of a school outside ``DEMO_SCHOOLS`` (e.g. a shape-L one for benchmarks), with
    usernames that avoid those of the demo network's plans, so it can sit beside them."""
    start = enrollment_start(today=today)
    taken = {SUPERUSER[0], NETWORK_ADMIN[0], *DEMO_STAFF_LOGINS.values()}
    for demo in DEMO_SCHOOLS:
        if demo.slug != school.slug:
            plan_school(school=demo, start=start, today=today, taken=taken)
    return plan_school(school=school, start=start, today=today, taken=taken)


def plan_network(*, today: datetime.date) -> tuple[SchoolPlan, ...]:
    """Plans of every demo school, in a fixed order so usernames come out the same each run."""
    start = enrollment_start(today=today)
    taken = {SUPERUSER[0], NETWORK_ADMIN[0], *DEMO_STAFF_LOGINS.values()}
    return tuple(
        plan_school(school=school, start=start, today=today, taken=taken) for school in DEMO_SCHOOLS
    )
