"""The semantic layer: classifiers on multilingual sentence embeddings.

It reads what phrase lists cannot: paraphrase ("I won't be a burden much longer"), dialect,
transliteration, code-switching, and distress told as a situation. Four small heads share
one embedding: the category (which of the lexicon's categories, or none; linear), and three
yes/no heads, "Tier 1", "Tier 1 or 2" and "any distress" (support vector machines with a
Gaussian kernel, ``Kernel``; linear in a model built without it), whose probabilities the
thresholds act on.
The thresholds are chosen on the banks' dev split (``choose_thresholds``); the test split is
only measured (``tests/triage/evaluate.py``).

The model keeps the training examples' embeddings (8 bits each) and their tiers: the kernel
heads are computed over them, and the heads' probabilities are blended with those of the
nearest examples (``blend`` of the heads, the rest from the ``neighbours`` nearest, weighted
by similarity). The neighbours catch what the heads smooth over: a paraphrase close to a few
examples of a rare way of writing (Arabizi, Latin-letter Amharic, a farewell told as giving
things away). Chosen on dev: with the linear heads, the blend raised dev Tier 1 recall from
0.81 to 0.90 at the same false-positive budget; with the kernel heads, dev chose 0.6.
Latin-letter writing of Arabic, Persian and Amharic is read by the letters layer as well
(``letters.py``), blended in by a weight chosen on dev.

The model file (``locales/distress-model.npz``) holds plain arrays only (no pickle), the
embedder's name and the fingerprint of the banks it was built from, so that a stale or
mismatched model is reported instead of silently used. Built by ``homecoming triage build``;
the build is deterministic (same banks, same embedder: the same file).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flows.triage.banks import NONE, Example, tier_of
from flows.triage.letters import Letters, transliterating

MODEL_FILE = "distress-model.npz"
HEADS = ("tier1", "tier12", "any")


@dataclass(frozen=True)
class Thresholds:
    """Probabilities at which the semantic layer acts (chosen on dev)."""

    alert1: float = 0.85  # Tier 1, clear: alert at once
    ask1: float = 0.5  # Tier 1, possible: ask the direct question
    tier2: float = 0.6  # Tier 2: reach a person
    any: float = 0.7  # Tier 3: a notice for the case manager
    confirm: float = 0.0  # a lexicon Tier 2/3 phrase stands when "any" is at least this


@dataclass(frozen=True)
class Reading:
    """What the semantic layer read in one piece of text."""

    tier1: float
    tier12: float
    any: float
    category: str  # the most likely category that is not "none" (or "none")
    category_p: float
    letters: float = 0.0  # the share of the heads the letters layer took (``letters.py``)


@dataclass
class Memory:
    """The training examples' embeddings, 8 bits a value with one scale per row (a fifth of
    the size of float32; similarities move by about 0.001), and each example's tier (0 for
    none)."""

    codes: np.ndarray  # (n, dim) int8
    scale: np.ndarray  # (n,) float32
    tiers: np.ndarray  # (n,) int8
    _values: np.ndarray | None = field(default=None, repr=False, compare=False)
    _norms: np.ndarray | None = field(default=None, repr=False, compare=False)

    SHARPNESS = 20.0  # neighbours' weights: softmax of similarity × this

    @classmethod
    def of(cls, vectors: np.ndarray, tiers: Sequence[int]) -> Memory:
        peak = np.abs(vectors).max(axis=1).astype(np.float32)
        peak[peak == 0] = 1.0
        codes = np.round(vectors / peak[:, None] * 127).astype(np.int8)
        return cls(codes, (peak / 127).astype(np.float32), np.asarray(tiers, dtype=np.int8))

    @property
    def norms(self) -> np.ndarray:
        """Each example's squared length as stored (about 1: the 8 bits round it)."""
        if self._norms is None:
            self._norms = (self.values ** 2).sum(axis=1)
        return self._norms

    @property
    def values(self) -> np.ndarray:
        """The examples' vectors as float32, (n, dim), as the model reads them."""
        return (self.codes.astype(np.float32) * self.scale[:, None])

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row of ``vectors`` with each example, (rows, n)."""
        if self._values is None:  # unpacked once, on first use
            self._values = np.ascontiguousarray(self.codes.T, dtype=np.float32)
        return (vectors @ self._values) * self.scale

    def near(self, vectors: np.ndarray, k: int, similarity: np.ndarray | None = None
             ) -> np.ndarray:
        """For each row: the similarity-weighted share of Tier 1, Tier 1–2 and any-distress
        examples among the ``k`` nearest, in the order of ``HEADS``."""
        if similarity is None:
            similarity = self.similarity(vectors)
        k = min(k, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        close = np.take_along_axis(similarity, nearest, axis=1)
        weights = np.exp((close - close.max(axis=1, keepdims=True)) * self.SHARPNESS)
        weights /= weights.sum(axis=1, keepdims=True)
        tiers = self.tiers[nearest]
        wanted = [(tiers == 1), (tiers == 1) | (tiers == 2), tiers > 0]
        return np.stack([(weights * w).sum(axis=1) for w in wanted], axis=1)


@dataclass
class Kernel:
    """The three yes/no heads as support vector machines with a Gaussian kernel over the
    training examples kept in ``Memory`` (the kernel is computed from the same similarities
    the neighbours use, so it costs one small product per message). Chosen over the linear
    heads on dev and on messages written apart from the banks by other authors: Tier 1
    against benign, ROC AUC 0.90 → 0.94 on the latter; a line in 384 dimensions had learnt
    the banks' styles as much as what was said ("I want to die" read 0.09)."""

    gamma: float
    dual: np.ndarray  # (3, n) the examples' weights, 0 for those that are not support vectors
    intercept: np.ndarray  # (3,)
    platt: np.ndarray  # (3, 2) decision value → probability: 1 / (1 + exp(a·d + b))

    def probabilities(self, similarity: np.ndarray, norms: np.ndarray) -> np.ndarray:
        """(rows, 3): each head's probability, from the rows' similarity to the examples."""
        distance = np.maximum(1.0 + norms[None, :] - 2.0 * similarity, 0.0)
        decision = np.exp(-self.gamma * distance) @ self.dual.T + self.intercept
        logit = np.clip(self.platt[:, 0] * decision + self.platt[:, 1], -50.0, 50.0)
        return 1.0 / (1.0 + np.exp(logit))


