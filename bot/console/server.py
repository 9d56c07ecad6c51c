"""Serving the console with uvicorn: on its own (``homecoming console``) or beside the bot
(``homecoming run`` with ``HOMECOMING_CONSOLE_WITH_BOT=true``), on the same database and
casework. The access log stays off: a sign-in URL carries a login link's secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime

import uvicorn

from bot.console.app import Console, build_app
from bot.settings import Settings
from flows.casework.casework import Casework
from storage.db import Database

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the caller's stop event decides."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def console_for(settings: Settings, database: Database, casework: Casework,
                clock: Callable[[], datetime]) -> Console:
    return Console(database, casework, clock, idle=settings.console_idle,
                   secure=settings.console_secure_cookies,
                   live_every=settings.console_live_seconds)


async def serve_console(console: Console, host: str, port: int, stop: asyncio.Event,
                        started: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set."""
    config = uvicorn.Config(build_app(console), host=host, port=port, access_log=False,
                            log_level="warning", lifespan="on", timeout_graceful_shutdown=2,
                            proxy_headers=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110  (uvicorn has no event)
        await asyncio.sleep(0.02)
    if task.done():
        task.result()  # could not listen: say why
    log.info("console listening on http://%s:%s", host, port)
    if started is not None:
        started.set()
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def standalone(settings: Settings, stop: asyncio.Event) -> None:
    """``homecoming console``: the console alone, on the database the bot writes to (its
    alerts reach the page through the database; the bot or a worker sends the messages
    the console's actions write to the outbox)."""
    from datetime import timedelta

    from flows.engine.engine import utcnow
    from flows.l10n.countries import CountryPacks
    from flows.l10n.i18n import Catalogs
    from flows.research.scoring import Weights
    from storage import db
    from storage.crypto import use_key

    use_key(settings.data_key_value())
    database = db.Database(settings.database_url)
    try:
        await db.upgrade(database.engine)
        catalogs = Catalogs(settings.locales_dir)
        casework = Casework(catalogs, CountryPacks.load(settings.locales_dir))
        casework.weights = (Weights.load(settings.rss_weights) if settings.rss_weights
                            else Weights.default())
        casework.login_valid = timedelta(minutes=settings.console_login_minutes)
        console = console_for(settings, database, casework, utcnow)
        host, port = settings.console_address
        await serve_console(console, host, port, stop)
    finally:
        await database.dispose()
