"""A process keeps its PostgreSQL connections: units of work in flight are not each given a
connection opened and closed for them (a TLS attempt, a log-in, every statement prepared
again)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from bot.settings import Settings
from storage import db
from tests.conftest import PG_URL, pg_args


async def _opened_by_bursts(schema: str, size: int, bursts: int = 3, units: int = 12) -> int:
    """Connections opened after the first burst of ``units`` at once."""
    database = db.Database(PG_URL, **pg_args(schema), **db.pool_options(PG_URL, size))
    opened: list[int] = []
    event.listen(database.engine.sync_engine, "connect", lambda *args: opened.append(1))

    def unit(conn: Connection) -> int:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    async def slow(conn: Connection) -> int:
        return unit(conn)

    try:
        async def burst() -> None:
            async def one() -> None:
                async with database.engine.begin() as conn:
                    await conn.run_sync(unit)
                    await asyncio.sleep(0.01)  # in flight together

            await asyncio.gather(*(one() for _ in range(units)))

        await burst()
        first = len(opened)
        for _ in range(bursts):
            await burst()
        return len(opened) - first
    finally:
        await database.dispose()


async def test_the_default_pool_keeps_a_burst_of_units_connected(pg_schema: str) -> None:
    size = Settings(database_url=PG_URL).database_pool_size
    assert await _opened_by_bursts(pg_schema, size) == 0
    # the measure can fail: a pool too small for the burst opens connections every time
    assert await _opened_by_bursts(pg_schema, 2) >= 3


def test_sqlite_keeps_its_own_pools() -> None:
    assert db.pool_options("sqlite+aiosqlite:///x.db", 16) == {}
    assert db.pool_options(PG_URL, 16) == {"pool_size": 16, "max_overflow": 4}
    with pytest.raises(ValueError):
        Settings(database_url=PG_URL, database_pool_size=0)
