"""Words of the scheduling engine that no page, email or export may show a school: its statuses,
its scores and its constraint codes. One list, used by every test that reads a page as a
principal or a teacher would."""

from __future__ import annotations

import html
import re

# Whole words, matched in the case shown: the engine's status names and internal codes.
ENGINE_CODES = (
    "FEASIBLE",
    "INFEASIBLE",
    "OPTIMAL",
    "UNKNOWN",
    "MODEL_INVALID",
    *(f"S{n}" for n in range(1, 6)),  # soft constraints
    *(f"H{n}" for n in range(1, 10)),  # hard constraints
    *(f"W{n}" for n in range(1, 4)),  # staff well-being rules
)
# Matched in any case: the engine's vocabulary, and a raw need score ("Need 0.77").
ENGINE_WORDS = (r"CP-SAT", r"objective", r"penalt(?:y|ies)", r"scores?", r"solver", r"need 0\.")

_CODES = re.compile(r"(?<![\w-])(?:" + "|".join(ENGINE_CODES) + r")(?![\w-])")
_WORDS = re.compile(r"(?<![\w-])(?:" + "|".join(ENGINE_WORDS) + r")", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
# What a reader meets outside the text: tooltips and the names a screen reader speaks.
_SPOKEN = re.compile(r"""\b(?:title|aria-label|alt|placeholder)\s*=\s*("[^"]*"|'[^']*')""")
_TAG = re.compile(r"<[^>]+>")


def readable_text(page: str) -> str:
    """The text a person reads or hears on ``page`` (HTML or plain text)."""
    page = _HIDDEN.sub(" ", page)
    spoken = " ".join(value[1:-1] for value in _SPOKEN.findall(page))
    return html.unescape(_TAG.sub(" ", page) + " " + spoken)


def engine_words_in(page: str) -> list[str]:
    """Each engine word ``page`` shows, with the text around it; [] when it speaks school."""
    text = readable_text(page)
    found = []
    for pattern in (_CODES, _WORDS):
        for match in pattern.finditer(text):
            around = " ".join(text[max(0, match.start() - 60) : match.end() + 60].split())
            found.append(f"{match.group(0)!r} in …{around}…")
    return found
