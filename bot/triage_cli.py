"""``homecoming triage``: read messages as the bot does, and build the semantic layer.

    homecoming triage --lang fr < messages.txt     one JSON object per line
    homecoming triage build                        the classifier, from the example banks
"""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated

import typer

from bot.settings import Settings, SettingsError, load_settings

triage_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                         help="Read messages for distress; build the semantic layer.")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@triage_app.callback()
def read(
    ctx: typer.Context,
    lang: Annotated[str, typer.Option(help="The person's language, e.g. fr")] = "en",
    semantic: Annotated[bool, typer.Option(help="Use the semantic layer")] = True,
) -> None:
    """Triage messages from stdin, one per line; print one JSON object per line:
    text, tier, action (alert, ask or none), categories, confidence, language, matched."""
    if ctx.invoked_subcommand is not None:
        return
    from flows.l10n.content import ContentError
    from flows.triage import Triage

    settings = _settings()
    try:
        engine = Triage.load(settings.locales_dir, semantic=semantic and settings.triage_semantic,
                             embedder=settings.triage_embedder)
    except (ContentError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if lang not in engine.lexicons.lexicons:
        typer.echo(f"no distress lexicon for {lang!r}; languages: "
                   f"{', '.join(engine.languages)}", err=True)
        raise typer.Exit(2)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text.strip():
            result = engine.assess_now(text, [lang])
            typer.echo(json.dumps(result.as_json(text), ensure_ascii=False))


@triage_app.command("build")
def build() -> None:
    """Build the semantic layer's classifier from locales/*/distress-examples.yaml (train and
    dev; the test split is never read) into locales/distress-model.npz."""
    from flows.l10n.content import ContentError
    from flows.triage.build import build as run_build
    from flows.triage.embedder import EmbedderError, load_embedder

    settings = _settings()
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"\r{stage}: {done}/{total}", nl=done == total, err=True)

    try:
        built = run_build(settings.locales_dir, load_embedder(settings.triage_embedder),
                          progress=progress)
    except (ContentError, EmbedderError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    t = built.model.thresholds
    s = built.dev_scores
    typer.echo(f"{built.path}: {built.train} train and {built.dev} dev examples, "
               f"{len(built.model.classes)} classes, {time.perf_counter() - started:.0f} s")
    typer.echo(f"thresholds (chosen on dev): alert {t.alert1:.2f}, ask {t.ask1:.2f}, "
               f"tier 2 {t.tier2:.2f}, tier 3 {t.any:.2f}, lexicon confirmed {t.confirm:.2f}")
    typer.echo(f"dev: Tier 1 recall {s['tier1_recall']:.2f}, reach {s['reach']:.2f}, "
               f"false positives {s['false_positives']:.2f} (test: tests/triage/evaluate.py)")
