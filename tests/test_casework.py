"""The case-manager queue through the engine: alerts, acknowledgement, claims, handoff,
re-alerts, and refusals for anyone who is not staff."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from flows.casework.staff import invite_hash
from flows.engine.events import EventKind
from flows.l10n.i18n import Catalogs
from storage import casework
from storage.db import Database
from storage.models import Escalation, EscalationSignal, Handoff, OutboxMessage
from tests.conftest import FakeClock
from tests.desk import CM, CM2, OTHER_CM, RETURNEE, STRANGER, SUPERVISOR, Desk


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["data"] for b in message["buttons"]]


async def test_tier1_message_alerts_everyone_on_duty_and_answers_honestly(desk: Desk) -> None:
    [reply] = await desk.say(RETURNEE, "I want to kill myself")
    assert "I have alerted the reintegration team" in reply["text"]
    assert "SAMU national: 1515" in reply["text"]  # the country's safe contacts only
    assert "Police" not in reply["text"]
    # no question pushed after a disclosure like this: only the way back, a person, numbers
    assert [b["data"] for b in reply["buttons"]] == ["go_on", "person", "numbers"]
    [escalation] = await desk.escalations()
    assert (escalation.tier, escalation.category, escalation.status, escalation.country) == (
        1, "suicide", "open", "SN")
    assert escalation.ack_deadline == desk.clock() + timedelta(minutes=15)
    [alert] = desk.new_for(CM)
    assert f"Cas #{escalation.id}, niveau 1 : risque suicidaire" in alert["text"]  # French CM
    assert "« I want to kill myself »" in alert["text"]
    assert buttons(alert) == [f"esc:{a}:{escalation.id}" for a in ("ack", "claim", "chat",
                                                                   "resolve")]
    assert len(desk.new_for(CM2)) == 1 and len(desk.new_for(SUPERVISOR)) == 1
    assert desk.new_for(OTHER_CM) == []  # another country


async def test_alert_and_reply_are_one_transaction(desk: Desk,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kw: Any) -> None:
        raise RuntimeError("alert could not be written")

    monkeypatch.setattr(desk.engine.casework, "_alert", broken)
    [reply] = await desk.say(RETURNEE, "I want to kill myself")
    assert reply["text"].startswith("Sorry, something went wrong")
    assert await desk.count(Escalation) == 0  # nothing half done
    assert desk.new_for(CM) == []


async def test_acknowledge_tells_the_person_and_stops_realerts(desk: Desk) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    desk.new_for(CM)
    [confirmation] = await desk.press(CM, f"esc:ack:{escalation.id}")
    assert "pris en compte" in confirmation["text"]
    [told] = desk.new_for(RETURNEE)
    assert told["text"].startswith("A person from the reintegration team has seen your message")
    [escalation] = await desk.escalations()
    assert escalation.status == "acknowledged" and escalation.next_alert_at is None
    desk.clock.advance(hours=1)
    assert await desk.engine.sweep() == 0
    [again] = await desk.press(CM2, f"esc:ack:{escalation.id}")
    assert "already acknowledged" in again["text"]
    assert "escalation.acknowledged" in await desk.audit()


async def test_missed_deadline_realerts_with_supervisor(desk: Desk) -> None:
    await desk.say(RETURNEE, "I feel so sad")  # Tier 3: case managers only, 2 days
    [escalation] = await desk.escalations()
    assert escalation.tier == 3
    assert len(desk.new_for(CM)) == 1 and len(desk.new_for(CM2)) == 1
    assert desk.new_for(SUPERVISOR) == []
    desk.clock.advance(hours=47)
    assert await desk.engine.sweep() == 0
    desk.clock.advance(hours=2)
    assert await desk.engine.sweep() == 1
    await desk.sender.drain()
    assert desk.new_for(CM)[0]["text"].startswith("Rappel 1")  # every case manager again
    assert len(desk.new_for(CM2)) == 1
    assert desk.new_for(SUPERVISOR) == []
    assert await desk.engine.sweep() == 0  # not again until the next interval
    desk.clock.advance(hours=13)
    assert await desk.engine.sweep() == 1
    await desk.sender.drain()
    [reminder] = desk.new_for(SUPERVISOR)  # then the supervisor too
    assert reminder["text"].startswith("Reminder 2: nobody has acknowledged this yet.")
    assert "escalation.realerted" in await desk.audit()


async def test_one_open_escalation_per_category_signals_added(desk: Desk) -> None:
    await desk.say(RETURNEE, "I feel so sad")
    await desk.say(RETURNEE, "I am still sad today")
    assert await desk.count(Escalation) == 1
    assert await desk.count(EscalationSignal) == 2
    assert len(desk.new_for(CM)) == 1  # no second alert for the same thing
    await desk.say(RETURNEE, "I ran out of my medication")
    assert await desk.count(Escalation) == 2  # another category
    assert len(desk.new_for(CM)) == 1


async def test_two_case_managers_claim_at_once_one_wins(desk: Desk) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    other = desk.new_engine()  # a second worker
    await asyncio.gather(
        desk.run(desk.event(CM, EventKind.BUTTON, payload=f"esc:claim:{escalation.id}")),
        desk.run(desk.event(CM2, EventKind.BUTTON, payload=f"esc:claim:{escalation.id}"),
                 engine=other),
    )
    answers = [desk.new_for(CM)[-1]["text"], desk.new_for(CM2)[-1]["text"]]
    won = [a for a in answers if "est à vous" in a or "is yours" in a]
    lost = [a for a in answers if "already held" in a or "déjà suivi" in a]
    assert len(won) == 1 and len(lost) == 1, answers
    [escalation] = await desk.escalations()
    assert escalation.assignee_id is not None and escalation.status == "acknowledged"
    assert len(desk.new_for(RETURNEE)) == 1  # told once that someone has seen it


async def test_resolving_needs_a_note(desk: Desk) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    [ask] = await desk.press(CM2, f"esc:resolve:{escalation.id}")
    assert "Write a short note" in ask["text"]
    [done] = await desk.say(CM2, "Called her, referred to the clinic, safe now.")
    assert done["text"] == f"Case #{escalation.id} resolved."
    [escalation] = await desk.escalations()
    assert escalation.status == "resolved"
    assert escalation.resolution_note == "Called her, referred to the clinic, safe now."


async def test_forged_and_foreign_staff_actions_are_refused_and_audited(desk: Desk) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    desk.new_for(RETURNEE)
    [refused] = await desk.press(RETURNEE, f"esc:ack:{escalation.id}")  # forged callback
    assert refused["text"] == "Sorry, that is not allowed."
    [refused] = await desk.say(RETURNEE, "/queue")
    assert refused["text"] == "Sorry, that is not allowed."
    [refused] = await desk.press(STRANGER, f"esc:claim:{escalation.id}")
    assert refused["text"] == "Sorry, that is not allowed."
    [refused] = await desk.press(OTHER_CM, f"esc:ack:{escalation.id}")  # other country
    assert "pas autorisé" in refused["text"] or "not allowed" in refused["text"]
    [escalation] = await desk.escalations()
    assert escalation.status == "open" and escalation.assignee_id is None
    assert (await desk.audit()).count("staff.refused") == 4


async def test_queue_and_case(desk: Desk) -> None:
    await desk.say(RETURNEE, "I feel so sad")
    await desk.say(RETURNEE, "I want to kill myself")
    [listing] = await desk.say(CM2, "/queue")
    lines = listing["text"].splitlines()
    assert "Tier 1" in lines[1] and "Tier 3" in lines[2]  # most urgent first
    suicide = next(e for e in await desk.escalations() if e.tier == 1)
    [case] = await desk.say(CM2, f"/case {suicide.id}")
    assert "country SN, language en, return 2026-03-14" in case["text"]
    assert "“I want to kill myself”" in case["text"] and "“I feel so sad”" in case["text"]
    assert "case.viewed" in await desk.audit()
    [empty] = await desk.say(OTHER_CM, "/queue")
    assert "Aucun" in empty["text"] or "No open cases" in empty["text"]


async def test_handoff_relays_both_ways_and_pauses_the_flows(desk: Desk) -> None:
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    [opened] = await desk.press(CM2, f"esc:chat:{escalation.id}")
    assert "You are now talking with R-" in opened["text"]
    [told] = desk.new_for(RETURNEE)
    assert "The automated assistant is paused" in told["text"]
    assert await desk.say(RETURNEE, "I want to die, please help") == []  # no bot answer
    [relayed] = desk.new_for(CM2)
    assert relayed["text"].endswith(": I want to die, please help")
    assert await desk.count(EscalationSignal) == 1  # the human reads it; no new alert
    await desk.say(CM2, "I am here. Are you safe right now?")
    [words] = desk.new_for(RETURNEE)
    assert words["text"] == "I am here. Are you safe right now?"
    [ended] = await desk.say(CM2, "/endchat")
    assert "ended" in ended["text"]
    [back] = desk.new_for(RETURNEE)
    assert "The automated assistant is back" in back["text"]
    [menu] = await desk.say(RETURNEE, "/menu")
    assert menu["text"] == "What would you like to do?"
    async with desk.db.sessions() as s:
        assert (await s.scalar(select(Handoff.ended_at))) is not None


async def test_without_sharing_consent_lower_tiers_offer_a_person(
    database: Database, catalogs: Catalogs, clock: FakeClock
) -> None:
    office = Desk(database, catalogs, clock)
    await office.join(CM, "case_manager", "SN")
    await office.onboard(share=False)
    [offer] = await office.say(RETURNEE, "I feel so sad")
    assert "Would you like a person" in offer["text"]
    assert await office.count(Escalation) == 0
    await office.press(RETURNEE, "person")
    [escalation] = await office.escalations()
    assert (escalation.tier, escalation.category) == (3, "asked_for_person")
    # Tier 1 reaches a person whatever was agreed: life may be at risk.
    await office.say(RETURNEE, "I want to kill myself")
    assert {e.tier for e in await office.escalations()} == {1, 3}


async def test_voice_message_goes_to_a_person(desk: Desk) -> None:
    await desk.run(desk.event(RETURNEE, EventKind.MEDIA, media="voice", ref="777"))
    [reply] = desk.new_for(RETURNEE)
    assert "passed yours to a person" in reply["text"]
    [escalation] = await desk.escalations()
    assert (escalation.tier, escalation.category, escalation.source) == (3, "media",
                                                                        "voice_media")
    async with desk.db.sessions() as s:
        copies = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "copy")
                                  )).all()
    assert {c.chat_id for c in copies} == {CM, CM2}
    assert all(c.payload == {"from_chat_id": RETURNEE, "message_id": "777"} for c in copies)


async def test_nobody_for_the_country_alerts_supervisors_elsewhere(
    database: Database, catalogs: Catalogs, clock: FakeClock
) -> None:
    office = Desk(database, catalogs, clock)
    await office.join(SUPERVISOR, "supervisor", "AF")
    await office.onboard()  # Senegal: no staff there
    await office.say(RETURNEE, "I feel so sad")
    assert len(office.new_for(SUPERVISOR)) == 1


async def test_invitation_codes_are_single_use(desk: Desk) -> None:
    [refused] = await desk.say("newcomer", "/start staff-code-cm1")  # already used
    assert "not valid or has already been used" in refused["text"]
    [refused] = await desk.say("newcomer", "/start staff-made-up")
    assert "not valid" in refused["text"]
    assert (await desk.audit()).count("staff.join_refused") == 2


async def test_an_edited_message_is_read_for_distress_only(desk: Desk) -> None:
    assert await desk.say(RETURNEE, "see you tomorrow", edited=True) == []
    [reply] = await desk.say(RETURNEE, "I want to kill myself", edited=True)
    assert "I have alerted the reintegration team" in reply["text"]
    [escalation] = await desk.escalations()
    assert escalation.tier == 1
    [menu] = await desk.say(RETURNEE, "/menu")  # the conversation was not disturbed
    assert menu["text"] == "What would you like to do?"


async def test_delete_my_data_erases_every_message_about_them(desk: Desk) -> None:
    """After "delete my data": no outbox row to their chat or quoting them to staff (alert,
    /case), delivered or not, and no audit row that names them."""
    from storage.models import AuditEntry, OutboxMessage, Participant

    async with desk.db.sessions() as s:
        person = await s.scalar(select(Participant))
    assert person is not None
    pseudonym, chat = person.pseudonym, person.chat_id
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    await desk.say(CM2, f"/case {escalation.id}")
    await desk.say(RETURNEE, "/privacy")
    await desk.press(RETURNEE, "delete")
    await desk.press(RETURNEE, "yes")
    async with desk.db.sessions() as s:
        rows = list(await s.scalars(select(OutboxMessage)))
        audit = list(await s.scalars(select(AuditEntry)))
    assert all(r.about_id is None for r in rows)
    assert [r for r in rows if r.chat_id == chat] == []  # the goodbye too, once sent
    assert "Your data has been deleted" in desk.inbox(RETURNEE)[-1]["text"]
    assert all("kill myself" not in str(r.payload) for r in rows)
    assert all(pseudonym not in f"{a.actor} {a.subject} {a.details}" for a in audit)
    assert "participant.deleted" in [a.action for a in audit]


async def test_guessing_invitation_codes_from_one_chat_is_stopped_and_audited(
        desk: Desk) -> None:
    from datetime import timedelta

    from storage.models import AuditEntry

    for n in range(5):
        [refused] = await desk.say("guesser", f"/start staff-guess-{n}")
        assert "not valid" in refused["text"]
    await desk.db.run(casework.create_invite, code_hash=invite_hash("real-one"),
                      role="case_manager", country="SN", languages=["en"], now=desk.clock(),
                      valid_for=timedelta(days=1))
    [stopped] = await desk.say("guesser", "/start staff-real-one")  # even a right one waits
    assert "Too many invitation codes" in stopped["text"]
    async with desk.db.sessions() as s:
        rows = list(await s.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("staff.join_refused", "staff.join_throttled")))))
    assert {r.subject for r in rows} == {"test:guesser"}  # audited with the chat
    assert [r.action for r in rows].count("staff.join_throttled") == 1
    [other] = await desk.say("someone-else", "/start staff-real-one")  # another chat: fine
    assert "registered as" in other["text"]
    desk.clock.advance(hours=1, minutes=1)
    [later] = await desk.say("guesser", "/start staff-still-wrong")
    assert "not valid" in later["text"]  # an hour later, tried again


async def test_staff_command_arguments_are_checked_without_crash_or_echo(desk: Desk) -> None:
    from sqlalchemy import select

    from storage.models import AuditEntry

    person = "Amadou Diallo +221771234567"
    for command in (f"/case {person}", "/case 99999999999999999999", "/case \u00b2",
                    "/case -1", "/case #0", f"/profile {person} vulnerable",
                    "/profile R-ZZZZZZZZ vulnerable", "/profile", "/profile R-"):
        [reply] = await desk.say(CM2, command)
        assert "Sorry, something went wrong" not in reply["text"], command
        assert "Amadou" not in reply["text"] and "+221" not in reply["text"], command
    for payload in ("esc:ack:99999999999999999999", "esc:ack:\u00b2", f"esc:{person}:1",
                    "esc:Amadou:1"):
        [reply] = await desk.press(CM2, payload)
        assert reply["text"] == "Sorry, that is not allowed."
    [unknown] = await desk.say(CM2, "/profile R-ZZZZZZZZ vulnerable")
    assert "No returnee R-ZZZZZZZZ in your country" in unknown["text"]
    await desk.say(RETURNEE, "I want to kill myself")
    [row] = await desk.escalations()
    async with desk.db.sessions() as s:
        from storage.models import Participant

        pseudonym = (await s.scalars(select(Participant.pseudonym))).one()
    [bad] = await desk.say(CM2, f"/profile {pseudonym} vulnerable born=\u00b2\u00b2 sex=female")
    assert bad["text"].startswith("Use /profile PERSON")
    assert "Word 3 after the person was not understood." in bad["text"]
    [case] = await desk.say(CM2, f"/case #{row.id}")
    assert pseudonym in case["text"]
    async with desk.db.sessions() as s:
        details = [repr(a.details) for a in (await s.scalars(select(AuditEntry))).all()]
    assert not [d for d in details if "Amadou" in d or "+221" in d or "\u00b2" in d]
