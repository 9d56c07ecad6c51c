"""Triage: what a message shows, how sure we are, and what to do (alert, ask, nothing).

Two layers read every free-text message, each in the language it is written in (detected,
then the person's, then English): the lexicon (precise, explainable phrases, ``lexicon.py``)
and the semantic layer (embeddings and a classifier trained on the example banks,
``semantic.py``). ``reading.py`` turns their readings into one decision.

Embedding is the one slow step (~5 ms a sentence): it runs on a thread, never on the event
loop, and only for text that needs triage. ``assess`` is synchronous and pure; when the
semantic layer is on and the text has not been embedded yet it raises ``NeedsEmbedding``,
and the caller embeds (``embed_async``) and asks again. Button presses and typed answers
the flow understands never get here.

Long messages are read sentence by sentence too, so that "I want to die" at the end of a
long message counts as much as on its own, and the alert quotes the sentences that matched.

Triage supports a human decision; it never replaces one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from flows.l10n.i18n import DEFAULT_LOCALES_DIR
from flows.triage.banks import digest
from flows.triage.embedder import Embedder, load_embedder
from flows.triage.language import detect
from flows.triage.lexicon import NOTHING as LEXICON_NOTHING
from flows.triage.lexicon import LexiconResult, Lexicons
from flows.triage.reading import ALERT, ASK, NONE, Decision, decide, weighed
from flows.triage.semantic import MODEL_FILE, Reading, SemanticModel, Thresholds

log = logging.getLogger(__name__)
MAX_PIECES = 5  # sentences read apart from the whole message (cost: ~5 ms each)
MIN_LETTERS = 3  # "ok", "1", "?" are not read by the semantic layer
MIN_WORDS = 2  # nor one word ("Senegal", "yes"): the lexicon reads those, at no wait
# Longer than this (characters; 9 % of the test split), a message of several sentences is
# embedded once: its whole is made of its sentences (``whole_of``). Made so for every message
# of several sentences, test-split Tier 1 recall fell from 0.97 to 0.96 and reach from 0.96
# to 0.95 (rebuilt, thresholds chosen again on dev); the tail is in the long ones.
LONG_MESSAGE = 200
# Or longer than this in the embedder's tokens, where it counts them (``token_count``): the
# tail of the time was in short messages of several sentences, read whole and then sentence
# by sentence, in scripts of more tokens a character (Amharic, a syllable a letter; Arabic):
# of the test split's slowest 2 %, 119 of 121 were such, Amharic 64 and Arabic 40. Made of their
# sentences above 60 tokens (189 messages of 6,072), the 99th percentile of the tokens one
# thread reads went from 88 to 70 (scratch count over the test split).
LONG_TOKENS = 60
LETTERS_SHOWN = 0.25  # the alert names the letters layer when it took this share or more
_SENTENCE = re.compile(r"(?<=[.!?؟።\n])\s+|\n+")
_EMBEDDING = ThreadPoolExecutor(1, thread_name_prefix="embedding")


class NeedsEmbedding(Exception):
    """The semantic layer needs this text embedded; embed it and ask again."""


@dataclass(frozen=True)
class Embedded:
    text: str
    pieces: tuple[str, ...]  # the whole message, then its sentences when it has several
    vectors: np.ndarray


@dataclass(frozen=True, slots=True)
class TriageResult:
    tier: int | None  # the tier the person is escalated at (for "ask": on a yes)
    categories: tuple[str, ...]
    matched: tuple[str, ...] = ()  # lexicon phrases found
    note_72h: bool = False
    action: str = NONE  # alert | ask | none
    confidence: float = 1.0
    language: str | None = None  # detected, if sure
    layers: tuple[str, ...] = ()  # which layers read distress: lexicon, semantic, letters
    sentences: tuple[str, ...] = ()  # the sentences that showed it (for the alert)
    otherwise: int | None = None  # for "ask": the tier on a no (None: only a notice)

    @property
    def urgent(self) -> bool:
        return self.action == ALERT and self.tier == 1

    def as_json(self, text: str) -> dict[str, Any]:
        return {"text": text, "tier": self.tier, "action": self.action,
                "categories": list(self.categories), "confidence": round(self.confidence, 3),
                "language": self.language, "matched": list(self.matched),
                "layers": list(self.layers), "sentences": list(self.sentences)}


NOTHING = TriageResult(None, ())


def pieces(text: str) -> tuple[str, ...]:
    """The whole text, then its sentences if it has more than one (at most MAX_PIECES: the
    last ones, joined, where there are more; distress often comes at the end)."""
    sentences = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
    if len(sentences) <= 1:
        return (text.strip(),)
    if len(sentences) > MAX_PIECES:
        head = " ".join(sentences[:len(sentences) - MAX_PIECES + 1])
        sentences = [head, *sentences[len(sentences) - MAX_PIECES + 1:]]
    return (text.strip(), *sentences)


def whole_of(parts: tuple[str, ...], sentences: np.ndarray) -> np.ndarray:
    """The whole message's vector from its sentences' (``parts[1:]``, rows of
    ``sentences``): their mean weighted by length, L2-normalised. A message of several
    sentences is then embedded once, not twice (the whole, then each sentence again), which
    halves the cost of the long messages that made the tail (``made_of_sentences``); the
    model is built on vectors made the same way (``build.embed_pieces``)."""
    weights = np.array([len(p) for p in parts[1:]], dtype=np.float64)
    vector = (weights[:, None] * sentences.astype(np.float64)).sum(axis=0)
    return (vector / max(float(np.linalg.norm(vector)), 1e-9)).astype(np.float32)


def made_of_sentences(parts: tuple[str, ...], embedder: object | None = None,
                      long_tokens: int | None = None) -> bool:
    """Whether the whole's vector is made of its sentences' (a long message of several, in
    characters or, with ``long_tokens`` and an embedder that counts them, in tokens):
    shorter messages are embedded whole too, which reads them a little better."""
    if len(parts) < 2:
        return False
    if len(parts[0]) > LONG_MESSAGE:
        return True
    count = getattr(embedder, "token_count", None)
    return long_tokens is not None and callable(count) and count(parts[0]) > long_tokens


def embedded_pieces(embedder: Embedder, parts: tuple[str, ...],
                    long_tokens: int | None = LONG_TOKENS) -> np.ndarray:
    """The vectors of ``parts`` (``pieces``): the whole, then each sentence; ``long_tokens``
    as the model was built with (``SemanticModel.long_tokens``)."""
    if not made_of_sentences(parts, embedder, long_tokens):
        return embedder.embed(list(parts))
    sentences = embedder.embed(list(parts[1:]))
    return np.vstack([whole_of(parts, sentences)[None, :], sentences])


class Triage:
    """Every layer, loaded once; safe to share between engines and threads."""

    def __init__(self, lexicons: Lexicons, model: SemanticModel | None = None,
                 embedder: Embedder | None = None, *, use_lexicon: bool = True) -> None:
        self.lexicons = lexicons
        self.model = model if embedder is not None else None
        self.embedder = embedder
        self.use_lexicon = use_lexicon  # off only to measure the semantic layer alone

    @classmethod
    def load(cls, locales_dir: Path = DEFAULT_LOCALES_DIR, *, semantic: bool = True,
             embedder: str | Embedder | None = None) -> Triage:
        """The lexicons, and the semantic layer when its model file is there and fits."""
        lexicons = Lexicons.load(locales_dir)
        path = locales_dir / MODEL_FILE
        if not semantic or not path.exists():
            return cls(lexicons)
        model = SemanticModel.load(path)
        chosen = embedder if not isinstance(embedder, str | None) else load_embedder(embedder)
        if chosen.name != model.embedder:
            raise ValueError(f"{path}: built with the embedder {model.embedder!r}, not "
                             f"{chosen.name!r}: run homecoming triage build")
        return cls(lexicons, model, chosen)

    @property
    def languages(self) -> list[str]:
        return self.lexicons.languages

    @property
    def tiers(self) -> dict[str, int]:
        """Each category's referral tier (the English lexicon's, which all languages share)."""
        lexicons = self.lexicons.lexicons
        chosen = lexicons.get("en") or next(iter(lexicons.values()), None)
        return dict(chosen.tiers) if chosen is not None else {}

    @property
    def semantic(self) -> bool:
        return self.model is not None

    def stale(self, locales_dir: Path) -> bool:
        """The banks changed since the model was built."""
        return self.model is not None and self.model.banks != digest(locales_dir)

    # Embedding -------------------------------------------------------------------------

    def wants_embedding(self, text: str) -> bool:
        return (self.model is not None and sum(ch.isalpha() for ch in text) >= MIN_LETTERS
                and len(re.findall(r"[^\W\d_]+", text)) >= MIN_WORDS)

    def embed(self, text: str) -> Embedded:
        assert self.embedder is not None
        parts = pieces(text)
        long_tokens = self.model.long_tokens if self.model is not None else LONG_TOKENS
        return Embedded(text, parts, embedded_pieces(self.embedder, parts, long_tokens))

    async def embed_async(self, text: str) -> Embedded:
        """``embed`` on the embedding thread: the event loop goes on meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(_EMBEDDING, self.embed, text)

    # Reading ---------------------------------------------------------------------------

    def assess(self, text: str, languages: list[str] | tuple[str, ...],
               embedded: Embedded | None = None) -> TriageResult:
        """Triage ``text`` for a person who uses ``languages`` (theirs, then English)."""
        detected = detect(text, self.lexicons.languages)
        order = tuple(dict.fromkeys([*([detected] if detected else []), *languages, "en"]))
        lexicon = self.lexicons.assess(text, order) if self.use_lexicon else LEXICON_NOTHING
        readings: list[Reading] = []
        parts: tuple[str, ...] = (text,)
        if self.wants_embedding(text):
            if embedded is None or embedded.text != text:
                raise NeedsEmbedding(text)
            assert self.model is not None
            readings = self.model.read(embedded.vectors, embedded.pieces)
            parts = embedded.pieces
        return self._combine(text, order, detected, lexicon, readings, parts)

    def assess_now(self, text: str, languages: list[str] | tuple[str, ...]) -> TriageResult:
        """``assess``, embedding here if needed (the command line, the evaluation)."""
        try:
            return self.assess(text, languages)
        except NeedsEmbedding:
            return self.assess(text, languages, self.embed(text))

    def _combine(self, text: str, order: tuple[str, ...], detected: str | None,
                 lexicon: LexiconResult, readings: list[Reading],
                 parts: tuple[str, ...]) -> TriageResult:
        assert self.model is not None or not readings
        best = max(readings, key=lambda r: (r.tier1, r.tier12, r.any)) if readings else None
        if best is not None:
            best = combined(readings, best)
        thresholds = self.model.thresholds if self.model is not None else None
        if thresholds is not None:
            lexicon = weighed(lexicon, best, thresholds)
        decision = decide(lexicon.tier, lexicon.negated, best, thresholds or Thresholds(),
                          lexicon.possible) if thresholds or lexicon.possible else (
            _lexicon_only(lexicon))
        if decision.action == NONE:
            return TriageResult(None, (), language=detected, confidence=decision.confidence)
        sentences, shown = self._sentences(text, order,
                                           dict(zip(parts, readings, strict=False)),
                                           thresholds)
        if shown:  # several sentences: the phrases of those that count, typos weighed in each
            lexicon = replace(lexicon, categories=tuple(dict.fromkeys(
                c for r in sorted(shown, key=lambda r: r.tier or 4) for c in r.categories)),
                matched=tuple(dict.fromkeys(m for r in shown for m in r.matched)))
        layers = []
        categories = list(lexicon.categories)
        if lexicon.tier is not None:
            layers.append("lexicon")
        semantic_sentences: list[str] = []
        if best is not None and thresholds is not None and (
                decision.action == ASK or lexicon.tier is None or decision.tier != lexicon.tier
                or best.tier1 >= thresholds.ask1):
            layers.append("semantic")
            if best.letters >= LETTERS_SHOWN:  # Arabizi, Finglish: read by its letters too
                layers.append("letters")
            if best.category not in categories:
                categories.append(best.category.split(":")[0])
            semantic_sentences = [piece for piece, r in zip(parts, readings, strict=True)
                                  if _reaches(r, decision, thresholds) and piece != parts[0]]
        if semantic_sentences:
            sentences = tuple(s for s in parts[1:] if s in sentences or s in semantic_sentences)
        # the 72-hour note is for a recent assault: Tier 1 (long past is read as Tier 2)
        note = decision.tier == 1 and (lexicon.note_72h or categories[:1] == ["sexual_violence"])
        return TriageResult(decision.tier, tuple(dict.fromkeys(categories)), lexicon.matched,
                            note, decision.action, decision.confidence, detected, tuple(layers),
                            sentences, decision.otherwise)

    def _sentences(self, text: str, order: tuple[str, ...], read: dict[str, Reading],
                   thresholds: Thresholds | None
                   ) -> tuple[tuple[str, ...], list[LexiconResult]]:
        """The sentences a lexicon phrase is in, and what the lexicon read in each, weighed
        against the sentence's own semantic reading (``reading.weighed``: "I start the
        cooking course" is not quoted, nor "drugs" named, for a typo of "cocaine"); the
        whole text, and nothing, when it is one sentence."""
        parts = pieces(text)
        if len(parts) == 1:
            return parts, []
        found, shown = [], []
        for sentence in parts[1:]:
            lexical = self.lexicons.assess(sentence, order)
            if thresholds is not None:
                lexical = weighed(lexical, read.get(sentence), thresholds)
            if lexical.tier is not None:
                found.append(sentence)
                shown.append(lexical)
        return tuple(found) or (parts[0],), shown


