"""Delivery when Telegram cannot deliver: urgent messages undelivered in time are re-alerted
through other staff; alerts queued for one case manager go as one message; a crashed
sender does not hold its chats for the length of a lease."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.sender import Sender, SendError
from storage import repository as repo
from storage import workers
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import FakeClock, RecordingTransport
from tests.desk import CM, CM2, OTHER_CM, RETURNEE, SUPERVISOR, Desk


class Refusing(RecordingTransport):
    """Refuses some chats (429 for ever by default), delivers the others."""

    def __init__(self, chats: set[str], error: SendError | None = None) -> None:
        super().__init__()
        self.chats = chats
        self.error = error or SendError("429 Too Many Requests", retry_after=1)

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        if chat_id in self.chats:
            raise self.error
        await super().send(chat_id, kind, payload)


def refuse(desk: Desk, chats: set[str], error: SendError | None = None) -> Refusing:
    transport = Refusing(chats, error)
    transport.sent = desk.transport.sent  # the desk reads the same inbox
    desk.sender = Sender(desk.db, {"test": transport}, clock=desk.clock)
    return transport


async def staff_id(desk: Desk, chat: str) -> str:
    from storage import casework

    staff = await desk.db.run(casework.load_staff, "test", chat)
    assert staff is not None
    return str(staff.pseudonym)


async def test_tier1_alert_undelivered_in_time_goes_to_other_staff(desk: Desk) -> None:
    transport = refuse(desk, {CM})
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    assert desk.new_for(CM) == [] and len(desk.new_for(CM2)) == 1
    desk.new_for(SUPERVISOR)
    desk.clock.advance(seconds=30)
    await desk.engine.sweep()
    await desk.sender.drain()
    assert desk.new_for(CM2) == []  # not yet: within its deadline
    desk.clock.advance(seconds=31)
    assert await desk.engine.sweep() >= 1
    await desk.sender.drain()
    pseudonym = await staff_id(desk, CM)
    for chat in (CM2, SUPERVISOR):
        [again] = desk.new_for(chat)
        assert f"could not be delivered to {pseudonym} in time" in again["text"]
        assert f"Case #{escalation.id}, Tier 1" in again["text"]
        assert f"esc:ack:{escalation.id}" in [b["data"] for b in again["buttons"]]
    assert desk.new_for(OTHER_CM) == []
    assert "escalation.undelivered" in await desk.audit()
    # Once: the re-alert itself is not watched, and the stuck one is not taken again.
    desk.clock.advance(minutes=5)
    await desk.engine.sweep()
    await desk.sender.drain()
    assert desk.new_for(CM2) == []
    transport.chats.clear()  # Telegram comes back: the first alert still arrives
    desk.clock.advance(minutes=5)
    await desk.sender.drain()
    assert len(desk.new_for(CM)) == 1


async def test_an_acknowledged_case_is_not_realerted_for_an_undelivered_copy(
        desk: Desk) -> None:
    refuse(desk, {CM})
    await desk.say(RETURNEE, "I want to kill myself")
    [escalation] = await desk.escalations()
    await desk.press(CM2, f"esc:ack:{escalation.id}")
    desk.new_for(SUPERVISOR)
    desk.clock.advance(seconds=61)
    await desk.engine.sweep()
    await desk.sender.drain()
    assert desk.new_for(SUPERVISOR) == []  # a colleague has it in hand


async def test_an_alert_refused_for_good_goes_to_others_at_the_next_sweep(desk: Desk) -> None:
    refuse(desk, {CM}, SendError("403 blocked", blocked=True))
    await desk.say(RETURNEE, "I want to kill myself")
    desk.new_for(CM2)
    desk.clock.advance(seconds=1)  # no need to wait for the deadline
    await desk.engine.sweep()
    await desk.sender.drain()
    [again] = desk.new_for(CM2)
    assert "could not be delivered" in again["text"]


async def test_emergency_numbers_undelivered_in_time_are_told_to_the_team(desk: Desk) -> None:
    refuse(desk, {RETURNEE})
    await desk.engine.handle(desk.event(RETURNEE, desk_kind_text(), text="I want to kill myself"))
    await desk.sender.drain()
    [escalation] = await desk.escalations()
    assert len(desk.new_for(CM2)) == 1  # the alert itself
    desk.clock.advance(seconds=61)
    await desk.engine.sweep()
    await desk.sender.drain()
    [told] = desk.new_for(CM2)
    assert "emergency numbers" in told["text"] and f"case #{escalation.id}" in told["text"]
    assert len(desk.new_for(SUPERVISOR)) == 2
    assert desk.new_for(OTHER_CM) == []


def desk_kind_text() -> Any:
    from flows.engine.events import EventKind

    return EventKind.TEXT


async def test_alerts_queued_for_one_case_manager_go_as_one_message(desk: Desk) -> None:
    transport = refuse(desk, {CM2})
    for n in range(3):  # three people in distress while the case manager's chat waits
        chat = f"r{n + 2}"
        await desk.onboard(chat)
        await desk.say(chat, "I want to kill myself")
    cases = [e.id for e in await desk.escalations()]
    assert len(cases) == 3
    desk.new_for(CM2)
    transport.chats.clear()
    desk.clock.advance(seconds=2)
    await desk.sender.drain()
    [combined] = desk.new_for(CM2)
    for case in cases:
        assert f"Case #{case}, Tier 1" in combined["text"]
        assert f"esc:ack:{case}" in [b["data"] for b in combined["buttons"]]
    assert f"Acknowledge #{cases[0]}" in [b["label"] for b in combined["buttons"]]
    async with desk.db.sessions() as s:
        statuses = {r.status for r in (await s.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == CM2))).all()}
    assert statuses == {"sent"}  # all three marked sent with the one message


async def test_a_crashed_senders_messages_are_due_again_within_seconds(
        database: Database, clock: FakeClock) -> None:
    def add(conn: Any) -> None:
        for text in ("first", "second"):
            repo.add_outbox(conn, participant_id=None, channel="test", chat_id="7",
                            payload={"text": text}, now=clock())

    await database.run(add)
    dead = Sender(database, {"test": RecordingTransport()}, clock=clock)
    await database.run(workers.beat, dead.id, clock())
    [taken] = await database.run(repo.claim_outbox, clock(), lease=timedelta(seconds=60),
                                 sender=dead.id)
    assert taken.payload["text"] == "first"  # ... and the sender is killed here
    transport = RecordingTransport()
    alive = Sender(database, {"test": transport}, clock=clock)
    assert await alive.drain() == 0  # the chat waits: its sender may still be sending
    clock.advance(seconds=2)
    await database.run(workers.beat, alive.id, clock())
    assert await database.run(workers.reclaim, clock()) == 0  # not dead yet
    clock.advance(seconds=4)
    await database.run(workers.beat, alive.id, clock())
    assert await database.run(workers.reclaim, clock()) == 1  # 6 s silent: dead
    assert await alive.drain() == 2
    assert [p["text"] for _, p in transport.sent] == ["first", "second"]


async def test_a_live_senders_lease_is_kept_and_a_stopped_one_frees_its_own(
        database: Database, clock: FakeClock) -> None:
    def add(conn: Any) -> None:
        repo.add_outbox(conn, participant_id=None, channel="test", chat_id="8",
                        payload={"text": "hello"}, now=clock())

    await database.run(add)
    busy = Sender(database, {"test": RecordingTransport()}, clock=clock)
    await database.run(workers.beat, busy.id, clock())
    await database.run(repo.claim_outbox, clock(), lease=timedelta(seconds=60),
                       sender=busy.id)
    clock.advance(seconds=30)
    await database.run(workers.beat, busy.id, clock())
    assert await database.run(workers.reclaim, clock()) == 0  # alive: its lease holds
    other = Sender(database, {"test": RecordingTransport()}, clock=clock)
    assert await other.drain() == 0
    await database.run(workers.leave, busy.id, clock())  # a clean stop gives its rows back
    assert await other.drain() == 1


async def test_a_sender_whose_beats_were_held_up_keeps_its_own_rows(
        database: Database, clock: FakeClock) -> None:
    """Its beats held up by a locked database, a sender does not take itself for dead: the
    rows it is sending stay leased to it (freed, they were sent a second time)."""
    await database.run(lambda conn: repo.add_outbox(
        conn, participant_id=None, channel="test", chat_id="9", payload={"text": "hi"},
        now=clock()))
    me = Sender(database, {"test": RecordingTransport()}, clock=clock)
    await database.run(workers.beat, me.id, clock())
    await database.run(repo.claim_outbox, clock(), lease=timedelta(seconds=60), sender=me.id)
    clock.advance(seconds=8)  # no beat landed meanwhile
    assert await database.run(workers.reclaim, clock(), by=me.id) == 0
    assert await database.run(workers.reclaim, clock()) == 1  # to anyone else: dead


async def test_alerts_queued_while_one_waits_for_its_chats_pace_go_with_it(
        database: Database, clock: FakeClock) -> None:
    import asyncio

    from bot.ratelimit import LocalRateLimiter

    def add(conn: Any, text: str, bundle: str | None) -> None:
        repo.add_outbox(conn, participant_id=None, channel="test", chat_id="cm",
                        payload={"text": text, "buttons": [{"label": "Ack",
                                                            "data": f"esc:ack:{text[-1]}"}]},
                        now=clock(), priority=repo.URGENT, bundle=bundle)

    await database.run(add, "notice 0", None)
    await database.run(add, "alert 1", "alert")
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock,
                    limiter=LocalRateLimiter(per_second=100, per_chat_per_second=2))
    draining = asyncio.create_task(sender.drain())
    await asyncio.sleep(0.15)  # alert 1 is claimed, waiting for the chat's next slot
    await database.run(add, "alert 2", "alert")
    await database.run(add, "alert 3", "alert")
    await draining
    texts = [p["text"] for _, p in transport.sent]
    assert texts[0] == "notice 0"
    assert texts[1].split("\n\n\u2014\u2014\u2014\n\n") == ["alert 1", "alert 2", "alert 3"]
    assert len(texts) == 2
    assert [b["label"] for b in transport.sent[1][1]["buttons"]] == ["Ack #1", "Ack #2",
                                                                    "Ack #3"]


async def test_an_alert_that_did_not_wait_is_sent_without_another_unit_of_work(
        database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim bundled what was queued; only a wait for the chat's pace can add more. So
    the sends of one claim start in its order (the assigned case manager's alert first),
    none held back by a unit of work of its own."""
    grown: list[int] = []
    real = repo.grow_bundle

    def counting(conn: Any, item: Any, *args: Any, **kwargs: Any) -> Any:
        grown.append(item.id)
        return real(conn, item, *args, **kwargs)

    monkeypatch.setattr(repo, "grow_bundle", counting)
    for chat in ("cm2", "cm", "sup"):
        await database.run(lambda conn, chat=chat: repo.add_outbox(
            conn, participant_id=None, channel="test", chat_id=chat,
            payload={"text": f"alert for {chat}", "buttons": []}, now=clock(),
            priority=repo.URGENT, bundle="alert"))
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    assert await sender.drain() == 3
    assert [chat for chat, _ in transport.sent] == ["cm2", "cm", "sup"] and grown == []


async def test_people_writing_at_once_are_embedded_together(desk: Desk) -> None:
    import asyncio

    from flows.engine.events import EventKind
    from flows.triage import Triage

    base = Triage.load()
    assert base.embedder is not None
    calls: list[int] = []
    real = base.embedder

    class Counting:
        dim = real.dim
        name = real.name

        def embed(self, texts: Any) -> Any:
            calls.append(len(texts))
            return real.embed(texts)

    desk.engine.triage = Triage(base.lexicons, base.model, Counting())  # type: ignore[arg-type]
    chats = [f"p{n}" for n in range(4)]
    for chat in chats:
        await desk.onboard(chat)
    calls.clear()
    await asyncio.gather(*(desk.engine.handle(desk.event(chat, EventKind.TEXT,
                                                         text="I cannot go on like this"))
                           for chat in chats))
    assert sum(calls) == 4 and len(calls) < 4  # one call of the model for several people
    await desk.sender.drain()
    for chat in chats:
        assert desk.new_for(chat)  # each was answered
