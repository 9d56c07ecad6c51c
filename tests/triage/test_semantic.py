"""The semantic layer, the example banks, the decision and the build (issue: triage)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from flows.l10n.i18n import DEFAULT_LOCALES_DIR
from flows.triage import NeedsEmbedding, Triage
from flows.triage import build as building
from flows.triage.banks import BankError, Example, load_banks, read_bank
from flows.triage.build import build, vector_decisions
from flows.triage.language import detect
from flows.triage.lexicon import LexiconResult
from flows.triage.reading import ALERT, ASK, NONE, decide, weighed
from flows.triage.semantic import Reading, Thresholds
from flows.triage.triage import LONG_MESSAGE, pieces

LANGUAGES = ["am", "ar", "en", "es", "fa", "fr"]


@pytest.fixture(scope="module")
def triage() -> Triage:
    return Triage.load()


def test_every_language_has_a_bank_of_400_with_all_three_splits(triage: Triage) -> None:
    tiers = {lang: lex.tiers for lang, lex in triage.lexicons.lexicons.items()}
    examples = load_banks(DEFAULT_LOCALES_DIR, tiers)
    for language in LANGUAGES:
        mine = [e for e in examples if e.language == language]
        assert len(mine) >= 400, language
        splits = {split: sum(e.split == split for e in mine) for split in ("train", "dev", "test")}
        assert min(splits.values()) >= 60, (language, splits)
        assert sum(e.category == "none" for e in mine) >= 100  # hard negatives too
        assert {e.category for e in mine} >= {"suicide", "self_harm", "child_at_risk", "gbv"}


def test_a_bank_with_an_unknown_category_names_file_and_example(tmp_path: Path) -> None:
    path = tmp_path / "distress-examples.yaml"
    path.write_text('language: en\nexamples:\n  - {category: sadness, text: "x"}\n',
                    encoding="utf-8")
    with pytest.raises(BankError, match=r"distress-examples.yaml: example 1: category 'sadness'"):
        read_bank(path, {"suicide": 1})


def test_the_shipped_model_is_built_from_the_shipped_banks(triage: Triage) -> None:
    assert triage.semantic
    assert not triage.stale(DEFAULT_LOCALES_DIR), "run: homecoming triage build"


def test_assess_asks_for_an_embedding_and_never_embeds_on_its_own(triage: Triage) -> None:
    with pytest.raises(NeedsEmbedding):
        triage.assess("I won't be a burden much longer", ["en"])
    embedded = triage.embed("I won't be a burden much longer")
    assert triage.assess("I won't be a burden much longer", ["en"], embedded).action != NONE
    assert triage.assess("ok", ["en"]).action == NONE  # too short to embed: no wait


@pytest.mark.parametrize(("text", "language"), [
    ("I won't be a burden to anyone much longer", "en"),
    ("my husband came home with a knife and said tonight is the last night", "en"),
    ("ils ont gardé mon passeport et je travaille sans salaire depuis 3 mois", "fr"),
    ("el padrastro le pega al niño con el cinturón todos los días", "es"),
    ("ana 5alas ma3ad baddi 3ish, kolchi sala", "ar"),  # Arabizi with digits
])
def test_paraphrase_and_situations_reach_a_person(triage: Triage, text: str,
                                                  language: str) -> None:
    result = triage.assess_now(text, [language])
    assert result.action in (ALERT, ASK) and result.tier is not None and result.tier <= 2


def test_a_farewell_is_asked_about_directly(triage: Triage) -> None:
    """Farewells are possible Tier 1 signals: the direct question, not an alert at once."""
    for text, language in [
            ("soon none of you will have to worry about me anymore, I made my peace", "en"),
            ("c'est mon dernier message, prenez soin de mes enfants", "fr"),
            ("وزعت اغراضي على اخوتي، ما عاد احتاجها", "ar")]:
        result = triage.assess_now(text, [language])
        assert result.action in (ASK, ALERT) and result.tier == 1, text
    assert triage.lexicons.assess("this is my last message", ("en",)).possible
    assert not triage.lexicons.assess("I want to die", ("en",)).possible


@pytest.mark.parametrize(("text", "language"), [
    ("my husband came home with a knife and said tonight is the last night", "en"),
    ("ils ont gardé mon passeport et je travaille sans salaire depuis 3 mois", "fr"),
])
def test_the_semantic_layer_alone_reads_what_no_phrase_names(triage: Triage, text: str,
                                                            language: str) -> None:
    alone = Triage(triage.lexicons, triage.model, triage.embedder, use_lexicon=False)
    assert alone.assess_now(text, [language]).action != NONE


@pytest.mark.parametrize("text", ["this heat is killing me, I need a cold drink",
                                  "what time does the office open on Monday?",
                                  "thanks, the shop is going well this month"])
def test_ordinary_messages_need_nobody(triage: Triage, text: str) -> None:
    assert triage.assess_now(text, ["en"]).action == NONE


def test_arabic_in_an_english_session_is_read_as_arabic(triage: Triage) -> None:
    result = triage.assess_now("سأنتحر الليلة", ["en"])
    assert result.language == "ar" and result.action == ALERT and result.tier == 1
    assert detect("میخوام بمیرم", LANGUAGES) == "fa"
    assert detect("ሁሉንም መድሃኒቴን ወሰድኩ", LANGUAGES) == "am"
    assert detect("ok", LANGUAGES) is None  # too short to say


def test_the_alert_quotes_the_sentence_at_the_end_of_a_long_message(triage: Triage) -> None:
    text = ("Today I went to the market with my cousin and we bought vegetables. The weather "
            "was hot and the bus was late again. My mother called from the village. "
            "Honestly I want to die.")
    result = triage.assess_now(text, ["en"])
    assert result.urgent
    assert result.sentences == ("Honestly I want to die.",)
    assert len(pieces(text)) == 5  # the whole, then its four sentences


def test_decide_follows_the_thresholds() -> None:
    t = Thresholds(alert1=0.8, ask1=0.4, tier2=0.5, any=0.6, confirm=0.2)

    def r(p1: float, p12: float, pany: float) -> Reading:
        return Reading(p1, p12, pany, "suicide", p1)

    assert decide(1, False, r(0.0, 0.0, 0.0), t).action == ALERT  # the lexicon is clear
    assert decide(None, False, r(0.9, 0.9, 0.9), t) == decide(None, False, r(0.9, 0.9, 0.9), t)
    assert decide(None, False, r(0.9, 0.9, 0.9), t).tier == 1
    asked = decide(None, False, r(0.5, 0.7, 0.7), t)
    assert asked.action == ASK and asked.tier == 1 and asked.otherwise == 2
    assert decide(None, False, r(0.1, 0.2, 0.7), t).tier == 3
    assert decide(None, False, r(0.1, 0.2, 0.3), t).action == NONE
    assert decide(3, False, r(0.1, 0.1, 0.1), t).action == NONE  # "sad" in the news
    assert decide(3, False, r(0.1, 0.1, 0.3), t).tier == 3
    assert decide(1, False, r(0.1, 0.1, 0.3), t, lexicon_possible=True).action == ASK
    assert decide(1, False, r(0.9, 0.9, 0.9), t, lexicon_possible=True).action == ALERT


@pytest.mark.parametrize(("text", "language"), [
    ("Aprendí mucho en el curso de cocina de la alcaldía, ya hago pasteles", "es"),
    ("me pagaron el sueldo completo este mes, gracias a Dios", "es"),
    ("on a commencé la toiture de la maison de ma mère, ça avance bien", "fr"),
])
def test_one_letter_from_a_phrase_is_not_an_alert_in_a_plainly_ordinary_message(
        triage: Triage, text: str, language: str) -> None:
    # cocina/cocaína, pagaron/pegaron, toiture/torture: typo matches, and nothing else
    assert triage.lexicons.assess(text, [language]).exact is not None
    assert triage.assess_now(text, [language]).action == NONE


def test_an_alert_does_not_quote_an_ordinary_sentence_for_a_typo(triage: Triage) -> None:
    text = ("Hoy empecé el curso de cocina en la alcaldía. Ya no quiero vivir, tengo las "
            "pastillas guardadas para esta noche.")
    result = triage.assess_now(text, ["es"])
    assert result.action == ALERT and result.tier == 1
    assert result.sentences and all("cocina" not in s for s in result.sentences)
    assert "drugs" not in result.categories and "suicide" in result.categories


def test_a_typo_in_a_message_of_distress_still_alerts(triage: Triage) -> None:
    result = triage.assess_now("i keep thinking about sucide, i have the rope ready", ["en"])
    assert result.action == ALERT and result.tier == 1


def test_the_threshold_search_decides_as_the_bot_does() -> None:
    rng = random.Random(7)
    for _ in range(300):
        t = Thresholds(*sorted([rng.random(), rng.random()], reverse=True), rng.random(),
                       rng.random(), rng.random())
        p1, p12, pany = rng.random(), rng.random(), rng.random()
        lex, negated = rng.choice([None, 1, 2, 3]), rng.random() < 0.3
        exact = None  # sometimes the top tier rests on a typo: the reading without it
        if lex is not None and rng.random() < 0.5:
            exact = LexiconResult(rng.choice([None, *range(lex + 1, 4)]), (), (),
                                  negated=rng.random() < 0.3)
        found = LexiconResult(lex, (), (), negated=negated, exact=exact)
        reading = Reading(p1, p12, pany, "x", 0.5)
        kept = weighed(found, reading, t)
        d = decide(kept.tier, kept.negated, reading, t)
        exact_arrays = (np.array([(exact or found).tier or 0]),
                        np.array([(exact or found).negated]), np.array([exact is not None]))
        first, other = vector_decisions(np.array([p1]), np.array([p12]), np.array([pany]),
                                        np.array([lex or 0]), np.array([negated]), t,
                                        exact_arrays)
        if d.action in (ALERT, ASK) and d.tier == 1:
            assert first[0]
        else:
            assert not first[0] and other[0] == (d.tier or 0)


def _search_one_at_a_time(readings: list[Reading], lexicon: list[LexiconResult],
                          examples: list[Example]) -> tuple[float, Thresholds]:
    """The threshold search written plainly, one setting at a time (as it first was)."""
    import itertools

    truth = np.array([e.tier or 0 for e in examples])
    p1, p12, pany = (np.array([getattr(r, k) for r in readings]) for k in ("tier1", "tier12",
                                                                           "any"))
    lex = np.array([read.tier or 0 for read in lexicon])
    negated = np.array([read.negated for read in lexicon], dtype=bool)
    exact = (np.array([(read.exact or read).tier or 0 for read in lexicon]),
             np.array([(read.exact or read).negated for read in lexicon], dtype=bool),
             np.array([read.exact is not None for read in lexicon], dtype=bool))
    spoken = np.array([e.language for e in examples])
    masks = [spoken == name for name in sorted(set(spoken))]
    benign, is1, is3 = truth == 0, truth == 1, truth == 3
    is12 = is1 | (truth == 2)
    grid = [float(x) for x in np.round(np.arange(0.05, 0.96, 0.05), 2)]
    best: tuple[float, Thresholds] | None = None
    for alert1, any_, confirm in itertools.product(
            [*grid[9:], 0.99], grid, (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)):
        first, other = vector_decisions(p1, p12, pany, lex, negated,
                                        Thresholds(alert1, 0.0, 0.5, any_, confirm), exact)
        flagged = first | (other > 0)
        if (flagged & benign).sum() > building.MAX_FALSE_POSITIVES * benign.sum() or any(
                (flagged & benign & mask).sum()
                > building.MAX_FALSE_POSITIVES_PER_LANGUAGE * (benign & mask).sum()
                for mask in masks):
            continue
        for ask1, tier2 in itertools.product(grid, grid[1::2]):
            if ask1 > alert1:
                continue
            t = Thresholds(alert1, ask1, tier2, any_, confirm)
            first, other = vector_decisions(p1, p12, pany, lex, negated, t, exact)
            recall1 = (first & is1).sum() / max(is1.sum(), 1)
            weakest = min((first & is1 & mask).sum() / max((is1 & mask).sum(), 1)
                          for mask in masks)
            reached = first | ((other > 0) & (other <= 2))
            reach = (reached & is12).sum() / max(is12.sum(), 1)
            asked = (first & ~is1 & ~((lex == 1) & ~negated) & (p1 < alert1)).sum() / len(
                truth)
            over = (reached & is3).sum() / max(is3.sum(), 1)
            value = 2 * recall1 + weakest + reach - 0.2 * asked - 0.5 * over - 0.01 * alert1
            if best is None or value > best[0] + 1e-12:
                best = (value, t)
    assert best is not None
    return best


def test_the_threshold_search_chooses_as_one_setting_at_a_time_would() -> None:
    rng = random.Random(1)
    examples, readings, lexicon = [], [], []
    for i in range(240):
        tier = rng.choice([None, None, 1, 2, 3])
        base = {None: 0.1, 1: 0.7, 2: 0.5, 3: 0.4}[tier]
        noisy = [min(max(base + rng.gauss(0, 0.2), 0.0), 1.0) for _ in range(3)]
        readings.append(Reading(noisy[0], max(noisy[:2]), max(noisy), "x", 0.5))
        found = rng.choice([None, tier, 1, 2]) if tier is not None or rng.random() < 0.04 else None
        typo = LexiconResult(None, (), ()) if found is not None and rng.random() < 0.2 else None
        lexicon.append(LexiconResult(found, (), (), negated=rng.random() < 0.1, exact=typo))
        examples.append(Example(LANGUAGES[i % 3], str(i), "none" if tier is None else "x",
                                tier, "dev"))
    expected = _search_one_at_a_time(readings, lexicon, examples)
    value, thresholds = building.search(readings, lexicon, examples, {"x": 3})
    assert thresholds == expected[1]
    assert value == pytest.approx(expected[0], abs=1e-12)


class Fake:
    """A stand-in embedder: deterministic vectors from the words, no model."""

    name = "fake-words"
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            v = np.zeros(self.dim, dtype=np.float32)
            for word in text.lower().split():
                v[sum(map(ord, word)) % self.dim] += 1.0
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.vstack(rows)


def test_the_build_is_deterministic_and_refuses_another_embedder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # two blends and two letter weights to choose between, not the shipped three and four:
    # the choice is what must repeat
    monkeypatch.setattr("flows.triage.build.BLENDS", ((1.0, 3), (0.5, 5)))
    monkeypatch.setattr("flows.triage.build.LETTER_WEIGHTS", (0.0, 0.5))
    locales = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    # every sixth example of each bank: the search over thresholds is what takes time, and
    # what must repeat does not need all of them
    for bank in locales.glob("*/distress-examples.yaml"):
        spec = yaml.safe_load(bank.read_text(encoding="utf-8"))
        spec["examples"] = spec["examples"][::6]
        bank.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    told: list[tuple[str, int, int]] = []
    first = build(locales, Fake(), tmp_path / "a.npz",
                  progress=lambda *step: told.append(step))
    second = build(locales, Fake(), tmp_path / "b.npz")
    # the long stages say how far they are, each from its start to its end
    stages = list(dict.fromkeys(stage for stage, _, _ in told))
    assert stages == ["embedding examples", "fitting the classifier",
                      "choosing thresholds on dev"]
    for stage in stages:
        steps = [(done, total) for name, done, total in told if name == stage]
        assert steps[-1][0] == steps[-1][1] and steps == sorted(steps)
    assert next(t for name, _, t in told if name == "choosing thresholds on dev") == 4
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert first.dev > 150 and first.train > 1000
    assert second.model.thresholds == first.model.thresholds
    assert (second.model.blend, second.model.neighbours) == (first.model.blend,
                                                             first.model.neighbours)
    assert first.model.memory is not None and len(first.model.memory.tiers) == first.train
    assert first.model.letters is not None and second.model.letters is not None
    assert second.model.letters.weight == first.model.letters.weight
    shutil.copy(tmp_path / "a.npz", locales / "distress-model.npz")
    with pytest.raises(ValueError, match="built with the embedder 'fake-words'"):
        Triage.load(locales)
    assert Triage.load(locales, embedder=Fake()).semantic


def test_the_neighbours_read_what_the_heads_average_away() -> None:
    """The blend: a message next to a few training examples of a rare way of writing reads
    as they do, even where the linear heads alone read it as benign."""
    from flows.triage.semantic import Memory, SemanticModel

    rare = np.zeros(8, dtype=np.float32)
    rare[3] = 1.0
    memory = Memory.of(np.vstack([rare, np.eye(8, dtype=np.float32)[5]]), [1, 0])
    heads_say_benign = SemanticModel("t", 8, ["none", "suicide"], np.zeros((2, 8)),
                                     np.array([2.0, -2.0]), np.zeros((3, 8)),
                                     np.full(3, -4.0), memory=memory, blend=1.0)
    [alone] = heads_say_benign.read(rare[None, :])
    heads_say_benign.blend = 0.5
    [blended] = heads_say_benign.read(rare[None, :])
    assert alone.tier1 < 0.05 and blended.tier1 > 0.5
    [far] = heads_say_benign.read(np.eye(8, dtype=np.float32)[5][None, :])
    assert far.tier1 < 0.05  # near a benign example: still benign
    # the memory survives the file, and the model's choices with it
    loaded = SemanticModel.load(_written(heads_say_benign))
    assert loaded.blend == 0.5 and loaded.memory is not None
    assert abs(loaded.read(rare[None, :])[0].tier1 - blended.tier1) < 1e-3


def _written(model: object) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "m.npz"
    path.write_bytes(model.to_bytes())  # type: ignore[attr-defined]
    return path


LONG_UPDATE = ("Today I went to the market with my brother. We bought tomatoes, onions and rice "
               "for the week. Then we visited my aunt, she cooked thieboudienne and we ate "
               "together. In the evening we watched the football match, Senegal won two goals "
               "to one. Tomorrow I will go to the training centre to ask about the tailoring "
               "course.")


def test_a_long_ordinary_update_is_not_read_as_distress(triage: Triage) -> None:
    """Whether a message shows distress at all is the whole message's reading: an update of
    many ordinary sentences has more sentences to misread one by one."""
    assert triage.assess_now(LONG_UPDATE, ["en"]).action == NONE


@pytest.mark.parametrize(("text", "language", "category"), [
    ("Today I went to the market with my brother. We bought tomatoes, onions and rice for "
     "the week. Then we visited my aunt, she cooked for us. I have saved the pills and "
     "tonight I will take them all. Tomorrow they can have my phone.", "en", "suicide"),
    ("Bonjour, j'ai commencé à travailler avec mon oncle dans son atelier. Ma mère est "
     "contente. Mais mon mari m'a encore frappée hier soir avec la ceinture devant les "
     "enfants. Le week-end je vais au marché.", "fr", "gbv"),
])
def test_one_sentence_of_distress_in_a_long_message_still_alerts(
        triage: Triage, text: str, language: str, category: str) -> None:
    result = triage.assess_now(text, [language])
    assert result.action in (ALERT, ASK) and result.tier == 1, result
    assert category in result.categories


def test_a_long_ordinary_update_in_french_is_not_read_as_distress(triage: Triage) -> None:
    text = ("Bonjour, tout va bien. J'ai commencé à travailler avec mon oncle dans son atelier. "
            "Le travail est dur mais je gagne un peu d'argent. Ma mère est contente. Le "
            "week-end je joue au foot avec les amis du quartier. Merci pour votre aide avec "
            "les papiers.")
    assert triage.assess_now(text, ["fr"]).action == NONE


def test_the_kernel_heads_read_as_the_machines_they_were_fitted_as() -> None:
    """The kernel heads are read from the kept examples' similarities, not by the library
    they were fitted with: the reading must be the fitted machine's, file round trip
    included, and must separate what the examples separate."""
    from sklearn.svm import SVC

    from flows.triage.semantic import GAMMA, KERNEL_C, Memory, SemanticModel, _fit_kernel

    rng = np.random.default_rng(7)
    x = rng.normal(size=(240, 4)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = (x[:, 0] + 0.3 * x[:, 1] > 0).astype(int)
    memory = Memory.of(x, list(y))
    kernel = _fit_kernel(memory.values, [y, y, y])
    reference = SVC(C=KERNEL_C, kernel="rbf", gamma=GAMMA, class_weight="balanced")
    reference.fit(memory.values, y)
    probe = rng.normal(size=(40, 4)).astype(np.float32)
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    distance = np.maximum(1.0 + memory.norms[None, :] - 2.0 * memory.similarity(probe), 0)
    ours = np.exp(-GAMMA * distance) @ kernel.dual[0] + kernel.intercept[0]
    assert np.allclose(ours, reference.decision_function(probe), atol=1e-3)
    model = SemanticModel("t", 4, ["none", "suicide"], np.zeros((2, 4)), np.zeros(2),
                          np.zeros((3, 4)), np.zeros(3), memory=memory, kernel=kernel)
    read = np.array([r.tier1 for r in model.read(probe)])
    truth = probe[:, 0] + 0.3 * probe[:, 1] > 0
    assert ((read > 0.5) == truth).mean() >= 0.9
    loaded = SemanticModel.load(_written(model))
    assert loaded.kernel is not None
    assert np.allclose([r.tier1 for r in loaded.read(probe)], read, atol=1e-4)


@pytest.mark.parametrize(("text", "language"), [
    ("neta ya me quiero morir, no aguanto esta vida", "es"),
    ("والله تعبت بدي موت وخلص", "ar"),
    ("jveux plus vivre, jvais en finir ce soir", "fr"),
    ("3yit bzaf, bghit nmout had lila", "ar"),
])
def test_plain_words_of_dying_reach_a_person_in_any_spelling(
        triage: Triage, text: str, language: str) -> None:
    """Said plainly, in dialect or SMS spelling (none of these is in a bank): with linear
    heads "I want to die" read 0.09 and messages like these nothing; they must reach a
    person."""
    result = triage.assess_now(text, [language])
    assert result.action in (ALERT, ASK) and result.tier == 1, result


class Counting(Fake):
    """``Fake``, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.asked.extend(texts)
        return super().embed(texts)


