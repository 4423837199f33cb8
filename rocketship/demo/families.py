"""The demo network's families: guardians for its students, some households with two children
(one with a child at each school), languages following the English-learner data (mostly English,
many Spanish, some Vietnamese), some without email; and three family logins (an English, a
Spanish and a Vietnamese household) with the demo password.

Planned from a fixed seed like the rest of the demo, and written where missing (a guardian is
found by its sourcedId), so seeding twice changes nothing. Guardians' names, like students',
never leave this module except into the database.

``families`` is reached through the app registry, not imported: ``scheduling``'s ``seed_demo``
command imports this package, and nothing under ``scheduling`` may import ``families``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model

from students.models import ELLevel, Guardian, GuardianRelationship, Network, Student

from .names import NAME_GROUPS, NameGroup
from .plan import SchoolPlan, StudentPlan, _handle

FAMILY_SEED = 81_2100
FAMILY_EMAIL_DOMAIN = "home.example"
# language -> (demo username, how the login list names it)
FAMILY_LOGINS: dict[str, tuple[str, str]] = {
    "en": ("family.en", "Family (English)"),
    "es": ("family.es", "Family (Spanish)"),
    "vi": ("family.vi", "Family (Vietnamese)"),
}
SIBLING_SHARE = 0.12  # of students paired with a brother or sister of the same surname
TWO_GUARDIANS_SHARE = 0.45
EMAIL_SHARE = 0.8
LEARNERS = {ELLevel.EMERGING, ELLevel.EXPANDING, ELLevel.BRIDGING}
# How likely a household of a group speaks its language at home, by the first child's EL status.
HOME_LANGUAGE = {"latino": "es", "vietnamese": "vi"}
HOME_LANGUAGE_SHARE = {"learner": 1.0, ELLevel.RECLASSIFIED: 0.7, ELLevel.NOT_EL: 0.3}

Child = tuple[str, str]  # (school slug, local id)


@dataclass(frozen=True, repr=False)
class GuardianPlan:
    sourced_id: str
    given_name: str
    family_name: str
    email: str
    language: str
    relationship: str
    children: tuple[Child, ...]
    login: str = ""  # a demo username, for the three family logins

    def __repr__(self) -> str:  # names stay out of tracebacks and logs
        return f"GuardianPlan({self.sourced_id})"


def _group_by_surname() -> dict[str, tuple[str, NameGroup]]:
    found: dict[str, tuple[str, NameGroup]] = {}
    for name, group in NAME_GROUPS.items():
        for surname in group.surnames:
            found.setdefault(surname, (name, group))
    return found


def _households(
    rng: random.Random, plans: Sequence[SchoolPlan]
) -> list[list[tuple[str, StudentPlan]]]:
    """Students grouped into households: siblings share a surname and a school, one household
    has a child at each of the first two schools, everyone else is a household of one."""
    used: set[Child] = set()
    households: list[list[tuple[str, StudentPlan]]] = []
    if len(plans) >= 2:
        first, second = plans[0], plans[1]
        by_name = {s.last_name: s for s in second.students if s.withdrawn_on is None}
        for student in first.students:
            match = by_name.get(student.last_name)
            if student.withdrawn_on is None and match is not None:
                households.append([(first.school.slug, student), (second.school.slug, match)])
                used |= {
                    (first.school.slug, student.local_id),
                    (second.school.slug, match.local_id),
                }
                break
    for plan in plans:
        slug = plan.school.slug
        by_surname: dict[str, list[StudentPlan]] = defaultdict(list)
        for student in plan.students:
            by_surname[student.last_name].append(student)
        for student in plan.students:
            if (slug, student.local_id) in used:
                continue
            used.add((slug, student.local_id))
            household = [(slug, student)]
            if rng.random() < SIBLING_SHARE:
                sibling = next(
                    (
                        s
                        for s in by_surname[student.last_name]
                        if (slug, s.local_id) not in used and s.grade != student.grade
                    ),
                    None,
                )
                if sibling is not None:
                    used.add((slug, sibling.local_id))
                    household.append((slug, sibling))
            households.append(household)
    return households


def _language(rng: random.Random, group_name: str, child: StudentPlan) -> str:
    home = HOME_LANGUAGE.get(group_name)
    if home is None:
        return "en"
    status = "learner" if child.el_level in LEARNERS else child.el_level
    return home if rng.random() < HOME_LANGUAGE_SHARE.get(status, 0.0) else "en"


def plan_guardians(*, plans: Sequence[SchoolPlan]) -> tuple[GuardianPlan, ...]:
    """The demo's guardians, the same on every run."""
    rng = random.Random(FAMILY_SEED)
    groups = _group_by_surname()
    fallback = ("other", NAME_GROUPS["other"])
    guardians: list[GuardianPlan] = []
    emails: set[str] = set()
    for household in _households(rng, plans):
        first_child = household[0][1]
        group_name, group = groups.get(first_child.last_name, fallback)
        language = _language(rng, group_name, first_child)
        children = tuple((slug, s.local_id) for slug, s in household)
        count = 2 if rng.random() < TWO_GUARDIANS_SHARE else 1
        for index in range(count):
            given = rng.choice(group.adults)
            email = ""
            if rng.random() < EMAIL_SHARE:
                handle = _handle(given, first_child.last_name)
                email = f"{handle}@{FAMILY_EMAIL_DOMAIN}"
                n = 2
                while email in emails:
                    email = f"{handle}{n}@{FAMILY_EMAIL_DOMAIN}"
                    n += 1
                emails.add(email)
            roll = rng.random()
            relationship = (
                GuardianRelationship.PARENT
                if roll < 0.88 or index
                else GuardianRelationship.GUARDIAN
                if roll < 0.96
                else GuardianRelationship.RELATIVE
            )
            guardians.append(
                GuardianPlan(
                    sourced_id=f"G{len(guardians) + 1:05d}",
                    given_name=given,
                    family_name=first_child.last_name,
                    email=email,
                    language=language,
                    relationship=relationship,
                    children=children,
                )
            )
    return _with_logins(guardians, plans)


