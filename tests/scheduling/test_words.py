"""The engine's messages go through the translation the app installs (``solver.words``)."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext, ngettext

from scheduling.solver import words

SPANISH = {
    "%(teacher)s is out on %(day)s.": "%(teacher)s falta el %(day)s.",
    "%(count)s block": "%(count)s bloque",
    "%(count)s blocks": "%(count)s bloques",
}


@pytest.fixture
def spanish():
    """A stand-in catalog, Django's gettext put back afterwards."""
    words.install(
        lambda text: SPANISH.get(text, text),
        lambda one, many, n: SPANISH[one if n == 1 else many],
    )
    yield
    words.install(gettext, ngettext)


def test_the_app_installs_djangos_gettext_when_it_starts():
    assert words._translate is gettext and words._translate_plural is ngettext


def test_a_message_is_translated_before_its_values_are_filled_in(spanish):
    message = words.tr("%(teacher)s is out on %(day)s.", teacher="Ms. Rivera", day="Monday")

    assert message == "Ms. Rivera falta el Monday."


def test_a_count_picks_its_form_then_fills_it_in(spanish):
    assert words.trn("%(count)s block", "%(count)s blocks", 1) == "1 bloque"
    assert words.trn("%(count)s block", "%(count)s blocks", 3) == "3 bloques"


def test_a_message_without_values_keeps_a_percent_sign_as_written():
    assert words.tr("Seats at 90% of the lab.") == "Seats at 90% of the lab."
    assert words.tr("Seats at %(share)s%% of the lab.", share=90) == "Seats at 90% of the lab."
