"""What a chart shows, as an outbox payload: translated labels and plain numbers. The sender
draws it (``bot/charts.py``) when it goes out, so no drawing happens inside a transaction;
``fallback_text`` is sent instead where a channel cannot take a picture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.conversations.wmodel_questions import DIMENSIONS
from flows.engine.events import Msg
from flows.engine.records import WPoint
from flows.l10n.i18n import N_, Catalogs

SURVEY_DIMENSIONS = [
    ("economic", N_("Economic")), ("social", N_("Social")), ("psychosocial", N_("Psychosocial")),
]
LABEL_LIMIT = 40


def _legend(catalogs: Catalogs, locale: str, names: Sequence[tuple[str, str]]
            ) -> dict[str, str]:
    return {code: catalogs.render(locale, Msg(label)) for code, label in names}


def chart_points(points: Sequence[WPoint]) -> list[dict[str, Any]]:
    return [{"m": p.months, "kind": p.kind, "strength": p.intensity, "dimension": p.dimension,
             "label": p.note[:LABEL_LIMIT]} for p in points]


def wmodel_payload(catalogs: Catalogs, locale: str, title: Msg, points: Sequence[WPoint],
                   caption: str = "") -> dict[str, Any]:
    render = catalogs.render
    lines = [f"{'↑' if p.kind == 'up' else '↓'} "
             f"{p.months if p.months is not None else '?'} m: {p.note}" for p in points]
    return {
        "chart": "wmodel", "locale": locale, "title": render(locale, title),
        "x_label": render(locale, Msg(N_("months since return"))),
        "y_label": render(locale, Msg(N_("ups and downs"))),
        "legend": {**_legend(catalogs, locale, DIMENSIONS),
                   "none": render(locale, Msg(N_("Not said")))},
        "caption": caption or render(locale, title), "fallback_text": "\n".join(lines),
        "points": chart_points(points),
    }


def survey_payload(catalogs: Catalogs, locale: str, title: Msg, rows: Sequence[Any],
                   weights_note: str = "") -> dict[str, Any]:
    """The three dimension scores of every complete survey, over time, with the handbook's
    two reference lines named. ``weights_note`` (the weights version, "provisional") is for
    the case manager's chart; the returnee's own chart has none."""
    render = catalogs.render
    series = [{"date": row.completed_at.date().isoformat(), "economic": row.economic,
               "social": row.social, "psychosocial": row.psychosocial} for row in rows]
    lines = [f"{s['date']}: " + ", ".join(
        f"{name} {s[code] if s[code] is not None else '-'}" for code, name
        in _legend(catalogs, locale, SURVEY_DIMENSIONS).items()) for s in series]
    return {
        "chart": "survey", "locale": locale, "title": render(locale, title),
        "y_label": render(locale, Msg(N_("score (0 to 1)"))),
        "legend": _legend(catalogs, locale, SURVEY_DIMENSIONS), "note": weights_note,
        "levels": {"0.33": render(locale, Msg(N_("below 0.33: more support suggested"))),
                   "0.66": render(locale, Msg(N_("above 0.66: light support suggested")))},
        "caption": render(locale, title),
        "fallback_text": "\n".join([*lines, *([weights_note] if weights_note else [])]),
        "series": series,
    }


def weights_note(catalogs: Catalogs, locale: str, version: str, provisional: bool) -> str:
    """Every place that shows a score names the weights version and whether it is provisional."""
    if provisional:
        return catalogs.render(locale, Msg(N_("Weights {version}: provisional, not validated."),
                                           {"version": version}))
    return catalogs.render(locale, Msg(N_("Weights {version}."), {"version": version}))
