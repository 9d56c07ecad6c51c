"""An assigned case manager for each returnee (handbook §2.1: a case manager who knows the
person). Assigning, handing over (the history is kept: each assignment has its start and
end), caseloads, a staff member's gender, and the returnee's wish for a female or male case
manager, honoured where the office has one.

Who may assign: a case manager takes an unassigned person of their scope, or hands one of
their own to a colleague; a supervisor or admin assigns anyone in their scope. The person
assigned must be an active case manager or supervisor of the person's country.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.casework.case_base import CASE_ROLES, CaseBase, CaseError
from flows.casework.case_views import AssignmentView, CaseloadEntry, TeamLoad
from flows.casework.changes import Assign, Change, Changes, Refuse, Send, staff_audit
from flows.casework.staff import StaffView
from flows.engine.events import Msg
from flows.l10n.i18n import N_, Catalogs
from storage import casestore as store
from storage.casestore import Connection

GENDERS = ("female", "male")


def _view(person: str, row: Any) -> AssignmentView:
    return AssignmentView(person, row.staff_pseudonym, row.started_at, row.ended_at,
                          row.assigned_by, row.reason)


class Assignment(CaseBase):
    """Assign, hand over, caseloads, gender and the person's preference."""

    def assign_case(self, conn: Connection, staff: StaffView, reference: str, target: str,
                    now: datetime) -> AssignmentView:
        """Give ``reference`` a case manager: ``me`` (or empty), a staff pseudonym, or
        ``auto`` (the least loaded of the country, of the gender the person asked for when
        the office has one). Read, decide (``decide_assignment``), write."""
        person = self.person_in_scope(conn, staff, reference, "assign", now)
        current = store.current_assignment(conn, person.id)
        choice = target.strip().lower()
        if choice in ("", "me"):
            chosen = store.staff_by_id(conn, staff.id)
        elif choice == "auto":
            chosen = self._least_loaded(conn, person)
        else:
            chosen = store.active_staff_by_pseudonym(conn, target.strip())
        old = _previous_holder(conn, current, chosen)
        self.apply(conn, decide_assignment(self.catalogs, staff, person, current, chosen, old,
                                           target), now)
        if current is not None and chosen is not None and current.staff_id == chosen.id:
            return _view(person.pseudonym, current)
        row = store.current_assignment(conn, person.id)
        assert row is not None
        return _view(person.pseudonym, row)

    def _least_loaded(self, conn: Connection, person: store.ParticipantRecord) -> Any | None:
        loads = [r for r in store.caseload_counts(conn, person.country)
                 if r.role == "case_manager"] or list(store.caseload_counts(conn, person.country))
        wish = (store.case_file(conn, person.id) or _NO_FILE).preferred_gender
        matching = [r for r in loads if wish and r.gender == wish]
        pick = (matching or loads or [None])[0]
        return store.staff_by_id(conn, pick.id) if pick is not None else None

    def prefer_case_manager(self, conn: Connection, person: store.ParticipantRecord,
                            gender: str | None, now: datetime) -> str:
        """The returnee's wish (from chat). Returns what happened: ``cleared``, ``kept`` (their
        case manager already is), ``assigned`` (to the least loaded who is), or ``none`` (the
        office has nobody: the wish is kept and the team told)."""
        store.set_case_file(conn, person.id, now, preferred_gender=gender)
        store.audit(conn, now, actor=f"participant:{person.pseudonym}",
                   action="case.preference_set", subject=person.pseudonym,
                   details={"gender": gender})
        if gender is None:
            return "cleared"
        current = store.current_assignment(conn, person.id)
        if current is not None and current.gender == gender and current.active:
            return "kept"
        matching = [r for r in store.caseload_counts(conn, person.country)
                    if r.gender == gender and r.role == "case_manager"] or [
            r for r in store.caseload_counts(conn, person.country) if r.gender == gender]
        if not matching:
            self.notify_team(conn, person, [Msg(NOBODY_OF_GENDER[gender],
                                                {"person": person.pseudonym})], now)
            return "none"
        chosen = store.staff_by_id(conn, matching[0].id)
        self.apply(conn, handover(self.catalogs, person, chosen,
                                  by=f"participant:{person.pseudonym}", reason="preference",
                                  old=_previous_holder(conn, current, chosen)), now)
        return "assigned"

    def caseload_of(self, conn: Connection, staff: StaffView, target: str, now: datetime
                    ) -> list[CaseloadEntry]:
        """The people a staff member holds (their own; a supervisor's choice of colleague)."""
        whose = store.staff_by_id(conn, staff.id) if not target.strip() else (
            store.active_staff_by_pseudonym(conn, target.strip()))
        if whose is None or (whose.id != staff.id and (
                staff.role not in ("supervisor", "admin") or not staff.may_see(whose.country))):
            self._audit(conn, staff, "staff.refused", now, attempt=f"caseload:{target[:20]}")
            raise CaseError(N_("Sorry, that is not allowed."))
        rows = store.caseload(conn, whose.id)
        self._audit(conn, staff, "caseload.viewed", now, whose.pseudonym, count=len(rows))
        return [CaseloadEntry(r.pseudonym, r.country, r.return_date, r.profile, r.started_at)
                for r in rows]

    def team_loads(self, conn: Connection, staff: StaffView, now: datetime) -> list[TeamLoad]:
        """Every case manager and supervisor of the staff member's country, with caseloads."""
        rows = store.caseload_counts(conn, None if staff.role == "admin" else staff.country)
        self._audit(conn, staff, "caseload.team_viewed", now, count=len(rows))
        return [TeamLoad(r.pseudonym, r.role, r.country, r.gender, int(r.held)) for r in rows]

    def assignment_history(self, conn: Connection, staff: StaffView, reference: str,
                           now: datetime) -> list[AssignmentView]:
        person = self.person_in_scope(conn, staff, reference, "assignments", now)
        self._audit(conn, staff, "case.assignments_viewed", now, person.pseudonym)
        return [_view(person.pseudonym, r) for r in store.assignment_history(conn, person.id)]

    def set_own_gender(self, conn: Connection, staff: StaffView, gender: str,
                       now: datetime) -> str | None:
        value = gender.strip().lower()
        if value not in (*GENDERS, "none", "-"):
            raise CaseError(N_("Use /gender female, /gender male or /gender none."))
        chosen = value if value in GENDERS else None
        store.set_staff_gender(conn, staff.id, chosen)
        self._audit(conn, staff, "staff.gender_set", now, gender=chosen)
        return chosen


