"""One locale, US English: dates like "Dec. 7, 2026", one 12-hour clock ("8:15 a.m."), typed
12-hour times understood, and no template writing a date or time format by hand."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation

from rocketship.formats.en import formats as us
from scheduling.models import clock, time_span
from scheduling.selectors import exports
from scheduling.selectors.explanations import engine_text

TEMPLATES = Path(settings.BASE_DIR) / "templates"
DAY = datetime.date(2026, 12, 7)  # a Monday
MORNING = datetime.datetime(2026, 12, 7, 8, 15, tzinfo=datetime.UTC)
NAMED = {name for name in dir(us) if name.endswith("_FORMAT")}
# ISO values for machines, never read by people: ?date= links, <input type=date|time> values,
# element ids, URL arguments. The test below checks they only sit inside a tag.
MACHINE = {"Y-m-d", "Y-m", "Ymd", "H:i", "Hi"}
FILTER = re.compile(r"""\|(date|time):(["'])([^"']*)\2""")


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("DATE_FORMAT", DAY, "Dec. 7, 2026"),
        ("SHORT_DATE_FORMAT", DAY, "12/07/2026"),
        ("WEEKDAY_DATE_FORMAT", DAY, "Monday, December 7, 2026"),
        ("WEEKDAY_MONTH_DAY_FORMAT", DAY, "Monday, December 7"),
        ("SHORT_WEEKDAY_DATE_FORMAT", DAY, "Mon, Dec. 7, 2026"),
        ("SHORT_WEEKDAY_MONTH_DAY_FORMAT", DAY, "Mon, Dec. 7"),
        ("MONTH_DAY_FORMAT", DAY, "December 7"),
        ("YEAR_MONTH_FORMAT", DAY, "December 2026"),
        ("CHART_DATE_FORMAT", datetime.date(2026, 11, 9), "Nov 9"),
        ("TIME_FORMAT", datetime.time(8, 15), "8:15 a.m."),
        ("TIME_FORMAT", datetime.time(14, 5), "2:05 p.m."),
        ("DATETIME_FORMAT", MORNING, "Dec. 7, 2026, 8:15 a.m."),
    ],
)
def test_each_named_format_reads_the_us_way(name, value, shown):
    assert formats.date_format(value, name) == shown
    assert Template(f'{{{{ value|date:"{name}" }}}}').render(Context({"value": value})) == shown


def test_every_time_in_a_message_uses_the_one_12_hour_clock():
    assert clock(datetime.time(8, 15)) == "8:15 a.m."
    assert clock(datetime.time(15, 0)) == "3 p.m."
    assert clock(datetime.time(12, 0)) == "noon"
    assert Template("{{ t|time }}").render(Context({"t": datetime.time(8, 15)})) == "8:15 a.m."
    assert exports.hhmm(datetime.time(13, 40)) == "1:40 p.m."  # the CSV exports' times


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("8:15 AM", datetime.time(8, 15)),
        ("8:15 pm", datetime.time(20, 15)),
        ("8:15PM", datetime.time(20, 15)),
        ("12:30 PM", datetime.time(12, 30)),
        ("12:00 AM", datetime.time(0, 0)),
        ("8 PM", datetime.time(20, 0)),
        ("14:30", datetime.time(14, 30)),  # what <input type="time"> sends
    ],
)
def test_a_typed_12_hour_time_is_understood(typed, time):
    assert forms.TimeField().clean(typed) == time


@pytest.mark.parametrize("typed", ["12/07/2026", "2026-12-07", "Dec 07, 2026", "December 7, 2026"])
def test_a_typed_us_date_is_understood(typed):
    assert forms.DateField().clean(typed) == DAY


def test_a_us_day_first_date_is_not_read_as_day_month():
    with pytest.raises(forms.ValidationError):
        forms.DateField().clean("25/12/2026")


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def test_no_template_writes_a_date_or_time_format_by_hand():
    by_hand = []
    for path in _templates():
        text = path.read_text()
        for match in FILTER.finditer(text):
            fmt = match.group(3)
            where = f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, match.start()) + 1}"
            if fmt in NAMED:
                continue
            if fmt in MACHINE and _inside_a_tag(text, match.start()):
                continue
            by_hand.append(f"{where} {match.group(0)}")
    assert by_hand == []


