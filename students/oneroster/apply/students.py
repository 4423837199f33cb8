"""Students and their homeroom moves."""

from __future__ import annotations

from ...models import Cohort, CohortMove, Grade, School, Student
from ..plan.wanted import Move, Planned, StudentEnded, StudentPlaced, StudentRow, WantedStudent


def _apply_students(
    schools: dict[str, School],
    grades: dict[tuple[int, int], Grade],
    cohorts: dict[str, Cohort],
    rows: list[Planned[Student, StudentRow]],
) -> None:
    new: list[Student] = []
    changed: list[Student] = []
    fields: set[str] = set()
    # Each student's homeroom move for a later day, or None to clear a stored one.
    moves: list[tuple[Student, Move | None]] = []
    for row in rows:
        student, wanted = row.existing, row.wanted
        values: dict[str, object] = {}
        # A row that states no move (an ended student's) leaves a stored one as it is.
        states_move, move = False, None
        if isinstance(wanted, WantedStudent | StudentPlaced):
            school = schools[wanted.school]
            values["grade"] = grades[(school.pk, wanted.grade)]
            values["cohort"] = cohorts[wanted.cohort] if wanted.cohort else None
        if isinstance(wanted, WantedStudent):
            values.update(
                sourced_id=wanted.sourced_id,
                local_id=wanted.local_id,
                first_name=wanted.first_name,
                last_name=wanted.last_name,
                enrollment_end=wanted.enrollment_end,
            )
            states_move, move = wanted.states_move, wanted.move
        elif isinstance(wanted, StudentPlaced):
            values["enrollment_end"] = None
        elif isinstance(wanted, StudentEnded):
            values["enrollment_end"] = wanted.enrollment_end
        else:
            states_move, move = True, wanted.move
        if student is None:
            assert isinstance(wanted, WantedStudent), "only a users file row creates a student"
            assert wanted.enrollment_start is not None, "the plan dates a new student's start"
            new.append(Student(school=school, enrollment_start=wanted.enrollment_start, **values))
            if move:
                moves.append((new[-1], move))
            continue
        if move or (states_move and getattr(student, "cohort_move", None) is not None):
            moves.append((student, move))
        for k, v in values.items():
            setattr(student, k, v)
        fields |= set(values)
        changed.append(student)
    Student.objects.bulk_create(new, batch_size=1000)
    if changed and fields:
        Student.objects.bulk_update(changed, sorted(fields), batch_size=1000)
    if moves:  # new students have their pk from bulk_create (PostgreSQL returns it)
        CohortMove.objects.filter(student__in=[student for student, _ in moves]).delete()
        CohortMove.objects.bulk_create(
            [
                CohortMove(student=student, cohort=cohorts[room], starts=day, sourced_id=sid)
                for student, move in moves
                if move
                for room, day, sid in [move]
            ],
            batch_size=1000,
        )
