"""The Spanish and Vietnamese catalogs of what families read, and how they are made and compiled.

Only families are translated: staff pages stay US English. So the catalogs hold exactly the
strings of the ``SOURCES`` below (the families app's code and the family templates, emails
included), never the staff apps'. Strings of other apps that a family page shows (a block's
kind, a lab program's sort) are mapped by the families code to its own marked strings.

- ``manage.py families_messages`` regenerates ``locale/<lang>/LC_MESSAGES/django.po`` with
  Django's ``makemessages`` (GNU gettext's xgettext and msgmerge) run in a scratch tree that
  holds only ``SOURCES``: the same rules on every run, whoever adds an app.
- ``manage.py compile_catalogs`` writes the ``.mo`` files with polib, so a machine without GNU
  gettext (a fresh Debian) still serves the translations; ``bin/run`` and ``bin/test`` call it.
- ``extract_messages`` reads the same sources in pure Python (Django's own template-to-gettext
  step, then Python's parser) so the test suite can tell a catalog is missing a string without
  gettext installed.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
# Languages families read besides English (the source language, which needs no catalog).
TRANSLATED = ("es", "vi")
# Everything families read comes from these files (globs relative to the checkout).
SOURCES = (
    "families/**/*.py",
    "templates/families/**/*.html",
    "templates/families/**/*.txt",
)
# Never read by families (fnmatch patterns: "*" spans folders): the migrations' strings are
# history; home visits are planned and read by staff only (households, educators' plans and
# calendars, at /schools/.../home-visits/ and /my/home-visits/), in US English like every staff
# page. A family page that shows a visit must map it to strings of its own, in ``SOURCES``.
EXCLUDED = (
    "families/migrations/*",
    "families/tests/*",
    "families/visits/*",
    "families/visit_*.py",
    "families/views/visits.py",
    "families/views/visit_*.py",
    "templates/families/email/visit_*.txt",  # educators' reminders of their home visits
    "families/households.py",
    "templates/families/visits/*",
)
EXTENSIONS = ("html", "txt", "py")
PLURAL_FORMS = {"es": "nplurals=2; plural=(n != 1);", "vi": "nplurals=1; plural=0;"}
LANGUAGE_TEAMS = {"es": "Spanish", "vi": "Vietnamese"}


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def catalog_path(language: str, directory: Path | None = None) -> Path:
    return (directory or locale_dir()) / language / "LC_MESSAGES" / "django.po"


def source_files(root: Path = ROOT) -> list[Path]:
    """The files whose marked strings families read, relative to ``root``, sorted."""
    found: set[Path] = set()
    for pattern in SOURCES:
        for path in root.glob(pattern):
            relative = path.relative_to(root)
            if path.is_file() and not any(fnmatch(relative.as_posix(), p) for p in EXCLUDED):
                found.add(relative)
    return sorted(found)


# --- Regenerating the catalogs (needs GNU gettext) ------------------------------------------------


def regenerate(destination: Path | None = None, languages: Iterable[str] = TRANSLATED) -> None:
    """Update ``destination``'s catalogs (the repository's by default) to the strings of
    ``SOURCES``: new ones empty, changed ones fuzzy (msgmerge's guess), gone ones dropped;
    translations of the others kept."""
    destination = destination or locale_dir()
    languages = list(languages)
    with tempfile.TemporaryDirectory(prefix="families-messages-") as scratch:
        tree = Path(scratch)
        for relative in source_files():
            (tree / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, tree / relative)
        # makemessages writes into the "locale" folder it finds above each file: this one.
        for language in languages:
            existing = catalog_path(language, destination)
            if existing.exists():
                catalog_path(language, tree / "locale").parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(existing, catalog_path(language, tree / "locale"))
        (tree / "locale").mkdir(exist_ok=True)
        _makemessages(tree, languages)
        for language in languages:
            made = catalog_path(language, tree / "locale")
            target = catalog_path(language, destination)
            target.parent.mkdir(parents=True, exist_ok=True)
            catalog = polib.pofile(str(made), wrapwidth=100)
            _set_header(catalog, language)
            catalog.save(str(target))


def _makemessages(tree: Path, languages: list[str]) -> None:
    here = Path.cwd()
    os.chdir(tree)
    try:
        call_command(
            "makemessages",
            locale=languages,
            domain="django",
            extensions=list(EXTENSIONS),
            no_obsolete=True,
            add_location="file",
            no_wrap=True,
            verbosity=0,
        )
    finally:
        os.chdir(here)


def _set_header(catalog: polib.POFile, language: str) -> None:
    """The same header on every run: no dates, so an unchanged catalog stays byte-identical."""
    catalog.metadata_is_fuzzy = False
    catalog.header = (
        "What families read, in "
        + LANGUAGE_TEAMS[language]
        + ". Regenerate with: manage.py families_messages\n"
        + "(see families/catalogs.py). Keep every entry translated and none fuzzy."
    )
    catalog.metadata = {
        "Project-Id-Version": "rocketship families",
        "Report-Msgid-Bugs-To": "",
        "Language-Team": LANGUAGE_TEAMS[language],
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[language],
    }


# --- Compiling (pure Python) ----------------------------------------------------------------------


def compile_catalogs(directory: Path | None = None, *, force: bool = False) -> list[Path]:
    """Write ``django.mo`` beside each ``locale/*/LC_MESSAGES/django.po`` that is newer than
    its ``.mo`` (or every one with ``force``). Fuzzy and untranslated entries are left out,
    as msgfmt does. Returns the files written."""
    written = []
    for po in sorted((directory or locale_dir()).glob("*/LC_MESSAGES/django.po")):
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            # Written aside, then renamed: parallel test workers may compile at once.
            partial = mo.with_name(f".{mo.name}.{os.getpid()}")
            polib.pofile(str(po)).save_as_mofile(str(partial))
            os.replace(partial, mo)
            written.append(mo)
    return written


def catalogs_compiled(directory: Path | None = None) -> bool:
    """Whether every catalog has a ``.mo`` at least as new as itself."""
    for po in (directory or locale_dir()).glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return False
    return True


# --- Extraction without GNU gettext ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Message:
    """One translatable string as a catalog keys it."""

    msgctxt: str | None
    msgid: str
    msgid_plural: str | None = None


# keyword -> where the context, the message and the plural are among the arguments (as
# makemessages tells xgettext, plus xgettext's own Python keywords).
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def extract_messages(root: Path = ROOT) -> set[Message]:
    """Every marked string of ``SOURCES`` under ``root``, as makemessages would find them."""
    found: set[Message] = set()
    for relative in source_files(root):
        text = (root / relative).read_text(encoding="utf-8")
        if relative.suffix == ".py":
            found |= _from_python(ast.parse(text, filename=str(relative)))
        else:
            found |= _from_template_code(templatize(text, origin=str(relative)))
    return found


def _message(keyword: str, args: list[str | None]) -> Message | None:
    context, single, plural = KEYWORDS[keyword]
    wanted = [i for i in (context, single, plural) if i is not None]
    if len(args) <= max(wanted) or any(args[i] is None for i in wanted):
        return None  # not a literal: xgettext skips it too
    return Message(
        args[context] if context is not None else None,
        args[single],  # type: ignore[arg-type]
        args[plural] if plural is not None else None,
    )


def _from_python(tree: ast.AST) -> set[Message]:
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in KEYWORDS:
            continue
        args = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args
        ]
        if (message := _message(name, args)) is not None:
            found.add(message)
    return found