@dataclass
class SemanticModel:
    embedder: str
    dim: int
    classes: list[str]
    coef: np.ndarray  # (classes, dim)
    intercept: np.ndarray  # (classes,)
    head_coef: np.ndarray  # (3, dim)
    head_intercept: np.ndarray  # (3,)
    thresholds: Thresholds = field(default_factory=Thresholds)
    banks: str = ""  # fingerprint of the banks it was built from
    tiers: dict[str, int] = field(default_factory=dict)  # class → tier
    memory: Memory | None = None  # the training examples, for the neighbours
    blend: float = 1.0  # weight of the heads; the rest is the neighbours'
    neighbours: int = 3
    kernel: Kernel | None = None  # the heads as kernel machines (else the linear heads)
    letters: Letters | None = None  # Arabizi, Finglish, Amharic in Latin letters
    # the token count above which a short message of several sentences was made of its
    # sentences when the model was built (``triage.made_of_sentences``); None: never, by
    # tokens (a model built before the rule), and it is read so
    long_tokens: int | None = None

    def read(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> list[Reading]:
        """One reading per row of ``vectors`` (L2-normalised embeddings); with ``texts``
        (the rows' texts), Latin-letter writing of other scripts is read by the letters
        layer too."""
        if vectors.shape[1] != self.dim:
            raise ValueError(f"embeddings of {vectors.shape[1]} values, the model needs "
                             f"{self.dim}")
        logits = vectors @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        similarity = self.memory.similarity(vectors) if self.memory is not None else None
        if self.kernel is not None and self.memory is not None and similarity is not None:
            heads = self.kernel.probabilities(similarity, self.memory.norms)
        else:
            heads = 1.0 / (1.0 + np.exp(-(vectors @ self.head_coef.T + self.head_intercept)))
        if self.memory is not None and self.blend < 1.0:
            near = self.memory.near(vectors, self.neighbours, similarity)
            heads = self.blend * heads + (1.0 - self.blend) * near
        shares = np.zeros(len(vectors))
        if self.letters is not None and texts is not None:
            heads, shares = self.letters.blend(heads, texts)
        none = self.classes.index(NONE) if NONE in self.classes else -1
        readings = []
        for row, head, share in zip(probs, heads, shares, strict=True):
            masked = row.copy()
            if none >= 0:
                masked[none] = -1.0
            best = int(masked.argmax())
            readings.append(Reading(float(head[0]), float(head[1]), float(head[2]),
                                    self.classes[best], float(row[best]), float(share)))
        return readings

    def tier_of(self, label: str) -> int:
        return self.tiers.get(label, 3)

    # The file ------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        meta = {"embedder": self.embedder, "dim": self.dim, "banks": self.banks,
                "thresholds": self.thresholds.__dict__, "tiers": self.tiers,
                "blend": self.blend, "neighbours": self.neighbours}
        if self.long_tokens is not None:
            meta["long_tokens"] = self.long_tokens
        if self.kernel is not None:
            meta["gamma"] = self.kernel.gamma
        memory = {} if self.memory is None else {
            "memory": self.memory.codes, "memory_scale": self.memory.scale,
            "memory_tiers": self.memory.tiers}
        if self.kernel is not None:
            memory |= {"kernel_dual": self.kernel.dual.astype(np.float32),
                       "kernel_intercept": self.kernel.intercept.astype(np.float32),
                       "kernel_platt": self.kernel.platt.astype(np.float32)}
        if self.letters is not None:
            memory |= self.letters.arrays()
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, meta=np.array(json.dumps(meta, sort_keys=True)),
            classes=np.array(self.classes), coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            head_coef=self.head_coef.astype(np.float32),
            head_intercept=self.head_intercept.astype(np.float32), **memory)
        return _without_timestamps(buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> SemanticModel:
        _one_blas_thread()
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            memory = Memory(data["memory"], data["memory_scale"], data["memory_tiers"]) if (
                "memory" in data.files) else None
            kernel = Kernel(float(meta["gamma"]), data["kernel_dual"], data["kernel_intercept"],
                            data["kernel_platt"]) if "kernel_dual" in data.files else None
            return cls(meta["embedder"], int(meta["dim"]), [str(c) for c in data["classes"]],
                       data["coef"], data["intercept"], data["head_coef"],
                       data["head_intercept"], Thresholds(**meta["thresholds"]),
                       meta["banks"], {k: int(v) for k, v in meta["tiers"].items()},
                       memory, float(meta.get("blend", 1.0)), int(meta.get("neighbours", 3)),
                       kernel, Letters.from_arrays(data),
                       None if meta.get("long_tokens") is None else int(meta["long_tokens"]))


def _one_blas_thread() -> None:
    """The embedder's engine keeps both cores busy; the model's own small products (the
    heads, the neighbours) on BLAS threads of their own only fight it for them: measured
    with ``bench/triage.py``, p50 per message went from 19 ms to 55 ms with the neighbours'
    product on the default BLAS threads, and back to about 20 ms on one."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _without_timestamps(data: bytes) -> bytes:
    """Zip members carry the time they were written; fix it, so that a rebuild from the same
    banks gives the same bytes."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


# Building ---------------------------------------------------------------------------------


def _fit(x: np.ndarray, y: Sequence[str] | np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray,
                                                                          list[str]]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, tol=1e-6)
    model.fit(x, y)
    return model.coef_, model.intercept_, [str(k) for k in model.classes_]


