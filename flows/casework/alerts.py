"""Escalations and their alerts: opening or raising one, the direct question's outcome,
re-alerts when an acknowledgement deadline passes, and notices of sessions due.

Everything here runs inside the engine's unit of work, so an alert is committed in the
same transaction as the message that caused it: a crash loses neither or both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flows.casework import decisions as decide
from flows.casework.base import CaseworkBase
from flows.casework.changes import NotifyTeam
from flows.casework.readings import described, split_reading, with_reading
from flows.casework.recipients import alert_recipients
from flows.casework.staff import StaffView
from flows.casework.vocabulary import CATEGORY_NAMES, SESSION_NAMES
from flows.engine.events import Button, Msg, OpenEscalation
from flows.l10n.i18n import N_
from storage import casestore as store
from storage.casestore import Connection

log = logging.getLogger("flows.casework")


REALERT_EVERY = {1: timedelta(minutes=15), 2: timedelta(hours=2), 3: timedelta(hours=12)}



class Alerts(CaseworkBase):
    """Escalations: open, raise, alert, re-alert, and the screening question."""

    def escalate(self, conn: Connection, participant: store.ParticipantRecord,
                 signal: OpenEscalation, now: datetime) -> int:
        """Open an escalation or add this signal to the open one; alert case managers.

        A screening signal (a possible Tier 1, the person asked first) alerts nobody yet:
        it waits for the answer (``settle_screening``) or its deadline (``sweep``)."""
        categories = tuple(signal.categories) or (signal.category,)
        if signal.screening:
            screening_id = store.open_screening(
                conn, participant_id=participant.id, categories=categories,
                country=participant.country, note_72h=signal.note_72h,
                due=now + self.screen_wait, now=now)
            store.add_signal(conn, screening_id, at=now, source=signal.source, tier=1,
                          categories=categories, excerpt=with_reading(signal))
            return screening_id
        pack = self.packs.get(participant.country)
        deadline = now + pack.ack_target(signal.tier)
        existing = store.find_open(conn, participant.id, categories[0])
        if existing is None:
            escalation_id = store.open_escalation(
                conn, participant_id=participant.id, tier=signal.tier, categories=categories,
                source=signal.source, country=participant.country, note_72h=signal.note_72h,
                ack_deadline=deadline, now=now)
            raised = True
        else:
            escalation_id = existing.id
            raised = signal.tier < existing.tier
            merged = tuple(dict.fromkeys([*existing.categories, *categories]))
            store.raise_escalation(conn, escalation_id, tier=min(signal.tier, existing.tier),
                                categories=merged, note_72h=existing.note_72h or signal.note_72h,
                                ack_deadline=deadline if raised else None)
        store.add_signal(conn, escalation_id, at=now, source=signal.source, tier=signal.tier,
                      categories=categories, excerpt=with_reading(signal))
        if raised:
            row = store.get_escalation(conn, escalation_id)
            assert row is not None
            self._alert(conn, row, now, level=0, media_ref=signal.media_ref)
        elif signal.media_ref:
            row = store.get_escalation(conn, escalation_id)
            assert row is not None
            for staff in alert_recipients(conn, row, 0):
                self._copy_media(conn, staff, row, signal.media_ref, now)
        return escalation_id

    def settle_screening(self, conn: Connection, participant: store.ParticipantRecord,
                         confirmed: bool, now: datetime) -> None:
        """The person answered the direct question: yes alerts the team now at Tier 1."""
        for row in store.screenings_of(conn, participant.id):
            self._carry_on(conn, participant, row, "screen_confirmed" if confirmed else "",
                           now)

    def sweep_screenings(self, conn: Connection, now: datetime) -> int:
        """Questions unanswered past the deadline alert the team at Tier 1, marked "not
        confirmed", with the words that prompted the question."""
        rows = store.claim_due_screenings(conn, now)
        for row in rows:
            person = store.load_participant(conn, row.p_channel, row.p_chat_id)
            if person is not None:
                self._carry_on(conn, person, row, "screen_unanswered", now)
        return len(rows)

    def _carry_on(self, conn: Connection, person: store.ParticipantRecord, row: Any,
                  source: str, now: datetime) -> None:
        """End a screening; with a ``source``, as a Tier 1 escalation (alerted)."""
        store.end_screening(conn, row.id, now)
        if not source:
            return
        signals = store.signals_of(conn, row.id)
        excerpt = next((s.excerpt for s in reversed(signals) if s.excerpt), None)
        escalation_id = self.escalate(conn, person, OpenEscalation(
            tier=1, category=row.category, source=source, categories=tuple(row.categories),
            excerpt=excerpt, note_72h=row.note_72h), now)
        store.move_signals(conn, row.id, escalation_id)
        store.audit(conn, now, actor="system", action=f"escalation.{source}",
                   subject=person.pseudonym, details={"escalation": escalation_id})

    def anyone_to_alert(self, conn: Connection, country: str | None) -> bool:
        """Whether an alert for a person of ``country`` reaches someone (it always does
        while the deployment has any active staff member)."""
        return bool(store.recipients(conn, country, supervisors=True))

    def _alert(self, conn: Connection, row: Any, now: datetime, *, level: int,
               media_ref: str = "", instead_of: Any = None) -> None:
        """Case managers first; supervisors at once for Tier 1, and from the second reminder
        on for the others; a person's own case manager before everyone (``alert_recipients``).
        Nobody is left out: see ``recipients``. ``instead_of``: the staff member a Tier 1
        alert could not reach in time (``Undelivered``); others get it."""
        staff_rows = alert_recipients(conn, row, level,  # their case manager first
                                      exclude=None if instead_of is None else instead_of.id)
        if not staff_rows:
            log.error("escalation %s (tier %s) has nobody to alert: no staff at all", row.id,
                      row.tier)
        signals = store.signals_of(conn, row.id)
        excerpt = next((s.excerpt for s in reversed(signals) if s.excerpt), None)
        for staff_row in staff_rows:
            staff = StaffView.of(staff_row, self.catalogs)
            parts: list[Msg | str] = []
            if instead_of is not None:
                parts.append(Msg(N_("This alert could not be delivered to {staff} in time: "
                                    "you receive it in their place."),
                                 {"staff": instead_of.pseudonym}))
            if level > 0:
                parts.append(Msg(N_("Reminder {level}: nobody has acknowledged this yet."),
                                 {"level": level}))
            parts.append(self._summary(row, staff.locale))
            if signals and signals[-1].source == "screen_unanswered":
                parts.append(Msg(N_("Not confirmed: the bot asked them directly whether they "
                                    "are thinking of suicide or in danger, and no answer came "
                                    "within {minutes} minutes."),
                                 {"minutes": int(self.screen_wait.total_seconds() // 60)}))
            elif signals and signals[-1].source == "screen_confirmed":
                parts.append(Msg(N_("Confirmed: asked directly, they answered yes.")))
            if excerpt:
                words, reading = split_reading(excerpt)
                parts.append(Msg(N_("Their words: \u201c{excerpt}\u201d"), {"excerpt": words}))
                if reading:
                    parts.append(Msg(N_("Read by: {reading}."), {
                        "reading": described(self.catalogs, staff.locale, reading)}))
            if row.note_72h:
                parts.append(Msg(N_("Possible recent sexual violence: post-exposure HIV "
                                    "prophylaxis and emergency contraception work only within "
                                    "72 hours.")))
            self.send(conn, staff.channel, staff.chat_id, staff.locale, parts, now,
                      buttons=self._buttons(row.id),
                      priority=store.URGENT if row.tier == 1 else store.INTERACTIVE,
                      about=row.participant_id, bundle="alert", watch=instead_of is None)
            if media_ref:
                self._copy_media(conn, staff, row, media_ref, now)

    def _copy_media(self, conn: Connection, staff: Any, row: Any, ref: str,
                    now: datetime) -> None:
        self.apply(conn, (decide.copy_to_staff(staff, row.p_chat_id, ref, row.participant_id,
                                               priority=store.URGENT),), now)

    def _summary(self, row: Any, locale: str) -> str:
        categories = ", ".join(self.catalogs.render(locale, Msg(CATEGORY_NAMES.get(c, c)))
                               for c in row.categories or [row.category])
        due = row.ack_deadline.strftime("%Y-%m-%d %H:%M UTC") if row.ack_deadline else "-"
        return self.catalogs.render(locale, Msg(
            N_("Case #{id}, Tier {tier}: {categories}. Person {person}, country {country}, "
               "language {language}. Acknowledge by {due}."),
            {"id": row.id, "tier": row.tier, "categories": categories,
             "person": row.pseudonym, "country": row.country or "-",
             "language": row.locale or "-", "due": due}))

    @staticmethod
    def _buttons(escalation_id: int) -> tuple[Button, ...]:
        return (Button(f"esc:ack:{escalation_id}", Msg(N_("Acknowledge"))),
                Button(f"esc:claim:{escalation_id}", Msg(N_("Claim"))),
                Button(f"esc:chat:{escalation_id}", Msg(N_("Open chat"))),
                Button(f"esc:resolve:{escalation_id}", Msg(N_("Resolve"))))

    def session_due(self, conn: Connection, person: store.ParticipantRecord, kind: str,
                    now: datetime) -> None:
        """A session a case manager holds (plan, survey, W model, monitoring) is due."""
        self.apply(conn, (NotifyTeam(person.id, person.country, (Msg(
            N_("Follow-up due: {session} with {person} (returned {date})."),
            {"session": Msg(SESSION_NAMES.get(kind, kind)), "person": person.pseudonym,
             "date": person.return_date.isoformat() if person.return_date else "-"}),),
            priority=store.SCHEDULED),), now)

    def sweep(self, conn: Connection, now: datetime) -> int:
        """Re-alert every escalation whose acknowledgement deadline has passed."""
        rows = store.claim_due_alerts(conn, now)
        for row in rows:
            level = row.alert_level + 1
            self._alert(conn, row, now, level=level)
            store.schedule_next_alert(conn, row.id, level, now + REALERT_EVERY.get(row.tier,
                                                                                  timedelta(hours=12)))
            store.audit(conn, now, actor="system", action="escalation.realerted",
                       subject=row.pseudonym, details={"escalation": row.id, "level": level})
        return len(rows)
