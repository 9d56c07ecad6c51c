"""The lexicon layer: which distress categories a message shows, and the highest tier.

Lexicons are data, one per language (``locales/<lang>/distress.yaml``), so that country
offices extend them without code. Matching works on normalised words:

- Unicode NFKC and case folding; Latin accents dropped ("désespéré" = "desespere");
- Arabic and Persian letter variants unified (أ إ آ → ا, ى ی → ي, ة → ه, ک → ك), tatweel,
  short-vowel marks and Persian half-spaces removed; Ethiopic homophones unified (ሐ ኀ → ሀ);
- letters repeated for emphasis collapsed ("soooo saaad" = "so sad"), on both sides;
- a word may differ from the lexicon's by one letter (a typo) when it has seven or more;
  such a match is weaker evidence ("cocina" is one letter from "cocaína", "toiture" from
  "torture"): when a message's top tier rests on typo matches alone, the result carries
  the reading without them (``exact``), and the typo counts only where the semantic layer
  does not read the message as plainly benign (``reading.weighed``);
- a lexicon word ending in ``*`` matches any word it begins ("kill*" = "killing"), one
  starting with ``*`` any word it ends, one in stars any word it is part of ("*انتحار*"
  finds "الانتحار", "بالانتحار": Arabic joins articles and prepositions to words);
- a word in brackets is optional ("ran out of (my) pills").

Phrases match whole words in sequence. Idioms listed under ``not_distress`` ("this job is
killing me") cancel a match they overlap. Negation is conservative: a Tier 1 phrase after a
negation ("I will not kill myself") still reaches a person, at Tier 2; a negated Tier 2 or
3 phrase ("I am not sad") counts for nothing.

Triage supports a human decision; it never replaces one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from flows.l10n.content import ContentError, read_yaml
from flows.l10n.i18n import DEFAULT_LOCALES_DIR

FUZZY_MIN_LENGTH = 7
NOTE_72H = (
    "Possible recent sexual violence: post-exposure HIV prophylaxis and emergency "
    "contraception work only within 72 hours."
)

_ARABIC_VARIANTS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ئ": "ي", "ة": "ه",
    "ؤ": "و", "ک": "ك", "ڪ": "ك", "ۀ": "ه", "ھ": "ه", "ـ": None, "’": "'", "ʼ": "'",
    "‘": "'", "\u200c": None, "\u200d": None,  # Persian half-spaces join: می‌خواهم = میخواهم
})
# Ethiopic letters that sound alike and are written either way (ሐ/ኀ/ሀ, ሠ/ሰ, ዐ/አ, ፀ/ጸ),
# each in its seven vowel orders: one form for each.
_ETHIOPIC_HOMOPHONES = str.maketrans({
    **{0x1210 + i: 0x1200 + i for i in range(7)},  # ሐ → ሀ
    **{0x1280 + i: 0x1200 + i for i in range(7)},  # ኀ → ሀ
    **{0x1220 + i: 0x1230 + i for i in range(7)},  # ሠ → ሰ
    **{0x12D0 + i: 0x12A0 + i for i in range(7)},  # ዐ → አ
    **{0x1340 + i: 0x1338 + i for i in range(7)},  # ፀ → ጸ
})
_REPEATS = re.compile(r"(\w)\1+")
# Words, and the punctuation that ends a clause (Latin, Arabic, Ethiopic), kept as "|" so
# that a negation never reaches across it: "I'm not ok. I want to die" is not negated.
_TOKEN = re.compile(r"\w+|[.,;:!?\n؟،؛።፣፤፥፦]")
BOUNDARY = "|"
# French typed without its apostrophe ("jsuis", "jme suis coupé", "jarrive pas a respirer"):
# no French word starts with j and a consonant, so that j is always "je" elided; before a
# vowel only the verbs people type this way are split ("jai", "jarrive"), since "jamais",
# "jour" and "juste" are words of their own.
_GLUED_J = re.compile(r"\bj(?=[bcdfgklmnpqrstvwxz]\w)|\bj(?=(?:ai|arrive|arrivais|arrete|avais|"
                      r"aurais|etais|en|y|ecoute|essaie|essaye|attends|habite|entends|ose|"
                      r"aime|hais|appelle)\b)")


def normalise(text: str, elisions: bool = False) -> list[str]:
    """The words of ``text`` in the form lexicons are compared in; "|" ends a clause.

    Apostrophes join ("don't" = "dont"), or with ``elisions`` separate, as French needs
    ("n'arrête" = "n arrête", so that "arrête pas de pleurer" is found in it), and then
    "jsuis" is "j suis" too.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_VARIANTS)
    text = text.translate(_ETHIOPIC_HOMOPHONES)
    text = text.replace("'", " " if elisions else "")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if elisions:
        text = _GLUED_J.sub("j ", text)
    return [_REPEATS.sub(r"\1", token) if token[0].isalnum() or token[0] == "_" else BOUNDARY
            for token in _TOKEN.findall(text)]


