"""Signing guardians in: a one-use link emailed to them (valid ``FAMILY_SIGN_IN_LINK_MINUTES``)
or the password they chose. Asking for a link answers the same whether or not the address has
an account (no enumeration); the requests are limited per client address and per email address,
like password resets (``rocketship.login_guard``). Passwords go through ``authenticate`` with
the request, so django-axes counts and locks failures as it does for staff.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import models as auth_models
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rocketship.cache import count_in_window
from rocketship.client_address import client_address

from .language import language_for
from .models import FamilyAccount, SignInLink
from .tokens import digest, new_token

logger = logging.getLogger(__name__)
User = get_user_model()


def over_limit(kind: str, who: str, limit: int, window_minutes: int) -> bool:
    """Count one request of ``who`` (an address, an email) in the current window; True past
    ``limit``. Keys hold a digest, never the address itself."""
    window_seconds = window_minutes * 60
    window = int(time.time() // window_seconds)
    key = hashlib.sha256(who.encode()).hexdigest()[:32]
    return count_in_window(f"family:{kind}:{key}:{window}", window_seconds + 1) > limit


def code_attempt_refused(request: HttpRequest) -> bool:
    """Whether this address has typed too many one-time codes lately."""
    return over_limit(
        "code",
        client_address(request),
        settings.FAMILY_CODE_LIMIT_PER_ADDRESS,
        settings.FAMILY_CODE_WINDOW_MINUTES,
    )


def link_request_refused(request: HttpRequest, email: str) -> bool:
    """Whether this address, or this email address, asked for too many links lately."""
    window = settings.FAMILY_SIGN_IN_LINK_MINUTES * 4
    by_address = over_limit(
        "link-address", client_address(request), settings.FAMILY_SIGN_IN_LINKS_PER_ADDRESS, window
    )
    by_email = bool(email) and over_limit(
        "link-email", email.lower(), settings.FAMILY_SIGN_IN_LINKS_PER_EMAIL, window
    )
    return by_address or by_email


def accounts_with_email(email: str) -> list[FamilyAccount]:
    """The active family accounts signing in with ``email`` (one household may share one)."""
    if not email or "@" not in email:
        return []
    return list(
        FamilyAccount.objects.select_related("user", "guardian").filter(
            user__email__iexact=email.strip(), user__is_active=True, guardian__active=True
        )
    )


def sign_in_links_send(*, email: str) -> int:
    """Email a one-use sign-in link to each account of ``email``; how many went (the caller
    must not tell the visitor: the answer is the same for 0)."""
    sent = 0
    for account in accounts_with_email(email):
        token = new_token()
        now = timezone.now()
        SignInLink.objects.create(
            account=account,
            token_digest=digest(token),
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=settings.FAMILY_SIGN_IN_LINK_MINUTES),
        )
        url = f"{settings.SITE_URL}{reverse('family-sign-in-link', kwargs={'token': token})}"
        with translation.override(language_for(account)):
            context = {
                "url": url,
                "minutes": settings.FAMILY_SIGN_IN_LINK_MINUTES,
                "username": account.user.get_username(),
            }
            subject = render_to_string("families/signin/link_subject.txt", context).strip()
            body = render_to_string("families/signin/link_email.txt", context)
        send_mail(subject, body, None, [account.user.email])
        logger.info("family sign-in link sent account_id=%s", account.pk)
        sent += 1
    return sent


def sign_in_link_use(token: str) -> FamilyAccount | None:
    """The account a link signs in, marking the link used; None when it is unknown, used or
    expired (a replayed link does nothing)."""
    now = timezone.now()
    with transaction.atomic():
        link = (
            SignInLink.objects.select_for_update()
            .select_related("account__user", "account__guardian")
            .filter(token_digest=digest(token))
            .first()
        )
        if link is None or link.used_at is not None or now >= link.expires_at:
            return None
        link.used_at = now
        link.save(update_fields=["used_at"])
    account = link.account
    if not account.user.is_active or not account.guardian.active:
        return None
    return account


def link_is_usable(token: str) -> bool:
    """Whether a link would sign in now (for its confirmation page; it is not used)."""
    link = SignInLink.objects.filter(token_digest=digest(token)).first()
    return link is not None and link.used_at is None and timezone.now() < link.expires_at


def username_for_identifier(identifier: str) -> str:
    """A typed username, or the username of the one family account with that email address;
    an email shared by several accounts signs in by username only."""
    identifier = identifier.strip()
    if "@" not in identifier:
        return identifier
    accounts = accounts_with_email(identifier)
    if len(accounts) == 1:
        return accounts[0].user.get_username()
    return identifier


def password_sign_in(
    request: HttpRequest, *, identifier: str, password: str
) -> auth_models.User | None:
    """The user ``identifier`` (username or email) and ``password`` authenticate, through the
    backends (axes first: a locked-out username or address gets None, and its middleware
    answers with the lockout page)."""
    username = username_for_identifier(identifier)
    return authenticate(request, username=username, password=password)
