"""Statements for follow-ups and check-ins (plain functions on a Core connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from storage.models import CheckIn, FollowUp, Participant

_fu = FollowUp.__table__
_ci = CheckIn.__table__
_part = Participant.__table__


def replace_schedule(conn: Connection, participant_id: int,
                     rows: Sequence[tuple[str, int, datetime]], now: datetime) -> int:
    """The person's future follow-ups, recomputed: the same input gives the same rows, so
    calling this again after any change of profile or return date is always safe."""
    conn.execute(delete(_fu).where(_fu.c.participant_id == participant_id,
                                   _fu.c.status == "scheduled"))
    future = [{"participant_id": participant_id, "kind": kind, "seq": seq, "due_at": due,
               "status": "scheduled", "sent_at": None, "reminders": 0,
               "next_reminder_at": None, "answered_at": None}
              for kind, seq, due in rows if due > now]
    if future:
        conn.execute(insert(_fu), future)
    return len(future)


def cancel_scheduled(conn: Connection, participant_id: int) -> None:
    conn.execute(delete(_fu).where(_fu.c.participant_id == participant_id,
                                   _fu.c.status == "scheduled"))


def _claim(conn: Connection, where: Any, order: Any, limit: int) -> list[Row[Any]]:
    stmt = (select(_fu.c.id).where(where).order_by(order).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [row.id for row in conn.execute(stmt)]
    if not ids:
        return []
    return list(conn.execute(
        select(_fu, _part.c.channel, _part.c.chat_id)
        .join(_part, _part.c.id == _fu.c.participant_id)
        .where(_fu.c.id.in_(ids)).order_by(order)))


def claim_due(conn: Connection, now: datetime, limit: int) -> list[Row[Any]]:
    """Scheduled follow-ups now due, oldest first. With several workers on PostgreSQL each
    row is taken by one of them only (``FOR UPDATE SKIP LOCKED``)."""
    return _claim(conn, (_fu.c.status == "scheduled") & (_fu.c.due_at <= now), _fu.c.due_at,
                  limit)


def claim_reminders(conn: Connection, now: datetime, limit: int) -> list[Row[Any]]:
    return _claim(conn, (_fu.c.status == "sent") & (_fu.c.next_reminder_at <= now),
                  _fu.c.next_reminder_at, limit)


def update_followup(conn: Connection, followup_id: int, **values: Any) -> None:
    conn.execute(update(_fu).where(_fu.c.id == followup_id).values(**values))


def previous_checkin_status(conn: Connection, participant_id: int, before: datetime
                            ) -> str | None:
    return conn.execute(select(_fu.c.status).where(
        _fu.c.participant_id == participant_id, _fu.c.kind == "checkin",
        _fu.c.due_at < before, _fu.c.status.in_(("answered", "missed")))
        .order_by(_fu.c.due_at.desc()).limit(1)).scalar()


def next_checkin(conn: Connection, participant_id: int) -> datetime | None:
    value: datetime | None = conn.execute(select(func.min(_fu.c.due_at)).where(
        _fu.c.participant_id == participant_id, _fu.c.kind == "checkin",
        _fu.c.status == "scheduled")).scalar()
    return value


def record_checkin(conn: Connection, *, participant_id: int, followup_id: int | None,
                   now: datetime, mood: int | None, events: str | None, needs: list[str],
                   note: str | None) -> None:
    conn.execute(insert(_ci), {"participant_id": participant_id, "followup_id": followup_id,
                               "at": now, "mood": mood, "events": events, "needs": needs,
                               "note": note})
    if followup_id is not None:
        conn.execute(update(_fu).where(_fu.c.id == followup_id,
                                       _fu.c.participant_id == participant_id)
                     .values(status="answered", answered_at=now, next_reminder_at=None))


def recent_checkins(conn: Connection, participant_id: int, limit: int = 5) -> list[Row[Any]]:
    return list(conn.execute(select(_ci).where(_ci.c.participant_id == participant_id)
                             .order_by(_ci.c.at.desc()).limit(limit)))
