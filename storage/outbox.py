"""The outbox: the only way anything is sent. Rows are written in the transaction that
decided to send them; the sender claims due rows (a chat's oldest first, the urgent never
behind the less urgent), marks each sent as soon as it is sent, retries what Telegram
refused for now and records what it refused for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, bindparam, case, delete, insert, select, text, update
from sqlalchemy.engine import Connection

from storage.db import is_postgres
from storage.models import OutboxMessage
from storage.prepared import Prepared

_outbox = OutboxMessage.__table__
_ADD_OUTBOX = Prepared(insert(_outbox))


# Outbox priorities: the sender takes the highest first. A fan-out of scheduled check-ins
# must never delay an alert, nor the answer to someone who is writing right now.
SCHEDULED, INTERACTIVE, URGENT = 0, 1, 2
# An urgent message (a Tier 1 alert, the emergency numbers) not delivered within this time
# is re-alerted through other staff (``overdue``).
URGENT_WITHIN = timedelta(seconds=60)
# Alerts queued for one chat go as one message, at most this many together.
BUNDLE_MAX = 12


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
    bundle: str | None = None,
    watch: bool = True,
) -> None:
    """One message (several if its text is long). An urgent message is watched (unless
    ``watch`` is false): not delivered within URGENT_WITHIN, it is re-alerted. Messages of
    one ``bundle`` queued for the same chat are sent as one."""
    rows = outbox_rows(participant_id=participant_id, channel=channel, chat_id=chat_id,
                       payload=payload, now=now, kind=kind, priority=priority,
                       about_id=about_id, bundle=bundle, watch=watch)
    insert_outbox_rows(conn, rows)


def insert_outbox_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Rows made by ``outbox_rows``, in one statement (none: nothing)."""
    if rows:
        _ADD_OUTBOX.execute(conn, rows[0] if len(rows) == 1 else rows)


def outbox_rows(*, participant_id: int | None, channel: str, chat_id: str,
                payload: dict[str, Any], now: datetime, kind: str = "message",
                priority: int = INTERACTIVE, about_id: int | None = None,
                bundle: str | None = None, watch: bool = True) -> list[dict[str, Any]]:
    """The rows ``add_outbox`` inserts for one message, every column given."""
    deadline = _deadline(kind, priority, now, watch)
    return [{
        "participant_id": participant_id, "about_id": about_id, "channel": channel,
        "chat_id": chat_id,
        "kind": kind, "payload": part, "priority": priority, "status": "pending",
        "attempts": 0, "not_before": now, "created_at": now, "sent_at": None,
        "last_error": None, "deadline": deadline, "bundle": bundle, "leased_by": None,
    } for part in (split_payload(payload) if kind == "message" else [payload])]


def _deadline(kind: str, priority: int, now: datetime, watch: bool) -> datetime | None:
    return now + URGENT_WITHIN if watch and kind == "message" and priority >= URGENT else None


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
            "last_error": None, "bundle": r.get("bundle"), "leased_by": None,
            "deadline": _deadline(r.get("kind", "message"), r["priority"], now, True)}
            for r in rows
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
    # Rows sent within this one (alerts of a bundle, combined): marked as this one is.
    also: tuple[int, ...] = ()
    bundle: str | None = None
    priority: int = INTERACTIVE
    parts: tuple[dict[str, Any], ...] = ()  # a bundle's payloads, one per row

    @property
    def ids(self) -> list[int]:
        return [self.id, *self.also]


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
               _outbox.c.payload, _outbox.c.attempts, _outbox.c.priority, _outbox.c.bundle)
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
            not_before=bindparam("until"), leased_by=bindparam("by")))
_MARK_SENT = Prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("oid"))
    .values(status="sent", sent_at=bindparam("at"), last_error=None))
# PostgreSQL: one statement for all the rows, their ids one array (a fixed statement,
# prepared once; an IN list is compiled again for every length).
_IDS = any_(bindparam("ids", type_=ARRAY(Integer)))
_LEASE_OUTBOX_PG = Prepared(
    update(_outbox)
    .where(_outbox.c.id == _IDS)
    .values(status="sending", attempts=_outbox.c.attempts + 1,
            not_before=bindparam("until"), leased_by=bindparam("by")))
_MARK_SENT_PG = Prepared(
    update(_outbox)
    .where(_outbox.c.id == _IDS)
    .values(status="sent", sent_at=bindparam("at"), last_error=None))


def claim_outbox(
    conn: Connection, now: datetime, *, limit: int = 100, lease: timedelta,
    chat: tuple[str, str] | None = None,
    sender: str | None = None,
) -> list[OutboxItem]:
    """Take due rows for sending. Each is leased (to ``sender``): if the sender dies it is
    due again once its lease ends, or as soon as it is known dead (``storage.workers``).

    Only a chat's oldest unsent row of its priority or above is taken, so a chat's messages
    arrive in order even when one of them waits for a retry, and an urgent one is never
    queued behind less urgent ones. A row of a bundle (an alert) takes the same chat's next
    rows of that bundle and priority with it, as one message. On PostgreSQL ``FOR UPDATE
    SKIP LOCKED`` lets several senders share the queue without taking the same row; SQLite
    has one writer at a time. With ``chat`` (channel, chat id) only that chat's rows are
    taken: a terminal chat sends its own messages and leaves another terminal's alone.
    """
    if chat is None:
        rows = _CLAIM_OUTBOX[conn.dialect.name].execute(
            conn, {"now": now, "limit": limit}).all()
    else:
        rows = _CLAIM_CHAT_OUTBOX[conn.dialect.name].execute(
            conn, {"now": now, "limit": limit, "channel": chat[0], "chat": chat[1]}).all()
    if not rows:
        return []
    items = [_bundled(conn, row, now) if row["bundle"] else
             OutboxItem(row["id"], row["channel"], row["chat_id"], row["kind"],
                        row["payload"], row["attempts"] + 1) for row in rows]
    ids = [i for item in items for i in item.ids]
    if is_postgres(conn):  # one statement, one round trip
        _LEASE_OUTBOX_PG.execute(conn, {"ids": ids, "until": now + lease, "by": sender})
    else:  # SQLite: one prepared statement stepped per row, no round trips to save
        _LEASE_OUTBOX.execute(conn, [{"oid": i, "until": now + lease, "by": sender}
                                     for i in ids])
    return items


