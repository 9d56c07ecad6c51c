"""The ``homecoming`` command: running the bot (chat, run, worker, console) here; setting
a deployment up (staff, schedule, locales, db, flows) in ``admin_cli.py``; surveys and
exports in ``research_cli.py``; triage in ``triage_cli.py``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.admin_cli import db_app, flows_app, locales_app, schedule_app, staff_app
from bot.research_cli import export_app, survey_app
from bot.settings import Settings, SettingsError, load_settings
from bot.triage_cli import triage_app


def _no_flag_placeholder() -> None:
    """typer 0.29's help shows ``<bool>`` beside flags (``--help <bool>``), which reads as
    a value to type after them. Flags take none, so their type column is left empty; typer
    has no setting for this."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_no_flag_placeholder()
app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Homecoming: a counselling companion bot for returning migrants.")
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
app.add_typer(staff_app, name="staff")
app.add_typer(schedule_app, name="schedule")
app.add_typer(locales_app, name="locales")
app.add_typer(survey_app, name="survey")
app.add_typer(export_app, name="export")
app.add_typer(triage_app, name="triage")


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # transitions logs every callback at INFO; that is noise, and not ours to show. httpx
    # (under python-telegram-bot) logs each request URL at INFO, and the URL holds the token.
    # Alembic says each migration step at INFO: not for a person's screen (db upgrade says
    # where the schema is once done).
    for noisy in ("transitions", "httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return settings


@app.command()
def chat(
    lang: Annotated[str | None, typer.Option(help="Language to start in, e.g. fr")] = None,
    db: Annotated[Path | None, typer.Option(help="SQLite file to keep the chat in")] = None,
    user: Annotated[str, typer.Option(help="Who is chatting (one conversation each)")] = "local",
    country: Annotated[str | None, typer.Option(
        help="Country pack to try, e.g. SN: offered when the bot asks the country")] = None,
) -> None:
    """Talk to the bot in this terminal. Run it again to continue where you left off.

    /advance 14d moves a demo clock forward, so that scheduled check-ins arrive.
    """
    from bot.runtime import ContentRefused, start
    from bot.terminal import DemoClock, TerminalTransport
    from bot.terminal import chat as run_chat
    from flows.l10n.places import find_country

    if country is not None and find_country(country, "en") is None:
        typer.echo(f"--country {country!r} is not a country code, e.g. SN", err=True)
        raise typer.Exit(2)
    url = f"sqlite+aiosqlite:///{db}" if db is not None else None
    settings = _settings(database_url=url)
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    # A local chat has no case managers: alerts are recorded (see /case once staff join),
    # and the "nobody to alert" error that matters in production would only confuse here.
    logging.getLogger("flows.casework").setLevel(logging.CRITICAL)
    transport = TerminalTransport()
    database_url = settings.database_url
    kept = (Path(database_url.split(":///", 1)[1] + ".demo-clock")
            if database_url.startswith("sqlite") and ":///" in database_url
            else settings.data_dir / "demo-clock")
    clock = DemoClock(kept)

    async def main() -> None:
        runtime = await start(settings, {transport.channel: transport}, clock=clock,
                              expect_staff=False, sender_chat=(transport.channel, user))
        try:
            await run_chat(runtime, transport, chat_id=user, locale_hint=lang, clock=clock,
                           country_hint=country.upper() if country else None)
        finally:
            await runtime.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo("")
    except ContentRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    webhook: Annotated[str | None, typer.Option(
        help="Public HTTPS URL Telegram posts updates to (…/telegram); polling if unset")] = None,
    transport: Annotated[str, typer.Option(help="aiogram (default) or ptb")] = "aiogram",
) -> None:
    """Run the Telegram bot: long polling, or a webhook with --webhook URL."""
    _serve(webhook=webhook, transport=transport, receive=True)


@app.command()
def worker(
    transport: Annotated[str, typer.Option(help="aiogram (default) or ptb")] = "aiogram",
) -> None:
    """Send, re-alert and deliver follow-ups without receiving updates (beside webhook
    processes; any number of workers share the queues on PostgreSQL)."""
    _serve(webhook=None, transport=transport, receive=False)


def _serve(*, webhook: str | None, transport: str, receive: bool) -> None:
    from bot.run import StartupError, loop_factory, make_adapter, serve
    from bot.runtime import ContentRefused
    from bot.telegram.adapter import Conflict, Unauthorized

    settings = _settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signame in ("SIGINT", "SIGTERM"):
            # Not a stub: event loops without signal handlers (Windows) raise this, and
            # Ctrl-C then arrives as KeyboardInterrupt, handled below.
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(getattr(signal, signame), stop.set)
        await serve(settings, make_adapter(settings, transport), stop, webhook_url=webhook,
                    receive=receive)

    try:
        with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
            runner.run(main())
    except (StartupError, ContentRefused) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except Unauthorized:
        typer.echo("Telegram refused HOMECOMING_TELEGRAM_TOKEN (401 Unauthorized): check the "
                   "token from BotFather.", err=True)
        raise typer.Exit(2) from None
    except Conflict:
        typer.echo("Another process is already receiving this bot's updates (409 Conflict): "
                   "stop it, or run several workers behind --webhook.", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"Cannot reach the Bot API server at {settings.telegram_api_url} or "
                   f"listen on {settings.webhook_listen} ({exc.strerror or exc}).", err=True)
        raise typer.Exit(2) from None


@app.command()
def console() -> None:
    """Serve the web console for case managers and supervisors (HOMECOMING_CONSOLE_LISTEN).

    Staff sign in with a link the bot sends when they write /console to it.
    """
    from bot.console.server import standalone

    settings = _settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signame in ("SIGINT", "SIGTERM"):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(getattr(signal, signame), stop.set)
        await standalone(settings, stop)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo("")
    except OSError as exc:
        typer.echo(f"Cannot listen on {settings.console_listen} ({exc.strerror or exc}).",
                   err=True)
        raise typer.Exit(2) from None


def main() -> None:
    app()
