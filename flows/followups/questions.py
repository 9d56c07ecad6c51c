"""Putting case-management questions to a returnee when they are due: "do you agree with
your updated plan?", "may we refer you to this provider?", "did you reach the service?".

Like a check-in, a question waits for the allowed hours and for the person to be free (not
in another conversation, not talking with a case manager), and is never sent while they
paused messages or blocked the bot; it moves the person into the flow that asks it, guarded
by the conversation's version, in the same transaction as the message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flows.engine.context import Context, trigger
from flows.engine.outbox import OutboxWriter
from flows.engine.records import StoredRecords
from storage import casefile as case_db
from storage import repository as repo
from storage.db import Connection

if TYPE_CHECKING:
    from flows.followups.delivery import FollowUpDelivery

LATER = timedelta(days=1)  # someone paused or unreachable: look again tomorrow


class CaseQuestions:
    def __init__(self, ctx: Context, outbox: OutboxWriter, delivery: FollowUpDelivery) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.delivery = delivery

    def chunk(self, conn: Connection, now: datetime, limit: int) -> tuple[int, int]:
        """One transaction: the due questions, each asked or moved on; (asked, claimed)."""
        rows = case_db.claim_due_questions(conn, now, limit)
        asked = sum(self._ask(conn, row._mapping, now) for row in rows)
        return asked, len(rows)

    def _ask(self, conn: Connection, values: Any, now: datetime) -> int:
        qid = values["q_id"]
        person = repo.record_from(values)
        place = self._place(conn, values["q_kind"], values["q_ref_id"], person)
        if place is None:  # answered or replaced meanwhile
            case_db.update_question(conn, qid, status="cancelled")
            return 0
        if person.onboarded_at is None or person.paused or not person.reachable:
            case_db.update_question(conn, qid, due_at=now + LATER)
            return 0
        allowed = self.ctx.planner.allowed_at(person.country, now)
        if allowed > now:
            case_db.update_question(conn, qid, due_at=allowed)
            return 0
        if self.delivery.busy(person, now):
            case_db.update_question(conn, qid, due_at=now + self.ctx.planner.timing.busy_retry)
            return 0
        flow, state, data = place
        conversation = person.conversation or repo.ConversationRecord("menu", "main", {},
                                                                      None, None)
        conversation.flow, conversation.state, conversation.data = flow, state, data
        try:
            repo.save_conversation(conn, person, conversation,
                                   expires_at=now + self.ctx.conversation_timeout, now=now)
        except repo.StaleConversation:  # they are writing: ask a little later
            case_db.update_question(conn, qid, due_at=now + self.ctx.planner.timing.busy_retry)
            return 0
        turn = self.ctx.turn(self.ctx.view(person), trigger(person), now, dict(data),
                             StoredRecords(conn, person.id))
        prompt = self.ctx.flows[flow](turn, state).prompt()
        message = self.outbox.row(person.id, turn.event, turn.participant.locale, [], prompt,
                                  repo.SCHEDULED, person.country)
        if message is not None:
            repo.add_outbox(conn, now=now, **message)
        case_db.update_question(conn, qid, status="asked", asked_at=now)
        return 1

    @staticmethod
    def _place(conn: Connection, kind: str, ref_id: int, person: repo.ParticipantRecord
               ) -> tuple[str, str, dict[str, Any]] | None:
        """Where the question is asked (flow, state, its data), or None if moot."""
        if kind == "plan_consent":
            current = case_db.current_plan(conn, person.id)
            if current is None or current.version != ref_id or current.consent is not None:
                return None
            return "plan", "show", {}
        referral = case_db.referral(conn, ref_id)
        if referral is None or referral.participant_id != person.id:
            return None
        data = {"_referral": referral.id, "_provider": referral.provider_name,
                "_service": referral.service, "_shared": list(referral.shared)}
        if kind == "referral_consent" and referral.status == "proposed":
            return "referral", "consent", data
        if kind == "referral_outcome" and referral.status == "made":
            return "referral", "reached", data
        return None