MESSAGE = ("We came back in March and the work is slow, the money from the project has not "
           "come yet and the landlord asks every week. My brother helps a little. "
           "But tonight I gave my phone to my sister, I will not need it where I am going.")
SHORT = "We came back in March. My brother helps a little. Tonight I gave my phone away."


def test_a_message_of_several_sentences_is_embedded_once_not_twice() -> None:
    from flows.triage.triage import embedded_pieces, whole_of

    embedder = Counting()
    parts = pieces(MESSAGE)
    assert len(parts) == 4
    vectors = embedded_pieces(embedder, parts)
    assert embedder.asked == list(parts[1:])  # the sentences, never the whole again
    assert vectors.shape == (4, embedder.dim)
    assert np.allclose(vectors[1:], Fake().embed(list(parts[1:])))
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0)
    # the whole leans to its longer sentences, and is none of them
    similarity = vectors[1:] @ vectors[0]
    assert similarity.argmax() == 0 and similarity.max() < 0.999  # the first, longest
    assert np.allclose(vectors[0], whole_of(parts, vectors[1:]))
    single = Counting()
    assert embedded_pieces(single, pieces("I can't go on")).shape == (1, single.dim)
    assert single.asked == ["I can't go on"]
    short = Counting()  # a short message of several sentences is embedded whole too
    assert len(pieces(SHORT)) == 4 and len(SHORT) <= LONG_MESSAGE < len(MESSAGE)
    assert np.allclose(embedded_pieces(short, pieces(SHORT)), Fake().embed(list(pieces(SHORT))))
    assert short.asked == list(pieces(SHORT))


