"""After a failed update: what went wrong is logged without the person's words, and the
person gets an apology with the question they were answering, so that they can try again.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime

from flows.engine.context import Context
from flows.engine.events import Event, Msg, Reply
from flows.engine.outbox import OutboxWriter
from flows.l10n.i18n import N_
from storage import repository as repo
from storage.db import Connection

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

    def apology(self, conn: Connection, event: Event, now: datetime) -> bool:
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
        sorry = Reply(Msg(N_("Sorry, something went wrong on my side. Please try again.")))
        self.outbox.write(conn, participant_id, event, locale, [sorry], prompt, now)
        return True
