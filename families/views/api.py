"""The JSON behind the family page, for the signed-in guardian's session (not the token API
under /api/v1/): their children, one child's day, one child's lab progress and services.

The same access rules as the pages (``families.access``): another family's child, a withdrawn
child or a guessed id is 404; every child read is audited. Nothing of another child is ever in
an answer: a group is its adult, place and time, never its members.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from scheduling.dates import NotADay, parse_day
from students.audit import audit_reads
from students.models import AuditAction, Student
from students.permissions import api_via

from ..access import child_or_404, children_of, family_required, school_today
from ..selectors import (
    ChildDay,
    child_day,
    lab_progress,
    next_published_day,
    services_delivered,
    status_words,
)


def _child(child: Student) -> dict[str, Any]:
    return {
        "id": child.pk,
        "first_name": child.first_name,
        "grade": child.grade.get_level_display() if child.grade_id else "",
        "school": child.school.name,
    }


def _day(day: ChildDay) -> dict[str, Any]:
    body = dataclasses.asdict(day)
    body["changed"] = day.changed
    return body


@family_required
@require_GET
def children_list(request: HttpRequest) -> JsonResponse:
    children = children_of(request.family_account)  # type: ignore[attr-defined]
    audit_reads(user=request.user, objects=children, via=api_via(request), action=AuditAction.LIST)
    return JsonResponse({"children": [_child(c) for c in children]})


@family_required
@require_GET
def child_day_json(request: HttpRequest, student_id: int) -> JsonResponse:
    child = child_or_404(
        request.family_account,  # type: ignore[attr-defined]
        student_id,
        via=api_via(request),
    )
    raw = request.GET.get("date", "").strip()
    try:
        date = parse_day(raw) if raw else None
    except NotADay as error:
        return JsonResponse({"errors": {"date": [str(error)]}}, status=400)
    if date is None:
        today = school_today(child.school)
        date = next_published_day(child, today) or today
    return JsonResponse({"child": _child(child), "day": _day(child_day(child, date))})


@family_required
@require_GET
def child_progress_json(request: HttpRequest, student_id: int) -> JsonResponse:
    child = child_or_404(
        request.family_account,  # type: ignore[attr-defined]
        student_id,
        via=api_via(request),
    )
    progress = lab_progress(child)
    services = services_delivered(child, progress.as_of)
    audit_reads(user=request.user, objects=services.records, via=api_via(request))
    body = dataclasses.asdict(progress)
    body["status_words"] = status_words(progress.status)
    body["services"] = [dataclasses.asdict(s) for s in services.services]
    return JsonResponse({"child": _child(child), "progress": body})
