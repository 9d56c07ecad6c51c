"""The sender drains the outbox: delivers, retries later, records permanent failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.sender import Sender, SendError
from storage import repository as repo
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import FakeClock, RecordingTransport


async def queue(database: Database, clock: FakeClock, n: int, channel: str = "test") -> None:
    def add(conn: Connection) -> None:
        for i in range(n):
            repo.add_outbox(conn, participant_id=None, channel=channel, chat_id=str(i),
                            payload={"text": f"m{i}"}, now=clock())

    await database.run(add)


async def rows(database: Database) -> list[OutboxMessage]:
    async with database.sessions() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_delivers_in_order_once(database: Database,
                                      clock: FakeClock) -> None:
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock, batch=2)
    await queue(database, clock, 5)
    assert await sender.drain() == 5
    assert await sender.drain() == 0
    assert [p["text"] for _, p in transport.sent] == ["m0", "m1", "m2", "m3", "m4"]
    assert {r.status for r in await rows(database)} == {"sent"}


async def test_transient_error_is_retried_later(database: Database,
                                                clock: FakeClock) -> None:
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    transport.fail_with = ConnectionError("network down")
    assert await sender.drain() == 0
    [row] = await rows(database)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectionError")
    transport.fail_with = None
    assert await sender.drain() == 0  # not before the backoff
    clock.advance(seconds=3)
    assert await sender.drain() == 1
    assert len(transport.sent) == 1


async def test_retry_after_is_honoured(database: Database,
                                       clock: FakeClock) -> None:
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    transport.fail_with = SendError("429", retry_after=30)
    await sender.drain()
    transport.fail_with = None
    clock.advance(seconds=29)
    assert await sender.drain() == 0
    clock.advance(seconds=2)
    assert await sender.drain() == 1


async def test_permanent_error_is_recorded_not_retried(
    database: Database, clock: FakeClock
) -> None:
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    await queue(database, clock, 1, channel="nowhere")
    transport.fail_with = SendError("400 chat not found", permanent=True)
    await sender.drain()
    clock.advance(days=1)
    transport.fail_with = None
    assert await sender.drain() == 0
    assert [(r.status, r.last_error) for r in await rows(database)] == [
        ("failed", "400 chat not found"),
        ("failed", "no transport for channel nowhere"),
    ]


async def test_never_gives_up_on_flood_control_or_server_errors(database: Database,
                                                                clock: FakeClock) -> None:
    """Sixty seconds of 429s and four minutes of 5xx, then Telegram is back: delivered."""
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    for _ in range(12):
        transport.fail_with = SendError("429 Too Many Requests", retry_after=5)
        await sender.drain()
        clock.advance(seconds=6)
    for _ in range(30):
        transport.fail_with = SendError("502 Bad Gateway")
        await sender.drain()
        clock.advance(seconds=301)
    [row] = await rows(database)
    assert row.status == "pending" and row.attempts == 42
    assert row.not_before <= clock() + timedelta(seconds=300)  # the backoff is capped
    transport.fail_with = None
    assert await sender.drain() == 1
    [row] = await rows(database)
    assert row.status == "sent"


async def test_each_message_is_marked_sent_as_soon_as_it_is_sent(
        database: Database, clock: FakeClock) -> None:
    """While the third message of a batch is being sent, the first two are already marked
    sent: a crash at that moment does not send them again."""
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock, batch=10)
    await queue(database, clock, 3)
    real = transport.send
    seen: list[list[str]] = []

    async def look_then_send(chat_id: str, kind: str, payload: dict) -> None:
        if chat_id == "2":
            seen.append([r.status for r in await rows(database)])
        await real(chat_id, kind, payload)

    transport.send = look_then_send  # type: ignore[method-assign]
    sender.limiter.acquire = _in_order()  # type: ignore[method-assign]
    assert await sender.drain() == 3
    assert seen == [["sent", "sent", "sending"]]


def _in_order() -> Any:
    """Let chats 0 and 1 through before chat 2 (the batch is sent concurrently)."""
    import asyncio

    async def acquire(key: str) -> None:
        if key.endswith(":2"):
            await asyncio.sleep(0.05)

    return acquire


async def test_a_chat_waiting_for_a_retry_keeps_its_order(database: Database,
                                                          clock: FakeClock) -> None:
    """Later messages to a chat never overtake an earlier one that waits for a retry."""
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)

    def add(conn: Connection) -> None:
        for text, chat in (("first", "a"), ("second", "a"), ("other", "b")):
            repo.add_outbox(conn, participant_id=None, channel="test", chat_id=chat,
                            payload={"text": text}, now=clock())

    await database.run(add)
    transport.fail_with = SendError("429", retry_after=30)
    await sender.drain()  # "first" and "other" both refused
    transport.fail_with = None
    await sender.drain()
    assert transport.sent == []  # "second" waits behind "first"
    clock.advance(seconds=31)
    await sender.drain()
    # within a chat, in order; across chats, sends run side by side (either may go first)
    assert [p["text"] for c, p in transport.sent if c == "a"] == ["first", "second"]
    assert [p["text"] for c, p in transport.sent if c == "b"] == ["other"]


async def test_blocked_marks_the_person_unreachable(database: Database, clock: FakeClock
                                                    ) -> None:
    from storage.models import Participant

    participant = await database.run(repo.create_participant, "test", "0", "en", clock())
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    transport.fail_with = SendError("403", blocked=True)
    await sender.drain()
    async with database.sessions() as s:
        row = await s.get(Participant, participant.id)
        assert row is not None and row.reachable is False
    [outbox] = await rows(database)
    assert outbox.status == "failed"


async def test_alerts_go_before_ordinary_messages(database: Database, clock: FakeClock) -> None:
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock, batch=3)

    def add(conn: Connection) -> None:
        for i in range(5):
            repo.add_outbox(conn, participant_id=None, channel="test", chat_id=f"r{i}",
                            payload={"text": "check-in"}, now=clock(), priority=repo.SCHEDULED)
        repo.add_outbox(conn, participant_id=None, channel="test", chat_id="writer",
                        payload={"text": "reply"}, now=clock())  # someone writing right now
        repo.add_outbox(conn, participant_id=None, channel="test", chat_id="cm",
                        payload={"text": "ALERT"}, now=clock(), priority=repo.URGENT)

    await database.run(add)
    await sender.drain()
    assert [p["text"] for _, p in transport.sent[:3]] == ["ALERT", "reply", "check-in"]


async def test_delivered_messages_are_forgotten_after_the_retention(
    database: Database, clock: FakeClock
) -> None:
    from datetime import timedelta

    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 2)
    await sender.drain()
    clock.advance(days=8)
    await queue(database, clock, 1, channel="nowhere")  # not deliverable: kept
    assert await database.run(repo.purge_sent, clock() - timedelta(days=7)) == 2
    assert [r.channel for r in await rows(database)] == ["nowhere"]


async def test_a_tier1_alert_is_not_queued_behind_notices_in_a_staff_chat(
        database: Database, clock: FakeClock) -> None:
    """A notice waits for a retry in a case manager's chat: the Tier 1 alert written after it
    goes at once; another notice still waits behind the first."""
    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)

    def add(conn: Connection) -> None:
        for text, priority in (("notice 1", repo.INTERACTIVE), ("TIER 1", repo.URGENT),
                               ("notice 2", repo.INTERACTIVE)):
            repo.add_outbox(conn, participant_id=None, channel="test", chat_id="cm",
                            payload={"text": text}, now=clock(), priority=priority)

    await database.run(add)
    transport.fail_with = SendError("429", retry_after=30)
    await sender.drain()  # "notice 1" refused for 30 s; "TIER 1" refused too
    transport.fail_with = None
    clock.advance(seconds=31)
    await sender.drain()
    texts = [p["text"] for _, p in transport.sent]
    assert texts[0] == "TIER 1"
    assert texts.index("notice 1") < texts.index("notice 2")


async def test_a_mark_refused_by_a_locked_database_is_tried_again(
        database: Database, clock: FakeClock, monkeypatch: Any) -> None:
    """Sent, then the database refuses the "sent" mark for a moment: the mark is written
    when it comes back, and the message is not sent a second time."""
    from sqlalchemy.exc import OperationalError

    import bot.sender

    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 1)
    real, refusals = repo.mark_sent, [1]

    def locked_once(conn: Connection, ids: Any, now: Any) -> None:
        if refusals:
            refusals.pop()
            raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))
        real(conn, ids, now)

    monkeypatch.setattr(repo, "mark_sent", locked_once)
    monkeypatch.setattr(bot.sender, "MARK_WAITS", (0.01,))
    assert await sender.drain() == 1
    [row] = await rows(database)
    assert row.status == "sent" and not refusals
    clock.advance(seconds=120)  # past the lease: nothing is due again
    assert await sender.drain() == 0
    assert len(transport.sent) == 1


async def test_messages_sent_before_a_claim_fails_are_still_marked(
        database: Database, clock: FakeClock, monkeypatch: Any) -> None:
    """The unit that marks the sends that ended also claims the next rows: when the claim
    fails, the marks are written anyway (unmarked, they would go again after their lease)."""
    import pytest

    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock)
    await queue(database, clock, 2)
    real, calls = repo.claim_outbox, []

    def fails_after_the_first(conn: Connection, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("a claim that fails")
        return real(conn, *args, **kwargs)

    monkeypatch.setattr(repo, "claim_outbox", fails_after_the_first)
    with pytest.raises(RuntimeError):
        await sender.drain()
    assert len(transport.sent) == 2
    assert {r.status for r in await rows(database)} == {"sent"}


async def test_sends_that_end_close_together_are_marked_in_one_unit(
        database: Database, clock: FakeClock) -> None:
    """Thirty sends ending a millisecond apart: marked (and the next rows claimed) in a few
    units of work, not one each, and every one marked within moments of its send."""
    import asyncio
    import time

    from bot import sender as sending

    transport = RecordingTransport()
    sender = Sender(database, {"test": transport}, clock=clock, batch=100)
    await queue(database, clock, 30)
    ended: dict[str, float] = {}
    real = transport.send

    async def staggered(chat_id: str, kind: str, payload: dict) -> None:
        await asyncio.sleep(0.001 * int(chat_id))
        await real(chat_id, kind, payload)
        ended[chat_id] = time.monotonic()

    units: list[tuple[float, int]] = []
    settle = sender._settle

    async def counted(sent: list[repo.OutboxItem], room: int) -> list[repo.OutboxItem]:
        units.append((time.monotonic(), len(sent)))
        return await settle(sent, room)

    transport.send = staggered  # type: ignore[method-assign]
    sender._settle = counted  # type: ignore[method-assign]
    assert await sender.drain() == 30
    assert {r.status for r in await rows(database)} == {"sent"}
    marking = [(at, n) for at, n in units if n]
    assert sum(n for _, n in marking) == 30
    assert len(marking) <= 8  # 30 ms of sends: a few units, not one a send
    last_end = max(ended.values())
    assert marking[-1][0] - last_end < sending.SETTLE_EVERY + 0.2  # marked promptly
