"""Rows for analysis exports of the survey and the W model, and the programme-level W chart.

Each row carries the analysis variables where they are known. The bot never asks for sex,
age, host country or length of absence (collect only what the process needs); a case manager
records them from the case file with /profile, and until then their columns are empty. Age at
return is counted in years from the birth year, the absence in months from the departure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flows.conversations.wmodel_questions import months_between
from flows.engine.events import Msg
from flows.engine.records import WPoint
from flows.l10n.i18n import N_, Catalogs
from flows.research.chartdata import chart_points, wmodel_payload
from flows.research.rss import BARRIER_KEY, COMPUTED_ITEM, DONT_KNOW_FLAG, ITEMS, AnswerError
from flows.research.scoring import Weights
from storage import repository as repo
from storage import research as db
from storage.db import Connection

PERSON_COLUMNS = ["person", "sex", "age_at_return", "return_date", "host_country",
                  "country_of_origin", "length_of_absence_months", "vulnerability"]
ITEM_COLUMNS = [f"item_{n}" for n in ITEMS] + [f"item_{BARRIER_KEY}"]
RSS_COLUMNS = ["survey_id", *PERSON_COLUMNS, "completed_at", "mode", "weights_version",
               "provisional", "economic", "social", "psychosocial", "composite",
               "dont_know_or_refused", "flagged", *ITEM_COLUMNS]
DETAIL_KEYS = ("overcome", "how", "helped", "should_have_helped", "better", "led_to")
WMODEL_COLUMNS = ["point_id", *PERSON_COLUMNS, "kind", "months_since_return", "dimension",
                  "intensity", "note", *DETAIL_KEYS, "source", "created_at"]


def _person(row: Any) -> dict[str, Any]:
    returned = row.return_date
    age = (returned.year - row.birth_year if returned and row.birth_year else None)
    absence = (months_between(row.departed_on, returned)
               if returned and row.departed_on and row.departed_on <= returned else None)
    return {"person": row.pseudonym, "sex": row.sex, "age_at_return": age,
            "return_date": returned.isoformat() if returned else None,
            "host_country": row.host_country, "country_of_origin": row.person_country,
            "length_of_absence_months": absence, "vulnerability": row.profile}


def _answer(value: Any) -> Any:
    return "|".join(value) if isinstance(value, list) else value


def _item_21(weights: Weights, answers: dict[str, Any], mode: str) -> float | None:
    try:
        return weights.score(answers, mode).item_values.get(str(COMPUTED_ITEM))
    except AnswerError:  # stored before the items changed: the stored scores still stand
        return None


def rss_rows(conn: Connection, weights: Weights, country: str | None, since: date | None,
             now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    """Every complete survey (of ``country``), audited as exported by ``actor``."""
    rows = []
    for row in db.survey_export(conn, country, since):
        answers = db.answers_of(row)
        computed = _item_21(weights, answers, row.mode)
        items = {f"item_{n}": _answer(answers.get(str(n))) for n in ITEMS}
        items[f"item_{COMPUTED_ITEM}"] = round(computed, 3) if computed is not None else None
        items[f"item_{BARRIER_KEY}"] = answers.get(BARRIER_KEY)
        rows.append({
            "survey_id": row.id, **_person(row),
            "completed_at": row.completed_at.isoformat(), "mode": row.mode,
            "weights_version": row.weights_version,
            "provisional": weights.provisional_for(row.weights_version or ""),
            "economic": row.economic, "social": row.social, "psychosocial": row.psychosocial,
            "composite": row.composite, "dont_know_or_refused": row.abstentions,
            "flagged": (row.abstentions or 0) > DONT_KNOW_FLAG, **items})
    repo.audit(conn, now, actor=actor, action="export.rss",
               details={"rows": len(rows), "country": country})
    return rows


def wmodel_rows(conn: Connection, country: str | None, since: date | None,
                now: datetime, actor: str = "cli") -> list[dict[str, Any]]:
    rows = []
    for row in db.wmodel_export(conn, country, since):
        details = db.details_of(row)
        rows.append({
            "point_id": row.id, **_person(row), "kind": row.kind,
            "months_since_return": row.months_since_return, "dimension": row.dimension,
            "intensity": row.intensity, "note": row.note,
            **{key: details.get(key) for key in DETAIL_KEYS},
            "source": row.source, "created_at": row.created_at.isoformat()})
    repo.audit(conn, now, actor=actor, action="export.wmodel",
               details={"rows": len(rows), "country": country})
    return rows


PROVIDER_COLUMNS = ["suggested_at", "country", "provider", "services"]


def provider_rows(conn: Connection, country: str | None, now: datetime
                  ) -> list[dict[str, Any]]:
    """Who returnees say provides the services they need, newest last. Not linked to the
    person: the country office checks the provider, not who named it."""
    rows = [{"suggested_at": row.created_at.date().isoformat(), "country": row.country,
             "provider": row.provider, "services": row.service}
            for row in db.provider_suggestions(conn, country)]
    repo.audit(conn, now, actor="cli", action="export.providers",
               details={"rows": len(rows), "country": country})
    return rows


def programme_chart(conn: Connection, catalogs: Catalogs, locale: str, country: str | None,
                    since: date | None) -> dict[str, Any]:
    """Every returnee's W model in one chart, one colour each (labelled by pseudonym)."""
    people: dict[str, list[WPoint]] = {}
    for row in db.wmodel_export(conn, country, since):
        people.setdefault(row.pseudonym, []).append(WPoint(
            row.id, row.kind, row.note, row.months_since_return, row.dimension,
            row.intensity))
    payload = wmodel_payload(catalogs, locale, Msg(N_("Ups and downs of {count} returnees"), {
        "count": len(people)}), [])
    payload["people"] = [{"label": name, "points": chart_points(points)}
                         for name, points in people.items()]
    return payload


def count_points(payload: dict[str, Any]) -> int:
    people: Sequence[dict[str, Any]] = payload.get("people") or []
    return sum(len(p["points"]) for p in people)
