"""What every part of casework shares, below them all: the catalogs and country packs,
sending a message to a chat through the outbox, and writing to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.casework.staff import StaffView
from flows.engine.events import Button, Msg
from flows.l10n.countries import CountryPacks
from flows.l10n.i18n import Catalogs
from flows.research.scoring import Weights
from storage import casestore as store
from storage.casestore import Connection


class CaseworkBase:
    """The state casework needs and the two things every part of it does."""

    def __init__(self, catalogs: Catalogs, packs: CountryPacks) -> None:
        self.catalogs = catalogs
        self.packs = packs
        self.weights = Weights.default()  # the engine sets the ones in force
        self.screen_wait = timedelta(minutes=15)  # an unanswered direct question alerts
        # The web console's address for login links (None: no console here), and how long
        # a link stays valid; set from the settings at start-up.
        self.console_url: str | None = None
        self.login_valid = timedelta(minutes=5)
        # Set by the engine: recompute a person's follow-ups after a change.
        self.replan: Callable[[Connection, store.ParticipantRecord, datetime], int] = (
            lambda _conn, _person, _now: 0)

    def send(self, conn: Connection, channel: str, chat_id: str, locale: str,
             parts: list[Msg | str], now: datetime, *, buttons: tuple[Button, ...] = (),
             participant_id: int | None = None, priority: int = store.INTERACTIVE,
             about: int | None = None, bundle: str | None = None,
             watch: bool = True) -> None:
        """A message to a chat through the outbox; ``about``: the returnee a message to
        staff concerns, so that it is erased with them; ``bundle``: messages of one bundle
        queued for one chat go together; ``watch``: an urgent one is re-alerted if not
        delivered in time."""
        text = "\n\n".join(self.catalogs.render(locale, part) for part in parts)
        store.add_outbox(conn, participant_id=participant_id, channel=channel, chat_id=chat_id,
                        payload={"text": text, "locale": locale,
                                 "buttons": self.catalogs.render_buttons(locale, buttons)},
                        now=now, priority=priority, about_id=about, bundle=bundle,
                        watch=watch)

    def _reply(self, conn: Connection, staff: StaffView, now: datetime, msgid: str,
               about: int | None = None, **params: Any) -> None:
        self.send(conn, staff.channel, staff.chat_id, staff.locale, [Msg(msgid, params)], now,
                  about=about)

    def _audit(self, conn: Connection, staff: StaffView, action: str, now: datetime,
               subject: str | None = None, **details: Any) -> None:
        store.audit(conn, now, actor=f"staff:{staff.pseudonym}", action=action, subject=subject,
                   details=details)
