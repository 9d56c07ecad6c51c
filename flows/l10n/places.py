"""Countries by name in any shipped language, or by ISO code, via CLDR; with a typo too.

Names are folded (case, accents, Arabic short vowels and letter forms, so Arabic and
Persian yeh and kaf meet), looked up in the person's language, English and every other
language the bot speaks ("السنغال" in an English session), then by a unique beginning, then
by similarity with rapidfuzz ("senegl"), where one name is clearly closer than any other.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError

# Arabic-script letters written more than one way: Persian yeh and kaf, alef maqsura,
# teh marbuta, tatweel. (Hamza and madda on alef, and the short vowels, are combining marks
# after NFKD and go with the accents.) Unicode has no folding for these: this is the usual
# normalisation of Arabic search.
_ARABIC_FORMS = str.maketrans({"ی": "ي", "ى": "ي", "ئ": "ي", "ک": "ك", "ة": "ه",
                               "ٱ": "ا", "ۀ": "ه", "ـ": None})


def fold(text: str) -> str:
    """Case, width, accents, Arabic short vowels and letter forms folded, and symbols
    (emoji) dropped: "Sénégal" and "senegal", "تخطَّ" and "تخط", "✅ Done" and "done"
    compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_ARABIC_FORMS)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch)
                   and unicodedata.category(ch) not in ("So", "Sk", "Cf"))
    return re.sub(r"[\s\-'’.,:;!?؟،()]+", " ", kept).strip()


SPOKEN = ("en", "fr", "es", "ar", "fa", "am")  # the languages names are looked up in
_NOT_COUNTRIES = ("EU", "EZ", "UN", "ZZ", "QO")
_TYPO_SCORE = 80  # rapidfuzz ratio (0-100) a typed name must reach
_TYPO_MARGIN = 6  # and by how much it must beat the next country


@lru_cache(maxsize=32)
def _index(locale: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for lang in dict.fromkeys((locale, "en", *SPOKEN)):
        try:
            territories = Locale.parse(lang).territories
        except (ValueError, UnknownLocaleError):
            continue
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                index.setdefault(fold(name), code)
    return index


def find_country(text: str, locale: str) -> str | None:
    """The ISO 3166 code of the country named in ``text``, or None if not recognised."""
    query = fold(text)
    if not query:
        return None
    index = _index(locale)
    if len(query) == 2 and query.isalpha():
        code = query.upper()
        if code in index.values():
            return code
    if query in index:
        return index[query]
    if len(query) >= 4:
        matches = {code for name, code in index.items() if name.startswith(query)}
        if len(matches) == 1:
            return matches.pop()
        if not matches and len(query) >= 5:
            return _closest(query, index)
    return None


def _closest(query: str, index: dict[str, str]) -> str | None:
    """The one country whose name is clearly the closest to ``query`` (a typo)."""
    from rapidfuzz import fuzz, process

    best: dict[str, float] = {}
    for name, score, _ in process.extract(query, list(index), scorer=fuzz.ratio, limit=8,
                                          score_cutoff=_TYPO_SCORE - _TYPO_MARGIN):
        code = index[name]
        best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.values(), reverse=True)
    if not ranked or ranked[0] < _TYPO_SCORE:
        return None
    if len(ranked) > 1 and ranked[0] - ranked[1] < _TYPO_MARGIN:
        return None
    return max(best, key=lambda code: best[code])


@lru_cache(maxsize=1024)
def country_name(code: str, locale: str) -> str:
    return str(Locale.parse(locale).territories.get(code, code))
