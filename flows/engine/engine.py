"""The conductor: an Event in, one unit of work out.

``handle`` takes one update through five steps, each a module of its own: dedupe (the
update's id is claimed in the transaction), route and decide (``routing.py``: interrupts,
then the flow, touching no storage), apply (``apply.py``: every write), and write the outbox
(``outbox.py``), all in one transaction guarded by the conversation's version. Nothing is
sent from here: the sender drains the outbox, woken by ``on_commit``. Scheduled work has its
own modules too: follow-up delivery (``flows/followups/delivery.py``), the casework sweeps,
and recovery after a failure (``recovery.py``).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flows.casework.casework import Casework
from flows.engine.apply import Applier
from flows.engine.context import Context
from flows.engine.embedding import Embeddings
from flows.engine.events import Event, EventKind, SendChart
from flows.engine.flow import Flow
from flows.engine.outbox import OutboxWriter
from flows.engine.records import StoredRecords
from flows.engine.recovery import Apology, log_failure
from flows.engine.registry import FLOWS
from flows.engine.routing import Router
from flows.engine.scheduled import ScheduledWork
from flows.followups.delivery import FollowUpDelivery
from flows.followups.followups import REPLAN_FIELDS, FollowUpPlanner, Timing
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import Catalogs
from flows.research.scoring import Weights
from flows.triage import Embedded, NeedsEmbedding, Triage
from storage import casework as casework_db
from storage import repository as repo
from storage.db import Connection, Database, is_transient

log = logging.getLogger(__name__)
TRANSIENT_WAITS = (0.2, 0.5, 1.0, 2.0, 4.0)  # seconds between tries while the database is down
# Two sentences: the tokenizer that measures a message of several is loaded too.
WARM_UP_TEXT = "Since I came back I cannot sleep. I feel alone."


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


class Engine(ScheduledWork):
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
        self.clock = clock
        self.on_commit = on_commit
        casework = casework or Casework(catalogs, CountryPacks.load(catalogs.locales_dir))
        planner = FollowUpPlanner(casework.packs, timing)
        casework.replan = planner.replan
        weights = weights or Weights.default()
        casework.weights = weights
        self.ctx = Context(
            catalogs=catalogs, flows=flows, casework=casework,
            triage=triage or Triage.load(catalogs.locales_dir), planner=planner,
            weights=weights, default_locale=catalogs.best_match(default_locale),
            conversation_timeout=conversation_timeout, survey_window=survey_window,
            languages=tuple(catalogs.languages))
        self.router = Router(self.ctx)
        self.applier = Applier(self.ctx)
        self.outbox = OutboxWriter(self.ctx)
        self.apology = Apology(self.ctx, self.outbox)
        self.embeddings = Embeddings(self.ctx)  # texts of updates in flight, together
        self.delivery = FollowUpDelivery(self.ctx, database, self.outbox, clock,
                                         self._committed)
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    # What callers read and tests replace; the parts read it from the one Context.
    @property
    def catalogs(self) -> Catalogs:
        return self.ctx.catalogs

    @property
    def casework(self) -> Casework:
        return self.ctx.casework

    @property
    def triage(self) -> Triage:
        return self.ctx.triage

    @triage.setter
    def triage(self, triage: Triage) -> None:
        self.ctx.triage = triage

    @property
    def languages(self) -> tuple[str, ...]:
        return self.ctx.languages

    def _committed(self) -> None:
        if self.on_commit is not None:
            self.on_commit()

    def _lock(self, event: Event) -> asyncio.Lock:
        key = (event.channel, event.chat_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, event: Event) -> Result:
        """Process one event; updates of one chat are processed one at a time.

        A transient failure (the database locked, restarting, out of reach) is tried again
        after a pause; if it lasts, the update is left unhandled (``UNAVAILABLE``) so that
        it is delivered again. Only a permanent failure of this one update gets the apology,
        and even then its words go through triage first, and any distress is recorded in a
        transaction of its own.
        """
        async with self._lock(event):
            embedded: Embedded | None = None
            waits = list(TRANSIENT_WAITS)
            for _attempt in range(5 + len(TRANSIENT_WAITS)):
                try:
                    result = await self._handle_once(event, embedded)
                except NeedsEmbedding:
                    # Free text that needs triage: embedded on its thread (the event loop
                    # goes on), then the unit runs again from the start with it.
                    embedded = await self.embeddings.embed(event.text)
                    continue
                except repo.CONFLICTS:
                    # Another worker got there first (version or first-contact race): retry
                    # on fresh data. A redelivered update then shows up as a duplicate.
                    continue
                except Exception as exc:
                    if is_transient(exc):
                        if waits:
                            await asyncio.sleep(waits.pop(0))
                            continue
                        log.error("a %s event could not be processed: the database is "
                                  "unavailable (%s); it will be delivered again", event.kind,
                                  type(exc).__name__)
                        return Result(Outcome.UNAVAILABLE)
                    log_failure(event, exc)
                    alerted = await self.apology.distress_of_failed(self.db, event, embedded,
                                                                    self.clock)
                    if await self._apologise(event, alerted):
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
        if event.update_id is None:
            participant = repo.load_participant(conn, event.channel, event.chat_id)
        else:
            claimed, participant = repo.claim_and_load(conn, event.channel, event.update_id,
                                                       event.chat_id, now)
            if not claimed:
                return Result(Outcome.DUPLICATE)
        casework = self.ctx.casework
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
                      else self.ctx.catalogs.best_match(event.locale_hint, self.ctx.default_locale))
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
            or self.ctx.triage.assess(event.text, [participant.locale or "en", "en"],
                                  embedded).tier is None
        ):
            # An edit does not re-answer an earlier question; it is read only for distress.
            return Result(Outcome.DONE)
        if participant is None:
            locale = self.ctx.catalogs.best_match(event.locale_hint, self.ctx.default_locale)
            participant = repo.create_participant(conn, event.channel, event.chat_id,
                                                  locale, now)
        elif not participant.reachable:  # they write again: they can be written to again
            participant.set(reachable=True)
        if participant.handoff_staff_chat and event.kind in (EventKind.TEXT, EventKind.MEDIA):
            casework.relay_to_staff(conn, participant, event, now)
            repo.save_participant(conn, participant)
            return Result(Outcome.DONE)
        conversation = participant.conversation or repo.ConversationRecord(
            "onboarding", self.ctx.flows["onboarding"].initial, {}, None, None)
        turn = self.ctx.turn(self.ctx.view(participant), event, now, dict(conversation.data),
                          StoredRecords(conn, participant.id))
        turn.embedded = embedded
        flow_name, state = self.router.run(turn, conversation)
        deleted = self.applier.apply(conn, participant, turn.effects, now)
        if deleted:
            locale = participant.locale or self.ctx.default_locale
            self.outbox.goodbye(conn, event, locale, turn.effects, now)
            return Result(Outcome.DONE)
        if participant.onboarded_at is not None and participant.changes.keys() & REPLAN_FIELDS:
            self.ctx.planner.replan(conn, participant, now)  # nothing is planned before
        repo.save_participant(conn, participant)
        view = self.ctx.view(participant)
        turn.participant = view
        prompt = None if turn.quiet else self.ctx.flows[flow_name](turn, state).prompt()
        conversation.flow, conversation.state, conversation.data = flow_name, state, turn.data
        reply = self.outbox.row(participant.id, event, view.locale, turn.effects, prompt,
                                repo.INTERACTIVE, view.country)
        repo.save_conversation(conn, participant, conversation,  # with the reply queued
                               expires_at=now + self.ctx.conversation_timeout, now=now,
                               queue=reply)
        for effect in turn.effects:
            if isinstance(effect, SendChart):
                self.applier.send_chart(conn, participant, effect.kind, now)
        return Result(Outcome.DONE, flow_name, state)

    async def warm_up(self) -> None:
        """Load what triage reads with (the language identifier, the embedder, the heads)
        before the first update, off the event loop. Loaded on first use instead, the first
        free text after a start (or a restart after a crash) waited about a second for them,
        with the loop blocked for part of it: measured in ``bench/chaos.py``, where the
        language identifier alone took ~0.9 s of the first distress messages' time."""
        await asyncio.get_running_loop().run_in_executor(
            None, self.ctx.triage.assess_now, WARM_UP_TEXT, ["en"])

    async def locale_of(self, channel: str, chat_id: str, hint: str | None = None) -> str:
        """The language to address this chat in outside a turn (greetings, farewells)."""
        participant = await self.db.run(repo.load_participant, channel, chat_id)
        if participant is not None and participant.locale:
            return participant.locale
        return self.ctx.catalogs.best_match(hint, self.ctx.default_locale)

    async def _apologise(self, event: Event, alerted: bool = False) -> bool:
        """After a rollback: mark the update as handled and say sorry, then ask again.

        False when even that cannot be recorded: the update must then be delivered again.
        """
        try:
            written = await self.db.run(self.apology.apology, event, self.clock(), alerted)
        except Exception as exc:
            log.error("could not record the apology either (%s)", type(exc).__name__)
            return False
        if written and self.on_commit is not None:
            self.on_commit()
        return True

