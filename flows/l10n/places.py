"""Countries by name in the person's language or in English, or by ISO code, via CLDR."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale

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


@lru_cache(maxsize=32)
def _index(locale: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for lang in dict.fromkeys(("en", locale)):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha() and code not in ("EU", "EZ", "UN", "ZZ", "QO"):
                index[fold(name)] = code
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
    return None


@lru_cache(maxsize=1024)
def country_name(code: str, locale: str) -> str:
    return str(Locale.parse(locale).territories.get(code, code))
