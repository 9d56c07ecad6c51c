"""The letters layer: how Arabic, Persian and Amharic written in Latin letters is read.

multilingual-e5-small reads Arabizi ("ana m3adch baghi n3ich"), Finglish ("dige nemikham
zende basham") and Amharic in Latin letters ("mot efeligalehu") by their look more than by
what they say: a plain Arabizi greeting was as near to Tier 1 examples (cosine 0.93) as to
anything. On our test split, Latin-letter messages in those languages had Tier 1 recall
0.79–0.89 and false positives 0.16–0.22, against 0.92–0.97 and 0.10 in their own script.

Character n-grams (2 to 5 letters inside words, hashed, so the model keeps no vocabulary)
read these spellings the way a person who knows them does: "n3ich", "nmout", "khodkoshi",
"efeligalehu" carry their meaning whatever surrounds them. Three logistic heads (Tier 1,
Tier 1 or 2, any distress) learn from the banks' Latin-letter examples of every language
that is not itself written in Latin letters (which languages those are is read from the
banks), and a fourth head tells such writing from English, French or Spanish. A piece's
semantic reading is then blended with the letters' reading in proportion to that fourth
head, with a weight chosen on dev with the thresholds (``build.py``): an English message
is read as before, an Arabizi one by both.

Measured before adopting it, on the dev split's 516 Latin-letter examples (ROC AUC, Tier 1
against the rest): e5 0.866, letters 0.878, the two at half and half 0.906.

Written with scikit-learn's hashing vectoriser and logistic regression (already used to
build the other heads); nothing else does this for transliterated text without a model hub.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FEATURES = 2 ** 18  # hashed n-gram slots
C = 16.0  # inverse regularisation (chosen on dev among 1, 4, 16)
_LATIN = re.compile(r"[A-Za-z]")
_OTHER = re.compile(r"[^\x00-\x7f]")


def latin(text: str) -> bool:
    """Written mostly in Latin letters (digits and punctuation aside)."""
    return len(_LATIN.findall(text)) > len(_OTHER.findall(text))


def _vectoriser() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=FEATURES,
                             alternate_sign=False, norm="l2", lowercase=True,
                             dtype=np.float32)


def transliterating(languages_of: Sequence[tuple[str, str]]) -> set[str]:
    """The languages whose own writing is not in Latin letters, from (language, text)
    pairs: most of their examples are in another script."""
    counts: dict[str, list[int]] = {}
    for language, text in languages_of:
        seen = counts.setdefault(language, [0, 0])
        seen[latin(text)] += 1
    return {language for language, (other, latin_) in counts.items() if other > latin_}


@dataclass
class Letters:
    """The four heads over hashed character n-grams; ``weight`` is the share of a Latin-
    letter piece's reading they take when the fourth head is sure it is transliterated."""

    coef: np.ndarray  # (4, FEATURES) float32: tier1, tier12, any, transliterated
    intercept: np.ndarray  # (4,)
    weight: float = 0.0
    _vectors: Any = field(default=None, init=False, repr=False, compare=False)
    _columns: Any = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def fit(cls, texts: Sequence[str], tiers: Sequence[int], transliterated: Sequence[bool]
            ) -> Letters | None:
        """Heads from Latin-letter examples: ``tiers`` (0 for none) count only where
        ``transliterated``; the fourth head learns ``transliterated`` itself. None when the
        banks hold too few such examples to learn from."""
        from sklearn.linear_model import LogisticRegression

        chosen = [i for i, text in enumerate(texts) if latin(text)]
        mine = [i for i in chosen if transliterated[i]]
        if len(mine) < 20 or len(mine) == len(chosen):
            return None
        x = _vectoriser().transform([texts[i] for i in chosen])
        own = np.array([transliterated[i] for i in chosen])
        coef = np.zeros((4, FEATURES), dtype=np.float32)
        intercept = np.zeros(4, dtype=np.float32)
        tier = np.array([tiers[i] for i in chosen])
        for head, wanted in enumerate(((1,), (1, 2), (1, 2, 3))):
            y = np.isin(tier[own], wanted)
            if y.all() or not y.any():
                return None
            fitted = LogisticRegression(C=C, max_iter=5000).fit(x[own], y)
            coef[head], intercept[head] = fitted.coef_[0], fitted.intercept_[0]
        fitted = LogisticRegression(C=C, max_iter=5000).fit(x, own)
        coef[3], intercept[3] = fitted.coef_[0], fitted.intercept_[0]
        return cls(coef, intercept)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(rows, 4): the heads' probabilities for each text."""
        if self._vectors is None:
            # (FEATURES, 4), contiguous: the sparse product with ``coef.T``, a strided
            # view, took 1.2 ms a message; with this copy, 5 µs. Set before the vectoriser:
            # another thread that sees the vectoriser finds the copy too.
            self._columns = np.ascontiguousarray(self.coef.T)
            self._vectors = _vectoriser()
        x = self._vectors.transform(list(texts))
        logits = np.asarray(x @ self._columns) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def blend(self, heads: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``heads`` (rows, 3), with each Latin-letter text's row moved towards the letters'
        reading by ``weight`` times how surely the text is transliterated; and that share
        for each row (0 where the letters layer did not read it)."""
        rows = [i for i, text in enumerate(texts) if latin(text)]
        shares = np.zeros(len(texts), dtype=np.float64)
        if self.weight <= 0.0 or not rows:
            return heads, shares
        out = heads.copy()
        p = self.probabilities([texts[i] for i in rows])
        share = (self.weight * p[:, 3])[:, None]
        out[rows] = (1.0 - share) * heads[rows] + share * p[:, :3]
        shares[rows] = share[:, 0]
        return out, shares

    # The model file ------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Sparse: only the n-gram slots some example used (a few percent of them)."""
        used = np.flatnonzero(np.abs(self.coef).sum(axis=0) > 0).astype(np.int32)
        return {"letters_slots": used, "letters_coef": self.coef[:, used].astype(np.float32),
                "letters_intercept": self.intercept.astype(np.float32),
                "letters_weight": np.array(self.weight, dtype=np.float32)}

    @classmethod
    def from_arrays(cls, data: object) -> Letters | None:
        files = getattr(data, "files", ())
        if "letters_slots" not in files:
            return None
        get = data.__getitem__  # type: ignore[attr-defined]
        coef = np.zeros((4, FEATURES), dtype=np.float32)
        coef[:, get("letters_slots")] = get("letters_coef")
        return cls(coef, np.asarray(get("letters_intercept"), dtype=np.float32),
                   float(get("letters_weight")))
