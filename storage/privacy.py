"""What is kept about a person, by kind, for their own privacy screen: how many of each and
from when to when. Counts and dates only: the words themselves are never read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.db import Connection
from storage.models import (
    CheckIn,
    Consent,
    Escalation,
    EscalationSignal,
    ProviderSuggestion,
    Survey,
    WModelEvent,
    WModelReflection,
)


@dataclass(frozen=True, slots=True)
class Kept:
    kind: str  # checkins, wmodel, reflections, surveys, survey_draft, alerts, own_words, ...
    count: int
    first: datetime | None
    last: datetime | None


def _span(conn: Connection, kind: str, column: Any, *where: Any) -> Kept:
    count, first, last = conn.execute(
        select(func.count(), func.min(column), func.max(column)).where(*where)).one()
    return Kept(kind, int(count or 0), first, last)


def kept_about(conn: Connection, participant_id: int) -> list[Kept]:
    """Every kind of record kept about the person that has at least one entry."""
    mine_alerts = select(Escalation.id).where(Escalation.participant_id == participant_id)
    spans = [
        _span(conn, "checkins", CheckIn.at, CheckIn.participant_id == participant_id),
        _span(conn, "wmodel", WModelEvent.created_at,
              WModelEvent.participant_id == participant_id),
        _span(conn, "reflections", WModelReflection.created_at,
              WModelReflection.participant_id == participant_id),
        _span(conn, "providers", ProviderSuggestion.created_at,
              ProviderSuggestion.participant_id == participant_id),
        _span(conn, "surveys", Survey.completed_at, Survey.participant_id == participant_id,
              Survey.status == "complete"),
        _span(conn, "survey_draft", Survey.updated_at, Survey.participant_id == participant_id,
              Survey.status == "in_progress"),
        _span(conn, "alerts", Escalation.created_at,
              Escalation.participant_id == participant_id),
        _span(conn, "own_words", EscalationSignal.at,
              EscalationSignal.escalation_id.in_(mine_alerts),
              EscalationSignal.excerpt.is_not(None)),
        _span(conn, "consents", Consent.at, Consent.participant_id == participant_id),
    ]
    return [kept for kept in spans if kept.count]