def _previous_holder(conn: Connection, current: Any | None, chosen: Any | None) -> Any | None:
    """The case manager a handover takes the person from, when there is one to tell."""
    if current is None or current.staff_id is None or chosen is None or (
            current.staff_id == chosen.id):
        return None
    return store.staff_by_id(conn, current.staff_id)


def decide_assignment(catalogs: Catalogs, staff: StaffView, person: Any,
                      current: Any | None, chosen: Any | None, old: Any | None,
                      target: str) -> Changes:
    """Whether ``staff`` may give ``person`` to ``chosen`` (read: the current assignment,
    the staff row chosen, the previous holder's), and what changes; pure."""
    if (chosen is None or chosen.role not in CASE_ROLES
            or (person.country is not None and chosen.country != person.country)):
        return (staff_audit(staff, "staff.refused", attempt=f"assign:{target[:20]}"),
                Refuse(CaseError(N_("{target} cannot hold this case: choose an active case "
                                    "manager or supervisor of {country}."),
                                 target=target or "-", country=person.country or "-")))
    lead = staff.role in ("supervisor", "admin")
    holder = current.staff_id if current is not None else None
    if not lead and holder not in (None, staff.id):
        return (staff_audit(staff, "staff.refused", attempt=f"assign:{person.pseudonym}"),
                Refuse(CaseError(N_("{person} is held by {holder}: ask them or a supervisor "
                                    "to hand the case over."), person=person.pseudonym,
                                 holder=current.staff_pseudonym if current else "-")))
    if not lead and holder is None and chosen.id != staff.id:
        return (Refuse(CaseError(N_("A case manager can take an unassigned person themselves; "
                                    "a supervisor assigns them to someone else."))),)
    if holder == chosen.id:
        return ()
    reason = "handover" if holder is not None else "manual"
    return (*handover(catalogs, person, chosen, by=f"staff:{staff.pseudonym}", reason=reason,
                      old=old, actor_id=staff.id),
            staff_audit(staff, "case.assigned", person.pseudonym, to=chosen.pseudonym,
                        reason=reason))


def handover(catalogs: Catalogs, person: Any, chosen: Any, *, by: str, reason: str,
             old: Any | None, actor_id: int | None = None) -> Changes:
    """The assignment, and word to the new case manager (unless they did it themselves)
    and to the one before (``old``, while active)."""
    changes: list[Change] = [Assign(person.id, chosen.id, chosen.pseudonym, by, reason)]
    new = StaffView.of(chosen, catalogs)
    if chosen.id != actor_id:
        changes.append(Send(new.channel, new.chat_id, new.locale, (Msg(
            N_("You are now the case manager of {person}. Alerts and session notices about "
               "them come to you first. /case {person} shows their history."),
            {"person": person.pseudonym}),), about=person.id))
    if old is not None and old.active:
        was = StaffView.of(old, catalogs)
        changes.append(Send(was.channel, was.chat_id, was.locale, (Msg(
            N_("{person} is now with {colleague}."),
            {"person": person.pseudonym, "colleague": chosen.pseudonym}),), about=person.id))
    return tuple(changes)


class _NoFile:
    preferred_gender: str | None = None
    plan_date = None


_NO_FILE = _NoFile()

NOBODY_OF_GENDER = {
    "female": N_("{person} would prefer a woman as case manager; nobody of the team has said "
                 "she is one. The wish is kept in their case file."),
    "male": N_("{person} would prefer a man as case manager; nobody of the team has said he "
               "is one. The wish is kept in their case file."),
}
