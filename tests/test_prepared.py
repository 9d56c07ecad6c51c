"""Prepared statements store and read values exactly as SQLAlchemy does, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage import crypto, db
from storage import repository as repo
from storage.models import Conversation, OutboxMessage, Participant
from storage.prepared import Prepared

NOW = datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=UTC)
_participants = Participant.__table__


def _participant_fields(chat: str) -> dict[str, object]:
    return {
        "pseudonym": f"R-{chat:0>8}", "channel": "t", "chat_id": chat, "locale": "fa",
        "country": "AF", "returned": True, "return_date": date(2026, 3, 14),
        "onboarded_at": NOW, "paused": False, "reachable": True, "profile": "standard",
        "last_mood": 2, "checklist": {"documents": True}, "consent_state": {"survey": False},
        "created_at": NOW, "sex": "female", "birth_year": 1994, "host_country": "IR",
        "departed_on": date(2019, 5, 1),
    }


async def test_a_prepared_insert_reads_back_the_same_through_sqlalchemy(
        database: db.Database) -> None:
    prepared = Prepared(insert(_participants))
    fields = _participant_fields("1")

    def write_prepared_read_plain(conn: Connection) -> dict[str, object]:
        prepared.execute(conn, fields)
        row = conn.execute(select(_participants).where(_participants.c.chat_id == "1")).one()
        return dict(row._mapping)

    row = await database.run(write_prepared_read_plain)
    for name, value in fields.items():
        assert row[name] == value, name
    assert row["created_at"].tzinfo is not None


async def test_a_prepared_select_reads_what_sqlalchemy_wrote(database: db.Database) -> None:
    fields = _participant_fields("2")
    stmt = select(_participants).where(_participants.c.chat_id == bindparam("chat"))
    prepared = Prepared(stmt)

    def write_plain_read_both(conn: Connection) -> tuple[dict[str, object], dict[str, object]]:
        conn.execute(insert(_participants), fields)
        plain = dict(conn.execute(stmt, {"chat": "2"}).one()._mapping)
        fast = prepared.execute(conn, {"chat": "2"}).first()
        assert fast is not None
        return plain, dict(fast)

    plain, fast = await database.run(write_plain_read_both)
    assert fast == plain
    assert fast["checklist"] == {"documents": True} and fast["paused"] is False
    assert fast["created_at"] == NOW and fast["return_date"] == date(2026, 3, 14)


@pytest.fixture
def data_key() -> Iterator[None]:
    crypto.use_key(Fernet.generate_key().decode())
    yield
    crypto.use_key(None)


async def test_sealed_columns_are_encrypted_at_rest_on_the_prepared_path(
        database: db.Database, data_key: None) -> None:
    def queue_and_peek(conn: Connection) -> tuple[str, dict[str, object]]:
        repo.add_outbox(conn, participant_id=None, channel="t", chat_id="9",
                        payload={"text": "my brother was taken"}, now=NOW)
        raw = conn.exec_driver_sql("SELECT CAST(payload AS TEXT) FROM outbox").scalar_one()
        payload = conn.execute(select(OutboxMessage.payload)).scalar_one()
        return raw, payload

    raw, payload = await database.run(queue_and_peek)
    assert "brother" not in raw and '"enc2:' in raw
    assert payload == {"text": "my brother was taken"}


async def test_literals_in_a_prepared_statement_are_bound_once(database: db.Database) -> None:
    participant = await database.run(repo.create_participant, "t", "3", "en", NOW)
    conversation = repo.ConversationRecord("onboarding", "language", {"a": 1}, None, None)
    await database.run(repo.save_conversation, participant, conversation,
                       expires_at=NOW, now=NOW)
    for _ in range(3):  # "version + 1" in the statement
        await database.run(repo.save_conversation, participant, conversation,
                           expires_at=NOW, now=NOW)
    loaded = await database.run(repo.load_participant, "t", "3")
    assert loaded is not None and loaded.conversation is not None
    assert loaded.conversation.version == 4 == conversation.version
    assert loaded.conversation.data == {"a": 1}


async def test_a_stale_version_and_a_duplicate_raise_what_callers_expect(
        database: db.Database) -> None:
    participant = await database.run(repo.create_participant, "t", "4", "en", NOW)
    stale = repo.ConversationRecord("onboarding", "language", {}, None, None)
    await database.run(repo.save_conversation, participant, stale, expires_at=NOW, now=NOW)
    other = repo.ConversationRecord("onboarding", "language", {}, 1, None)
    await database.run(repo.save_conversation, participant, other, expires_at=NOW, now=NOW)
    with pytest.raises(repo.StaleConversation):
        await database.run(repo.save_conversation, participant, stale,
                           expires_at=NOW, now=NOW)
    again = repo.ConversationRecord("onboarding", "language", {}, None, None)
    with pytest.raises(IntegrityError):  # a second first contact: SQLAlchemy's error type
        await database.run(repo.save_conversation, participant, again,
                           expires_at=NOW, now=NOW)


async def test_many_rows_in_one_prepared_statement(database: db.Database) -> None:
    rows = [{"participant_id": None, "channel": "t", "chat_id": str(i), "payload": {"i": i}}
            for i in range(5)]
    await database.run(lambda conn: repo.add_outbox_many(
        conn, [{**r, "priority": 1} for r in rows], NOW))
    async with database.sessions() as s:
        got = (await s.execute(select(OutboxMessage.payload)
                               .order_by(OutboxMessage.id))).scalars().all()
    assert got == [{"i": i} for i in range(5)]


def test_statements_a_prepared_statement_cannot_run_are_refused() -> None:
    from sqlalchemy.dialects import sqlite

    expanding = Prepared(update(Conversation).where(
        Conversation.participant_id.in_(bindparam("ids", expanding=True))).values(state="x"))
    with pytest.raises(ValueError, match="expanding"):
        expanding._compile(sqlite.dialect(), frozenset({"ids"}))
    # "paused" has a Python-side default, filled by SQLAlchemy when left out.
    defaults = Prepared(insert(Participant.__table__))
    with pytest.raises(ValueError, match="default"):
        defaults._compile(sqlite.dialect(), frozenset({"pseudonym", "channel", "chat_id"}))
    missing = Prepared(select(Conversation.state).where(Conversation.state == bindparam("s")))
    with pytest.raises(ValueError, match="no value"):
        missing._compile(sqlite.dialect(), frozenset())


@pytest.fixture
def postgres(pg_schema: str) -> Iterator[str]:
    yield pg_schema


async def test_on_postgresql_a_prepared_statement_skips_sqlalchemys_cursor(
        postgres: str) -> None:
    """The asyncpg path is taken (no cursor execution is seen by SQLAlchemy's events) and
    still reads and writes inside the unit's transaction, rolled back with it."""
    from sqlalchemy import event

    from tests.conftest import PG_URL, pg_args

    database = db.Database(PG_URL, **pg_args(postgres))
    seen: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda *args: seen.append(args[2]))
    chat = f"fast-{postgres}"

    def create_then_fail(conn: Connection) -> None:
        repo.create_participant(conn, "t", chat, "en", NOW)
        assert repo.load_participant(conn, "t", chat) is not None  # same transaction
        raise RuntimeError("rolled back")

    try:
        with pytest.raises(RuntimeError):
            await database.run(create_then_fail)
        assert await database.run(repo.load_participant, "t", chat) is None
        assert not [sql for sql in seen if "participants" in sql]
    finally:
        await database.dispose()


