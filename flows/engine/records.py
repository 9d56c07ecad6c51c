"""What a flow may look up about the person beyond the snapshot it is given: their W-model
points, an unfinished survey, and what kinds of records are kept (counts and dates). Read
through the engine's open unit of work, so a flow sees what this very turn wrote; outside a
unit of work (screens, previews) there is nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flows.casework.plan import Plan, StoredPlan
from storage import casefile as case_db
from storage import research as db
from storage.db import Connection
from storage.privacy import Kept, kept_about


@dataclass(frozen=True, slots=True)
class WPoint:
    id: int
    kind: str  # up | down
    note: str
    months: float | None
    dimension: str | None
    intensity: int | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SurveyDraft:
    answers: dict[str, Any]
    started_at: datetime
    updated_at: datetime


class Records(Protocol):
    def wmodel_points(self) -> list[WPoint]: ...

    def survey_draft(self) -> SurveyDraft | None: ...

    def completed_surveys(self) -> int: ...

    def current_plan(self) -> StoredPlan | None: ...

    def case_counts(self) -> dict[str, int]: ...
    def kept(self) -> list[Kept]: ...


class NoRecords:
    """Nobody's records: for screens rendered outside a unit of work."""

    def wmodel_points(self) -> list[WPoint]:
        return []

    def survey_draft(self) -> SurveyDraft | None:
        return None

    def completed_surveys(self) -> int:
        return 0

    def current_plan(self) -> StoredPlan | None:
        return None

    def case_counts(self) -> dict[str, int]:
        return {}
    def kept(self) -> list[Kept]:
        return []


class StoredRecords:
    def __init__(self, conn: Connection, participant_id: int) -> None:
        self.conn = conn
        self.participant_id = participant_id

    def wmodel_points(self) -> list[WPoint]:
        return [WPoint(r.id, r.kind, r.note, r.months_since_return, r.dimension, r.intensity,
                       db.details_of(r)) for r in db.points(self.conn, self.participant_id)]

    def survey_draft(self) -> SurveyDraft | None:
        row = db.draft(self.conn, self.participant_id)
        if row is None:
            return None
        return SurveyDraft(db.answers_of(row), row.started_at, row.updated_at)

    def completed_surveys(self) -> int:
        return db.count_completed(self.conn, self.participant_id)

    def current_plan(self) -> StoredPlan | None:
        row = case_db.current_plan(self.conn, self.participant_id)
        if row is None:
            return None
        progress = case_db.progress_of(self.conn, self.participant_id)
        return StoredPlan(row.version, Plan.from_json(row.content), row.author, row.consent,
                          progress[-1].at if progress else None)

    def case_counts(self) -> dict[str, int]:
        """What case management keeps about the person, counted for "my data"."""
        return {"plan_versions": len(case_db.plan_versions(self.conn, self.participant_id)),
                "referrals": len(case_db.referrals_of(self.conn, self.participant_id)),
                "sessions": len(case_db.sessions_of(self.conn, self.participant_id))}
    def kept(self) -> list[Kept]:
        return kept_about(self.conn, self.participant_id)