def test_a_stretch_of_the_day_has_one_dash_everywhere():
    """Pages, emails and the engine's messages join two times with the same hyphen
    (``scheduling.models.time_span``): no template joins them with another dash."""
    other_dash = re.compile(
        r'\|time:"[A-Z_]+" }}\s*[\u2013\u2014]\s*{{|{{ start }}[\u2013\u2014]{{ end }}'
    )
    found = [
        f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
        for path in _templates()
        for m in other_dash.finditer(path.read_text())
    ]
    assert found == []
    with translation.override("en"):
        assert time_span(datetime.time(8, 15), datetime.time(9)) == "8:15 a.m.-9 a.m."


def _inside_a_tag(text: str, at: int) -> bool:
    """Whether position ``at`` is inside an HTML tag's attributes (or a {% url %} tag), where
    a value is for the browser, not the reader."""
    opened, closed = text.rfind("<", 0, at), text.rfind(">", 0, at)
    in_url = text.rfind("{% url", 0, at) > text.rfind("%}", 0, at)
    return opened > closed or in_url


def test_the_named_formats_of_the_templates_exist():
    used = {
        match.group(3)
        for path in _templates()
        for match in FILTER.finditer(path.read_text())
        if match.group(3).endswith("_FORMAT")
    }
    assert used <= NAMED


# Every template a reader sees is marked for translation, e-mails included. The families
# templates are translated separately and join this check once they are.
NOT_YET_TRANSLATED = ("families/",)
TRANSLATED = tuple(
    name
    for name in (str(path.relative_to(TEMPLATES)) for path in _templates())
    if not name.startswith(NOT_YET_TRANSLATED)
)
_MARKED = re.compile(
    r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}",
    re.DOTALL,
)
_TEMPLATE_TAGS = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
# Code samples (<code>) are not prose: "Authorization: Token" stays as the client must send it.
_HTML = re.compile(r"<(script|style|code)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE)
_SPOKEN_ATTRIBUTES = re.compile(r'(?:title|aria-label|alt|placeholder)="([^"]*)"')


# Text handed to an included template ({% include ... with explain="..." %}) is read there; a
# value with a capital or a space is prose (kind="cohort" is a machine value) and needs _("...").
_INCLUDE = re.compile(r"{%\s*include\b.*?%}", re.DOTALL)
_PROSE_ARGUMENT = re.compile(r'\w+="([^"]*(?:[A-Z]|\s)[^"]*)"')


def _words_not_marked(source: str) -> list[str]:
    """The words of ``source`` a reader would see that no translation tag holds."""
    unmarked = _MARKED.sub(" ", source)
    handed_on = [
        value for tag in _INCLUDE.findall(unmarked) for value in _PROSE_ARGUMENT.findall(tag)
    ]
    text = _TEMPLATE_TAGS.sub(" ", unmarked) + " ".join(handed_on)
    spoken = " ".join(_SPOKEN_ATTRIBUTES.findall(text))
    text = re.sub(r"&#?\w+;", " ", _HTML.sub(" ", text) + " " + spoken)
    return re.findall(r"[A-Za-z][A-Za-z'\u2019]+", text)


@pytest.mark.parametrize("name", TRANSLATED)
def test_every_word_of_the_template_is_marked_for_translation(name):
    assert _words_not_marked((TEMPLATES / name).read_text()) == []


def test_the_engines_24_hour_times_reach_people_on_the_12_hour_clock():
    said = "K Howard (cohort 2) has lunch 9:40-10:00 after dismissal at 9:55, not 13:05."

    assert engine_text(said) == (
        "K Howard (cohort 2) has lunch 9:40 a.m.-10 a.m. after dismissal at 9:55 a.m., "
        "not 1:05 p.m."
    )
    assert engine_text("The day ends at 10:00.") == "The day ends at 10 a.m."
    assert engine_text("Version 2 of 2026-09-01") == "Version 2 of 2026-09-01"


# The names rocketship adds to Django's own (rocketship/formats/en/formats.py).
PROJECT_NAMES = (
    "WEEKDAY_DATE_FORMAT",
    "WEEKDAY_MONTH_DAY_FORMAT",
    "SHORT_WEEKDAY_DATE_FORMAT",
    "SHORT_WEEKDAY_MONTH_DAY_FORMAT",
    "CHART_DATE_FORMAT",
)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_projects_format_names_exist_in_every_language_the_site_speaks(language):
    """A missing name would be read as format letters ("WEEKDAY_..." -> week numbers)."""
    assert set(PROJECT_NAMES) <= NAMED
    with translation.override(language):
        assert [name for name in PROJECT_NAMES if formats.get_format(name) == name] == []
