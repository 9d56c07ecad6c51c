"""Statements for follow-ups and check-ins (plain functions on a Core connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from storage import repository as repo
from storage.models import CheckIn, FollowUp, Participant
from storage.prepared import Prepared

_fu = FollowUp.__table__
_ci = CheckIn.__table__
_part = Participant.__table__


_DELETE_SCHEDULED = Prepared(delete(_fu).where(_fu.c.participant_id == bindparam("pid"),
                                               _fu.c.status == "scheduled"))
_INSERT_FOLLOWUP = Prepared(insert(_fu))


def replace_schedule(conn: Connection, participant_id: int,
                     rows: Sequence[tuple[str, int, datetime]], now: datetime) -> int:
    """The person's future follow-ups, recomputed: the same input gives the same rows, so
    calling this again after any change of profile or return date is always safe."""
    _DELETE_SCHEDULED.execute(conn, {"pid": participant_id})
    future = [{"participant_id": participant_id, "kind": kind, "seq": seq, "due_at": due,
               "status": "scheduled", "sent_at": None, "reminders": 0,
               "next_reminder_at": None, "answered_at": None}
              for kind, seq, due in rows if due > now]
    if future:
        _INSERT_FOLLOWUP.execute(conn, future)
    return len(future)


def cancel_scheduled(conn: Connection, participant_id: int) -> None:
    _DELETE_SCHEDULED.execute(conn, {"pid": participant_id})


_FOLLOWUP_COLUMNS = tuple(c.label(f"fu_{c.name}") for c in _fu.c)


def _claim(conn: Connection, where: Any, order: Any, limit: int) -> list[Row[Any]]:
    """Rows carry the follow-up (as fu_*) and the person, conversation and handoff, in one
    query, so that a chunk of a fan-out costs one read."""
    stmt = (select(_fu.c.id).where(where).order_by(order).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = [row.id for row in conn.execute(stmt)]
    if not ids:
        return []
    people = repo.with_person(
        select(*_FOLLOWUP_COLUMNS, *repo.PERSON_COLUMNS)
        .select_from(_fu.join(_part, _part.c.id == _fu.c.participant_id)))
    return [_FollowUpRow(row._mapping) for row in
            conn.execute(people.where(_fu.c.id.in_(ids)).order_by(order))]


class _FollowUpRow:
    """A claimed follow-up: its own fields as attributes, and the person behind it."""

    def __init__(self, values: Any) -> None:
        self.values = values
        for column in _fu.c:
            setattr(self, column.name, values[f"fu_{column.name}"])


def person_of(row: Any) -> repo.ParticipantRecord:
    return repo.record_from(row.values)


_UPDATE_FIELDS = ("status", "due_at", "sent_at", "reminders", "next_reminder_at")
_UPDATE_MANY = (update(_fu).where(_fu.c.id == bindparam("fid"))
                .values({name: bindparam(f"new_{name}") for name in _UPDATE_FIELDS}))


def unchanged(row: Any) -> dict[str, Any]:
    """A follow-up's current state, to change in place and write with ``update_many``."""
    return {"fid": row.id, **{name: getattr(row, name) for name in _UPDATE_FIELDS}}


def update_many(conn: Connection, changes: Sequence[dict[str, Any]]) -> None:
    if changes:
        conn.execute(_UPDATE_MANY, [{"fid": c["fid"], **{f"new_{n}": c[n]
                                                         for n in _UPDATE_FIELDS}}
                                    for c in changes])


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
    followup_id = followup_id or current_checkin(conn, participant_id)
    if followup_id is not None:
        conn.execute(update(_fu).where(_fu.c.id == followup_id,
                                       _fu.c.participant_id == participant_id)
                     .values(status="answered", answered_at=now, next_reminder_at=None))


def current_checkin(conn: Connection, participant_id: int) -> int | None:
    """The check-in delivered and not yet answered, if any (the newest)."""
    value: int | None = conn.execute(select(_fu.c.id).where(
        _fu.c.participant_id == participant_id, _fu.c.kind == "checkin",
        _fu.c.status == "sent").order_by(_fu.c.sent_at.desc()).limit(1)).scalar()
    return value


def recent_checkins(conn: Connection, participant_id: int, limit: int = 5) -> list[Row[Any]]:
    return list(conn.execute(select(_ci).where(_ci.c.participant_id == participant_id)
                             .order_by(_ci.c.at.desc()).limit(limit)))
