"""After a failed update: what went wrong is logged without the person's words, and the
person gets an apology with the question they were answering, so that they can try again.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime

from flows.conversations.common import ALERTED_URGENT, emergency_lines
from flows.conversations.safety import escalation
from flows.engine.context import Context
from flows.engine.events import Effect, Event, EventKind, Msg, Reply
from flows.engine.outbox import OutboxWriter
from flows.l10n.i18n import N_
from flows.triage import Embedded, TriageResult
from storage import repository as repo
from storage.db import Connection, Database

log = logging.getLogger("flows.engine.engine")


def log_failure(event: Event, exc: BaseException) -> None:
    # Where it failed, not why: the exception's text may quote the person's message.
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}"
                       for f in traceback.extract_tb(exc.__traceback__))
    log.error("a %s event failed with %s; rolled back\n%s", event.kind,
              type(exc).__name__, frames)


class Apology:
    def __init__(self, ctx: Context, outbox: OutboxWriter) -> None:
        self.ctx = ctx
        self.outbox = outbox

    def apology(self, conn: Connection, event: Event, now: datetime,
                alerted: bool = False) -> bool:
        """Mark the failed update handled and say sorry, with the question again. With
        ``alerted`` (its words showed Tier 1 distress, recorded apart), the person is also
        told so and given the emergency numbers."""
        if event.update_id is not None and not repo.claim_update(
            conn, event.channel, event.update_id, now
        ):
            return False
        participant = repo.load_participant(conn, event.channel, event.chat_id)
        locale = self.ctx.catalogs.best_match(event.locale_hint, self.ctx.default_locale)
        prompt = None
        participant_id = None
        if participant is not None:
            conversation = participant.conversation
            participant_id = participant.id
            locale = participant.locale or locale
            if conversation is not None and conversation.flow in self.ctx.flows:
                turn = self.ctx.turn(self.ctx.view(participant), event, now,
                                     dict(conversation.data))
                try:
                    prompt = self.ctx.flows[conversation.flow](turn, conversation.state).prompt()
                except Exception:
                    prompt = None
        said: list[Effect] = [
            Reply(Msg(N_("Sorry, something went wrong on my side. Please try again.")))]
        if alerted and participant is not None:
            pack = self.ctx.casework.packs.get(participant.country)
            said += [Reply(Msg(ALERTED_URGENT)), Reply(emergency_lines(pack, participant.returned))]
        self.outbox.write(conn, participant_id, event, locale, said, prompt, now)
        return True

    def escalate_alone(self, conn: Connection, event: Event, result: TriageResult,
                       now: datetime) -> bool:
        """The distress a failed update showed, recorded in its own transaction (the
        update's own was rolled back): True when it was Tier 1."""
        participant = repo.load_participant(conn, event.channel, event.chat_id)
        if participant is None:
            locale = self.ctx.catalogs.best_match(event.locale_hint, self.ctx.default_locale)
            participant = repo.create_participant(conn, event.channel, event.chat_id, locale,
                                                  now)
        self.ctx.casework.escalate(conn, participant, escalation(result, event.text), now)
        return result.tier == 1

    async def distress_of_failed(self, db: Database, event: Event, embedded: Embedded | None,
                                 clock: Callable[[], datetime]) -> bool:
        """Triage the words of an update that failed; record any distress on its own.
        True when a Tier 1 signal was recorded (the apology then says so)."""
        if event.kind is not EventKind.TEXT or not event.text:
            return False
        try:
            triage = self.ctx.triage
            if embedded is None and triage.wants_embedding(event.text):
                embedded = await triage.embed_async(event.text)
            result = triage.assess(event.text, [event.locale_hint or "en"], embedded)
            if result.action == "none" or result.tier is None:
                return False
            return bool(await db.run(self.escalate_alone, event, result, clock()))
        except Exception as exc:
            log.error("could not record the distress of a failed %s event (%s)", event.kind,
                      type(exc).__name__)
            return False
