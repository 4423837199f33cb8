"""Households from the roster: guardians who share a child live together, as far as the roster
can tell, and get one home visit between them.

``households_from_roster`` groups a network's active guardians into the connected components of
the guardian-child links (two guardians of one child, and that child's siblings' guardians, are
one household, across cohorts and schools), gives each component one household and keeps the
households families already answered or were visited in: those are never deleted, and when two
components meet, the one with history is kept.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from students.models import Guardian, Network

from .language import normalise
from .visit_models import Household, HouseholdAnswer, HouseholdMember

logger = logging.getLogger("rocketship.families")


@dataclass(frozen=True)
class HouseholdSync:
    created: int
    moved: int  # guardians who changed household
    deleted: int  # empty households without an answer or a visit


def _components(links: list[tuple[int, int]]) -> list[list[int]]:
    """Guardian ids grouped by shared children (union-find over guardian-child links)."""
    parent: dict[int, int] = {}

    def find(g: int) -> int:
        parent.setdefault(g, g)
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    first_guardian: dict[int, int] = {}
    for guardian, child in links:
        find(guardian)
        if child in first_guardian:
            a, b = find(guardian), find(first_guardian[child])
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_guardian[child] = guardian
    groups: dict[int, list[int]] = defaultdict(list)
    for g in parent:
        groups[find(g)].append(g)
    return sorted((sorted(members) for members in groups.values()), key=lambda m: m[0])


def home_language(languages: list[str]) -> str:
    """The household's language from its guardians' roster languages (the first one given):
    a supported code, else the language's own code (``zh``), else English."""
    for raw in languages:
        code = normalise(raw)
        if code:
            return code
        primary = raw.strip().lower().replace("_", "-").split("-")[0]
        if primary.isalpha() and 2 <= len(primary) <= 3:
            return primary
    return "en"


@transaction.atomic
def households_from_roster(network: Network) -> HouseholdSync:
    """Bring the network's households in line with its roster. Safe to run again: a roster
    that did not change changes nothing."""
    guardians = {
        g.pk: g for g in Guardian.objects.filter(network=network, active=True).order_by("pk")
    }
    links = list(
        Guardian.students.through.objects.filter(guardian_id__in=guardians).values_list(
            "guardian_id", "student_id"
        )
    )
    linked = {g for g, _ in links}
    # A guardian with no child linked is nobody's visit: left out.
    components = [c for c in _components(links) if c[0] in linked]
    households = _locked_households(network)
    member_of = dict(
        HouseholdMember.objects.filter(household__network=network).values_list(
            "guardian_id", "household_id"
        )
    )
    created = moved = 0
    claimed: set[int] = set()
    for component in components:
        candidates = sorted(
            {member_of[g] for g in component if g in member_of} - claimed,
            key=lambda h: (not households[h].has_history, h),
        )
        languages = [guardians[g].language for g in component if guardians[g].language]
        if candidates:
            household = households[candidates[0]]
        else:
            household = Household.objects.create(network=network, language=home_language(languages))
            household.has_history = False
            households[household.pk] = household
            created += 1
        claimed.add(household.pk)
        language = home_language(languages)
        if languages and household.language != language:
            household.language = language
            household.save(update_fields=["language"])
        for g in component:
            if member_of.get(g) == household.pk:
                continue
            HouseholdMember.objects.update_or_create(
                guardian_id=g, defaults={"household": household}
            )
            moved += g in member_of
            member_of[g] = household.pk
    # Guardians no longer active (or with no child) leave their household; history stays.
    in_components = {g for c in components for g in c}
    gone = [g for g in member_of if g not in in_components]
    HouseholdMember.objects.filter(guardian_id__in=gone).delete()
    empty = [h.pk for h in households.values() if h.pk not in claimed and not h.has_history]
    deleted = (
        Household.objects.filter(pk__in=empty, members__isnull=True).delete()[0] if empty else 0
    )
    logger.info(
        "households network_id=%s created=%d moved=%d deleted=%d",
        network.pk,
        created,
        moved,
        deleted,
    )
    return HouseholdSync(created=created, moved=moved, deleted=deleted)


def _locked_households(network: Network) -> dict[int, Household]:
    """The network's households, locked for the sync, each marked with ``has_history``: an
    answer given or a visit on record."""
    rows = list(Household.objects.select_for_update().filter(network=network).order_by("pk"))
    visited = set(
        Household.objects.filter(network=network, visits__isnull=False).values_list("pk", flat=True)
    )
    for h in rows:
        h.has_history = h.answer != HouseholdAnswer.NOT_ASKED or h.pk in visited
    return {h.pk: h for h in rows}
