"""Group commit: the units of a polling batch share a commit, and lose nothing by it."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from flows.l10n.i18n import Catalogs
from storage import db
from storage import repository as repo
from tests.conftest import FakeClock, Harness

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[db.Database]:
    path = tmp_path / "group.db"
    shutil.copy(sqlite_template, path)
    database = db.Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


def commits(database: db.Database) -> list[str]:
    """Every COMMIT the inline connection sends from now on."""
    seen: list[str] = []
    if database._inline_conn is None:
        assert database._inline is not None
        database._inline_conn = database._inline.connect()
    dbapi = database._inline_conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


def on_disk(database: db.Database) -> set[int]:
    """Update ids another process can see: only what is committed."""
    other = sqlite3.connect(make_path(database))
    try:
        return {row[0] for row in other.execute("SELECT update_id FROM processed_updates")}
    finally:
        other.close()


def make_path(database: db.Database) -> str:
    return database.url.split("///", 1)[1]


async def test_units_of_one_batch_share_one_commit_and_return_after_it(
        sqlite_db: db.Database) -> None:
    seen = commits(sqlite_db)

    async def one(update_id: int) -> tuple[bool, set[int]]:
        claimed = await sqlite_db.run(repo.claim_update, "t", update_id, NOW)
        return claimed, on_disk(sqlite_db)  # what is committed when run returns

    with db.group_commits():
        results = await asyncio.gather(*(one(i) for i in range(20)))
    assert len(seen) == 1
    for update_id, (claimed, committed) in enumerate(results):
        assert claimed is True
        assert update_id in committed  # never told "done" before the data is on disk


async def test_a_failing_unit_is_rolled_back_alone(sqlite_db: db.Database) -> None:
    def claim_then_fail(conn: Connection, update_id: int) -> None:
        repo.claim_update(conn, "t", update_id, NOW)
        raise RuntimeError("boom")

    async def failing() -> None:
        await sqlite_db.run(claim_then_fail, 99)

    with db.group_commits():
        outcomes = await asyncio.gather(
            sqlite_db.run(repo.claim_update, "t", 1, NOW), failing(),
            sqlite_db.run(repo.claim_update, "t", 2, NOW), return_exceptions=True)
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], RuntimeError)
    assert on_disk(sqlite_db) == {1, 2}


class FailingCommit:
    """A transaction whose commit fails (a full disk, an I/O error)."""

    def __init__(self, real: object) -> None:
        self.real = real

    def commit(self) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    def rollback(self) -> None:
        self.real.rollback()  # type: ignore[attr-defined]


async def test_a_failed_commit_is_reported_to_every_unit_of_the_group(
        sqlite_db: db.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await sqlite_db.run(repo.claim_update, "t", 0, NOW)  # the connection is open
    group = sqlite_db._join_group
    failures = []

    def failing_join() -> db._Group | None:
        joined = group()
        if joined is not None and not failures:
            joined.transaction = FailingCommit(joined.transaction)
            failures.append(joined)
        return joined

    monkeypatch.setattr(sqlite_db, "_join_group", failing_join)
    with db.group_commits():
        outcomes = await asyncio.gather(
            *(sqlite_db.run(repo.claim_update, "t", i, NOW) for i in (1, 2)),
            return_exceptions=True)
    assert all(isinstance(o, sqlite3.OperationalError) for o in outcomes), outcomes
    assert on_disk(sqlite_db) == {0}
    # The next batch starts clean.
    with db.group_commits():
        assert await sqlite_db.run(repo.claim_update, "t", 1, NOW) is True
    assert on_disk(sqlite_db) == {0, 1}


async def test_a_unit_outside_the_group_waits_for_its_commit(sqlite_db: db.Database) -> None:
    async def grouped() -> None:
        with db.group_commits():
            await sqlite_db.run(repo.claim_update, "t", 1, NOW)

    def alone(conn: Connection) -> set[int]:
        return on_disk(sqlite_db)  # what was committed when this unit began

    task = asyncio.create_task(grouped())
    await asyncio.sleep(0)  # the grouped unit has run; its commit is pending
    assert sqlite_db._group is not None and on_disk(sqlite_db) == set()
    assert await sqlite_db.run(alone) == {1}
    await task


async def test_a_lock_held_elsewhere_sends_a_grouped_unit_to_the_thread(
        sqlite_db: db.Database) -> None:
    other = sqlite3.connect(make_path(sqlite_db), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with db.group_commits():
            unit = asyncio.create_task(sqlite_db.run(repo.claim_update, "t", 7, NOW))
            await asyncio.sleep(0.2)
            assert not unit.done()  # waiting in the helper thread, not on the loop
            other.execute("COMMIT")
            assert await asyncio.wait_for(unit, 5) is True
    finally:
        other.close()
    assert on_disk(sqlite_db) == {7}


async def test_sqlite_commits_wait_for_the_disk(sqlite_db: db.Database) -> None:
    """synchronous=FULL: what was acknowledged survives a power cut, not only a crash."""
    def pragmas(conn: Connection) -> tuple[int, str]:
        return (conn.exec_driver_sql("PRAGMA synchronous").scalar_one(),
                conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())

    assert await sqlite_db.run(pragmas) == (2, "wal")  # 2 is FULL


async def test_one_failing_update_in_a_batch_leaves_the_others_answered(
        sqlite_db: db.Database, catalogs: Catalogs, clock: FakeClock) -> None:
    """Through the engine: the failing update is rolled back and apologised for, the one
    beside it in the same shared commit is answered, and neither will be processed again."""
    from sqlalchemy import select

    from flows.engine.events import EventKind
    from storage.models import Conversation, OutboxMessage
    from tests.test_engine import FLOWS, Exploding

    failing = Harness(sqlite_db, catalogs, clock, chat_id="1")
    calm = Harness(sqlite_db, catalogs, clock, chat_id="2")
    failing.engine = calm.engine = failing.new_engine(flows={**FLOWS, "exploding": Exploding})
    await failing.say("/start")
    async with sqlite_db.sessions() as session, session.begin():
        conv = await session.scalar(select(Conversation))
        assert conv is not None
        conv.flow, conv.state = "exploding", "ask"
    events = [failing.event(EventKind.TEXT, text="boom", update_id=501),
              calm.event(EventKind.COMMAND, command="start", update_id=502)]
    with db.group_commits():
        await asyncio.gather(*(failing.engine.handle(e) for e in events))
    async with sqlite_db.sessions() as session:
        queued = [(r.chat_id, r.payload["text"])
                  for r in await session.scalars(select(OutboxMessage))]
    assert any(chat == "1" and text.startswith("Sorry, something went wrong")
               for chat, text in queued)
    assert sum(chat == "2" and text.startswith("Hello") for chat, text in queued) == 1
    assert not any("all set" in text for _, text in queued)
    assert on_disk(sqlite_db) >= {501, 502}
