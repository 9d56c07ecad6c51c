"""The Reintegration Sustainability Survey: skip logic, item 21, scoring on hand-computed
examples, weights versioning, the chat flow (progress, pause, resume, discard after the
window, signals), and `homecoming survey score`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from flows.research.rss import ASKED, ITEMS, AnswerError, next_item, position, validate
from flows.research.scoring import DEFAULT_WEIGHTS, Weights, WeightsError
from storage.models import Escalation, Survey
from tests.conftest import Harness, payloads
from tests.test_cli import homecoming

# A complete answer set whose scores are computed by hand below.
EXAMPLE: dict[str, Any] = {
    "1": "satisfied", "2": "sometimes", "3": "no", "4": "never", "5": "debt_larger",
    "6": "dont_know", "7": "no", "8": ["land", "animals"], "9": "yes", "10": ["unemployed"],
    "11": "good", "12": "average", "13": "poor", "14": "some", "15": "fair", "16": "yes",
    "17": "very_good", "18": "good", "19": "very_poor", "19a": "expensive", "20": "bad",
    "22": "rarely", "23": "weak", "24": "agree", "25": "unsafe", "26": "often",
    "27": "sometimes", "28": "very_often", "29": "yes", "30": "no", "31": "need",
    "32": ["no_one"],
}


def first_answers(**overrides: Any) -> dict[str, Any]:
    """Every asked item answered with its first option (9 no, 30 yes: 10 and 31 skipped)."""
    answers: dict[str, Any] = {}
    for number in ASKED:
        item = ITEMS[number]
        answers[str(number)] = [item.options[0][0]] if item.multiple else item.options[0][0]
    answers.update({"9": "no", "30": "yes"})
    del answers["10"], answers["31"]
    answers.update(overrides)
    return answers


# Skip logic and item 21 ---------------------------------------------------------------

def test_skip_logic_and_item_21_never_asked() -> None:
    assert 21 not in ASKED and len(ASKED) == 31
    assert position(22) == 22 and position(32) == 32  # the item numbers exports use
    assert next_item({"9": "no"}, after=9) == 11
    assert next_item({"9": "yes"}, after=9) == 10
    assert next_item({"9": "refused"}, after=9) == 11
    assert next_item({"30": "no"}, after=30) == 31
    for answer in ("yes", "dont_know", "refused"):
        assert next_item({"30": answer}, after=30) == 32
    assert next_item({"20": "good"}, after=20) == 22


def test_item_21_is_the_mean_of_the_five_access_items() -> None:
    scores = Weights.load().score(EXAMPLE, "phone")
    # 13 poor 0.25, 15 fair 0.5, 17 very good 1, 18 good 0.75, 19 very poor 0 → 2.5 / 5
    assert scores.item_values["21"] == pytest.approx(0.5)
    without_one = dict(EXAMPLE, **{"17": "dont_know"})
    assert Weights.load().score(without_one).item_values["21"] == pytest.approx(1.5 / 4)


@pytest.mark.parametrize(("change", "message"), [
    ({"32": None}, "item 32: not answered"),
    ({"21": "good"}, "item 21: computed"),
    ({"9": "no"}, "item 10: answered, but the skip logic leaves it out"),
    ({"30": "yes"}, "item 31: answered, but the skip logic leaves it out"),
    ({"1": "happy"}, "item 1: 'happy' is not an answer here"),
    ({"7": "dont_know"}, "item 7: 'dont_know' is not an answer here"),
    ({"8": ["land", "none"]}, "item 8: 'none' or 'refused' cannot be combined"),
    ({"40": "yes"}, "item 40: there is no such item"),
    ({"19": "good"}, "item 19a: only asked when access to health care is poor"),
])
def test_invalid_or_incomplete_answers_are_refused(change: dict[str, Any],
                                                   message: str) -> None:
    answers = {**EXAMPLE, **change}
    answers = {k: v for k, v in answers.items() if v is not None}
    with pytest.raises(AnswerError, match=message.replace("(", r"\(")):
        validate(answers)


# Scores --------------------------------------------------------------------------------

def test_scores_match_a_hand_computation() -> None:
    scores = Weights.load().score(EXAMPLE, "phone")
    # Economic: 1 0.75, 2 0.5×2, 3 0, 4 1, 5 0, 6 don't know (left out), 7 0, 8 any → 1;
    # 9 and 10 weigh 0. (0.75 + 1 + 0 + 1 + 0 + 0 + 1) / 8.
    assert scores.economic == pytest.approx(3.75 / 8, abs=1e-3)
    # Social: 11 0.75, 12 0.5, 14 0.5, 16 1, 20 0.25, 21 0.5 (13/15/17/18/19 only via 21).
    assert scores.social == pytest.approx(3.5 / 6, abs=1e-3)
    # Psychosocial: 22 .25, 23 .25, 24 .75, 25 .25×2, 26 .25, 27 .33, 28 0, 29 0, 30 0×2,
    # 32 none 0; 31 weighs 0. 2.33 / 12.
    assert scores.psychosocial == pytest.approx(2.33 / 12, abs=1e-3)
    assert scores.composite == pytest.approx((3.75 / 8 + 3.5 / 6 + 2.33 / 12) / 3, abs=2e-3)
    assert scores.abstentions == 1 and not scores.flagged
    assert scores.mode == "phone" and scores.weights_version == "provisional-2026.1"
    assert scores.provisional


def test_more_than_seven_dont_know_is_flagged() -> None:
    seven = first_answers(**{str(n): "dont_know" for n in (3, 6, 11, 13, 15, 16, 17)})
    assert Weights.load().score(seven).abstentions == 7
    assert not Weights.load().score(seven).flagged
    eight = dict(seven, **{"12": "refused"})
    assert Weights.load().score(eight).flagged


def test_weights_are_versioned_and_replaceable(tmp_path: Path) -> None:
    spec = yaml.safe_load(DEFAULT_WEIGHTS.read_text())
    spec.update(version="programme-2027.1", provisional=False)
    spec["items"][2]["weight"] = 0  # food cuts no longer counted
    path = tmp_path / "weights.yaml"
    path.write_text(yaml.safe_dump(spec))
    replaced = Weights.load(path)
    default = Weights.load()
    assert replaced.version == "programme-2027.1" and not replaced.provisional
    new, old = replaced.score(EXAMPLE), default.score(EXAMPLE)
    assert new.weights_version == "programme-2027.1" and not new.provisional
    assert new.economic == pytest.approx(2.75 / 6, abs=1e-3) != old.economic
    assert default.provisional_for("programme-2027.1")  # unknown to it: called provisional


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s["items"][1]["values"].update(satisfied=1.5), "between 0 and 1"),
    (lambda s: s["items"][1]["values"].update(thrilled=1), "unknown answers"),
    (lambda s: s["items"].pop(32), "items missing \\[32\\]"),
    (lambda s: s.pop("version"), "version"),
])
def test_a_broken_weights_file_is_refused_with_its_name(tmp_path: Path, edit: Any,
                                                         message: str) -> None:
    spec = yaml.safe_load(DEFAULT_WEIGHTS.read_text())
    edit(spec)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(WeightsError, match=message) as info:
        Weights.load(path)
    assert str(path) in str(info.value)


# In chat -------------------------------------------------------------------------------

async def start_survey(bot: Harness) -> dict[str, Any]:
    await bot.onboard()
    intro = await bot.press("survey")
    assert "It is not a test" in intro["text"]
    assert "does not change the help you get" in intro["text"]
    return await bot.press("start")


async def answer(bot: Harness, reply: dict[str, Any], choice: int = 0) -> dict[str, Any]:
    """Press an answer of the current question (the first, unless told)."""
    options = [p for p in payloads(reply) if p.startswith(("a:", "m:", "b:"))]
    reply = await bot.press(options[choice])
    if options[choice].startswith("m:"):
        reply = await bot.press("done")
    return reply


async def surveys(bot: Harness) -> list[Any]:
    async with bot.sessions() as s:
        return list(await s.scalars(select(Survey).order_by(Survey.id)))


async def test_a_whole_survey_in_chat_is_scored_with_progress(bot: Harness) -> None:
    reply = await start_survey(bot)
    assert reply["text"].startswith("Question 1 of 32")
    seen = []
    while reply["text"].startswith("Question"):
        seen.append(reply["text"].split("\n")[0])
        reply = await answer(bot, reply)
    # first options: 9 "yes" → 10 asked; 30 "yes" → 31 skipped; 19 "very good" → no 19a
    # The counter shows the item numbers the exports use: 21 is computed, never asked.
    assert seen[0] == "Question 1 of 32" and seen[-1] == "Question 32 of 32"
    assert "Question 10 of 32" in seen and "Question 22 of 32" in seen
    assert "Question 21 of 32" not in seen and "Question 31 of 32" not in seen
    assert len(seen) == 30  # 31 questions minus 31 (skipped)
    assert "the survey is complete" in reply["text"]
    [row] = await surveys(bot)
    assert row.status == "complete" and row.mode == "chat"
    assert row.weights_version == Weights.load().version
    assert row.economic is not None and row.composite is not None


async def test_skip_logic_in_chat(bot: Harness) -> None:
    reply = await start_survey(bot)
    for _ in range(8):
        reply = await answer(bot, reply)
    assert reply["text"].startswith("Question 9 of 32")
    reply = await bot.press("a:no")
    assert reply["text"].startswith("Question 11 of 32")  # 10 skipped


async def test_poor_health_access_asks_what_makes_it_hard(bot: Harness) -> None:
    reply = await start_survey(bot)
    while not reply["text"].startswith("Question 19 of"):
        reply = await answer(bot, reply)
    reply = await bot.press("a:poor")
    assert "What makes it hard to get health care?" in reply["text"]
    reply = await bot.press("b:far")
    assert reply["text"].startswith("Question 20 of 32")
    [row] = await surveys(bot)
    assert json.loads(row.answers)["19a"] == "far"


async def test_a_partial_survey_is_kept_never_scored_and_resumed(bot: Harness) -> None:
    reply = await start_survey(bot)
    for _ in range(3):
        reply = await answer(bot, reply)
    reply = await bot.press("pause")
    assert "Paused" in reply["text"] and "7 days" in reply["text"]
    [row] = await surveys(bot)
    assert row.status == "in_progress" and row.economic is None and row.composite is None
    assert len(json.loads(row.answers)) == 3
    bot.clock.advance(days=6)
    intro = await bot.say("/survey")
    assert "answered 3 of 31" in intro["text"] and "continue" in payloads(intro)
    reply = await bot.press("continue")
    assert reply["text"].startswith("Question 4 of 32")


async def test_after_the_window_the_answers_are_discarded_and_the_person_told(
        bot: Harness) -> None:
    reply = await start_survey(bot)
    for _ in range(3):
        reply = await answer(bot, reply)
    await bot.press("pause")
    bot.clock.advance(days=7, hours=1)
    assert await bot.engine.expire_surveys() == 1
    await bot.sender.drain()
    told = bot.transport.sent[-1][1]["text"]
    assert "not continued within 7 days" in told and "deleted" in told
    [row] = await surveys(bot)
    assert row.status == "discarded" and row.answers is None
    intro = await bot.say("/survey")  # nothing to continue: a fresh start is offered
    assert "It is not a test" in intro["text"] and "continue" not in payloads(intro)


async def test_answers_after_the_window_do_not_bring_the_survey_back(bot: Harness) -> None:
    bot.engine = bot.new_engine(survey_window=timedelta(days=2),
                                conversation_timeout=timedelta(days=30))
    reply = await start_survey(bot)
    reply = await answer(bot, reply)
    bot.clock.advance(days=3)
    reply = await answer(bot, reply)  # still on question 2 in the conversation
    assert "not continued within 2 days" in reply["text"]
    [row] = await surveys(bot)
    assert row.status == "discarded" and row.answers is None


async def test_answers_that_need_a_person_raise_a_signal(bot: Harness) -> None:
    reply = await start_survey(bot)
    while not reply["text"].startswith("Question 29 of"):
        reply = await answer(bot, reply)
    await bot.press("a:yes")  # wishes specialised psychological support
    async with bot.sessions() as s:
        [escalation] = list(await s.scalars(select(Escalation)))
    assert escalation.tier == 3
    assert "wants_psych_support" in escalation.categories


async def test_declining_the_survey_changes_nothing(bot: Harness) -> None:
    await bot.onboard()
    await bot.press("survey")
    reply = await bot.press("later")
    assert "later from the menu" in reply["text"]
    assert await surveys(bot) == []


# Scoring a survey answered elsewhere ----------------------------------------------------

def test_survey_score_command(tmp_path: Path) -> None:
    good = tmp_path / "paper.json"
    good.write_text(json.dumps({"mode": "in_person", "answers": EXAMPLE}))
    result = homecoming("survey", "score", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PROVISIONAL weights provisional-2026.1" in result.stdout
    assert "economic" in result.stdout and "0.469" in result.stdout.replace("0.468", "0.469")
    assert "mode in_person" in result.stdout
    as_json = json.loads(homecoming("survey", "score", str(good), "--json",
                                    cwd=tmp_path).stdout)
    assert as_json["social"] == pytest.approx(3.5 / 6, abs=1e-3)

    bare = tmp_path / "bare.json"  # the answers alone: mode "paper"
    bare.write_text(json.dumps(EXAMPLE))
    result = homecoming("survey", "score", str(bare), cwd=tmp_path)
    assert result.returncode == 0 and "mode paper" in result.stdout

    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"mode": "phone", "answers": {"1": "satisfied"}}))
    result = homecoming("survey", "score", str(partial), cwd=tmp_path)
    assert result.returncode == 2
    assert "item 2: not answered (an incomplete survey is not scored)" in result.stderr

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = homecoming("survey", "score", str(broken), cwd=tmp_path)
    assert result.returncode == 2 and "not valid JSON" in result.stderr


async def test_the_person_can_ask_for_their_results_chart(bot: Harness) -> None:
    from storage import research
    from storage.models import OutboxMessage, Participant

    await bot.onboard()
    intro = await bot.press("survey")
    assert "results" not in payloads(intro)  # nothing to show yet
    await bot.press("later")
    async with bot.sessions() as s:
        person = await s.scalar(select(Participant.id))
    scores = Weights.load().score(EXAMPLE, "phone")
    await bot.db.run(research.complete, person, EXAMPLE, scores.as_dict(), "phone",
                     bot.clock())
    intro = await bot.say("/survey")
    chart_payload = await bot.press("results")  # the words first, then the chart
    assert "not a judgement" in bot.transport.sent[-2][1]["text"]
    assert chart_payload["chart"] == "survey"
    async with bot.sessions() as s:
        chart = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "chart"))
    assert chart is not None and chart.payload["chart"] == "survey"
    assert chart.payload["series"][0]["social"] == pytest.approx(3.5 / 6, abs=1e-3)
    # the weights note is for the case manager's chart, not the person's own
    assert chart.payload["note"] == "" and "provisional" not in chart.payload["fallback_text"]
    assert chart.payload["levels"]["0.33"] == "below 0.33: more support suggested"


async def test_continue_pressed_after_the_window_discards_instead(bot: Harness) -> None:
    bot.engine = bot.new_engine(survey_window=timedelta(days=2),
                                conversation_timeout=timedelta(days=30))
    reply = await start_survey(bot)
    await answer(bot, reply)
    await bot.press("pause")
    intro = await bot.say("/survey")
    assert "continue" in payloads(intro)
    bot.clock.advance(days=3)
    reply = await bot.press("continue")
    assert "not continued within 2 days" in reply["text"]
    assert not reply["text"].startswith("Question")
    [row] = await surveys(bot)
    assert row.status == "discarded" and row.answers is None


async def test_unsafe_most_of_the_time_is_as_urgent_as_typing_it(bot: Harness) -> None:
    """Item 25 takes the lexicon's tier of a threat to safety (Tier 1), as "I am not safe
    here" typed would, and the person is told and given the numbers."""
    await bot.staff_on_duty()
    reply = await start_survey(bot)
    while not reply["text"].startswith("Question 25 of"):
        reply = await answer(bot, reply)
    await bot.press("a:unsafe")
    texts = [m["text"] for _, m in bot.transport.sent[-2:]]
    assert any("you do not feel safe" in t for t in texts)
    async with bot.sessions() as s:
        [escalation] = list(await s.scalars(select(Escalation).where(
            Escalation.category == "safety_threat")))
    assert escalation.tier == 1
    assert "unsafe" in escalation.categories
    typed = bot.engine.triage.lexicons.assess("I am not safe here", ("en",))
    assert typed.tier == escalation.tier
