"""Scheduled work for returnees. Delivering follow-ups when they are due: check-ins (opened
for everyone in one statement), reminders, missed check-ins of vulnerable people, session
notices for case managers and invitations the person can take up in chat; in chunks, each
its own transaction, so that a fan-out of thousands never holds up a person who writes in.
And erasing surveys left unfinished past their window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.conversations.survey import DISCARDED
from flows.engine.context import Context, trigger
from flows.engine.events import Effect, Event, EventKind, Msg, OpenEscalation, Reply
from flows.engine.outbox import OutboxWriter
from flows.followups.questions import CaseQuestions
from flows.l10n.i18n import N_
from storage import followups as followups_db
from storage import repository as repo
from storage import research as research_db
from storage.db import Connection, Database

# Scheduled sessions a person can also do in chat: they are told, with how to start.
INVITATIONS = {
    "survey": N_("It is time for the survey about how things are going since your return. "
                 "When you are ready, send /survey or choose Survey in the menu. It is up to "
                 "you, and your case manager may also ask you by phone."),
    "wmodel": N_("It is a good moment to look back at your ups and downs since your return. "
                 "When you are ready, send /wmodel or choose My ups and downs in the menu; "
                 "your case manager will go through them with you."),
}


class FollowUpDelivery:
    def __init__(self, ctx: Context, db: Database, outbox: OutboxWriter,
                 clock: Callable[[], datetime], committed: Callable[[], None]) -> None:
        self.ctx = ctx
        self.db = db
        self.outbox = outbox
        self.clock = clock
        self.committed = committed
        self.questions = CaseQuestions(ctx, outbox, self)  # plan and referral questions

    async def run(self, chunk: int = 100) -> int:
        """Deliver due check-ins and reminders, and tell case managers of due sessions.

        Work goes in chunks, each its own transaction, with a pause between them so that a
        fan-out of thousands of check-ins never holds up a person who writes in.
        """
        total = 0
        for step in (self._followup_chunk, self.questions.chunk):
            while True:
                done, claimed = await self.db.run(step, self.clock(), chunk)
                total += done
                if done:
                    self.committed()
                if claimed < chunk:
                    break
                await asyncio.sleep(0)
        return total

    def _followup_chunk(self, conn: Connection, now: datetime, limit: int) -> tuple[int, int]:
        """One transaction: claim due follow-ups with their people in one query, decide each,
        then write the messages and the follow-ups' new states in one statement each. Only
        the conversation moves row by row, guarded by its version."""
        due = followups_db.claim_due(conn, now, limit)
        reminders = followups_db.claim_reminders(conn, now, max(0, limit - len(due)))
        outbox: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        starting: list[tuple[repo.ParticipantRecord, dict[str, Any]]] = []
        done = 0
        checkins = {row.participant_id for row in due if self.ctx.planner.is_checkin(row.kind)}
        for row in due:
            done += self._deliver(conn, row, now, updates, starting, checkins)
        done += self._start_checkins(conn, starting, now, outbox)
        for row in reminders:
            done += self._remind(conn, row, now, outbox, updates)
        repo.add_outbox_many(conn, outbox, now)
        followups_db.update_many(conn, updates)
        return done, len(due) + len(reminders)

    def _start_checkins(self, conn: Connection,
                        starting: list[tuple[repo.ParticipantRecord, dict[str, Any]]],
                        now: datetime, outbox: list[dict[str, Any]]) -> int:
        """Open the check-in for everyone in one statement; who wrote in meanwhile (their
        conversation's version moved) waits for the next pass."""
        if not starting:
            return 0
        moved = repo.enter_flow_many(
            conn, [(p.id, p.conversation.version) for p, _ in starting if p.conversation],
            flow="checkin", state="opening", expires_at=now + self.ctx.conversation_timeout,
            now=now)
        for person, change in starting:
            if person.id not in moved:
                change["due_at"] = now + self.ctx.planner.timing.busy_retry
                continue
            outbox.append(self._opening(person, now, reminder=False))
            change.update(status="sent", sent_at=now, reminders=0,
                          next_reminder_at=now + self.ctx.planner.timing.reminders[0])
        return len(moved)

    def busy(self, person: repo.ParticipantRecord, now: datetime) -> bool:
        return self._busy(person, now)

    def _busy(self, person: repo.ParticipantRecord, now: datetime) -> bool:
        """In the middle of something: a check-in waits until the person is free."""
        conv = person.conversation
        if person.handoff_id is not None:
            return True
        if conv is None or conv.flow == "menu":
            return False
        return not (conv.expires_at is not None and now > conv.expires_at)

    def _invitation_wait(self, person: repo.ParticipantRecord, now: datetime,
                         checkins: set[int]) -> datetime | None:
        """When an invitation to a session must wait, until when; None: now is fine."""
        allowed = self.ctx.planner.allowed_at(person.country, now)
        if allowed > now:
            return allowed
        if person.id in checkins:
            return now + timedelta(days=1)  # a check-in goes out today: tomorrow
        if self._busy(person, now):
            return now + self.ctx.planner.timing.busy_retry
        return None

    def _deliver(self, conn: Connection, row: Any, now: datetime,
                 updates: list[dict[str, Any]],
                 starting: list[tuple[repo.ParticipantRecord, dict[str, Any]]],
                 checkins: set[int]) -> int:
        person = followups_db.person_of(row)
        change = followups_db.unchanged(row)
        updates.append(change)
        if person is None or not self.ctx.planner.eligible(person):
            change["status"] = "skipped"
            return 0
        if not self.ctx.planner.is_checkin(row.kind):
            invitation = INVITATIONS.get(row.kind)
            if invitation is not None:
                # One topic at a time, and never at night or in the middle of something.
                later = self._invitation_wait(person, now, checkins)
                if later is not None:
                    change["due_at"] = later
                    return 0
            self.ctx.casework.session_due(conn, person, row.kind, now)
            if invitation is not None:  # the person can do this one in chat, too
                message = self.outbox.row(person.id, trigger(person),
                                           person.locale or self.ctx.default_locale,
                                           [Reply(Msg(invitation))], None, repo.SCHEDULED,
                                           person.country)
                if message is not None:
                    repo.add_outbox(conn, now=now, **message)
            change["status"] = "notified"
            return 1
        allowed = self.ctx.planner.allowed_at(person.country, now)
        if allowed > now:
            change["due_at"] = allowed
            return 0
        if self._busy(person, now) or person.conversation is None:
            change["due_at"] = now + self.ctx.planner.timing.busy_retry
            return 0
        starting.append((person, change))
        return 0

    def _remind(self, conn: Connection, row: Any, now: datetime,
                outbox: list[dict[str, Any]], updates: list[dict[str, Any]]) -> int:
        person = followups_db.person_of(row)
        timing = self.ctx.planner.timing
        change = followups_db.unchanged(row)
        updates.append(change)
        if person is None or not self.ctx.planner.eligible(person):
            change.update(status="skipped", next_reminder_at=None)
            return 0
        if row.reminders >= len(timing.reminders):
            change.update(status="missed", next_reminder_at=None)
            self._missed(conn, person, row, now)
            return 1
        allowed = self.ctx.planner.allowed_at(person.country, now)
        if allowed > now:
            change["next_reminder_at"] = allowed
            return 0
        conv = person.conversation
        if conv is not None and conv.flow == "checkin":
            turn = self.ctx.turn(self.ctx.view(person), trigger(person), now, dict(conv.data))
            prompt = self.ctx.flows["checkin"](turn, conv.state).prompt()
            message = self.outbox.row(person.id, turn.event, turn.participant.locale,
                                       [Reply(Msg(N_("A gentle reminder: your check-in is "
                                                     "waiting.")))], prompt, repo.SCHEDULED,
                                       person.country)
        elif self._busy(person, now):
            change["next_reminder_at"] = now + timing.busy_retry
            return 0
        else:
            message = self._start_checkin(conn, person, now)
        if message is None:
            change["next_reminder_at"] = now + timing.busy_retry
            return 0
        outbox.append(message)
        sent = row.reminders + 1
        following = (timing.reminders[sent] if sent < len(timing.reminders)
                     else timing.missed_after)
        change.update(reminders=sent, next_reminder_at=row.sent_at + following)
        return 1

    def _missed(self, conn: Connection, person: repo.ParticipantRecord, row: Any,
                now: datetime) -> None:
        """Two missed check-ins in a row of someone vulnerable: lost contact, Tier 3."""
        if person.profile == "standard":
            return
        if followups_db.previous_checkin_status(conn, person.id, row.due_at) == "missed":
            self.ctx.casework.escalate(conn, person, OpenEscalation(
                tier=3, category="lost_contact", source="lost_contact",
                categories=("lost_contact",)), now)

    def _start_checkin(self, conn: Connection, person: repo.ParticipantRecord,
                       now: datetime) -> dict[str, Any] | None:
        """Move one person into the check-in (a reminder); None when the conversation
        changed meanwhile (they are writing: the check-in waits)."""
        conversation = person.conversation or repo.ConversationRecord(
            "menu", "main", {}, None, None)
        conversation.flow, conversation.state, conversation.data = "checkin", "opening", {}
        try:
            repo.save_conversation(conn, person, conversation,
                                   expires_at=now + self.ctx.conversation_timeout, now=now)
        except repo.StaleConversation:
            return None
        return self._opening(person, now, reminder=True)

    def _opening(self, person: repo.ParticipantRecord, now: datetime, *, reminder: bool
                 ) -> dict[str, Any]:
        turn = self.ctx.turn(self.ctx.view(person), trigger(person), now, {})
        prompt = self.ctx.flows["checkin"](turn, "opening").prompt()
        said: list[Effect] = ([Reply(Msg(N_("A gentle reminder: your check-in is waiting.")))]
                              if reminder else [])
        row = self.outbox.row(person.id, turn.event, turn.participant.locale, said, prompt,
                               repo.SCHEDULED, person.country)
        assert row is not None
        return row

    def expire_surveys(self, conn: Connection, now: datetime) -> int:
        """Erase surveys left unfinished past the window, and tell each person so."""
        rows = research_db.stale_drafts(conn, now - self.ctx.survey_window)
        outbox = []
        for row in rows:
            research_db.discard(conn, row.participant_id, now)
            if row.paused or not row.reachable:
                continue
            locale = row.locale or self.ctx.default_locale
            event = Event(row.channel, row.chat_id, EventKind.TRIGGER)
            message = self.outbox.row(row.participant_id, event, locale, [Reply(Msg(
                DISCARDED, {"days": self.ctx.survey_window.days}))], None, repo.SCHEDULED,
                row.country)
            if message is not None:
                outbox.append(message)
        repo.add_outbox_many(conn, outbox, now)
        return len(rows)
