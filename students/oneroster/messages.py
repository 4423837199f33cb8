"""Translation of the reader's messages. The reader also runs without Django set up (a child
process that only reads an export, a script): its messages then stay in English. The names are
gettext's, so ``makemessages`` finds the strings."""

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
