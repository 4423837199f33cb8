"""Writing the planned demo network where it is missing, and the demo logins."""

import datetime
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction

from scheduling.models import Room
from students.models import (
    Cohort,
    Grade,
    Network,
    NetworkAdmin,
    Role,
    School,
    ServiceNeed,
    Staff,
    StaffRole,
    Student,
)

from .families import family_logins, plan_guardians, seed_guardians
from .learning import learning_lab_line, seed_learning_lab
from .plan import (
    ALL_GRADES,
    DEMO_PASSWORD,
    DEMO_STAFF_LOGINS,
    EMAIL_DOMAIN,
    NETWORK_ADMIN,
    NETWORK_NAME,
    NETWORK_SLUG,
    SUPERUSER,
    TIME_ZONE,
    DemoLogin,
    DemoResult,
    DemoSchool,
    DemoSeedRefused,
    SchoolPlan,
    SchoolSummary,
    enrollment_start,
    local_today,
    plan_extra_school,
    plan_network,
)
from .scheduling import configure_and_build, configure_school

User = get_user_model()
M = TypeVar("M", bound=models.Model)

# --- Writing --------------------------------------------------------------------------------------


def _get_or_add(
    model: type[M], created: Counter[str], *, defaults: dict | None = None, **lookup: object
) -> M:
    """The row matching ``lookup``, else a new, validated one; counts creations by model."""
    found = model._default_manager.filter(**lookup).first()
    if found is not None:
        return found
    obj = model(**lookup, **(defaults or {}))
    obj.full_clean()
    obj.save()
    created[model._meta.label] += 1
    return obj


class _Passwords:
    """The demo password, hashed once: PBKDF2 takes a good fraction of a second per hash, and
    the password is public anyway, so sharing one hash among the demo users gives nothing away."""

    def __init__(self) -> None:
        self._encoded: str | None = None

    @property
    def encoded(self) -> str:
        if self._encoded is None:
            self._encoded = make_password(DEMO_PASSWORD)
        return self._encoded


def _ensure_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    demo_login: bool,
    passwords: _Passwords,
    created: Counter[str],
    superuser: bool = False,
) -> models.Model:
    user = User._default_manager.filter(username=username).first()
    if user is not None:
        return user
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=superuser,
        is_superuser=superuser,
    )
    if demo_login:
        user.password = passwords.encoded
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    created[User._meta.label] += 1
    return user


