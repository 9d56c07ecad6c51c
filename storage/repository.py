"""The statements the rest of the code needs, each a small function on an open session.

They are plain (synchronous) functions, called inside a unit of work run by
``Database.run``. The engine handles an update as one unit of work; these functions are
written so that the common path costs few statements: one insert to deduplicate, one joined
select to load the participant and conversation, then the ORM flush (updates and one
multi-row outbox insert).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from storage.models import (
    AuditEntry,
    Consent,
    Conversation,
    Escalation,
    OutboxMessage,
    Participant,
    ProcessedUpdate,
)

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A short id staff can read aloud, unrelated to any identity ("R-7KQ2MX9P")."""
    return "R-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# The statements on every update's path are built once, with bound parameters, so that
# SQLAlchemy compiles them once and reuses the compiled form: building a statement anew per
# call costs more than running it on SQLite.
_CLAIM_UPDATE = {
    name: dialect.insert(ProcessedUpdate.__table__).on_conflict_do_nothing(
        index_elements=["channel", "update_id"]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_LOAD_PARTICIPANT = (
    select(Participant, Conversation)
    .outerjoin(Conversation, Conversation.participant_id == Participant.id)
    .where(Participant.channel == bindparam("channel"), Participant.chat_id == bindparam("chat"))
)
_conversations = Conversation.__table__.c
_SAVE_CONVERSATION = (
    update(Conversation.__table__)
    .where(_conversations.participant_id == bindparam("pid"),
           _conversations.version == bindparam("expected"))
    .values(flow=bindparam("new_flow"), state=bindparam("new_state"),
            data=bindparam("new_data"), expires_at=bindparam("new_expires_at"),
            updated_at=bindparam("now"), version=_conversations.version + 1)
)
_ADD_OUTBOX = insert(OutboxMessage.__table__)


class StaleConversation(Exception):
    """The conversation changed since it was read (its version moved)."""


# Another worker got there first: the conversation's version moved, or two first messages of
# one chat both created a participant. The unit of work is rolled back and run again.
CONFLICTS = (StaleDataError, IntegrityError, StaleConversation)


def claim_update(session: Session, channel: str, update_id: int, now: datetime) -> bool:
    """Record an inbound update id; False when it was already processed (a redelivery)."""
    conn = session.connection()
    result = conn.execute(_CLAIM_UPDATE[conn.dialect.name],
                          {"channel": channel, "update_id": update_id, "at": now})
    return bool(result.rowcount)


def load_participant(
    session: Session, channel: str, chat_id: str
) -> tuple[Participant, Conversation | None] | None:
    """The participant writing from this chat and their conversation, in one query."""
    row = session.execute(_LOAD_PARTICIPANT, {"channel": channel, "chat": chat_id}).first()
    if row is None:
        return None
    return row[0], row[1]


def create_participant(
    session: Session, channel: str, chat_id: str, locale: str, now: datetime
) -> Participant:
    participant = Participant(
        pseudonym=new_pseudonym(),
        channel=channel,
        chat_id=chat_id,
        locale=locale,
        paused=False,
        reachable=True,
        consent_state={},
        created_at=now,
    )
    session.add(participant)
    session.flush()
    return participant


def start_conversation(
    session: Session, participant: Participant, flow: str, state: str, now: datetime
) -> Conversation:
    conversation = Conversation(
        participant_id=participant.id, flow=flow, state=state, data={}, updated_at=now
    )
    session.add(conversation)
    return conversation


def save_conversation(
    session: Session,
    conversation: Conversation,
    *,
    flow: str,
    state: str,
    data: dict[str, Any],
    expires_at: datetime | None,
    now: datetime,
) -> None:
    """Write the new place, checked against the version read (raises StaleConversation).

    The version is checked and bumped even when nothing moved: a reply decided on a state
    another worker has since changed must not be sent.
    """
    if conversation in session.new:  # first contact: inserted by the flush at commit
        conversation.flow, conversation.state, conversation.data = flow, state, data
        conversation.expires_at, conversation.updated_at = expires_at, now
        return
    result = session.connection().execute(_SAVE_CONVERSATION, {
        "pid": conversation.participant_id, "expected": conversation.version,
        "new_flow": flow, "new_state": state, "new_data": data,
        "new_expires_at": expires_at, "now": now,
    })
    if result.rowcount != 1:
        raise StaleConversation


def record_consent(
    session: Session,
    participant: Participant,
    purpose: str,
    version: str,
    granted: bool,
    now: datetime,
) -> None:
    session.add(
        Consent(
            participant_id=participant.id,
            purpose=purpose,
            version=version,
            granted=granted,
            at=now,
        )
    )
    participant.consent_state = {**participant.consent_state, purpose: granted}


def open_escalation(
    session: Session,
    participant: Participant,
    *,
    tier: int,
    category: str,
    source: str,
    now: datetime,
) -> bool:
    """Open an escalation unless one is already open for this person and category."""
    existing = session.scalar(
        select(Escalation.id).where(
            Escalation.participant_id == participant.id,
            Escalation.category == category,
            Escalation.status.in_(("open", "acknowledged")),
        )
    )
    if existing is not None:
        return False
    session.add(
        Escalation(
            participant_id=participant.id,
            tier=tier,
            category=category,
            source=source,
            status="open",
            created_at=now,
        )
    )
    return True


def delete_participant(
    session: Session, participant: Participant, now: datetime
) -> None:
    """Erase a participant; consents, conversation and escalations go with them (cascade)."""
    pseudonym = participant.pseudonym
    for obj in list(session):
        session.expunge(obj)
    session.execute(delete(Participant).where(Participant.id == participant.id))
    audit(session, now, actor=f"participant:{pseudonym}", action="participant.deleted",
          subject=pseudonym)


def audit(
    session: Session,
    now: datetime,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, subject=subject,
                           details=details or {}))


def add_outbox(
    session: Session,
    *,
    participant_id: int | None,
    channel: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    kind: str = "message",
) -> None:
    session.flush()  # a participant created in this unit must exist before its messages
    session.connection().execute(_ADD_OUTBOX, {
        "participant_id": participant_id, "channel": channel, "chat_id": chat_id,
        "kind": kind, "payload": payload, "status": "pending", "attempts": 0,
        "not_before": now, "created_at": now, "sent_at": None, "last_error": None,
    })


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


def claim_outbox(
    session: Session, now: datetime, *, limit: int = 100, lease: timedelta
) -> list[OutboxItem]:
    """Take due rows for sending. Each is leased: if the sender dies it is due again later.

    Only a chat's oldest unsent row is taken, so a chat's messages arrive in order even when
    one of them waits for a retry. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several
    senders share the queue without taking the same row; SQLite has one writer at a time.
    """
    earlier = aliased(OutboxMessage)
    waiting_behind = (
        select(earlier.id)
        .where(
            earlier.channel == OutboxMessage.channel,
            earlier.chat_id == OutboxMessage.chat_id,
            earlier.id < OutboxMessage.id,
            earlier.status.in_(("pending", "sending")),
        )
        .exists()
    )
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.not_before <= now,
            ~waiting_behind,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = session.scalars(stmt).all()
    items = []
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.not_before = now + lease
        items.append(OutboxItem(row.id, row.channel, row.chat_id, row.kind, row.payload,
                                row.attempts))
    return items


def mark_unreachable(session: Session, channel: str, chat_id: str) -> None:
    """The channel refused delivery for good (the person blocked the bot)."""
    session.execute(
        update(Participant)
        .where(Participant.channel == channel, Participant.chat_id == chat_id)
        .values(reachable=False)
    )


def mark_sent(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="sent", sent_at=now, last_error=None)
        )


def mark_retry(session: Session, item_id: int, at: datetime, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(status="pending", not_before=at, last_error=error)
    )


def mark_failed(session: Session, item_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(status="failed", last_error=error)
    )
