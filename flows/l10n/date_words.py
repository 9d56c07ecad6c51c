"""Dates written with the month in words: "14 March 2026", "March 14, 2026", "14 mars 2026",
"14 de marzo de 2026", "14 آذار 2026", "መጋቢት 5 2018".

Gregorian month names come from CLDR through Babel, in the person's language and in
English, with the regional Arabic series (Levantine "آذار", Maghrebi "جانفي") that Babel
keeps under its regional locales. CLDR data in Babel has no Ethiopian or Solar Hijri month
names, so those are the calendar's own lists in ``dates.py``, with the common spellings
people type (Ethiopic has several letters for one sound: ሀ/ሐ/ኀ, ሰ/ሠ, አ/ዐ).
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

from flows.l10n.places import fold

GREGORIAN, ETHIOPIAN, SOLAR = "gregorian", "ethiopian", "solar"

# Regional locales whose Gregorian month names differ from the language's default.
_REGIONAL = {"ar": ("ar_SY", "ar_DZ", "ar_MR"), "fa": ("fa_AF",)}

_ETHIOPIAN_SPELLINGS = (
    ("መስከረም",), ("ጥቅምት",), ("ኅዳር", "ህዳር", "ሕዳር"), ("ታኅሣሥ", "ታህሳስ", "ታሕሳስ", "ታኅሳስ"),
    ("ጥር",), ("የካቲት",), ("መጋቢት",), ("ሚያዝያ", "ሚያዚያ"), ("ግንቦት",), ("ሰኔ",),
    ("ሐምሌ", "ሀምሌ"), ("ነሐሴ", "ነሃሴ", "ነሀሴ"), ("ጳጉሜን", "ጳጉሜ"),
)

# Words around a date that carry no meaning for it ("le 14", "14 de marzo", "ቀን", "ዓ.ም.").
_FILLER = frozenset({"le", "the", "of", "de", "del", "el", "on", "en", "ቀን", "ዓ", "ም", "ዓም",
                     "عام", "سنه", "في", "روز", "سال"})
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th|er|re|eme|e|º|ª)(?!\w)")


@lru_cache(maxsize=16)
def _months(language: str) -> dict[str, tuple[str, int]]:
    """Folded month name → (calendar, month number), for a language and English."""
    index: dict[str, tuple[str, int]] = {}
    for code in ("en", language, *_REGIONAL.get(language, ())):
        months = Locale.parse(code).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    if not fold(name).isdigit():
                        index.setdefault(fold(name), (GREGORIAN, number))
    if language == "am":
        for number, names in enumerate(_ETHIOPIAN_SPELLINGS, start=1):
            for name in names:
                index[fold(name)] = (ETHIOPIAN, number)
    if language == "fa":
        from flows.l10n.dates import SOLAR_MONTHS, SOLAR_MONTHS_AF

        for series in (SOLAR_MONTHS, SOLAR_MONTHS_AF):
            for number, name in enumerate(series, start=1):
                index[fold(name)] = (SOLAR, number)
    return index


@lru_cache(maxsize=16)
def _pattern(language: str) -> re.Pattern[str]:
    names = sorted(_months(language), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


def read_words(text: str, language: str) -> tuple[str, int, int, int] | None:
    """(calendar, year, month, day) of a date with its month in words; None when the text
    is not such a date. The numbers are not checked against the calendar here."""
    folded = _ORDINAL.sub("", fold(text).replace("/", " "))
    found = list(_pattern(language).finditer(folded))
    if len(found) != 1:
        return None
    calendar, month = _months(language)[found[0].group(1)]
    rest = (folded[: found[0].start()] + " " + folded[found[0].end():]).split()
    numbers = [int(word) for word in rest if word.isdigit()]
    if len(numbers) != 2 or any(not w.isdigit() and w not in _FILLER for w in rest):
        return None
    years = [n for n in numbers if n > 31]
    if len(years) != 1:
        return None
    day = numbers[0] if numbers[1] == years[0] else numbers[1]
    return calendar, years[0], month, day
