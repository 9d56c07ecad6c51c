"""What the web console shows and does at the desk: the queue with its filters, one
returnee's whole case, and the actions on an escalation. Every page and action checks role
and country scope and writes the audit log, as the Telegram commands do; the actions are
the same casework methods the Telegram buttons call (``desk.py``, ``handoff.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.casework.desk import StaffDesk
from flows.casework.handoff import ChatOpened, Handoff
from flows.casework.readings import described, split_reading
from flows.casework.staff import StaffView
from flows.casework.vocabulary import CATEGORY_NAMES, SESSION_NAMES, SUGGESTIONS
from flows.engine.events import Msg
from flows.engine.records import StoredRecords, WPoint
from flows.l10n.i18n import N_
from flows.research.chartdata import survey_payload, weights_note, wmodel_payload
from flows.research.rss import DONT_KNOW_FLAG
from flows.research.scoring import suggestion
from storage import casestore as store
from storage.casestore import OPEN_STATUSES, Connection, QueueFilter

NOT_ALLOWED = N_("Sorry, that is not allowed.")
PAGE = 50


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    tier: int
    categories: list[str]
    status: str
    person: str
    country: str | None
    created_at: datetime
    ack_deadline: datetime | None
    assignee: str | None
    mine: bool
    breached: bool


@dataclass(frozen=True, slots=True)
class QueueView:
    items: list[QueueItem]
    total: int
    filter: QueueFilter
    categories: list[tuple[str, str]]  # (code, name) of the categories open now
    countries: list[str]  # the countries this staff member may pick


@dataclass
class CaseData:
    person: Any
    consents: list[Any]
    escalations: list[dict[str, Any]]
    checkins: list[dict[str, Any]]
    needs: list[tuple[str, int]]
    points: list[WPoint]
    surveys: list[dict[str, Any]]
    planned: list[tuple[str, datetime]]  # (what, when)
    missed: list[tuple[str, datetime]]
    handoffs: list[dict[str, Any]]
    notes: list[Any]
    chatting: bool  # this staff member holds the person's chat now
    open_ids: list[int] = field(default_factory=list)


def scope_of(staff: StaffView) -> str | None:
    """The one country a staff member sees (with people of no country), or None for all."""
    return None if staff.role == "admin" or staff.country is None else staff.country


class ConsoleDesk(StaffDesk, Handoff):
    """The queue, the case, and acting on an escalation from the browser."""

    def category_name(self, locale: str, code: str) -> str:
        return self.catalogs.render(locale, Msg(CATEGORY_NAMES.get(code, code)))

    def console_queue(self, conn: Connection, staff: StaffView, params: dict[str, str],
                      now: datetime, *, page: int = 0, audit: bool = True
                      ) -> QueueView | None:
        """The queue as filtered; None (audited) for a country outside the scope."""
        scope = scope_of(staff)
        country = (params.get("country") or "").upper() or None
        if country not in (None, "-") and not staff.may_see(country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"queue:{country}")
            return None
        tier = params.get("tier", "")
        assignee = params.get("assignee", "")
        status = params.get("status", "")
        f = QueueFilter(scope=scope, country=country,
                        tier=int(tier) if tier in ("1", "2", "3") else None,
                        category=params.get("category") or None,
                        status=status if status in OPEN_STATUSES else None,
                        assignee=staff.id if assignee == "mine" else None,
                        unassigned=assignee == "unassigned")
        rows = store.queue_page(conn, f, PAGE, page * PAGE)
        total = store.queue_count(conn, f)
        if audit:
            self._audit(conn, staff, "queue.viewed", now, count=total, via="console")
        locale = staff.locale
        items = [QueueItem(
            r.id, r.tier, [self.category_name(locale, c) for c in (r.categories or [r.category])],
            r.status, r.pseudonym, r.country, r.created_at, r.ack_deadline,
            r.assignee_pseudonym, r.assignee_id == staff.id,
            r.status == "open" and r.ack_deadline is not None and r.ack_deadline < now)
            for r in rows]
        categories = [(c, self.category_name(locale, c))
                      for c in store.open_categories(conn, scope)]
        countries = ([staff.country] if scope else [])
        return QueueView(items, total, f, categories, countries)

    # The case --------------------------------------------------------------------------

    def console_case(self, conn: Connection, staff: StaffView, pseudonym: str,
                     now: datetime) -> CaseData | None:
        """One returnee's whole story; None (audited) when out of scope or unknown."""
        person = store.participant_by_pseudonym(conn, pseudonym) if pseudonym else None
        if person is None or not staff.may_see(person.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"case:{pseudonym[:20]}")
            return None
        self._audit(conn, staff, "case.viewed", now, person.pseudonym, via="console")
        locale = staff.locale
        escalations = store.case_escalations(conn, person.id)
        signals: dict[int, list[dict[str, Any]]] = {}
        for s in store.signals_of_many(conn, [e.id for e in escalations]):
            words, reading = split_reading(s.excerpt) if s.excerpt else ("", "")
            signals.setdefault(s.escalation_id, []).append(
                {"at": s.at, "source": s.source, "tier": s.tier, "words": words,
                 "reading": described(self.catalogs, locale, reading) if reading else ""})
        history = [{"row": e, "categories": [self.category_name(locale, c)
                                             for c in (e.categories or [e.category])],
                    "signals": signals.get(e.id, []),
                    "breached": e.ack_deadline is not None and (
                        (e.acknowledged_at or now) > e.ack_deadline)}
                   for e in escalations]
        checkins = store.recent_checkins(conn, person.id, limit=60)
        needs = Counter(n for c in checkins for n in (c.needs or []))
        followups = store.followups_of(conn, person.id)
        handoffs = store.handoffs_of(conn, person.id)
        messages: dict[int, list[Any]] = {}
        for m in store.handoff_messages(conn, [h.id for h in handoffs]):
            messages.setdefault(m.handoff_id, []).append(m)
        return CaseData(
            person=person, consents=store.consents_of(conn, person.id),
            escalations=history,
            checkins=[{"at": c.at, "mood": c.mood, "events": c.events,
                       "needs": [self.category_name(locale, f"need_{n}") for n in c.needs or []]}
                      for c in reversed(checkins)],
            needs=[(self.category_name(locale, f"need_{n}"), k) for n, k in needs.most_common()],
            points=StoredRecords(conn, person.id).wmodel_points(),
            surveys=[self._survey(locale, s) for s in store.completed_surveys(conn, person.id)],
            planned=[(self._kind(locale, f.kind), f.due_at) for f in followups
                     if f.status == "scheduled" and f.due_at >= now],
            missed=[(self._kind(locale, f.kind), f.due_at) for f in followups
                    if f.status == "missed"],
            handoffs=[{"row": h, "messages": messages.get(h.id, [])} for h in handoffs],
            notes=store.case_notes(conn, person.id),
            chatting=any(h.ended_at is None and h.staff_id == staff.id for h in handoffs),
            open_ids=[e.id for e in escalations if e.status in OPEN_STATUSES])

    def _kind(self, locale: str, kind: str) -> str:
        """What a follow-up is, in the reader's words."""
        name = N_("check-in") if kind == "checkin" else SESSION_NAMES.get(kind, kind)
        return self.catalogs.render(locale, Msg(name))

    def _survey(self, locale: str, row: Any) -> dict[str, Any]:
        return {"row": row, "provisional": self.weights.provisional_for(row.weights_version),
                "suggestion": self.catalogs.render(locale, Msg(
                    SUGGESTIONS[suggestion(row.composite)])),
                "many_abstentions": (row.abstentions or 0) > DONT_KNOW_FLAG}

    def chart_payload(self, conn: Connection, staff: StaffView, pseudonym: str, kind: str,
                      now: datetime) -> dict[str, Any] | None:
        """The W-model or survey chart of the case page, as the bot draws it for /case;
        None (audited) out of scope, or when there is nothing to draw."""
        person = store.participant_by_pseudonym(conn, pseudonym)
        if person is None or not staff.may_see(person.country) or kind not in ("wmodel",
                                                                               "survey"):
            self._audit(conn, staff, "staff.refused", now, attempt=f"chart:{pseudonym[:20]}")
            return None
        self._audit(conn, staff, "case.chart_viewed", now, person.pseudonym, chart=kind,
                    via="console")
        locale = staff.locale
        if kind == "wmodel":
            events = StoredRecords(conn, person.id).wmodel_points()
            return wmodel_payload(self.catalogs, locale, Msg(N_("W model of {person}"), {
                "person": person.pseudonym}), events, caption=person.pseudonym) if events else None
        surveys = store.completed_surveys(conn, person.id)
        if not surveys:
            return None
        version = surveys[-1].weights_version
        note = weights_note(self.catalogs, locale, version,
                            self.weights.provisional_for(version))
        return survey_payload(self.catalogs, locale, Msg(N_("Survey scores of {person}"), {
            "person": person.pseudonym}), surveys, note)

    def queue_signature(self, conn: Connection) -> tuple[Any, ...]:
        return store.queue_signature(conn)

    def add_case_note(self, conn: Connection, staff: StaffView, pseudonym: str, text: str,
                      now: datetime) -> Msg:
        person = store.participant_by_pseudonym(conn, pseudonym)
        if person is None or not staff.may_see(person.country):
            self._audit(conn, staff, "staff.refused", now, attempt=f"note:{pseudonym[:20]}")
            return Msg(NOT_ALLOWED)
        if not text.strip():
            return Msg(N_("A note cannot be empty."))
        store.add_case_note(conn, person.id, staff.id, text.strip(), now)
        self._audit(conn, staff, "case.note_added", now, person.pseudonym, via="console")
        return Msg(N_("Note kept with the case."))

    # Acting on an escalation -----------------------------------------------------------

    def console_act(self, conn: Connection, staff: StaffView, escalation_id: int,
                    action: str, note: str, now: datetime) -> tuple[bool, Msg]:
        """Acknowledge, claim, open chat or resolve from the browser: (allowed, what to
        show). The same methods as the Telegram buttons; nothing is sent to the staff
        member's own chat except the chat's start, so their phone knows it relays."""
        if action not in ("ack", "claim", "chat", "resolve"):
            self._audit(conn, staff, "staff.refused", now,
                        attempt=f"{action[:20]}:{escalation_id}")
            return False, Msg(NOT_ALLOWED)
        row = self.escalation_in_scope(conn, staff, escalation_id, action, now)
        if row is None:
            return False, Msg(NOT_ALLOWED)
        ref = {"id": row.id}
        if action == "ack":
            if self.acknowledge(conn, staff, row, now):
                return True, Msg(N_("Case #{id} acknowledged. The person has been told that "
                                    "someone has seen it."), ref)
            return True, Msg(N_("Case #{id} was already acknowledged."), ref)
        if action == "claim":
            if self.claim(conn, staff, row, now):
                return True, Msg(N_("Case #{id} is yours."), ref)
            return True, Msg(N_("Case #{id} is already held by another case manager."), ref)
        if action == "chat":
            opened = self.open_chat(conn, staff, row, now)
            if opened is ChatOpened.HELD:
                return True, Msg(N_("Case #{id} is already held by another case manager."), ref)
            if opened is ChatOpened.BUSY:
                return True, Msg(N_("Another case manager is already talking with this "
                                    "person."))
            self.chat_started_reply(conn, staff, row, now)
            return True, Msg(N_("Chat open with {person}: write below, or in Telegram."),
                             {"person": row.pseudonym})
        if not note.strip():
            return True, Msg(N_("A resolution needs a note."))
        if self.resolve(conn, staff, row, note.strip(), now):
            return True, Msg(N_("Case #{id} resolved."), ref)
        return True, Msg(N_("Case #{id} is not open."), ref)

    def console_say(self, conn: Connection, staff: StaffView, text: str, now: datetime
                    ) -> Msg:
        """A message in the open chat, relayed through the bot."""
        if not text.strip():
            return Msg(N_("A message cannot be empty."))
        if self.relay_to_person(conn, staff, text.strip(), now):
            return Msg(N_("Sent."))
        return Msg(N_("You are not in a chat."))

    def console_end_chat(self, conn: Connection, staff: StaffView, now: datetime) -> Msg:
        handoff = self.end_chat(conn, staff, now)
        if handoff is None:
            return Msg(N_("You are not in a chat."))
        return Msg(N_("Chat with {person} ended."), {"person": handoff.pseudonym})
