"""How triage read a signal, as a case manager reads it.

The signal's encrypted excerpt column keeps the person's words and, after ``READING``, the
machine form of the reading ("lexicon + semantic, 0.87"): layer codes and the confidence.
``described`` turns that into the staff member's language ("phrase list and meaning of the
words, 87 % sure" in English), so an alert never shows a developer's word.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.numbers import format_percent

from flows.engine.events import Msg, OpenEscalation
from flows.l10n.i18n import N_, Catalogs

READING = "\u241e"  # between the person's words and how triage read them, in one column

LAYER_NAMES: dict[str, str] = {
    "lexicon": N_("phrase list"),
    "semantic": N_("meaning of the words"),
    "letters": N_("spelling in Latin letters"),
}


def with_reading(signal: OpenEscalation) -> str | None:
    """The excerpt, with how triage read it kept apart from the words (``split_reading``)."""
    if not signal.excerpt:
        return signal.excerpt
    return f"{signal.excerpt}{READING}{signal.reading}" if signal.reading else signal.excerpt


def split_reading(excerpt: str) -> tuple[str, str]:
    words, _, reading = excerpt.partition(READING)
    return words, reading


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def described(catalogs: Catalogs, locale: str, reading: str) -> str:
    """``reading`` ("lexicon + letters, 0.62") in ``locale``'s words; a reading in an
    unknown form is shown as it was stored rather than lost."""
    codes, sep, confidence = reading.rpartition(", ")
    layers = [c.strip() for c in codes.split("+") if c.strip()] if sep else []
    try:
        sure = float(confidence)
    except ValueError:
        return reading
    if not layers or any(c not in LAYER_NAMES for c in layers) or not 0 <= sure <= 1:
        return reading
    where = _babel_locale(locale)
    names = format_list([catalogs.render(locale, Msg(LAYER_NAMES[c])) for c in layers],
                        locale=where)
    return catalogs.render(locale, Msg(N_("{layers}, {confidence} sure"), {
        "layers": names, "confidence": format_percent(sure, locale=where)}))
