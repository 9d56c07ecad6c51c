"""Wiring shared by every command: database, catalogs, engine, sender."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ratelimit import RateLimiter
from bot.sender import Sender, Transport
from bot.settings import Settings
from flows.engine.engine import Engine, utcnow
from flows.l10n.content import ContentError
from flows.l10n.i18n import CatalogError, Catalogs
from flows.research.scoring import Weights
from flows.triage import Triage
from flows.triage.embedder import EmbedderError
from storage import casework as casework_db
from storage import db
from storage.crypto import use_key


class ContentRefused(Exception):
    """A catalog, lexicon or country pack that cannot be used: the bot does not start."""


@dataclass
class Runtime:
    database: db.Database
    engine: Engine
    sender: Sender

    async def close(self) -> None:
        await self.database.dispose()


log = logging.getLogger(__name__)
NO_STAFF = ("no staff member is active, so an alert would reach nobody: invite a supervisor "
            "first (homecoming staff invite --role supervisor)")


async def start(
    settings: Settings,
    transports: Mapping[str, Transport],
    *,
    clock: Callable[[], datetime] = utcnow,
    upgrade: bool = True,
    limiter: RateLimiter | None = None,
    expect_staff: bool = True,
    sender_chat: tuple[str, str] | None = None,
    worker: bool = False,
) -> Runtime:
    """Open the database (upgrading its schema), load catalogs, build engine and sender."""
    use_key(settings.data_key_value())
    # No "ping" before each unit of work: on PostgreSQL it was a round trip of its own in
    # every unit (4 of an update's ~20). A connection broken by a restart fails its unit
    # with a transient error instead, which every caller here retries (the engine, the
    # sender's marks and passes, the sweeps), and the pool then drops its older connections.
    database = db.Database(settings.database_url, pool_pre_ping=False,
                           **db.pool_options(settings.database_url, settings.database_pool_size))
    if upgrade:
        await db.upgrade(database.engine)
    if expect_staff and not await database.run(casework_db.active_staff):
        # Every alert must reach a person: with no staff at all, it would reach nobody.
        if settings.production:
            await database.dispose()
            raise ContentRefused(NO_STAFF)
        log.error(NO_STAFF)
    try:
        catalogs = Catalogs(settings.locales_dir)
        sender = Sender(database, transports, clock=clock, limiter=limiter, chat=sender_chat,
                        worker=worker)
        engine = Engine(
            database,
            catalogs,
            clock=clock,
            conversation_timeout=settings.conversation_timeout,
            default_locale=settings.default_locale,
            on_commit=sender.wake,
            weights=(Weights.load(settings.rss_weights) if settings.rss_weights
                     else Weights.default()),
            survey_window=timedelta(days=settings.survey_window_days),
            triage=Triage.load(settings.locales_dir, semantic=settings.triage_semantic,
                               embedder=settings.triage_embedder),
        )
        engine.casework.screen_wait = timedelta(minutes=settings.triage_screen_minutes)
        # Login links for the web console, when there is one to point at.
        if settings.console_url or settings.console_with_bot:
            engine.casework.console_url = settings.console_public_url
        engine.casework.login_valid = timedelta(minutes=settings.console_login_minutes)
    except (ContentError, CatalogError, EmbedderError, ValueError) as exc:
        await database.dispose()
        raise ContentRefused(str(exc)) from None
    return Runtime(database, engine, sender)


# Young objects are collected after this many allocations (Python's default is 700).
GC_THRESHOLD = 20_000


def settle_memory() -> None:
    """For a long-running process, once started: what was loaded at start-up (catalogs,
    CLDR data, compiled statements, the Telegram types) is set aside from garbage
    collection, and young objects are collected less often.

    With the defaults, collecting took ~120 µs of every update in ``bench/transport.py``:
    a batch of 50 updates in flight holds thousands of live young objects, each
    collection scanned them again, and the occasional full collection walked the ~340,000
    objects loaded at start-up (~300 ms each). Nothing is leaked by this: garbage is still
    collected, only in larger steps.
    """
    if gc.get_freeze_count():  # once per process: later objects are not start-up's
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, middle, old)
