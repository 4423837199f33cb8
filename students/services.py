"""Writes to school and people data: validate, write and audit in one transaction."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext

from .audit import audit_write
from .models import AuditAction, Student
from .permissions import AnyUser


@transaction.atomic
def student_withdraw(
    *, student: Student, last_day: datetime.date, by: AnyUser, via: str
) -> Student:
    """End a student's enrollment on ``last_day``; the record and its history stay."""
    locked = Student.objects.select_for_update().get(pk=student.pk)
    if last_day < locked.enrollment_start:
        raise ValidationError(
            {
                "enrollment_end": gettext(
                    "The last day (%(last_day)s) is before the enrollment started (%(start)s)."
                )
                % {
                    "last_day": date_format(last_day),
                    "start": date_format(locked.enrollment_start),
                }
            }
        )
    locked.enrollment_end = last_day
    locked.save(update_fields=["enrollment_end"])
    audit_write(
        user=by, obj=locked, action=AuditAction.WITHDRAW, via=via, changed_fields=["enrollment_end"]
    )
    return locked


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deactivate a user; their sessions end when the transaction commits (students.signals)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
