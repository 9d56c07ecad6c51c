"""Wiring shared by every command: database, catalogs, engine, sender."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.sender import Sender, Transport
from bot.settings import Settings
from flows.engine import Engine, utcnow
from flows.i18n import Catalogs
from storage import db


@dataclass
class Runtime:
    engine_db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    sender: Sender

    async def close(self) -> None:
        await self.engine_db.dispose()


async def start(
    settings: Settings,
    transports: Mapping[str, Transport],
    *,
    clock: Callable[[], datetime] = utcnow,
    upgrade: bool = True,
) -> Runtime:
    """Open the database (upgrading its schema), load catalogs, build engine and sender."""
    engine_db = db.create_engine(settings.database_url)
    if upgrade:
        await db.upgrade(engine_db)
    sessions = db.sessionmaker(engine_db)
    catalogs = Catalogs(settings.locales_dir)
    sender = Sender(sessions, transports, clock=clock)
    engine = Engine(
        sessions,
        catalogs,
        clock=clock,
        conversation_timeout=settings.conversation_timeout,
        default_locale=settings.default_locale,
        on_commit=sender.wake,
    )
    return Runtime(engine_db, sessions, engine, sender)