class Tokens(Counting):
    """``Counting`` with a token count, as the E5 embedders have: a token a letter."""

    def token_count(self, text: str) -> int:
        return len(text)


AMHARIC_LIKE = "ወደ ቤት ተመለስኩ። ስራ የለም ገንዘብም የለም። ዛሬ ማታ ስልኬን ለእህቴ ሰጠኋት። ከእንግዲህ አያስፈልገኝም።"


def test_a_short_message_of_many_tokens_is_made_of_its_sentences() -> None:
    """Short in characters but long in tokens (as Amharic is): embedded once, its whole
    made of its sentences; an embedder that counts no tokens reads it whole too, and so
    does a model built before the rule (it records none), as it was built."""
    from flows.triage.triage import LONG_TOKENS, embedded_pieces, made_of_sentences

    parts = pieces(AMHARIC_LIKE)
    assert len(parts) == 5 and LONG_TOKENS < len(AMHARIC_LIKE) <= LONG_MESSAGE
    counted = Tokens()
    embedded_pieces(counted, parts)
    assert counted.asked == list(parts[1:])
    assert made_of_sentences(parts, counted, LONG_TOKENS)
    assert not made_of_sentences(parts, counted, None) and not made_of_sentences(parts)
    plain = Counting()
    embedded_pieces(plain, parts)
    assert plain.asked == list(parts)
    older = Tokens()
    embedded_pieces(older, parts, None)
    assert older.asked == list(parts)
    few = pieces("I am back. It is fine.")  # few tokens: read whole as well
    assert not made_of_sentences(few, counted, LONG_TOKENS)
    texts, _ = building.embed_pieces(Tokens(), [AMHARIC_LIKE])
    assert parts[0] in texts and sorted(texts[:4]) == sorted(parts[1:])  # built the same way


