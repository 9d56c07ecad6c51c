"""Membership: staff joining with a one-time invite, and refusing staff actions from chats
that are not staff.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.casework.base import CaseworkBase
from flows.casework.staff import INVITE_PREFIX, STAFF_BUTTON, STAFF_COMMANDS, StaffView, invite_hash
from flows.engine.events import Event, EventKind, Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

JOIN_ATTEMPTS = 5  # wrong invitation codes from one chat ...
JOIN_WINDOW = timedelta(hours=1)  # ... within this time, before it must wait


class Membership(CaseworkBase):
    """Who may act as staff, and joining."""

    @staticmethod
    def is_staff_action(event: Event) -> bool:
        return ((event.kind is EventKind.BUTTON and event.payload.startswith(STAFF_BUTTON))
                or (event.kind is EventKind.COMMAND and event.command in STAFF_COMMANDS))

    @staticmethod
    def is_join(event: Event) -> bool:
        return (event.kind is EventKind.COMMAND and event.command == "start"
                and event.args.startswith(INVITE_PREFIX))

    def refuse(self, conn: Connection, event: Event, actor: str, locale: str,
               now: datetime) -> None:
        """A staff command or button from someone who is not (or not here) staff."""
        action = event.payload if event.kind is EventKind.BUTTON else f"/{event.command}"
        store.audit(conn, now, actor=actor, action="staff.refused",
                   details={"attempt": action[:64], "channel": event.channel})
        self.send(conn, event.channel, event.chat_id, locale,
                  [Msg(N_("Sorry, that is not allowed."))], now)

    def join(self, conn: Connection, event: Event, participant: store.ParticipantRecord | None,
             now: datetime) -> None:
        code = event.args[len(INVITE_PREFIX):]
        chat = f"{event.channel}:{event.chat_id}"  # who tried, for the audit and the limit
        locale = self.catalogs.best_match(event.locale_hint)
        if store.refused_joins(conn, chat, now - JOIN_WINDOW) >= JOIN_ATTEMPTS:
            # Guessing codes from one chat: refused without even looking at this one.
            store.audit(conn, now, actor=f"{event.channel}:unknown", subject=chat,
                       action="staff.join_throttled")
            self.send(conn, event.channel, event.chat_id, locale,
                      [Msg(N_("Too many invitation codes were tried from this chat. Please "
                              "try again in an hour, or ask for a new code."))], now)
            return
        staff_row = store.redeem_invite(conn, invite_hash(code), event.channel, event.chat_id, now)
        if staff_row is None:
            store.audit(conn, now, actor=f"{event.channel}:unknown", subject=chat,
                       action="staff.join_refused")
            self.send(conn, event.channel, event.chat_id, locale,
                      [Msg(N_("This invitation code is not valid or has already been used."))],
                      now)
            return
        if participant is not None:  # a test conversation from this chat: staff now
            store.delete_participant(conn, participant, now)
        staff = StaffView.of(staff_row, self.catalogs)
        store.audit(conn, now, actor=f"staff:{staff.pseudonym}", action="staff.joined",
                   details={"role": staff.role, "country": staff.country})
        self.send(conn, staff.channel, staff.chat_id, staff.locale,
                  [Msg(N_("Welcome. You are registered as {role} for {country}. Alerts will "
                          "arrive here. Commands: /queue, /case NUMBER, /endchat."),
                       {"role": staff.role, "country": staff.country or "-"})], now)
