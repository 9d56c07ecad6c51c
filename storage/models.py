"""The tables. Alembic migrations (``storage/migrations``) are the only way they are created."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import SealedJSON, SealedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones; storing naive UTC and attaching UTC on the way out keeps
    comparisons identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        float: Float(),
        date: Date(),
        dict[str, Any]: JSON(),
    }


class Participant(Base):
    """A returnee, known by the channel they write from. Staff see only the pseudonym."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_participants_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    returned: Mapped[bool | None] = mapped_column(Boolean)
    return_date: Mapped[date | None] = mapped_column(Date)
    onboarded_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once the channel refuses delivery (the person blocked the bot); set back to True
    # when they write again. Nothing is sent while False, but everything is kept.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # standard | vulnerable | trafficking | minor: sets the follow-up schedule.
    profile: Mapped[str] = mapped_column(String(16), default="standard",
                                         server_default="standard")
    last_mood: Mapped[int | None] = mapped_column(Integer)  # 1 (very bad) … 5 (very good)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # before departure
    # The answers in force, per purpose; ``consents`` keeps the full history.
    consent_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    # Analysis variables (domain.md §8), recorded by a case manager with /profile when known;
    # the bot never asks for them.
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    host_country: Mapped[str | None] = mapped_column(String(2))
    departed_on: Mapped[date | None] = mapped_column(Date)
    # Follow-up extended by a case manager past the profile's end, to this month after
    # return (/profile PERSON until=18m); None: the profile's own length.
    followup_until_months: Mapped[int | None] = mapped_column(Integer)


class Consent(Base):
    """One answer to one consent question; the newest row per purpose is in force."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class Conversation(Base):
    """Where a participant is: flow, state, flow data. ``version`` is the optimistic lock."""

    __tablename__ = "conversations"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(64))
    # What the person is in the middle of saying (answers so far): encrypted at rest.
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}


class OutboxMessage(Base):
    """Everything the bot sends, written in the transaction that decided to send it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        # A chat's unsent messages, oldest first: the sender sends only the oldest one.
        Index("ix_outbox_unsent", "channel", "chat_id", "id",
              sqlite_where=text("status IN ('pending', 'sending')"),
              postgresql_where=text("status IN ('pending', 'sending')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    # For a message to staff about a returnee (an alert, /case, a relayed message): that
    # person, so that erasing them erases these too (they quote their words).
    about_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="message")
    # The message as it will be sent (it may quote the person): encrypted while queued.
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    # Sent first when the queue is long: alerts and replies to a person at risk (2), then
    # answers to people writing now (1), then scheduled messages (0). A fan-out of check-ins
    # never delays an alert or a reply.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A Tier 1 message not delivered by then is re-alerted through other staff (then NULL).
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    # Messages of one bundle ("alert") queued for one chat go as one message.
    bundle: Mapped[str | None] = mapped_column(String(16))
    # The sender that holds the lease: its rows are due again as soon as it is known dead.
    leased_by: Mapped[str | None] = mapped_column(String(32))


class ProcessedUpdate(Base):
    """Inbound update ids already handled, so a redelivered update is ignored."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime]


OPEN_STATUSES = ("open", "acknowledged")


class Escalation(Base):
    """A person who needs a human: ``open → acknowledged → resolved`` (or ``cancelled``).

    At most one open escalation per person and category; later signals are added to it.
    Until it is acknowledged, ``next_alert_at`` says when the case managers are alerted again.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        Index("uq_escalations_open", "participant_id", "category", unique=True,
              sqlite_where=text("status IN ('open', 'acknowledged')"),
              postgresql_where=text("status IN ('open', 'acknowledged')")),
        Index("ix_escalations_due", "status", "next_alert_at"),
        Index("ix_escalations_queue", "tier", "created_at",  # the console's queue
              sqlite_where=text("status IN ('open', 'acknowledged')"),
              postgresql_where=text("status IN ('open', 'acknowledged')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    country: Mapped[str | None] = mapped_column(String(2))
    note_72h: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    ack_deadline: Mapped[datetime | None]
    next_alert_at: Mapped[datetime | None]
    alert_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(SealedText)


class EscalationSignal(Base):
    """One reason an escalation was opened or raised: a message, a survey answer, ..."""

    __tablename__ = "escalation_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The person's words, for the case manager. Never logged; encrypted at rest.
    excerpt: Mapped[str | None] = mapped_column(SealedText)


class Staff(Base):
    """A case manager, supervisor or country-office admin, known by their chat."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_staff_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # case_manager | supervisor | admin
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # female | male, when the staff member gives it: a returnee may ask for either.
    gender: Mapped[str | None] = mapped_column(String(8))
    # A staff command waiting for its next message (a resolution note), or nothing.
    pending: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class StaffInvite(Base):
    """A one-time code to join as staff. Only its hash is kept."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class Handoff(Base):
    """A case manager talking with a returnee through the bot; flows pause meanwhile."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("uq_handoffs_active", "participant_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what to whose data. Holds pseudonyms, never names or message text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FollowUp(Base):
    """One planned contact: a check-in the bot delivers, or a session a case manager holds.

    ``scheduled`` → ``sent`` (check-in delivered) → ``answered`` or, after the reminders,
    ``missed``; sessions for case managers become ``notified``; ``skipped`` while paused.
    """

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_due", "status", "due_at"),
        Index("ix_followups_reminder", "status", "next_reminder_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    sent_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    next_reminder_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class CheckIn(Base):
    """A check-in's answers. Free text is the person's words: never logged."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    followup_id: Mapped[int | None] = mapped_column(
        ForeignKey("followups.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    mood: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[str | None] = mapped_column(SealedText)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(SealedText)


# The research records' tables (W model, reflections, suggested providers, surveys,
# information feedback) live in their own module, on this Base; imported here so that
# ``storage.models`` still names them and every reader of the metadata sees them.
# Case management's tables live in their own module, on this Base; imported here so that
# every reader of the metadata (Alembic, the tests) sees them.
from storage import casefile_models as _casefile_models  # noqa: E402,F401
from storage.research_models import (  # noqa: E402,F401
    InfoFeedback,
    ProviderSuggestion,
    Survey,
    WModelEvent,
    WModelReflection,
)
