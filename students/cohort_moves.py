"""Making the homeroom moves a roster import found for a later day (``CohortMove``).

The nightly rebuild of a school's next day calls ``cohort_moves_make`` first: every move due
by that day is made (the student's cohort becomes the new homeroom; they keep their own grade,
as a combination homeroom holds several) and forgotten, so the day is built with the student in
their new homeroom. A move is made once; a later import replaces or clears one not yet due.
"""

import datetime
import logging

from django.db import transaction

from .models import CohortMove, School, Student

logger = logging.getLogger(__name__)


def cohort_moves_make(*, school: School, day: datetime.date) -> int:
    """Make the moves of ``school``'s students that start by ``day``; how many were made."""
    with transaction.atomic():
        due = list(
            CohortMove.objects.select_for_update(of=("self",))
            .filter(student__school=school, starts__lte=day)
            .select_related("student", "cohort")
        )
        if not due:
            return 0
        moved: list[Student] = []
        for move in due:
            student = move.student
            student.cohort = move.cohort
            moved.append(student)
        Student.objects.bulk_update(moved, ["cohort"])
        CohortMove.objects.filter(pk__in=[move.pk for move in due]).delete()
    logger.info("homeroom moves made school_id=%s day=%s count=%d", school.pk, day, len(due))
    return len(due)
