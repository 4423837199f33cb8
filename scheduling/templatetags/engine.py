"""``{{ reason.message|engine_text }}``: the engine's stored text with its clock times in the
locale's 12-hour format, for pages that show a stored reason as it is (nightly runs)."""

from django import template

from ..selectors.explanations import engine_text as _engine_text

register = template.Library()


@register.filter
def engine_text(text: object) -> str:
    return _engine_text(str(text))
