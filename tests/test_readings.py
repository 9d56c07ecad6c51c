"""How triage read a signal reaches a case manager in their own language, never as a code."""

from __future__ import annotations

import pytest

from flows.casework.readings import described
from flows.l10n.i18n import Catalogs


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


def test_layers_and_confidence_read_as_words_in_english(catalogs: Catalogs) -> None:
    assert described(catalogs, "en", "lexicon + semantic, 0.87") == (
        "phrase list and meaning of the words, 87% sure")
    assert described(catalogs, "en", "semantic + letters, 0.60") == (
        "meaning of the words and spelling in Latin letters, 60% sure")


def test_each_staff_language_gets_its_own_words_and_number_format(catalogs: Catalogs) -> None:
    french = described(catalogs, "fr", "lexicon + semantic + letters, 0.5")
    assert french == ("liste d’expressions, sens des mots et écriture en lettres latines, "
                      "certitude 50\u00a0%")
    arabic = described(catalogs, "ar", "semantic, 0.6")
    assert "معنى الكلمات" in arabic and "semantic" not in arabic
    for locale in ("am", "es", "fa"):
        text = described(catalogs, locale, "lexicon, 0.9")
        assert "lexicon" not in text and "phrase list" not in text


def test_a_reading_in_an_unknown_form_is_shown_as_stored(catalogs: Catalogs) -> None:
    for stored in ("-, 0.50", "keywords, 0.9", "semantic, high", "semantic, 7", "semantic"):
        assert described(catalogs, "en", stored) == stored