def expand(phrase: str) -> list[str]:
    """A phrase with optional words in brackets, written out: "ran out of (my) pills" gives
    "ran out of pills" and "ran out of my pills"."""
    variants = [[]]  # type: list[list[str]]
    for word in phrase.split():
        if word.startswith("(") and word.endswith(")"):
            inner = word[1:-1]
            variants = [*variants, *([*v, inner] for v in variants)]
        else:
            variants = [[*v, word] for v in variants]
    return [" ".join(v) for v in variants if v]


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


class CategorySpec(BaseModel):
    tier: int = Field(ge=1, le=3)
    note_72h: bool = False
    # Tier 1 only when recent (domain.md §7): told as long past ("years ago", "when I was in
    # Libya") and with no sign that it goes on, it is Tier 2.
    recent_only: bool = False
    # A possible Tier 1 signal (a farewell, giving things away): the person is asked the
    # direct question first, rather than the team alerted at once.
    ask: bool = False
    phrases: list[str] = Field(min_length=1)


class LexiconFile(BaseModel):
    """The schema of ``distress.yaml``."""

    language: str
    elisions: bool = False
    negations: list[str] = []
    # Negations that follow what they negate, within the window (Persian, Amharic: the verb
    # comes last, "غمگین نیستم" = "I am not sad").
    negations_after: list[str] = []
    # Words that start a new clause, like punctuation: "I want to die, but I won't do
    # anything" must not have its "want to die" negated by what follows "but".
    clause_words: list[str] = []
    negation_window: int = Field(default=3, ge=0, le=8)
    not_distress: list[str] = []
    # Words that place what is told in the past, or in the present (for recent_only).
    past_markers: list[str] = []
    recent_markers: list[str] = []
    categories: dict[str, CategorySpec]

    @field_validator("categories")
    @classmethod
    def _names(cls, value: dict[str, CategorySpec]) -> dict[str, CategorySpec]:
        for name in value:
            if not re.fullmatch(r"[a-z_]+", name):
                raise ValueError(f"category name {name!r}: use lowercase letters and _")
        return value


class LexiconError(ContentError):
    """A lexicon that cannot be used; the message names the file and, if known, the line."""


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]  # normalised; a trailing "*" marks a prefix
    text: str  # as written in the lexicon
    category: str


@dataclass(frozen=True, slots=True)
class Hit:
    phrase: Phrase
    start: int
    end: int
    negated: bool
    typo: bool = False  # a word matched only one letter off


@dataclass(frozen=True, slots=True)
class LexiconResult:
    tier: int | None
    categories: tuple[str, ...]
    matched: tuple[str, ...]
    note_72h: bool = False
    negated: bool = False  # the Tier 1 phrase found was negated (read as Tier 2)
    possible: bool = False  # Tier 1 only from "ask" phrases: possible, not clear
    # The top tier rests on typo matches alone: the reading without them (else None).
    exact: LexiconResult | None = None


NOTHING = LexiconResult(None, (), ())


