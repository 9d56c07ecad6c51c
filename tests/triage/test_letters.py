"""The letters layer: Arabic, Persian and Amharic in Latin letters, read by character n-grams
(``flows/triage/letters.py``)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from flows.triage.letters import Letters, latin, transliterating

ARABIZI_DISTRESS = ["ma b9itch baghi n3ich", "bghit nmout daba", "ghadi n9tel rasi",
                    "kolchi sala 3liya, bghit nmout", "ma 3ndi lach n3ich", "n9tel rasi lyoum",
                    "nmout w nertah", "rani baghi nmout", "ghadi nmout had lila",
                    "ma bqa walo, bghit nmout", "n3ich 3lach? bghit nmout",
                    "ghadi n9tel rasi f lb7ar"]
ARABIZI_BENIGN = ["sba7 lkhir a sadi9i", "lyoum mchit l l'formation", "chokran bzaf 3la lmosa3ada",
                  "fin nl9a lwra9 dial lmin7a", "khdit lkhedma jdida f l7anout",
                  "lma3za dialna mrida chwiya", "mbrouk 3lik l3id", "ghadi nmchi l souk ghedda",
                  "lwalida bikhir l7amdolilah", "chokran 3la l'formation", "sba7 lkhir w mbrouk",
                  "l7anout khdama mzyan"]
SPANISH = ["buenos días, ¿cómo estás?", "gracias por la ayuda", "quiero morir",
           "mañana voy al mercado", "ya no quiero vivir", "el curso va muy bien", "me siento solo",
           "mi cabra está enferma",
           "hoy trabajé mucho", "necesito los papeles del subsidio", "no aguanto más",
           "la tienda va bien"]


def fitted() -> Letters:
    texts = [*ARABIZI_DISTRESS, *ARABIZI_BENIGN, *SPANISH]
    tiers = [1] * len(ARABIZI_DISTRESS) + [0] * len(ARABIZI_BENIGN) + [0] * len(SPANISH)
    mine = [True] * (len(ARABIZI_DISTRESS) + len(ARABIZI_BENIGN)) + [False] * len(SPANISH)
    letters = Letters.fit(texts, tiers, mine)
    assert letters is not None
    letters.weight = 0.5
    return letters


@pytest.mark.parametrize(("text", "expected"), [
    ("ana m3adch baghi n3ich", True), ("dige nemikham zende basham", True),
    ("ما بقيتش باغي نعيش", False), ("ሞት እፈልጋለሁ", False), ("I want to die", True),
    ("j'en ai marre, بغيت نموت وصافي، ما بقاش عندي صبر", False), ("", False)])
def test_latin_is_the_script_of_most_letters(text: str, expected: bool) -> None:
    assert latin(text) is expected


def test_transliterating_languages_are_read_from_the_banks() -> None:
    pairs = [("ar", "ما بقيتش باغي نعيش"), ("ar", "بغيت نموت"), ("ar", "bghit nmout"),
             ("es", "quiero morir"), ("es", "ya no quiero vivir"), ("am", "ሞት እፈልጋለሁ")]
    assert transliterating(pairs) == {"ar", "am"}


def test_the_heads_read_arabizi_and_tell_it_from_spanish() -> None:
    letters = fitted()
    p = letters.probabilities(["bghit nmout lyoum", "sba7 lkhir, lwalida bikhir",
                               "el curso de hoy fue bueno"])
    assert p[0, 0] > 0.5 > p[1, 0]  # Tier 1 head: an unseen sentence with "bghit nmout"
    assert p[0, 3] > 0.5 and p[1, 3] > 0.5 > p[2, 3]  # transliterated, or Spanish


def test_blend_moves_only_transliterated_rows() -> None:
    letters = fitted()
    heads = np.full((3, 3), 0.9, dtype=np.float64)
    texts = ["sba7 lkhir, lwalida bikhir", "صباح الخير", "el curso de hoy fue bueno"]
    out, shares = letters.blend(heads, texts)
    assert shares[0] > 0.25 and shares[1] == 0.0 and shares[2] < shares[0]
    assert out[0, 0] < 0.8  # the Arabizi greeting, read as benign by its letters
    assert out[1, 0] == pytest.approx(0.9)  # Arabic script: e5 alone
    assert out[2, 0] > 0.85  # Spanish: the fourth head keeps the letters out
    letters.weight = 0.0
    out, shares = letters.blend(heads, texts)
    assert np.array_equal(out, heads) and not shares.any()


def test_arrays_keep_only_used_slots_and_read_the_same() -> None:
    letters = fitted()
    arrays = letters.arrays()
    assert arrays["letters_slots"].size < letters.coef.shape[1] // 10
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer) as data:
        loaded = Letters.from_arrays(data)
    assert loaded is not None and loaded.weight == pytest.approx(0.5)
    texts = ["bghit nmout", "chokran bzaf"]
    assert np.allclose(loaded.probabilities(texts), letters.probabilities(texts), atol=1e-6)


def test_too_few_transliterated_examples_give_no_layer() -> None:
    assert Letters.fit(SPANISH, [0] * len(SPANISH), [False] * len(SPANISH)) is None
    assert Letters.fit(ARABIZI_DISTRESS[:5] + SPANISH, [1] * 5 + [0] * len(SPANISH),
                       [True] * 5 + [False] * len(SPANISH)) is None


@pytest.fixture(scope="module")
def shipped() -> object:
    from flows.triage import Triage

    return Triage.load()


def test_the_shipped_model_reads_latin_letters_with_a_weight_chosen_on_dev(shipped: object
                                                                         ) -> None:
    letters = shipped.model.letters  # type: ignore[attr-defined]
    assert letters is not None and 0.0 < letters.weight <= 1.0


@pytest.mark.parametrize(("text", "language"), [
    # ordinary news in Arabizi, Finglish and Latin-letter Amharic (e5 alone: Tier 1 alerts)
    ("sba7 lkhir a khouya, lyoum bdit lkhedma f lmagasin dial 3ammi w ghadi mzyan", "ar"),
    ("ya jama3a el dawra kanet 7elwe ktir, bade sajjel bel dawra el jaye", "ar"),
    ("salam khanum, emruz raftam kelas-e khayati, kheili khub bud, merci", "fa"),
    ("selam new, zare ye sira silTena jemerku, betam tiru new, ameseginalehu", "am"),
])
def test_ordinary_transliterated_news_is_not_an_alert(shipped: object, text: str,
                                                      language: str) -> None:
    result = shipped.assess_now(text, [language])  # type: ignore[attr-defined]
    assert result.action == "none", result


@pytest.mark.parametrize(("text", "language"), [
    ("khlas ma b9itch baghi n3ich, had lila ghadi nsali m3a rasi", "ar"),
    ("dige nemikham zende basham, ye boste ghors joftam", "fa"),
    ("mot efeligalehu, hulum kenen aydekemeny", "am"),
])
def test_transliterated_distress_still_reaches_a_person(shipped: object, text: str,
                                                        language: str) -> None:
    result = shipped.assess_now(text, [language])  # type: ignore[attr-defined]
    assert result.action in ("alert", "ask") and result.tier == 1, result
    assert "letters" in result.layers  # the alert says which layer read it


def test_english_distress_is_not_said_to_be_read_by_letters(shipped: object) -> None:
    result = shipped.assess_now("I can't go on anymore, I took all my pills", ["en"])  # type: ignore[attr-defined]
    assert result.tier == 1 and "letters" not in result.layers, result
