"""What the case-management parts share (assignment, sessions, the plan, referrals): a
refusal that names what was wrong (``CaseError``), finding a returnee within a staff
member's scope, and who hears about a person first (their case manager, else the team).

``CaseError`` is how a command says no: the Telegram desk replies with its message, the
console shows it; the attempt is in the audit log either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.casework.base import CaseworkBase
from flows.casework.changes import CaseError
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

CASE_ROLES = ("case_manager", "supervisor")  # who may hold a caseload


def assigned_staff(conn: Connection, participant_id: int) -> Any | None:
    """The staff row of the person's case manager, when they have one who is active."""
    current = store.current_assignment(conn, participant_id)
    if current is None or current.staff_id is None or not current.active:
        return None
    return store.staff_by_id(conn, current.staff_id)


def alert_recipients(conn: Connection, row: Any, level: int, exclude: int | None = None
                     ) -> list[Any]:
    """Who an escalation alert goes to. Without an assigned case manager, as before: the
    country's case managers (supervisors too for Tier 1 and from the second reminder on).
    With one: Tiers 2 and 3 go to that person first, and at the first re-alert to them, the
    team and the supervisor; Tier 1 never waits (life may be at risk): their case manager,
    the team and the supervisor at once, the case manager first. ``exclude``: a staff
    member an urgent alert could not reach in time (never left with nobody)."""
    team = store.recipients(conn, row.country, supervisors=row.tier == 1 or level > 1,
                         exclude=exclude)
    mine = assigned_staff(conn, row.participant_id)
    if mine is None or mine.id == exclude:
        return team
    if row.tier > 1 and level == 0:
        return [mine]
    if row.tier > 1:
        team = store.recipients(conn, row.country, supervisors=True, exclude=exclude)
    return [mine, *(s for s in team if s.id != mine.id)]


def notice_recipients(conn: Connection, participant_id: int, country: str | None
                      ) -> list[Any]:
    """Who hears of a session due, a plan drafted, a referral not reached: the person's
    case manager, else the country's case managers."""
    mine = assigned_staff(conn, participant_id)
    return [mine] if mine is not None else store.recipients(conn, country, supervisors=False)


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
                    priority: int = store.INTERACTIVE) -> int:
        """A notice about a person to their case manager (else the team); how many got it."""
        staff_rows = notice_recipients(conn, person.id, person.country)
        for staff_row in staff_rows:
            staff = StaffView.of(staff_row, self.catalogs)
            self.send(conn, staff.channel, staff.chat_id, staff.locale, parts, now,
                      priority=priority, about=person.id)
        return len(staff_rows)

    def tell_person(self, conn: Connection, person: store.ParticipantRecord, msg: Msg,
                    now: datetime) -> None:
        """A message to the returnee (not while they paused messages or blocked the bot)."""
        if person.paused or not person.reachable:
            return
        self.send(conn, person.channel, person.chat_id, person.locale or "en", [msg], now,
                  participant_id=person.id)
