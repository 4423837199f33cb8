"""A school leader's families page: the guardians of the school's students, whether each has
an account, and the invitations (emails, printed letters). Leaders of the school (and their
network's admins) only: ``get_led_school_or_404``; a guardian with no child enrolled at the
school answers 404. Every list is audited (the children's records it shows)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from rocketship.request_types import AuthenticatedHttpRequest
from students.audit import audit_id_page, audit_reads
from students.models import AuditAction, School
from students.permissions import page_via
from students.scoping import get_led_school_or_404

from ..invitations import (
    InvitationClosed,
    SentInvitation,
    family_rows,
    guardian_of_school_or_404,
    invitation_email,
    invitations_letters,
    invite_on_import,
    invite_on_import_set,
    invite_uninvited,
    roster_language,
)
from ..letters import qr_svg


def _school(request: HttpRequest, school_id: int) -> School:
    return get_led_school_or_404(request.user, school_id, via=page_via(request))


@login_required
@require_http_methods(["GET", "POST"])
def school_families(request: HttpRequest, school_id: int) -> HttpResponse:
    school = _school(request, school_id)
    if request.method == "POST":
        on = request.POST.get("invite_on_import") == "on"
        invite_on_import_set(school=school, on=on)
        messages.success(
            request,
            _("New guardians with an email will be invited after each roster import.")
            if on
            else _("Roster imports will not invite anyone."),
        )
        return redirect("school-families", school_id=school.pk)
    rows = family_rows(school=school)
    children = {child.pk: child for row in rows for child in row.children}
    audit_reads(
        user=request.user,
        objects=children.values(),
        via=page_via(request),
        action=AuditAction.LIST,
    )
    audit_id_page(
        user=request.user, obj=school, via=page_via(request), detail={"guardians": len(rows)}
    )
    return render(
        request,
        "families/signin/school_families.html",
        {
            "school": school,
            "rows": rows,
            "waiting": sum(1 for row in rows if row.status == "none"),
            "invite_on_import": invite_on_import(school),
        },
    )


def _letters(request: HttpRequest, school: School, sent: list[SentInvitation]) -> HttpResponse:
    letters = []
    for item in sent:
        language = roster_language(item.invitation.guardian)
        with translation.override(language):  # the QR code's title, as the letter's words
            qr = qr_svg(item.url)
        letters.append(
            {"sent": item, "guardian": item.invitation.guardian, "language": language, "qr": qr}
        )
    return render(
        request,
        "families/signin/letters.html",
        {"school": school, "letters": letters, "site_url": settings.SITE_URL},
    )


@login_required
@require_POST
def school_family_invite(
    request: AuthenticatedHttpRequest, school_id: int, guardian_id: int
) -> HttpResponse:
    """Invite one guardian: by email when the roster has one (unless a letter is asked for),
    else a letter to print now."""
    school = _school(request, school_id)
    guardian = guardian_of_school_or_404(school=school, guardian_id=guardian_id)
    letter = request.POST.get("channel") == "letter" or not guardian.email
    try:
        if letter:
            letters = invitations_letters(
                guardians=[guardian], school=school, by=request.user, via=page_via(request)
            )
            if not letters:
                raise InvitationClosed
            return _letters(request, school, letters)
        invitation_email(guardian=guardian, school=school, by=request.user, via=page_via(request))
    except InvitationClosed:
        messages.error(request, _("This guardian already has an account."))
    else:
        messages.success(request, _("The invitation is on its way by email."))
    return redirect("school-families", school_id=school.pk)


@login_required
@require_POST
def school_families_invite_all(request: AuthenticatedHttpRequest, school_id: int) -> HttpResponse:
    """Invite every guardian with neither an account nor an open invitation: emails go out by
    a task; the letters for guardians without an email are shown to print."""
    school = _school(request, school_id)
    emailed, letters = invite_uninvited(school=school, by=request.user, via=page_via(request))
    if emailed:
        messages.success(
            request,
            ngettext(
                "%(count)d invitation is on its way by email.",
                "%(count)d invitations are on their way by email.",
                emailed,
            )
            % {"count": emailed},
        )
    if letters:
        return _letters(request, school, letters)
    if not emailed:
        messages.info(request, _("Every guardian already has an account or an invitation."))
    return redirect("school-families", school_id=school.pk)