def test_the_model_records_the_token_rule_it_was_built_with(tmp_path: Path) -> None:
    """The shipped model says it was built with ``LONG_TOKENS``, and the number survives
    the file; a model without it is read without the rule (``Triage.embed``)."""
    from flows.l10n.i18n import DEFAULT_LOCALES_DIR
    from flows.triage.semantic import MODEL_FILE, SemanticModel
    from flows.triage.triage import LONG_TOKENS

    shipped = SemanticModel.load(DEFAULT_LOCALES_DIR / MODEL_FILE)
    assert shipped.long_tokens == LONG_TOKENS
    path = tmp_path / "model.npz"
    shipped.long_tokens = None
    path.write_bytes(shipped.to_bytes())
    assert SemanticModel.load(path).long_tokens is None
    shipped.long_tokens = 75
    path.write_bytes(shipped.to_bytes())
    assert SemanticModel.load(path).long_tokens == 75


def test_the_build_embeds_a_message_as_the_bot_does() -> None:
    """The classifier is trained on the vectors the bot will read: the same whole, made of
    the same sentences, for every message, whether or not its sentences recur elsewhere."""
    from flows.triage.triage import embedded_pieces

    messages = [MESSAGE, SHORT, "I can't go on", "My brother helps a little. I am fine.",
                "My brother helps a little.", "We came back in March."]
    texts, vectors = building.embed_pieces(Counting(), messages)
    index = {text: i for i, text in enumerate(texts)}
    assert len(index) == len(texts) == len(set(texts))
    for message in messages:
        parts = pieces(message)
        expected = embedded_pieces(Fake(), parts)
        assert np.allclose(vectors[[index[p] for p in parts]], expected, atol=1e-6), message
