"""The tables of case management (IOM handbook §2.3 and Annex 3): who the returnee's case
manager is (with the history of handovers), the sessions held, the reintegration plan in
versions, how its activities are going, the referral directory the office adds to,
referrals with their consent and outcome, needs no provider meets, and the questions the bot
has to put to a returnee about them (asked when the person is free).

Every word a person or a case manager wrote (objectives, activities, notes) is encrypted at
rest; every row tied to a returnee goes with them when they delete their data (cascade).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import SealedJSON, SealedText
from storage.models import Base

_PERSON = "participants.id"


class CaseAssignment(Base):
    """A returnee's case manager from ``started_at`` until ``ended_at`` (None: now).

    Reassignment ends one row and starts another, so the history of who held the case is
    kept; at most one row per person is open."""

    __tablename__ = "case_assignments"
    __table_args__ = (
        Index("uq_case_assignments_open", "participant_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"),
                                                 index=True)
    staff_pseudonym: Mapped[str] = mapped_column(String(16))  # kept if the staff row goes
    assigned_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # manual | preference | handover
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class CaseFile(Base):
    """What the case holds beyond the participant row: the case manager the person would
    prefer (female or male, where the office has one) and the date the plan was actually
    agreed, which anchors the monitoring schedule."""

    __tablename__ = "case_files"

    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                primary_key=True)
    preferred_gender: Mapped[str | None] = mapped_column(String(8))
    plan_date: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime]


class CaseSession(Base):
    """A session a case manager held: plan, W model, survey, monitoring, other."""

    __tablename__ = "case_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    staff_pseudonym: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))  # in_person | phone | online | chat
    held_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(SealedText)
    created_at: Mapped[datetime]


class PlanVersion(Base):
    """One version of a person's reintegration plan (Annex 3), whole: each change is a new
    row with who made it. ``consent``: the person's answer to this version (None: not yet
    asked or not yet answered)."""

    __tablename__ = "plan_versions"
    __table_args__ = (Index("uq_plan_versions_number", "participant_id", "version",
                            unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The dimensions, activities, assistance, costs, exit strategy: JSON, encrypted.
    content: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    plan_date: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(64))  # participant | staff:S-…
    created_at: Mapped[datetime]
    consent: Mapped[str | None] = mapped_column(String(16))  # agreed | declined
    consent_at: Mapped[datetime | None]


class PlanProgress(Base):
    """How one activity of the plan is going, in the person's words, asked now and then."""

    __tablename__ = "plan_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(32))  # dimension:index
    status: Mapped[str] = mapped_column(String(16))  # well | slowly | stuck | not_started
    note: Mapped[str | None] = mapped_column(SealedText)
    at: Mapped[datetime]


class Provider(Base):
    """A provider the country office added to the referral directory (the country pack's
    services are the rest of it). An organisation, not a person: kept in clear."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(200))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Referral(Base):
    """A returnee guided to a provider for a service: what is shared under which consent
    (given for this provider, with the consent text's version), and what came of it.

    ``proposed`` (waiting for the person's consent) → ``made`` or ``declined``; after the
    set number of days the person is asked → ``reached`` or ``not_reached``."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    provider_ref: Mapped[str] = mapped_column(String(40))  # office:ID | pack:CC:INDEX
    provider_name: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(32))
    shared: Mapped[list[str]] = mapped_column(JSON, default=list)  # fields the consent covers
    note: Mapped[str | None] = mapped_column(SealedText)  # the case manager's, encrypted
    status: Mapped[str] = mapped_column(String(16))
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    ask_at: Mapped[datetime | None]  # when to ask whether they reached it
    reached: Mapped[bool | None] = mapped_column(Boolean)
    helped: Mapped[str | None] = mapped_column(String(16))  # yes | somewhat | no
    answered_at: Mapped[datetime | None]


class UnmetNeed(Base):
    """A need for which no provider exists: recorded for advocacy (handbook §2.3.2)."""

    __tablename__ = "unmet_needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    service: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(SealedText)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CaseQuestion(Base):
    """Something the bot must ask the returnee (agree to the changed plan, consent to a
    referral, whether they reached the service, how an activity goes): delivered when due
    and the person is free, like a check-in. ``pending`` → ``asked`` → ``answered``."""

    __tablename__ = "case_questions"
    __table_args__ = (Index("ix_case_questions_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey(_PERSON, ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(24))  # plan_consent | referral_consent | …
    ref_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]


__all__ = ["CaseAssignment", "CaseFile", "CaseQuestion", "CaseSession", "PlanProgress",
           "PlanVersion", "Provider", "Referral", "UnmetNeed"]
