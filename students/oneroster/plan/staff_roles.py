"""Our roles of a staff member, read from the roles they hold and what they teach."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ...models import Role
from ..records import Class, User

LEADER_ROLES = frozenset(
    {"administrator", "principal", "siteAdministrator", "districtAdministrator"}
)
# What a teacher teaches says which of our roles they hold; the first match wins.
# Without Django's stubs mypy reads a choice (a str) as the (value, label) it is declared as.
SUBJECT_ROLES: tuple[tuple[re.Pattern[str], str], ...] = (  # type: ignore[assignment]
    (re.compile(r"special ed|\bresource\b|\bsped\b|\bspeech\b", re.I), Role.SPED),
    (re.compile(r"learning lab|\bils\b|individuali[sz]ed learning", re.I), Role.ILS),
    (re.compile(r"\bmath|\bstem\b|\bscience", re.I), Role.STEM),
    (
        re.compile(r"\bliter|\breading|\bela\b|\benglish|language arts|humanities|\bsocial", re.I),
        Role.HUMANITIES,
    ),
    (
        re.compile(r"\bart\b|\bmusic\b|\bp\.?e\.?\b|physical ed|\bdance\b|\bspecials\b", re.I),
        Role.SPECIALS,
    ),
)


def staff_roles(
    user: User,
    taught: Iterable[Class],
    titles: dict[str, str],
    defines_cohort: Callable[[Class], bool] | None = None,
) -> set[str]:
    """Our roles of a staff member: leader for administrators, tutor for aides, and for
    teachers what the classes they teach are about (a scheduled class's or a course's title).
    ``defines_cohort`` says which classes are cohorts (homerooms unless the network chose)."""
    is_cohort = defines_cohort or (lambda cls: cls.is_homeroom)
    roles: set[str] = set()
    for held in user.roles:
        if held.role in LEADER_ROLES:
            roles.add(Role.LEADER)  # type: ignore[arg-type]  # a choice: see above
        elif held.role == "aide":
            roles.add(Role.TUTOR)  # type: ignore[arg-type]
    for cls in taught:
        # A homeroom's title is the cohort's name ("K Dartmouth" is no art teacher): only its
        # course says what is taught there.
        course = titles.get(cls.course_sourced_id, "")
        text = course if is_cohort(cls) else f"{cls.title} {course}"
        for pattern, role in SUBJECT_ROLES:
            if pattern.search(text):
                roles.add(role)
                break
    return roles
