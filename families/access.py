"""Who a signed-in guardian is and which children they may see: the one place family pages,
their JSON endpoints and the notices decide it.

A guardian sees a child while the guardian is active, linked to the child by the roster, and the
child is enrolled today in the child's school's time zone; the day after a withdrawal's last
enrolled day (``Student.enrollment_end``) the child answers 404 like any other child. Every read
of a child's data is audited (``students.audit``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from students.audit import audit_reads
from students.models import School, Student

from .models import FamilyAccount


def account_of(user: Any) -> FamilyAccount | None:
    """The family account of ``user``, or ``None`` for staff and anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        account: FamilyAccount = user.family_account
    except FamilyAccount.DoesNotExist:
        return None
    return account if account.guardian.active else None


def family_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Family pages: signed-in guardians only. Staff and others get 404 (the page is not
    theirs to know about); anonymous visitors go to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "family-sign-in")
        account = account_of(request.user)
        if account is None:
            raise Http404
        request.family_account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def school_today(school: School) -> datetime.date:
    """Today where ``school`` is: a California evening is already tomorrow in UTC."""
    return timezone.localtime(timezone=school.zone).date()


def children_of(account: FamilyAccount) -> list[Student]:
    """The children ``account`` may see today, oldest grade first, then by given name."""
    linked = (
        account.guardian.students.select_related("school", "grade", "cohort")
        .filter(school__network_id=account.guardian.network_id)
        .order_by("-grade__level", "first_name", "pk")
    )
    return [child for child in linked if _enrolled_today(child)]


def child_or_404(account: FamilyAccount, student_id: int, *, via: str) -> Student:
    """One of ``account``'s children, audited as read through ``via``; any other id (another
    family's child, a withdrawn child, a guess) is 404, the same answer as no such student."""
    child = next((c for c in children_of(account) if c.pk == student_id), None)
    if child is None:
        raise Http404
    audit_reads(user=account.user, objects=[child], via=via)
    return child


def _enrolled_today(child: Student) -> bool:
    today = school_today(child.school)
    return child.enrollment_start <= today and (
        child.enrollment_end is None or today <= child.enrollment_end
    )
