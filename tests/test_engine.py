"""The engine's guarantees: persistence, deduplication, rollback, interrupts, expiry."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from flows.conversations.common import YES
from flows.engine.events import Event, EventKind, Msg
from flows.engine.flow import Flow, Prompt
from flows.engine.registry import FLOWS
from flows.l10n.i18n import N_
from storage.models import AuditEntry, Consent, Conversation, Escalation, OutboxMessage, Participant
from tests.conftest import Harness, payloads


async def count(bot: Harness, model: Any) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def conversation(bot: Harness) -> Conversation:
    async with bot.sessions() as session:
        row = await session.scalar(select(Conversation))
        assert row is not None
        return row


async def test_a_new_engine_continues_the_conversation(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:fr")
    await bot.press("next")
    bot.restart()  # as after a crash: nothing in memory
    reply = await bot.press("yes")
    assert "gestionnaire de cas" in reply["text"]
    conv = await conversation(bot)
    assert (conv.flow, conv.state) == ("onboarding", "consent_sharing")
    assert conv.data == {"follow_up": True}


async def test_repeated_update_id_is_processed_once(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en", update_id=500)
    before = await conversation(bot)
    outbox_before = await count(bot, OutboxMessage)
    result = await bot.engine.handle(bot.event(EventKind.BUTTON, payload="lang:en",
                                               update_id=500))
    assert result.outcome == "duplicate"
    after = await conversation(bot)
    assert (after.state, after.version) == (before.state, before.version)
    assert await count(bot, OutboxMessage) == outbox_before


async def test_duplicate_across_a_restart_is_still_ignored(bot: Harness) -> None:
    await bot.say("/start", update_id=7)
    bot.restart()
    result = await bot.engine.handle(bot.event(EventKind.COMMAND, command="start",
                                               update_id=7))
    assert result.outcome == "duplicate"


class Exploding(Flow):
    """A flow whose callback fails after it has already decided things."""

    name = "exploding"
    states: list[dict[str, Any]] = [{"name": "ask"}, {"name": "after"}]
    transitions: list[dict[str, Any]] = [
        {"trigger": "text", "source": "ask", "dest": "after", "after": "explode"},
    ]

    def prompt_ask(self) -> Prompt:
        return Prompt(Msg(N_("Yes")), (YES,), free_text=True)

    def prompt_after(self) -> Prompt:
        return Prompt(Msg(N_("No")))

    def explode(self, value: str) -> None:
        self.say(N_("Thank you, you are all set."))
        raise RuntimeError(value)


async def test_exception_rolls_back_and_apologises(bot: Harness, caplog: pytest.LogCaptureFixture
                                                   ) -> None:
    flows = {**FLOWS, "exploding": Exploding}
    bot.engine = bot.new_engine(flows=flows)
    await bot.say("/start")
    async with bot.sessions() as session, session.begin():
        conv = await session.scalar(select(Conversation))
        assert conv is not None
        conv.flow, conv.state = "exploding", "ask"
    before = await conversation(bot)
    outbox_before = await count(bot, OutboxMessage)
    with caplog.at_level(logging.ERROR):
        reply = await bot.say("secret words 4711")
    assert reply["text"].startswith("Sorry, something went wrong")
    assert payloads(reply) == ["yes"]  # and the same question again
    after = await conversation(bot)
    assert (after.flow, after.state, after.version) == ("exploding", "ask", before.version)
    assert await count(bot, OutboxMessage) == outbox_before + 1  # the apology only
    async with bot.sessions() as session:
        texts = [r.payload["text"] for r in await session.scalars(select(OutboxMessage))]
    assert not any("all set" in t for t in texts)
    assert "RuntimeError" in caplog.text
    assert "secret words" not in caplog.text
    # It can go on: the next answer is handled normally once the flow is fixed.
    bot.engine = bot.new_engine()
    reply = await bot.say("/menu")
    assert "Let us finish setting up first" in reply["text"]


async def test_conversation_version_guards_concurrent_writers(bot: Harness) -> None:
    """Two workers handling the same chat at once: both answers applied, in turn."""
    await bot.say("/start")
    await bot.press("lang:en")
    other = bot.new_engine()  # a second worker, with its own locks
    results = await asyncio.gather(
        bot.engine.handle(bot.event(EventKind.BUTTON, payload="next")),
        other.handle(bot.event(EventKind.COMMAND, command="help")),
    )
    assert all(r.outcome == "done" for r in results)
    conv = await conversation(bot)
    assert conv.state == "consent_follow_up"
    assert conv.version == 4  # created, lang, then both events: none was lost
    assert await count(bot, Escalation) == 1


async def test_stale_conversation_is_retried_on_fresh_data(
    bot: Harness, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker commits between our read and our write: the version check catches it."""
    if "sqlite" in request.node.callspec.id:
        pytest.skip("SQLite transactions begin IMMEDIATE: no writer can come in between")
    from sqlalchemy.util import await_only

    from storage import repository

    await bot.say("/start")
    await bot.press("lang:en")
    original = repository.claim_and_load  # the engine's read, on PostgreSQL
    calls = 0

    async def other_worker_moves_on() -> None:
        async with bot.sessions() as other, other.begin():
            conv = await other.scalar(select(Conversation))
            assert conv is not None
            conv.state = "consent_follow_up"

    def load_then_race(session: Any, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        loaded = original(session, *args)
        if calls == 1:  # another worker moves the conversation on, and commits
            await_only(other_worker_moves_on())
        return loaded

    monkeypatch.setattr(repository, "claim_and_load", load_then_race)
    result = await bot.engine.handle(bot.event(EventKind.BUTTON, payload="yes"))
    assert calls == 2  # the first attempt was rolled back, the second saw fresh data
    assert result.outcome == "done"
    conv = await conversation(bot)
    assert conv.state == "consent_sharing"
    assert conv.data == {"follow_up": True}
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Consent)) == 1