class Lexicon:
    def __init__(self, spec: LexiconFile, source: str = "") -> None:
        self.language = spec.language
        self.source = source
        self.elisions = spec.elisions
        self.tiers = {name: c.tier for name, c in spec.categories.items()}
        self.note_72h = {name for name, c in spec.categories.items() if c.note_72h}
        self.negation_window = spec.negation_window
        self.negations = [tuple(w for w in normalise(n, self.elisions) if w != BOUNDARY)
                          for n in spec.negations]
        self.negations = [n for n in self.negations if n]
        self.negations_after = [tuple(w for w in normalise(n, self.elisions) if w != BOUNDARY)
                                for n in spec.negations_after]
        self.negations_after = [n for n in self.negations_after if n]
        self.clause_words = {w for text in spec.clause_words
                             for w in normalise(text, self.elisions) if w != BOUNDARY}
        self.recent_only = {name for name, c in spec.categories.items() if c.recent_only}
        self.ask = {name for name, c in spec.categories.items() if c.ask}
        self.past_markers = self._markers(spec.past_markers)
        self.recent_markers = self._markers(spec.recent_markers)
        self.phrases = [self._phrase(variant, name) for name, c in spec.categories.items()
                        for text in c.phrases for variant in expand(text)]
        self.idioms = [self._phrase(variant, "") for text in spec.not_distress
                       for variant in expand(text)]
        self._exact: dict[str, list[Phrase]] = defaultdict(list)
        self._fuzzy: dict[str, list[Phrase]] = defaultdict(list)
        self._prefix: list[Phrase] = []
        for phrase in [*self.phrases, *self.idioms]:
            first = phrase.words[0]
            if "*" in first:
                self._prefix.append(phrase)
            else:
                self._exact[first].append(phrase)
                if len(first) >= FUZZY_MIN_LENGTH:
                    for variant in _deletions(first):
                        self._fuzzy[variant].append(phrase)

    def _markers(self, texts: list[str]) -> list[tuple[str, ...]]:
        found = [tuple(w for w in normalise(t, self.elisions) if w != BOUNDARY) for t in texts]
        return [m for m in found if m]

    def long_past(self, words: list[str]) -> bool:
        """Told as past, with nothing saying it goes on or happened just now."""
        return (_contains(words, self.past_markers)
                and not _contains(words, self.recent_markers))

    def _phrase(self, text: str, category: str) -> Phrase:
        words: list[str] = []
        for raw in text.split():
            head, tail = raw.startswith("*"), raw.endswith("*") and len(raw) > 1
            normal = [w for w in normalise(raw.strip("*"), self.elisions) if w != BOUNDARY]
            if not normal:
                continue
            normal[0] = ("*" if head else "") + normal[0]
            normal[-1] = normal[-1] + ("*" if tail else "")
            words.extend(normal)
        if not words:
            raise LexiconError(f"{self.source}: the phrase {text!r} has no words")
        return Phrase(tuple(words), text, category)

    @staticmethod
    def _word_exact(pattern: str, word: str) -> bool:
        if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 2:
            return pattern[1:-1] in word
        if pattern.startswith("*"):
            return word.endswith(pattern[1:])
        if pattern.endswith("*"):
            return word.startswith(pattern[:-1])
        return pattern == word

    @staticmethod
    def _word_typo(pattern: str, word: str) -> bool:
        """One letter off (added, dropped or changed), for words of FUZZY_MIN_LENGTH."""
        return (len(pattern) >= FUZZY_MIN_LENGTH and "*" not in pattern
                and abs(len(pattern) - len(word)) <= 1
                and bool(_deletions(pattern) & _deletions(word)))

    @classmethod
    def _word_matches(cls, pattern: str, word: str) -> bool:
        return cls._word_exact(pattern, word) or cls._word_typo(pattern, word)

    def _candidates(self, word: str) -> list[Phrase]:
        found = list(self._exact.get(word, ()))
        if len(word) >= FUZZY_MIN_LENGTH - 1:
            for variant in _deletions(word):
                found.extend(self._fuzzy.get(variant, ()))
        found.extend(p for p in self._prefix if self._word_matches(p.words[0], word))
        return found

    def hits(self, words: list[str]) -> tuple[list[Hit], list[Hit]]:
        """Distress phrases found, and idioms found, as word spans."""
        words = [BOUNDARY if w in self.clause_words else w for w in words]
        found: list[Hit] = []
        idioms: list[Hit] = []
        seen: set[tuple[str, int]] = set()
        for start, word in enumerate(words):
            for phrase in self._candidates(word):
                end = start + len(phrase.words)
                if end > len(words) or (phrase.text, start) in seen:
                    continue
                pairs = list(zip(phrase.words, words[start:end], strict=True))
                if all(self._word_matches(p, w) for p, w in pairs):
                    seen.add((phrase.text, start))
                    typo = not all(self._word_exact(p, w) for p, w in pairs)
                    hit = Hit(phrase, start, end, self._negated(words, start, end), typo)
                    (idioms if not phrase.category else found).append(hit)
        return found, idioms

    def _negated(self, words: list[str], start: int, end: int) -> bool:
        before = words[max(0, start - self.negation_window):start]
        if BOUNDARY in before:
            before = before[len(before) - before[::-1].index(BOUNDARY):]
        after = words[end:end + self.negation_window]
        if BOUNDARY in after:
            after = after[:after.index(BOUNDARY)]
        return _contains(before, self.negations) or _contains(after, self.negations_after)


