"""Triage: normalisation, matching, negation, idioms, lexicon errors, CLI, evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.triage import LexiconError, Triage, load_lexicon, normalise
from tests.triage.lexicon_sets import TARGETS, evaluate, languages

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def triage() -> Triage:
    """The lexicon layer alone: these tests are about its phrases (the semantic layer and
    the decision are tested in tests/triage/test_semantic.py)."""
    return Triage.load(semantic=False)


def test_every_shipped_language_has_a_lexicon_and_a_labelled_set(triage: Triage) -> None:
    assert {"en", "fr", "ar", "es", "fa", "am"} <= set(triage.languages)
    assert set(languages()) == set(triage.languages)


@pytest.mark.parametrize("language", ["en", "fr", "ar", "es", "fa", "am"])
def test_evaluation_meets_targets(triage: Triage, language: str) -> None:
    score = evaluate(triage, language)
    assert score.messages >= 60
    assert score.tier1_recall >= TARGETS["tier1_recall"], score.misses
    assert score.tier12_recall >= TARGETS["tier12_recall"], score.misses
    assert score.false_positive_rate <= TARGETS["false_positive_rate"], score.misses


def test_normalisation() -> None:
    assert normalise("DÉSESPÉRÉ") == ["desespere"]
    assert normalise("ｓａｄ") == ["sad"]  # full-width, NFKC
    assert normalise("soooo saaaad") == ["so", "sad"]
    assert normalise("الانتحــــار") == normalise("الانتحار")  # tatweel
    assert normalise("أريد") == normalise("اريد") == normalise("إريد")
    assert normalise("مَوْت") == normalise("موت")  # short vowels
    assert normalise("می‌خواهم") == normalise("میخواهم")  # Persian half-space
    assert normalise("ሐዘን") == normalise("ሀዘን")  # Ethiopic homophones
    assert normalise("ok. no") == ["ok", "|", "no"]
    assert normalise("jsuis là", elisions=True) == ["j", "suis", "la"]  # j' without '
    assert normalise("jai peur", elisions=True) == ["j", "ai", "peur"]
    assert normalise("jamais", elisions=True) == ["jamais"]
    assert normalise("jsuis") == ["jsuis"]  # only where the language elides


def test_misspelling_and_inflection(triage: Triage) -> None:
    assert triage.assess("i want to kil myself", ["en"]).tier == 1  # repeated letters
    assert triage.assess("thinking about sucide", ["en"]).tier == 1  # one letter off
    assert triage.assess("I was beaten and toortured", ["en"]).tier == 1
    assert triage.assess("what a lovely day", ["en"]).tier is None  # short words stay exact


def test_a_tier_that_rests_on_a_typo_carries_the_reading_without_it(triage: Triage) -> None:
    typo = triage.lexicons.assess("thinking about sucide", ["en"])
    assert typo.tier == 1 and typo.exact is not None and typo.exact.tier is None
    mixed = triage.lexicons.assess("so sad, thinking about sucide", ["en"])
    assert mixed.tier == 1 and mixed.exact is not None and mixed.exact.tier == 3
    exact = triage.lexicons.assess("thinking about suicide", ["en"])
    assert exact.tier == 1 and exact.exact is None
    assert triage.lexicons.assess("el curso de cocina", ["es"]).exact is not None


@pytest.mark.parametrize(("text", "language", "tier"), [
    # hyperbole and endearments that use the words of dying, and what they must not hide
    ("Arsenal will give me a heart attack this season", "en", None),
    ("my uncle had a heart attack at the market, he fell down", "en", 1),
    ("cette chaleur va me tuer, 43 degrés", "fr", None),
    ("je vais me tuer, je n'en peux plus", "fr", 1),
    ("casi me da un infarto con la factura de la luz", "es", None),
    ("mi mamá está teniendo un infarto", "es", 1),
    ("الحر قاتلني اليوم في السوق", "ar", None),
    ("bmoot fik ya 3omri", "ar", None),
    ("baddi mout, ma ba2a fiyye", "ar", 1),
    ("میمیرم برات خواهر جان", "fa", None),
    ("میخوام بمیرم دیگه", "fa", 1),
    ("ልሙትልሽ እናቴ ደህና ነሽ?", "am", None),
    ("መሞት እፈልጋለሁ ደክሞኛል", "am", 1),
])
def test_hyperbole_is_not_distress_and_does_not_hide_it(triage: Triage, text: str,
                                                        language: str, tier: int | None) -> None:
    assert triage.assess(text, [language]).tier == tier


def test_negated_tier1_still_reaches_a_person(triage: Triage) -> None:
    result = triage.assess("I will never kill myself", ["en"])
    assert result.tier == 2 and result.categories == ("suicide",)


def test_negated_lower_tiers_count_for_nothing(triage: Triage) -> None:
    assert triage.assess("I am not sad", ["en"]).tier is None
    assert triage.assess("غمگین نیستم", ["fa"]).tier is None  # negation after, Persian


def test_negation_stops_at_the_clause(triage: Triage) -> None:
    assert triage.assess("I'm not okay. I want to die", ["en"]).tier == 1
    assert triage.assess("I want to die, but I won't do anything", ["en"]).tier == 1


def test_idiom_is_not_distress(triage: Triage) -> None:
    assert triage.assess("this job is killing me", ["en"]).tier is None
    assert triage.assess("my phone died", ["en"]).tier is None


def test_sexual_violence_carries_the_72_hour_note(triage: Triage) -> None:
    assert triage.assess("I was raped yesterday", ["en"]).note_72h
    assert not triage.assess("I want to die", ["en"]).note_72h


def test_several_categories_highest_tier_first(triage: Triage) -> None:
    result = triage.assess("I feel sad and I ran out of my medicine", ["en"])
    assert result.tier == 1
    assert result.categories == ("medication", "emotional")


def test_country_office_can_extend_a_lexicon(tmp_path: Path) -> None:
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "distress.yaml").write_text(
        "language: xx\ncategories:\n  suicide:\n    tier: 1\n    phrases: [blorp myself]\n",
        encoding="utf-8")
    assert Triage.load(tmp_path).assess("I will blorp myself", ["xx"]).tier == 1


def test_lexicon_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "distress.yaml"
    bad_yaml.write_text("language: xx\ncategories:\n  suicide: [unclosed\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"distress.yaml:\d+: not valid YAML"):
        load_lexicon(bad_yaml)
    bad_tier = tmp_path / "tier.yaml"
    bad_tier.write_text("language: xx\ncategories:\n  x:\n    tier: 7\n    phrases: [a]\n",
                        encoding="utf-8")
    with pytest.raises(LexiconError, match=r"tier.yaml: categories.x.tier"):
        load_lexicon(bad_tier)


def test_triage_cli_prints_json_lines(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "triage", "--lang", "fr"],
        input="Je veux mourir\nBonjour\n\n", capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert {k: first[k] for k in ("text", "tier", "action", "language", "matched")} == {
        "text": "Je veux mourir", "tier": 1, "action": "alert", "language": "fr",
        "matched": ["veux mourir"]}
    assert first["categories"][0] == "suicide" and 0.5 <= first["confidence"] <= 1
    assert {k: second[k] for k in ("text", "tier", "action", "categories", "matched")} == {
        "text": "Bonjour", "tier": None, "action": "none", "categories": [], "matched": []}


def test_triage_cli_unknown_language(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "triage", "--lang", "zz"],
                            input="x\n", capture_output=True, text=True, cwd=tmp_path,
                            timeout=60)
    assert result.returncode == 2
    assert "no distress lexicon for 'zz'" in result.stderr


@pytest.mark.parametrize(("text", "language", "tier"), [
    ("I was tortured in Libya 3 years ago", "en", 2),
    ("they tortured me yesterday", "en", 1),
    ("I was raped when I was in Libya, years ago", "en", 2),
    ("on m'a frappé il y a des années quand j'étais en Libye", "fr", 2),
    ("on m'a frappé hier soir", "fr", 1),
    ("years ago I was beaten and they still beat me now", "en", 1),
])
def test_violence_told_as_long_past_is_tier2_and_recent_is_tier1(
        triage: Triage, text: str, language: str, tier: int) -> None:
    result = triage.assess(text, [language])
    assert result.tier == tier
    assert result.note_72h == (tier == 1 and "raped" in text)


@pytest.mark.parametrize(("text", "language", "tier"), [
    ("bghit nmout, 3yit", "ar", 1),  # Darija in Arabizi
    ("ana 3ayez amoot", "ar", 1),  # Egyptian in Arabizi
    ("اريد اموت والله", "ar", 1),  # without أن
    ("bla3t kol el 7boob dyal mama", "ar", 1),
    ("me quiero matar la neta", "es", 1),
    ("jveux mourir", "fr", 1),
    ("mikham bemiram", "fa", 1),  # Finglish
    ("mot efelgalehu", "am", 1),  # Amharic in Latin letters
    ("jsuis fatigué de vivre", "fr", 1),  # French typed without its apostrophe
    ("jarrive pas a respirer, ma poitrine serre", "fr", 1),
    ("jamais de la vie, juste un jour de repos", "fr", None),  # j-words stay words
    ("the voice is telling me walk inside the river now", "en", 1),
    ("death better than this life wallahi", "en", 1),
    ("el modir 5ad el basbor bta3y", "ar", 1),  # the boss took my passport
    ("صاحب الشغل اخذ جوازي", "ar", 1),
    ("saheb kar passportamo gereft", "fa", 1),
    ("the voice note is telling me nothing", "en", None),
    ("7ra9t yeddi bla9sd w ana ntayeb", "ar", None),  # burned my hand cooking
    ("حرقت يدي وانا نطيب", "ar", None),
])
def test_the_lexicon_knows_how_people_spell_it(triage: Triage, text: str, language: str,
                                               tier: int | None) -> None:
    assert triage.assess(text, [language]).tier == tier