async def test_help_from_any_state_records_one_request_and_asks_again(bot: Harness) -> None:
    await bot.staff_on_duty()
    await bot.say("/start")
    await bot.press("lang:en")
    await bot.press("next")
    reply = await bot.say("/help")
    assert "case manager" in reply["text"]
    assert reply["text"].endswith("You can stop them at any time.")  # same question
    await bot.say("/help")
    async with bot.sessions() as session:
        rows = (await session.scalars(select(Escalation))).all()
    assert [(e.tier, e.category, e.status) for e in rows] == [(3, "asked_for_person", "open")]


async def test_menu_talk_to_a_person(bot: Harness) -> None:
    await bot.staff_on_duty()
    await bot.onboard()
    reply = await bot.press("person")
    assert "passed on your request" in reply["text"]
    assert await count(bot, Escalation) == 1


async def test_menu_command_before_and_after_onboarding(bot: Harness) -> None:
    await bot.say("/start")
    reply = await bot.say("/menu")
    assert reply["text"].startswith("Let us finish setting up first.")
    assert "Which language" in reply["text"]
    await bot.onboard()
    await bot.say("/privacy")
    reply = await bot.say("/menu")
    assert reply["text"] == "What would you like to do?"


async def test_language_side_trip_returns_to_the_same_question(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    await bot.press("next")
    reply = await bot.say("/language")
    assert "Which language" in reply["text"]
    reply = await bot.press("lang:fr")
    assert reply["text"].startswith("C'est fait.")
    assert "messages de suivi" in reply["text"]  # back at the consent question, in French
    conv = await conversation(bot)
    assert (conv.flow, conv.state) == ("onboarding", "consent_follow_up")


async def test_privacy_shows_data_and_back_returns(bot: Harness) -> None:
    await bot.onboard()
    await bot.press("privacy")
    reply = await bot.press("show")
    assert "Country of return: Senegal" in reply["text"]
    assert "Date of return: 14 March 2026" in reply["text"]  # English in Senegal: day first
    assert "Follow-up messages: yes" in reply["text"]
    reply = await bot.press("back")
    assert reply["text"] == "What would you like to do?"


async def test_delete_my_data(bot: Harness) -> None:
    await bot.onboard()
    await bot.say("/privacy")
    reply = await bot.press("delete")
    assert "cannot be undone" in reply["text"]
    reply = await bot.press("no")
    assert reply["text"].startswith("Nothing was deleted.")
    await bot.press("delete")
    reply = await bot.press("yes")
    assert "Your data has been deleted" in reply["text"]
    assert reply["buttons"] == []
    assert await count(bot, Participant) == 0
    assert await count(bot, Consent) == 0
    assert await count(bot, Conversation) == 0
    async with bot.sessions() as session:
        audit = (await session.scalars(select(AuditEntry))).all()
    assert [a.action for a in audit] == ["participant.deleted"]
    reply = await bot.say("hello")  # a fresh start
    assert "Which language" in reply["text"]


async def test_stop_asks_first_then_pauses_and_resume(bot: Harness) -> None:
    await bot.onboard()
    reply = await bot.say("/stop")
    assert "/resume" in reply["text"]
    reply = await bot.press("yes")
    assert reply["text"].startswith("Messages are paused.")
    assert "Resume messages" in [b["label"] for b in reply["buttons"]]
    async with bot.sessions() as session:
        assert (await session.scalar(select(Participant.paused))) is True
    reply = await bot.say("/resume")
    assert reply["text"].startswith("Messages are on again.")
    async with bot.sessions() as session:
        assert (await session.scalar(select(Participant.paused))) is False


async def test_stop_declined_changes_nothing(bot: Harness) -> None:
    await bot.onboard()
    await bot.say("/stop")
    reply = await bot.press("no")
    assert reply["text"].startswith("Nothing has changed.")
    async with bot.sessions() as session:
        assert (await session.scalar(select(Participant.paused))) is False


async def test_unknown_command_explains_and_asks_again(bot: Harness) -> None:
    await bot.say("/start")
    reply = await bot.say("/frobnicate")
    assert reply["text"].startswith("I do not know that command.")
    assert "Which language" in reply["text"]


async def test_forged_or_stale_button_is_refused(bot: Harness) -> None:
    await bot.onboard()
    reply = await bot.press("lang:fr")  # not a button of the menu
    assert reply["text"].startswith("That button belongs to an earlier question.")
    async with bot.sessions() as session:
        assert (await session.scalar(select(Participant.locale))) == "en"


async def test_media_gets_an_honest_answer(bot: Harness) -> None:
    await bot.onboard()
    reply = await bot.deliver(bot.event(EventKind.MEDIA, media="voice"))
    assert "only read text" in reply["text"]


async def test_conversation_expires_after_the_wait(bot: Harness) -> None:
    await bot.onboard()
    await bot.say("/privacy")
    await bot.press("delete")
    bot.clock.advance(days=8)
    reply = await bot.press("yes")  # far too late to confirm a deletion
    assert reply["text"].startswith("Welcome back.")
    assert reply["text"].endswith("What would you like to do?")
    assert await count(bot, Participant) == 1


async def test_expiry_is_configurable(bot: Harness) -> None:
    from datetime import timedelta

    bot.engine = bot.new_engine(conversation_timeout=timedelta(minutes=30))
    await bot.say("/start")
    await bot.press("lang:en")
    bot.clock.advance(minutes=31)
    reply = await bot.press("next")
    assert reply["text"].startswith("Welcome back.")
    assert "Which language" in reply["text"]


async def test_every_outbox_row_is_committed_with_its_state(bot: Harness) -> None:
    await bot.say("/start")
    await bot.press("lang:en")
    async with bot.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[1].payload["locale"] == "en"
    assert payloads(rows[1].payload) == ["next", "more"]


async def test_many_chats_at_once_all_answered(bot: Harness) -> None:
    """Different people writing at the same moment never block or fail each other."""
    events = [
        Event("test", f"chat-{i}", EventKind.COMMAND, command="start", update_id=10_000 + i)
        for i in range(20)
    ]
    results = await asyncio.gather(*(bot.engine.handle(e) for e in events))
    assert [r.outcome for r in results] == ["done"] * 20
    assert await count(bot, Participant) == 20
    assert await count(bot, OutboxMessage) == 20


async def test_a_transient_database_failure_is_retried_not_apologised(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database is locked for a moment: the update is processed on a later try, and no
    apology marks it handled meanwhile."""
    from sqlalchemy.exc import OperationalError

    from flows.engine import engine as engine_module

    monkeypatch.setattr(engine_module, "TRANSIENT_WAITS", (0.0, 0.0, 0.0))
    await bot.staff_on_duty()
    await bot.onboard()
    real = bot.engine._handle_once
    failures = 2

    async def locked_twice(event: Any, embedded: Any = None) -> Any:
        nonlocal failures
        if failures:
            failures -= 1
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return await real(event, embedded)

    bot.engine._handle_once = locked_twice  # type: ignore[method-assign]
    reply = await bot.say("I want to kill myself")
    assert "I have alerted the reintegration team" in reply["text"]
    assert "Sorry, something went wrong" not in reply["text"]


async def test_a_lasting_outage_leaves_the_update_to_be_delivered_again(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from flows.engine import engine as engine_module
    from flows.engine.engine import Outcome

    monkeypatch.setattr(engine_module, "TRANSIENT_WAITS", (0.0, 0.0))
    await bot.onboard()

    async def down(event: Any, embedded: Any = None) -> Any:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    real = bot.engine._handle_once
    bot.engine._handle_once = down  # type: ignore[method-assign]
    result = await bot.engine.handle(bot.event(EventKind.TEXT, text="I want to die",
                                               update_id=9001))
    assert result.outcome is Outcome.UNAVAILABLE  # not confirmed: Telegram sends it again
    bot.engine._handle_once = real  # type: ignore[method-assign]
    again = await bot.engine.handle(bot.event(EventKind.TEXT, text="I want to die",
                                              update_id=9001))
    assert again.outcome is Outcome.DONE  # processed, not a duplicate


async def test_a_permanent_failure_still_records_the_distress_first(bot: Harness) -> None:
    """The flow breaks on this update: the person gets the apology, and the Tier 1 signal in
    their words is recorded on its own, with the numbers and the truth about the alert."""
    flows = {**FLOWS, "exploding": Exploding}
    bot.engine = bot.new_engine(flows=flows)
    await bot.staff_on_duty()
    await bot.say("/start")
    async with bot.sessions() as session, session.begin():
        conv = await session.scalar(select(Conversation))
        assert conv is not None
        conv.flow, conv.state = "exploding", "ask"

    def broken(turn: Any) -> bool:
        raise RuntimeError("a bug on the way")

    bot.engine.router._distress = broken  # type: ignore[method-assign]
    reply = await bot.say("I took all my pills, goodbye")
    assert reply["text"].startswith("Sorry, something went wrong")
    assert "I have alerted the reintegration team" in reply["text"]
    async with bot.sessions() as session:
        [escalation] = list(await session.scalars(select(Escalation)))
    assert escalation.tier == 1


async def test_warm_up_loads_what_triage_reads_with(bot: Harness) -> None:
    """Started, the engine loads the language identifier and the embedder before the first
    update: the first person who writes after a (re)start does not wait for them."""
    from flows.triage import language
    from flows.triage.embedder import E5Embedder
    from flows.triage.triage import Triage

    loaded = bot.engine.triage
    fresh = E5Embedder()
    bot.engine.triage = Triage(loaded.lexicons, loaded.model, fresh)
    language._identifier.cache_clear()
    try:
        await bot.engine.warm_up()
        assert language._identifier.cache_info().currsize == 1
        assert fresh._model is not None or loaded.model is None
    finally:
        bot.engine.triage = loaded
