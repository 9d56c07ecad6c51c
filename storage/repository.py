"""The statements the rest of the code needs, each a small function on an open connection.

They are plain (synchronous) functions, called inside a unit of work run by
``Database.run``, which hands them a Core ``Connection`` inside a transaction. The engine
handles an update as one unit of work; these functions are written so that the common path
costs few statements: one insert to deduplicate, one joined select to load the participant
and conversation, an update of each, and the outbox insert. On PostgreSQL, where each is a
network round trip, the claim and the load are one statement, and so are the
conversation's update and the reply's insert.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from storage.db import is_postgres
from storage.models import (
    AuditEntry,
    Consent,
    Conversation,
    Handoff,
    InfoFeedback,
    OutboxMessage,
    Participant,
    ProcessedUpdate,
    Staff,
)
from storage.outbox import (  # noqa: F401 (the outbox, as the rest of the code calls it)
    INTERACTIVE,
    MAX_TEXT,
    SCHEDULED,
    URGENT,
    OutboxItem,
    add_outbox,
    add_outbox_many,
    claim_outbox,
    delete_outbox,
    grow_bundle,
    insert_outbox_rows,
    mark_failed,
    mark_retry,
    mark_sent,
    outbox_rows,
    overdue,
    purge_sent,
    split_payload,
)
from storage.persons import (  # noqa: F401 (as the rest of the code calls them)
    _PARTICIPANT_FIELDS,
    CONFLICTS,
    PERSON_COLUMNS,
    ConversationRecord,
    ParticipantRecord,
    StaleConversation,
    record_from,
    with_person,
)
from storage.prepared import Prepared

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A short id staff can read aloud, unrelated to any identity ("R-7KQ2MX9P")."""
    return "R-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))




