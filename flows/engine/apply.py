"""Applying a turn's effects: every storage write a flow's decision implies, in one place and
inside the update's one transaction. The chart a person asks for is queued here too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flows.conversations.common import ALERTED, NOBODY_REACHED
from flows.engine.context import Context
from flows.engine.events import (
    AddWModelPoint,
    AnswerPlan,
    AnswerReferral,
    CompleteSurvey,
    DeleteMyData,
    DeleteWModelPoint,
    DiscardSurvey,
    Effect,
    MarkOnboarded,
    Msg,
    OpenEscalation,
    PostponeFollowUp,
    PreferCaseManager,
    RecordActivityProgress,
    RecordCheckIn,
    RecordConsent,
    RecordFeedback,
    RecordReflection,
    Reply,
    SavePlanObjectives,
    SaveSurveyDraft,
    SendChart,
    SetPaused,
    SetProfile,
    SettleScreening,
    UpdateWModelPoint,
)
from flows.engine.records import StoredRecords
from flows.l10n.dates import long_date
from flows.l10n.i18n import N_
from flows.research.chartdata import survey_payload, wmodel_payload
from flows.research.rss import AnswerError
from flows.research.scoring import LOW
from storage import followups as followups_db
from storage import repository as repo
from storage import research as research_db
from storage.db import Connection

log = logging.getLogger(__name__)

PROFILE_FIELDS = frozenset({"locale", "country", "returned", "return_date", "profile",
                            "last_mood", "checklist"})


class Applier:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def apply(
        self, conn: Connection, participant: repo.ParticipantRecord, effects: list[Effect],
        now: datetime
    ) -> bool:
        """Write what the flow decided. True when the participant was deleted."""
        for effect in list(effects):
            match effect:
                case SetProfile(fields=fields):
                    for key, value in fields.items():
                        if key not in PROFILE_FIELDS:
                            raise ValueError(f"flows may not set participant.{key}")
                        participant.set(**{key: value})
                case RecordConsent(purpose=purpose, version=version, granted=granted):
                    repo.record_consent(conn, participant, purpose, version, granted, now)
                case OpenEscalation():
                    self.ctx.casework.escalate(conn, participant, effect, now)
                    if not effect.screening and not self.ctx.casework.anyone_to_alert(
                            conn, participant.country):
                        _tell_nobody_was_reached(effects)
                case SettleScreening(confirmed=confirmed):
                    self.ctx.casework.settle_screening(conn, participant, confirmed, now)
                case SetPaused(paused=paused):
                    participant.set(paused=paused)
                case MarkOnboarded():
                    participant.set(onboarded_at=now)
                case RecordCheckIn():
                    followups_db.record_checkin(
                        conn, participant_id=participant.id, followup_id=effect.followup_id,
                        now=now, mood=effect.mood, events=effect.events,
                        needs=list(effect.needs), note=effect.note)
                    following = followups_db.next_checkin(conn, participant.id)
                    if following is not None:
                        effects.append(Reply(Msg(N_("Your next check-in is on {date}."), {
                            "date": long_date(following.date(), participant.locale or "en",
                                          participant.country)})))
                case RecordFeedback(topic=topic, useful=useful):
                    repo.record_feedback(conn, participant, topic, useful, now)
                case AddWModelPoint():
                    months = effect.months
                    if (months is None and participant.return_date is not None
                            and participant.returned):
                        months = round((now.date() - participant.return_date).days / 30.44, 1)
                    research_db.add_point(
                        conn, participant_id=participant.id, kind=effect.kind, note=effect.note,
                        months_since_return=months, source=effect.source, now=now,
                        dimension=effect.dimension, intensity=effect.intensity,
                        details=effect.details)
                case UpdateWModelPoint(point_id=point_id, fields=fields):
                    research_db.update_point(conn, participant.id, point_id, fields, now)
                case DeleteWModelPoint(point_id=point_id):
                    research_db.delete_point(conn, participant.id, point_id)
                case RecordReflection():
                    research_db.add_reflection(
                        conn, participant_id=participant.id, country=participant.country,
                        hopes=effect.hopes, services=effect.services,
                        providers=effect.providers, now=now)
                case SaveSurveyDraft(answers=answers):
                    research_db.save_draft(conn, participant.id, answers, now)
                case DiscardSurvey():
                    research_db.discard(conn, participant.id, now)
                case CompleteSurvey(answers=answers):
                    self._complete_survey(conn, participant, answers, now)
                case (SavePlanObjectives() | AnswerPlan() | RecordActivityProgress()
                      | AnswerReferral() | PreferCaseManager()):
                    effects.extend(self.ctx.casework.apply_case_effect(
                        conn, participant, effect, now))
                case SendChart():
                    pass  # after the turn's words: see _unit
                case PostponeFollowUp():
                    current = followups_db.current_checkin(conn, participant.id)
                    if current is not None:
                        followups_db.update_followup(
                            conn, current, status="scheduled",
                            due_at=now + timedelta(hours=effect.hours), next_reminder_at=None)
                case DeleteMyData():
                    repo.delete_participant(conn, participant, now)
                    return True
                case Reply():
                    pass
        return False

    def _complete_survey(self, conn: Connection, participant: repo.ParticipantRecord,
                         answers: dict[str, Any], now: datetime) -> None:
        """Score with the weights in force and store; a low score is a suggestion for the
        case manager (a Tier 3 notice), never a decision."""
        try:
            scores = self.ctx.weights.score(answers, "chat")
        except AnswerError:  # a flow bug, not the person's: keep their answers
            log.error("a complete survey could not be scored; kept as unfinished")
            research_db.save_draft(conn, participant.id, answers, now)
            return
        research_db.complete(conn, participant.id, answers, scores.as_dict(), "chat", now)
        if any(score is not None and score < LOW
               for score in (*scores.by_dimension().values(), scores.composite)):
            self.ctx.casework.escalate(conn, participant, OpenEscalation(
                tier=3, category="survey", source="survey",
                categories=("survey", "survey_low_score")), now)

    def send_chart(self, conn: Connection, participant: repo.ParticipantRecord, kind: str,
                    now: datetime) -> None:
        """The person's own chart, in their language, drawn by the sender on the way out."""
        locale = participant.locale or self.ctx.default_locale
        if kind == "survey":
            rows = research_db.completed(conn, participant.id)
            # no weights note: "provisional, not validated" is for the case manager
            payload = survey_payload(self.ctx.catalogs, locale, Msg(N_("Your survey results")),
                                     rows)
        else:
            points = StoredRecords(conn, participant.id).wmodel_points()
            payload = wmodel_payload(self.ctx.catalogs, locale,
                                     Msg(N_("Your ups and downs since return")), points)
        repo.add_outbox(conn, participant_id=participant.id, channel=participant.channel,
                        chat_id=participant.chat_id, kind="chart", now=now, payload=payload)


def _tell_nobody_was_reached(effects: list[Effect]) -> None:
    """The person is told the team was alerted only when someone was: with no staff at all,
    that sentence becomes an honest one (the escalation is kept for the first to join)."""
    for index, effect in enumerate(effects):
        if isinstance(effect, Reply) and effect.text.msgid in ALERTED:
            effects[index] = Reply(Msg(NOBODY_REACHED))
