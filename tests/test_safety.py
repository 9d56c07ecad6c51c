"""After a distress signal: the direct question, and a calm place (issue: triage)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.triage import Triage, TriageResult
from tests.desk import CM, CM2, RETURNEE, Desk

POSSIBLE = "everything feels pointless lately"


class Screened(Triage):
    """The shipped triage, except that one message reads as a possible Tier 1 signal."""

    def assess(self, text: str, languages: Any, embedded: Any = None) -> TriageResult:
        if text == POSSIBLE:
            return TriageResult(1, ("suicide",), action="ask", confidence=0.6,
                                layers=("semantic",), sentences=(POSSIBLE,), otherwise=2)
        return super().assess(text, languages, embedded)


def screened(desk: Desk) -> None:
    base = Triage.load()
    desk.engine.triage = Screened(base.lexicons, base.model, base.embedder)


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["data"] for b in message["buttons"]]


async def test_a_possible_signal_is_asked_directly_and_yes_alerts_at_once(desk: Desk) -> None:
    screened(desk)
    [question] = await desk.say(RETURNEE, POSSIBLE)
    assert "are you thinking about killing yourself?" in question["text"]
    assert buttons(question) == ["yes", "no", "person"]
    [pending] = await desk.escalations()
    assert pending.status == "screening" and desk.new_for(CM) == []  # nobody alerted yet
    [reply] = await desk.press(RETURNEE, "yes")
    assert "I have alerted the reintegration team" in reply["text"]
    assert "SAMU national: 1515" in reply["text"]
    escalations = await desk.escalations()
    [alert_row] = [e for e in escalations if e.status == "open"]
    assert alert_row.tier == 1 and alert_row.ack_deadline is not None
    [alert] = desk.new_for(CM2)
    assert "Confirmed: asked directly, they answered yes." in alert["text"]
    assert f"\u201c{POSSIBLE}\u201d" in alert["text"]
    assert "Read by: meaning of the words, 60% sure." in alert["text"]


async def test_no_gets_a_caring_reply_and_a_notice_not_an_alert(desk: Desk) -> None:
    screened(desk)
    await desk.say(RETURNEE, POSSIBLE)
    [reply] = await desk.press(RETURNEE, "no")
    assert "Thank you for answering" in reply["text"]
    assert "person" in buttons(reply)  # the offer of a person stays on screen
    escalations = await desk.escalations()
    assert [(e.tier, e.status) for e in escalations] == [(1, "cancelled"), (2, "open")]
    assert all("Tier 1" not in m["text"] for m in desk.new_for(CM2))


async def test_silence_alerts_at_tier1_marked_not_confirmed(desk: Desk) -> None:
    screened(desk)
    await desk.say(RETURNEE, POSSIBLE)
    desk.clock.advance(minutes=14)
    assert await desk.engine.sweep() == 0
    desk.clock.advance(minutes=2)
    assert await desk.engine.sweep() == 1
    await desk.sender.drain()
    [alert] = desk.new_for(CM2)
    assert "Tier 1" in alert["text"]
    assert "Not confirmed" in alert["text"] and "within 15 minutes" in alert["text"]
    assert POSSIBLE in alert["text"]
    open_rows = [e for e in await desk.escalations() if e.status == "open"]
    assert [e.tier for e in open_rows] == [1]
    assert open_rows[0].ack_deadline == desk.clock() + timedelta(minutes=15)
    assert await desk.engine.sweep() == 0  # once


async def test_after_an_alert_nothing_is_taken_as_an_earlier_answer(desk: Desk) -> None:
    await desk.say(RETURNEE, "/wmodel")
    await desk.press(RETURNEE, "add:up")  # the W model asks for a note
    [reply] = await desk.say(RETURNEE, "je veux mourir")
    assert "I have alerted the reintegration team" in reply["text"]
    [calm] = await desk.say(RETURNEE, "merci")
    assert "Thank you for writing. I am still here" in calm["text"]
    assert "I am here with you" in calm["text"]
    assert buttons(calm) == ["go_on", "person", "numbers"]
    async with desk.db.sessions() as s:
        from sqlalchemy import func, select

        from storage.models import WModelEvent

        assert await s.scalar(select(func.count()).select_from(WModelEvent)) == 0
    [numbers] = await desk.press(RETURNEE, "numbers")
    assert "SAMU national: 1515" in numbers["text"]
    back = await desk.press(RETURNEE, "go_on")
    assert back and "I am here with you" not in back[-1]["text"]  # back where they were


async def test_help_shows_the_safe_numbers_and_not_as_local_before_return(desk: Desk) -> None:
    [reply, *_] = await desk.say(RETURNEE, "/help")
    assert "SAMU national: 1515" in reply["text"] or any(
        "SAMU national: 1515" in m["text"] for m in _)
    await desk.say("r2", "/start")
    for payload in ("lang:en", "next", "yes", "yes"):
        await desk.press("r2", payload)
    await desk.say("r2", "Senegal")
    await desk.press("r2", "no")  # not returned yet
    await desk.say("r2", "14/03/2027")  # the planned date
    await desk.press("r2", "pick:2027-03-14")  # said back: that is right
    desk.new_for("r2")
    messages = await desk.say("r2", "/help")
    text = "\n".join(m["text"] for m in messages)
    assert "Once you are back in Senegal" in text and "SAMU national: 1515" in text
    await desk.say("r3", "/start")
    await desk.press("r3", "lang:en")
    text = "\n".join(m["text"] for m in await desk.say("r3", "/help"))
    assert "please call your local emergency number" in text  # no country: a generic line


async def test_a_safety_need_in_a_checkin_reaches_the_team(desk: Desk) -> None:
    await desk.say(RETURNEE, "/checkin")
    await desk.press(RETURNEE, "mood:3")
    await desk.press(RETURNEE, "none")
    await desk.press(RETURNEE, "need:safety")
    await desk.press(RETURNEE, "need:money")
    await desk.press(RETURNEE, "done")
    replies = await desk.press(RETURNEE, "no")  # nothing more to add
    text = "\n".join(m["text"] for m in replies)
    assert "need help with your safety" in text and "SAMU national: 1515" in text
    [escalation] = [e for e in await desk.escalations() if e.category == "safety_threat"]
    assert escalation.tier == 1 and "need_money" in escalation.categories
    [alert] = desk.new_for(CM2)
    assert "Tier 1" in alert["text"] and "needs help: money" in alert["text"]


async def test_needs_with_a_note_reach_the_case_manager(desk: Desk) -> None:
    await desk.say(RETURNEE, "/checkin")
    await desk.press(RETURNEE, "mood:4")
    await desk.press(RETURNEE, "none")
    await desk.press(RETURNEE, "need:documents")
    await desk.press(RETURNEE, "done")
    await desk.say(RETURNEE, "my birth certificate was lost, the office wants one")
    [escalation] = await desk.escalations()
    assert (escalation.tier, escalation.category) == (3, "checkin_needs")
    assert "need_documents" in escalation.categories
    alert = "\n".join(m["text"] for m in desk.new_for(CM2))
    assert "needs help: documents" in alert and "birth certificate" in alert


async def test_an_alert_for_someone_without_a_country_still_reaches_a_person(
        database: Any, catalogs: Any, clock: Any) -> None:
    """Only a Senegal case manager on staff; a person who declined follow-up has no country:
    their Tier 1 alert reaches that case manager, and is in their /queue."""
    from tests.desk import Desk

    office = Desk(database, catalogs, clock)
    await office.join(CM2, "case_manager", "SN")
    await office.say("nc", "/start")
    await office.press("nc", "lang:en")
    await office.press("nc", "next")
    await office.press("nc", "no")  # no follow-up consent: no country is asked
    [reply, *_] = await office.say("nc", "I want to kill myself")
    assert "I have alerted the reintegration team" in reply["text"]
    [escalation] = await office.escalations()
    assert escalation.country is None and escalation.tier == 1
    [alert] = office.new_for(CM2)
    assert f"#{escalation.id}" in alert["text"]
    [queue] = await office.say(CM2, "/queue")
    assert f"#{escalation.id} Tier 1" in queue["text"]


async def test_with_no_staff_at_all_the_person_is_told_the_truth(
        database: Any, catalogs: Any, clock: Any) -> None:
    from tests.desk import Desk

    office = Desk(database, catalogs, clock)
    await office.onboard()
    [reply, *_] = await office.say(RETURNEE, "I want to kill myself")
    assert "I have alerted" not in reply["text"]
    assert "I could not reach anyone from the reintegration team just now" in reply["text"]
    assert "SAMU national: 1515" in reply["text"]  # the numbers still come
    [escalation] = await office.escalations()
    assert escalation.status == "open"  # kept for the first staff member to join


WORRY = "the debts keep me awake and I feel ashamed in front of my family"


class Worried(Triage):
    """The shipped triage, except that one message reads as a Tier 3 worry."""

    def assess(self, text: str, languages: Any, embedded: Any = None) -> TriageResult:
        if text == WORRY:
            return TriageResult(3, ("emotional",), action="alert", confidence=0.8,
                                layers=("semantic",), sentences=(WORRY,))
        return super().assess(text, languages, embedded)


def worried(desk: Desk) -> None:
    base = Triage.load()
    desk.engine.triage = Worried(base.lexicons, base.model, base.embedder)


async def test_a_tier3_worry_reaches_the_case_manager_and_is_still_the_answer(
        desk: Desk) -> None:
    worried(desk)
    await desk.say(RETURNEE, "/wmodel")
    await desk.press(RETURNEE, "add:up")  # the W model asks for a note
    [reply] = await desk.say(RETURNEE, WORRY)
    assert "I have let your case manager know" in reply["text"]
    assert "Roughly when was it?" in reply["text"]  # the note was taken: the next question
    assert "I am here with you" not in reply["text"]  # no calm place for a Tier 3 worry
    [escalation] = await desk.escalations()
    assert (escalation.tier, escalation.status) == (3, "open")
    assert any("Tier 3" in m["text"] for m in desk.new_for(CM2))


async def test_in_the_persons_own_words_a_tier3_reading_is_no_notice_but_tier1_alerts(
        desk: Desk) -> None:
    worried(desk)
    await desk.say(RETURNEE, "/myplan")
    [economic] = await desk.press(RETURNEE, "write")
    assert "work and income" in economic["text"]
    [social] = await desk.say(RETURNEE, WORRY)  # an objective: taken, no notice
    assert social["text"].startswith("And for your home")
    assert "case manager know" not in social["text"]
    assert await desk.escalations() == []
    [reply] = await desk.say(RETURNEE, "I want to kill myself tonight")
    assert "I have alerted the reintegration team" in reply["text"]
    [alert] = await desk.escalations()
    assert alert.tier == 1
