"""The staff desk in Telegram: staff commands (/queue, /profile) and the alert buttons
(acknowledge, claim, open chat, resolve), each checking role and country scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.casework import decisions as decide
from flows.casework.base import CaseworkBase
from flows.casework.staff import (
    CASE_COMMANDS,
    PROFILES,
    STAFF_BUTTON,
    StaffView,
    is_pseudonym,
    parse_profile,
    unparsed,
)
from flows.engine.events import Event, EventKind, Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

BUTTON_ACTIONS = decide.BUTTON_ACTIONS


class StaffDesk(CaseworkBase):
    """Staff commands and buttons; the case view and handoff are their own parts."""

    def handle_staff(self, conn: Connection, staff_row: Any, event: Event,
                     now: datetime) -> None:
        staff = StaffView.of(staff_row, self.catalogs)
        if event.kind is EventKind.BUTTON and event.payload.startswith(STAFF_BUTTON):
            self._button(conn, staff, event, now)
        elif event.kind is EventKind.COMMAND:
            self._command(conn, staff, event, now)
        elif event.kind is EventKind.TEXT and not event.edited:
            self._text(conn, staff, event, now)
        elif event.kind is EventKind.MEDIA:
            self._reply(conn, staff, now, N_("Files cannot be passed on yet; please write."))

    def scoped_escalation(self, conn: Connection, staff: StaffView, escalation_id: int
                          ) -> Any | None:
        """The escalation, if this staff member may act on it (a read; nothing written)."""
        row = store.get_escalation(conn, escalation_id)
        return row if row is not None and staff.may_see(row.country) else None

    def escalation_in_scope(self, conn: Connection, staff: StaffView, escalation_id: int,
                            action: str, now: datetime) -> Any | None:
        """The escalation, if this staff member may act on it; else None, audited."""
        row = self.scoped_escalation(conn, staff, escalation_id)
        if row is None:
            self.apply(conn, (decide.refused(staff, f"{action}:{escalation_id}"),), now)
        return row

    def _button(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        """Read the case the button names, decide (``decisions.button``), write."""
        action, escalation_id = decide.pressed(event.payload)
        row = (self.scoped_escalation(conn, staff, escalation_id)
               if action in decide.BUTTON_ACTIONS and escalation_id is not None else None)
        self.apply(conn, decide.button(staff, event.payload, row), now)

    def acknowledge(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> bool:
        """Acknowledge (audited), and tell the person someone has seen it. False when it
        was no longer open. Telegram and the console both come here."""
        return self.apply(conn, (decide.acknowledge(staff, row),), now)[0]

    def claim(self, conn: Connection, staff: StaffView, row: Any, now: datetime) -> bool:
        """Take the case (audited either way); False when another case manager holds it."""
        return self.apply(conn, (decide.claim(staff, row),), now)[0]

    def _command(self, conn: Connection, staff: StaffView, event: Event, now: datetime) -> None:
        if event.command == "queue":
            self._queue(conn, staff, now)
        elif event.command == "case":
            self._case(conn, staff, event.args, now)
        elif event.command == "endchat":
            self._end_chat(conn, staff, now)
        elif event.command == "profile":
            self._profile(conn, staff, event.args, now)
        elif event.command in CASE_COMMANDS:
            self.case_command(conn, staff, event, now)  # type: ignore[attr-defined]
        elif event.command == "console":
            self.send_login_link(conn, staff, now)
        else:
            self._reply(conn, staff, now, decide.COMMANDS)

    def _queue(self, conn: Connection, staff: StaffView, now: datetime) -> None:
        rows = store.queue(conn, None if staff.role == "admin" else staff.country)
        self._audit(conn, staff, "queue.viewed", now, count=len(rows))
        if not rows:
            self._reply(conn, staff, now, N_("No open cases."))
            return
        lines = []
        for row in rows:
            minutes = int((now - row.created_at).total_seconds() // 60)
            lines.append(self.catalogs.render(staff.locale, Msg(
                N_("#{id} Tier {tier} {person} {status}, {minutes} min"),
                {"id": row.id, "tier": row.tier, "person": row.pseudonym,
                 "status": row.status, "minutes": minutes})))
        self._reply(conn, staff, now, N_("Open cases, most urgent first:\n{lines}\n\n"
                                         "/case NUMBER for details."), lines="\n".join(lines))

    def _profile_refused(self, conn: Connection, staff: StaffView, now: datetime, why: str,
                         msgid: str | None = None, **params: Any) -> None:
        self._audit(conn, staff, "staff.refused", now, attempt="profile", reason=why)
        parts: list[Msg | str] = [Msg(N_(
            "Use /profile PERSON, then a profile among {profiles} and/or sex=female, male "
            "or other, born=YEAR, host=COUNTRY CODE, left=YYYY-MM-DD (when they left), "
            "until=18m (follow-up to month 18, from 12 to 36)."),
            {"profiles": ", ".join(PROFILES)})]
        if msgid:
            parts.append(Msg(msgid, params))
        self.send(conn, staff.channel, staff.chat_id, staff.locale, parts, now)

    def _profile(self, conn: Connection, staff: StaffView, args: str, now: datetime) -> None:
        """/profile R-7KQ2MX9P vulnerable sex=female born=1994 host=LY left=2019-05 until=18m:
        the follow-up schedule's profile (and its length, past 12 months), and the analysis
        variables when known."""
        parts = args.split()
        # What was typed is never echoed nor audited: it may be a name or a phone number.
        if len(parts) < 2 or not is_pseudonym(parts[0]):
            return self._profile_refused(conn, staff, now, "usage")
        person = store.participant_by_pseudonym(conn, parts[0])
        if person is None or not staff.may_see(person.country):
            self._profile_refused(conn, staff, now, "person", N_(
                "No returnee {person} in your country: check the number."),
                person=parts[0].upper())
            return
        fields = parse_profile(parts[1:], now.date())
        if fields is None:
            self._profile_refused(conn, staff, now, "fields", N_(
                "Word {position} after the person was not understood."),
                position=(unparsed(parts[1:], now.date()) or 1) + 1)
            return
        record = store.load_participant(conn, person.channel, person.chat_id)
        assert record is not None
        record.set(**fields)
        if {"profile", "followup_until_months"} & fields.keys():
            self.replan(conn, record, now)
        store.save_participant(conn, record)
        self._audit(conn, staff, "participant.profile_set", now, person.pseudonym,
                    fields=sorted(fields), profile=fields.get("profile"))
        if "profile" in fields:
            self._reply(conn, staff, now, N_("{person} now follows the {profile} schedule."),
                        person=person.pseudonym, profile=fields["profile"])
        recorded = sorted(set(fields) - {"profile"})
        if recorded:
            self._reply(conn, staff, now, N_("Recorded for {person}: {fields}."),
                        person=person.pseudonym, fields=", ".join(recorded))
