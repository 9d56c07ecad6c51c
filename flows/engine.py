"""The flow engine: an Event in, one transaction out.

For each event the engine loads the participant and conversation, runs global interrupts or
the current flow's state machine, and commits the new state, the records and the outbox rows
in one transaction guarded by the conversation's version. Nothing is sent from here: the
outbox is drained by the sender, which ``on_commit`` wakes at once.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from flows.casework import Casework
from flows.chartdata import survey_payload, wmodel_payload
from flows.common import FOLLOW_UP, SHARING, emergency_lines, request_person
from flows.countries import CountryPacks
from flows.dates import long_date
from flows.events import (
    AddWModelPoint,
    CompleteSurvey,
    DeleteMyData,
    DeleteWModelPoint,
    DiscardSurvey,
    Effect,
    Event,
    EventKind,
    MarkOnboarded,
    Msg,
    OpenEscalation,
    ParticipantView,
    PostponeFollowUp,
    RecordCheckIn,
    RecordConsent,
    RecordFeedback,
    RecordReflection,
    Reply,
    SaveSurveyDraft,
    SendChart,
    SetPaused,
    SetProfile,
    SettleScreening,
    UpdateWModelPoint,
)
from flows.flow import RESUME, Flow, Prompt, Turn
from flows.followups import REPLAN_FIELDS, FollowUpPlanner, Timing
from flows.i18n import N_, Catalogs
from flows.places import fold
from flows.records import NoRecords, Records, StoredRecords
from flows.registry import FLOWS
from flows.rss import AnswerError
from flows.safety import escalation, screening
from flows.scoring import LOW, Weights
from flows.survey import DISCARDED, expire_if_stale
from flows.triage import Embedded, NeedsEmbedding, Triage
from storage import casework as casework_db
from storage import followups as followups_db
from storage import repository as repo
from storage import research as research_db
from storage.db import Connection, Database

log = logging.getLogger(__name__)

PROFILE_FIELDS = frozenset({"locale", "country", "returned", "return_date", "profile",
                            "last_mood", "checklist"})
SIDE_TRIPS = {"language": "language", "privacy": "privacy", "stop": "pause"}
# Scheduled sessions a person can also do in chat: they are told, with how to start.
INVITATIONS = {
    "survey": N_("It is time for the survey about how things are going since your return. "
                 "When you are ready, send /survey or choose Survey in the menu. It is up to "
                 "you, and your case manager may also ask you by phone."),
    "wmodel": N_("It is a good moment to look back at your ups and downs since your return. "
                 "When you are ready, send /wmodel or choose My ups and downs in the menu; "
                 "your case manager will go through them with you."),
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # rolled back; the person got an apology
    UNAVAILABLE = "unavailable"  # nothing could be recorded (database down): deliver again


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    flow: str | None = None
    state: str | None = None


class Engine:
    """Runs flows for every participant; safe to create anew at any time (all state is stored)."""

    def __init__(
        self,
        database: Database,
        catalogs: Catalogs,
        *,
        flows: Mapping[str, type[Flow]] = FLOWS,
        clock: Callable[[], datetime] = utcnow,
        conversation_timeout: timedelta = timedelta(days=7),
        default_locale: str = "en",
        on_commit: Callable[[], None] | None = None,
        casework: Casework | None = None,
        triage: Triage | None = None,
        timing: Timing | None = None,
        weights: Weights | None = None,
        survey_window: timedelta = timedelta(days=7),
    ) -> None:
        self.db = database
        self.catalogs = catalogs
        self.flows = flows
        self.clock = clock
        self.conversation_timeout = conversation_timeout
        self.default_locale = catalogs.best_match(default_locale)
        self.on_commit = on_commit
        self.casework = casework or Casework(catalogs, CountryPacks.load(catalogs.locales_dir))
        self.triage = triage or Triage.load(catalogs.locales_dir)
        self._tiers = self.triage.tiers
        self.planner = FollowUpPlanner(self.casework.packs, timing)
        self.casework.replan = self.planner.replan
        self._label_cache: dict[tuple[str, str], tuple[str, str]] = {}
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.languages = tuple(catalogs.languages)
        self.weights = weights or Weights.default()
        self.survey_window = survey_window
        self.casework.weights = self.weights

    def _turn(self, view: ParticipantView, event: Event, now: datetime,
              data: dict[str, Any], records: Records | None = None) -> Turn:
        return Turn(view, event, now, data, languages=self.languages,
                    pack=self.casework.packs.get(view.country),
                    records=records or NoRecords(), survey_window=self.survey_window,
                    tiers=self._tiers)

    def _lock(self, event: Event) -> asyncio.Lock:
        key = (event.channel, event.chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, event: Event) -> Result:
        """Process one event; updates of one chat are processed one at a time."""
        async with self._lock(event):
            embedded: Embedded | None = None
            for _attempt in range(5):
                try:
                    result = await self._handle_once(event, embedded)
                except NeedsEmbedding:
                    # Free text that needs triage: embedded on its thread (the event loop
                    # goes on), then the unit runs again from the start with it.
                    embedded = await self.triage.embed_async(event.text)
                    continue
                except repo.CONFLICTS:
                    # Another worker got there first (version or first-contact race): retry
                    # on fresh data. A redelivered update then shows up as a duplicate.
                    continue
                except Exception as exc:
                    self._log_failure(event, exc)
                    if await self._apologise(event):
                        return Result(Outcome.FAILED)
                    return Result(Outcome.UNAVAILABLE)
                if result.outcome is Outcome.DONE and self.on_commit is not None:
                    self.on_commit()
                return result
            log.error("gave up on a %s event after repeated concurrent updates", event.kind)
            await self._apologise(event)
            return Result(Outcome.FAILED)

    async def _handle_once(self, event: Event, embedded: Embedded | None = None) -> Result:
        return await self.db.run(self._unit, event, self.clock(), embedded)

    def _unit(self, conn: Connection, event: Event, now: datetime,
              embedded: Embedded | None = None) -> Result:
        """The whole update as one unit of work: load, decide, write. Nothing is awaited."""
        if event.update_id is not None and not repo.claim_update(
            conn, event.channel, event.update_id, now
        ):
            return Result(Outcome.DUPLICATE)
        participant = repo.load_participant(conn, event.channel, event.chat_id)
        casework = self.casework
        if casework.is_join(event):
            casework.join(conn, event, participant, now)
            return Result(Outcome.DONE)
        if participant is None:  # staff chats have no participant row
            staff = casework_db.load_staff(conn, event.channel, event.chat_id)
            if staff is not None:
                casework.handle_staff(conn, staff, event, now)
                return Result(Outcome.DONE)
        if casework.is_staff_action(event):
            actor = (f"participant:{participant.pseudonym}" if participant is not None
                     else f"{event.channel}:unknown")
            locale = (participant.locale if participant is not None and participant.locale
                      else self.catalogs.best_match(event.locale_hint, self.default_locale))
            casework.refuse(conn, event, actor, locale, now)
            return Result(Outcome.DONE)
        if event.kind in (EventKind.BLOCKED, EventKind.UNBLOCKED):
            # Facts about the chat, not answers: recorded, never replied to.
            if participant is not None:
                participant.set(reachable=event.kind is not EventKind.BLOCKED)
                repo.save_participant(conn, participant)
            return Result(Outcome.DONE)
        if event.edited and (
            participant is None or event.kind is not EventKind.TEXT
            or self.triage.assess(event.text, [participant.locale or "en", "en"],
                                  embedded).tier is None
        ):
            # An edit does not re-answer an earlier question; it is read only for distress.
            return Result(Outcome.DONE)
        if participant is None:
            locale = self.catalogs.best_match(event.locale_hint, self.default_locale)
            participant = repo.create_participant(conn, event.channel, event.chat_id,
                                                  locale, now)
        elif not participant.reachable:  # they write again: they can be written to again
            participant.set(reachable=True)
        if participant.handoff_staff_chat and event.kind in (EventKind.TEXT, EventKind.MEDIA):
            casework.relay_to_staff(conn, participant, event, now)
            repo.save_participant(conn, participant)
            return Result(Outcome.DONE)
        conversation = participant.conversation or repo.ConversationRecord(
            "onboarding", self.flows["onboarding"].initial, {}, None, None)
        turn = self._turn(self._view(participant), event, now, dict(conversation.data),
                          StoredRecords(conn, participant.id))
        turn.embedded = embedded
        flow_name, state = self._run(turn, conversation)
        deleted = self._apply(conn, participant, turn.effects, now)
        if deleted:
            locale = participant.locale or self.default_locale
            self._write_outbox(conn, None, event, locale, turn.effects, None, now)
            return Result(Outcome.DONE)
        if participant.onboarded_at is not None and participant.changes.keys() & REPLAN_FIELDS:
            self.planner.replan(conn, participant, now)  # nothing is planned before
        repo.save_participant(conn, participant)
        view = self._view(participant)
        turn.participant = view
        prompt = None if turn.quiet else self.flows[flow_name](turn, state).prompt()
        conversation.flow, conversation.state, conversation.data = flow_name, state, turn.data
        repo.save_conversation(conn, participant, conversation,
                               expires_at=now + self.conversation_timeout, now=now)
        self._write_outbox(conn, participant.id, event, view.locale, turn.effects, prompt,
                           now, view.country)
        for effect in turn.effects:
            if isinstance(effect, SendChart):
                self._send_chart(conn, participant, effect.kind, now)
        return Result(Outcome.DONE, flow_name, state)

    # Follow-ups ------------------------------------------------------------------------

    async def run_followups(self, chunk: int = 100) -> int:
        """Deliver due check-ins and reminders, and tell case managers of due sessions.

        Work goes in chunks, each its own transaction, with a pause between them so that a
        fan-out of thousands of check-ins never holds up a person who writes in.
        """
        total = 0
        while True:
            done, claimed = await self.db.run(self._followup_chunk, self.clock(), chunk)
            total += done
            if done and self.on_commit is not None:
                self.on_commit()
            if claimed < chunk:
                return total
            await asyncio.sleep(0)

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
        checkins = {row.participant_id for row in due if self.planner.is_checkin(row.kind)}
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
            flow="checkin", state="opening", expires_at=now + self.conversation_timeout,
            now=now)
        for person, change in starting:
            if person.id not in moved:
                change["due_at"] = now + self.planner.timing.busy_retry
                continue
            outbox.append(self._opening(person, now, reminder=False))
            change.update(status="sent", sent_at=now, reminders=0,
                          next_reminder_at=now + self.planner.timing.reminders[0])
        return len(moved)

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
        allowed = self.planner.allowed_at(person.country, now)
        if allowed > now:
            return allowed
        if person.id in checkins:
            return now + timedelta(days=1)  # a check-in goes out today: tomorrow
        if self._busy(person, now):
            return now + self.planner.timing.busy_retry
        return None

    def _deliver(self, conn: Connection, row: Any, now: datetime,
                 updates: list[dict[str, Any]],
                 starting: list[tuple[repo.ParticipantRecord, dict[str, Any]]],
                 checkins: set[int]) -> int:
        person = followups_db.person_of(row)
        change = followups_db.unchanged(row)
        updates.append(change)
        if person is None or not self.planner.eligible(person):
            change["status"] = "skipped"
            return 0
        if not self.planner.is_checkin(row.kind):
            invitation = INVITATIONS.get(row.kind)
            if invitation is not None:
                # One topic at a time, and never at night or in the middle of something.
                later = self._invitation_wait(person, now, checkins)
                if later is not None:
                    change["due_at"] = later
                    return 0
            self.casework.session_due(conn, person, row.kind, now)
            if invitation is not None:  # the person can do this one in chat, too
                message = self._outbox_row(person.id, self._trigger(person),
                                           person.locale or self.default_locale,
                                           [Reply(Msg(invitation))], None, repo.SCHEDULED,
                                           person.country)
                if message is not None:
                    repo.add_outbox(conn, now=now, **message)
            change["status"] = "notified"
            return 1
        allowed = self.planner.allowed_at(person.country, now)
        if allowed > now:
            change["due_at"] = allowed
            return 0
        if self._busy(person, now) or person.conversation is None:
            change["due_at"] = now + self.planner.timing.busy_retry
            return 0
        starting.append((person, change))
        return 0

    def _remind(self, conn: Connection, row: Any, now: datetime,
                outbox: list[dict[str, Any]], updates: list[dict[str, Any]]) -> int:
        person = followups_db.person_of(row)
        timing = self.planner.timing
        change = followups_db.unchanged(row)
        updates.append(change)
        if person is None or not self.planner.eligible(person):
            change.update(status="skipped", next_reminder_at=None)
            return 0
        if row.reminders >= len(timing.reminders):
            change.update(status="missed", next_reminder_at=None)
            self._missed(conn, person, row, now)
            return 1
        allowed = self.planner.allowed_at(person.country, now)
        if allowed > now:
            change["next_reminder_at"] = allowed
            return 0
        conv = person.conversation
        if conv is not None and conv.flow == "checkin":
            turn = self._turn(self._view(person), self._trigger(person), now, dict(conv.data))
            prompt = self.flows["checkin"](turn, conv.state).prompt()
            message = self._outbox_row(person.id, turn.event, turn.participant.locale,
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
            self.casework.escalate(conn, person, OpenEscalation(
                tier=3, category="lost_contact", source="lost_contact",
                categories=("lost_contact",)), now)

    @staticmethod
    def _trigger(person: repo.ParticipantRecord) -> Event:
        return Event(person.channel, person.chat_id, EventKind.TRIGGER)

    def _start_checkin(self, conn: Connection, person: repo.ParticipantRecord,
                       now: datetime) -> dict[str, Any] | None:
        """Move one person into the check-in (a reminder); None when the conversation
        changed meanwhile (they are writing: the check-in waits)."""
        conversation = person.conversation or repo.ConversationRecord(
            "menu", "main", {}, None, None)
        conversation.flow, conversation.state, conversation.data = "checkin", "opening", {}
        try:
            repo.save_conversation(conn, person, conversation,
                                   expires_at=now + self.conversation_timeout, now=now)
        except repo.StaleConversation:
            return None
        return self._opening(person, now, reminder=True)

    def _opening(self, person: repo.ParticipantRecord, now: datetime, *, reminder: bool
                 ) -> dict[str, Any]:
        turn = self._turn(self._view(person), self._trigger(person), now, {})
        prompt = self.flows["checkin"](turn, "opening").prompt()
        said: list[Effect] = ([Reply(Msg(N_("A gentle reminder: your check-in is waiting.")))]
                              if reminder else [])
        row = self._outbox_row(person.id, turn.event, turn.participant.locale, said, prompt,
                               repo.SCHEDULED, person.country)
        assert row is not None
        return row

    async def purge_outbox(self, keep: timedelta) -> int:
        """Delete delivered messages older than ``keep``."""
        return await self.db.run(repo.purge_sent, self.clock() - keep)

    async def expire_surveys(self) -> int:
        """Erase the answers of surveys left unfinished longer than the window, and tell the
        person (unless they paused messages or blocked the bot: they are told if they open
        the survey again, since nothing is then left to continue)."""
        expired = await self.db.run(self._expire_surveys, self.clock())
        if expired and self.on_commit is not None:
            self.on_commit()
        return expired

    def _expire_surveys(self, conn: Connection, now: datetime) -> int:
        rows = research_db.stale_drafts(conn, now - self.survey_window)
        outbox = []
        for row in rows:
            research_db.discard(conn, row.participant_id, now)
            if row.paused or not row.reachable:
                continue
            locale = row.locale or self.default_locale
            event = Event(row.channel, row.chat_id, EventKind.TRIGGER)
            message = self._outbox_row(row.participant_id, event, locale, [Reply(Msg(
                DISCARDED, {"days": self.survey_window.days}))], None, repo.SCHEDULED,
                row.country)
            if message is not None:
                outbox.append(message)
        repo.add_outbox_many(conn, outbox, now)
        return len(rows)

    async def sweep(self) -> int:
        """Re-alert case managers about escalations past their acknowledgement deadline."""
        alerted = await self.db.run(self.casework.sweep, self.clock())
        alerted += await self.db.run(self.casework.sweep_screenings, self.clock())
        if alerted and self.on_commit is not None:
            self.on_commit()
        return alerted

    async def locale_of(self, channel: str, chat_id: str, hint: str | None = None) -> str:
        """The language to address this chat in outside a turn (greetings, farewells)."""
        participant = await self.db.run(repo.load_participant, channel, chat_id)
        if participant is not None and participant.locale:
            return participant.locale
        return self.catalogs.best_match(hint, self.default_locale)

    def _view(self, p: repo.ParticipantRecord) -> ParticipantView:
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

    # Routing ---------------------------------------------------------------------------

    def _run(self, turn: Turn, conversation: repo.ConversationRecord) -> tuple[str, str]:
        """Decide the turn: interrupts first, then the current flow. Returns the new place."""
        flow_name, state = conversation.flow, conversation.state
        if flow_name not in self.flows:
            flow_name, state, turn.data = self._home(turn), "", {}
        expired = conversation.expires_at is not None and turn.now > conversation.expires_at
        event = turn.event
        if expired and event.kind is not EventKind.COMMAND:
            # A wait that ran out: start from a known place instead of answering a question
            # the person has long forgotten.
            turn.data = {}
            flow_name = self._home(turn)
            if flow_name != conversation.flow or state != self.flows[flow_name].initial:
                turn.say(N_("Welcome back. It has been a while, so let us start again from "
                            "here."))
            return flow_name, self.flows[flow_name].initial
        flow = self.flows[flow_name](turn, state)

        if event.kind is EventKind.COMMAND:
            self._command(turn, flow)
        elif event.kind is EventKind.MEDIA:
            self._media(turn)
        elif event.edited:
            self._distress(turn)
        elif event.kind is EventKind.BUTTON:
            self._answer(turn, flow, flow.prompt())
        else:
            # A typed answer that names a button is that answer; other text is read for
            # distress first. The question is worked out once for both.
            prompt = flow.prompt()
            matched = self._match_button(turn.participant.locale, prompt, event.text)
            if matched is not None or not self._distress(turn):
                self._answer(turn, flow, prompt, matched)

        if turn.next_flow is None:
            return flow_name, flow.state
        return self._switch(turn, flow_name, flow.state)

    def _distress(self, turn: Turn) -> bool:
        """Triage free text; True when it showed distress and was answered as such.

        Tier 1 always reaches a person (life may be at risk). A possible Tier 1 signal gets
        the direct question first (the safety flow). Tiers 2 and 3 reach a person when the
        person agreed to share with a case manager; otherwise they are offered a person.
        After a Tier 1 or 2 alert the person stays in a calm place (the safety flow): what
        they write next is never taken as the answer to an earlier question.
        """
        person = turn.participant
        result = self.triage.assess(turn.event.text, [person.locale, "en"], turn.embedded)
        if result.action == "none" or result.tier is None:
            return False
        if result.action == "ask":
            turn.emit(screening(result, turn.event.text))
            turn.carry["_screen"] = {"category": result.categories[0] if result.categories
                                    else "suicide", "otherwise": result.otherwise}
            turn.switch("safety", "screen", come_back=True)
            return True
        if result.tier > 1 and person.consents.get(SHARING) is not True:
            turn.say(N_("Thank you for telling me. Many people feel this way after coming "
                        "back, and it is not your fault."))
            turn.switch("offer_person", come_back=True)
            return True
        turn.emit(escalation(result, turn.event.text))
        if result.tier == 1:
            turn.say(N_("I am worried about what you wrote, and I want you to have help from "
                        "a person. I have alerted the reintegration team; someone will write "
                        "to you here as soon as they can."))
            turn.effects.append(Reply(emergency_lines(turn.pack, person.returned)))
        else:
            turn.say(N_("Thank you for telling me. Many people feel this way after coming "
                        "back. I have let your case manager know, and they will contact you."))
        if result.tier <= 2:  # a calm place, with the way back, a person and the numbers
            turn.switch("safety", "with_you", come_back=True)
        return True

    def _media(self, turn: Turn) -> None:
        """Voice messages and files cannot be read here: they go to a person, with consent."""
        if turn.participant.consents.get(SHARING) is True and turn.event.ref:
            turn.emit(OpenEscalation(tier=3, category="media", source="voice_media",
                                     media_ref=turn.event.ref))
            turn.say(N_("I cannot listen to voice messages or open files, so I have passed "
                        "yours to a person from the reintegration team."))
        else:
            turn.say(N_("I can only read text messages. If you want to talk to a person, "
                        "send /help."))

    def _home(self, turn: Turn) -> str:
        return "menu" if turn.participant.onboarded else "onboarding"

    def _switch(self, turn: Turn, flow_name: str, state: str) -> tuple[str, str]:
        target, target_state = turn.next_flow or "", turn.next_state
        if target == RESUME:
            saved = turn.data.get("_resume")
            if saved:
                target, target_state, data = saved[0], saved[1], dict(saved[2])
            else:
                target, target_state, data = self._home(turn), None, {}
        elif turn.come_back and flow_name == target and "_resume" in turn.data:
            data = {"_resume": turn.data["_resume"]}  # from the safety flow to itself
        elif turn.come_back:
            data = {"_resume": [flow_name, state, turn.data]}
        else:
            data = {}
        data.update(turn.carry)
        if target not in self.flows:
            target, target_state, data = self._home(turn), None, {}
        turn.data = data
        cls = self.flows[target]
        return target, target_state or cls.initial

    def _command(self, turn: Turn, flow: Flow) -> None:
        command = turn.event.command
        onboarded = turn.participant.onboarded
        if command == "start":
            if onboarded and flow.name != "menu":
                turn.switch("menu")
        elif command == "menu":
            if onboarded:
                turn.switch("menu")
            else:
                turn.say(N_("Let us finish setting up first."))
        elif command == "help":
            request_person(turn)
        elif command in SIDE_TRIPS:
            if flow.name != SIDE_TRIPS[command]:
                turn.switch(SIDE_TRIPS[command], come_back=True)
        elif command == "checkin":
            if not onboarded:
                turn.say(N_("Let us finish setting up first."))
            elif turn.participant.consents.get(FOLLOW_UP) is True:
                turn.switch("checkin", "mood")
            else:
                turn.say(N_("Check-ins need your agreement to follow-up messages. You can "
                            "change this in /privacy."))
        elif command in ("survey", "wmodel"):
            if not onboarded:
                turn.say(N_("Let us finish setting up first."))
            elif flow.name != command:
                if command == "survey":
                    expire_if_stale(turn)
                turn.switch(command, come_back=True)
        elif command == "resume":
            turn.emit(SetPaused(False))
            turn.say(N_("Messages are on again."))
        else:
            turn.say(N_("I do not know that command. You can use /menu, /help, /language, "
                        "/privacy and /stop."))

    def _answer(self, turn: Turn, flow: Flow, prompt: Prompt,
                matched: str | None = None) -> None:
        """Fire the flow's trigger for the answer to ``prompt`` (the current question):
        the button pressed, or ``matched``, the button the typed text names."""
        event = turn.event
        payload: str | None = None
        if event.kind is EventKind.BUTTON:
            # Callback data comes from the client: accept only a button this question shows.
            if any(b.payload == event.payload for b in prompt.buttons):
                payload = event.payload
            else:
                turn.say(N_("That button belongs to an earlier question."))
                return
        else:
            payload = matched
        if payload is not None:
            trigger, _, value = payload.partition(":")
        elif prompt.free_text:
            trigger, value = "text", event.text
        else:
            turn.say(N_("Please choose one of the answers below."))
            return
        if not flow.fire(trigger, value):
            turn.effects.append(Reply(turn.error or Msg(N_("Please choose one of the answers "
                                                           "below."))))

    def _match_button(self, locale: str, prompt: Prompt, text: str) -> str | None:
        """A typed number or label counts as pressing that button."""
        answer = fold(text)
        if not answer or not prompt.buttons:
            return None
        if answer.isdigit() and prompt.numbers:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(prompt.buttons):
            return prompt.buttons[int(answer) - 1].payload
        for button in prompt.buttons:
            if answer in self._folded_labels(locale, button.label):
                return button.payload
        return None

    def _folded_labels(self, locale: str, label: Msg | str) -> tuple[str, str]:
        """A button's label folded, in the person's language and in English. Labels that
        are fixed messages are kept once worked out (only those: a label that quotes a
        person's words is never kept in memory)."""
        if isinstance(label, Msg) and not label.params and label.n is None:
            key = (locale, label.msgid)
            folded = self._label_cache.get(key)
            if folded is None:
                folded = self._label_cache[key] = (
                    fold(self.catalogs.render(locale, label)),
                    fold(self.catalogs.render("en", label)))
            return folded
        return (fold(self.catalogs.render(locale, label)),
                fold(self.catalogs.render("en", label)))

    # Effects ---------------------------------------------------------------------------

    def _apply(
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
                    self.casework.escalate(conn, participant, effect, now)
                case SettleScreening(confirmed=confirmed):
                    self.casework.settle_screening(conn, participant, confirmed, now)
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
            scores = self.weights.score(answers, "chat")
        except AnswerError:  # a flow bug, not the person's: keep their answers
            log.error("a complete survey could not be scored; kept as unfinished")
            research_db.save_draft(conn, participant.id, answers, now)
            return
        research_db.complete(conn, participant.id, answers, scores.as_dict(), "chat", now)
        if any(score is not None and score < LOW
               for score in (*scores.by_dimension().values(), scores.composite)):
            self.casework.escalate(conn, participant, OpenEscalation(
                tier=3, category="survey", source="survey",
                categories=("survey", "survey_low_score")), now)

    def _send_chart(self, conn: Connection, participant: repo.ParticipantRecord, kind: str,
                    now: datetime) -> None:
        """The person's own chart, in their language, drawn by the sender on the way out."""
        locale = participant.locale or self.default_locale
        if kind == "survey":
            rows = research_db.completed(conn, participant.id)
            # no weights note: "provisional, not validated" is for the case manager
            payload = survey_payload(self.catalogs, locale, Msg(N_("Your survey results")),
                                     rows)
        else:
            points = StoredRecords(conn, participant.id).wmodel_points()
            payload = wmodel_payload(self.catalogs, locale,
                                     Msg(N_("Your ups and downs since return")), points)
        repo.add_outbox(conn, participant_id=participant.id, channel=participant.channel,
                        chat_id=participant.chat_id, kind="chart", now=now, payload=payload)

    def _write_outbox(
        self,
        conn: Connection,
        participant_id: int | None,
        event: Event,
        locale: str,
        effects: list[Effect],
        prompt: Prompt | None,
        now: datetime,
        country: str | None = None,
    ) -> None:
        row = self._outbox_row(participant_id, event, locale, effects, prompt,
                               repo.INTERACTIVE, country)
        if row is not None:
            repo.add_outbox(conn, now=now, **row)

    def _outbox_row(
        self,
        participant_id: int | None,
        event: Event,
        locale: str,
        effects: list[Effect],
        prompt: Prompt | None,
        priority: int,
        country: str | None = None,
    ) -> dict[str, Any] | None:
        """One message per turn: what the flow said, then the question, with its buttons.

        Telegram allows about one message per second per chat, so a turn's sentences go
        together rather than as a burst.
        """
        overrides = self.casework.packs.get(country).messages.get(locale)
        parts = [self.catalogs.render(locale, e.text, overrides) for e in effects
                 if isinstance(e, Reply)]
        buttons: list[dict[str, str]] = []
        if prompt is not None:
            parts.append(self.catalogs.render(locale, prompt.text, overrides))
            buttons = self.catalogs.render_buttons(locale, prompt.buttons, overrides)
        if not parts:
            return None
        urgent = any(isinstance(e, OpenEscalation) and e.tier == 1 for e in effects)
        return {"participant_id": participant_id, "channel": event.channel,
                "chat_id": event.chat_id, "priority": repo.URGENT if urgent else priority,
                "payload": {"text": "\n\n".join(parts), "buttons": buttons, "locale": locale,
                            **({"typed_numbers": True} if prompt and prompt.numbers else {})}}

    # Failure ---------------------------------------------------------------------------

    def _log_failure(self, event: Event, exc: BaseException) -> None:
        # Where it failed, not why: the exception's text may quote the person's message.
        frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}"
                           for f in traceback.extract_tb(exc.__traceback__))
        log.error("a %s event failed with %s; rolled back\n%s", event.kind,
                  type(exc).__name__, frames)

    async def _apologise(self, event: Event) -> bool:
        """After a rollback: mark the update as handled and say sorry, then ask again.

        False when even that cannot be recorded: the update must then be delivered again.
        """
        try:
            written = await self.db.run(self._apology, event, self.clock())
        except Exception as exc:
            log.error("could not record the apology either (%s)", type(exc).__name__)
            return False
        if written and self.on_commit is not None:
            self.on_commit()
        return True

    def _apology(self, conn: Connection, event: Event, now: datetime) -> bool:
        if event.update_id is not None and not repo.claim_update(
            conn, event.channel, event.update_id, now
        ):
            return False
        participant = repo.load_participant(conn, event.channel, event.chat_id)
        locale = self.catalogs.best_match(event.locale_hint, self.default_locale)
        prompt = None
        participant_id = None
        if participant is not None:
            conversation = participant.conversation
            participant_id = participant.id
            locale = participant.locale or locale
            if conversation is not None and conversation.flow in self.flows:
                turn = self._turn(self._view(participant), event, now, dict(conversation.data))
                try:
                    prompt = self.flows[conversation.flow](turn, conversation.state).prompt()
                except Exception:
                    prompt = None
        sorry = Reply(Msg(N_("Sorry, something went wrong on my side. Please try again.")))
        self._write_outbox(conn, participant_id, event, locale, [sorry], prompt, now)
        return True