_CALL = re.compile(r"(?<![\w.])(" + "|".join(KEYWORDS) + r")\s*\(")
_STRING = re.compile(r"""[rRbBuU]?(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""", re.DOTALL)


def _from_template_code(code: str) -> set[Message]:
    """The calls in ``templatize``'s output: Python-like text (gettext('...') between blanked
    template text) that is not always valid Python, so it is scanned, not parsed."""
    found = set()
    for call in _CALL.finditer(code):
        args: list[str | None] = []
        current: str | None = None
        position = call.end()
        while position < len(code):
            char = code[position]
            if char.isspace():
                position += 1
            elif match := _STRING.match(code, position):
                current = (current or "") + ast.literal_eval(match.group())
                position = match.end()
            elif char == ",":
                args.append(current)
                current, position = None, position + 1
            else:  # ")" ends the call; anything else (a count, a variable) ends the literals
                args.append(current)
                break
        if (message := _message(call.group(1), args)) is not None:
            found.add(message)
    return found


def catalog_messages(language: str, directory: Path | None = None) -> set[Message]:
    """The messages a catalog holds (obsolete ones left out)."""
    catalog = polib.pofile(str(catalog_path(language, directory)))
    return {
        Message(entry.msgctxt, entry.msgid, entry.msgid_plural or None)
        for entry in catalog
        if not entry.obsolete
    }
