"""Countries by name in the person's language or in English, or by ISO code, via CLDR."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import Locale


def fold(text: str) -> str:
    """Case, width and Latin accents folded: "Sénégal" and "senegal" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-'’.]+", " ", stripped).strip()


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
