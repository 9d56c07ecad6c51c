"""``homecoming run``: the Telegram bot, with the sender in the same process.

Long polling by default; with a webhook URL, an aiohttp server receives updates (checking
Telegram's secret header) and answers ``/healthz``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from bot.runtime import Runtime, settle_memory, start
from bot.sender import Sender
from bot.settings import Settings
from bot.telegram.adapter import TelegramAdapter
from bot.wakeup import RedisWakeup

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TRANSPORTS = ("aiogram", "ptb")


class StartupError(Exception):
    """Why the bot cannot start, in one line for the person running it."""


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop ``run`` and ``worker`` run on (``HOMECOMING_EVENT_LOOP``): uvloop's
    where it is installed, unless asyncio's is asked for (None: asyncio's own). On uvloop's
    loop (C, on libuv) replies came sooner at p50, for the same CPU an update
    (bench/load.py --loops asyncio,uvloop)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise StartupError("HOMECOMING_EVENT_LOOP=uvloop, but uvloop is not installed "
                               "on this machine: install it, or set it to asyncio") from None
        return None
    return uvloop.new_event_loop


def make_adapter(settings: Settings, transport: str = "aiogram") -> TelegramAdapter:
    if settings.telegram_token is None:
        raise StartupError("HOMECOMING_TELEGRAM_TOKEN is not set: create a bot with "
                           "BotFather and put its token there (see README).")
    token = settings.telegram_token.get_secret_value()
    if transport == "aiogram":
        from bot.telegram.aiogram_adapter import AiogramAdapter

        return AiogramAdapter(token, settings.telegram_api_url)
    if transport == "ptb":
        from bot.telegram.ptb_adapter import PtbAdapter

        return PtbAdapter(token, settings.telegram_api_url)
    raise StartupError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")


def make_limiter(settings: Settings) -> RateLimiter:
    rates = {"per_second": settings.telegram_rate_per_second,
             "per_chat_per_second": settings.telegram_rate_per_chat_per_second,
             "chat_burst": settings.telegram_chat_burst}
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, **rates)
    return LocalRateLimiter(**rates)


MAX_UPDATE_ID = 2**63 - 1  # what the database keeps; Telegram's ids are far below


def webhook_app(runtime: Runtime, adapter: TelegramAdapter, secret: str) -> web.Application:
    """POST /telegram for updates (secret header checked), GET /healthz for probes."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="wrong secret token")
        try:
            data: dict[str, Any] = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool) or not (
                0 <= update_id <= MAX_UPDATE_ID):
            log.warning("webhook: an update without a usable update_id was refused")
            return web.Response(status=400, text="no usable update_id")
        try:
            processed = await adapter.process_raw(data)
        except Exception as exc:  # an update the library cannot parse: skipped, not retried
            # The id only: the update's fields (and the exception's text) may quote a person.
            log.warning("webhook: update %s could not be read (%s); skipped", update_id,
                        type(exc).__name__)
            return web.Response(status=400, text="malformed update")
        if not processed:
            # Nothing could be recorded: a non-2xx makes Telegram deliver it again.
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with runtime.database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return web.Response(status=503, text=f"database unavailable ({type(exc).__name__})")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram", receive)
    app.router.add_get("/healthz", healthz)
    return app


async def sweep_alerts(runtime: Runtime, every: float, keep: timedelta) -> None:
    """Re-alert case managers when an acknowledgement deadline passes; forget old sent
    messages."""
    while True:
        try:
            alerted = await runtime.engine.sweep()
            if alerted:
                log.warning("%s escalation(s) past their acknowledgement deadline: re-alerted",
                            alerted)
            await runtime.engine.purge_outbox(keep)
            await runtime.engine.expire_surveys()
        except Exception as exc:
            log.error("deadline sweep failed (%s); retrying", type(exc).__name__)
        await asyncio.sleep(every)


async def deliver_followups(runtime: Runtime, every: float) -> None:
    """Due check-ins, reminders and session notices, every ``every`` seconds."""
    while True:
        try:
            await runtime.engine.run_followups()
        except Exception as exc:
            log.error("follow-up pass failed (%s); retrying", type(exc).__name__)
        await asyncio.sleep(every)


async def _start_console(settings: Settings, runtime: Runtime, stop: asyncio.Event
                         ) -> asyncio.Task[None]:
    """The web console beside the bot, on the same database and casework."""
    from bot.console.server import console_for, serve_console

    console = console_for(settings, runtime.database, runtime.engine.casework,
                          runtime.engine.clock)
    started = asyncio.Event()
    host, port = settings.console_address
    task = asyncio.create_task(serve_console(console, host, port, stop, started))
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # could not listen: say why
    return task


