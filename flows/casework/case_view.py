"""The case view (/case): one returnee's history for the case manager, pseudonymous, with
the assigned case manager, the reintegration plan and referrals, check-ins, needs, the W
model and survey scores (with their weights), and the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.casework.base import CaseworkBase
from flows.casework.changes import Change, Changes, Outbox, Send, staff_audit, to_staff
from flows.casework.readings import split_reading
from flows.casework.staff import StaffView, case_number, is_pseudonym
from flows.casework.vocabulary import REFERRAL_STATUS_NAMES, SUGGESTIONS
from flows.engine.events import Msg
from flows.engine.records import StoredRecords, WPoint
from flows.l10n.i18n import N_
from flows.research.chartdata import survey_payload, weights_note, wmodel_payload
from flows.research.rss import DONT_KNOW_FLAG
from flows.research.scoring import suggestion
from storage import casestore as store
from storage.casestore import Connection

CASE_POINTS = 12  # W-model points written out in /case (the chart shows every one)



@dataclass(frozen=True)
class CaseRead:
    """What /case shows, read before anything is decided: the returnee, their escalations
    with the signals of each, recent check-ins, W-model points and complete surveys."""

    person: Any
    escalations: list[tuple[Any, list[Any]]]
    checkins: list[Any]
    events: list[WPoint]
    surveys: list[Any]
    assignment: Any | None = None  # the open assignment: who is this person's case manager
    plan: Any | None = None  # the current version of the reintegration plan
    referrals: list[Any] = field(default_factory=list)


class CaseView(CaseworkBase):
    """What /case shows: read (``read_case``), decide (``case_page``), write."""

    def _case(self, conn: Connection, staff: StaffView, args: str, now: datetime) -> None:
        self.apply(conn, self.case_page(staff, self.read_case(conn, staff, args)), now)

    def read_case(self, conn: Connection, staff: StaffView, args: str) -> CaseRead | None:
        """The returnee a case number or pseudonym names, with their history; None when
        unknown or out of this staff member's scope."""
        raw = args.strip()
        number = case_number(raw)
        row = store.get_escalation(conn, number) if number is not None else None
        person = (store.participant_by_id(conn, row.participant_id) if row is not None
                  else store.participant_by_pseudonym(conn, raw) if is_pseudonym(raw) else None)
        if person is None or not staff.may_see(person.country):
            return None
        return CaseRead(
            person, [(esc, store.signals_of(conn, esc.id))
                     for esc in store.escalations_of(conn, person.id)],
            store.recent_checkins(conn, person.id), StoredRecords(conn, person.id).wmodel_points(),
            store.completed_surveys(conn, person.id), store.current_assignment(conn, person.id),
            store.current_plan(conn, person.id), store.referrals_of(conn, person.id))

    def case_page(self, staff: StaffView, read: CaseRead | None) -> Changes:
        """The page, the charts and the audit entry; pure (the catalogs render)."""
        if read is None:
            # What was typed is not kept: it may be a name rather than a number.
            return (staff_audit(staff, "staff.refused", attempt="case"),
                    to_staff(staff, N_("No such case here. Use /case NUMBER.")))
        person, events, surveys = read.person, read.events, read.surveys
        history = []
        for esc, signals in read.escalations:
            words = "; ".join(f"\u201c{split_reading(s.excerpt)[0]}\u201d" for s in signals
                              if s.excerpt)
            history.append(f"#{esc.id} T{esc.tier} {esc.status} {esc.created_at:%Y-%m-%d} "
                           f"{', '.join(esc.categories or [esc.category])} {words}".strip())
        returned = person.return_date.isoformat() if person.return_date else "-"
        checkins = [f"{c.at:%Y-%m-%d} mood {c.mood or '-'}/5"
                    f"{' needs: ' + ', '.join(c.needs) if c.needs else ''}"
                    f"{' — “' + c.events + '”' if c.events else ''}"
                    for c in read.checkins]
        shown = events[-CASE_POINTS:]  # the chart has them all
        points = [f"{'↑' if w.kind == 'up' else '↓'} "
                  f"{w.months if w.months is not None else '?'} m"
                  f"{' ' + w.dimension if w.dimension else ''}"
                  f"{' ' + str(w.intensity) + '/5' if w.intensity else ''}: “{w.note}”"
                  + "".join(f"\n    {k}: {v}" for k, v in w.details.items())
                  for w in shown]
        if len(events) > len(shown):
            points.insert(0, f"(+{len(events) - len(shown)})")
        locale = staff.locale
        scores = [self._score_line(locale, row) for row in surveys] or [
            self.catalogs.render(locale, Msg(N_("no complete survey yet")))]
        changes: list[Change] = [
            staff_audit(staff, "case.viewed", person.pseudonym),
            Send(staff.channel, staff.chat_id, staff.locale, (Msg(N_(
                "Person {person}: country {country}, language {language}, return {returned}, "
                "profile {profile}.\nRecent check-ins:\n{checkins}\nUps and downs (W model):\n"
                "{points}\nSurvey scores (suggestions, not decisions):\n{scores}\n"
                "Escalations:\n{history}"), {
                "person": person.pseudonym, "country": person.country or "-",
                "language": person.locale or "-", "returned": returned,
                "profile": person.profile, "checkins": "\n".join(checkins) or "-",
                "points": "\n".join(points) or "-", "scores": "\n".join(scores),
                "history": "\n".join(history) or "-"}), Msg(N_(
                    "Case manager: {manager}. Reintegration plan: {plan}. Referrals: "
                    "{referrals}."), self._case_file(read, locale))), about=person.id)]
        if events:  # the charts, drawn by the sender when they go out
            changes.append(Outbox(staff.channel, staff.chat_id, wmodel_payload(
                self.catalogs, locale, Msg(N_("W model of {person}"), {"person": person.pseudonym}),
                events, caption=person.pseudonym), kind="chart", about=person.id))
        if surveys:
            note = weights_note(self.catalogs, locale, surveys[-1].weights_version,
                                self.weights.provisional_for(surveys[-1].weights_version))
            changes.append(Outbox(staff.channel, staff.chat_id, survey_payload(
                self.catalogs, locale, Msg(N_("Survey scores of {person}"),
                                           {"person": person.pseudonym}), surveys, note),
                kind="chart", about=person.id))
        return tuple(changes)

    def _case_file(self, read: CaseRead, locale: str) -> dict[str, str]:
        """Who manages the case, the plan's version and date, and each referral's state."""
        manager = read.assignment.staff_pseudonym if read.assignment is not None else "-"
        plan = "-"
        if read.plan is not None:
            dated = read.plan.plan_date.isoformat() if read.plan.plan_date else "-"
            plan = f"v{read.plan.version} {dated}"
        states = [f"#{r.id} " + (self.catalogs.render(locale, Msg(REFERRAL_STATUS_NAMES[r.status]))
                                 if r.status in REFERRAL_STATUS_NAMES else str(r.status))
                  for r in read.referrals]
        return {"manager": manager, "plan": plan, "referrals": ", ".join(states) or "-"}

    def _score_line(self, locale: str, row: Any) -> str:
        """One survey's scores, with the weights version, and the abstentions when many."""
        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        line = self.catalogs.render(locale, Msg(N_(
            "{date} ({mode}): economic {economic}, social {social}, psychosocial "
            "{psychosocial}, composite {composite} → {suggestion} support. {weights}"), {
            "date": f"{row.completed_at:%Y-%m-%d}", "mode": row.mode,
            "economic": fmt(row.economic), "social": fmt(row.social),
            "psychosocial": fmt(row.psychosocial), "composite": fmt(row.composite),
            "suggestion": Msg(SUGGESTIONS[suggestion(row.composite)]),
            "weights": weights_note(self.catalogs, locale, row.weights_version,
                                    self.weights.provisional_for(row.weights_version))}))
        if row.abstentions is not None and row.abstentions > DONT_KNOW_FLAG:
            line += " " + self.catalogs.render(locale, Msg(N_(
                "⚠ {n} answers were \u201cdon't know\u201d or \u201cdon't wish to answer\u201d."),
                {"n": row.abstentions}))
        return line