def _seed_school(
    *, network: Network, plan: SchoolPlan, start: datetime.date, passwords: _Passwords
) -> SchoolSummary:
    created: Counter[str] = Counter()
    spec = plan.school
    school = _get_or_add(
        School,
        created,
        slug=spec.slug,
        defaults={"network": network, "name": spec.name, "time_zone": TIME_ZONE},
    )
    if school.network_id != network.pk:
        raise DemoSeedRefused(
            f"A school with slug {spec.slug!r} already exists in another network; "
            "rename it or seed into an empty database."
        )

    grades = {
        level: _get_or_add(Grade, created, school=school, level=level) for level in ALL_GRADES
    }
    cohorts = {
        name: _get_or_add(Cohort, created, school=school, name=name, defaults={"grade": grades[lv]})
        for lv, name in plan.cohorts
    }
    for room_plan in plan.rooms:
        before = created[Room._meta.label]
        room = _get_or_add(
            Room,
            created,
            school=school,
            name=room_plan.name,
            defaults={
                "kind": room_plan.kind,
                "capacity": room_plan.capacity,
                "homeroom_of": cohorts.get(room_plan.homeroom_of),
            },
        )
        if created[Room._meta.label] > before and room_plan.grades:
            room.grades.set([grades[level] for level in room_plan.grades])

    demo_usernames = set(DEMO_STAFF_LOGINS.values())
    for staff_plan in plan.staff:
        user = _ensure_user(
            username=staff_plan.username,
            first_name=staff_plan.first_name,
            last_name=staff_plan.last_name,
            email=staff_plan.email,
            demo_login=staff_plan.username in demo_usernames,
            passwords=passwords,
            created=created,
        )
        before = created[Staff._meta.label]
        staff = _get_or_add(Staff, created, user=user, school=school)
        if created[Staff._meta.label] > before:
            staff.grades.set([grades[level] for level in staff_plan.grades])
            staff.cohorts.set([cohorts[name] for name in staff_plan.cohorts])
        _get_or_add(StaffRole, created, staff=staff, role=staff_plan.role)

    existing_ids = set(school.students.values_list("local_id", flat=True))
    new_students = [
        Student(
            school=school,
            local_id=p.local_id,
            first_name=p.first_name,
            last_name=p.last_name,
            grade=grades[p.grade],
            cohort=cohorts[p.cohort],
            enrollment_start=start,
            enrollment_end=p.withdrawn_on,
            has_iep=p.has_iep,
            el_level=p.el_level,
            intervention_tier=p.tier,
        )
        for p in plan.students
        if p.local_id not in existing_ids
    ]
    for student in new_students:
        # Every row gets the field checks and the model's clean() (cohort in the student's grade,
        # nothing of another school). The related rows are in hand, so their existence checks
        # are skipped, and the database's constraints catch duplicates: no query per row.
        student.full_clean(
            exclude=["school", "grade", "cohort"], validate_unique=False, validate_constraints=False
        )
    Student.objects.bulk_create(new_students, batch_size=500)
    created[Student._meta.label] += len(new_students)

    students = {s.local_id: s for s in school.students.all()}
    existing_needs = set(
        ServiceNeed.objects.filter(student__school=school).values_list(
            "student__local_id", "kind", "provider_role"
        )
    )
    new_needs = [
        ServiceNeed(
            student=students[p.local_id],
            kind=p.kind,
            minutes_per_week=p.minutes_per_week,
            max_group_size=p.max_group_size,
            provider_role=p.provider_role,
        )
        for p in plan.needs
        if (p.local_id, p.kind, p.provider_role) not in existing_needs
    ]
    for need in new_needs:
        # clean() checks provider role, IEP and English-learner status against the student.
        need.full_clean(exclude=["student"], validate_unique=False, validate_constraints=False)
    ServiceNeed.objects.bulk_create(new_needs, batch_size=500)
    created[ServiceNeed._meta.label] += len(new_needs)

    return SchoolSummary(
        name=school.name,
        slug=school.slug,
        created_rows=sum(created.values()),
        school_created=bool(created[School._meta.label]),
        cohorts=school.cohorts.count(),
        students=school.students.count(),
        withdrawn=school.students.filter(enrollment_end__isnull=False).count(),
        staff=school.staff.count(),
        rooms=school.rooms.count(),
        service_needs=ServiceNeed.objects.filter(student__school=school).count(),
    )


def _logins(*, plans: Sequence[SchoolPlan]) -> tuple[DemoLogin, ...]:
    """The demo logins with whether each still has the demo password, hashing once per hash."""
    rows: list[tuple[str, str, str]] = [
        (SUPERUSER[0], "Superuser", "all schools"),
        (NETWORK_ADMIN[0], "Network admin", NETWORK_NAME),
    ]
    demo_usernames = set(DEMO_STAFF_LOGINS.values())
    for plan in plans:
        for staff in plan.staff:
            if staff.username in demo_usernames:
                role = str(Role(staff.role).label) + (f" ({staff.detail})" if staff.detail else "")
                rows.append((staff.username, role, plan.school.name))
    school_names = {plan.school.slug: plan.school.name for plan in plans}
    rows += family_logins(guardians=plan_guardians(plans=plans), school_names=school_names)
    encoded = dict(
        User._default_manager.filter(username__in=[r[0] for r in rows]).values_list(
            "username", "password"
        )
    )
    verified: dict[str, bool] = {}
    for hashed in set(encoded.values()):
        verified[hashed] = check_password(DEMO_PASSWORD, hashed)
    return tuple(
        DemoLogin(username, role, school, verified.get(encoded.get(username, ""), False))
        for username, role, school in rows
    )


