"""The ``homecoming`` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

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
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
staff_app = typer.Typer(no_args_is_help=True, help="Case managers, supervisors and admins.")
schedule_app = typer.Typer(no_args_is_help=True, help="Follow-up schedules.")
locales_app = typer.Typer(no_args_is_help=True,
                          help="Translations, lexicons and country packs.")
flows_app = typer.Typer(no_args_is_help=True, help="Conversation flows.")
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
    from bot.run import StartupError, make_adapter, serve
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
        asyncio.run(main())
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


@staff_app.command("invite")
def staff_invite(
    role: Annotated[str, typer.Option(help="case_manager, supervisor or admin")],
    country: Annotated[str | None, typer.Option(help="Country code, e.g. SN")] = None,
    lang: Annotated[str, typer.Option(help="Languages they read, first preferred")] = "en",
    days: Annotated[int, typer.Option(help="Days the code stays valid")] = 7,
) -> None:
    """Print a one-time code (and Telegram link) for a staff member to join."""
    import secrets
    from datetime import timedelta

    from flows.casework.staff import INVITE_PREFIX, invite_hash
    from flows.engine.engine import utcnow
    from storage import casework, db

    if role not in casework.ROLES:
        typer.echo(f"--role must be one of {', '.join(casework.ROLES)}", err=True)
        raise typer.Exit(2)
    if country is not None and not (len(country) == 2 and country.isalpha()):
        typer.echo("--country must be a two-letter code, e.g. SN", err=True)
        raise typer.Exit(2)
    if role != "admin" and country is None:
        typer.echo("--country is needed for case managers and supervisors", err=True)
        raise typer.Exit(2)
    languages = [code.strip() for code in lang.split(",") if code.strip()]
    settings = _settings()
    code = secrets.token_urlsafe(12)

    async def main() -> None:
        database = db.Database(settings.database_url)
        try:
            await db.upgrade(database.engine)
            await database.run(casework.create_invite, code_hash=invite_hash(code), role=role,
                               country=country.upper() if country else None,
                               languages=languages, now=utcnow(),
                               valid_for=timedelta(days=days))
        finally:
            await database.dispose()

    asyncio.run(main())
    start = f"{INVITE_PREFIX}{code}"
    typer.echo(f"Invitation for a {role} ({country.upper() if country else 'all countries'}, "
               f"{', '.join(languages)}), valid {days} days, usable once:")
    typer.echo(f"  in the bot's chat, send:  /start {start}")
    if settings.telegram_bot_username:
        typer.echo(f"  or open:  https://t.me/{settings.telegram_bot_username}?start={start}")


@schedule_app.command("preview")
def schedule_preview(
    profile: Annotated[str, typer.Option(help="standard, vulnerable, trafficking or minor")],
    return_date: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    country: Annotated[str | None, typer.Option(help="Country pack, e.g. SN")] = None,
) -> None:
    """Print every follow-up a person would get, as a table."""
    from datetime import date

    from flows.followups.schedule import Profile, at_local, plan
    from flows.l10n.countries import CountryPackError, CountryPacks

    try:
        chosen = Profile(profile)
    except ValueError:
        typer.echo(f"--profile must be one of {', '.join(p.value for p in Profile)}", err=True)
        raise typer.Exit(2) from None
    try:
        returned = date.fromisoformat(return_date)
    except ValueError:
        typer.echo("--return-date must be a real date as YYYY-MM-DD, e.g. 2026-03-14", err=True)
        raise typer.Exit(2) from None
    try:
        pack = CountryPacks.load(_settings().locales_dir).get(country.upper() if country
                                                              else None)
    except CountryPackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    items = plan(returned, chosen, pack.schedule_overrides)
    typer.echo(f"{chosen.value} profile, returned {returned}, {pack.name} ({pack.timezone})")
    typer.echo(f"{'date':<12}{'local':<8}{'after':<8}follow-up")
    for item in items:
        when = at_local(item.day, pack.checkin_local_time, pack.timezone)
        local = when.astimezone(ZoneInfo(pack.timezone)).strftime("%H:%M")
        typer.echo(f"{item.day.isoformat():<12}{local:<8}{item.offset:<8}{item.kind.value}")
    typer.echo(f"{len(items)} follow-ups")


@locales_app.command("check")
def locales_check() -> None:
    """Report missing, fuzzy or broken translations and invalid lexicons or packs."""
    from bot import locales

    warnings: list[str] = []
    problems = locales.check(_settings().locales_dir, warnings)
    for line in warnings:
        typer.echo(line, err=True)
    for line in problems:
        typer.echo(line)
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("all catalogs, lexicons and country packs are complete and valid")


@locales_app.command("stats")
def locales_stats() -> None:
    """Coverage and review status of each language."""
    from bot import locales

    typer.echo(f"{'language':<10}{'translated':>12}{'coverage':>10}{'fuzzy':>7}"
               f"{'plurals':>9}  review status")
    reports = locales.stats(_settings().locales_dir)
    for report in reports:
        share = report.translated / report.total if report.total else 1.0
        plurals = f"{report.plural_forms}" + (
            f"≠{report.cldr_plural_forms}" if report.warnings else "")
        typer.echo(f"{report.language:<10}{report.translated:>6}/{report.total:<5}"
                   f"{share:>10.0%}{report.fuzzy:>7}{plurals:>9}  {report.review}")
    for report in reports:
        for line in report.warnings:
            typer.echo(line)


@locales_app.command("extract")
def locales_extract() -> None:
    """Collect every user-visible text from the code into locales/messages.pot."""
    from bot import locales

    locales.extract(_settings().locales_dir)


@locales_app.command("update")
def locales_update() -> None:
    """Merge the template into every catalog (new texts appear untranslated)."""
    from bot import locales

    locales.update(_settings().locales_dir)


@locales_app.command("compile")
def locales_compile() -> None:
    """Compile every catalog to .mo (the bot also reads an edited .po directly)."""
    from bot import locales

    locales.compile_all(_settings().locales_dir)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema (chat and run do this on their own)."""
    from storage import db

    settings = _settings()

    async def main() -> str | None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.upgrade(engine, revision)
            return await db.current_revision(engine)
        finally:
            await engine.dispose()

    typer.echo(f"database at revision {asyncio.run(main())}")


@flows_app.command("list")
def flows_list() -> None:
    """Every flow and its states."""
    from flows.engine.registry import FLOWS

    for name, flow in FLOWS.items():
        typer.echo(f"{name}: {', '.join(flow.state_names())}")


@flows_app.command("graph")
def flows_graph(
    name: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file")] = None,
) -> None:
    """Draw a flow as a Mermaid state diagram (paste it into any Mermaid viewer)."""
    from flows.engine.flow import mermaid
    from flows.engine.registry import FLOWS

    flow = FLOWS.get(name)
    if flow is None:
        typer.echo(f"no flow named {name!r}; flows: {', '.join(FLOWS)}", err=True)
        raise typer.Exit(2)
    text = mermaid(flow)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


def main() -> None:
    app()
