"""Which language a message is written in, so that it is read with the right lexicon.

A person may write Arabic in an English session, or anything at first contact, before a
language is chosen. ``py3langid`` (a maintained fork of langid.py that ships its model) is
asked to choose among the languages we have lexicons for; scripts decide first where they
can (Ethiopic is Amharic here; Arabic script with Persian letters is Persian). A guess below
``MIN_CONFIDENCE`` is no guess: the person's own language and English are read as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

MIN_CONFIDENCE = 0.8
_ETHIOPIC = re.compile("[\u1200-\u139f\u2d80-\u2ddf]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_PERSIAN_LETTERS = re.compile("[پچژگکی]")
_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    supported = [code for code in languages if code in identifier.labels]
    identifier.set_languages(supported or None)
    return identifier


def detect(text: str, languages: Sequence[str]) -> str | None:
    """The language of ``text`` among ``languages``, or None when unsure."""
    languages = tuple(sorted(languages))
    if _ETHIOPIC.search(text) and "am" in languages:
        return "am"
    if _ARABIC_SCRIPT.search(text) and _PERSIAN_LETTERS.search(text) and "fa" in languages:
        return "fa"
    letters = sum(ch.isalpha() for ch in text)
    if letters < 4:
        return None
    with _LOCK:
        code, confidence = _identifier(languages).classify(text)
    return str(code) if confidence >= MIN_CONFIDENCE and code in languages else None
