"""Storage on SQLite and PostgreSQL: migrations, dedup, the outbox queue, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import db
from storage import repository as repo
from storage.models import Base, Consent, Conversation, OutboxMessage, Participant

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_migrations_create_exactly_the_model_schema(database: AsyncEngine) -> None:
    def tables_and_columns(conn: object) -> dict[str, set[str]]:
        insp = inspect(conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

    async with database.connect() as conn:
        found = await conn.run_sync(tables_and_columns)
    found.pop("alembic_version")
    expected = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    assert found == expected
    assert await db.current_revision(database) == "0001"


async def test_upgrade_twice_is_harmless(database: AsyncEngine) -> None:
    await db.upgrade(database)
    assert await db.current_revision(database) == "0001"


async def test_claim_update_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s, s.begin():
        assert await repo.claim_update(s, "telegram", 42, NOW) is True
    async with sessions() as s, s.begin():
        assert await repo.claim_update(s, "telegram", 42, NOW) is False
        assert await repo.claim_update(s, "other", 42, NOW) is True


async def test_datetimes_come_back_aware_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s, s.begin():
        p = await repo.create_participant(s, "t", "1", "en", NOW)
        pid = p.id
    async with sessions() as s:
        row = await s.get(Participant, pid)
        assert row is not None and row.created_at == NOW and row.created_at.tzinfo is not None
        assert row.pseudonym.startswith("R-") and len(row.pseudonym) == 10


async def test_outbox_claim_lease_and_retry(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s, s.begin():
        for i in range(3):
            repo.add_outbox(s, participant_id=None, channel="t", chat_id=str(i),
                            payload={"text": str(i)}, now=NOW)
    lease = timedelta(seconds=60)
    async with sessions() as s, s.begin():
        items = await repo.claim_outbox(s, NOW, limit=2, lease=lease)
    assert [i.chat_id for i in items] == ["0", "1"]
    async with sessions() as s, s.begin():
        # Leased rows are not handed out again until the lease runs out.
        again = await repo.claim_outbox(s, NOW, limit=10, lease=lease)
        assert [i.chat_id for i in again] == ["2"]
        await repo.mark_sent(s, [items[0].id], NOW)
    async with sessions() as s, s.begin():
        # A sender died holding row 1: after the lease it is due again, attempts counted.
        late = await repo.claim_outbox(s, NOW + lease * 2, limit=10, lease=lease)
        assert [(i.chat_id, i.attempts) for i in late] == [("1", 2), ("2", 2)]
        await repo.mark_failed(s, late[0].id, "bad request")
    async with sessions() as s:
        statuses = dict((await s.execute(select(OutboxMessage.chat_id, OutboxMessage.status)))
                        .all())
    assert statuses == {"0": "sent", "1": "failed", "2": "sending"}


async def test_deleting_a_participant_cascades_but_keeps_sent_messages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as s, s.begin():
        p = await repo.create_participant(s, "t", "1", "en", NOW)
        repo.start_conversation(s, p, "menu", "main", NOW)
        repo.record_consent(s, p, "follow_up", "v1", True, NOW)
        repo.add_outbox(s, participant_id=p.id, channel="t", chat_id="1",
                        payload={"text": "x"}, now=NOW)
    async with sessions() as s, s.begin():
        loaded = await repo.load_participant(s, "t", "1")
        assert loaded is not None
        await repo.delete_participant(s, loaded[0], NOW)
    async with sessions() as s:
        for model in (Participant, Consent, Conversation):
            assert await s.scalar(select(func.count()).select_from(model)) == 0
        outbox = (await s.scalars(select(OutboxMessage))).one()
        assert outbox.participant_id is None
