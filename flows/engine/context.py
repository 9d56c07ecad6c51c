"""What every step of a turn reads: the catalogs, the flows, casework, triage, the planner,
the scoring weights and the engine's settings, with the two small builders every step uses
(the participant's view, a Turn). One object, made once by the Engine and shared by the
router, the applier, the outbox writer and follow-up delivery, so that none of them reaches
back into the Engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.casework.casework import Casework
from flows.engine.events import Event, EventKind, ParticipantView
from flows.engine.flow import Flow, Turn
from flows.engine.records import NoRecords, Records
from flows.followups.followups import FollowUpPlanner
from flows.l10n.i18n import Catalogs
from flows.research.scoring import Weights
from flows.triage import Triage
from storage import repository as repo


@dataclass
class Context:
    catalogs: Catalogs
    flows: Mapping[str, type[Flow]]
    casework: Casework
    triage: Triage
    planner: FollowUpPlanner
    weights: Weights
    default_locale: str
    conversation_timeout: timedelta
    survey_window: timedelta
    languages: tuple[str, ...]

    def view(self, p: repo.ParticipantRecord) -> ParticipantView:
        return ParticipantView(
            pseudonym=p.pseudonym,
            locale=p.locale or self.default_locale,
            country=p.country,
            returned=p.returned,
            return_date=p.return_date,
            onboarded=p.onboarded_at is not None,
            paused=bool(p.paused),
            consents=dict(p.consent_state or {}),
            last_mood=p.last_mood,
            checklist=dict(p.checklist or {}),
        )

    def turn(self, view: ParticipantView, event: Event, now: datetime,
             data: dict[str, Any], records: Records | None = None) -> Turn:
        return Turn(view, event, now, data, languages=self.languages,
                    pack=self.casework.packs.get(view.country),
                    records=records or NoRecords(), survey_window=self.survey_window,
                    tiers=self.triage.tiers)


def trigger(person: repo.ParticipantRecord) -> Event:
    """The event of something the bot starts (a check-in, a notice), not the person."""
    return Event(person.channel, person.chat_id, EventKind.TRIGGER)
