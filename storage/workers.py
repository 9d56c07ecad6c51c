"""Senders that are alive: each beats every second or so; a message leased by a sender whose
beat stopped (it crashed, or was killed) is due again at once, not when its lease ends, so a
crash never holds a chat's messages back for the length of a lease.

A beat also says whether its sender is a worker's (``homecoming worker``): while one is
alive, the processes that receive leave the sending to the workers (``bot.sender``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, String, delete, exists, false, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, OutboxMessage


class SenderBeat(Base):
    """One row per running sender: when it last said it was alive."""

    __tablename__ = "sender_beats"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime]
    worker: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


_beats = SenderBeat.__table__
_outbox = OutboxMessage.__table__
DEAD_AFTER = timedelta(seconds=5)  # a sender silent this long is taken for dead


def beat(conn: Connection, sender_id: str, now: datetime, *, worker: bool = False) -> None:
    if not conn.execute(update(_beats).where(_beats.c.id == sender_id)
                        .values(beat_at=now, worker=worker)).rowcount:
        conn.execute(_beats.insert(), {"id": sender_id, "beat_at": now, "worker": worker})


def worker_alive(conn: Connection, now: datetime, dead_after: timedelta = DEAD_AFTER) -> bool:
    """Whether a worker's sender beat recently: it sends what the others queue."""
    return bool(conn.execute(select(exists().where(
        _beats.c.worker.is_(True), _beats.c.beat_at > now - dead_after))).scalar())


def leave(conn: Connection, sender_id: str, now: datetime) -> None:
    """A sender that stops cleanly: nothing of it is left leased."""
    conn.execute(update(_outbox).where(_outbox.c.status == "sending",
                                       _outbox.c.leased_by == sender_id)
                 .values(status="pending", leased_by=None, not_before=now))
    conn.execute(delete(_beats).where(_beats.c.id == sender_id))


def reclaim(conn: Connection, now: datetime, dead_after: timedelta = DEAD_AFTER, *,
            by: str | None = None) -> int:
    """Messages leased by senders that are not alive are due now. Returns how many.

    A sender is alive while its beat is recent; one with no beat at all (a sender of an
    older version, or one whose row was forgotten) counts as dead only once its lease ends.
    ``by``, the sender asking, is alive whatever its last beat says (its beats may have
    been held up by the database it shares): its own rows stay leased. Senders silent for
    long are forgotten."""
    alive = select(_beats.c.id).where(_beats.c.beat_at > now - dead_after)
    known = select(_beats.c.id)
    result = conn.execute(update(_outbox).where(
        _outbox.c.status == "sending", _outbox.c.not_before > now,
        _outbox.c.leased_by.in_(known), _outbox.c.leased_by.not_in(alive),
        *((_outbox.c.leased_by != by,) if by is not None else ()),
    ).values(not_before=now))
    conn.execute(delete(_beats).where(_beats.c.beat_at < now - timedelta(days=1)))
    return int(result.rowcount or 0)
