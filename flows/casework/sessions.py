"""Sessions a case manager held (plan, W model, survey by phone or in person, mid-term and
final monitoring, other), with the date, the mode and a note (encrypted).

The schedule follows what happened, not what was planned (handbook §2.3.3, domain.md §6):
the first plan session, or the date a plan version records as agreed, is the plan's actual
date; mid-term monitoring is then due about six months after it and final monitoring about
twelve, and the person's follow-ups are planned again from it.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime

from flows.casework.case_base import CaseBase, CaseError
from flows.casework.case_views import MonitoringDates, SessionView
from flows.casework.staff import StaffView
from flows.followups.schedule import FOLLOW_UP_AFTER_PLAN, Kind, add_months, monitoring_dates
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

SESSION_KINDS = ("plan", "wmodel", "survey", "midterm", "final", "other")
SESSION_MODES = ("in_person", "phone", "online", "chat")


class Sessions(CaseBase):
    """Record sessions, and anchor monitoring to the plan's actual date."""

    def record_session(self, conn: Connection, staff: StaffView, reference: str, kind: str,
                       mode: str, held_on: date, note: str | None, now: datetime
                       ) -> SessionView:
        person = self.person_in_scope(conn, staff, reference, "session", now)
        if kind not in SESSION_KINDS:
            raise CaseError(N_("Session kinds: {kinds}."), kinds=", ".join(SESSION_KINDS))
        if mode not in SESSION_MODES:
            raise CaseError(N_("Session modes: {modes}."), modes=", ".join(SESSION_MODES))
        if held_on > now.date() or held_on.year < 2000:
            raise CaseError(N_("A session is recorded once held: the date cannot be in the "
                               "future."))
        session_id = store.add_session(
            conn, participant_id=person.id, staff_id=staff.id, staff_pseudonym=staff.pseudonym,
            kind=kind, mode=mode, held_on=held_on, note=(note or "").strip()[:4000] or None,
            now=now)
        self._audit(conn, staff, "session.recorded", now, person.pseudonym, kind=kind,
                    mode=mode, held_on=held_on.isoformat())
        if kind == "plan" and store.plan_date(conn, person.id) is None:
            self.anchor_plan_date(conn, person, held_on, now)
        elif kind in (Kind.MIDTERM.value, Kind.FINAL.value):
            self.replan(conn, person, now)  # a session held is not due again
        return SessionView(session_id, person.pseudonym, kind, mode, held_on,
                           (note or "").strip() or None, staff.pseudonym)

    def anchor_plan_date(self, conn: Connection, person: store.ParticipantRecord, day: date,
                         now: datetime) -> None:
        """The plan was agreed on ``day``: monitoring is planned again from it."""
        store.set_case_file(conn, person.id, now, plan_date=day)
        self.replan(conn, person, now)
        store.audit(conn, now, actor="system", action="plan.date_recorded",
                   subject=person.pseudonym, details={"plan_date": day.isoformat()})

    def sessions_of(self, conn: Connection, staff: StaffView, reference: str, now: datetime
                    ) -> list[SessionView]:
        person = self.person_in_scope(conn, staff, reference, "sessions", now)
        self._audit(conn, staff, "sessions.viewed", now, person.pseudonym)
        return [SessionView(r.id, person.pseudonym, r.kind, r.mode, r.held_on, r.note,
                            r.staff_pseudonym) for r in store.sessions_of(conn, person.id)]

    def monitoring_of(self, conn: Connection, person: store.ParticipantRecord
                      ) -> MonitoringDates:
        agreed = store.plan_date(conn, person.id)
        if agreed is None:
            return MonitoringDates(person.pseudonym, None, None, None, None)
        due = monitoring_dates(agreed)
        return MonitoringDates(person.pseudonym, agreed, due[Kind.MIDTERM], due[Kind.FINAL],
                               add_months(agreed, FOLLOW_UP_AFTER_PLAN))


def parse_session(args: str, today: date) -> tuple[str, str, str, date, str]:
    """``R-… KIND [MODE] [YYYY-MM-DD] [note …]`` → (person, kind, mode, date, note)."""
    words = args.split(maxsplit=2)
    if len(words) < 2 or words[1].lower() not in SESSION_KINDS:
        raise CaseError(N_("Use /session PERSON KIND [MODE] [YYYY-MM-DD] [note]; kinds: "
                           "{kinds}; modes: {modes}."), kinds=", ".join(SESSION_KINDS),
                        modes=", ".join(SESSION_MODES))
    person, kind = words[0], words[1].lower()
    tail = words[2] if len(words) > 2 else ""
    mode, held_on = "in_person", today
    first, rest = _first_word(tail)
    if first.lower() in SESSION_MODES:
        mode, tail = first.lower(), rest
        first, rest = _first_word(tail)
    with contextlib.suppress(ValueError):
        held_on, tail = date.fromisoformat(first), rest
    return person, kind, mode, held_on, tail.strip()


def _first_word(text: str) -> tuple[str, str]:
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
