"""Engines, units of work and schema upgrades.

Every piece of work against the database is a *unit of work*: a plain function
``fn(connection, ...)`` run in one transaction by ``Database.run``. How it gets there depends
on the backend, and is chosen for the cost of a round trip:

- PostgreSQL: the function runs on an async connection through ``run_sync``; each statement
  is one network round trip on the event loop (asyncpg).
- SQLite: each aiosqlite statement is a hop to a helper thread and back (about 0.3 ms), so a
  unit of five statements would pay five hops. Instead the whole function runs in one hop,
  on one dedicated thread with the standard ``sqlite3`` driver, where a statement costs
  microseconds. SQLite allows one writer at a time anyway, so one thread loses nothing.

Group commit (SQLite): updates that arrive together (a long-polling batch) are processed
inside ``group_commits()``. Their units run one after another in the same turn of the event
loop; instead of a transaction each, they share one, each unit inside its own savepoint (a
unit that fails is rolled back alone), and the transaction commits on the loop's next turn.
``run`` returns only after that commit, so a caller still never acts on uncommitted work:
the reply is queued, the sender woken and the update acknowledged after its data is on
disk. What changes is that 50 updates pay for one commit instead of 50. Units outside a
group (the sender, the scheduler) wait for an open group to commit, then run as before.

The schema is created only by Alembic (``upgrade``), never by ``metadata.create_all``, so a
development database and a production one always have the same history.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection as Connection
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"
P = ParamSpec("P")
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_setup(engine: Engine, busy_timeout_ms: int = 5000) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Transactions are begun by us (below), not implicitly by the driver.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (the WAL fsynced) before we acknowledge the update to
        # Telegram. With NORMAL a power cut or an OS crash could lose the last commits,
        # after Telegram was told it need not deliver them again: a message lost for good.
        # The fsync (about 0.3 ms here) is shared by a polling batch (group commit).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Take the write lock at the start: a deferred transaction that reads, then writes
        # after another writer committed fails at once (SQLITE_BUSY_SNAPSHOT) instead of
        # waiting. With IMMEDIATE, writers from other processes queue on busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite with foreign keys on and WAL so readers never block."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _sqlite_setup(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def pool_options(url: str, size: int) -> dict[str, Any]:
    """The connection pool of a server database: ``size`` kept open, a quarter more in a
    burst (SQLite's pools are its own: one connection a thread)."""
    if is_sqlite(url):
        return {}
    return {"pool_size": size, "max_overflow": max(1, size // 4)}


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def is_transient(exc: BaseException) -> bool:
    """A failure that can pass by itself: the database locked, restarting, out of reach or
    out of connections. The unit is tried again, and the update is not marked handled."""
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError
                  | sa_exc.DisconnectionError | sa_exc.TimeoutError | sqlite3.OperationalError
                  | ConnectionError | TimeoutError):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.CannotConnectNowError
                      | asyncpg.TooManyConnectionsError | asyncpg.InterfaceError
                      | OSError)


_GROUPING: contextvars.ContextVar[bool] = contextvars.ContextVar("grouping", default=False)


@contextlib.contextmanager
def group_commits() -> Iterator[None]:
    """Units of work run in this context (and the tasks it starts) may share a commit."""
    token = _GROUPING.set(True)
    try:
        yield
    finally:
        _GROUPING.reset(token)


class _Group:
    """The open shared transaction: committed on the next turn of the event loop."""

    __slots__ = ("broken", "done", "transaction")

    def __init__(self, transaction: Any, done: asyncio.Future[None]) -> None:
        self.transaction = transaction
        self.done = done
        self.broken: BaseException | None = None


class Database:
    """One database: ``run`` executes units of work; ``sessions`` gives ad-hoc async sessions."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **kwargs)
        self.sessions = sessionmaker(self.engine)
        self.dialect = make_url(url).get_backend_name()
        self._inline: Engine | None = None
        self._inline_conn: Connection | None = None
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._group: _Group | None = None
        if self.dialect == "sqlite":
            sync_url = make_url(url).set(drivername="sqlite")
            # Inline: never waits for a lock (it would block the event loop), so it gives up
            # at once when another process writes, and the unit goes to the thread instead.
            self._inline = sa.create_engine(sync_url, pool_size=1, max_overflow=0)
            _sqlite_setup(self._inline, busy_timeout_ms=0)
            self._sync = sa.create_engine(sync_url, pool_size=1, max_overflow=0)
            _sqlite_setup(self._sync)
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-uow")

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(connection, *args)`` in one transaction: commit if it returns, else roll
        back."""
        if self._inline is not None and self._thread is not None:
            if _GROUPING.get():
                group = self._join_group()
                if group is not None:
                    return await self._run_grouped(group, fn, *args, **kwargs)
            while self._group is not None:  # a unit of its own waits for the group's commit
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._group.done)
            # One connection kept open: units run one at a time here (nothing is awaited
            # inside), and a pool checkout per unit would cost more than the unit's SQL.
            if self._inline_conn is None:
                self._inline_conn = self._inline.connect()
            try:
                with self._inline_conn.begin():
                    return fn(self._inline_conn, *args, **kwargs)
            except OperationalError as exc:
                if not _locked(exc):
                    raise
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._thread, lambda: self._run_in_thread(fn, *args, **kwargs)
            )
        async with self.engine.begin() as conn:
            return await conn.run_sync(fn, *args, **kwargs)

    def _join_group(self) -> _Group | None:
        """The open group, or a new one; None when the write lock is held elsewhere (the
        unit then runs on its own, waiting off the event loop)."""
        if self._group is not None:
            return self._group
        if self._inline_conn is None:
            assert self._inline is not None
            self._inline_conn = self._inline.connect()
        try:
            transaction = self._inline_conn.begin()
        except OperationalError as exc:
            if not _locked(exc):
                raise
            self._inline_conn.rollback()
            return None
        loop = asyncio.get_running_loop()
        group = self._group = _Group(transaction, loop.create_future())
        loop.call_soon(self._commit_group, group)
        return group

    async def _run_grouped(
        self, group: _Group, fn: Callable[Concatenate[Connection, P], T],
        *args: P.args, **kwargs: P.kwargs
    ) -> T:
        conn = self._inline_conn
        assert conn is not None
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.execute("SAVEPOINT unit")
        try:
            result = fn(conn, *args, **kwargs)
        except BaseException as exc:
            try:
                dbapi.execute("ROLLBACK TO unit")
                dbapi.execute("RELEASE unit")
            except sqlite3.Error:
                # SQLite rolled the whole transaction back (a full disk, say): every unit
                # of the group is lost, and each caller is told so.
                group.broken = exc
            raise
        dbapi.execute("RELEASE unit")
        await asyncio.shield(group.done)
        return result

    def _commit_group(self, group: _Group) -> None:
        # On the event loop, fsync included (one per batch, ~0.3 ms here). Committing on a
        # thread of its own was measured: the loop stays free during the fsync, but every
        # batch then waits for the hand-off back, and the step cost ~15 % more
        # (bench/transport.py). A slow disk would tip the balance; this one does not.
        self._group = None
        try:
            if group.broken is not None:
                raise RuntimeError("the shared transaction was lost") from group.broken
            group.transaction.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                group.transaction.rollback()
            group.done.set_exception(exc)
            group.done.exception()  # retrieved: callers that left early must not warn
        else:
            group.done.set_result(None)

    def _run_in_thread(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        assert self._sync is not None
        with self._sync.begin() as conn:
            return fn(conn, *args, **kwargs)

    async def dispose(self) -> None:
        if self._group is not None:  # a shared commit still to come: let it land first
            with contextlib.suppress(Exception):
                await asyncio.shield(self._group.done)
        await self.engine.dispose()
        if self._inline_conn is not None:
            self._inline_conn.close()
        for engine in (self._inline, self._sync):
            if engine is not None:
                engine.dispose()
        if self._thread is not None:
            self._thread.shutdown(wait=True)


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` inside one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
