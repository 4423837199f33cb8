"""The words of the engine's messages, marked for translation without importing Django.

Every sentence a leader reads from the engine (a pre-check's reason, a validator's violation, an
absence option's summary) is written ``tr("... %(name)s ...", name=...)``: a whole sentence with
named placeholders, never pieced together from fragments. Outside Django the sentence is only
filled in; the scheduling app installs Django's gettext (``install``) when it starts, so a message
comes out in the language active where it is made. ``makemessages`` finds the sentences with
``--keyword=tr --keyword=trn:1,2``.
"""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]
TranslatePlural = Callable[[str, str, int], str]


def _same(text: str) -> str:
    return text


def _same_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


_translate: Translate = _same
_translate_plural: TranslatePlural = _same_plural


def install(translate: Translate, translate_plural: TranslatePlural) -> None:
    """Use ``translate`` (gettext) and ``translate_plural`` (ngettext) for every message."""
    global _translate, _translate_plural
    _translate, _translate_plural = translate, translate_plural


def tr(text: str, /, **values: object) -> str:
    """``text`` translated, its ``%(name)s`` placeholders filled from ``values``."""
    translated = _translate(text)
    return translated % values if values else translated


def trn(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The form of ``singular``/``plural`` for ``count``, translated and filled in; ``count``
    is given to the placeholders as ``count`` unless ``values`` name it."""
    return _translate_plural(singular, plural, count) % {"count": count, **values}
