"""The printed invitation letter's QR code: an inline SVG (no image file, no outside service),
so a leader's browser prints it with the page."""

from __future__ import annotations

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def qr_svg(url: str) -> SafeString:
    """``url`` as an SVG QR code, with a title screen readers announce. Error correction "M"
    survives a crease or a smudge on paper; the 4-module quiet zone is what phone cameras need."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=5, border=4, omitsize=True, title=escape(_("QR code of your invitation link"))
    )
    # segno writes the SVG itself (no input but the URL is placed in it, as modules).
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))
