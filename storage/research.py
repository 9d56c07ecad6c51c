"""The W model and the Reintegration Sustainability Survey: statements on an open connection.

Answers and notes are encrypted at rest (``SealedText``); scores, dates and the weights
version are plain, so that exports and charts can be made without reading anyone's words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from storage.models import Participant, ProviderSuggestion, Survey, WModelEvent, WModelReflection

_w = WModelEvent.__table__
_s = Survey.__table__
_p = Participant.__table__
IN_PROGRESS, COMPLETE, DISCARDED = "in_progress", "complete", "discarded"
EDITABLE = frozenset({"note", "months_since_return", "dimension", "intensity"})


# W model --------------------------------------------------------------------------------

def add_point(conn: Connection, *, participant_id: int, kind: str, note: str,
              months_since_return: float | None, source: str, now: datetime,
              dimension: str | None = None, intensity: int | None = None,
              details: dict[str, Any] | None = None) -> int:
    result = conn.execute(insert(_w).returning(_w.c.id), {
        "participant_id": participant_id, "kind": kind, "note": note,
        "months_since_return": months_since_return, "dimension": dimension,
        "intensity": intensity, "source": source, "created_at": now,
        "details": json.dumps(details, ensure_ascii=False) if details else None,
        "updated_at": None})
    return int(result.scalar_one())


def update_point(conn: Connection, participant_id: int, point_id: int,
                 fields: dict[str, Any], now: datetime) -> bool:
    """Change one of the person's own points; False when it is not theirs (or gone)."""
    if not fields.keys() <= EDITABLE:
        raise ValueError(f"W-model fields that cannot change: {sorted(set(fields) - EDITABLE)}")
    result = conn.execute(update(_w).where(_w.c.id == point_id,
                                           _w.c.participant_id == participant_id)
                          .values(**fields, updated_at=now))
    return bool(result.rowcount)


def delete_point(conn: Connection, participant_id: int, point_id: int) -> bool:
    result = conn.execute(delete(_w).where(_w.c.id == point_id,
                                           _w.c.participant_id == participant_id))
    return bool(result.rowcount)


def points(conn: Connection, participant_id: int) -> list[Row[Any]]:
    """The person's points, oldest in time first (months since return, then entry order)."""
    return list(conn.execute(select(_w).where(_w.c.participant_id == participant_id)
                             .order_by(_w.c.months_since_return.is_(None),
                                       _w.c.months_since_return, _w.c.id)))


def details_of(row: Any) -> dict[str, Any]:
    return dict(json.loads(row.details)) if row.details else {}


def add_reflection(conn: Connection, *, participant_id: int, country: str | None,
                   hopes: str | None, services: str | None, providers: Sequence[str],
                   now: datetime) -> None:
    """Hopes and plans, services that could help, and every provider named, each stored as a
    suggestion for the country office's directory."""
    conn.execute(insert(WModelReflection.__table__), {
        "participant_id": participant_id, "hopes": hopes, "services": services,
        "created_at": now})
    if providers:
        conn.execute(insert(ProviderSuggestion.__table__), [
            {"participant_id": participant_id, "country": country, "provider": name,
             "service": services, "created_at": now} for name in providers])


def provider_suggestions(conn: Connection, country: str | None = None) -> list[Row[Any]]:
    table = ProviderSuggestion.__table__
    stmt = select(table).order_by(table.c.created_at)
    if country:
        stmt = stmt.where(table.c.country == country)
    return list(conn.execute(stmt))