def _bundled(conn: Connection, row: Any, now: datetime) -> OutboxItem:
    """The row and the same chat's next pending rows of its bundle, as one message."""
    first = OutboxItem(row["id"], row["channel"], row["chat_id"], row["kind"],
                       dict(row["payload"]), row["attempts"] + 1, (), row["bundle"],
                       row["priority"], (dict(row["payload"]),))
    return _grown(conn, first, now)[0]


def _grown(conn: Connection, item: OutboxItem, now: datetime) -> tuple[OutboxItem, list[int]]:
    """``item`` with the rows of its bundle queued since in the same chat (their texts one
    after the other, each alert's buttons marked with its case number), and their ids."""
    room = BUNDLE_MAX - len(item.ids)
    if item.bundle is None or room <= 0 or item.kind != "message":
        return item, []
    stmt = (select(_outbox.c.id, _outbox.c.payload)
            .where(_outbox.c.channel == item.channel, _outbox.c.chat_id == item.chat_id,
                   _outbox.c.status == "pending", _outbox.c.bundle == item.bundle,
                   _outbox.c.priority == item.priority, _outbox.c.id > max(item.ids),
                   _outbox.c.not_before <= now, _outbox.c.kind == "message")
            .order_by(_outbox.c.id).limit(room))
    if is_postgres(conn):
        stmt = stmt.with_for_update(skip_locked=True)
    parts = list(item.parts)
    taken: list[int] = []
    size = sum(len(str(p.get("text", ""))) + len(SEPARATOR) for p in parts)
    for follower in conn.execute(stmt).all():
        size += len(str(follower.payload.get("text", ""))) + len(SEPARATOR)
        if size > MAX_TEXT:
            break
        parts.append(dict(follower.payload))
        taken.append(follower.id)
    if not taken:
        return item, []
    payload = {**parts[0], "text": SEPARATOR.join(str(p.get("text", "")) for p in parts),
               "buttons": [b for p in parts for b in _numbered(p.get("buttons") or [])]}
    return replace(item, payload=payload, also=(*item.also, *taken), parts=tuple(parts)), taken


def grow_bundle(conn: Connection, item: OutboxItem, now: datetime, *, lease: timedelta,
                sender: str | None = None) -> OutboxItem:
    """Just before an alert is sent (after its chat's pace let it go): the alerts queued for
    that chat meanwhile go with it, leased as it is."""
    grown, taken = _grown(conn, item, now)
    if taken:
        conn.execute(update(_outbox).where(_outbox.c.id.in_(taken))
                     .values(status="sending", attempts=_outbox.c.attempts + 1,
                             not_before=now + lease, leased_by=sender))
    return grown


SEPARATOR = "\n\n\u2014\u2014\u2014\n\n"  # between the alerts of one message


def _numbered(buttons: list[dict[str, str]]) -> list[dict[str, str]]:
    """Buttons of one alert among several: each label says which case it acts on."""
    out = []
    for button in buttons:
        number = button.get("data", "").rpartition(":")[2]
        out.append({**button, "label": f"{button['label']} #{number}"}
                   if number.isdigit() else button)
    return out


def overdue(conn: Connection, now: datetime, limit: int = 100) -> list[Any]:
    """Urgent messages still undelivered at their deadline, each taken once (its deadline is
    cleared): the caller re-alerts them through other staff."""
    stmt = (select(_outbox.c.id, _outbox.c.participant_id, _outbox.c.about_id,
                   _outbox.c.channel, _outbox.c.chat_id, _outbox.c.created_at,
                   _outbox.c.last_error)
            .where(_outbox.c.deadline <= now,
                   _outbox.c.status.in_(("pending", "sending", "failed")))
            .order_by(_outbox.c.deadline).limit(limit))
    if is_postgres(conn):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = conn.execute(stmt).all()
    if rows:
        conn.execute(update(_outbox).where(_outbox.c.id.in_([r.id for r in rows]))
                     .values(deadline=None))
    return list(rows)


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
        _MARK_SENT_PG.execute(conn, {"ids": list(ids), "at": now})
    else:
        _MARK_SENT.execute(conn, [{"oid": item_id, "at": now} for item_id in ids])


def delete_outbox(conn: Connection, item_id: int) -> None:
    conn.execute(delete(OutboxMessage).where(OutboxMessage.id == item_id))


def mark_retry(conn: Connection, ids: int | Sequence[int], at: datetime, error: str) -> None:
    conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(_ids(ids)))
        .values(status="pending", not_before=at, last_error=error, leased_by=None)
    )


def mark_failed(conn: Connection, ids: int | Sequence[int], error: str,
                now: datetime | None = None) -> None:
    """Refused for good. A watched (urgent) message is then overdue at once (with ``now``):
    an alert a case manager cannot receive goes to others at the next sweep."""
    values: dict[str, Any] = {"status": "failed", "last_error": error, "leased_by": None}
    if now is not None:
        values["deadline"] = case((_outbox.c.deadline.is_not(None), now), else_=None)
    conn.execute(update(_outbox).where(_outbox.c.id.in_(_ids(ids))).values(**values))


def _ids(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)
