"""Django's gettext and ngettext for code that also runs without Django set up (an export read
in a child process, a script): there the English message is kept. The names are gettext's, so
``makemessages`` finds the strings. A module of its own, importing nothing of the app, so the
readers (``students.csv_cells``, ``students.oneroster``) can use it without an import cycle."""

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils import translation


def gettext(message: str) -> str:
    try:
        return translation.gettext(message)
    except (AppRegistryNotReady, ImproperlyConfigured):
        return message


def ngettext(singular: str, plural: str, count: int) -> str:
    try:
        return translation.ngettext(singular, plural, count)
    except (AppRegistryNotReady, ImproperlyConfigured):
        return singular if count == 1 else plural