GAMMA = 8.0  # the kernel's width, and its C: chosen on dev and messages by other authors
KERNEL_C = 8.0


def _fit_kernel(values: np.ndarray, ys: list[np.ndarray]) -> Kernel:
    """One Gaussian-kernel SVM per head on the examples as the model keeps them (8 bits),
    so that what is read at run time is what was fitted; Platt's scaling for probabilities,
    fitted on five unshuffled folds (the build stays deterministic)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    dual = np.zeros((len(ys), len(values)), dtype=np.float64)
    intercept, platt = [], []
    for row, y in enumerate(ys):
        svm = SVC(C=KERNEL_C, kernel="rbf", gamma=GAMMA, class_weight="balanced")
        # the sigmoid is fitted on decision values of examples held out of each fold
        calibrated = CalibratedClassifierCV(svm, method="sigmoid", ensemble=False,
                                            cv=StratifiedKFold(5)).fit(values, y)
        fitted = calibrated.calibrated_classifiers_[0]
        machine, sigmoid = fitted.estimator, fitted.calibrators[0]
        dual[row, machine.support_] = machine.dual_coef_[0]
        intercept.append(float(machine.intercept_[0]))
        platt.append((float(sigmoid.a_), float(sigmoid.b_)))
    return Kernel(GAMMA, dual.astype(np.float32), np.array(intercept, dtype=np.float32),
                  np.array(platt, dtype=np.float32))


def train(examples: Sequence[Example], vectors: np.ndarray, tiers: dict[str, int],
          embedder: str, banks: str, c: float = 16.0, blend: float = 1.0,
          neighbours: int = 3, kernel: bool = True) -> SemanticModel:
    """Fit the four heads on ``examples`` (their embeddings in ``vectors``)."""
    labels = [e.label for e in examples]
    coef, intercept, classes = _fit(vectors, labels, c)
    head_coef, head_intercept, ys = [], [], []
    example_tiers = [tier_of(e, tiers) for e in examples]
    for head in HEADS:
        wanted = {"tier1": (1,), "tier12": (1, 2), "any": (1, 2, 3)}[head]
        y = np.array([t in wanted for t in example_tiers], dtype=int)
        hc, hi, _ = _fit(vectors, y, c)
        head_coef.append(hc[0])
        head_intercept.append(hi[0])
        ys.append(y)
    class_tiers = {e.label: tier_of(e, tiers) or 3 for e in examples if e.category != NONE}
    memory = Memory.of(vectors, [t or 0 for t in example_tiers])
    machines = _fit_kernel(memory.values, ys) if kernel else None
    others = transliterating([(e.language, e.text) for e in examples])
    letters = Letters.fit([e.text for e in examples], [t or 0 for t in example_tiers],
                          [e.language in others for e in examples])
    return SemanticModel(embedder, vectors.shape[1], classes, coef, intercept,
                         np.array(head_coef), np.array(head_intercept), Thresholds(), banks,
                         dict(sorted(class_tiers.items())), memory, blend, neighbours,
                         machines, letters)
