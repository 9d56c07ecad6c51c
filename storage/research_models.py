"""The research records' tables: W-model points and reflections, providers a person
suggested, surveys and information feedback (``storage.models`` names them too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import SealedText
from storage.models import Base


class WModelEvent(Base):
    """A high or low point since return, in the person's words (domain.md §3). Check-ins
    add points; the W-model flow and chart build on these rows."""

    __tablename__ = "wmodel_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # up | down
    note: Mapped[str] = mapped_column(SealedText)
    months_since_return: Mapped[float | None]
    dimension: Mapped[str | None] = mapped_column(String(16))  # economic|social|psychosocial
    intensity: Mapped[int | None] = mapped_column(Integer)  # 1 … 5
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # The follow-up answers (was it overcome, how, who helped …), JSON, encrypted.
    details: Mapped[str | None] = mapped_column(SealedText)
    updated_at: Mapped[datetime | None]


class WModelReflection(Base):
    """After the ups and downs: hopes and plans, and the services that could help."""

    __tablename__ = "wmodel_reflections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    hopes: Mapped[str | None] = mapped_column(SealedText)
    services: Mapped[str | None] = mapped_column(SealedText)
    created_at: Mapped[datetime]


class ProviderSuggestion(Base):
    """A provider a returnee named, for the country office to check for its directory."""

    __tablename__ = "provider_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    provider: Mapped[str] = mapped_column(SealedText)
    service: Mapped[str | None] = mapped_column(SealedText)
    created_at: Mapped[datetime]


class Survey(Base):
    """One Reintegration Sustainability Survey: in progress (answers so far), complete
    (answers and scores, with the weights version), or discarded (answers erased)."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # in_progress|complete|discarded
    mode: Mapped[str] = mapped_column(String(12))  # chat | phone | in_person | paper
    answers: Mapped[str | None] = mapped_column(SealedText)  # JSON, encrypted
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    weights_version: Mapped[str | None] = mapped_column(String(40))
    economic: Mapped[float | None]
    social: Mapped[float | None]
    psychosocial: Mapped[float | None]
    composite: Mapped[float | None]
    abstentions: Mapped[int | None] = mapped_column(Integer)


class InfoFeedback(Base):
    """"Was this useful?" on an information page, for the country office."""

    __tablename__ = "info_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    topic: Mapped[str] = mapped_column(String(16))
    useful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]
