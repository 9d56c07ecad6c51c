"""`homecoming survey …` and `homecoming export …`: scoring surveys answered elsewhere, and
exports of the survey and the W model for analysis."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.files import private_file, write_private_bytes

survey_app = typer.Typer(no_args_is_help=True, help="Reintegration Sustainability Survey.")
export_app = typer.Typer(no_args_is_help=True,
                         help="Exports for analysis (they contain people's words: keep safe).")

WeightsOption = Annotated[Path | None, typer.Option(
    help="Weights file (default: HOMECOMING_RSS_WEIGHTS or the shipped provisional one)")]
CountryOption = Annotated[str | None, typer.Option(help="Only this country, e.g. SN")]
SinceOption = Annotated[str | None, typer.Option(help="Only from this date, YYYY-MM-DD")]
DbOption = Annotated[Path | None, typer.Option(
    "--db", help="SQLite file to read, as for chat (default: the configured database)")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _weights(path: Path | None) -> Any:
    from bot.cli import _settings
    from flows.research.scoring import Weights, WeightsError

    try:
        return Weights.load(path or _settings().rss_weights)
    except WeightsError as exc:
        raise _fail(str(exc)) from None


@survey_app.command("score")
def survey_score(
    file: Annotated[Path, typer.Argument(help="JSON: {\"mode\": \"phone\", \"answers\": "
                                              "{\"1\": \"satisfied\", …}}")],
    weights: WeightsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Score a survey answered on paper, by phone or in person, with the same rules as chat.

    Answers are the codes listed by `homecoming survey items`. An incomplete or invalid
    answer set is refused with the item at fault: only complete surveys are scored.
    """
    from flows.research.rss import AnswerError
    from flows.research.scoring import suggestion

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{file}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _fail(f"{file}: expected an object with \"answers\" (and \"mode\")")
    mode = data.get("mode", "paper")
    # {"mode": …, "answers": {…}}, or the answers alone
    answers = data["answers"] if "answers" in data else {
        key: value for key, value in data.items() if key != "mode"}
    rules = _weights(weights)
    try:
        scores = rules.score(answers, mode)
    except AnswerError as exc:
        raise _fail(f"{file}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(scores.as_dict(), indent=2))
        return
    status = "PROVISIONAL weights" if scores.provisional else "weights"
    typer.echo(f"Scores ({status} {scores.weights_version}; 0 = worst, 1 = best; mode "
               f"{scores.mode}):")
    for name, value in [*scores.by_dimension().items(), ("composite", scores.composite)]:
        shown = "-" if value is None else f"{value:.3f}"
        typer.echo(f"  {name:<13}{shown:>6}   suggests {suggestion(value)} support")
    flag = "  ⚠ more than 7: read the scores with care" if scores.flagged else ""
    typer.echo(f"  \"don't know\" / \"don't wish to answer\": {scores.abstentions}{flag}")
    typer.echo("Suggestions for the case manager, never automatic decisions.")


@survey_app.command("items")
def survey_items() -> None:
    """List every item with its answer codes (for `survey score` files)."""
    from flows.research.rss import EXPLAIN_SUFFIX, HEALTH_BARRIERS, ITEMS, REFUSED, applies

    for number, item in ITEMS.items():
        if not applies(number, {"9": "yes", "30": "no"}):
            typer.echo(f"{number:>3} {item.dimension:<13} {item.question} (computed)")
            continue
        kind = "any of (list)" if item.multiple else "one of"
        codes = ", ".join(item.codes)
        typer.echo(f"{number:>3} {item.dimension:<13} {item.question}\n      {kind}: {codes}")
        if item.explain:
            typer.echo(f"      {number}{EXPLAIN_SUFFIX}: words, after "
                       f"{', '.join(sorted(item.explain))}")
    typer.echo(f"19a (when 19 is poor or very_poor): "
               f"{', '.join(code for code, _ in HEALTH_BARRIERS)}, {REFUSED}")


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail("--since must be a date as YYYY-MM-DD, e.g. 2026-01-01") from None


def _country(value: str | None) -> str | None:
    if value is not None and not (len(value) == 2 and value.isalpha()):
        raise _fail("--country must be a two-letter code, e.g. SN")
    return value.upper() if value else None


def _in_database(work: Callable[..., Any], *args: Any, db_file: Path | None = None) -> Any:
    """Run ``work(conn, *args, now)`` in one unit of work on the configured database, or on
    the SQLite file ``db_file`` (``--db``, as for chat)."""
    from bot.cli import _settings
    from flows.engine.engine import utcnow
    from storage import db
    from storage.crypto import DataKeyError, use_key

    settings = _settings(database_url=f"sqlite+aiosqlite:///{db_file}" if db_file else None)
    use_key(settings.data_key_value())

    async def main() -> Any:
        database = db.Database(settings.database_url)
        try:
            await db.upgrade(database.engine)
            return await database.run(work, *args, utcnow())
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except DataKeyError as exc:
        raise _fail(str(exc)) from None


def _write(rows: list[dict[str, Any]], columns: list[str], fmt: str, out: Path | None) -> None:
    stream = private_file(out) if out else sys.stdout
    try:
        if fmt == "json":
            json.dump(rows, stream, ensure_ascii=False, indent=2)
            stream.write("\n")
        else:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if out:
            stream.close()
    if out:
        typer.echo(f"{len(rows)} rows written to {out}", err=True)


FormatOption = Annotated[str, typer.Option("--format", help="csv or json")]
OutOption = Annotated[Path | None, typer.Option("--out", help="File (default: standard output)")]


@export_app.command("rss")
def export_rss(fmt: FormatOption = "csv", country: CountryOption = None,
               since: SinceOption = None, weights: WeightsOption = None,
               out: OutOption = None, db: DbOption = None) -> None:
    """Complete surveys: scores, weights version, mode, answers, analysis variables."""
    from flows.research.exports import RSS_COLUMNS, rss_rows

    if fmt not in ("csv", "json"):
        raise _fail("--format must be csv or json")
    rules = _weights(weights)
    rows = _in_database(rss_rows, rules, _country(country), _since(since), db_file=db)
    _write(rows, RSS_COLUMNS, fmt, out)


@export_app.command("wmodel")
def export_wmodel(fmt: FormatOption = "csv", country: CountryOption = None,
                  since: SinceOption = None, out: OutOption = None,
                  db: DbOption = None) -> None:
    """W-model points with their follow-up answers and the analysis variables."""
    from flows.research.exports import WMODEL_COLUMNS, wmodel_rows

    if fmt not in ("csv", "json"):
        raise _fail("--format must be csv or json")
    rows = _in_database(wmodel_rows, _country(country), _since(since), db_file=db)
    _write(rows, WMODEL_COLUMNS, fmt, out)


@export_app.command("wmodel-chart")
def export_wmodel_chart(
    country: Annotated[str, typer.Option(help="Country code, e.g. SN")],
    since: SinceOption = None,
    lang: Annotated[str, typer.Option(help="Language of the labels")] = "en",
    out: Annotated[Path | None, typer.Option(help="PNG file (default wmodel-CC.png)")] = None,
    db: DbOption = None,
) -> None:
    """Every returnee's W model of a country in one PNG, one colour each."""
    from bot.charts import render
    from flows.l10n.i18n import Catalogs
    from flows.research.exports import count_points, programme_chart

    code = _country(country)
    catalogs = Catalogs()
    locale = catalogs.best_match(lang)

    def build(conn: Any, now: Any) -> dict[str, Any]:
        return programme_chart(conn, catalogs, locale, code, _since(since))

    payload = _in_database(build, db_file=db)
    target = out or Path(f"wmodel-{code}.png")
    write_private_bytes(target, render(payload))
    typer.echo(f"{len(payload['people'])} returnees, {count_points(payload)} points → {target}")


@export_app.command("providers")
def export_providers(fmt: FormatOption = "csv", country: CountryOption = None,
                     out: OutOption = None, db: DbOption = None) -> None:
    """Providers returnees named in the W model: suggestions for the referral directory."""
    from flows.research.exports import PROVIDER_COLUMNS, provider_rows

    if fmt not in ("csv", "json"):
        raise _fail("--format must be csv or json")
    rows = _in_database(provider_rows, _country(country), db_file=db)
    _write(rows, PROVIDER_COLUMNS, fmt, out)


def _case_export(what: str, fmt: str, country: str | None, since: str | None,
                 out: Path | None) -> None:
    from flows.research.case_exports import EXPORTS

    if fmt not in ("csv", "json"):
        raise _fail("--format must be csv or json")
    build, columns = EXPORTS[what]
    rows = _in_database(build, _country(country), _since(since))
    _write(rows, columns, fmt, out)


@export_app.command("plans")
def export_plans(fmt: FormatOption = "csv", country: CountryOption = None,
                 since: SinceOption = None, out: OutOption = None) -> None:
    """Reintegration plans, one row per version: objectives, activities, assistance, costs,
    referral needs, baselines, exit strategy, who wrote it and the person's answer."""
    _case_export("plans", fmt, country, since, out)


@export_app.command("referrals")
def export_referrals(fmt: FormatOption = "csv", country: CountryOption = None,
                     since: SinceOption = None, out: OutOption = None) -> None:
    """Referrals: provider, service, what was shared under which consent, and the outcome."""
    _case_export("referrals", fmt, country, since, out)


@export_app.command("sessions")
def export_sessions(fmt: FormatOption = "csv", country: CountryOption = None,
                    since: SinceOption = None, out: OutOption = None) -> None:
    """Sessions case managers held: kind, mode, date, note."""
    _case_export("sessions", fmt, country, since, out)


@export_app.command("unmet-needs")
def export_unmet_needs(fmt: FormatOption = "csv", country: CountryOption = None,
                       since: SinceOption = None, out: OutOption = None) -> None:
    """Needs no provider meets, for advocacy (not linked to the person)."""
    _case_export("unmet-needs", fmt, country, since, out)


@export_app.command("monitoring")
def export_monitoring(fmt: FormatOption = "csv", country: CountryOption = None,
                      out: OutOption = None) -> None:
    """One row per returnee: the plan's dates, the monitoring they anchor, sessions held."""
    _case_export("monitoring", fmt, country, None, out)
