"""Schools, and the grades every school has."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import slugify

from ...models import Grade, Network, School
from ..plan.wanted import Planned, WantedSchool
from ..scope import GRADE_LEVELS


def _apply_schools(
    network: Network, rows: list[Planned[School, WantedSchool]]
) -> dict[str, School]:
    taken = set(School.objects.values_list("slug", flat=True))
    for row in rows:
        school = row.existing
        wanted = {"name": row.wanted.name, "sourced_id": row.wanted.sourced_id}
        if school is None:
            slug = base = slugify(wanted["name"])[:50] or "school"
            n = 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            School.objects.create(network=network, slug=slug, **wanted)
        elif any(getattr(school, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(school, k, v)
            school.save(update_fields=list(wanted))
    return {s.sourced_id: s for s in School.objects.filter(network=network).exclude(sourced_id="")}


def _grades(schools: Iterable[School]) -> dict[tuple[int, int], Grade]:
    ids = [s.pk for s in schools]
    existing = {(g.school_id, g.level): g for g in Grade.objects.filter(school_id__in=ids)}
    missing = [
        Grade(school_id=sid, level=level)
        for sid in ids
        for level in GRADE_LEVELS.values()
        if (sid, level) not in existing
    ]
    Grade.objects.bulk_create(missing)
    return {(g.school_id, g.level): g for g in Grade.objects.filter(school_id__in=ids)}
