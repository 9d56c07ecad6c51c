"""Urgent messages that Telegram has not delivered in time: a Tier 1 alert that could not
reach its case manager goes to others; the emergency numbers that could not reach the
person are told to the team, so that someone tries another way.

``storage.outbox`` watches every urgent message (``URGENT_WITHIN``); the deadline sweep
calls ``sweep_undelivered``, inside a unit of work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flows.casework.alerts import Alerts
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

log = logging.getLogger("flows.casework")


class Undelivered(Alerts):
    """Re-alerts for urgent messages past their delivery deadline."""

    def sweep_undelivered(self, conn: Connection, now: datetime) -> int:
        rows = store.overdue(conn, now)
        for row in rows:
            if row.about_id is not None:  # an alert to a staff member
                self._alert_others(conn, row, now)
            elif row.participant_id is not None:  # the reply with the emergency numbers
                self._tell_team(conn, row, now)
        return len(rows)

    def _alert_others(self, conn: Connection, row: Any, now: datetime) -> None:
        escalation = store.open_escalation_of(conn, row.about_id)
        staff = store.load_staff(conn, row.channel, row.chat_id)
        if escalation is None or escalation.tier != 1 or staff is None:
            return  # acknowledged, resolved or no longer Tier 1: someone has it in hand
        log.warning("escalation %s: alert undelivered in time (%s); alerting other staff",
                    escalation.id, row.last_error or "waiting")
        self._alert(conn, escalation, now, level=escalation.alert_level, instead_of=staff)
        store.audit(conn, now, actor="system", action="escalation.undelivered",
                   subject=escalation.pseudonym,
                   details={"escalation": escalation.id, "staff": staff.pseudonym})

    def _tell_team(self, conn: Connection, row: Any, now: datetime) -> None:
        person = store.participant_by_id(conn, row.participant_id)
        if person is None:
            return
        escalation = store.open_escalation_of(conn, person.id)
        log.warning("participant %s: urgent reply undelivered in time (%s); telling staff",
                    person.id, row.last_error or "waiting")
        minutes = max(1, int((now - row.created_at).total_seconds() // 60))
        for staff_row in store.recipients(conn, person.country, supervisors=True):
            staff = StaffView.of(staff_row, self.catalogs)
            self.send(conn, staff.channel, staff.chat_id, staff.locale, [Msg(
                N_("Urgent: the emergency numbers sent to {person} (case #{case}) have not "
                   "reached them after {minutes} minutes. Please try to reach them another "
                   "way."),
                {"person": person.pseudonym, "minutes": minutes,
                 "case": escalation.id if escalation is not None else "-"})], now,
                priority=store.URGENT, about=person.id, bundle="alert", watch=False)
        store.audit(conn, now, actor="system", action="participant.urgent_undelivered",
                   subject=person.pseudonym, details={"minutes": minutes})
