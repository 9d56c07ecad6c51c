"""What a unit of work reads about a person: the records, the joined columns that load them,
and the conflicts that make a unit run again (kept apart from the statements, in
``storage.repository``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from storage.models import Conversation, Handoff, Participant, Staff

_participants = Participant.__table__
_conversations = Conversation.__table__
_handoffs = Handoff.__table__
_staff = Staff.__table__

PERSON_COLUMNS = (
    *_participants.c, _conversations.c.flow, _conversations.c.state, _conversations.c.data,
    _conversations.c.version, _conversations.c.expires_at,
    _handoffs.c.id.label("handoff_id"), _staff.c.id.label("handoff_staff_id"),
    _staff.c.chat_id.label("handoff_staff_chat"),
)


def with_person(stmt: Any) -> Any:
    """Join a select on participants to their conversation and any active handoff."""
    return (stmt
            .outerjoin(_conversations, _conversations.c.participant_id == _participants.c.id)
            .outerjoin(_handoffs, (_handoffs.c.participant_id == _participants.c.id)
                       & _handoffs.c.ended_at.is_(None))
            .outerjoin(_staff, _staff.c.id == _handoffs.c.staff_id))


class StaleConversation(Exception):
    """The conversation changed since it was read (its version moved)."""


# Another worker got there first: the conversation's version moved, or two first messages of
# one chat both created a participant. The unit of work is rolled back and run again.
CONFLICTS = (IntegrityError, StaleConversation)


@dataclass(slots=True)
class ConversationRecord:
    flow: str
    state: str
    data: dict[str, Any]
    version: int | None  # None: not stored yet
    expires_at: datetime | None


@dataclass(slots=True)
class ParticipantRecord:
    """A participant as read in a unit of work; ``changes`` are written by ``save_participant``.
    """

    id: int
    pseudonym: str
    channel: str
    chat_id: str
    locale: str | None
    country: str | None
    returned: bool | None
    return_date: date | None
    onboarded_at: datetime | None
    paused: bool
    reachable: bool
    profile: str
    last_mood: int | None
    checklist: dict[str, bool]
    consent_state: dict[str, bool]
    created_at: datetime
    sex: str | None = None
    birth_year: int | None = None
    host_country: str | None = None
    departed_on: date | None = None
    followup_until_months: int | None = None
    conversation: ConversationRecord | None = None
    # A case manager talking with the person through the bot (their chat), if any.
    handoff_id: int | None = None
    handoff_staff_id: int | None = None
    handoff_staff_chat: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)

    def set(self, **fields: Any) -> None:
        for key, value in fields.items():
            setattr(self, key, value)
        self.changes.update(fields)


_PARTICIPANT_FIELDS = tuple(c.name for c in _participants.columns)


def record_from(values: Any) -> ParticipantRecord:
    """A participant (with conversation and handoff) from a row of ``_LOAD_PARTICIPANT``'s
    columns, however it was selected."""
    participant = ParticipantRecord(**{name: values[name] for name in _PARTICIPANT_FIELDS},
                                    handoff_id=values["handoff_id"],
                                    handoff_staff_id=values["handoff_staff_id"],
                                    handoff_staff_chat=values["handoff_staff_chat"])
    if values["flow"] is not None:
        participant.conversation = ConversationRecord(
            values["flow"], values["state"], values["data"] or {}, values["version"],
            values["expires_at"])
    return participant