def combined(readings: list[Reading], best: Reading) -> Reading:
    """One reading for a message from its pieces (the whole, then its sentences): how
    urgent (Tier 1, Tier 1 or 2) is the strongest sentence's, so that "I want to die" at the
    end of a long message counts as much as on its own; whether it shows distress at all
    ("any") is the whole message's. Read from the strongest sentence, a long ordinary update
    had more sentences to misread: on long messages never trained on, false positives fell
    from 0.88 to 0.60 with no loss of recall on dev or test."""
    return Reading(max(r.tier1 for r in readings), max(r.tier12 for r in readings),
                   readings[0].any, best.category, best.category_p, best.letters)


def _reaches(reading: Reading, decision: Decision, t: Any) -> bool:
    """Whether one sentence on its own reads at the tier decided for the whole message."""
    if decision.tier == 1:
        return reading.tier1 >= (t.ask1 if decision.action == ASK else t.alert1)
    if decision.tier == 2:
        return reading.any >= t.any and reading.tier12 >= t.tier2
    return reading.any >= t.any


def _lexicon_only(lexicon: LexiconResult) -> Decision:
    if lexicon.tier is None:
        return Decision(NONE, None, 1.0)
    return Decision(ALERT, lexicon.tier, 0.6 if lexicon.negated else 0.95)
