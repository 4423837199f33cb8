"""The Spanish and Vietnamese catalogs are complete: every string families read is in them,
translated, not fuzzy, with the same placeholders, and compiles to what Django serves.

A failure here means: run ``manage.py families_messages`` and translate what it reports
(locale/<lang>/LC_MESSAGES/django.po)."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.utils import translation

from families.catalogs import (
    PLURAL_FORMS,
    TRANSLATED,
    Message,
    catalog_messages,
    catalog_path,
    compile_catalogs,
    extract_messages,
    locale_dir,
    regenerate,
)

# Python's %-placeholders ("%(name)s", "%d"; "%%" is a plain percent sign) and str.format's.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]|\{[A-Za-z_]\w*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def entries(language: str) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(catalog_path(language))) if not e.obsolete]


def described(entry: polib.POEntry) -> str:
    return f"{entry.msgid!r} ({', '.join(o[0] for o in entry.occurrences)})"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    catalog = polib.pofile(str(catalog_path(language)))
    assert [described(e) for e in catalog.untranslated_entries()] == []
    assert [described(e) for e in catalog.fuzzy_entries()] == []
    assert not catalog.metadata_is_fuzzy


@pytest.mark.parametrize("language", TRANSLATED)
def test_plurals_have_the_forms_of_the_language(language):
    catalog = polib.pofile(str(catalog_path(language)))
    assert catalog.metadata["Plural-Forms"] == PLURAL_FORMS[language]
    forms = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[language])[1])
    for entry in entries(language):
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == list(range(forms)), described(entry)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_families_read_is_in_the_catalog(language):
    missing = sorted(m.msgid for m in extract_messages() - catalog_messages(language))
    assert missing == [], "run manage.py families_messages, then translate: " + repr(missing)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    wrong = []
    for entry in entries(language):
        if entry.msgid_plural:
            # The last form is the plural's; other forms may drop a count ("one lesson").
            allowed = set(placeholders(entry.msgid) + placeholders(entry.msgid_plural))
            forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            if placeholders(forms[-1]) != placeholders(entry.msgid_plural) or any(
                not set(placeholders(form)) <= allowed for form in forms
            ):
                wrong.append(described(entry))
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            wrong.append(described(entry))
    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_what_django_serves(language, tmp_path):
    shutil.copytree(locale_dir(), tmp_path / "locale")
    (mo,) = [
        p for p in compile_catalogs(tmp_path / "locale", force=True) if p.parts[-3] == language
    ]
    compiled = gettext.GNUTranslations(mo.open("rb"))
    some = next(
        e for e in entries(language) if e.translated() and not e.msgid_plural and not e.msgctxt
    )
    assert compiled.gettext(some.msgid) == some.msgstr
    with translation.override(language):
        assert translation.gettext(some.msgid) == some.msgstr


def test_the_extraction_reads_every_way_of_marking_a_string(tmp_path):
    (tmp_path / "templates/families").mkdir(parents=True)
    (tmp_path / "families").mkdir()
    (tmp_path / "templates/families/page.html").write_text(
        '{% load i18n %}<h1>{% translate "Today" %}</h1>\n'
        '{% translate "May" context "month" %}\n'
        "{% blocktranslate with name=child.first_name %}{{ name }}'s day{% endblocktranslate %}\n"
        "{% blocktranslate trimmed count minutes=total %}\n  {{ minutes }} minute\n"
        "{% plural %}\n  {{ minutes }} minutes\n{% endblocktranslate %}\n"
        '{{ value|default:_("None yet") }}\n'
        "<p>Not marked</p>\n",
        encoding="utf-8",
    )
    (tmp_path / "families/words.py").write_text(
        "from django.utils.translation import gettext_lazy as _, ngettext, pgettext\n"
        'LUNCH = _("Lunch")\n'
        'RECESS = _("Re" "cess")\n'
        'ONE = ngettext("%(n)s week", "%(n)s weeks", 2)\n'
        'KIND = pgettext("block kind", "Lab")\n'
        "# _('in a comment')\n"
        "NOT = _(variable)\n",
        encoding="utf-8",
    )
    (tmp_path / "families/migrations").mkdir()
    (tmp_path / "families/migrations/0001.py").write_text('_("History")\n', encoding="utf-8")
    assert extract_messages(tmp_path) == {
        Message(None, "Today"),
        Message("month", "May"),
        Message(None, "%(name)s's day"),
        Message(None, "%(minutes)s minute", "%(minutes)s minutes"),
        Message(None, "None yet"),
        Message(None, "Lunch"),
        Message(None, "Recess"),
        Message(None, "%(n)s week", "%(n)s weeks"),
        Message("block kind", "Lab"),
    }


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge")),
    reason="GNU gettext is not installed (apt-get install gettext)",
)
def test_regenerating_finds_the_same_strings_and_loses_no_translation(tmp_path):
    """``families_messages`` (makemessages) and the pure-Python extraction agree, and a
    regeneration of the repository's catalogs keeps every translation."""
    shutil.copytree(locale_dir(), tmp_path / "locale")
    regenerate(tmp_path / "locale")
    for language in TRANSLATED:
        assert catalog_messages(language, tmp_path / "locale") == extract_messages()
        after = {
            e.msgid: e
            for e in polib.pofile(str(catalog_path(language, tmp_path / "locale")))
            if not e.obsolete
        }
        for entry in entries(language):
            if entry.translated() and entry.msgid in after:
                assert after[entry.msgid].msgstr == entry.msgstr, described(entry)
                assert after[entry.msgid].msgstr_plural == entry.msgstr_plural, described(entry)


def test_catalogs_are_in_the_repository_and_mo_files_are_not():
    gitignore = (Path(locale_dir()).parent / ".gitignore").read_text(encoding="utf-8")
    assert "*.mo" in gitignore.splitlines()
    for language in TRANSLATED:
        assert catalog_path(language).exists()
