"""Joining (from an invitation's link or a letter's code) and signing in and out. Thin: a form,
one service of ``families.invitations`` / ``families.signin``, render or redirect.

Links opened from an email are confirmed with a button (POST), never used on GET: mail
scanners open links before the guardian does, and must not spend them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..access import account_of
from ..invitations import (
    CodeResult,
    InvitationClosed,
    invitation_accept,
    invitation_check_code,
    open_invitation_by_token,
    roster_language,
)
from ..models import FamilyAccount, Invitation
from ..signin import (
    code_attempt_refused,
    link_is_usable,
    link_request_refused,
    password_sign_in,
    sign_in_link_use,
    sign_in_links_send,
)
from ..signin_forms import AcceptForm, CodeForm, LinkRequestForm, PasswordSignInForm

# The invitation a correct letter code opened, kept in the visitor's session until they choose
# how to sign in (the code itself is never kept).
JOIN_SESSION_KEY = "family_join_invitation"
BACKEND = "django.contrib.auth.backends.ModelBackend"
page = require_http_methods(["GET", "POST"])


def _sign_in(request: HttpRequest, account: FamilyAccount) -> HttpResponse:
    login(request, account.user, backend=BACKEND)  # family_session makes it last on a phone
    return redirect("family-home")


def _minutes() -> dict[str, int]:
    return {"minutes": settings.FAMILY_SIGN_IN_LINK_MINUTES}


def _closed(request: HttpRequest) -> HttpResponse:
    return render(request, "families/signin/join_closed.html", status=410)


def _accept_page(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    guardian = invitation.guardian
    form = AcceptForm(request.POST or None, guardian=guardian)
    if request.method == "POST" and form.is_valid():
        try:
            account = invitation_accept(
                invitation_id=invitation.pk,
                password=form.password,
                email=form.cleaned_data.get("email", ""),
            )
        except InvitationClosed:
            return _closed(request)
        request.session.pop(JOIN_SESSION_KEY, None)
        response = _sign_in(request, account)
        if form.password:
            messages.success(
                request,
                _("Welcome! Your username is %(username)s: keep it to sign in with your password.")
                % {"username": account.user.get_username()},
            )
        else:
            messages.success(request, _("Welcome! Next time, ask for a sign-in link by email."))
        return response
    return render(
        request,
        "families/signin/join.html",
        {"form": form, "guardian": guardian, "school": invitation.school},
    )


@page
def join_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link (email or the letter's QR code): choose how to sign in."""
    if account_of(request.user) is not None:
        return redirect("family-home")
    invitation = open_invitation_by_token(token)
    if invitation is None:
        return _closed(request)
    # The guardian's roster language until they choose another (they have no account yet).
    with translation.override(roster_language(invitation.guardian)):
        return _accept_page(request, invitation)


@page
def join_by_code(request: HttpRequest) -> HttpResponse:
    """A printed letter's number and one-time code, typed instead of scanning its QR code."""
    if account_of(request.user) is not None:
        return redirect("family-home")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if code_attempt_refused(request):
            return render(request, "families/signin/too_many.html", status=429)
        if form.is_valid():
            result, invitation = invitation_check_code(
                letter_number=form.cleaned_data["letter"], code=form.cleaned_data["code"]
            )
            if result is CodeResult.OK and invitation is not None:
                request.session[JOIN_SESSION_KEY] = invitation.pk
                return redirect("family-join-continue")
            # The same words whether the letter is unknown, closed or the code wrong: a
            # visitor learns nothing about which letters exist.
            form.add_error(
                None,
                _(
                    "That letter number and code do not match an open invitation. Check them "
                    "on the letter; after a few wrong tries the letter stops working and the "
                    "school can print a new one."
                ),
            )
    return render(request, "families/signin/join_code.html", {"form": form})


@page
def join_continue(request: HttpRequest) -> HttpResponse:
    """After a correct code: choose how to sign in."""
    invitation_id = request.session.get(JOIN_SESSION_KEY)
    invitation = (
        Invitation.objects.select_related("guardian", "school").filter(pk=invitation_id).first()
        if isinstance(invitation_id, int)
        else None
    )
    if invitation is None or not invitation.open_at(timezone.now()):
        request.session.pop(JOIN_SESSION_KEY, None)
        return _closed(request)
    return _accept_page(request, invitation)


@page
def sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in by a link sent by email, or with a username (or email) and password."""
    if account_of(request.user) is not None:
        return redirect("family-home")
    link_form = LinkRequestForm(request.POST if request.POST.get("action") == "link" else None)
    password_form = PasswordSignInForm(
        request.POST if request.POST.get("action") == "password" else None
    )
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST" and link_form.is_bound and link_form.is_valid():
        email = link_form.cleaned_data["email"]
        if link_request_refused(request, email):
            return render(request, "families/signin/too_many.html", status=429)
        sign_in_links_send(email=email)
        # One answer whether or not the address has an account: no enumeration.
        return render(request, "families/signin/link_sent.html", _minutes())
    if request.method == "POST" and password_form.is_bound and password_form.is_valid():
        user = password_sign_in(
            request,
            identifier=password_form.cleaned_data["username"],
            password=password_form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user)
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("family-home" if hasattr(user, "family_account") else "home")
        password_form.add_error(None, _("That username or email and password do not match."))
    return render(
        request,
        "families/signin/sign_in.html",
        {"link_form": link_form, "password_form": password_form, "next": next_url},
    )


@page
def sign_in_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """An emailed sign-in link: a button signs in (once); a used or old link says so."""
    if request.method == "POST":
        account = sign_in_link_use(token)
        if account is not None:
            return _sign_in(request, account)
        return render(request, "families/signin/link_closed.html", _minutes(), status=410)
    if not link_is_usable(token):
        return render(request, "families/signin/link_closed.html", _minutes(), status=410)
    return render(request, "families/signin/link_confirm.html")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("family-sign-in")
