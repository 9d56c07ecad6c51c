"""`homecoming staff|schedule|locales|db|flows …`: setting a deployment up and looking
into it (invites, schedules, catalogs, the schema, the flows' diagrams), beside the
commands that run the bot (``cli.py``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.settings import Settings

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
staff_app = typer.Typer(no_args_is_help=True, help="Case managers, supervisors and admins.")
schedule_app = typer.Typer(no_args_is_help=True, help="Follow-up schedules.")
locales_app = typer.Typer(no_args_is_help=True,
                          help="Translations, lexicons and country packs.")
flows_app = typer.Typer(no_args_is_help=True, help="Conversation flows.")


def _settings(**overrides: object) -> Settings:
    """The settings as every command loads them (``cli._settings``: errors, logging)."""
    from bot.cli import _settings as load

    return load(**overrides)


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
