"""Storage on SQLite and PostgreSQL: migrations, dedup, the outbox queue, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from storage import db
from storage import repository as repo
from storage.models import Base, Consent, Conversation, OutboxMessage, Participant

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_migrations_create_exactly_the_model_schema(database: db.Database) -> None:
    def tables_and_columns(conn: object) -> dict[str, set[str]]:
        insp = inspect(conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

    async with database.engine.connect() as conn:
        found = await conn.run_sync(tables_and_columns)
    found.pop("alembic_version")
    expected = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    assert found == expected
    assert await db.current_revision(database.engine) == db_head()


def db_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_upgrade_twice_is_harmless(database: db.Database) -> None:
    await db.upgrade(database.engine)
    assert await db.current_revision(database.engine) == db_head()


async def test_claim_update_once(database: db.Database) -> None:
    assert await database.run(repo.claim_update, "telegram", 42, NOW) is True
    assert await database.run(repo.claim_update, "telegram", 42, NOW) is False
    assert await database.run(repo.claim_update, "other", 42, NOW) is True


async def test_claim_and_load_claims_once_and_reads_the_person(database: db.Database) -> None:
    """One statement on PostgreSQL, two on SQLite: the same answers either way."""
    first = await database.run(repo.claim_and_load, "t", 1, "chat-1", NOW)
    assert first == (True, None)  # no one writes from this chat yet
    assert await database.run(repo.claim_and_load, "t", 1, "chat-1", NOW) == (False, None)
    created = await database.run(repo.create_participant, "t", "chat-1", "fa", NOW)
    await database.run(repo.save_conversation, created,
                       repo.ConversationRecord("menu", "main", {"k": 1}, None, None),
                       expires_at=NOW, now=NOW)
    claimed, person = await database.run(repo.claim_and_load, "t", 2, "chat-1", NOW)
    loaded = await database.run(repo.load_participant, "t", "chat-1")
    assert claimed and person == loaded and person is not None
    assert person.locale == "fa" and person.conversation is not None
    assert person.conversation.data == {"k": 1} and person.conversation.version == 1
    # an id of another channel is another update
    assert (await database.run(repo.claim_and_load, "u", 2, "chat-1", NOW))[0]


async def test_a_conversation_saved_with_its_reply_queued(database: db.Database) -> None:
    """One statement on PostgreSQL when the reply is one row; a stale version queues
    nothing; a reply long enough for two messages queues both."""
    person = await database.run(repo.create_participant, "t", "q-1", "en", NOW)
    conversation = repo.ConversationRecord("menu", "main", {}, None, None)
    await database.run(repo.save_conversation, person, conversation, expires_at=NOW, now=NOW)
    reply = {"participant_id": person.id, "channel": "t", "chat_id": "q-1",
             "payload": {"text": "hello", "buttons": []}, "priority": repo.URGENT}
    conversation.state = "next"
    await database.run(repo.save_conversation, person, conversation, expires_at=NOW,
                       now=NOW, queue=reply)
    stale = repo.ConversationRecord("menu", "other", {}, 1, None)
    with pytest.raises(repo.StaleConversation):
        await database.run(repo.save_conversation, person, stale, expires_at=NOW, now=NOW,
                           queue={**reply, "payload": {"text": "never", "buttons": []}})


    def stale_caught(conn: Connection) -> None:  # a caller that goes on after a conflict
        with pytest.raises(repo.StaleConversation):
            repo.save_conversation(conn, person, stale, expires_at=NOW, now=NOW,
                                   queue={**reply, "payload": {"text": "stale", "buttons": []}})

    await database.run(stale_caught)  # committed: still nothing queued on the stale state
    long = {**reply, "payload": {"text": "word " * (repo.MAX_TEXT // 4), "buttons": []}}
    conversation.state = "last"
    await database.run(repo.save_conversation, person, conversation, expires_at=NOW,
                       now=NOW, queue=long)
    async with database.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        queued = [(r.payload["text"][:5], r.priority, r.deadline is not None) for r in rows]
        conv = await s.scalar(select(Conversation))
    assert queued == [("hello", repo.URGENT, True), ("word ", repo.URGENT, True),
                      ("word ", repo.URGENT, True)]
    assert conv is not None and conv.state == "last" and conv.version == 3


async def test_a_failing_unit_of_work_leaves_nothing(database: db.Database) -> None:
    def claim_then_fail(conn: Connection) -> None:
        repo.claim_update(conn, "telegram", 1, NOW)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await database.run(claim_then_fail)
    assert await database.run(repo.claim_update, "telegram", 1, NOW) is True


async def test_datetimes_come_back_aware_utc(database: db.Database) -> None:
    p = await database.run(repo.create_participant, "t", "1", "en", NOW)
    async with database.sessions() as s:
        row = await s.get(Participant, p.id)
        assert row is not None and row.created_at == NOW and row.created_at.tzinfo is not None
        assert row.pseudonym.startswith("R-") and len(row.pseudonym) == 10


def queue(conn: Connection, n: int) -> None:
    for i in range(n):
        repo.add_outbox(conn, participant_id=None, channel="t", chat_id=str(i),
                        payload={"text": str(i)}, now=NOW)


async def test_outbox_claim_lease_and_retry(database: db.Database) -> None:
    await database.run(queue, 3)
    lease = timedelta(seconds=60)
    items = await database.run(repo.claim_outbox, NOW, limit=2, lease=lease)
    assert [i.chat_id for i in items] == ["0", "1"]
    # Leased rows are not handed out again until the lease runs out.
    again = await database.run(repo.claim_outbox, NOW, limit=10, lease=lease)
    assert [i.chat_id for i in again] == ["2"]
    await database.run(repo.mark_sent, [items[0].id], NOW)
    # A sender died holding row 1: after the lease it is due again, attempts counted.
    late = await database.run(repo.claim_outbox, NOW + lease * 2, limit=10, lease=lease)
    assert [(i.chat_id, i.attempts) for i in late] == [("1", 2), ("2", 2)]
    await database.run(repo.mark_failed, late[0].id, "bad request")
    async with database.sessions() as s:
        statuses = dict((await s.execute(select(OutboxMessage.chat_id, OutboxMessage.status)))
                        .all())
    assert statuses == {"0": "sent", "1": "failed", "2": "sending"}


async def test_deleting_a_participant_cascades_and_erases_their_messages(
    database: db.Database,
) -> None:
    def setup(conn: Connection) -> None:
        p = repo.create_participant(conn, "t", "1", "en", NOW)
        conversation = repo.ConversationRecord("menu", "main", {}, None, None)
        repo.save_conversation(conn, p, conversation, expires_at=None, now=NOW)
        repo.record_consent(conn, p, "follow_up", "v1", True, NOW)
        repo.save_participant(conn, p)
        repo.add_outbox(conn, participant_id=p.id, channel="t", chat_id="1",
                        payload={"text": "x"}, now=NOW)
        repo.add_outbox(conn, participant_id=None, channel="t", chat_id="staff",
                        payload={"text": "about them"}, now=NOW, about_id=p.id)
        repo.add_outbox(conn, participant_id=None, channel="t", chat_id="staff",
                        payload={"text": "someone else"}, now=NOW)

    def delete(conn: Connection) -> None:
        participant = repo.load_participant(conn, "t", "1")
        assert participant is not None and participant.conversation is not None
        assert participant.consent_state == {"follow_up": True}
        repo.delete_participant(conn, participant, NOW)

    await database.run(setup)
    await database.run(delete)
    async with database.sessions() as s:
        for model in (Participant, Consent, Conversation):
            assert await s.scalar(select(func.count()).select_from(model)) == 0
        outbox = (await s.scalars(select(OutboxMessage))).one()  # to their chat, about them:
        assert outbox.payload["text"] == "someone else"  # gone; the rest stays


async def test_sqlite_lock_held_elsewhere_waits_off_the_event_loop(tmp_path: Path,
                                                                   sqlite_template: Path) -> None:
    """Another process writing: the unit waits in the helper thread, the loop stays free."""
    import asyncio
    import shutil
    import sqlite3
    import time

    path = tmp_path / "locked.db"
    shutil.copy(sqlite_template, path)
    database = db.Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other process holds the write lock
    try:
        unit = asyncio.create_task(database.run(repo.claim_update, "t", 1, NOW))
        ticks = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not unit.done()
        assert ticks >= 15  # the event loop kept running while the unit waited
        other.execute("COMMIT")
        assert await asyncio.wait_for(unit, 5) is True
    finally:
        other.close()
        await database.dispose()


async def test_the_latest_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    from alembic import command

    database = db.Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await db.upgrade(database.engine)

        def down(connection: Connection) -> set[str]:
            cfg = db.alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0005")
            return set(inspect(connection).get_table_names())

        async with database.engine.begin() as conn:
            tables = await conn.run_sync(down)
        assert "surveys" not in tables and "wmodel_events" in tables
        await db.upgrade(database.engine)
        assert await db.current_revision(database.engine) == db_head()
    finally:
        await database.dispose()


def test_a_long_message_is_split_between_lines_with_buttons_on_the_last() -> None:
    lines = [f"line {n}: " + "x" * 90 for n in range(100)]  # about 10,000 characters
    payload = {"text": "\n".join(lines), "buttons": [{"label": "OK", "data": "ok"}],
               "locale": "en"}
    parts = repo.split_payload(payload)
    assert len(parts) == 3 and all(len(p["text"]) <= repo.MAX_TEXT for p in parts)
    assert "\n".join(p["text"] for p in parts) == payload["text"]  # nothing lost
    assert [p["buttons"] for p in parts] == [[], [], payload["buttons"]]
    huge = repo.split_payload({"text": "y" * 8000, "buttons": []})
    assert "".join(p["text"] for p in huge) == "y" * 8000
    assert repo.split_payload({"text": "short"}) == [{"text": "short"}]
