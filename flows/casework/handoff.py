"""Handoff: a case manager talks with the returnee through the bot, the automated flows
paused, until /endchat (or "End chat" in the console). Every message either way is kept as
the handoff's transcript (encrypted), for the case page.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.casework import decisions as decide
from flows.casework.base import CaseworkBase
from flows.casework.changes import to_staff
from flows.casework.staff import StaffView
from flows.engine.events import Event, EventKind
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

ENDED = decide.ENDED


class ChatOpened(StrEnum):
    STARTED = "started"
    HELD = "held"  # the case is held by another case manager
    BUSY = "busy"  # another case manager already talks with this person


class Handoff(CaseworkBase):
    """Open chat, relay both ways, end chat; resolving a case ends its chat."""

    def open_chat(self, conn: Connection, staff: StaffView, row: Any, now: datetime
                  ) -> ChatOpened:
        """Claim the case and start relaying (the person is told); Telegram and the console
        both come here."""
        return _opened(self.apply(conn, (decide.open_chat(staff, row),), now))

    def chat_started_reply(self, conn: Connection, staff: StaffView, row: Any,
                           now: datetime) -> None:
        self.apply(conn, (decide.chat_started(staff, row),), now)

    def end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> Any | None:
        """End this staff member's chat (the person is told); None if there was none."""
        handoff = store.active_handoff_of_staff(conn, staff.id)
        self.apply(conn, decide.end_chat(staff, handoff), now)
        return handoff

    def _end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        handoff = store.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            self._reply(conn, staff, now, N_("You are not in a chat."))
            return
        self.apply(conn, decide.end_chat(staff, handoff, done=(to_staff(
            staff, N_("Chat with {person} ended."), person=handoff.pseudonym),)), now)

    def resolve(self, conn: Connection, staff: StaffView, row: Any, note: str,
                now: datetime) -> bool:
        """Resolve with a note (kept, encrypted), ending its chat; False if not open."""
        return self.apply(conn, (decide.resolve(staff, row, note),), now)[0]

    def relay_to_person(self, conn: Connection, staff: StaffView, text: str,
                        now: datetime) -> bool:
        """What the case manager wrote goes to the person in their chat; False when this
        staff member holds no chat."""
        handoff = store.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            return False
        self.apply(conn, decide.relay(staff, handoff, text), now)
        return True

    def _text(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        resolving = staff.pending.get("resolve")
        if resolving is not None:
            row = self.scoped_escalation(conn, staff, int(resolving))  # type: ignore[attr-defined]
            self.apply(conn, decide.resolution_note(staff, int(resolving), row, event.text),
                       now)
            return
        if not self.relay_to_person(conn, staff, event.text, now):
            self._reply(conn, staff, now, decide.COMMANDS)

    def relay_to_staff(self, conn: Connection, participant: store.ParticipantRecord,
                       event: Event, now: datetime) -> None:
        """During a handoff the person's messages go to the case manager, unchanged."""
        staff_row = store.staff_by_id(conn, participant.handoff_staff_id or 0)
        if staff_row is None:
            return
        staff = StaffView.of(staff_row, self.catalogs)
        if event.kind is EventKind.MEDIA and event.ref:
            self.apply(conn, (decide.copy_to_staff(staff, event.chat_id, event.ref,
                                                   participant.id),), now)
            return
        handoff = store.active_handoff_of_person(conn, participant.id)
        self.apply(conn, decide.relay_to_staff(staff, participant, handoff, event.text), now)


def _opened(held: list[bool]) -> ChatOpened:
    """The outcome of ``decisions.open_chat``'s two conditional writes (claim, start)."""
    if not held[0]:
        return ChatOpened.HELD
    return ChatOpened.STARTED if held[1] else ChatOpened.BUSY
