"""Rendering the outbox: one message per turn (what was said, then the question and its
buttons) in the reader's language, with the country's wording overrides. The outbox is the
only way anything is sent; this is the only place its rows are rendered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.engine.context import Context
from flows.engine.events import Effect, Event, OpenEscalation, Reply
from flows.engine.flow import Prompt
from storage import repository as repo
from storage.db import Connection


class OutboxWriter:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def write(
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
        row = self.row(participant_id, event, locale, effects, prompt,
                               repo.INTERACTIVE, country)
        if row is not None:
            repo.add_outbox(conn, now=now, **row)

    def row(
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
        overrides = self.ctx.casework.packs.get(country).messages.get(locale)
        parts = [self.ctx.catalogs.render(locale, e.text, overrides) for e in effects
                 if isinstance(e, Reply)]
        buttons: list[dict[str, str]] = []
        if prompt is not None:
            parts.append(self.ctx.catalogs.render(locale, prompt.text, overrides))
            buttons = self.ctx.catalogs.render_buttons(locale, prompt.buttons, overrides)
        if not parts:
            return None
        urgent = any(isinstance(e, OpenEscalation) and e.tier == 1 for e in effects)
        return {"participant_id": participant_id, "channel": event.channel,
                "chat_id": event.chat_id, "priority": repo.URGENT if urgent else priority,
                "payload": {"text": "\n\n".join(parts), "buttons": buttons, "locale": locale,
                            **({"typed_numbers": True} if prompt and prompt.numbers else {})}}

    def goodbye(self, conn: Connection, event: Event, locale: str, effects: list[Effect],
                now: datetime) -> None:
        """The last words to someone who erased their data: the one row left with their
        chat id, erased by the sender once it is sent."""
        row = self.row(None, event, locale, effects, None, repo.INTERACTIVE)
        if row is not None:
            row["payload"]["erase_when_sent"] = True
            repo.add_outbox(conn, now=now, **row)
