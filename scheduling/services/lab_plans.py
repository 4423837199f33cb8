"""Storing a day's Learning Lab plan (stage 2's answer) beside its schedule version.

``scheduling.selectors.lab_plans`` reads the plan's inputs and reads a stored plan back.
"""

from __future__ import annotations

from ..models import LabGroup, LabPlan, LabSegment, Schedule, time_of
from ..selectors.lab_plans import place_of
from ..solver import plans


def _group_adult(group: plans.PlanGroup) -> int:
    """Who leads a planned group: its tutor, or its service's provider."""
    staff_id = group.tutor if group.kind == plans.ActivityKind.TUTORING else group.provider
    assert staff_id is not None  # stage 2 gives every group its adult
    return staff_id


def lab_plan_store(*, schedule: Schedule, plan: plans.LabPlan, fingerprint: str) -> LabPlan:
    """Store ``plan`` as ``schedule``'s lab plan, in the transaction that stores the schedule."""
    stats = plan.stats
    stored = LabPlan.objects.create(
        schedule=schedule,
        input_fingerprint=fingerprint,
        solver_stats=(
            {
                "status": stats.status,
                "wall_seconds": round(stats.wall_seconds, 3),
                "seed": stats.seed,
            }
            if stats
            else {}
        ),
        shortfalls=[
            {
                "student": s.student,
                "service": s.service,
                "kind": s.kind,
                "providers": list(s.providers),
                "due": s.due,
                "met": s.met,
            }
            for s in plan.shortfalls
        ],
    )
    groups = LabGroup.objects.bulk_create(
        LabGroup(
            plan=stored,
            number=g.id,
            kind=g.kind.value,
            start=time_of(g.start),
            end=time_of(g.end),
            staff_id=_group_adult(g),
            service_kind=g.service_kind or "",
            subject=g.subject or "",
            room_id=place_of(g.place)[0],
            zone_id=place_of(g.place)[1],
        )
        for g in plan.groups
    )
    by_number = {g.number: g for g in groups}
    LabSegment.objects.bulk_create(
        (
            LabSegment(
                plan=stored,
                student_id=seg.student,
                start=time_of(seg.start),
                end=time_of(seg.end),
                kind=seg.kind.value,
                program_id=seg.program,
                group=by_number[seg.group] if seg.group is not None else None,
                service_id=seg.service,
                subject=seg.subject or "",
                zone_id=place_of(seg.place)[1] if seg.group is None else None,
            )
            for seg in plan.segments
        ),
        batch_size=2000,
    )
    return stored
