"""The tables of the web console: one-time login links and sessions (only hashes of their
secrets are kept), case managers' notes, and the transcript of a handoff.

Notes and transcripts are people's words: encrypted at rest, and erased with the returnee
(``ON DELETE CASCADE`` from ``participants``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import SealedText
from storage.models import Base


class ConsoleLoginToken(Base):
    """A link the bot sent to a staff member's own chat: valid once, for a few minutes."""

    __tablename__ = "console_login_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds the secret; the table only its hash. Ended by
    logout, the idle timeout, or the staff member's deactivation."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class CaseNote(Base):
    """A case manager's note on a returnee, private to staff (the returnee never sees it)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(SealedText)


class HandoffMessage(Base):
    """One message of a handoff, either way (``from_staff``), for the case page."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_handoff", "handoff_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    from_staff: Mapped[bool]
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(SealedText)