def join_wakeups(wakeup: RedisWakeup, sender: Sender, receive: bool, stop: asyncio.Event
                 ) -> asyncio.Task[None] | None:
    """A receiver's sender wakes the workers; a worker's listens for those wake-ups (the
    listening task, to be cancelled when the worker stops)."""
    if receive:
        sender.hand_off = wakeup.notify
        return None
    return asyncio.create_task(wakeup.listen(sender.wake, stop))


async def serve(
    settings: Settings,
    adapter: TelegramAdapter,
    stop: asyncio.Event,
    *,
    webhook_url: str | None = None,
    limiter: RateLimiter | None = None,
    sender_poll: float = 1.0,
    receive: bool = True,
) -> None:
    """Run until ``stop`` is set: the adapter receives, the engine decides, the sender sends.

    With ``receive=False`` (``homecoming worker``) only the sender, the deadline sweep and the
    follow-ups run: for deployments where web processes receive and workers send.
    """
    limiter = limiter or make_limiter(settings)
    runtime = await start(settings, {adapter.channel: adapter}, limiter=limiter,
                          worker=not receive)
    # With Redis, receivers wake the workers, which send (bot.wakeup, bot.sender).
    wakeup = RedisWakeup(settings.redis_url) if settings.redis_url else None
    listener: asyncio.Task[None] | None = None
    runner: web.AppRunner | None = None
    sender_task: asyncio.Task[None] | None = None
    sweeper: asyncio.Task[None] | None = None
    scheduler: asyncio.Task[None] | None = None
    console: asyncio.Task[None] | None = None
    console_stop = asyncio.Event()  # set when the bot stops, whatever the reason
    sender_stop = asyncio.Event()
    try:
        if receive and settings.console_with_bot:
            console = await _start_console(settings, runtime, console_stop)
        if receive:  # triage's models loaded before the first update, not during it
            try:
                await runtime.engine.warm_up()
            except Exception as exc:
                log.error("triage could not be warmed up (%s)", type(exc).__name__)
        username = await adapter.open()
        adapter.bind(runtime.engine.handle)
        if receive:
            await adapter.publish_commands(runtime.engine.catalogs)
        settle_memory()
        if wakeup is not None:
            listener = join_wakeups(wakeup, runtime.sender, receive, sender_stop)
        sender_task = asyncio.create_task(runtime.sender.run(sender_stop, poll=sender_poll))
        sweeper = asyncio.create_task(sweep_alerts(
            runtime, settings.alert_sweep_seconds,
            timedelta(days=settings.outbox_retention_days)))
        scheduler = asyncio.create_task(deliver_followups(runtime,
                                                          settings.followup_poll_seconds))
        if not receive:
            log.info("worker for @%s: sending, sweeping deadlines, delivering follow-ups",
                     username)
            await stop.wait()
        elif webhook_url is None:
            await adapter.delete_webhook()
            log.info("@%s is polling for updates", username)
            poll = asyncio.create_task(adapter.poll(stop))
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({poll, waiter}, return_when=asyncio.FIRST_COMPLETED)
            poll.cancel()
            waiter.cancel()
            if poll in done and not poll.cancelled() and poll.exception() is not None:
                raise poll.exception()  # type: ignore[misc]
        else:
            secret = (settings.webhook_secret.get_secret_value() if settings.webhook_secret
                      else secrets.token_urlsafe(32))
            runner = web.AppRunner(webhook_app(runtime, adapter, secret), access_log=None)
            await runner.setup()
            host, port = settings.listen
            # SO_REUSEPORT: several webhook processes may listen on one port, the kernel
            # sharing the connections among them (the production layout, README).
            await web.TCPSite(runner, host, port,
                              reuse_port=hasattr(socket, "SO_REUSEPORT") or None).start()
            await adapter.set_webhook(webhook_url, secret)
            log.info("@%s receives updates at its webhook; listening on %s:%s", username,
                     host, port)
            await stop.wait()
    finally:
        if console is not None:
            console_stop.set()
            await asyncio.wait({console}, timeout=10)
        if sweeper is not None:
            sweeper.cancel()
        if scheduler is not None:
            scheduler.cancel()
        if sender_task is not None:
            # Let the pass in progress finish (a send and its "sent" mark belong together);
            # cut it only if it hangs.
            sender_stop.set()
            runtime.sender.stop_soon()
            try:
                await asyncio.wait_for(sender_task, timeout=30)
            except TimeoutError:
                log.warning("the sender did not finish its pass in time; stopping it")
        runtime.sender.hand_off = None  # commits from here on wake no one
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        if wakeup is not None:
            await wakeup.close()
        if runner is not None:
            await runner.cleanup()
        await adapter.close()
        await limiter.close()
        await runtime.close()
