"""Handoff: a case manager talks with the returnee through the bot, the automated flows
paused, until /endchat (or "End chat" in the console). Every message either way is kept as
the handoff's transcript (encrypted), for the case page.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.casework.base import CaseworkBase
from flows.casework.staff import StaffView
from flows.engine.events import Event, EventKind, Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

ENDED = N_("The person from the team has ended the chat. The automated assistant is back; "
           "send /help any time to ask for a person again.")


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
        if not store.claim(conn, row.id, staff.id, now):
            return ChatOpened.HELD
        if not store.start_handoff(conn, participant_id=row.participant_id, staff_id=staff.id,
                                escalation_id=row.id, now=now):
            return ChatOpened.BUSY
        self._audit(conn, staff, "handoff.started", now, row.pseudonym, escalation=row.id)
        self.send(conn, row.p_channel, row.p_chat_id, row.locale or "en",
                  [Msg(N_("You are now talking with a person from the reintegration team. "
                          "The automated assistant is paused until they end the chat."))],
                  now, participant_id=row.participant_id)
        return ChatOpened.STARTED

    def chat_started_reply(self, conn: Connection, staff: StaffView, row: Any,
                           now: datetime) -> None:
        self._reply(conn, staff, now, N_("You are now talking with {person}. What you write "
                                         "here goes to them. Send /endchat to finish."),
                    person=row.pseudonym)

    def _open_chat(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> None:
        opened = self.open_chat(conn, staff, row, now)
        if opened is ChatOpened.HELD:
            self._reply(conn, staff, now, N_("Case #{id} is already held by another case "
                                             "manager."), id=row.id)
        elif opened is ChatOpened.BUSY:
            self._reply(conn, staff, now, N_("Another case manager is already talking with "
                                             "this person."))
        else:
            self.chat_started_reply(conn, staff, row, now)

    def end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> Any | None:
        """End this staff member's chat (the person is told); None if there was none."""
        handoff = store.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            return None
        store.end_handoff(conn, handoff.id, now)
        self._audit(conn, staff, "handoff.ended", now, handoff.pseudonym)
        self.send(conn, handoff.p_channel, handoff.p_chat_id, handoff.locale or "en",
                  [Msg(ENDED)], now, participant_id=handoff.participant_id)
        return handoff

    def _end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        handoff = self.end_chat(conn, staff, now)
        if handoff is None:
            self._reply(conn, staff, now, N_("You are not in a chat."))
            return
        self._reply(conn, staff, now, N_("Chat with {person} ended."), person=handoff.pseudonym)

    def resolve(self, conn: Connection, staff: StaffView, row: Any, note: str,
                now: datetime) -> bool:
        """Resolve with a note (kept, encrypted), ending its chat; False if not open."""
        if not store.resolve(conn, row.id, note, now):
            return False
        for handoff in store.end_handoffs_of_escalation(conn, row.id, now):
            self.send(conn, row.p_channel, row.p_chat_id, row.locale or "en", [Msg(ENDED)],
                      now, participant_id=handoff.participant_id)
        self._audit(conn, staff, "escalation.resolved", now, row.pseudonym, escalation=row.id)
        return True

    def relay_to_person(self, conn: Connection, staff: StaffView, text: str,
                        now: datetime) -> bool:
        """What the case manager wrote goes to the person in their chat; False when this
        staff member holds no chat."""
        handoff = store.active_handoff_of_staff(conn, staff.id)
        if handoff is None:
            return False
        self._audit(conn, staff, "handoff.message", now, handoff.pseudonym)
        store.add_outbox(conn, participant_id=handoff.participant_id, channel=handoff.p_channel,
                        chat_id=handoff.p_chat_id, payload={"text": text, "buttons": [],
                                                            "locale": handoff.locale or "en"},
                        now=now)
        store.add_handoff_message(conn, handoff_id=handoff.id,
                                       participant_id=handoff.participant_id, from_staff=True,
                                       text=text, now=now)
        return True

    def _text(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        resolving = staff.pending.get("resolve")
        if resolving is not None:
            store.set_pending(conn, staff.id, {})
            row = self._escalation_for(conn, staff, int(resolving), "resolve", now)
            if row is None:
                return
            if not event.text.strip():
                self._reply(conn, staff, now, N_("A resolution needs a note."))
            elif self.resolve(conn, staff, row, event.text.strip(), now):
                self._reply(conn, staff, now, N_("Case #{id} resolved."), id=row.id)
            else:
                self._reply(conn, staff, now, N_("Case #{id} is not open."), id=row.id)
            return
        if not self.relay_to_person(conn, staff, event.text, now):
            self._reply(conn, staff, now, N_("Commands: /queue, /case NUMBER, /endchat."))

    def relay_to_staff(self, conn: Connection, participant: store.ParticipantRecord,
                       event: Event, now: datetime) -> None:
        """During a handoff the person's messages go to the case manager, unchanged."""
        staff_row = store.staff_by_id(conn, participant.handoff_staff_id or 0)
        if staff_row is None:
            return
        staff = StaffView.of(staff_row, self.catalogs)
        if event.kind is EventKind.MEDIA and event.ref:
            store.add_outbox(conn, participant_id=None, channel=staff.channel,
                            chat_id=staff.chat_id, kind="copy",
                            payload={"from_chat_id": event.chat_id, "message_id": event.ref},
                            now=now, about_id=participant.id)
            return
        self.send(conn, staff.channel, staff.chat_id, staff.locale,
                  [f"{participant.pseudonym}: {event.text}"], now, about=participant.id)
        handoff = store.active_handoff_of_person(conn, participant.id)
        if handoff is not None:
            store.add_handoff_message(conn, handoff_id=handoff.id,
                                           participant_id=participant.id, from_staff=False,
                                           text=event.text, now=now)
