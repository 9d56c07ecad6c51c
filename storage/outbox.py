"""The outbox: the only way anything is sent. Rows are written in the transaction that
decided to send them; the sender claims due rows (a chat's oldest first, the urgent never
behind the less urgent), marks each sent as soon as it is sent, retries what Telegram
refused for now and records what it refused for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.engine import Connection

from storage.db import is_postgres
from storage.models import OutboxMessage
from storage.prepared import Prepared

_outbox = OutboxMessage.__table__
_ADD_OUTBOX = Prepared(insert(_outbox))


# Outbox priorities: the sender takes the highest first. A fan-out of scheduled check-ins
# must never delay an alert, nor the answer to someone who is writing right now.
SCHEDULED, INTERACTIVE, URGENT = 0, 1, 2


# Telegram refuses a message above 4,096 UTF-16 units; a longer text (a long /case, many
# W-model points) goes as several messages, split between lines, the buttons on the last.
MAX_TEXT = 3500


def split_payload(payload: dict[str, Any], limit: int = MAX_TEXT) -> list[dict[str, Any]]:
    text = payload.get("text")
    if not isinstance(text, str) or len(text) <= limit:
        return [payload]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a message: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    last = len(parts) - 1
    return [{**payload, "text": part, **({} if i == last else {"buttons": []})}
            for i, part in enumerate(parts)]


def add_outbox(
    conn: Connection,
    *,
    participant_id: int | None,
    channel: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    kind: str = "message",
    priority: int = INTERACTIVE,
    about_id: int | None = None,
) -> None:
    rows = [{
        "participant_id": participant_id, "about_id": about_id, "channel": channel,
        "chat_id": chat_id,
        "kind": kind, "payload": part, "priority": priority, "status": "pending",
        "attempts": 0, "not_before": now, "created_at": now, "sent_at": None,
        "last_error": None,
    } for part in (split_payload(payload) if kind == "message" else [payload])]
    _ADD_OUTBOX.execute(conn, rows[0] if len(rows) == 1 else rows)


def add_outbox_many(conn: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Several messages in one statement (a fan-out). Each row: participant_id, channel,
    chat_id, payload, priority."""
    if rows:
        _ADD_OUTBOX.execute(conn, [{
            "participant_id": r["participant_id"], "about_id": r.get("about_id"),
            "channel": r["channel"],
            "chat_id": r["chat_id"], "kind": r.get("kind", "message"), "payload": part,
            "priority": r["priority"], "status": "pending", "attempts": 0,
            "not_before": now, "created_at": now, "sent_at": None,
            "last_error": None} for r in rows
            for part in (split_payload(r["payload"]) if r.get("kind", "message") == "message"
                         else [r["payload"]])])



@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


def _claim_outbox_statements(one_chat: bool = False) -> dict[str, Prepared]:
    earlier = _outbox.alias("earlier")
    waiting_behind = (
        select(earlier.c.id)
        .where(
            earlier.c.channel == _outbox.c.channel,
            earlier.c.chat_id == _outbox.c.chat_id,
            earlier.c.id < _outbox.c.id,
            # A more urgent message is not held up by less urgent ones before it (a Tier 1
            # alert in a case manager's chat goes before the Tier 3 notices queued there).
            earlier.c.priority >= _outbox.c.priority,
            # Written out, not bound, so that the planner sees it matches ix_outbox_unsent.
            text("earlier.status IN ('pending', 'sending')"),
        )
        .exists()
    )
    due = (
        select(_outbox.c.id, _outbox.c.channel, _outbox.c.chat_id, _outbox.c.kind,
               _outbox.c.payload, _outbox.c.attempts)
        .where(
            text("outbox.status IN ('pending', 'sending')"),
            _outbox.c.not_before <= bindparam("now"),
            ~waiting_behind,
            *((_outbox.c.channel == bindparam("channel"),
               _outbox.c.chat_id == bindparam("chat")) if one_chat else ()),
        )
        .order_by(_outbox.c.priority.desc(), _outbox.c.id)
        .limit(bindparam("limit"))
    )
    return {"sqlite": Prepared(due),
            "postgresql": Prepared(due.with_for_update(skip_locked=True))}


_CLAIM_OUTBOX = _claim_outbox_statements()
_CLAIM_CHAT_OUTBOX = _claim_outbox_statements(one_chat=True)
_LEASE_OUTBOX = Prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("oid"))
    .values(status="sending", attempts=_outbox.c.attempts + 1,
            not_before=bindparam("until")))
_MARK_SENT = Prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("oid"))
    .values(status="sent", sent_at=bindparam("at"), last_error=None))


def claim_outbox(
    conn: Connection, now: datetime, *, limit: int = 100, lease: timedelta,
    chat: tuple[str, str] | None = None,
) -> list[OutboxItem]:
    """Take due rows for sending. Each is leased: if the sender dies it is due again later.

    Only a chat's oldest unsent row of its priority or above is taken, so a chat's messages
    arrive in order even when one of them waits for a retry, and an urgent one is never
    queued behind less urgent ones. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several
    senders share the queue without taking the same row; SQLite has one writer at a time.
    With ``chat`` (channel, chat id) only that chat's rows are taken: a terminal chat sends
    its own messages and leaves another terminal's on the same database alone.
    """
    if chat is None:
        rows = _CLAIM_OUTBOX[conn.dialect.name].execute(
            conn, {"now": now, "limit": limit}).all()
    else:
        rows = _CLAIM_CHAT_OUTBOX[conn.dialect.name].execute(
            conn, {"now": now, "limit": limit, "channel": chat[0], "chat": chat[1]}).all()
    if not rows:
        return []
    if is_postgres(conn):  # one statement, one round trip
        conn.execute(update(_outbox).where(_outbox.c.id.in_([row["id"] for row in rows]))
                     .values(status="sending", attempts=_outbox.c.attempts + 1,
                             not_before=now + lease))
    else:  # SQLite: one prepared statement stepped per row, no round trips to save
        _LEASE_OUTBOX.execute(conn, [{"oid": row["id"], "until": now + lease}
                                     for row in rows])
    return [OutboxItem(row["id"], row["channel"], row["chat_id"], row["kind"],
                       row["payload"], row["attempts"] + 1) for row in rows]



def purge_sent(conn: Connection, before: datetime) -> int:
    """Forget messages delivered before ``before``: once sent, their text (which may quote a
    person's words) has no reason to stay in the database."""
    result = conn.execute(delete(OutboxMessage).where(OutboxMessage.status == "sent",
                                                      OutboxMessage.sent_at < before))
    return int(result.rowcount or 0)


def mark_sent(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    if not ids:
        return
    if is_postgres(conn):
        conn.execute(update(_outbox).where(_outbox.c.id.in_(ids))
                     .values(status="sent", sent_at=now, last_error=None))
    else:
        _MARK_SENT.execute(conn, [{"oid": item_id, "at": now} for item_id in ids])


def delete_outbox(conn: Connection, item_id: int) -> None:
    conn.execute(delete(OutboxMessage).where(OutboxMessage.id == item_id))


def mark_retry(conn: Connection, item_id: int, at: datetime, error: str) -> None:
    conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(status="pending", not_before=at, last_error=error)
    )


def mark_failed(conn: Connection, item_id: int, error: str) -> None:
    conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(status="failed", last_error=error)
    )
