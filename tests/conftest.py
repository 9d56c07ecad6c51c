"""Fixtures: a database of each kind, a fake clock, and a harness that talks to the engine.

PostgreSQL tests run against ``HOMECOMING_TEST_POSTGRES_URL`` (default: the local server).
Where it is unreachable they skip with the reason, unless ``HOMECOMING_REQUIRE_POSTGRES=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import storage.console_models  # noqa: F401  (truncated with the others)
from bot.sender import Sender
from flows.engine.engine import Engine
from flows.engine.events import Event, EventKind
from flows.l10n.i18n import Catalogs
from storage import db
from storage.models import Base

PG_URL = os.environ.get(
    "HOMECOMING_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("HOMECOMING_REQUIRE_POSTGRES") == "1"


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class RecordingTransport:
    """Delivers into a list; can be told to fail."""

    channel = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: Exception | None = None

    async def send(self, chat_id: str, kind: str, payload: dict[str, Any]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((chat_id, payload))


def run_sync(coro_fn: Any) -> Any:
    """Run a coroutine function to completion on its own loop in its own thread.

    Session fixtures are first requested from inside a running test loop, where
    ``asyncio.run`` is not allowed.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_fn()).result()


def _pg_reachable() -> str | None:
    import asyncpg

    async def probe() -> None:
        url = PG_URL.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncio.wait_for(asyncpg.connect(url), timeout=3)
        await conn.close()

    try:
        run_sync(probe)
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A private schema, migrated once for the whole run, dropped at the end."""
    problem = _pg_reachable()
    if problem:
        if REQUIRE_PG:
            pytest.fail(problem + " and HOMECOMING_REQUIRE_POSTGRES=1")
        pytest.skip(problem)
    schema = f"homecoming_test_{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        engine = db.create_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        engine = pg_engine(schema)
        await db.upgrade(engine)
        await engine.dispose()

    async def teardown() -> None:
        engine = db.create_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()

    run_sync(setup)
    yield schema
    run_sync(teardown)


def pg_engine(schema: str, **kw: Any) -> AsyncEngine:
    return db.create_engine(PG_URL, **pg_args(schema), **kw)


def pg_args(schema: str) -> dict[str, Any]:
    return {"connect_args": {"server_settings": {"search_path": schema}}}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy, which is much faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def setup() -> None:
        engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
        await db.upgrade(engine)
        await engine.dispose()

    run_sync(setup)
    return path


@pytest.fixture(params=["sqlite", "postgres"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[db.Database]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        database = db.Database(f"sqlite+aiosqlite:///{path}")
    else:
        schema = request.getfixturevalue("pg_schema")
        database = db.Database(PG_URL, **pg_args(schema))
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def sessions(database: db.Database) -> async_sessionmaker[AsyncSession]:
    """Async sessions for looking at what the code under test wrote."""
    return database.sessions


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs()


class Harness:
    """One person talking to the bot: send text or press buttons, read what came back."""

    def __init__(self, database: db.Database, catalogs: Catalogs,
                 clock: FakeClock, chat_id: str = "100") -> None:
        self.db = database
        self.sessions = database.sessions
        self.catalogs = catalogs
        self.clock = clock
        self.chat_id = chat_id
        self.transport = RecordingTransport()
        self.sender = Sender(database, {"test": self.transport}, clock=clock)
        self.engine = self.new_engine()
        self._next_update = 1

    def new_engine(self, **kw: Any) -> Engine:
        return Engine(self.db, self.catalogs, clock=self.clock, **kw)

    async def staff_on_duty(self) -> None:
        """A supervisor joins (on a channel of their own, so that alerts to them stay out of
        this person's messages): an alert now reaches someone."""
        from datetime import timedelta

        from storage import casework as casework_db

        await self.db.run(casework_db.create_invite, code_hash="duty", role="supervisor",
                          country=None, languages=["en"], now=self.clock(),
                          valid_for=timedelta(days=1))
        await self.db.run(casework_db.redeem_invite, "duty", "duty", "sup", self.clock())

    def restart(self) -> None:
        """As after a process restart: a new engine and sender, nothing kept in memory."""
        self.engine = self.new_engine()
        self.sender = Sender(self.db, {"test": self.transport}, clock=self.clock)

    def event(self, kind: EventKind, **kw: Any) -> Event:
        update_id = kw.pop("update_id", None)
        if update_id is None:
            update_id = self._next_update
            self._next_update += 1
        return Event("test", self.chat_id, kind, update_id=update_id, **kw)

    async def deliver(self, event: Event) -> dict[str, Any]:
        await self.engine.handle(event)
        before = len(self.transport.sent)
        await self.sender.drain()
        new = self.transport.sent[before:]
        assert new, "the bot did not answer"
        return new[-1][1]

    async def say(self, text: str, **kw: Any) -> dict[str, Any]:
        event = Event.from_text("test", self.chat_id, text)
        return await self.deliver(self.event(event.kind, text=event.text,
                                             command=event.command, args=event.args, **kw))

    async def press(self, payload: str, **kw: Any) -> dict[str, Any]:
        return await self.deliver(self.event(EventKind.BUTTON, payload=payload, **kw))

    async def until_country(self, lang: str = "en") -> dict[str, Any]:
        """Start, choose ``lang``, agree to both consents: the country question is next."""
        await self.say("/start")
        for payload in (f"lang:{lang}", "next", "yes"):
            await self.press(payload)
        return await self.press("yes")

    async def onboard(self, lang: str = "en") -> dict[str, Any]:
        await self.until_country(lang)
        await self.say("Senegal" if lang == "en" else "Sénégal")
        await self.press("yes")
        await self.say("14/03/2026")
        return await self.press("pick:2026-03-14")  # "you arrived on 14 March 2026": yes

    async def onboard_abroad(self, lang: str = "en") -> dict[str, Any]:
        """Onboarded before departure: returning to Senegal, no date planned yet."""
        await self.until_country(lang)
        await self.say("Senegal" if lang == "en" else "Sénégal")
        await self.press("no")
        return await self.press("unknown")


@pytest.fixture
def bot(database: db.Database, catalogs: Catalogs, clock: FakeClock) -> Harness:
    return Harness(database, catalogs, clock)


def labels(reply: dict[str, Any]) -> list[str]:
    return [b["label"] for b in reply["buttons"]]


def payloads(reply: dict[str, Any]) -> list[str]:
    return [b["data"] for b in reply["buttons"]]


from tests.desk import desk  # noqa: E402,F401  (the fixture, for every test module)