def _with_logins(
    guardians: list[GuardianPlan], plans: Sequence[SchoolPlan]
) -> tuple[GuardianPlan, ...]:
    """Give the three demo logins to households at the most-built school (the last planned,
    Mission Heights) with an email and every child enrolled; the Spanish one with two
    children when there is one, so the child switcher shows."""
    enrolled = {
        (plan.school.slug, s.local_id)
        for plan in plans
        for s in plan.students
        if s.withdrawn_on is None
    }
    main = plans[-1].school.slug if plans else ""
    chosen: dict[str, int] = {}
    for language in FAMILY_LOGINS:
        candidates = [
            i
            for i, g in enumerate(guardians)
            if g.language == language
            and g.email
            and all(child in enrolled for child in g.children)
            and any(slug == main for slug, _ in g.children)
        ]
        several = [i for i in candidates if len(guardians[i].children) > 1]
        pick = (several or candidates)[:1] if language == "es" else candidates[:1]
        if pick:
            chosen[language] = pick[0]
    result = list(guardians)
    for language, index in chosen.items():
        g = result[index]
        result[index] = GuardianPlan(**{**g.__dict__, "login": FAMILY_LOGINS[language][0]})
    return tuple(result)


def family_logins(
    *, guardians: Sequence[GuardianPlan], school_names: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(username, role, schools) of the demo family logins, for the printed list."""
    rows = []
    for language, (username, role) in FAMILY_LOGINS.items():
        plan = next((g for g in guardians if g.login == username), None)
        if plan is not None and plan.language == language:
            schools = sorted({school_names[slug] for slug, _ in plan.children})
            rows.append((username, role, ", ".join(schools)))
    return rows


def seed_guardians(
    *, network: Network, guardians: Sequence[GuardianPlan], encoded_password: Any
) -> tuple[int, int]:
    """Write the guardians that are missing, their links to their children and the three
    family logins; return (guardians, family accounts) of the network, totals."""
    existing = set(Guardian.objects.filter(network=network).values_list("sourced_id", flat=True))
    new = [g for g in guardians if g.sourced_id not in existing]
    rows = [
        Guardian(
            network=network,
            sourced_id=g.sourced_id,
            given_name=g.given_name,
            family_name=g.family_name,
            email=g.email,
            language=g.language,
            relationship=g.relationship,
        )
        for g in new
    ]
    Guardian.objects.bulk_create(rows, batch_size=1000)
    student_pk = {
        (slug, local_id): pk
        for slug, local_id, pk in Student.objects.filter(school__network=network).values_list(
            "school__slug", "local_id", "pk"
        )
    }
    saved = dict(
        Guardian.objects.filter(
            network=network, sourced_id__in=[g.sourced_id for g in new]
        ).values_list("sourced_id", "pk")
    )
    links = [
        Guardian.students.through(guardian_id=saved[g.sourced_id], student_id=student_pk[child])
        for g in new
        for child in g.children
        if child in student_pk
    ]
    Guardian.students.through.objects.bulk_create(links, batch_size=2000)
    _seed_family_logins(network=network, guardians=guardians, encoded_password=encoded_password)
    family_account = apps.get_model("families", "FamilyAccount")
    return (
        Guardian.objects.filter(network=network).count(),
        family_account.objects.filter(guardian__network=network).count(),
    )


def _seed_family_logins(
    *, network: Network, guardians: Sequence[GuardianPlan], encoded_password: Any
) -> None:
    family_account = apps.get_model("families", "FamilyAccount")
    user_model = get_user_model()
    for plan in guardians:
        if not plan.login or user_model._default_manager.filter(username=plan.login).exists():
            continue
        guardian = Guardian.objects.get(network=network, sourced_id=plan.sourced_id)
        if family_account.objects.filter(guardian=guardian).exists():
            continue
        user = user_model(
            username=plan.login,
            first_name=plan.given_name,
            last_name=plan.family_name,
            email=plan.email,
        )
        user.password = encoded_password()
        user.full_clean()
        user.save()
        family_account.objects.create(guardian=guardian, user=user)
