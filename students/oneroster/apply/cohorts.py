"""Cohorts."""

from __future__ import annotations

from ...models import Cohort, Grade, School
from ..plan.wanted import Planned, WantedCohort


def _apply_cohorts(
    schools: dict[str, School],
    grades: dict[tuple[int, int], Grade],
    rows: list[Planned[Cohort, WantedCohort]],
) -> dict[str, Cohort]:
    # Two queries for any number of cohorts (a network has hundreds), not one each.
    new: list[Cohort] = []
    changed: list[Cohort] = []
    for row in rows:
        cohort, wanted = row.existing, row.wanted
        school = schools[wanted.school]
        values: dict[str, object] = {
            "name": wanted.name,
            "grade": grades[(school.pk, wanted.grade)],
            "sourced_id": wanted.sourced_id,
        }
        if wanted.grade_chosen is not None:  # cleared when the class no longer holds it
            values["grade_chosen"] = wanted.grade_chosen
        if cohort is None:
            new.append(Cohort(school=school, **values))
        else:
            for k, v in values.items():
                setattr(cohort, k, v)
            changed.append(cohort)
    # Renames first: a new cohort may take the name a renamed one gives up.
    Cohort.objects.bulk_update(
        changed, ["name", "grade", "grade_chosen", "sourced_id"], batch_size=1000
    )
    Cohort.objects.bulk_create(new, batch_size=1000)
    ids = [s.pk for s in schools.values()]
    return {
        c.sourced_id: c for c in Cohort.objects.filter(school_id__in=ids).exclude(sourced_id="")
    }
