"""What the case-management parts share (assignment, sessions, the plan, referrals): a
refusal that names what was wrong (``CaseError``), finding a returnee within a staff
member's scope, and who hears about a person first (their case manager, else the team).

``CaseError`` is how a command says no: the Telegram desk replies with its message, the
console shows it; the attempt is in the audit log either way.
"""

from __future__ import annotations

from datetime import datetime

from flows.casework.base import CaseworkBase
from flows.casework.changes import CaseError, NotifyTeam
from flows.casework.recipients import alert_recipients, assigned_staff, notice_recipients
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

CASE_ROLES = ("case_manager", "supervisor")  # who may hold a caseload

__all__ = ["CASE_ROLES", "CaseBase", "CaseError", "alert_recipients", "assigned_staff",
           "notice_recipients"]


class CaseBase(CaseworkBase):
    """Lookups and notices the case-management parts use."""

    def person_in_scope(self, conn: Connection, staff: StaffView, reference: str,
                        action: str, now: datetime) -> store.ParticipantRecord:
        """The returnee ``reference`` (R-…) names, if this staff member may see them; else
        refused (audited) with the same words whether they exist or not."""
        row = store.participant_by_pseudonym(conn, reference.strip()) if reference else None
        if row is None or not staff.may_see(row.country) or row.onboarded_at is None:
            self._audit(conn, staff, "staff.refused", now, attempt=f"{action}:{reference[:20]}")
            raise CaseError(N_("No returnee {person} in your scope. Use their reference, "
                               "e.g. R-7KQ2MX9P."), person=reference[:20] or "-")
        record = store.load_participant(conn, row.channel, row.chat_id)
        assert record is not None
        return record

    def notify_team(self, conn: Connection, person: store.ParticipantRecord,
                    parts: list[Msg | str], now: datetime, *,
                    priority: int = store.INTERACTIVE) -> None:
        """A notice about a person to their case manager (else the team)."""
        self.apply(conn, (NotifyTeam(person.id, person.country, tuple(parts), priority),), now)

    def tell_person(self, conn: Connection, person: store.ParticipantRecord, msg: Msg,
                    now: datetime) -> None:
        """A message to the returnee (not while they paused messages or blocked the bot)."""
        if person.paused or not person.reachable:
            return
        self.send(conn, person.channel, person.chat_id, person.locale or "en", [msg], now,
                  participant_id=person.id)