def seed_demo_network(
    *,
    force: bool = False,
    today: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
    build_schedules: bool = True,
) -> DemoResult:
    """Build the demo network where it is missing and report what is there.

    Refuses when ``settings.HTTPS`` is on (a production site) unless ``force``: the demo logins
    share a published password. ``progress`` receives a line per school, with counts only.
    """
    if getattr(settings, "HTTPS", False) and not force:
        raise DemoSeedRefused(
            "Refusing to seed demo data: settings.HTTPS is on, which marks a production site, "
            f"and the demo logins all use the published password {DEMO_PASSWORD!r}. "
            "Pass --force only on a throwaway staging site."
        )
    today = today or local_today()
    start = enrollment_start(today=today)
    plans = plan_network(today=today)
    passwords = _Passwords()
    report = progress or (lambda line: None)

    with transaction.atomic():
        created: Counter[str] = Counter()
        network = _get_or_add(Network, created, slug=NETWORK_SLUG, defaults={"name": NETWORK_NAME})
        network_created = bool(created)
        report(f"{NETWORK_NAME} ({NETWORK_SLUG}): {'created' if created else 'already present'}")

    summaries = []
    for plan in plans:
        with transaction.atomic():
            summary = _seed_school(network=network, plan=plan, start=start, passwords=passwords)
        summaries.append(summary)
        report(f"  {summary.line()}")
        # Before any build: the stage-2 lab planner reads need scores from this progress. The
        # calendar is not configured yet on a first run, so the days follow the demo calendar.
        school = School.objects.get(slug=summary.slug)
        with transaction.atomic():
            seed_learning_lab(school=school, today=today, seed=plan.school.seed)
        report(f"  {learning_lab_line(school=school)}")

    with transaction.atomic():
        guardian_count, family_accounts = seed_guardians(
            network=network,
            guardians=plan_guardians(plans=plans),
            encoded_password=lambda: passwords.encoded,
        )
    report(f"  Families: {guardian_count} guardians, {family_accounts} family logins")

    with transaction.atomic():
        created = Counter()
        _ensure_user(
            username=SUPERUSER[0],
            first_name=SUPERUSER[1],
            last_name=SUPERUSER[2],
            email=f"{SUPERUSER[0]}@{EMAIL_DOMAIN}",
            demo_login=True,
            passwords=passwords,
            created=created,
            superuser=True,
        )
        admin = _ensure_user(
            username=NETWORK_ADMIN[0],
            first_name=NETWORK_ADMIN[1],
            last_name=NETWORK_ADMIN[2],
            email=f"{NETWORK_ADMIN[0]}@{EMAIL_DOMAIN}",
            demo_login=True,
            passwords=passwords,
            created=created,
        )
        _get_or_add(NetworkAdmin, created, user=admin, network=network)
        report(f"  Network logins: {'created' if created else 'already present'}")

    if build_schedules:
        schools = list(School.objects.filter(network=network).order_by("name"))
        configure_and_build(schools=schools, first_day=start, today=today, report=report)

    return DemoResult(
        network_created=network_created, schools=tuple(summaries), logins=_logins(plans=plans)
    )


def seed_school(
    *, school: DemoSchool, today: datetime.date | None = None
) -> tuple[School, SchoolSummary]:
    """Seed one planned school (e.g. ``DemoSchool(..., SHAPE_L, ...)`` for a benchmark) into the
    demo network, creating the network when missing, and configure its day; builds nothing.

    Like ``seed_demo_network``, it writes only what is missing. Refuses on a production site
    (``settings.HTTPS``): its staff are real logins of the demo network.
    """
    if getattr(settings, "HTTPS", False):
        raise DemoSeedRefused("Refusing to seed a demo school: settings.HTTPS is on.")
    today = today or local_today()
    start = enrollment_start(today=today)
    plan = plan_extra_school(school=school, today=today)
    with transaction.atomic():
        network = _get_or_add(
            Network, Counter(), slug=NETWORK_SLUG, defaults={"name": NETWORK_NAME}
        )
        summary = _seed_school(network=network, plan=plan, start=start, passwords=_Passwords())
    seeded = School.objects.get(slug=school.slug)
    configure_school(school=seeded, first_day=start)
    return seeded, summary


def format_logins(*, logins: Sequence[DemoLogin]) -> list[str]:
    """The logins as an aligned text table, followed by where to use them: ``SITE_URL``, which
    ``bin/run`` sets to the address it serves on."""
    base_url = f"{settings.SITE_URL}/"
    header = ("username", "role", "school", "password")
    rows = [header, *((x.username, x.role, x.school, x.password) for x in logins)]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row[:3], widths, strict=True))
        + f"  {row[3]}"
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len(DEMO_PASSWORD))
    return [
        "Demo logins:",
        *(f"  {line}" for line in lines),
        f"Open {base_url} (admin site: {base_url}admin/)",
    ]