def _contains(window: list[str], sequences: list[tuple[str, ...]]) -> bool:
    for sequence in sequences:
        n = len(sequence)
        for i in range(len(window) - n + 1):
            if tuple(window[i:i + n]) == sequence:
                return True
    return False


class Lexicons:
    """Every shipped lexicon, by language."""

    def __init__(self, lexicons: dict[str, Lexicon]) -> None:
        self.lexicons = lexicons

    @classmethod
    def load(cls, locales_dir: Path = DEFAULT_LOCALES_DIR) -> Lexicons:
        lexicons = {}
        for path in sorted(locales_dir.glob("*/distress.yaml")):
            lexicon = load_lexicon(path)
            lexicons[lexicon.language] = lexicon
        return cls(lexicons)

    @property
    def languages(self) -> list[str]:
        return sorted(self.lexicons)

    def assess(self, text: str, languages: list[str] | tuple[str, ...]) -> LexiconResult:
        """Read ``text`` with the lexicons of ``languages`` (in that order)."""
        found = self._assess(text, languages, typos=True)
        if not found.typo_only:
            return found.result
        return replace(found.result, exact=self._assess(text, languages, typos=False).result)

    def _assess(self, text: str, languages: list[str] | tuple[str, ...], *, typos: bool
                ) -> _Found:
        tiers: dict[str, int] = {}
        exact_top = 4  # the best tier of the hits without a typo
        matched: list[str] = []
        note = False
        negated = False
        clear = False  # a Tier 1 phrase that is not only a possible signal
        for language in dict.fromkeys(languages):
            lexicon = self.lexicons.get(language)
            if lexicon is None:
                continue
            words = normalise(text, lexicon.elisions)
            hits, idioms = lexicon.hits(words)
            past = bool(hits) and lexicon.long_past(words)
            for hit in hits:
                if (hit.typo and not typos) or any(
                        i.start < hit.end and hit.start < i.end for i in idioms):
                    continue
                tier = lexicon.tiers[hit.phrase.category]
                long_ago = past and hit.phrase.category in lexicon.recent_only
                if long_ago:
                    tier = max(tier, 2)
                if hit.negated:
                    if tier != 1:
                        continue
                    tier = 2  # conservative: a negated Tier 1 phrase still reaches a person
                    negated = True
                category = hit.phrase.category
                clear = clear or (tier == 1 and category not in lexicon.ask)
                tiers[category] = min(tier, tiers.get(category, 3))
                if not hit.typo:
                    exact_top = min(exact_top, tier)
                matched.append(hit.phrase.text)
                note = note or (category in lexicon.note_72h and not long_ago)
        if not tiers:
            return _Found(NOTHING, False)
        ordered = tuple(sorted(tiers, key=lambda c: (tiers[c], c)))
        top = min(tiers.values())
        return _Found(LexiconResult(top, ordered, tuple(dict.fromkeys(matched)), note,
                                    negated and top == 2, top == 1 and not clear),
                      exact_top > top)


@dataclass(frozen=True, slots=True)
class _Found:
    result: LexiconResult
    typo_only: bool  # its top tier rests on typo matches alone


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> Lexicon:
    return _load(Path(path))


def load_lexicon(path: Path) -> Lexicon:
    return _load_cached(str(path), path.stat().st_mtime)


def _load(path: Path) -> Lexicon:
    return Lexicon(read_yaml(path, LexiconFile, LexiconError), str(path))
