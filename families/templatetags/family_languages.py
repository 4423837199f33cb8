"""``{% family_languages as languages %}``: the languages of the family pages' chooser.

Each is named in itself, whatever the page's language: settings.LANGUAGES' names, untranslated
(``get_available_languages`` would make "English" "Inglés" on a Spanish page) and in composed
Unicode (Django's own ``name_local`` for Vietnamese uses combining accents).
"""

import unicodedata

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def family_languages() -> list[tuple[str, str]]:
    return [(code, unicodedata.normalize("NFC", str(name))) for code, name in settings.LANGUAGES]