def wmodel_export(conn: Connection, country: str | None, since: date | None
                  ) -> list[Row[Any]]:
    stmt = (select(_w, *PEOPLE_COLUMNS).join(_p, _p.c.id == _w.c.participant_id)
            .order_by(_p.c.pseudonym, _w.c.months_since_return, _w.c.id))
    if country:
        stmt = stmt.where(_p.c.country == country)
    if since:
        stmt = stmt.where(_w.c.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    return list(conn.execute(stmt))


# Survey ---------------------------------------------------------------------------------

PEOPLE_COLUMNS = (_p.c.pseudonym, _p.c.country.label("person_country"), _p.c.return_date,
                  _p.c.profile, _p.c.returned, _p.c.sex, _p.c.birth_year, _p.c.host_country,
                  _p.c.departed_on)


def draft(conn: Connection, participant_id: int) -> Row[Any] | None:
    return conn.execute(select(_s).where(_s.c.participant_id == participant_id,
                                         _s.c.status == IN_PROGRESS)
                        .order_by(_s.c.id.desc()).limit(1)).first()


def answers_of(row: Any) -> dict[str, Any]:
    return dict(json.loads(row.answers)) if row is not None and row.answers else {}


def save_draft(conn: Connection, participant_id: int, answers: dict[str, Any],
               now: datetime, mode: str = "chat") -> int:
    """Keep the answers so far; the survey stays in progress."""
    current = draft(conn, participant_id)
    payload = json.dumps(answers, ensure_ascii=False)
    if current is None:
        return int(conn.execute(insert(_s).returning(_s.c.id), {
            "participant_id": participant_id, "status": IN_PROGRESS, "mode": mode,
            "answers": payload, "started_at": now, "updated_at": now}).scalar_one())
    conn.execute(update(_s).where(_s.c.id == current.id)
                 .values(answers=payload, updated_at=now))
    return int(current.id)


def complete(conn: Connection, participant_id: int, answers: dict[str, Any],
             scores: dict[str, Any], mode: str, now: datetime,
             started_at: datetime | None = None) -> int:
    """Store a complete, scored survey (the draft becomes it, if there is one)."""
    values = {"status": COMPLETE, "mode": mode, "updated_at": now, "completed_at": now,
              "answers": json.dumps(answers, ensure_ascii=False),
              "weights_version": scores["weights_version"], "economic": scores["economic"],
              "social": scores["social"], "psychosocial": scores["psychosocial"],
              "composite": scores["composite"], "abstentions": scores["dont_know_or_refused"]}
    current = draft(conn, participant_id) if mode == "chat" else None
    if current is not None:
        conn.execute(update(_s).where(_s.c.id == current.id).values(**values))
        return int(current.id)
    return int(conn.execute(insert(_s).returning(_s.c.id), {
        "participant_id": participant_id, "started_at": started_at or now, **values}
    ).scalar_one())


def discard(conn: Connection, participant_id: int, now: datetime) -> bool:
    """Erase the answers of an unfinished survey; the row stays as a count, without them."""
    result = conn.execute(update(_s).where(_s.c.participant_id == participant_id,
                                           _s.c.status == IN_PROGRESS)
                          .values(status=DISCARDED, answers=None, updated_at=now))
    return bool(result.rowcount)


def stale_drafts(conn: Connection, before: datetime, limit: int = 500) -> list[Row[Any]]:
    """Unfinished surveys untouched since ``before``, with whom they belong to."""
    return list(conn.execute(
        select(_s.c.id, _s.c.participant_id, _p.c.channel, _p.c.chat_id, _p.c.locale,
               _p.c.country, _p.c.paused, _p.c.reachable)
        .join(_p, _p.c.id == _s.c.participant_id)
        .where(_s.c.status == IN_PROGRESS, _s.c.updated_at < before)
        .order_by(_s.c.id).limit(limit)))


def completed(conn: Connection, participant_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_s).where(_s.c.participant_id == participant_id,
                                              _s.c.status == COMPLETE)
                             .order_by(_s.c.completed_at)))


def count_completed(conn: Connection, participant_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(_s).where(
        _s.c.participant_id == participant_id, _s.c.status == COMPLETE)).scalar_one())


def survey_export(conn: Connection, country: str | None, since: date | None
                  ) -> list[Row[Any]]:
    stmt = (select(_s, *PEOPLE_COLUMNS).join(_p, _p.c.id == _s.c.participant_id)
            .where(_s.c.status == COMPLETE).order_by(_s.c.completed_at, _s.c.id))
    if country:
        stmt = stmt.where(_p.c.country == country)
    if since:
        stmt = stmt.where(_s.c.completed_at >= datetime.combine(since, time.min, tzinfo=UTC))
    return list(conn.execute(stmt))
