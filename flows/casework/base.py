"""What every part of casework shares, below them all: the catalogs and country packs,
and writing what a decision changed (``apply``: messages through the outbox, the audit
log, the rows); ``send``, ``_reply`` and ``_audit`` are one change each, written at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.casework.apply import apply_changes
from flows.casework.changes import Change, Send, staff_audit, to_staff
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

    def apply(self, conn: Connection, changes: tuple[Change, ...], now: datetime
              ) -> list[bool]:
        """Write what a decision changed (``apply.py``); whether each conditional write
        held."""
        return apply_changes(conn, self.catalogs, changes, now)

    def send(self, conn: Connection, channel: str, chat_id: str, locale: str,
             parts: list[Msg | str], now: datetime, *, buttons: tuple[Button, ...] = (),
             participant_id: int | None = None, priority: int = store.INTERACTIVE,
             about: int | None = None, bundle: str | None = None,
             watch: bool = True) -> None:
        """A message to a chat through the outbox (``changes.Send`` says what each
        argument means), written at once."""
        self.apply(conn, (Send(channel, chat_id, locale, tuple(parts), buttons,
                               participant_id, priority, about, bundle, watch),), now)

    def _reply(self, conn: Connection, staff: StaffView, now: datetime, msgid: str,
               about: int | None = None, **params: Any) -> None:
        self.apply(conn, (to_staff(staff, msgid, about, **params),), now)

    def _audit(self, conn: Connection, staff: StaffView, action: str, now: datetime,
               subject: str | None = None, **details: Any) -> None:
        self.apply(conn, (staff_audit(staff, action, subject, **details),), now)
