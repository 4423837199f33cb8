"""Login accounts: who may change an account's names and email, and the one way an email
changes.

An account's email is where its password-reset link goes, so changing it hands the account to
whoever reads the new address. Hence:

- ``account_management`` says whether someone who leads a school may change the names and
  email of an account working there: only an account that works at that school alone (no staff
  rows at other schools, no network admin, no superuser), unless they administer the network
  of every school it works at. Otherwise it says who manages the account, naming only schools
  they may see.
- ``account_email_change`` is how every email of a login account changes (roster imports,
  Setup > Staff, the admin site): the change is audited (field names, never values) and the
  old address is told once the change commits.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .audit import audit_account_change
from .models import NetworkAdmin, School, Staff
from .permissions import AnyUser, administers, visible_schools

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountManagement:
    """Whether the names and email may be changed here; when not, ``manager`` says why and
    who manages them, for the page."""

    editable: bool
    manager: str = ""


def account_management(*, account: User, school: School, by: AnyUser) -> AccountManagement:
    """Whether ``by`` (who leads ``school``) may change ``account``'s names and email from
    ``school``'s Setup > Staff."""
    if by.is_superuser or account.pk == by.pk:
        return AccountManagement(True)
    if account.is_superuser:
        return AccountManagement(
            False,
            _("This is a site administrator's account; only a site administrator manages it."),
        )
    if NetworkAdmin.objects.filter(user=account).exists():
        return AccountManagement(
            False, _("This is a network admin's account; only a site administrator manages it.")
        )
    elsewhere = list(
        Staff.objects.filter(user=account)
        .exclude(school=school)
        .select_related("school")
        .order_by("school__name")
    )
    if not elsewhere:
        return AccountManagement(True)
    networks = {school.network_id} | {m.school.network_id for m in elsewhere}
    if all(administers(by, network) for network in networks):
        return AccountManagement(True)
    seen = set(
        visible_schools(by)
        .filter(pk__in=[m.school_id for m in elsewhere])
        .values_list("pk", flat=True)
    )
    names = [m.school.name for m in elsewhere if m.school_id in seen]
    hidden = len(elsewhere) - len(names)
    if hidden:
        names.append(
            ngettext("another school", "%(count)d other schools", hidden) % {"count": hidden}
        )
    return AccountManagement(
        False,
        _("Also works at %(schools)s; their network admin manages this account.")
        % {"schools": ", ".join(names)},
    )


def can_log_in(account: User) -> bool:
    return bool(account.is_active and account.has_usable_password())


def account_email_change(
    *,
    user: User,
    new_email: str,
    by: AnyUser | None,
    via: str,
    school: School | None = None,
    save: bool = True,
) -> bool:
    """Change ``user``'s email to ``new_email``; whether it changed. The change is written to
    the audit trail and, when the account can log in, its old address is told once the
    transaction commits (an undone change tells no one). ``save=False``: the caller saves the
    account (a roster import updates many at once)."""
    old_email = user.email
    if old_email == new_email:
        return False
    user.email = new_email
    if save:
        user.save(update_fields=["email"])
    audit_account_change(
        user=by,
        account=user,
        via=via,
        changed_fields=["email"],
        school_id=school.pk if school is not None else None,
    )
    if old_email and can_log_in(user):
        username = user.get_username()
        changed_by = by.get_username() if by is not None and by.is_authenticated else ""
        when = timezone.now()
        transaction.on_commit(
            lambda: _tell_old_address(old_email, username=username, by=changed_by, when=when)
        )
    return True


def _tell_old_address(old_email: str, *, username: str, by: str, when) -> None:
    subject = _("The email address of your Rocketship account was changed")
    who = _("by %(by)s") % {"by": by} if by else _("by a roster import")
    body = _(
        "The email address of the Rocketship account %(username)s was changed %(who)s on "
        "%(when)s UTC. Password-reset links for this account now go to the new address, not "
        "to this one.\n\n"
        "If you did not expect this, tell your school leader or network admin right away."
    ) % {
        "username": username,
        "who": who,
        "when": date_format(timezone.localtime(when, datetime.UTC), "DATETIME_FORMAT"),
    }
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [old_email])
    except Exception:  # the change stands; a mail server being down must not undo it
        logger.exception("could not tell the old address of account %s of its change", username)