async def test_on_postgresql_a_lost_connection_is_a_transient_failure(postgres: str) -> None:
    """A backend killed under a unit (a server restart): the error is SQLAlchemy's, marks
    the connection invalid, and is transient, so the unit is tried again on a new one."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from tests.conftest import PG_URL, pg_args

    database = db.Database(PG_URL, pool_pre_ping=False, **pg_args(postgres))  # as run's
    killer = db.create_engine(PG_URL)
    chat = f"lost-{postgres}"

    def pid(conn: Connection) -> int:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    try:
        backend = await database.run(pid)
        async with killer.begin() as kc:
            await kc.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": backend})
        with pytest.raises(DBAPIError) as caught:
            await database.run(repo.load_participant, "t", chat)
        assert caught.value.connection_invalidated and db.is_transient(caught.value)
        assert await database.run(repo.load_participant, "t", chat) is None  # a new one
    finally:
        await database.dispose()
        await killer.dispose()


async def test_on_postgresql_a_changed_schema_prepares_the_statements_again(
        postgres: str) -> None:
    """A newer process migrates a column (a rolling deploy): the statement cached on the
    old process's connection fails once, and is prepared again, not failing for ever."""
    from sqlalchemy import Column, Integer, MetaData, Table, text
    from sqlalchemy.exc import DBAPIError

    from tests.conftest import PG_URL, pg_args

    table = Table(f"cache_{postgres[-8:]}", MetaData(), Column("id", Integer),
                  Column("v", Integer))
    prepared = Prepared(select(table.c.id, table.c.v).where(table.c.id == bindparam("id")))
    database = db.Database(PG_URL, pool_size=1, max_overflow=0, **pg_args(postgres))
    other = db.create_engine(PG_URL, **pg_args(postgres))
    try:
        async with other.begin() as conn:
            await conn.execute(text(f"CREATE TABLE {table.name} (id int, v int)"))
            await conn.execute(text(f"INSERT INTO {table.name} VALUES (1, 2)"))
        assert (await database.run(lambda c: prepared.execute(c, {"id": 1}).all())) == [
            {"id": 1, "v": 2}]
        async with other.begin() as conn:
            await conn.execute(text(f"ALTER TABLE {table.name} ALTER COLUMN v TYPE text"))
        with pytest.raises(DBAPIError):
            await database.run(lambda c: prepared.execute(c, {"id": 1}).all())
        rows = await database.run(lambda c: prepared.execute(c, {"id": 1}).all())
        assert [row["id"] for row in rows] == [1]
    finally:
        async with other.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
        await database.dispose()
        await other.dispose()