# The statements on every update's path are built once, with bound parameters, so that
# SQLAlchemy compiles them once and reuses the compiled form: building a statement anew per
# call costs more than running it on SQLite. They are Core statements on plain records: the
# ORM's unit of work costs more than the few statements it would save us writing.
_participants = Participant.__table__
_conversations = Conversation.__table__
_outbox = OutboxMessage.__table__
_CLAIM_UPDATE = {
    name: Prepared(dialect.insert(ProcessedUpdate.__table__).on_conflict_do_nothing(
        index_elements=["channel", "update_id"]
    ))
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_handoffs = Handoff.__table__
_staff = Staff.__table__
_LOAD_PARTICIPANT = Prepared(with_person(
    select(*PERSON_COLUMNS).select_from(_participants)).where(
    _participants.c.channel == bindparam("channel"),
    _participants.c.chat_id == bindparam("chat")))

def _claim_and_load() -> Any:
    """PostgreSQL: the update claimed and the person loaded in one statement (a round trip
    fewer on every update). The insert is a data-modifying CTE; the person is joined to a
    single row, so the claim is reported when no one writes from the chat yet."""
    claim = (postgresql.insert(ProcessedUpdate.__table__)
             .values(channel=bindparam("channel"), update_id=bindparam("update_id"),
                     at=bindparam("at"))
             .on_conflict_do_nothing(index_elements=["channel", "update_id"])
             .returning(literal_column("1").label("one")).cte("claim"))
    person = with_person(select(*PERSON_COLUMNS).select_from(_participants)).where(
        _participants.c.channel == bindparam("channel"),
        _participants.c.chat_id == bindparam("chat")).subquery("person")
    anchor = select(literal_column("1").label("one")).subquery("anchor")
    return (select(exists(select(claim.c.one)).label("claimed"), *person.c)
            .select_from(anchor.outerjoin(person, true())))


_CLAIM_AND_LOAD = Prepared(_claim_and_load())
_INSERT_PARTICIPANT = Prepared(insert(_participants).returning(_participants.c.id))
_MUTABLE = ("locale", "country", "returned", "return_date", "onboarded_at", "paused",
            "reachable", "profile", "last_mood", "checklist", "consent_state", "sex",
            "birth_year", "host_country", "departed_on", "followup_until_months")
_UPDATE_PARTICIPANT = Prepared(
    update(_participants)
    .where(_participants.c.id == bindparam("pid"))
    .values({name: bindparam(f"new_{name}") for name in _MUTABLE})
)
_INSERT_CONVERSATION = Prepared(insert(_conversations))
_SAVE_CONVERSATION = Prepared(
    update(_conversations)
    .where(_conversations.c.participant_id == bindparam("pid"),
           _conversations.c.version == bindparam("expected"))
    .values(flow=bindparam("new_flow"), state=bindparam("new_state"),
            data=bindparam("new_data"), expires_at=bindparam("new_expires_at"),
            updated_at=bindparam("now"), version=_conversations.c.version + 1)
)

def _save_and_queue() -> Any:
    """PostgreSQL: ``_SAVE_CONVERSATION`` and the turn's one outbox row in one statement (a
    round trip fewer on every update). The count of conversations saved says whether the
    version held; the row is inserted only if it did, so that a caller that catches
    ``StaleConversation`` and goes on never sends a reply decided on a stale state."""
    saved = _SAVE_CONVERSATION.statement.returning(  # type: ignore[attr-defined]
        literal_column("1").label("one")).cte("saved")
    columns = [column for column in _outbox.c if column.name != "id"]
    queued = insert(_outbox).from_select(
        [column.name for column in columns],
        select(*(bindparam(f"o_{column.name}", type_=column.type) for column in columns))
        .where(exists(select(saved.c.one)))).cte("queued")
    return select(func.count().label("saved")).select_from(saved).add_cte(queued)


_SAVE_AND_QUEUE = Prepared(_save_and_queue())
_INSERT_CONSENT = Prepared(insert(Consent.__table__))
_INSERT_AUDIT = insert(AuditEntry.__table__)


def claim_update(conn: Connection, channel: str, update_id: int, now: datetime) -> bool:
    """Record an inbound update id; False when it was already processed (a redelivery)."""
    result = _CLAIM_UPDATE[conn.dialect.name].execute(
        conn, {"channel": channel, "update_id": update_id, "at": now})
    return bool(result.rowcount)


def claim_and_load(conn: Connection, channel: str, update_id: int, chat_id: str,
                   now: datetime) -> tuple[bool, ParticipantRecord | None]:
    """``claim_update``, then ``load_participant``: in one statement on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        if not claim_update(conn, channel, update_id, now):
            return False, None
        return True, load_participant(conn, channel, chat_id)
    row = _CLAIM_AND_LOAD.execute(conn, {"channel": channel, "update_id": update_id,
                                         "at": now, "chat": chat_id}).first()
    assert row is not None  # one row, always
    if not row["claimed"]:
        return False, None
    return True, None if row["id"] is None else record_from(row)


def load_participant(conn: Connection, channel: str, chat_id: str) -> ParticipantRecord | None:
    """The participant writing from this chat, with their conversation, in one query."""
    row = _LOAD_PARTICIPANT.execute(conn, {"channel": channel, "chat": chat_id}).first()
    if row is None:
        return None
    return record_from(row)


def create_participant(
    conn: Connection, channel: str, chat_id: str, locale: str, now: datetime
) -> ParticipantRecord:
    fields: dict[str, Any] = {
        "pseudonym": new_pseudonym(), "channel": channel, "chat_id": chat_id,
        "locale": locale, "country": None, "returned": None, "return_date": None,
        "onboarded_at": None, "paused": False, "reachable": True, "profile": "standard",
        "last_mood": None, "checklist": {}, "consent_state": {},
        "created_at": now, "sex": None, "birth_year": None, "host_country": None,
        "departed_on": None, "followup_until_months": None,
    }
    row = _INSERT_PARTICIPANT.execute(conn, fields).first()
    assert row is not None
    new_id = row["id"]
    return ParticipantRecord(id=new_id, **fields)


def save_participant(conn: Connection, participant: ParticipantRecord) -> None:
    """Write the fields changed with ``participant.set``, in one statement, if any."""
    if participant.changes:
        if not participant.changes.keys() <= set(_MUTABLE):
            unknown = set(participant.changes) - set(_MUTABLE)
            raise ValueError(f"participant fields that cannot change: {sorted(unknown)}")
        values = {f"new_{name}": getattr(participant, name) for name in _MUTABLE}
        _UPDATE_PARTICIPANT.execute(conn, {"pid": participant.id, **values})
        participant.changes = {}


def save_conversation(
    conn: Connection,
    participant: ParticipantRecord,
    conversation: ConversationRecord,
    *,
    expires_at: datetime | None,
    now: datetime,
    queue: dict[str, Any] | None = None,
) -> None:
    """Write the new place, checked against the version read (raises StaleConversation),
    and queue ``queue`` (``add_outbox``'s arguments but ``now``) if given: in one statement
    on PostgreSQL when it is one row.

    The version is checked and bumped even when nothing moved: a reply decided on a state
    another worker has since changed must not be sent.
    """
    rows = [] if queue is None else outbox_rows(now=now, **queue)
    saving = {"pid": participant.id, "expected": conversation.version,
              "new_flow": conversation.flow, "new_state": conversation.state,
              "new_data": conversation.data, "new_expires_at": expires_at, "now": now}
    if conversation.version is not None and len(rows) == 1 and is_postgres(conn):
        saved = _SAVE_AND_QUEUE.execute(conn, {
            **saving, **{f"o_{name}": value for name, value in rows[0].items()}}).first()
        if saved is None or saved["saved"] != 1:
            raise StaleConversation
        conversation.version += 1
        return
    if conversation.version is None:  # first contact
        _INSERT_CONVERSATION.execute(conn, {
            "participant_id": participant.id, "flow": conversation.flow,
            "state": conversation.state, "data": conversation.data, "version": 1,
            "expires_at": expires_at, "updated_at": now})
        conversation.version = 1
    else:
        if _SAVE_CONVERSATION.execute(conn, saving).rowcount != 1:
            raise StaleConversation
        conversation.version += 1
    insert_outbox_rows(conn, rows)  # after the check: nothing is queued on a stale state


def enter_flow_many(conn: Connection, expected: Sequence[tuple[int, int | None]], *,
                    flow: str, state: str, expires_at: datetime, now: datetime) -> set[int]:
    """Move many conversations to one place in one statement, each only if its version is
    still the one read; returns the participants moved."""
    pairs = [(pid, version) for pid, version in expected if version is not None]
    if not pairs:
        return set()
    c = _conversations.c
    result = conn.execute(
        update(_conversations)
        .where(tuple_(c.participant_id, c.version).in_(pairs))
        .values(flow=flow, state=state, data={}, version=c.version + 1,
                expires_at=expires_at, updated_at=now)
        .returning(c.participant_id))
    return {row.participant_id for row in result}


def record_feedback(conn: Connection, participant: ParticipantRecord, topic: str,
                    useful: bool, now: datetime) -> None:
    conn.execute(insert(InfoFeedback.__table__), {
        "participant_id": participant.id, "country": participant.country, "topic": topic,
        "useful": useful, "at": now})


def record_consent(
    conn: Connection,
    participant: ParticipantRecord,
    purpose: str,
    version: str,
    granted: bool,
    now: datetime,
) -> None:
    """Keep the answer in the history, and as the answer in force on the participant."""
    _INSERT_CONSENT.execute(conn, {
        "participant_id": participant.id, "purpose": purpose, "version": version,
        "granted": granted, "at": now})
    participant.set(consent_state={**participant.consent_state, purpose: granted})


def delete_participant(conn: Connection, participant: ParticipantRecord, now: datetime
                       ) -> None:
    """Erase a participant: consents, conversation and escalations go with them (cascade);
    every outbox row to their chat or about them (alerts and /case output that quote their
    words), delivered or not; and their pseudonym in the audit log, which keeps what staff
    did but no longer whom it concerned."""
    outbox = OutboxMessage.__table__
    conn.execute(delete(outbox).where(or_(
        outbox.c.participant_id == participant.id, outbox.c.about_id == participant.id,
        and_(outbox.c.channel == participant.channel,
             outbox.c.chat_id == participant.chat_id))))
    entries = AuditEntry.__table__
    conn.execute(update(entries).where(entries.c.subject.in_(
        (participant.pseudonym, f"{participant.channel}:{participant.chat_id}")))
                 .values(subject=ERASED))  # their pseudonym; their chat (invite attempts)
    conn.execute(update(entries).where(
        entries.c.actor == f"participant:{participant.pseudonym}").values(
        actor=f"participant:{ERASED}"))
    conn.execute(delete(Participant).where(Participant.id == participant.id))
    audit(conn, now, actor=f"participant:{ERASED}", action="participant.deleted")


ERASED = "erased"  # in the audit log, in place of a deleted person's pseudonym


def audit(
    conn: Connection,
    now: datetime,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(_INSERT_AUDIT, {
        "at": now, "actor": actor, "action": action, "subject": subject,
        "details": details or {}})


def mark_unreachable(conn: Connection, channel: str, chat_id: str) -> None:
    """The channel refused delivery for good (the person blocked the bot)."""
    conn.execute(
        update(Participant)
        .where(Participant.channel == channel, Participant.chat_id == chat_id)
        .values(reachable=False)
    )
